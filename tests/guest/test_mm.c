/*
 * Kernel memory: the page allocator (round trips, contiguous runs,
 * exhaustion, fragmentation, bad frees, low pages), the heap (random
 * sizes with pattern checks, large blocks going back to the page
 * allocator, the corner cases of the API), guard pages of kernel stacks
 * and the permissions in the kernel's page tables, read through
 * paging_query rather than by faulting.
 */
#include "ktest.h"
#include <arch/paging.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/mm.h>

#define EXHAUST_EXTENTS 1024
#define EXHAUST_BLOCK 512 /* pages: 2 MiB */
#define FRAG_PAGES 512
#define HEAP_SLOTS 256
#define HEAP_ROUNDS 4000
#define HEAP_SMALL_MAX 2048
#define HEAP_LARGE_MAX 20000
#define HEAP_LARGE_ONE_IN 16
#define SLAB_CACHE_SLACK (16 * PAGE_SIZE) /* one kept empty slab a class */
#define STACK_BYTES (16 * 1024)
#define LAPIC_BASE 0xfee00000ULL
#define MMIO_TEST_SIZE (PAGE_SIZE_2M + 2 * PAGE_SIZE)

extern char __kernel_start[], __kernel_end[];

static const char rodata_probe[] = "read-only";
static volatile int data_probe = 1;
static int bss_probe;

/* kernel_main ran mm_init before the app: every test relies on it. */
static bool mm_up(struct ktest *t)
{
	return KT_CHECK(t, mm_ready());
}

static uint64_t pmm_free_bytes(void)
{
	uint64_t total, free;

	pmm_stats(&total, &free);
	return free;
}

/* xorshift64 (Marsaglia 2003): enough randomness for a test. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool in_usable_ram(uint64_t pa, uint64_t len)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)bi->mmap;

	for (uint32_t i = 0; i < bi->mmap_count; i++)
		if (r[i].type == BOOT_MEM_USABLE && r[i].base <= pa &&
		    r[i].base + r[i].length >= pa + len)
			return true;
	return false;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Is [pa, pa + len) clear of the kernel and everything the boot info
 * points to? */
static bool clear_of_boot_data(uint64_t pa, uint64_t len)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_module *m =
		(const struct boot_module *)(uintptr_t)bi->modules;
	const char *cl = (const char *)(uintptr_t)bi->cmdline;

	if (overlaps(pa, len, (uintptr_t)__kernel_start,
		     (uintptr_t)__kernel_end - (uintptr_t)__kernel_start) ||
	    overlaps(pa, len, (uintptr_t)bi, sizeof(*bi)) ||
	    overlaps(pa, len, bi->mmap,
		     bi->mmap_count * sizeof(struct boot_mem_range)))
		return false;
	if (cl && overlaps(pa, len, bi->cmdline, strlen(cl) + 1))
		return false;
	for (uint32_t i = 0; i < bi->module_count; i++)
		if (overlaps(pa, len, m[i].addr, m[i].size))
			return false;
	return true;
}

static bool good_block(uint64_t pa, size_t pages)
{
	return pa && !(pa & (PAGE_SIZE - 1)) && pa >= MM_LOW_LIMIT &&
	       in_usable_ram(pa, pages * PAGE_SIZE) &&
	       clear_of_boot_data(pa, pages * PAGE_SIZE);
}

KTEST(mm_init_summary)
{
	uint64_t total, free;

	if (!mm_up(t))
		return;
	pmm_stats(&total, &free);
	KT_CHECK(t, total > 0);
	KT_CHECK(t, free > 0 && free <= total);
	KT_CHECK_EQ(t, mm_init(kernel_boot_info()), -KERR_EINVAL);
}

KTEST(mm_pmm_roundtrip)
{
	uint64_t pages[16], before, pa;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = pmm_alloc(1);
		if (!KT_CHECK(t, good_block(pages[i], 1)))
			continue;
		memset((void *)(uintptr_t)pages[i], (int)i, PAGE_SIZE);
		for (unsigned j = 0; j < i; j++)
			KT_CHECK(t, pages[j] != pages[i]);
	}
	KT_CHECK_EQ(t, pmm_free_bytes(),
		    before - sizeof(pages) / 8 * PAGE_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
		const unsigned char *p =
			(const unsigned char *)(uintptr_t)pages[i];

		if (!pages[i])
			continue;
		KT_CHECK_EQ(t, p[0], i);
		KT_CHECK_EQ(t, p[PAGE_SIZE - 1], i);
		pmm_free(pages[i], 1);
	}
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
	/* Freed pages come back: the lowest is handed out again. */
	pa = pmm_alloc(1);
	KT_CHECK_EQ(t, pa, pages[0]);
	pmm_free(pa, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
}

KTEST(mm_pmm_contiguous)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 64, 513 };
	uint64_t blocks[ARRAY_SIZE(sizes)], before;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t len = sizes[i] * PAGE_SIZE;

		blocks[i] = pmm_alloc(sizes[i]);
		if (!KT_CHECK(t, good_block(blocks[i], sizes[i])))
			continue;
		/* Touch both ends: the whole run is ours and mapped. */
		*(volatile uint64_t *)(uintptr_t)blocks[i] = len;
		*(volatile uint64_t *)(uintptr_t)(blocks[i] + len - 8) = len;
		for (unsigned j = 0; j < i; j++)
			KT_CHECK(t, !blocks[j] ||
					    !overlaps(blocks[i], len, blocks[j],
						      sizes[j] * PAGE_SIZE));
	}
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t len = sizes[i] * PAGE_SIZE;

		if (!blocks[i])
			continue;
		KT_CHECK_EQ(t, *(volatile uint64_t *)(uintptr_t)blocks[i], len);
		KT_CHECK_EQ(
			t,
			*(volatile uint64_t *)(uintptr_t)(blocks[i] + len - 8),
			len);
		pmm_free(blocks[i], sizes[i]);
	}
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
}

/* What mm_pmm_exhaust took, merged into runs. The pages themselves are
 * not touched: first touches of guest RAM are slow under some hosts. */
struct extent {
	uint64_t pa, pages;
};

static bool record(struct extent *ext, unsigned *n, uint64_t pa, uint64_t pages)
{
	if (*n && ext[*n - 1].pa + ext[*n - 1].pages * PAGE_SIZE == pa) {
		ext[*n - 1].pages += pages;
		return true;
	}
	if (*n == EXHAUST_EXTENTS)
		return false;
	ext[*n].pa = pa;
	ext[*n].pages = pages;
	(*n)++;
	return true;
}

/* Take every free page, in 2 MiB blocks while they last and then page by
 * page, until the allocator says no or the record is full; then give
 * them all back. */
KTEST(mm_pmm_exhaust)
{
	static const size_t sizes[] = { EXHAUST_BLOCK, 1 };
	static struct extent ext[EXHAUST_EXTENTS];
	uint64_t before, got = 0, bad = 0, pa = 0;
	unsigned n = 0;
	bool full = false;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	for (unsigned k = 0; k < ARRAY_SIZE(sizes) && !full; k++) {
		while ((pa = pmm_alloc(sizes[k])) != 0) {
			if (!good_block(pa, sizes[k]))
				bad++;
			if (!record(ext, &n, pa, sizes[k])) {
				pmm_free(pa, sizes[k]);
				full = true;
				break;
			}
			got += sizes[k] * PAGE_SIZE;
		}
	}
	KT_CHECK_EQ(t, bad, 0);
	if (KT_CHECK(t, !full)) {
		KT_CHECK_EQ(t, got, before);
		KT_CHECK_EQ(t, pmm_free_bytes(), 0);
		KT_CHECK_EQ(t, pmm_alloc(1), 0);
		KT_CHECK(t, kmalloc(HEAP_LARGE_MAX) == NULL);
	}
	for (unsigned i = 0; i < n; i++)
		pmm_free(ext[i].pa, ext[i].pages);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
}

KTEST(mm_pmm_fragmentation)
{
	uint64_t before, block, pair, again;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	block = pmm_alloc(FRAG_PAGES);
	if (!KT_CHECK(t, good_block(block, FRAG_PAGES)))
		return;
	for (unsigned i = 0; i < FRAG_PAGES; i += 2)
		pmm_free(block + i * PAGE_SIZE, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before - FRAG_PAGES / 2 * PAGE_SIZE);
	/* No two neighbours are free inside the block any more. */
	pair = pmm_alloc(2);
	KT_CHECK(t, good_block(pair, 2));
	KT_CHECK(t,
		 !overlaps(pair, 2 * PAGE_SIZE, block, FRAG_PAGES * PAGE_SIZE));
	if (pair)
		pmm_free(pair, 2);
	for (unsigned i = 1; i < FRAG_PAGES; i += 2)
		pmm_free(block + i * PAGE_SIZE, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
	/* Whole again, and still the lowest run of its size. */
	again = pmm_alloc(FRAG_PAGES);
	KT_CHECK_EQ(t, again, block);
	if (again)
		pmm_free(again, FRAG_PAGES);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
}

/* Each of these logs one line and changes nothing. */
KTEST(mm_pmm_bad_free)
{
	uint64_t before, pa;

	if (!mm_up(t))
		return;
	pa = pmm_alloc(1);
	if (!KT_CHECK(t, pa != 0))
		return;
	pmm_free(pa, 1);
	before = pmm_free_bytes();
	pmm_free(pa, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
	pmm_free((uintptr_t)__kernel_start, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
	pmm_free(pa + 1, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
	KT_CHECK(t, pmm_alloc(1) == pa);
	pmm_free(pa, 1);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
}

KTEST(mm_pmm_low_page)
{
	uint64_t pa, before;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	pa = pmm_alloc_low_page();
	if (!KT_CHECK(t, pa != 0))
		return;
	KT_CHECK(t, pa < MM_LOW_LIMIT);
	KT_CHECK_EQ(t, pa & (PAGE_SIZE - 1), 0);
	KT_CHECK(t, in_usable_ram(pa, PAGE_SIZE));
	KT_CHECK(t, clear_of_boot_data(pa, PAGE_SIZE));
	KT_CHECK(t, pmm_alloc_low_page() != pa);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
	pmm_free(pa, 1);
}

/* The pattern of a block: its size and slot mixed into every byte. */
static unsigned char pattern(size_t size, unsigned slot, size_t i)
{
	return (unsigned char)(size * 31 + slot * 7 + i);
}

KTEST(mm_heap_random)
{
	static unsigned char *ptr[HEAP_SLOTS];
	static size_t len[HEAP_SLOTS];
	uint64_t seed = 0x2545f4914f6cdd1dULL, before;
	unsigned bad_pattern = 0, bad_align = 0, failed = 0;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	for (unsigned round = 0; round < HEAP_ROUNDS; round++) {
		unsigned s = rng_next(&seed) % HEAP_SLOTS;
		size_t n;

		if (ptr[s]) {
			for (size_t i = 0; i < len[s]; i++)
				if (ptr[s][i] != pattern(len[s], s, i)) {
					bad_pattern++;
					break;
				}
			kfree(ptr[s]);
			ptr[s] = NULL;
			continue;
		}
		n = rng_next(&seed) % HEAP_LARGE_ONE_IN
			    ? rng_next(&seed) % HEAP_SMALL_MAX
			    : rng_next(&seed) % HEAP_LARGE_MAX;
		ptr[s] = kmalloc(n);
		len[s] = n;
		if (!ptr[s]) {
			failed++;
			continue;
		}
		if ((uintptr_t)ptr[s] % 16)
			bad_align++;
		if (kmalloc_usable_size(ptr[s]) < n)
			bad_align++;
		for (size_t i = 0; i < n; i++)
			ptr[s][i] = pattern(n, s, i);
	}
	for (unsigned s = 0; s < HEAP_SLOTS; s++) {
		for (size_t i = 0; ptr[s] && i < len[s]; i++)
			if (ptr[s][i] != pattern(len[s], s, i)) {
				bad_pattern++;
				break;
			}
		kfree(ptr[s]);
		ptr[s] = NULL;
	}
	KT_CHECK_EQ(t, bad_pattern, 0);
	KT_CHECK_EQ(t, bad_align, 0);
	KT_CHECK_EQ(t, failed, 0);
	/* All back, but for one cached empty slab per size class. */
	KT_CHECK(t, pmm_free_bytes() + SLAB_CACHE_SLACK >= before);
}

KTEST(mm_heap_large_returns_pages)
{
	const size_t big = 64 * 1024;
	uint64_t before;
	void *p;

	if (!mm_up(t))
		return;
	before = pmm_free_bytes();
	p = kmalloc(big);
	if (!KT_CHECK(t, p != NULL))
		return;
	KT_CHECK(t, pmm_free_bytes() + big <= before);
	memset(p, 0xa5, big);
	kfree(p);
	KT_CHECK_EQ(t, pmm_free_bytes(), before);
}

/* A second kfree is refused and counted, and does not put the block on
 * the free list twice: the next two blocks of that size differ. */
KTEST(mm_heap_double_free)
{
	uint64_t before = kheap_bad_frees();
	void *a, *b, *c;

	if (!mm_up(t))
		return;
	a = kmalloc(200);
	if (!KT_CHECK(t, a != NULL))
		return;
	kfree(a);
	kfree(a);
	KT_CHECK_EQ(t, kheap_bad_frees(), before + 1);
	b = kmalloc(200);
	c = kmalloc(200);
	KT_CHECK(t, b && c && b != c);
	kfree(b);
	kfree(c);
	kfree((char *)c + 16);
	KT_CHECK_EQ(t, kheap_bad_frees(), before + 2);
}

KTEST(mm_heap_api)
{
	unsigned char *a, *b, *c;
	uint64_t *z;

	if (!mm_up(t))
		return;
	a = kmalloc(0);
	b = kmalloc(0);
	KT_CHECK(t, a && b && a != b);
	kfree(a);
	kfree(b);
	kfree(NULL);

	z = kcalloc(100, sizeof(*z));
	if (KT_CHECK(t, z != NULL)) {
		for (unsigned i = 0; i < 100; i++)
			KT_CHECK_EQ(t, z[i], 0);
		kfree(z);
	}
	KT_CHECK(t, kcalloc(SIZE_MAX / 2, 4) == NULL);
	KT_CHECK(t, kmalloc(SIZE_MAX) == NULL);
	KT_CHECK(t, kmalloc(SIZE_MAX - PAGE_SIZE) == NULL);

	c = kmalloc(24);
	if (!KT_CHECK(t, c != NULL))
		return;
	for (unsigned i = 0; i < 24; i++)
		c[i] = (unsigned char)i;
	c = krealloc(c, 5000);
	if (!KT_CHECK(t, c != NULL))
		return;
	KT_CHECK(t, kmalloc_usable_size(c) >= 5000);
	for (unsigned i = 0; i < 24; i++)
		KT_CHECK_EQ(t, c[i], i);
	KT_CHECK(t, krealloc(c, 100) == c);
	KT_CHECK(t, krealloc(c, 0) == NULL);
}

KTEST(mm_kstack_guard)
{
	uint64_t before, guard, e, size = 0;
	char *top, *again;
	struct paging_stats ps0, ps1;
	struct kstack_stats ks;

	if (!mm_up(t))
		return;
	kstack_cache_drain();
	paging_get_stats(&ps0);
	before = pmm_free_bytes();
	top = kstack_alloc(STACK_BYTES);
	if (!KT_CHECK(t, top != NULL))
		return;
	KT_CHECK_EQ(t, (uintptr_t)top % 16, 0);
	guard = (uintptr_t)top - STACK_BYTES - PAGE_SIZE;
	KT_CHECK_EQ(t, paging_query(guard, NULL), 0);
	e = paging_query(guard + PAGE_SIZE, &size);
	KT_CHECK(t, (e & PTE_P) && (e & PTE_W));
	KT_CHECK_EQ(t, paging_query((uintptr_t)top - 1, NULL) & PTE_W, PTE_W);
	/* The lowest and highest usable bytes are really there. */
	top[-1] = 1;
	*(volatile char *)(uintptr_t)(guard + PAGE_SIZE) = 2;
	/* Freed into the cache with its guard, and the next stack of that
	 * size is the same one. */
	kstack_free(top, STACK_BYTES);
	KT_CHECK_EQ(t, paging_query(guard, NULL), 0);
	kstack_get_stats(&ks);
	KT_CHECK_EQ(t, ks.cached, 1);
	again = kstack_alloc(STACK_BYTES);
	KT_CHECK(t, again == top);
	KT_CHECK_EQ(t, paging_query(guard, NULL), 0);
	kstack_free(again, STACK_BYTES);
	/* Drained: the guard is mapped again and everything is back, but
	 * for a page table if the guard split a 2 MiB page (it stays
	 * split). */
	KT_CHECK_EQ(t, kstack_cache_drain(), STACK_BYTES + PAGE_SIZE);
	e = paging_query(guard, NULL);
	KT_CHECK(t, (e & PTE_P) && (e & PTE_W));
	paging_get_stats(&ps1);
	KT_CHECK_EQ(t, pmm_free_bytes() + (ps1.tables - ps0.tables) * PAGE_SIZE,
		    before);
}

/* The stack cache: one list per size, bounded in stacks and bytes, and
 * a bad free is refused rather than cached. */
KTEST(mm_kstack_cache)
{
	static char *tops[80];
	char *small, *big;
	struct kstack_stats ks0, ks;
	uint64_t total, free;
	unsigned made = 0;

	if (!mm_up(t))
		return;
	kstack_cache_drain();
	small = kstack_alloc(STACK_BYTES);
	if (!KT_CHECK(t, small != NULL))
		return;
	kstack_free(small, STACK_BYTES);
	big = kstack_alloc(2 * STACK_BYTES);
	if (KT_CHECK(t, big != NULL)) {
		uint64_t guard = (uintptr_t)big - 2 * STACK_BYTES - PAGE_SIZE;

		KT_CHECK(t, big != small);
		KT_CHECK_EQ(t, paging_query(guard, NULL), 0);
		kstack_free(big, 2 * STACK_BYTES);
	}
	kstack_get_stats(&ks);
	KT_CHECK_EQ(t, ks.cached, 2);
	/* Not a stack: no guard page below, so it is not kept. */
	kstack_free((char *)small + STACK_BYTES, STACK_BYTES);
	kstack_get_stats(&ks);
	KT_CHECK_EQ(t, ks.cached, 2);
	kstack_cache_drain();

	kstack_get_stats(&ks0);
	for (; made < sizeof(tops) / sizeof(tops[0]); made++) {
		tops[made] = kstack_alloc(8192);
		if (!tops[made])
			break;
	}
	KT_CHECK_EQ(t, made, sizeof(tops) / sizeof(tops[0]));
	for (unsigned i = 0; i < made; i++)
		kstack_free(tops[i], 8192);
	kstack_get_stats(&ks);
	pmm_stats(&total, &free);
	KT_CHECK(t, ks.cached <= 64);
	KT_CHECK(t, ks.cached_bytes <= 4ULL << 20);
	KT_CHECK(t, ks.cached_bytes <= total / 32);
	KT_CHECK(t, ks.cached > 0);
	KT_CHECK_EQ(t, ks.released - ks0.released, made - ks.cached);
	KT_CHECK_EQ(t, ks.misses - ks0.misses, made);
	KT_CHECK_EQ(t, kstack_cache_drain(), ks.cached_bytes);
	kstack_get_stats(&ks);
	KT_CHECK_EQ(t, ks.cached, 0);
}

static void check_data_page(struct ktest *t, const void *p)
{
	uint64_t e = paging_query((uintptr_t)p, NULL);

	KT_CHECK(t, e & PTE_P);
	KT_CHECK(t, e & PTE_W);
	KT_CHECK(t, !(e & PTE_PCD));
	if (paging_nx())
		KT_CHECK(t, e & PTE_NX);
}

KTEST(mm_paging_permissions)
{
	uint64_t e, size = 0;
	void *heap;

	if (!mm_up(t))
		return;
	/* .text: present, read-only, executable. */
	e = paging_query((uintptr_t)mm_init, &size);
	KT_CHECK(t, e & PTE_P);
	KT_CHECK(t, !(e & PTE_W));
	KT_CHECK(t, !(e & PTE_NX));
	KT_CHECK(t, size == PAGE_SIZE || size == PAGE_SIZE_2M);
	/* .rodata: read-only and not executable. */
	e = paging_query((uintptr_t)rodata_probe, NULL);
	KT_CHECK(t, e & PTE_P);
	KT_CHECK(t, !(e & PTE_W));
	if (paging_nx())
		KT_CHECK(t, e & PTE_NX);
	check_data_page(t, (const void *)&data_probe);
	check_data_page(t, &bss_probe);
	heap = kmalloc(32);
	if (KT_CHECK(t, heap != NULL)) {
		check_data_page(t, heap);
		kfree(heap);
	}
	/* QEMU's CPUs all have NX; a CPU without it fails here. */
	KT_CHECK(t, paging_nx());
	/* Device memory in the first 4 GiB is mapped, uncached. */
	e = paging_query(LAPIC_BASE, NULL);
	KT_CHECK(t, e & PTE_P);
	KT_CHECK(t, e & PTE_PCD);
}

KTEST(mm_map_mmio_high)
{
	struct paging_stats ps;
	uint64_t base, e;

	if (!mm_up(t))
		return;
	paging_get_stats(&ps);
	/* 1 GiB above everything mapped: a 2 MiB page and two 4 KiB ones. */
	base = (ps.top + 2 * PAGE_SIZE_1G - 1) & ~(PAGE_SIZE_1G - 1);
	KT_CHECK_EQ(t, paging_query(base, NULL), 0);
	KT_CHECK_EQ(t, mm_map_mmio(base, MMIO_TEST_SIZE), 0);
	for (uint64_t off = 0; off < MMIO_TEST_SIZE; off += PAGE_SIZE) {
		e = paging_query(base + off, NULL);
		if (!KT_CHECK(t, (e & PTE_P) && (e & PTE_PCD)))
			break;
		KT_CHECK_EQ(t, e & PTE_ADDR & ~(PAGE_SIZE_2M - 1),
			    (base + off) & ~(PAGE_SIZE_2M - 1));
	}
	KT_CHECK_EQ(t, paging_query(base + MMIO_TEST_SIZE, NULL), 0);
	/* Mapping it again changes nothing and succeeds. */
	KT_CHECK_EQ(t, mm_map_mmio(base, MMIO_TEST_SIZE), 0);
	KT_CHECK(t, mm_map_mmio(UINT64_MAX - PAGE_SIZE, 2 * PAGE_SIZE) < 0);
}
