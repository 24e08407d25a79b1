/*
 * The physical page allocator: two bitmaps with one bit per 4 KiB page
 * from address 0 to the end of the highest RAM range. 'owned' marks the
 * pages the allocator manages at all (whole pages of usable RAM, less the
 * kernel image, the boot data of docs/boot-protocol.md and the bitmaps
 * themselves); 'free' marks those not handed out. Keeping both lets
 * pmm_free tell a double free from a free of memory that was never ours.
 *
 * The first MM_LOW_LIMIT bytes (exactly LOW_WORDS bitmap words) form a
 * separate pool that only pmm_alloc_low_page serves, so that the real-mode
 * SMP trampoline finds a page there. Page 0 is never owned.
 *
 * Single pages come from a search that starts at 'hint', below which no
 * word of the general pool has a free bit: allocation is O(1) amortised
 * and prefers low addresses, which keeps early allocations (the page
 * tables, built before the switch) inside the loader's 4 GiB identity map.
 * Runs are found first-fit, skipping 64 pages at a time where possible.
 *
 * Locking: one spinlock, taken with interrupts off; it is the innermost
 * lock of kernel/mm (the heap and the page-table code call in with theirs
 * held).
 */
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/spinlock.h>

#define BITS_PER_WORD 64
#define LOW_PAGES (MM_LOW_LIMIT / PAGE_SIZE)
#define LOW_WORDS (LOW_PAGES / BITS_PER_WORD)
_Static_assert(LOW_PAGES % BITS_PER_WORD == 0, "low pool is whole words");
/* The bitmaps must sit where the loader's identity map reaches. */
#define BOOT_IDENTITY_LIMIT 0x100000000ULL
#define NO_PAGE UINT64_MAX
#define ALL_ONES UINT64_MAX

extern char __kernel_start[], __kernel_end[];

struct pmm {
	struct spinlock lock;
	uint64_t *free_map;  /* 1 = free */
	uint64_t *owned_map; /* 1 = managed by the allocator */
	uint64_t npages;     /* pages the maps cover */
	uint64_t nwords;
	uint64_t hint; /* no free bit in general words [LOW_WORDS, hint) */
	uint64_t total, nfree; /* general pool, pages */
	uint64_t low_total, low_free;
	uint64_t store_base, store_end; /* the bitmaps' own pages */
	const struct boot_info *bi;
	bool reclaimed;
};

static struct pmm pmm = { .lock = SPINLOCK_INIT };

static uint64_t cstr_end(uint64_t addr)
{
	return addr ? addr + strlen((const char *)(uintptr_t)addr) + 1 : 0;
}

static uint64_t clamp_end(uint64_t base, uint64_t len)
{
	return len > UINT64_MAX - base ? UINT64_MAX : base + len;
}

enum boot_extent_index {
	EXT_KERNEL,
	EXT_BOOT_INFO,
	EXT_MMAP,
	EXT_CMDLINE,
	EXT_LOADER_NAME,
	EXT_MODULES,
	EXT_FIRST_MODULE, /* then image, name for each module */
};

bool mm_boot_extent(const struct boot_info *bi, uint32_t i, uint64_t *base,
		    uint64_t *end)
{
	const struct boot_module *m =
		(const struct boot_module *)(uintptr_t)bi->modules;
	uint32_t k;

	*base = 0;
	*end = 0;
	switch (i) {
	case EXT_KERNEL:
		*base = (uintptr_t)__kernel_start;
		*end = (uintptr_t)__kernel_end;
		return true;
	case EXT_BOOT_INFO:
		*base = (uintptr_t)bi;
		*end = *base +
		       (bi->size > sizeof(*bi) ? bi->size : sizeof(*bi));
		return true;
	case EXT_MMAP:
		*base = bi->mmap;
		*end = clamp_end(bi->mmap,
				 (uint64_t)bi->mmap_count *
					 sizeof(struct boot_mem_range));
		return true;
	case EXT_CMDLINE:
		*base = bi->cmdline;
		*end = cstr_end(bi->cmdline);
		return true;
	case EXT_LOADER_NAME:
		*base = bi->loader_name;
		*end = cstr_end(bi->loader_name);
		return true;
	case EXT_MODULES:
		if (!bi->modules)
			return true;
		*base = bi->modules;
		*end = clamp_end(bi->modules,
				 (uint64_t)bi->module_count *
					 sizeof(struct boot_module));
		return true;
	}
	k = (i - EXT_FIRST_MODULE) / 2;
	if (!bi->modules || k >= bi->module_count)
		return false;
	if ((i - EXT_FIRST_MODULE) % 2 == 0) {
		*base = m[k].addr;
		*end = m[k].addr ? clamp_end(m[k].addr, m[k].size) : 0;
	} else {
		*base = m[k].name;
		*end = cstr_end(m[k].name);
	}
	return true;
}

static bool test_bit(const uint64_t *map, uint64_t i)
{
	return map[i / BITS_PER_WORD] & BIT(i % BITS_PER_WORD);
}

/* Set (val) or clear bits [first, first + n) of map, a word at a time. */
static void fill_bits(uint64_t *map, uint64_t first, uint64_t n, bool val)
{
	while (n) {
		uint64_t w = first / BITS_PER_WORD;
		unsigned b = first % BITS_PER_WORD;
		uint64_t take = BITS_PER_WORD - b, mask;

		if (take > n)
			take = n;
		mask = take == BITS_PER_WORD ? ALL_ONES : (BIT(take) - 1) << b;
		if (val)
			map[w] |= mask;
		else
			map[w] &= ~mask;
		first += take;
		n -= take;
	}
}

static uint64_t popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

static uint64_t count_free(uint64_t w_from, uint64_t w_to)
{
	uint64_t n = 0;

	for (uint64_t w = w_from; w < w_to; w++)
		n += popcount64(pmm.free_map[w]);
	return n;
}

/* First run of n free pages in [from, to), or NO_PAGE. Bits past npages
 * are never set, so runs cannot leave the map. */
static uint64_t find_run(uint64_t from, uint64_t to, uint64_t n)
{
	uint64_t i = from;

	while (i < to) {
		uint64_t w = i / BITS_PER_WORD, start, bits;

		bits = pmm.free_map[w] >> (i % BITS_PER_WORD);
		if (!bits) {
			i = (w + 1) * BITS_PER_WORD;
			continue;
		}
		i += __builtin_ctzll(bits);
		start = i;
		while (i < to && i - start < n) {
			uint64_t used;

			w = i / BITS_PER_WORD;
			used = ~pmm.free_map[w] >> (i % BITS_PER_WORD);
			if (!used) {
				i = (w + 1) * BITS_PER_WORD;
				continue;
			}
			i += __builtin_ctzll(used);
			break;
		}
		if (i > to)
			i = to;
		if (i - start >= n)
			return start;
	}
	return NO_PAGE;
}

/* Move the hint past fully allocated words; amortised O(1), since it
 * only moves back when a page below it is freed. Lock held. */
static void advance_hint(void)
{
	while (pmm.hint < pmm.nwords && !pmm.free_map[pmm.hint])
		pmm.hint++;
}

uint64_t pmm_alloc(size_t pages)
{
	uint64_t flags, first, end;

	if (!pages || !pmm.free_map)
		return 0;
	flags = spin_lock_irqsave(&pmm.lock);
	end = pmm.nwords * BITS_PER_WORD;
	first = pages <= pmm.nfree
			? find_run(pmm.hint * BITS_PER_WORD, end, pages)
			: NO_PAGE;
	if (first != NO_PAGE) {
		fill_bits(pmm.free_map, first, pages, false);
		pmm.nfree -= pages;
		advance_hint();
	}
	spin_unlock_irqrestore(&pmm.lock, flags);
	return first == NO_PAGE ? 0 : first * PAGE_SIZE;
}

uint64_t pmm_alloc_low_page(void)
{
	uint64_t flags, page;

	if (!pmm.free_map)
		return 0;
	flags = spin_lock_irqsave(&pmm.lock);
	page = find_run(1, LOW_PAGES, 1);
	if (page != NO_PAGE) {
		fill_bits(pmm.free_map, page, 1, false);
		pmm.low_free--;
	}
	spin_unlock_irqrestore(&pmm.lock, flags);
	return page == NO_PAGE ? 0 : page * PAGE_SIZE;
}

/* Why [first, first + n) cannot be freed, or NULL if it can. */
static const char *free_error(uint64_t pa, uint64_t first, uint64_t n)
{
	if (pa & PAGE_MASK)
		return "not page aligned";
	if (!n || first >= pmm.npages || n > pmm.npages - first)
		return "not memory the allocator manages";
	if (first < LOW_PAGES && first + n > LOW_PAGES)
		return "straddles the 1 MiB line";
	for (uint64_t i = first; i < first + n; i++) {
		if (!test_bit(pmm.owned_map, i))
			return "not memory the allocator manages";
		if (test_bit(pmm.free_map, i))
			return "already free (double free)";
	}
	return NULL;
}

void pmm_free(uint64_t pa, size_t pages)
{
	uint64_t flags, first = pa / PAGE_SIZE;
	const char *why;

	if (!pmm.free_map)
		return;
	flags = spin_lock_irqsave(&pmm.lock);
	why = free_error(pa, first, pages);
	if (!why) {
		fill_bits(pmm.free_map, first, pages, true);
		if (first < LOW_PAGES) {
			pmm.low_free += pages;
		} else {
			pmm.nfree += pages;
			if (first / BITS_PER_WORD < pmm.hint)
				pmm.hint = first / BITS_PER_WORD;
		}
	}
	spin_unlock_irqrestore(&pmm.lock, flags);
	if (why)
		kprintf("mm: pmm_free(%#llx, %zu pages): %s; ignored\n",
			(unsigned long long)pa, pages, why);
}

void pmm_stats(uint64_t *total, uint64_t *free)
{
	uint64_t flags = spin_lock_irqsave(&pmm.lock);

	if (total)
		*total = pmm.total * PAGE_SIZE;
	if (free)
		*free = pmm.nfree * PAGE_SIZE;
	spin_unlock_irqrestore(&pmm.lock, flags);
}

static const struct boot_mem_range *boot_ranges(const struct boot_info *bi)
{
	return (const struct boot_mem_range *)(uintptr_t)bi->mmap;
}

/* Does [base, end) overlap a boot extent (the kernel included)? If so,
 * *skip_to is the end of the one found. */
static bool hits_boot_data(const struct boot_info *bi, uint64_t base,
			   uint64_t end, uint64_t *skip_to)
{
	uint64_t eb, ee;

	for (uint32_t i = 0; mm_boot_extent(bi, i, &eb, &ee); i++) {
		if (eb < ee && eb < end && base < ee) {
			*skip_to = page_up(ee);
			return true;
		}
	}
	return false;
}

/* Room for 'bytes' of bitmaps in usable RAM above 1 MiB, below the
 * loader's identity-map limit and clear of all boot data; 0 if none. */
static uint64_t find_storage(const struct boot_info *bi, uint64_t bytes)
{
	const struct boot_mem_range *r = boot_ranges(bi);

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		uint64_t base = page_up(r[i].base), skip;
		uint64_t end = page_down(clamp_end(r[i].base, r[i].length));

		if (r[i].type != BOOT_MEM_USABLE)
			continue;
		if (base < MM_LOW_LIMIT)
			base = MM_LOW_LIMIT;
		if (end > BOOT_IDENTITY_LIMIT)
			end = BOOT_IDENTITY_LIMIT;
		while (base < end && end - base >= bytes) {
			if (!hits_boot_data(bi, base, base + bytes, &skip))
				return base;
			base = skip;
		}
	}
	return 0;
}

/* Own and free the whole pages of [base, end) that are not page 0. */
static void add_free(uint64_t base, uint64_t end)
{
	uint64_t first = page_up(base) / PAGE_SIZE;
	uint64_t last = page_down(end) / PAGE_SIZE;

	if (last > pmm.npages)
		last = pmm.npages;
	if (first == 0)
		first = 1;
	if (first >= last)
		return;
	fill_bits(pmm.owned_map, first, last - first, true);
	fill_bits(pmm.free_map, first, last - first, true);
}

/* Disown every page that [base, end) touches. */
static void take_out(uint64_t base, uint64_t end)
{
	uint64_t first = page_down(base) / PAGE_SIZE;
	uint64_t last = page_up(end) / PAGE_SIZE;

	if (last > pmm.npages)
		last = pmm.npages;
	if (first >= last)
		return;
	fill_bits(pmm.owned_map, first, last - first, false);
	fill_bits(pmm.free_map, first, last - first, false);
}

static void recount(void)
{
	pmm.low_free = count_free(0, LOW_WORDS);
	pmm.nfree = count_free(LOW_WORDS, pmm.nwords);
	pmm.low_total = pmm.low_free;
	pmm.total = pmm.nfree;
	pmm.hint = LOW_WORDS;
	advance_hint();
}

int pmm_init(const struct boot_info *bi)
{
	const struct boot_mem_range *r = boot_ranges(bi);
	uint64_t top = 0, bytes, store, eb, ee;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		uint64_t end = page_down(clamp_end(r[i].base, r[i].length));

		if ((r[i].type == BOOT_MEM_USABLE ||
		     r[i].type == BOOT_MEM_BOOTLOADER) &&
		    end > top)
			top = end;
	}
	if (top <= MM_LOW_LIMIT) {
		kprintf("mm: the memory map has no usable RAM above 1 MiB\n");
		return -KERR_ENOMEM;
	}
	pmm.npages = top / PAGE_SIZE;
	pmm.nwords = (pmm.npages + BITS_PER_WORD - 1) / BITS_PER_WORD;
	bytes = page_up(2 * pmm.nwords * sizeof(uint64_t));
	store = find_storage(bi, bytes);
	if (!store) {
		kprintf("mm: no room below 4 GiB for the page bitmaps "
			"(%llu KiB) outside the kernel and boot data\n",
			(unsigned long long)(bytes >> 10));
		return -KERR_ENOMEM;
	}
	pmm.free_map = (uint64_t *)(uintptr_t)store;
	pmm.owned_map = pmm.free_map + pmm.nwords;
	pmm.store_base = store;
	pmm.store_end = store + bytes;
	memset(pmm.free_map, 0, bytes);

	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (r[i].type == BOOT_MEM_USABLE)
			add_free(r[i].base, clamp_end(r[i].base, r[i].length));
	for (uint32_t i = 0; mm_boot_extent(bi, i, &eb, &ee); i++)
		take_out(eb, ee);
	take_out(pmm.store_base, pmm.store_end);
	pmm.bi = bi;
	recount();
	if (!pmm.nfree) {
		kprintf("mm: no free RAM above 1 MiB after the kernel and "
			"boot data\n");
		pmm.free_map = NULL;
		return -KERR_ENOMEM;
	}
	return 0;
}

static bool page_is_type(const struct boot_info *bi, uint64_t pa, uint32_t type)
{
	const struct boot_mem_range *r = boot_ranges(bi);

	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (r[i].type == type && r[i].base <= pa &&
		    clamp_end(r[i].base, r[i].length) >= pa + PAGE_SIZE)
			return true;
	return false;
}

/* Give a page of boot data in usable RAM back, unless it is the kernel's
 * or the bitmaps' or already ours. Called with the lock held. */
static uint64_t release_page(uint64_t pa)
{
	uint64_t page = pa / PAGE_SIZE;

	if (!page || page >= pmm.npages || test_bit(pmm.owned_map, page))
		return 0;
	if (pa >= page_down((uintptr_t)__kernel_start) &&
	    pa < page_up((uintptr_t)__kernel_end))
		return 0;
	if (pa >= pmm.store_base && pa < pmm.store_end)
		return 0;
	if (!page_is_type(pmm.bi, pa, BOOT_MEM_USABLE))
		return 0;
	fill_bits(pmm.owned_map, page, 1, true);
	fill_bits(pmm.free_map, page, 1, true);
	return PAGE_SIZE;
}

uint64_t pmm_reclaim_bootloader(void)
{
	const struct boot_info *bi = pmm.bi;
	uint64_t flags, freed = 0, before, eb, ee;

	if (!pmm.free_map || pmm.reclaimed)
		return 0;
	flags = spin_lock_irqsave(&pmm.lock);
	before = count_free(0, pmm.nwords);
	/* Only bitmaps are written here, never freed memory, so the boot
	 * info stays readable while its own pages are released. */
	for (uint32_t i = EXT_BOOT_INFO; mm_boot_extent(bi, i, &eb, &ee); i++)
		for (uint64_t pa = page_down(eb); pa < ee; pa += PAGE_SIZE)
			release_page(pa);
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_range *r = &boot_ranges(bi)[i];

		if (r->type == BOOT_MEM_BOOTLOADER)
			add_free(r->base, clamp_end(r->base, r->length));
	}
	freed = (count_free(0, pmm.nwords) - before) * PAGE_SIZE;
	pmm.total += count_free(LOW_WORDS, pmm.nwords) - pmm.nfree;
	pmm.low_total += count_free(0, LOW_WORDS) - pmm.low_free;
	pmm.nfree = count_free(LOW_WORDS, pmm.nwords);
	pmm.low_free = count_free(0, LOW_WORDS);
	pmm.hint = LOW_WORDS;
	advance_hint();
	pmm.reclaimed = true;
	pmm.bi = NULL;
	spin_unlock_irqrestore(&pmm.lock, flags);
	return freed;
}

uint64_t pmm_low_free_bytes(void)
{
	return pmm.low_free * PAGE_SIZE;
}
