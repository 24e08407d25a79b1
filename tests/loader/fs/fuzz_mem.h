/*
 * A disk held in memory for the fuzz harnesses: reads past its end fail
 * like a real disk's would, and every allocation is freed after each
 * input so that LeakSanitizer stays quiet.
 */
#ifndef FUZZ_MEM_H
#define FUZZ_MEM_H

#include <stdlib.h>
#include <string.h>

#include "loader.h"

#define MEM_ALLOCS 64
#define MEM_ALLOC_MAX (8u << 20)

struct mem_disk {
	const uint8_t *data;
	size_t size;
	void *allocs[MEM_ALLOCS];
	int nallocs;
	size_t allocated;
};

static int mem_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct mem_disk *m = ctx;
	uint64_t off = lba * SECTOR_SIZE, len = (uint64_t)count * SECTOR_SIZE;

	if (lba > m->size / SECTOR_SIZE || len > m->size - off)
		return -KERR_EIO;
	memcpy(buf, m->data + off, (size_t)len);
	return 0;
}

static void *mem_alloc(void *ctx, size_t size, size_t align)
{
	struct mem_disk *m = ctx;
	void *p;

	if (m->nallocs == MEM_ALLOCS || size > MEM_ALLOC_MAX - m->allocated)
		return NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size))
		return NULL;
	m->allocated += size;
	m->allocs[m->nallocs++] = p;
	return p;
}

static void mem_setup(struct mem_disk *m, struct loader *ld,
		      const uint8_t *data, size_t size)
{
	memset(m, 0, sizeof(*m));
	memset(ld, 0, sizeof(*ld));
	m->data = data;
	m->size = size;
	ld->read = mem_read;
	ld->alloc = mem_alloc;
	ld->ctx = m;
	ld->disk_sectors = size / SECTOR_SIZE;
}

static void mem_free_all(struct mem_disk *m)
{
	while (m->nallocs)
		free(m->allocs[--m->nallocs]);
	m->allocated = 0;
}

#endif
