/*
 * What the parts of kernel/mm share with each other and with the
 * architecture's paging code, but not with the rest of the kernel.
 */
#ifndef KERNEL_MM_INTERNAL_H
#define KERNEL_MM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/mm.h>

#define PAGE_MASK (PAGE_SIZE - 1)

static inline uint64_t page_down(uint64_t a)
{
	return a & ~PAGE_MASK;
}

/* Saturates instead of wrapping at the top of the address space. */
static inline uint64_t page_up(uint64_t a)
{
	return a > UINT64_MAX - PAGE_MASK ? page_down(UINT64_MAX)
					  : page_down(a + PAGE_MASK);
}

/* Build the allocator from the boot map; prints why it fails. */
int pmm_init(const struct boot_info *bi);

/* The i-th piece of memory the kernel still needs at entry (the kernel
 * image, then the boot info, its memory map, command line, loader name,
 * module array, and each module's image and name), as [*base, *end).
 * False once i is past the last; an absent piece is an empty range. */
bool mm_boot_extent(const struct boot_info *bi, uint32_t i, uint64_t *base,
		    uint64_t *end);

/* Free low memory, for the mm summary line. */
uint64_t pmm_low_free_bytes(void);

#endif
