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

KTEST(boot_memory_map)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)bi->mmap;
	uint64_t low = 0, high = 0;
	bool kernel_in_ram = false;

	if (!KT_CHECK(t, bi->mmap && bi->mmap_count > 0))
		return;
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		KT_CHECK(t, r[i].length > 0);
		KT_CHECK(t, r[i].type >= BOOT_MEM_USABLE &&
				    r[i].type <= BOOT_MEM_KERNEL);
		if (i > 0)
			KT_CHECK(t,
				 r[i - 1].base + r[i - 1].length <= r[i].base);
		if (r[i].type != BOOT_MEM_USABLE &&
		    r[i].type != BOOT_MEM_KERNEL)
			continue;
		if (r[i].base < 0x100000)
			low += r[i].length;
		else
			high += r[i].length;
		if (r[i].base <= (uintptr_t)__kernel_start &&
		    r[i].base + r[i].length >= (uintptr_t)__kernel_end)
			kernel_in_ram = true;
	}
	/* Every PC has conventional memory; the tests boot with >= 32 MiB. */
	KT_CHECK(t, low >= 512 * 1024);
	KT_CHECK(t, high >= 16 * 1024 * 1024);
	KT_CHECK(t, kernel_in_ram);
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
