/*
 * malloc and friends on the kernel heap (kernel/mm/heap.c): one arena
 * per CPU, so threads on different CPUs do not contend for one lock;
 * blocks over 2 KiB are whole pages that free() hands straight back to
 * the page allocator. These replace newlib's malloc (and its _r entry
 * points, which newlib's own code calls), so newlib's sbrk heap and its
 * global malloc lock are never used.
 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <kernel/mm.h>

/* The plain names are newlib's reentrant forms for the calling thread. */
void *malloc(size_t n)
{
	return _malloc_r(_REENT, n);
}

void free(void *p)
{
	kfree(p);
}

void *calloc(size_t n, size_t size)
{
	return _calloc_r(_REENT, n, size);
}

void *realloc(void *p, size_t n)
{
	return _realloc_r(_REENT, p, n);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

void *memalign(size_t align, size_t n)
{
	void *p;

	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	p = kmemalign(align, n);
	if (!p)
		errno = ENOMEM;
	return p;
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = kmemalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return memalign(4096, n);
}

void *pvalloc(size_t n)
{
	return memalign(4096, (n + 4095) & ~(size_t)4095);
}

size_t malloc_usable_size(void *p)
{
	return kmalloc_usable_size(p);
}

/* The reentrant forms newlib's own code calls. */
void *_malloc_r(struct _reent *r, size_t n)
{
	void *p = kmalloc(n);

	if (!p)
		r->_errno = ENOMEM;
	return p;
}

void _free_r(struct _reent *r, void *p)
{
	(void)r;
	kfree(p);
}

void *_calloc_r(struct _reent *r, size_t n, size_t size)
{
	void *p = kcalloc(n, size);

	if (!p)
		r->_errno = ENOMEM;
	return p;
}

void *_realloc_r(struct _reent *r, void *p, size_t n)
{
	void *q;

	if (p && n == 0) {
		kfree(p);
		return NULL;
	}
	q = krealloc(p, n);
	if (!q)
		r->_errno = ENOMEM;
	return q;
}

void *_memalign_r(struct _reent *r, size_t align, size_t n)
{
	void *p = kmemalign(align, n);

	if (!p)
		r->_errno = align && !(align & (align - 1)) ? ENOMEM : EINVAL;
	return p;
}

size_t _malloc_usable_size_r(struct _reent *r, void *p)
{
	(void)r;
	return kmalloc_usable_size(p);
}

/* No sbrk heap: anything that still asks for one is told no. */
void *sbrk(ptrdiff_t incr)
{
	(void)incr;
	errno = ENOMEM;
	return (void *)-1;
}
