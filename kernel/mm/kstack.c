/*
 * Kernel stacks with a guard page: the pages come from pmm_alloc, and the
 * lowest one is unmapped from the identity map, so running off the bottom
 * of a stack faults at once (on an IST stack, in the double-fault
 * handler) instead of overwriting whatever lies below.
 *
 * Layout for n usable pages: [guard][page 1] ... [page n], top = end.
 */
#include <stdint.h>

#include "internal.h"
#include <arch/paging.h>
#include <kernel/console.h>

/* Pages for 'bytes' plus the guard, or 0 if that overflows. */
static uint64_t stack_pages(size_t bytes)
{
	if (!bytes || bytes > SIZE_MAX - PAGE_SIZE)
		return 0;
	return page_up(bytes) / PAGE_SIZE + 1;
}

void *kstack_alloc(size_t bytes)
{
	uint64_t pages = stack_pages(bytes), base;

	if (!pages)
		return NULL;
	base = pmm_alloc(pages);
	if (!base)
		return NULL;
	if (paging_set_guard(base, true) < 0) {
		pmm_free(base, pages);
		return NULL;
	}
	return (void *)(uintptr_t)(base + pages * PAGE_SIZE);
}

void kstack_free(void *top, size_t bytes)
{
	uint64_t pages = stack_pages(bytes);
	uint64_t base = (uintptr_t)top - pages * PAGE_SIZE;
	int rc;

	if (!top || !pages)
		return;
	/* Map the guard back first: the pmm hands out identity-mapped
	 * memory only. */
	rc = paging_set_guard(base, false);
	if (rc < 0) {
		kprintf("mm: kstack_free(%p, %zu): no guard page below; "
			"ignored\n",
			top, bytes);
		return;
	}
	pmm_free(base, pages);
}
