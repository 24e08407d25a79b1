/*
 * What every boot path must hand the kernel: a boot info with the right
 * magic and version, a sorted, non-overlapping memory map with usable RAM
 * below and above 1 MiB, the command line the test passed, and an entry
 * time stamp.
 */
#include "ktest.h"
#include <arch/cpu.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>

extern char __kernel_start[], __kernel_end[];

KTEST(boot_info_header)
{
	const struct boot_info *bi = kernel_boot_info();

	KT_CHECK_EQ(t, bi->magic, BOOT_INFO_MAGIC);
	KT_CHECK(t, bi->version >= 1);
	KT_CHECK(t, bi->size >= sizeof(*bi));
	KT_CHECK(t, bi->firmware == BOOT_FW_PVH ||
			    bi->firmware == BOOT_FW_BIOS ||
			    bi->firmware == BOOT_FW_UEFI);
	KT_CHECK(t, bi->tsc[BOOT_TS_KERNEL_ENTRY] != 0);
	KT_CHECK(t, bi->tsc[BOOT_TS_KERNEL_ENTRY] < rdtsc());
}

static bool is_ram(uint32_t type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_KERNEL ||
	       type == BOOT_MEM_BOOTLOADER;
}

/* Is [lo, hi) covered by a contiguous run of RAM ranges? */
static bool ram_covers(const struct boot_mem_range *r, uint32_t n, uint64_t lo,
		       uint64_t hi)
{
	for (uint32_t i = 0; i < n && lo < hi; i++) {
		if (!is_ram(r[i].type) || r[i].base > lo ||
		    r[i].base + r[i].length <= lo)
			continue;
		lo = r[i].base + r[i].length;
	}
	return lo >= hi;
}

KTEST(boot_memory_map)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)bi->mmap;
	uint64_t low = 0, high = 0;

	if (!KT_CHECK(t, bi->mmap && bi->mmap_count > 0))
		return;
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		KT_CHECK(t, r[i].length > 0);
		KT_CHECK(t, r[i].type >= BOOT_MEM_USABLE &&
				    r[i].type <= BOOT_MEM_KERNEL);
		if (i > 0) {
			KT_CHECK(t,
				 r[i - 1].base + r[i - 1].length <= r[i].base);
			/* normalised: equal neighbours are merged */
			KT_CHECK(t,
				 r[i - 1].base + r[i - 1].length != r[i].base ||
					 r[i - 1].type != r[i].type);
		}
		if (!is_ram(r[i].type))
			continue;
		if (r[i].base < 0x100000)
			low += r[i].length;
		else
			high += r[i].length;
	}
	/* Every PC has conventional memory, less what the firmware keeps
	 * (OVMF with SMM reserves 128 KiB of it); the tests boot with at
	 * least 32 MiB. */
	KT_CHECK(t, low >= 256 * 1024);
	KT_CHECK(t, high >= 16 * 1024 * 1024);
	KT_CHECK(t, ram_covers(r, bi->mmap_count, (uintptr_t)__kernel_start,
			       (uintptr_t)__kernel_end));
}

KTEST(boot_cmdline)
{
	const struct boot_info *bi = kernel_boot_info();
	const char *c = (const char *)(uintptr_t)bi->cmdline;

	/* scripts/test boots the test image with this marker option. */
	if (!KT_CHECK(t, c != NULL))
		return;
	KT_CHECK(t, strncmp(c, "ktest.marker=1", 14) == 0);
}

static const char *firmware_name(uint32_t fw)
{
	switch (fw) {
	case BOOT_FW_PVH:
		return "pvh";
	case BOOT_FW_BIOS:
		return "bios";
	case BOOT_FW_UEFI:
		return "uefi";
	default:
		return "unknown";
	}
}

/* ktest.firmware=bios|uefi|pvh: the boot path the test was started by
 * (when given; an image booted under both firmwares leaves it out). */
KTEST(boot_firmware)
{
	const struct boot_info *bi = kernel_boot_info();
	const char *want = ktest_option("ktest.firmware");

	if (want &&
	    !KT_CHECK(t, strcmp(firmware_name(bi->firmware), want) == 0))
		ktest_fail(t, __FILE__, __LINE__, "firmware %s, expected %s",
			   firmware_name(bi->firmware), want);
	KT_CHECK(t, bi->firmware == BOOT_FW_PVH ||
			    bi->firmware == BOOT_FW_BIOS ||
			    bi->firmware == BOOT_FW_UEFI);
	if (bi->firmware == BOOT_FW_UEFI) {
		KT_CHECK(t, bi->disk.partition >= 1);
		KT_CHECK(t, bi->rsdp != 0);
		KT_CHECK(t, bi->tsc[BOOT_TS_LOADER_ENTRY] != 0);
		KT_CHECK(t, bi->tsc[BOOT_TS_LOADER_ENTRY] <
				    bi->tsc[BOOT_TS_FS_READY]);
		KT_CHECK(t, bi->tsc[BOOT_TS_KERNEL_LOADED] <
				    bi->tsc[BOOT_TS_EXIT_FIRMWARE]);
		KT_CHECK(t, bi->tsc[BOOT_TS_EXIT_FIRMWARE] <
				    bi->tsc[BOOT_TS_KERNEL_ENTRY]);
	}
	/* ktest.fb=1: the firmware has a display, so GOP's framebuffer
	 * must have come through. */
	if (ktest_option("ktest.fb")) {
		KT_CHECK(t, bi->fb.addr != 0);
		KT_CHECK(t, bi->fb.width >= 640 && bi->fb.height >= 400);
		KT_CHECK(t, bi->fb.pitch >= bi->fb.width * 4);
		KT_CHECK_EQ(t, bi->fb.bpp, 32);
	}
	if (bi->firmware == BOOT_FW_BIOS) {
		KT_CHECK(t, bi->disk.partition >= 1);
		KT_CHECK(t, bi->disk.partition_lba >= 2048);
		KT_CHECK(t, bi->disk.bios_drive >= 0x80);
		/* The MBR, stage 2 and file system stamps come in order. */
		KT_CHECK(t, bi->tsc[BOOT_TS_LOADER_ENTRY] != 0);
		KT_CHECK(t, bi->tsc[BOOT_TS_LOADER_ENTRY] <
				    bi->tsc[BOOT_TS_STAGE2_ENTRY]);
		KT_CHECK(t, bi->tsc[BOOT_TS_STAGE2_ENTRY] <
				    bi->tsc[BOOT_TS_FS_READY]);
		KT_CHECK(t, bi->tsc[BOOT_TS_FS_READY] <=
				    bi->tsc[BOOT_TS_KERNEL_LOADED]);
		KT_CHECK(t, bi->tsc[BOOT_TS_KERNEL_LOADED] <
				    bi->tsc[BOOT_TS_KERNEL_ENTRY]);
	}
	if (bi->firmware != BOOT_FW_PVH) {
		/* The loader marks the kernel's own segments. */
		const struct boot_mem_range *r =
			(const struct boot_mem_range *)(uintptr_t)bi->mmap;
		bool found = false;

		for (uint32_t i = 0; i < bi->mmap_count; i++)
			if (r[i].type == BOOT_MEM_KERNEL &&
			    r[i].base <= (uintptr_t)__kernel_start &&
			    r[i].base + r[i].length > (uintptr_t)__kernel_start)
				found = true;
		KT_CHECK(t, found);
	}
}

/* ktest.module=PATH:TEXT: the loader put module PATH in memory and its
 * bytes start with TEXT. */
KTEST(boot_modules)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_module *m =
		(const struct boot_module *)(uintptr_t)bi->modules;
	const char *want = ktest_option("ktest.module");
	const char *colon;
	bool found = false;

	if (!want) {
		KT_CHECK_EQ(t, bi->module_count, 0);
		return;
	}
	colon = want;
	while (*colon && *colon != ':')
		colon++;
	if (!KT_CHECK(t, *colon == ':' && bi->module_count > 0))
		return;
	for (uint32_t i = 0; i < bi->module_count; i++) {
		const char *name = (const char *)(uintptr_t)m[i].name;
		size_t plen = (size_t)(colon - want), tlen = strlen(colon + 1);

		if (strncmp(name, want, plen) != 0 || name[plen])
			continue;
		found = true;
		KT_CHECK(t, m[i].size >= tlen);
		KT_CHECK(t, (m[i].addr & 0xfff) == 0);
		KT_CHECK(t, memcmp((const void *)(uintptr_t)m[i].addr,
				   colon + 1, tlen) == 0);
	}
	KT_CHECK(t, found);
}
