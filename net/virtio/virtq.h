/*
 * Split virtqueues (virtio 1.1, section 2.6): a descriptor table, the
 * driver's available ring and the device's used ring, in one physically
 * contiguous block laid out as the legacy interface requires (section
 * 2.6.2: the used ring on the next 4096-byte boundary), which also meets
 * the modern alignment rules. Sizes are powers of two up to 32768, as the
 * device reports them.
 *
 * Free descriptors are kept on a list threaded through a driver-private
 * array (never read back from the shared table), so adding a chain is
 * O(its length). Event suppression (section 2.6.7) uses
 * VIRTIO_F_EVENT_IDX when negotiated and the NO_INTERRUPT / NO_NOTIFY
 * flags otherwise.
 *
 * Memory ordering (section 2.6.13): descriptors and the ring entry are
 * written before the available index (write barrier); the available index
 * is published before the device's suppression fields are read to decide
 * on a notification (full barrier); the used index is read before the
 * used entries it covers (read barrier). The barriers are C11 fences: on
 * x86 the write and read fences only stop the compiler, and the full one
 * is an MFENCE; the device is cache-coherent, so that is all it needs.
 *
 * Locking is the caller's: one virtq is used by one thread at a time.
 */
#ifndef NET_VIRTQ_H
#define NET_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/lib.h>

#define VIRTQ_SIZE_MAX 32768
#define VIRTQ_LEGACY_ALIGN 4096

/* Descriptor flags (section 2.6.5). */
#define VIRTQ_DESC_F_NEXT BIT(0)
#define VIRTQ_DESC_F_WRITE BIT(1)
#define VIRTQ_DESC_F_INDIRECT BIT(2)

/* Available ring flags (section 2.6.6) and used ring flags (2.6.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT BIT(0)
#define VIRTQ_USED_F_NO_NOTIFY BIT(0)

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));
_Static_assert(offsetof(struct virtq_desc, addr) == 0, "virtq_desc.addr");
_Static_assert(offsetof(struct virtq_desc, len) == 8, "virtq_desc.len");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "virtq_desc.flags");
_Static_assert(offsetof(struct virtq_desc, next) == 14, "virtq_desc.next");
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc size");

/* Followed by used_event (uint16_t) after ring[size]. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
} __attribute__((packed));
_Static_assert(offsetof(struct virtq_avail, flags) == 0, "virtq_avail.flags");
_Static_assert(offsetof(struct virtq_avail, idx) == 2, "virtq_avail.idx");
_Static_assert(offsetof(struct virtq_avail, ring) == 4, "virtq_avail.ring");

struct virtq_used_elem {
	uint32_t id;  /* head of the used descriptor chain */
	uint32_t len; /* bytes written into the chain */
} __attribute__((packed));
_Static_assert(offsetof(struct virtq_used_elem, id) == 0, "used_elem.id");
_Static_assert(offsetof(struct virtq_used_elem, len) == 4, "used_elem.len");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "used_elem size");

/* Followed by avail_event (uint16_t) after ring[size]. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
} __attribute__((packed));
_Static_assert(offsetof(struct virtq_used, flags) == 0, "virtq_used.flags");
_Static_assert(offsetof(struct virtq_used, idx) == 2, "virtq_used.idx");
_Static_assert(offsetof(struct virtq_used, ring) == 4, "virtq_used.ring");

/* One buffer of a chain: device-readable ones come first (section
 * 2.6.4.2), then device-writable ones. */
struct virtq_buf {
	uint64_t addr; /* physical */
	uint32_t len;
	bool write; /* the device writes it */
};

struct virtq {
	uint16_t index; /* the queue's number on its device */
	uint16_t size;
	bool event_idx;
	/* The shared rings. */
	struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	volatile uint16_t *used_event;	/* in the available ring */
	volatile uint16_t *avail_event; /* in the used ring */
	uint64_t phys;			/* of desc; the block's start */
	size_t pages;
	/* Driver-private state. */
	uint16_t *next;	 /* free list and chain links */
	uint16_t *chain; /* descriptors in the chain at each head */
	void **cookie;	 /* per head; NULL when the head is free */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;  /* next available index to publish */
	uint16_t kicked_idx; /* avail_idx at the last notification check */
	uint16_t last_used;  /* next used index to consume */
	/* Set by the transport: where to write this queue's notification. */
	uint32_t notify_off;
};

/* Allocate and zero the rings and the private arrays for a queue of
 * 'size' entries (a power of two, 1 to VIRTQ_SIZE_MAX). 0, -KERR_EINVAL
 * or -KERR_ENOMEM. */
int virtq_init(struct virtq *q, uint16_t index, uint16_t size, bool event_idx);
/* Free what virtq_init allocated; only after the device was reset. */
void virtq_destroy(struct virtq *q);

/* Bytes of the ring block for a queue of this size. */
size_t virtq_ring_bytes(uint16_t size);
uint64_t virtq_desc_phys(const struct virtq *q);
uint64_t virtq_avail_phys(const struct virtq *q);
uint64_t virtq_used_phys(const struct virtq *q);

static inline unsigned virtq_num_free(const struct virtq *q)
{
	return q->num_free;
}

/* Make a chain of n buffers available to the device with cookie (not
 * NULL) to get back from virtq_get. The ring entry is published at once.
 * 0, -KERR_EINVAL (n is 0, or a readable buffer follows a writable one)
 * or -KERR_ENOSPC (fewer than n free descriptors). */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
	      void *cookie);

/* After one or more virtq_add: does the device want a notification?
 * (Section 2.6.10.) The caller then asks its transport to notify. */
bool virtq_kick_prepare(struct virtq *q);

/* Has the device used a buffer we have not consumed? */
bool virtq_has_used(const struct virtq *q);

/* Take the next used chain: 1 with its cookie and the bytes the device
 * wrote, 0 when there is none, or -KERR_EIO when the device returned a
 * head that is out of range or not in use (the queue is then broken; the
 * caller should stop using the device). */
int virtq_get(struct virtq *q, void **cookie, uint32_t *len);

/* Used buffer notifications: a hint to the device to hold them while the
 * driver polls, and the request to send them again. virtq_intr_enable
 * returns true if used buffers arrived meanwhile, which the caller must
 * then consume (the device will not interrupt for them). */
void virtq_intr_disable(struct virtq *q);
bool virtq_intr_enable(struct virtq *q);

/* Barriers for memory shared with the device (section 2.6.13). */
static inline void virtq_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void virtq_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static inline void virtq_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

#endif
