/*
 * The kernel heap: kmalloc and friends (contract in kernel/mm.h).
 *
 * Small blocks (up to the largest size class, 2016 bytes) come from slabs:
 * one 4 KiB page each, a struct slab at the start of the page and equal
 * objects after it, free objects linked through their first word. The
 * classes are multiples of 16 chosen so that the last ones fill a page
 * (4032 / 2, / 3, / 4, ...). Larger blocks are whole pages from pmm_alloc
 * with a 16-byte header, and kfree gives them straight back.
 *
 * A pointer tells its kind by its offset in the page: LARGE_HDR_SIZE for
 * a large block, at least SLAB_HDR_SIZE for a slab object, 0 for a block
 * from kmemalign with more than page alignment or size (its header sits
 * at the end of the page before, which belongs to the block).
 *
 * Arenas: all state sits in a struct heap_arena behind a spinlock taken
 * with interrupts off, one arena per CPU (heap_arena_this() picks the
 * caller's), so CPUs allocating at once do not share a lock. Each slab
 * records its arena: a block freed on another CPU goes back to the arena
 * it came from. A thread that moves to another CPU between picking the
 * arena and locking it merely uses that arena once.
 */
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include <kernel/console.h>
#include <kernel/lib.h>
#include <kernel/percpu.h>
#include <kernel/spinlock.h>

#define HEAP_ALIGN 16
#define BAD_FREE_FRAMES 6
#define SLAB_HDR_SIZE 64
#define LARGE_HDR_SIZE 16
#define SLAB_MAGIC 0x736c6162u		    /* "slab" */
#define LARGE_MAGIC 0x6b6d616c6c6f6321ULL   /* "kmalloc!" */
#define ALIGNED_MAGIC 0x6b616c69676e6564ULL /* "kaligned" */
#define FREE_POISON                                                            \
	0x6672656566726565ULL /* "freefree", word 1 of a free object */
#define SLAB_SPACE (PAGE_SIZE - SLAB_HDR_SIZE)
/* Larger requests would overflow the page arithmetic. */
#define LARGE_MAX (1ULL << 46)

struct heap_arena;

struct slab {
	uint32_t magic;
	uint16_t class_idx;
	uint16_t inuse;
	struct heap_arena *arena;
	void **free;		  /* first free object; each holds the next */
	struct slab *prev, *next; /* in the class's partial list */
};
_Static_assert(sizeof(struct slab) <= SLAB_HDR_SIZE, "slab header fits");
_Static_assert(SLAB_HDR_SIZE % HEAP_ALIGN == 0, "objects stay aligned");

struct large_hdr {
	uint64_t magic;
	uint64_t pages;
};
_Static_assert(sizeof(struct large_hdr) == LARGE_HDR_SIZE, "layout");
_Static_assert(LARGE_HDR_SIZE < SLAB_HDR_SIZE, "kinds tell apart");

static const uint16_t class_size[] = {
	16,  32,  48,  64,  96,	 128,  192,  256,
	336, 448, 576, 672, 800, 1008, 1344, 2016,
};
#define NCLASSES ARRAY_SIZE(class_size)
#define SMALL_MAX 2016
_Static_assert(2 * SMALL_MAX <= SLAB_SPACE, "two of the largest per slab");

struct size_class {
	struct slab *partial; /* slabs with free objects, not all free */
	struct slab *empty;   /* one all-free slab kept for reuse */
};

struct heap_arena {
	struct spinlock lock;
	struct size_class cls[NCLASSES];
};

/* More CPUs than this share arenas, round robin. */
#define HEAP_ARENAS 64

static struct heap_arena arenas[HEAP_ARENAS];

static struct heap_arena *heap_arena_this(void)
{
	if (!percpu_ready())
		return &arenas[0];
	return &arenas[this_cpu()->index % HEAP_ARENAS];
}

static unsigned class_of(size_t size)
{
	unsigned i = 0;

	while (class_size[i] < size)
		i++;
	return i;
}

static unsigned per_slab(unsigned idx)
{
	return SLAB_SPACE / class_size[idx];
}

static void slab_list_add(struct slab **head, struct slab *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void slab_list_del(struct slab **head, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

/* Pages for the heap; stacks the stack cache keeps are given back
 * before the heap reports exhaustion. */
static uint64_t heap_pages(size_t pages)
{
	uint64_t pa = pmm_alloc(pages);

	if (!pa && kstack_cache_drain())
		pa = pmm_alloc(pages);
	return pa;
}

/* A fresh slab, all objects free. Called with the arena lock held. */
static struct slab *slab_new(struct heap_arena *a, unsigned idx)
{
	uint64_t pa = heap_pages(1);
	struct slab *s = (struct slab *)(uintptr_t)pa;
	char *obj;

	if (!pa)
		return NULL;
	s->magic = SLAB_MAGIC;
	s->class_idx = idx;
	s->inuse = 0;
	s->arena = a;
	s->free = NULL;
	obj = (char *)s + SLAB_HDR_SIZE + (per_slab(idx) - 1) * class_size[idx];
	for (unsigned i = 0; i < per_slab(idx); i++) {
		void **o = (void **)obj;

		o[0] = s->free;
		o[1] = (void *)FREE_POISON;
		s->free = o;
		obj -= class_size[idx];
	}
	return s;
}

static void *slab_alloc(unsigned idx)
{
	struct heap_arena *a = heap_arena_this();
	struct size_class *c = &a->cls[idx];
	uint64_t flags = spin_lock_irqsave(&a->lock);
	struct slab *s = c->partial;
	void **o = NULL;

	if (!s) {
		s = c->empty ? c->empty : slab_new(a, idx);
		c->empty = NULL;
		if (s)
			slab_list_add(&c->partial, s);
	}
	if (s) {
		o = s->free;
		s->free = o[0];
		o[1] = NULL;
		s->inuse++;
		if (!s->free)
			slab_list_del(&c->partial, s);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return o;
}

static bool on_free_list(const struct slab *s, const void *p)
{
	for (void **o = s->free; o; o = o[0])
		if (o == p)
			return true;
	return false;
}

/* Why p is not a live object of slab s, or NULL. Arena lock held. */
static const char *slab_check(const struct slab *s, const void *p)
{
	uint64_t off = ((uintptr_t)p & (PAGE_SIZE - 1)) - SLAB_HDR_SIZE;

	if (s->magic != SLAB_MAGIC || s->class_idx >= NCLASSES)
		return "not a kmalloc pointer";
	if (off % class_size[s->class_idx] ||
	    off / class_size[s->class_idx] >= per_slab(s->class_idx))
		return "not the start of a block";
	if (((void *const *)p)[1] == (void *)FREE_POISON && on_free_list(s, p))
		return "already free (double free)";
	return NULL;
}

/*
 * A free the heap refuses, with the return addresses of its callers (the
 * kernel and the code linked with it keep frame pointers), for addr2line:
 * the heap goes on, so this line is all there is to find the culprit by.
 * The walk stops at a frame pointer that is misaligned, not above the
 * last one, or more than a stack's size away from it.
 */
static uint64_t bad_frees;

uint64_t kheap_bad_frees(void)
{
	return __atomic_load_n(&bad_frees, __ATOMIC_RELAXED);
}

static void __attribute__((noinline))
bad_free(const char *fn, const void *p, const char *why)
{
	const uint64_t *fp = __builtin_frame_address(0);
	uint64_t ret[BAD_FREE_FRAMES] = { 0 };
	unsigned n = 0;

	while (n < BAD_FREE_FRAMES && fp && !((uintptr_t)fp & 7)) {
		const uint64_t *next = (const uint64_t *)fp[0];

		ret[n++] = fp[1];
		if (next <= fp || (uintptr_t)next - (uintptr_t)fp > 1u << 20)
			break;
		fp = next;
	}
	__atomic_fetch_add(&bad_frees, 1, __ATOMIC_RELAXED);
	/* The first one or two are in the heap itself. */
	kprintf("mm: %s(%p): %s; ignored; return addresses %#llx %#llx "
		"%#llx %#llx %#llx %#llx\n",
		fn, p, why, (unsigned long long)ret[0],
		(unsigned long long)ret[1], (unsigned long long)ret[2],
		(unsigned long long)ret[3], (unsigned long long)ret[4],
		(unsigned long long)ret[5]);
}

static void slab_free(void *p)
{
	struct slab *s = (struct slab *)(uintptr_t)page_down((uintptr_t)p);
	struct heap_arena *a;
	struct size_class *c;
	uint64_t flags, release = 0;
	const char *why;
	void **o = p;

	/* The arena pointer is only trusted once the magic matched. */
	if (s->magic != SLAB_MAGIC) {
		bad_free("kfree", p, "not a kmalloc pointer");
		return;
	}
	a = s->arena;
	flags = spin_lock_irqsave(&a->lock);
	why = slab_check(s, p);
	if (!why) {
		c = &a->cls[s->class_idx];
		if (!s->free)
			slab_list_add(&c->partial, s);
		o[0] = s->free;
		o[1] = (void *)FREE_POISON;
		s->free = o;
		if (--s->inuse == 0) {
			slab_list_del(&c->partial, s);
			if (c->empty) {
				s->magic = 0;
				release = (uintptr_t)s;
			} else {
				c->empty = s;
			}
		}
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (release)
		pmm_free(release, 1);
	if (why)
		bad_free("kfree", p, why);
}

static void *large_alloc(size_t size)
{
	uint64_t pages, pa;
	struct large_hdr *h;

	if (size > LARGE_MAX)
		return NULL;
	pages = (size + LARGE_HDR_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
	pa = heap_pages(pages);
	if (!pa)
		return NULL;
	h = (struct large_hdr *)(uintptr_t)pa;
	h->magic = LARGE_MAGIC;
	h->pages = pages;
	return (char *)h + LARGE_HDR_SIZE;
}

struct aligned_hdr {
	uint64_t magic;
	uint64_t base; /* first page of the run */
	uint64_t pages;
	uint64_t reserved;
};

static struct aligned_hdr *aligned_of(const void *p)
{
	return (struct aligned_hdr *)(uintptr_t)((uintptr_t)p -
						 sizeof(struct aligned_hdr));
}

static bool is_aligned_large(const void *p)
{
	return ((uintptr_t)p & (PAGE_SIZE - 1)) == 0;
}

/* A run of pages with room for the header page, the alignment slack and
 * size; the block starts at the first aligned page after the first. */
static void *aligned_large_alloc(size_t align, size_t size)
{
	uint64_t a = align > PAGE_SIZE ? align : PAGE_SIZE, pages, base, p;
	struct aligned_hdr *h;

	if (size > LARGE_MAX || a > LARGE_MAX)
		return NULL;
	pages = 1 + (size + PAGE_SIZE - 1) / PAGE_SIZE +
		(a - PAGE_SIZE) / PAGE_SIZE;
	base = heap_pages(pages);
	if (!base)
		return NULL;
	p = (base + PAGE_SIZE + a - 1) & ~(a - 1);
	h = aligned_of((void *)(uintptr_t)p);
	h->magic = ALIGNED_MAGIC;
	h->base = base;
	h->pages = pages;
	return (void *)(uintptr_t)p;
}

void *kmemalign(size_t align, size_t size)
{
	if (!align || (align & (align - 1)))
		return NULL;
	if (align <= HEAP_ALIGN)
		return kmalloc(size);
	/* A slab class whose objects all sit on the alignment (objects
	 * start SLAB_HDR_SIZE into the page, one class size apart). */
	if (align <= SLAB_HDR_SIZE && size <= SMALL_MAX) {
		for (unsigned i = class_of(size ? size : 1); i < NCLASSES; i++)
			if (class_size[i] % align == 0)
				return slab_alloc(i);
	}
	return aligned_large_alloc(align, size);
}

static struct large_hdr *large_of(const void *p)
{
	return (struct large_hdr *)(uintptr_t)((uintptr_t)p - LARGE_HDR_SIZE);
}

void *kmalloc(size_t size)
{
	if (size <= SMALL_MAX)
		return slab_alloc(class_of(size ? size : 1));
	return large_alloc(size);
}

void *kcalloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = kmalloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static bool is_large(const void *p)
{
	return ((uintptr_t)p & (PAGE_SIZE - 1)) == LARGE_HDR_SIZE;
}

static bool is_slab_object(const void *p)
{
	uintptr_t off = (uintptr_t)p & (PAGE_SIZE - 1);

	return off >= SLAB_HDR_SIZE && off % HEAP_ALIGN == 0;
}

void kfree(void *p)
{
	struct large_hdr *h;
	uint64_t pages;

	if (!p)
		return;
	if (is_slab_object(p)) {
		slab_free(p);
		return;
	}
	if (is_aligned_large(p)) {
		struct aligned_hdr *a = aligned_of(p);

		if (a->magic != ALIGNED_MAGIC) {
			bad_free("kfree", p,
				 "not a kmalloc pointer (or freed twice)");
			return;
		}
		a->magic = 0;
		pmm_free(a->base, a->pages);
		return;
	}
	h = large_of(p);
	if (!is_large(p) || h->magic != LARGE_MAGIC) {
		bad_free("kfree", p, "not a kmalloc pointer (or freed twice)");
		return;
	}
	pages = h->pages;
	h->magic = 0;
	pmm_free((uintptr_t)h, pages);
}

size_t kmalloc_usable_size(const void *p)
{
	const struct slab *s;

	if (!p)
		return 0;
	if (is_aligned_large(p)) {
		const struct aligned_hdr *a = aligned_of(p);

		return a->magic == ALIGNED_MAGIC
			       ? a->base + a->pages * PAGE_SIZE - (uintptr_t)p
			       : 0;
	}
	if (is_large(p))
		return large_of(p)->magic == LARGE_MAGIC
			       ? large_of(p)->pages * PAGE_SIZE - LARGE_HDR_SIZE
			       : 0;
	if (!is_slab_object(p))
		return 0;
	s = (const struct slab *)(uintptr_t)page_down((uintptr_t)p);
	if (s->magic != SLAB_MAGIC || s->class_idx >= NCLASSES)
		return 0;
	return class_size[s->class_idx];
}

void *krealloc(void *p, size_t size)
{
	size_t have;
	void *n;

	if (!p)
		return kmalloc(size);
	if (!size) {
		kfree(p);
		return NULL;
	}
	have = kmalloc_usable_size(p);
	if (!have) {
		kprintf("mm: krealloc(%p): not a kmalloc pointer\n", p);
		return NULL;
	}
	if (size <= have)
		return p;
	n = kmalloc(size);
	if (!n)
		return NULL;
	memcpy(n, p, have);
	kfree(p);
	return n;
}
