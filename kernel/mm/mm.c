/*
 * Bringing up kernel memory in order: the page allocator from the boot
 * map (which carves out the kernel and the boot data), then the kernel's
 * page tables (whose pages come from the allocator), then the heap (which
 * needs nothing more than both). Also the device-mapping entry point,
 * which only forwards to the architecture.
 */
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include <arch/paging.h>
#include <kernel/console.h>
#include <kernel/errno.h>

static bool ready;

bool mm_ready(void)
{
	return ready;
}

static uint64_t ram_bytes(const struct boot_info *bi)
{
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)bi->mmap;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (r[i].type == BOOT_MEM_USABLE ||
		    r[i].type == BOOT_MEM_BOOTLOADER ||
		    r[i].type == BOOT_MEM_KERNEL)
			sum += r[i].length;
	return sum;
}

int mm_init(const struct boot_info *bi)
{
	struct paging_stats ps;
	uint64_t total, free;
	int rc;

	if (ready) {
		kprintf("mm: mm_init called twice; ignored\n");
		return -KERR_EINVAL;
	}
	if (!bi || !bi->mmap || !bi->mmap_count) {
		kprintf("mm: the boot info has no memory map\n");
		return -KERR_EINVAL;
	}
	rc = pmm_init(bi);
	if (rc < 0)
		return rc;
	rc = paging_init(bi);
	if (rc < 0)
		return rc;
	/* A framebuffer above 4 GiB (OVMF with large BARs) is not in the
	 * identity map yet; failing to map it only costs the display. */
	if (bi->size >= sizeof(*bi) && bi->fb.addr &&
	    mm_map_mmio(bi->fb.addr, (uint64_t)bi->fb.pitch * bi->fb.height))
		kprintf("mm: cannot map the framebuffer at %#llx\n",
			(unsigned long long)bi->fb.addr);
	ready = true;

	pmm_stats(&total, &free);
	paging_get_stats(&ps);
	kprintf("mm: %llu KiB usable, %llu KiB free after the kernel; "
		"page tables: %llu KiB for %llu MiB (%llu x 2 MiB, %llu x "
		"4 KiB pages), NX %s; %llu KiB free below 1 MiB\n",
		(unsigned long long)(ram_bytes(bi) >> 10),
		(unsigned long long)(free >> 10),
		(unsigned long long)(ps.tables * PAGE_SIZE >> 10),
		(unsigned long long)(ps.top >> 20),
		(unsigned long long)ps.pages_2m,
		(unsigned long long)ps.pages_4k, paging_nx() ? "on" : "off",
		(unsigned long long)(pmm_low_free_bytes() >> 10));
	return 0;
}

int mm_map_mmio(uint64_t phys, uint64_t size)
{
	return paging_map_mmio(phys, size);
}
