/*
 * Split virtqueues (virtio 1.1, section 2.6; the legacy layout of section
 * 2.6.2). The shared block is allocated from the page allocator, which
 * hands out identity-mapped memory: its addresses are the physical ones
 * the device takes. Everything the device writes (the used ring) is read
 * through volatile pointers and checked before use.
 */
#include "virtq.h"

#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/mm.h>

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t avail_offset(uint16_t size)
{
	return sizeof(struct virtq_desc) * size;
}

/* The available ring: flags, idx, ring[size], used_event. */
static size_t avail_bytes(uint16_t size)
{
	return sizeof(struct virtq_avail) + sizeof(uint16_t) * (size + 1u);
}

static size_t used_offset(uint16_t size)
{
	return align_up(avail_offset(size) + avail_bytes(size),
			VIRTQ_LEGACY_ALIGN);
}

/* The used ring: flags, idx, ring[size], avail_event. */
static size_t used_bytes(uint16_t size)
{
	return sizeof(struct virtq_used) +
	       sizeof(struct virtq_used_elem) * size + sizeof(uint16_t);
}

size_t virtq_ring_bytes(uint16_t size)
{
	return align_up(used_offset(size) + used_bytes(size), PAGE_SIZE);
}

uint64_t virtq_desc_phys(const struct virtq *q)
{
	return q->phys;
}

uint64_t virtq_avail_phys(const struct virtq *q)
{
	return q->phys + avail_offset(q->size);
}

uint64_t virtq_used_phys(const struct virtq *q)
{
	return q->phys + used_offset(q->size);
}

int virtq_init(struct virtq *q, uint16_t index, uint16_t size, bool event_idx)
{
	uint8_t *base;

	memset(q, 0, sizeof(*q));
	if (size == 0 || size > VIRTQ_SIZE_MAX || (size & (size - 1)))
		return -KERR_EINVAL;
	q->index = index;
	q->size = size;
	q->event_idx = event_idx;
	q->pages = virtq_ring_bytes(size) / PAGE_SIZE;
	q->phys = pmm_alloc(q->pages);
	if (!q->phys)
		return -KERR_ENOMEM;
	base = (uint8_t *)(uintptr_t)q->phys;
	memset(base, 0, q->pages * PAGE_SIZE);
	q->desc = (struct virtq_desc *)base;
	q->avail = (volatile struct virtq_avail *)(base + avail_offset(size));
	q->used = (volatile struct virtq_used *)(base + used_offset(size));
	/* The fields after the rings, by offset: the structs are packed. */
	q->used_event =
		(volatile uint16_t *)(base + avail_offset(size) +
				      avail_bytes(size) - sizeof(uint16_t));
	q->avail_event =
		(volatile uint16_t *)(base + used_offset(size) +
				      used_bytes(size) - sizeof(uint16_t));

	q->next = kcalloc(size, sizeof(*q->next));
	q->chain = kcalloc(size, sizeof(*q->chain));
	q->cookie = kcalloc(size, sizeof(*q->cookie));
	if (!q->next || !q->chain || !q->cookie) {
		virtq_destroy(q);
		return -KERR_ENOMEM;
	}
	for (unsigned i = 0; i + 1 < size; i++)
		q->next[i] = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = size;
	return 0;
}

void virtq_destroy(struct virtq *q)
{
	if (q->phys)
		pmm_free(q->phys, q->pages);
	kfree(q->next);
	kfree(q->chain);
	kfree(q->cookie);
	memset(q, 0, sizeof(*q));
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
	      void *cookie)
{
	uint16_t head = q->free_head, idx = head;
	bool seen_write = false;

	if (n == 0 || !cookie)
		return -KERR_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (seen_write && !bufs[i].write)
			return -KERR_EINVAL;
		seen_write = bufs[i].write;
	}
	if (n > q->num_free)
		return -KERR_ENOSPC;

	/* The free list's links double as the chain's: the chain is the
	 * first n entries of the list, in order. */
	for (unsigned i = 0; i < n; i++) {
		struct virtq_desc *d = &q->desc[idx];

		d->addr = bufs[i].addr;
		d->len = bufs[i].len;
		d->flags = (uint16_t)((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		d->next = i + 1 < n ? q->next[idx] : 0;
		idx = q->next[idx];
	}
	q->free_head = idx;
	q->num_free = (uint16_t)(q->num_free - n);
	q->cookie[head] = cookie;
	q->chain[head] = (uint16_t)n;

	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	/* The descriptors and the ring entry before the index. */
	virtq_wmb();
	q->avail_idx++;
	q->avail->idx = q->avail_idx;
	return 0;
}

bool virtq_kick_prepare(struct virtq *q)
{
	uint16_t new_idx = q->avail_idx, old_idx = q->kicked_idx;

	if (new_idx == old_idx)
		return false;
	q->kicked_idx = new_idx;
	/* The index we published before the device's suppression fields:
	 * otherwise a device that just went idle is never told. */
	virtq_mb();
	if (q->event_idx) {
		uint16_t event = *q->avail_event;

		/* Section 2.6.10.2: notify if the device asked to hear of
		 * an entry between old_idx and new_idx. */
		return (uint16_t)(new_idx - event - 1) <
		       (uint16_t)(new_idx - old_idx);
	}
	return !(q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_has_used(const struct virtq *q)
{
	return q->used->idx != q->last_used;
}

int virtq_get(struct virtq *q, void **cookie, uint32_t *len)
{
	uint16_t used_idx = q->used->idx, head, tail;
	uint32_t id;

	if (used_idx == q->last_used)
		return 0;
	if ((uint16_t)(used_idx - q->last_used) > q->size)
		return -KERR_EIO;
	/* The index before the entries it covers. */
	virtq_rmb();
	id = q->used->ring[q->last_used & (q->size - 1)].id;
	*len = q->used->ring[q->last_used & (q->size - 1)].len;
	if (id >= q->size || !q->cookie[id])
		return -KERR_EIO;
	q->last_used++;

	head = (uint16_t)id;
	*cookie = q->cookie[head];
	q->cookie[head] = NULL;
	tail = head;
	for (unsigned i = 1; i < q->chain[head]; i++)
		tail = q->next[tail];
	q->next[tail] = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + q->chain[head]);
	q->chain[head] = 0;
	return 1;
}

void virtq_intr_disable(struct virtq *q)
{
	/* With event indices the device interrupts once when it passes
	 * used_event and not again until used_event moves: nothing to do. */
	if (!q->event_idx)
		q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}

bool virtq_intr_enable(struct virtq *q)
{
	if (q->event_idx)
		*q->used_event = q->last_used;
	else
		q->avail->flags = 0;
	/* Published before we look for entries that raced with it. */
	virtq_mb();
	return q->used->idx != q->last_used;
}
