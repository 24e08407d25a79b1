/*
 * Kernel memory: physical pages (kernel/mm/pmm.c), the kernel's own page
 * tables (kernel/arch/x86_64/paging.c), kernel stacks with guard pages
 * (kernel/mm/kstack.c) and the kernel heap (kernel/mm/heap.c).
 *
 * Ordering rule: mm_init runs once, in kernel_main after the console is up
 * and before anything allocates. Until then every allocator returns
 * 0/NULL. All physical memory is identity mapped, so a physical address
 * from pmm_alloc is also a usable pointer.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <skiff/bootinfo.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
/* Conventional memory: kept out of pmm_alloc, see pmm_alloc_low_page. */
#define MM_LOW_LIMIT 0x100000ULL

/*
 * Build the page allocator from the boot memory map, switch to the
 * kernel's page tables and make the heap usable; print one "mm:" summary
 * line. The boot info, its memory map, command line, module array, module
 * images and names stay untouched (and valid) until
 * pmm_reclaim_bootloader. Returns 0, -KERR_ENOMEM when there is no usable
 * RAM (or too little for the allocator's own tables), -KERR_EINVAL for a
 * boot info without a memory map or a second call. On failure it prints
 * why; the caller should stop.
 */
int mm_init(const struct boot_info *bi);

/* True once mm_init has succeeded. */
bool mm_ready(void);

/*
 * Physical pages, 4 KiB each, all at or above MM_LOW_LIMIT.
 * pmm_alloc: 'pages' physically contiguous pages (lowest address first
 * fit) or 0 when there is no such run; it logs nothing. pmm_free of memory
 * that is not allocated (double free, or never the allocator's) logs one
 * line and is otherwise ignored. Both are safe with interrupts off and
 * from interrupt handlers.
 */
uint64_t pmm_alloc(size_t pages);
void pmm_free(uint64_t pa, size_t pages);

/* Total and free bytes of the pool pmm_alloc serves (low memory apart). */
void pmm_stats(uint64_t *total, uint64_t *free);

/* One free page below MM_LOW_LIMIT (never page 0) from usable RAM that
 * holds no boot data, for the SMP trampoline; 0 if none. Give it back
 * with pmm_free. */
uint64_t pmm_alloc_low_page(void);

/*
 * Hand the loader's memory to the allocator: the ranges typed bootloader
 * (boot info, loader page tables, modules) and the pages of usable RAM
 * that mm_init kept back because boot data lived there. Call it only
 * after mm_init, once nothing reads the boot info, the command line it
 * points to or a module any more (copy what you need first): afterwards
 * kernel_boot_info() points into memory that may be reused. Returns the
 * number of bytes released; a second call releases nothing.
 */
uint64_t pmm_reclaim_bootloader(void);

/*
 * Map [phys, phys + size) uncached for device registers (LAPIC, IOAPIC,
 * PCI BARs above 4 GiB). Pages already mapped (RAM, and the whole first
 * 4 GiB, whose holes are uncached already) are left as they are. Returns
 * 0, -KERR_EINVAL for a range that wraps or leaves the physical address
 * space, -KERR_ENOMEM when a page table cannot be allocated.
 */
int mm_map_mmio(uint64_t phys, uint64_t size);

/*
 * A kernel stack of at least 'bytes' (rounded up to pages): returns its
 * top (16-byte aligned, the initial stack pointer) with an unmapped guard
 * page right below the lowest usable byte, so an overflow faults instead
 * of corrupting memory. NULL when memory is exhausted. kstack_free takes
 * the same top and bytes. Freed stacks are cached with their guard page
 * (bounded: 64 stacks, 1/32 of RAM, 4 MiB) and reused for the same size,
 * so that in the common case neither call changes a mapping or sends a
 * TLB shootdown. The memory is not zeroed. kstack_alloc is not for
 * interrupt handlers (a miss waits for the other CPUs' TLB flush);
 * kstack_free is safe in any context.
 */
void *kstack_alloc(size_t bytes);
void kstack_free(void *top, size_t bytes);

/* Give every cached stack back to the page allocator; returns the bytes
 * released. Needs no TLB shootdown; any context. */
uint64_t kstack_cache_drain(void);

struct kstack_stats {
	uint64_t hits;	   /* kstack_alloc served from the cache */
	uint64_t misses;   /* ... from pmm_alloc, with a new guard page */
	uint64_t released; /* kstack_free with the cache full */
	unsigned cached;   /* stacks in the cache now */
	uint64_t cached_bytes;
};
void kstack_get_stats(struct kstack_stats *s);

/*
 * The kernel heap. Every block is 16-byte aligned (not page aligned: use
 * pmm_alloc for that). kmalloc(0) returns a unique pointer of the
 * smallest size class, which kfree accepts. Exhausted memory gives NULL.
 * kfree(NULL) does nothing; a pointer that kmalloc did not return, or a
 * second kfree, is logged with its callers' return addresses, counted
 * and ignored where detectable. krealloc keeps
 * the block when it fits, returns NULL (keeping the old block) on
 * exhaustion, and frees it for size 0 (returning NULL). Safe in any
 * context: the heap lock is taken with interrupts off.
 */
void *kmalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void kfree(void *p);

/* A block aligned to align (a power of two), freed with kfree; NULL for
 * a bad alignment or exhausted memory. */
void *kmemalign(size_t align, size_t size);

/* Bytes a block can hold (>= what was asked for), or 0 for a bad p. */
size_t kmalloc_usable_size(const void *p);

/* How many frees the heap has refused since boot. */
uint64_t kheap_bad_frees(void);

#endif
