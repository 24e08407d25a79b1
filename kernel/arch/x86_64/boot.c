/*
 * From the entry assembly to kernel_main, for both ways in.
 *
 * pvh_main: the PVH ABI (Xen public/arch-x86/hvm/start_info.h, version 1,
 * which carries an E820-style memory map). We translate the start info
 * into our boot info so that the rest of the kernel sees one format.
 *
 * loader_main: our own loaders, which already built a boot info
 * (docs/boot-protocol.md). We only check it.
 */
#include <stddef.h>

#include <arch/cpu.h>
#include <arch/platform.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <memmap.h>

#define HVM_START_MAGIC 0x336ec578
#define PVH_MAX_MODULES 16

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;	 /* version >= 1 */
	uint32_t memmap_entries; /* version >= 1 */
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct hvm_start_info, magic) == 0, "layout");
_Static_assert(offsetof(struct hvm_start_info, version) == 4, "layout");
_Static_assert(offsetof(struct hvm_start_info, flags) == 8, "layout");
_Static_assert(offsetof(struct hvm_start_info, nr_modules) == 12, "layout");
_Static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "layout");
_Static_assert(offsetof(struct hvm_start_info, cmdline_paddr) == 24, "layout");
_Static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "layout");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "layout");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "layout");
_Static_assert(offsetof(struct hvm_start_info, reserved) == 52, "layout");

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct hvm_modlist_entry, paddr) == 0, "layout");
_Static_assert(offsetof(struct hvm_modlist_entry, size) == 8, "layout");
_Static_assert(offsetof(struct hvm_modlist_entry, cmdline_paddr) == 16,
	       "layout");
_Static_assert(offsetof(struct hvm_modlist_entry, reserved) == 24, "layout");

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 type */
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct hvm_memmap_entry, addr) == 0, "layout");
_Static_assert(offsetof(struct hvm_memmap_entry, size) == 8, "layout");
_Static_assert(offsetof(struct hvm_memmap_entry, type) == 16, "layout");
_Static_assert(offsetof(struct hvm_memmap_entry, reserved) == 20, "layout");

/* Written by entry.asm before any C runs. */
extern uint64_t boot_entry_tsc;

static struct boot_info pvh_info;
static struct boot_mem_range pvh_ranges[MEMMAP_MAX];
static struct boot_module pvh_modules[PVH_MAX_MODULES];

/* Early failure: the console may not be set up yet, so set up COM1. */
static __attribute__((noreturn)) void early_fail(const char *what)
{
	console_init(CONSOLE_DEFAULT_PORT);
	kprintf("boot: %s; halting\n", what);
	platform_debug_exit(0x7f);
	cpu_halt_forever();
}

void pvh_main(const struct hvm_start_info *si)
{
	struct boot_info *bi = &pvh_info;
	uint32_t n = 0;
	int rc;

	if (si->magic != HVM_START_MAGIC)
		early_fail("PVH start info has a bad magic");
	if (si->version < 1 || !si->memmap_paddr)
		early_fail("PVH start info has no memory map (version 0)");

	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->firmware = BOOT_FW_PVH;
	bi->cmdline = si->cmdline_paddr;
	bi->rsdp = si->rsdp_paddr;
	bi->disk.bios_drive = 0xffffffff;
	bi->loader_name = (uintptr_t) "PVH";
	bi->tsc[BOOT_TS_KERNEL_ENTRY] = boot_entry_tsc;

	const struct hvm_memmap_entry *e =
		(const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries && n < MEMMAP_MAX; i++) {
		pvh_ranges[n].base = e[i].addr;
		pvh_ranges[n].length = e[i].size;
		pvh_ranges[n].type = memmap_e820_type(e[i].type);
		n++;
	}
	rc = memmap_normalize(pvh_ranges, n, MEMMAP_MAX);
	if (rc <= 0)
		early_fail("PVH memory map is empty or too fragmented");
	n = (uint32_t)rc;
	bi->mmap = (uintptr_t)pvh_ranges;
	bi->mmap_count = n;

	const struct hvm_modlist_entry *m =
		(const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;
	for (uint32_t i = 0; i < si->nr_modules && i < PVH_MAX_MODULES; i++) {
		pvh_modules[i].addr = m[i].paddr;
		pvh_modules[i].size = m[i].size;
		pvh_modules[i].name = m[i].cmdline_paddr;
		bi->module_count++;
	}
	bi->modules = (uintptr_t)pvh_modules;
	kernel_main(bi);
}

void loader_main(struct boot_info *bi, uint64_t magic)
{
	if (magic != BOOT_INFO_MAGIC || bi->magic != BOOT_INFO_MAGIC)
		early_fail("entered without a boot info (bad magic)");
	if (bi->version < 1 || bi->size < offsetof(struct boot_info, tsc))
		early_fail("boot info version or size too old");
	bi->tsc[BOOT_TS_KERNEL_ENTRY] = boot_entry_tsc;
	kernel_main(bi);
}
