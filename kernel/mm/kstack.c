/*
 * Kernel stacks with a guard page: the pages come from pmm_alloc, and the
 * lowest one is unmapped from the identity map, so running off the bottom
 * of a stack faults at once (on an IST stack, in the double-fault
 * handler) instead of overwriting whatever lies below.
 *
 * Layout for n usable pages: [guard][page 1] ... [page n], top = end.
 *
 * Unmapping a guard page takes a TLB shootdown: every other CPU must
 * flush the page, and the caller waits for all of them, because until
 * then an overflow on a CPU with a stale entry would not fault. Under a
 * hypervisor that deschedules vCPUs that wait lasts until the slowest
 * vCPU runs again (up to 100 ms and more with 4 vCPUs on 2 host cores
 * under TCG), which made a thread per connection a few connections a
 * second. So freed stacks are cached with their guard still unmapped,
 * one free list per size, and handed out again: creating and ending a
 * thread then changes no mapping at all. The page tables are touched only
 * on a miss (no cached stack of that size: unmap a new guard, one
 * shootdown) and when the cache is full (map the guard back, which needs
 * no shootdown as no CPU caches a not-present entry, then pmm_free).
 *
 * Stacks stay in the identity map on purpose. A separate virtual region
 * whose guard pages are never mapped (Linux's vmalloc'd stacks) would
 * need the same cache, since unmapping a freed stack's pages takes the
 * same shootdown, and it would break the rule that a kernel pointer is
 * its physical address, which drivers rely on when they hand a buffer on
 * the stack to a device.
 *
 * The cache is bounded (KSTACK_CACHE_MAX stacks and 1/32 of RAM, at most
 * KSTACK_CACHE_BYTES), and kstack_cache_drain() gives it all back to the
 * page allocator; allocators call it before they report exhaustion.
 * Lock order: cache_lock, then the page table and pmm locks.
 */
#include <stdint.h>

#include "internal.h"
#include <arch/paging.h>
#include <kernel/console.h>
#include <kernel/spinlock.h>

#define KSTACK_CACHE_MAX 64
#define KSTACK_CACHE_BYTES (4ULL << 20)
#define KSTACK_CACHE_RAM_SHARE 32
/* Stack sizes cached at once: the default, main's, the app's own. */
#define KSTACK_CACHE_SIZES 4

/* Kept in the top bytes of a cached stack's usable memory. */
struct cached_stack {
	struct cached_stack *next;
};

struct stack_list {
	uint64_t pages; /* guard included; any size while count is 0 */
	unsigned count;
	struct cached_stack *head;
};

static struct spinlock cache_lock = SPINLOCK_INIT;
static struct stack_list cache[KSTACK_CACHE_SIZES];
static unsigned cache_count;
static uint64_t cache_pages, cache_limit_pages;
static struct kstack_stats stats;

/* Pages for 'bytes' plus the guard, or 0 if that overflows. */
static uint64_t stack_pages(size_t bytes)
{
	if (!bytes || bytes > SIZE_MAX - PAGE_SIZE)
		return 0;
	return page_up(bytes) / PAGE_SIZE + 1;
}

static struct cached_stack *node_of(uint64_t base, uint64_t pages)
{
	return (struct cached_stack *)(uintptr_t)(base + pages * PAGE_SIZE -
						  sizeof(struct cached_stack));
}

static uint64_t base_of(const struct cached_stack *c, uint64_t pages)
{
	return (uintptr_t)c + sizeof(struct cached_stack) - pages * PAGE_SIZE;
}

/* Map the guard back and free the pages; no shootdown (see above). */
static void release(uint64_t base, uint64_t pages)
{
	if (paging_set_guard(base, false) < 0) {
		kprintf("mm: kstack: stack at %#llx has no guard page; "
			"not freed\n",
			(unsigned long long)base);
		return;
	}
	pmm_free(base, pages);
}

/* A cached stack of this size, or 0. */
static uint64_t cache_take(uint64_t pages)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock), base = 0;

	for (unsigned i = 0; i < KSTACK_CACHE_SIZES; i++) {
		struct stack_list *l = &cache[i];
		struct cached_stack *c;

		if (l->pages != pages || !l->count)
			continue;
		c = l->head;
		l->head = c->next;
		l->count--;
		cache_count--;
		cache_pages -= pages;
		base = base_of(c, pages);
		stats.hits++;
		break;
	}
	if (!base)
		stats.misses++;
	spin_unlock_irqrestore(&cache_lock, flags);
	return base;
}

/* Keep the stack if there is room; false if the caller must release it. */
static bool cache_put(uint64_t base, uint64_t pages)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock);
	struct stack_list *l = NULL;
	struct cached_stack *c;

	if (!cache_limit_pages) {
		uint64_t total, free;

		pmm_stats(&total, &free);
		cache_limit_pages = total / KSTACK_CACHE_RAM_SHARE / PAGE_SIZE;
		if (cache_limit_pages > KSTACK_CACHE_BYTES / PAGE_SIZE)
			cache_limit_pages = KSTACK_CACHE_BYTES / PAGE_SIZE;
	}
	if (cache_count < KSTACK_CACHE_MAX &&
	    cache_pages + pages <= cache_limit_pages) {
		for (unsigned i = 0; i < KSTACK_CACHE_SIZES; i++) {
			if (cache[i].count && cache[i].pages == pages) {
				l = &cache[i];
				break;
			}
			if (!cache[i].count && !l)
				l = &cache[i];
		}
	}
	if (!l) {
		stats.released++;
		spin_unlock_irqrestore(&cache_lock, flags);
		return false;
	}
	c = node_of(base, pages);
	c->next = l->head;
	l->head = c;
	l->pages = pages;
	l->count++;
	cache_count++;
	cache_pages += pages;
	spin_unlock_irqrestore(&cache_lock, flags);
	return true;
}

void *kstack_alloc(size_t bytes)
{
	uint64_t pages = stack_pages(bytes), base;

	if (!pages)
		return NULL;
	base = cache_take(pages);
	if (base)
		return (void *)(uintptr_t)(base + pages * PAGE_SIZE);
	base = pmm_alloc(pages);
	if (!base && kstack_cache_drain())
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

	if (!top || !pages)
		return;
	/* Whatever is cached must be a guard-paged stack. */
	if (paging_query(base, NULL)) {
		kprintf("mm: kstack_free(%p, %zu): no guard page below; "
			"ignored\n",
			top, bytes);
		return;
	}
	if (!cache_put(base, pages))
		release(base, pages);
}

uint64_t kstack_cache_drain(void)
{
	struct cached_stack *lists[KSTACK_CACHE_SIZES];
	uint64_t sizes[KSTACK_CACHE_SIZES], flags, bytes;

	flags = spin_lock_irqsave(&cache_lock);
	for (unsigned i = 0; i < KSTACK_CACHE_SIZES; i++) {
		lists[i] = cache[i].head;
		sizes[i] = cache[i].pages;
		cache[i].head = NULL;
		cache[i].count = 0;
	}
	bytes = cache_pages * PAGE_SIZE;
	cache_count = 0;
	cache_pages = 0;
	spin_unlock_irqrestore(&cache_lock, flags);
	for (unsigned i = 0; i < KSTACK_CACHE_SIZES; i++) {
		while (lists[i]) {
			struct cached_stack *c = lists[i];

			lists[i] = c->next;
			release(base_of(c, sizes[i]), sizes[i]);
		}
	}
	return bytes;
}

void kstack_get_stats(struct kstack_stats *s)
{
	uint64_t flags = spin_lock_irqsave(&cache_lock);

	*s = stats;
	s->cached = cache_count;
	s->cached_bytes = cache_pages * PAGE_SIZE;
	spin_unlock_irqrestore(&cache_lock, flags);
}
