/*
 * virtio-net (virtio 1.1, section 5.1) over the PCI transport: one receive
 * queue (0) and one transmit queue (1), receive offloads only. QEMU:
 *
 *   -netdev user,id=n0 -device virtio-net-pci,netdev=n0
 *
 * with disable-modern=on for a legacy device, disable-legacy=on for a
 * modern-only one (1AF4:1041), and vectors=0 for INTx instead of MSI-X.
 *
 * Verbs: virtio_net_probe() only identifies. virtio_net_attach() resets
 * the device and follows section 3.1.1: ACKNOWLEDGE, DRIVER, features,
 * FEATURES_OK (modern), interrupts, configuration, queues, receive
 * buffers, DRIVER_OK. Then virtio_net_rx_fill(), virtio_net_rx_poll(),
 * virtio_net_tx(), virtio_net_tx_reclaim() and virtio_net_intr().
 *
 * Context: virtio_net_intr() runs in interrupt context and only
 * acknowledges and wakes the device's thread. That thread alone touches
 * the receive ring, consumes transmit completions and calls the stack.
 * virtio_net_tx() runs in the stack's threads; the transmit ring is
 * guarded by tx_lock, and the receive buffer pool (free list and counts,
 * which rx_release changes from any thread) by rx_lock.
 *
 * Receive buffers: each holds the virtio-net header and one whole frame
 * of the MTU (mtu + 18 bytes). With VIRTIO_NET_F_MRG_RXBUF a frame may
 * still span several (num_buffers, section 5.1.6.4): they go to the
 * stack together as one frame, one buffer after another, with no copy.
 * Every buffer is in exactly one place: posted in the ring, lent to the
 * stack, or on the free list; the counts of the three always add up to
 * the buffers allocated.
 *
 * Receive offloads (section 5.1.6.4), when the device offers them:
 * VIRTIO_NET_F_GUEST_CSUM (the header says the TCP or UDP checksum was
 * checked, DATA_VALID, or is only partial because the host made the
 * frame, NEEDS_CSUM; the device must have validated it either way) and,
 * with MRG_RXBUF, VIRTIO_NET_F_GUEST_TSO4 (a TCP/IPv4 segment of up to
 * 64 KiB, the host's segments merged). The stack is told per frame
 * (struct netdev_rxframe) and checks everything not vouched for. No ECN
 * (lwIP does not use it), no UFO and no TSO6 (no IPv6); nothing is
 * offloaded on transmit. The kernel option virtio-net.offload=off takes
 * none.
 */
#include <stdarg.h>
#include <stddef.h>

#include "virtio_pci.h"
#include "virtq.h"
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/interrupt.h>
#include <kernel/console.h>
#include <kernel/cmdline.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include <kernel/printf.h>
#include <kernel/spinlock.h>
#include <kernel/sync.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <net/netdev.h>

#define VIRTIO_ID_NET 1

/* Feature bits (section 5.1.3). */
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* The status field (section 5.1.4). */
#define VIRTIO_NET_S_LINK_UP BIT(0)

/* Device configuration (section 5.1.4). */
struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
} __attribute__((packed));
_Static_assert(offsetof(struct virtio_net_config, mac) == 0, "mac");
_Static_assert(offsetof(struct virtio_net_config, status) == 6, "status");
_Static_assert(offsetof(struct virtio_net_config, max_virtqueue_pairs) == 8,
	       "max_virtqueue_pairs");
_Static_assert(offsetof(struct virtio_net_config, mtu) == 10, "mtu");

/* The header before every frame (section 5.1.6). num_buffers exists with
 * VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF; a legacy device without
 * the latter has the 10-byte header. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));
_Static_assert(offsetof(struct virtio_net_hdr, flags) == 0, "flags");
_Static_assert(offsetof(struct virtio_net_hdr, gso_type) == 1, "gso_type");
_Static_assert(offsetof(struct virtio_net_hdr, hdr_len) == 2, "hdr_len");
_Static_assert(offsetof(struct virtio_net_hdr, gso_size) == 4, "gso_size");
_Static_assert(offsetof(struct virtio_net_hdr, csum_start) == 6, "csum_start");
_Static_assert(offsetof(struct virtio_net_hdr, csum_offset) == 8,
	       "csum_offset");
_Static_assert(offsetof(struct virtio_net_hdr, num_buffers) == 10,
	       "num_buffers");
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr size");
#define VNET_HDR_LEN_LEGACY 10

/* virtio_net_hdr.flags and gso_type (section 5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM BIT(0)
#define VIRTIO_NET_HDR_F_DATA_VALID BIT(1)
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1

#define VNET_RXQ 0
#define VNET_TXQ 1

#define ETH_HLEN 14u
#define ETH_HLEN_MAX 18u /* with one 802.1Q tag */
#define VNET_MTU_DEFAULT 1500
#define VNET_MTU_MIN 68
#define VNET_MTU_MAX 9000 /* receive buffers are sized for it */

/* Receive buffers kept in the ring, and the memory they may take; the
 * pool grows to twice that so the ring stays full while the stack holds
 * buffers. */
#define VNET_RX_TARGET 256
#define VNET_RX_MEM_MAX (4u << 20)
#define VNET_RX_MIN 16
/* Frames in flight on the transmit ring. */
#define VNET_TX_SLOTS_MAX 1024
#define VNET_TX_SLOT_NONE 0xffff
/* Receive frames handled between two refills. */
#define VNET_RX_BATCH 64

/* The thread wakes at least this often: to check the link, and to retry
 * a refill that ran out of memory. Without any interrupt it polls. */
#define VNET_WATCHDOG_NS (1 * NSEC_PER_SEC)
#define VNET_RETRY_NS (100 * NSEC_PER_MSEC)
#define VNET_STALL_NS (1 * NSEC_PER_SEC)
#define VNET_POLL_NS (5 * NSEC_PER_MSEC)
#define VNET_LOG_INTERVAL_NS (1 * NSEC_PER_SEC)

/* The apps' own priority, as lwIP's tcpip thread (lwipopts.h says why). */
#define VNET_PRIO (THREAD_PRIO_DEFAULT)

enum vnet_intr_mode {
	VNET_INTR_MSIX,	       /* config, rx and tx each with a vector */
	VNET_INTR_MSIX_SHARED, /* one vector for all three */
	VNET_INTR_INTX,
	VNET_INTR_POLL,
};

static const char *const intr_mode_name[] = {
	[VNET_INTR_MSIX] = "msix",
	[VNET_INTR_MSIX_SHARED] = "msix shared",
	[VNET_INTR_INTX] = "intx",
	[VNET_INTR_POLL] = "polled",
};

enum vnet_irq_kind {
	VNET_IRQ_CONFIG,
	VNET_IRQ_QUEUE,
	VNET_IRQ_SHARED, /* MSI-X vector for everything: cannot tell */
};

struct virtio_net;

struct vnet_irq {
	struct virtio_net *vn;
	enum vnet_irq_kind kind;
	int vector; /* 0: none */
};

enum vnet_rxbuf_state {
	VNET_RXB_FREE,
	VNET_RXB_POSTED,
	VNET_RXB_LENT,
};

/* At the start of each receive buffer's block; the header and frame
 * follow at rx_hdr_off. */
struct vnet_rxbuf {
	struct netdev_rxbuf nb;
	struct virtio_net *owner;
	struct vnet_rxbuf *next;     /* free list */
	struct vnet_rxbuf *all_next; /* every buffer, for freeing */
	enum vnet_rxbuf_state state;
};
#define VNET_RXBUF_META ((sizeof(struct vnet_rxbuf) + 15) & ~(size_t)15)

struct vnet_txslot {
	struct virtio_net_hdr hdr; /* read by the device */
	uint16_t next;
	bool busy;    /* its frame is on the ring */
	void *cookie; /* the stack's, for tx_done */
};

struct vnet_ratelimit {
	uint64_t next;
	unsigned suppressed;
};

/*
 * INTx lines. Functions on one line must share its vector (kernel/pci.h),
 * so each line we use has one vector, whose handler asks every device on
 * it. Entries are added at attach and never removed while in use.
 */
#define VNET_INTX_LINES 8
#define VNET_INTX_PER_LINE 8

struct vnet_intx_line {
	uint8_t line;
	uint8_t vector; /* 0: entry unused */
	uint32_t apic_id;
	unsigned n;
	struct virtio_net *devs[VNET_INTX_PER_LINE];
};

static struct vnet_intx_line intx_lines[VNET_INTX_LINES];
static struct spinlock intx_lock = SPINLOCK_INIT;

struct virtio_net {
	struct netdev nd;
	struct virtio_pci vp;
	struct pci_dev *pci;
	char where[16]; /* PCI address, for messages before the name */
	uint64_t offered, features;
	unsigned hdr_len;
	bool ready; /* DRIVER_OK is set: the thread may work */
	bool started;
	bool broken;
	struct thread *thread;
	bool stopping;
	struct ksem wake;
	int config_pending;

	enum vnet_intr_mode intr_mode;
	struct vnet_irq irq[3];
	struct vnet_intx_line *intx;

	struct virtq rxq;
	struct spinlock rx_lock;
	struct vnet_rxbuf *rx_free, *rx_all;
	unsigned rx_total, rx_posted, rx_lent, rx_nfree;
	unsigned rx_target, rx_cap;
	size_t rx_block, rx_hdr_off;
	uint32_t rx_len;  /* device-writable bytes per buffer */
	unsigned rx_skip; /* buffers left of a dropped multi-buffer frame */
	bool rx_starved, rx_nomem;
	uint64_t rx_starved_at;

	struct virtq txq;
	struct spinlock tx_lock;
	struct vnet_txslot *tx_slots;
	unsigned tx_nslots, tx_inflight;
	uint16_t tx_free;

	/* The stall check: the used indices at the last look, and when. */
	uint64_t stall_check_at;
	uint16_t stall_tx_used, stall_rx_used;

	struct vnet_ratelimit rl_malformed, rl_starved, rl_stall;
};

static const struct netdev_ops virtio_net_ops;

/* Kernel memory is identity mapped: a pointer is its physical address. */
static uint64_t dma_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static bool ratelimit(struct vnet_ratelimit *rl, unsigned *suppressed)
{
	uint64_t now = time_ns();

	if (rl->next && now < rl->next) {
		rl->suppressed++;
		return false;
	}
	rl->next = now + VNET_LOG_INTERVAL_NS;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

/* --- feature negotiation ------------------------------------------- */

static const struct {
	unsigned bit;
	const char *name;
} feature_names[] = {
	{ VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM" },
	{ VIRTIO_NET_F_MTU, "MTU" },
	{ VIRTIO_NET_F_MAC, "MAC" },
	{ VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4" },
	{ VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" },
	{ VIRTIO_NET_F_STATUS, "STATUS" },
	{ VIRTIO_F_EVENT_IDX, "EVENT_IDX" },
	{ VIRTIO_F_VERSION_1, "VERSION_1" },
	{ VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM" },
};

static void feature_string(uint64_t f, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(feature_names); i++) {
		if (!(f & BIT(feature_names[i].bit)) || n >= size)
			continue;
		n += (size_t)ksnprintf(buf + n, size - n, "%s%s", n ? " " : "",
				       feature_names[i].name);
	}
}

static bool has(const struct virtio_net *vn, unsigned bit)
{
	return (vn->features & BIT(bit)) != 0;
}

/* The kernel option virtio-net.offload: on (the default) or off. */
static bool offload_wanted(void)
{
	const char *v = cmdline_option(kernel_cmdline(), "virtio-net.offload");

	if (!v || strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return true;
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return false;
	kprintf("virtio-net: virtio-net.offload=%s: not on or off; on\n", v);
	return true;
}

/*
 * Section 3.1.1 steps 4-6. Receive offloads only (see the top of the
 * file): GUEST_TSO4 needs GUEST_CSUM (section 5.1.3.1) and, here,
 * MRG_RXBUF, without which every buffer would have to hold 64 KiB
 * (section 5.1.6.3.1). VIRTIO_F_ACCESS_PLATFORM is accepted because
 * there is no IOMMU to program: the addresses we give are the physical
 * ones either way. A field of the device configuration that the device's
 * configuration space is too short to hold is not asked for.
 */
static int negotiate(struct virtio_net *vn)
{
	uint64_t want = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
			BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
			BIT(VIRTIO_F_EVENT_IDX);
	uint64_t offload =
		BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4);
	uint32_t cfg_len = vp_config_len(&vn->vp);
	char names[128];

	vn->offered = vp_get_features(&vn->vp);
	if (vn->vp.modern) {
		if (!(vn->offered & BIT(VIRTIO_F_VERSION_1))) {
			kprintf("virtio-net: %s: modern interface without "
				"VERSION_1 (features %#llx); not used\n",
				vn->where, (unsigned long long)vn->offered);
			return -KERR_EINVAL;
		}
		want |= BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM);
	} else if (cfg_len >= 4) {
		/* MSI-X, if we enable it, takes 4 bytes of it. */
		cfg_len -= 4;
	}
	if (cfg_len < offsetof(struct virtio_net_config, mtu) + 2)
		want &= ~BIT(VIRTIO_NET_F_MTU);
	if (cfg_len < offsetof(struct virtio_net_config, status) + 2)
		want &= ~BIT(VIRTIO_NET_F_STATUS);
	if (cfg_len < offsetof(struct virtio_net_config, mac) + 6)
		want &= ~BIT(VIRTIO_NET_F_MAC);

	if (offload_wanted())
		want |= offload;
	vn->features = vn->offered & want;
	if (!(vn->features & BIT(VIRTIO_NET_F_GUEST_CSUM)) ||
	    !(vn->features & BIT(VIRTIO_NET_F_MRG_RXBUF)))
		vn->features &= ~BIT(VIRTIO_NET_F_GUEST_TSO4);
	vp_set_features(&vn->vp, vn->features);
	if (vp_features_ok(&vn->vp) < 0) {
		kprintf("virtio-net: %s: device did not accept features "
			"%#llx (offered %#llx); not used\n",
			vn->where, (unsigned long long)vn->features,
			(unsigned long long)vn->offered);
		return -KERR_EIO;
	}
	vn->hdr_len =
		has(vn, VIRTIO_F_VERSION_1) || has(vn, VIRTIO_NET_F_MRG_RXBUF)
			? sizeof(struct virtio_net_hdr)
			: VNET_HDR_LEN_LEGACY;
	vn->nd.rx_csum = has(vn, VIRTIO_NET_F_GUEST_CSUM);
	vn->nd.rx_gso = has(vn, VIRTIO_NET_F_GUEST_TSO4);
	feature_string(vn->features, names, sizeof(names));
	klog(LOG_DEBUG,
	     "virtio-net: %s: features offered %#llx, accepted %#llx (%s), "
	     "header %u bytes\n",
	     vn->where, (unsigned long long)vn->offered,
	     (unsigned long long)vn->features, names, vn->hdr_len);
	return 0;
}

/* --- device configuration ------------------------------------------ */

static void read_config_once(struct virtio_net *vn, struct virtio_net_config *c)
{
	memset(c, 0, sizeof(*c));
	if (has(vn, VIRTIO_NET_F_MAC))
		for (unsigned i = 0; i < 6; i++)
			c->mac[i] = vp_config_read8(&vn->vp, i);
	if (has(vn, VIRTIO_NET_F_STATUS))
		c->status = vp_config_read16(
			&vn->vp, offsetof(struct virtio_net_config, status));
	if (has(vn, VIRTIO_NET_F_MTU))
		c->mtu = vp_config_read16(
			&vn->vp, offsetof(struct virtio_net_config, mtu));
}

/* A consistent copy (section 2.4.1): a modern device's generation count
 * did not change across the reads; a legacy device gave the same bytes
 * twice in a row. */
static void read_config(struct virtio_net *vn, struct virtio_net_config *c)
{
	struct virtio_net_config again;

	for (unsigned tries = 0; tries < 16; tries++) {
		uint8_t gen = vp_config_generation(&vn->vp);

		read_config_once(vn, c);
		if (vn->vp.modern) {
			if (gen == vp_config_generation(&vn->vp))
				return;
			continue;
		}
		read_config_once(vn, &again);
		if (memcmp(c, &again, sizeof(again)) == 0)
			return;
	}
}

static bool link_status(struct virtio_net *vn)
{
	if (!has(vn, VIRTIO_NET_F_STATUS))
		return true;
	return vp_config_read16(&vn->vp,
				offsetof(struct virtio_net_config, status)) &
	       VIRTIO_NET_S_LINK_UP;
}

static void apply_config(struct virtio_net *vn)
{
	struct virtio_net_config c;
	struct netdev *nd = &vn->nd;

	read_config(vn, &c);
	if (has(vn, VIRTIO_NET_F_MAC)) {
		memcpy(nd->mac, c.mac, 6);
	} else {
		/* Section 5.1.5: without one, the driver makes one up. */
		uint64_t r = rdtsc() ^ ((uint64_t)vn->pci->bus << 16) ^
			     ((uint64_t)vn->pci->dev << 8) ^ vn->pci->fn;

		nd->mac[0] = 0x02; /* locally administered, unicast */
		for (unsigned i = 1; i < 6; i++)
			nd->mac[i] = (uint8_t)(r >> (8 * i));
		kprintf("virtio-net: %s: device has no MAC address; using "
			"%02x:%02x:%02x:%02x:%02x:%02x\n",
			vn->where, nd->mac[0], nd->mac[1], nd->mac[2],
			nd->mac[3], nd->mac[4], nd->mac[5]);
	}
	nd->mtu = VNET_MTU_DEFAULT;
	if (has(vn, VIRTIO_NET_F_MTU)) {
		if (c.mtu < VNET_MTU_MIN)
			kprintf("virtio-net: %s: device MTU %u is below %u; "
				"using %u\n",
				vn->where, c.mtu, VNET_MTU_MIN,
				VNET_MTU_DEFAULT);
		else if (c.mtu > VNET_MTU_MAX)
			nd->mtu = VNET_MTU_MAX;
		else
			nd->mtu = c.mtu;
	}
	nd->link_up = has(vn, VIRTIO_NET_F_STATUS)
			      ? (c.status & VIRTIO_NET_S_LINK_UP) != 0
			      : true;
}

/* --- interrupts ----------------------------------------------------- */

/*
 * IRQ context, MSI-X. Wake the thread, nothing more: an MSI-X message
 * needs no acknowledgement from the device.
 */
static void virtio_net_intr(struct irq_frame *f, void *ctx)
{
	struct vnet_irq *irq = ctx;
	struct virtio_net *vn = irq->vn;

	(void)f;
	switch (irq->kind) {
	case VNET_IRQ_CONFIG:
	case VNET_IRQ_SHARED:
		__atomic_store_n(&vn->config_pending, 1, __ATOMIC_RELEASE);
		break;
	case VNET_IRQ_QUEUE:
		break;
	}
	ksem_post(&vn->wake);
	lapic_eoi();
}

/*
 * IRQ context, INTx: reading a device's ISR acknowledges it and lowers
 * its line (section 4.1.5.3); a zero ISR means another function raised
 * the line. Every device on it is asked before the EOI, or the level
 * interrupt would come straight back.
 */
static void virtio_net_intx(struct irq_frame *f, void *ctx)
{
	struct vnet_intx_line *l = ctx;
	unsigned n = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE);

	(void)f;
	for (unsigned i = 0; i < n; i++) {
		struct virtio_net *vn = l->devs[i];
		uint8_t isr = vp_isr(&vn->vp);

		if (!isr)
			continue;
		if (isr & VIRTIO_ISR_CONFIG)
			__atomic_store_n(&vn->config_pending, 1,
					 __ATOMIC_RELEASE);
		ksem_post(&vn->wake);
	}
	lapic_eoi();
}

/* Join the device's INTx line, routing it on first use. */
static int intx_attach(struct virtio_net *vn, uint32_t apic_id)
{
	struct pci_dev *d = vn->pci;
	struct vnet_intx_line *l = NULL, *unused = NULL;
	uint64_t flags = spin_lock_irqsave(&intx_lock);
	int err = 0;

	for (unsigned i = 0; i < VNET_INTX_LINES; i++) {
		if (intx_lines[i].vector && intx_lines[i].line == d->irq_line)
			l = &intx_lines[i];
		else if (!intx_lines[i].vector && !unused)
			unused = &intx_lines[i];
	}
	if (l) {
		if (l->n == VNET_INTX_PER_LINE)
			err = -KERR_ENOSPC;
		else
			err = pci_intx_route(d, l->vector, l->apic_id);
	} else if (!unused) {
		err = -KERR_ENOSPC;
	} else {
		int v = irq_alloc_vector();

		l = unused;
		if (v < 0) {
			err = v;
		} else {
			l->line = d->irq_line;
			l->apic_id = apic_id;
			l->n = 0;
			irq_set_handler((unsigned)v, virtio_net_intx, l);
			err = pci_intx_route(d, (uint8_t)v, apic_id);
			if (err == 0)
				l->vector = (uint8_t)v;
			else
				irq_set_handler((unsigned)v, NULL, NULL);
		}
	}
	if (err == 0) {
		l->devs[l->n] = vn;
		__atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
		vn->intx = l;
	}
	spin_unlock_irqrestore(&intx_lock, flags);
	return err;
}

/* Leave the line, after the device was reset. */
static void intx_detach(struct virtio_net *vn)
{
	struct vnet_intx_line *l = vn->intx;
	uint64_t flags;

	if (!l)
		return;
	pci_intx_unroute(vn->pci);
	flags = spin_lock_irqsave(&intx_lock);
	for (unsigned i = 0; i < l->n; i++) {
		if (l->devs[i] != vn)
			continue;
		l->devs[i] = l->devs[l->n - 1];
		__atomic_store_n(&l->n, l->n - 1, __ATOMIC_RELEASE);
		break;
	}
	spin_unlock_irqrestore(&intx_lock, flags);
	vn->intx = NULL;
}

static int irq_prepare(struct virtio_net *vn, unsigned i,
		       enum vnet_irq_kind kind)
{
	struct vnet_irq *irq = &vn->irq[i];

	if (!irq->vector) {
		int v = irq_alloc_vector();

		if (v < 0)
			return v;
		irq->vector = v;
	}
	irq->vn = vn;
	irq->kind = kind;
	return irq_set_handler((unsigned)irq->vector, virtio_net_intr, irq);
}

/* n == 3: entry 0 for configuration changes, 1 for rx, 2 for tx;
 * n == 1: entry 0 for all. The device may refuse an entry (it reads back
 * VIRTIO_MSI_NO_VECTOR), for instance when it has fewer than we think. */
static int try_msix(struct virtio_net *vn, unsigned n, uint32_t apic_id)
{
	uint16_t rx = n == 3 ? 1 : 0, tx = n == 3 ? 2 : 0;
	int err;

	for (unsigned i = 0; i < n; i++) {
		enum vnet_irq_kind kind = n == 1   ? VNET_IRQ_SHARED
					  : i == 0 ? VNET_IRQ_CONFIG
						   : VNET_IRQ_QUEUE;

		err = irq_prepare(vn, i, kind);
		if (!err)
			err = pci_msix_route(vn->pci, i, apic_id,
					     (uint8_t)vn->irq[i].vector);
		if (err)
			return err;
	}
	err = vp_set_config_vector(&vn->vp, 0);
	if (!err)
		err = vp_set_queue_vector(&vn->vp, VNET_RXQ, rx);
	if (!err)
		err = vp_set_queue_vector(&vn->vp, VNET_TXQ, tx);
	if (err) {
		vp_set_config_vector(&vn->vp, VIRTIO_MSI_NO_VECTOR);
		vp_set_queue_vector(&vn->vp, VNET_RXQ, VIRTIO_MSI_NO_VECTOR);
		vp_set_queue_vector(&vn->vp, VNET_TXQ, VIRTIO_MSI_NO_VECTOR);
		return err;
	}
	vn->intr_mode = n == 3 ? VNET_INTR_MSIX : VNET_INTR_MSIX_SHARED;
	return 0;
}

/* MSI-X with a vector per queue, else one shared vector, else INTx, else
 * polling. Interrupts go to the CPU that attaches the device. */
static void setup_intr(struct virtio_net *vn)
{
	struct pci_dev *d = vn->pci;
	uint32_t apic_id = lapic_id();

	if (d->msix_cap && d->msix_size >= 1 && vp_msix_enable(&vn->vp) == 0) {
		if (d->msix_size >= 3 && try_msix(vn, 3, apic_id) == 0)
			return;
		if (try_msix(vn, 1, apic_id) == 0)
			return;
		vp_msix_disable(&vn->vp);
	}
	if (intx_attach(vn, apic_id) == 0) {
		vn->intr_mode = VNET_INTR_INTX;
		return;
	}
	kprintf("virtio-net: %s: no MSI-X and no INTx line; polling every "
		"%llu ms\n",
		vn->where, (unsigned long long)(VNET_POLL_NS / NSEC_PER_MSEC));
	vn->intr_mode = VNET_INTR_POLL;
}

static void teardown_intr(struct virtio_net *vn)
{
	intx_detach(vn);
	vp_msix_disable(&vn->vp);
	for (unsigned i = 0; i < ARRAY_SIZE(vn->irq); i++)
		if (vn->irq[i].vector)
			irq_set_handler((unsigned)vn->irq[i].vector, NULL,
					NULL);
}

/* --- receive -------------------------------------------------------- */

static struct vnet_rxbuf *rxbuf_alloc(struct virtio_net *vn)
{
	uint8_t *mem = kmalloc(vn->rx_block);
	struct vnet_rxbuf *b = (struct vnet_rxbuf *)mem;

	if (!mem)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->owner = vn;
	b->nb.driver = b;
	return b;
}

static uint8_t *rxbuf_hdr(const struct virtio_net *vn, struct vnet_rxbuf *b)
{
	return (uint8_t *)b + vn->rx_hdr_off;
}

/* Called with rx_lock held. */
static void rxbuf_free_locked(struct virtio_net *vn, struct vnet_rxbuf *b)
{
	b->state = VNET_RXB_FREE;
	b->next = vn->rx_free;
	vn->rx_free = b;
	vn->rx_nfree++;
}

static void log_ring_state(struct virtio_net *vn)
{
	unsigned suppressed, lent, total;
	uint64_t flags;

	if (vn->rx_posted != 0) {
		if (vn->rx_starved) {
			vn->rx_starved = false;
			kprintf("virtio-net: %s: receive ring refilled after "
				"%llu ms\n",
				vn->nd.name,
				(unsigned long long)((time_ns() -
						      vn->rx_starved_at) /
						     NSEC_PER_MSEC));
		}
		return;
	}
	if (vn->rx_starved)
		return;
	vn->rx_starved = true;
	vn->rx_starved_at = time_ns();
	vn->nd.stats.rx_ring_empty++;
	if (!ratelimit(&vn->rl_starved, &suppressed))
		return;
	flags = spin_lock_irqsave(&vn->rx_lock);
	lent = vn->rx_lent;
	total = vn->rx_total;
	spin_unlock_irqrestore(&vn->rx_lock, flags);
	kprintf("virtio-net: %s: receive ring empty: %u of %u buffers with "
		"the stack%s; frames wait in the device until some come "
		"back\n",
		vn->nd.name, lent, total,
		vn->rx_nomem ? ", out of memory for more" : "");
}

/*
 * Keep rx_target buffers posted: take them from the free list and
 * allocate while the pool is below rx_cap. Returns how many were added;
 * the caller tells the device. Thread context (the device's thread, or
 * attach before DRIVER_OK).
 */
static unsigned fill_ring(struct virtio_net *vn)
{
	uint64_t flags = spin_lock_irqsave(&vn->rx_lock);
	unsigned added = 0;

	vn->rx_nomem = false;
	while (vn->rx_posted < vn->rx_target && virtq_num_free(&vn->rxq)) {
		struct vnet_rxbuf *b = vn->rx_free;
		struct virtq_buf vb;

		if (b) {
			vn->rx_free = b->next;
			vn->rx_nfree--;
		} else {
			if (vn->rx_total >= vn->rx_cap)
				break;
			spin_unlock_irqrestore(&vn->rx_lock, flags);
			b = rxbuf_alloc(vn);
			flags = spin_lock_irqsave(&vn->rx_lock);
			if (!b) {
				vn->rx_nomem = true;
				break;
			}
			b->all_next = vn->rx_all;
			vn->rx_all = b;
			vn->rx_total++;
		}
		vb.addr = dma_addr(rxbuf_hdr(vn, b));
		vb.len = vn->rx_len;
		vb.write = true;
		if (virtq_add(&vn->rxq, &vb, 1, b) < 0) {
			rxbuf_free_locked(vn, b);
			break;
		}
		b->state = VNET_RXB_POSTED;
		vn->rx_posted++;
		added++;
	}
	spin_unlock_irqrestore(&vn->rx_lock, flags);
	return added;
}

/* Refill and tell the device once for the batch. The device's thread. */
static void virtio_net_rx_fill(struct virtio_net *vn)
{
	if (fill_ring(vn) && virtq_kick_prepare(&vn->rxq))
		vp_notify(&vn->vp, &vn->rxq);
	log_ring_state(vn);
}

static __attribute__((format(printf, 2, 3))) void
rx_malformed(struct virtio_net *vn, const char *fmt, ...)
{
	unsigned suppressed;
	char why[80];
	va_list ap;

	vn->nd.stats.rx_malformed++;
	if (!ratelimit(&vn->rl_malformed, &suppressed))
		return;
	va_start(ap, fmt);
	kvsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (suppressed)
		kprintf("virtio-net: %s: dropped a received frame: %s (and %u "
			"more since the last report)\n",
			vn->nd.name, why, suppressed);
	else
		kprintf("virtio-net: %s: dropped a received frame: %s\n",
			vn->nd.name, why);
}

static void rx_recycle(struct virtio_net *vn, struct vnet_rxbuf *b)
{
	uint64_t flags = spin_lock_irqsave(&vn->rx_lock);

	rxbuf_free_locked(vn, b);
	spin_unlock_irqrestore(&vn->rx_lock, flags);
}

static void mark_broken(struct virtio_net *vn, const char *why);

/*
 * The header of a frame's first buffer, checked (section 5.1.6.4): what
 * it says of the checksum and of segmentation, into f. False, with the
 * reason logged, for a header we did not allow the device to send.
 */
static bool rx_parse_hdr(struct virtio_net *vn, const struct virtio_net_hdr *h,
			 struct netdev_rxframe *f)
{
	f->csum = NETDEV_RX_CSUM_NONE;
	f->gso_size = 0;
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* ECN (0x80), UDP, TCPv6: not negotiated. */
		if (h->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 ||
		    !has(vn, VIRTIO_NET_F_GUEST_TSO4)) {
			rx_malformed(vn, "gso_type %#x not negotiated",
				     h->gso_type);
			return false;
		}
		f->gso_size = h->gso_size ? h->gso_size : 1;
	}
	/* Without GUEST_CSUM the flags must be 0 and mean nothing. */
	if (!has(vn, VIRTIO_NET_F_GUEST_CSUM))
		return true;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		f->csum = NETDEV_RX_CSUM_PARTIAL;
		f->csum_start = h->csum_start;
		f->csum_offset = h->csum_offset;
	} else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		f->csum = NETDEV_RX_CSUM_VALID;
	}
	return true;
}

/* Give back the buffers of a frame not handed to the stack. */
static void rx_recycle_frame(struct virtio_net *vn, struct netdev_rxbuf *nb)
{
	while (nb) {
		struct netdev_rxbuf *next = nb->next;

		rx_recycle(vn, nb->driver);
		nb = next;
	}
}

/* The next used receive buffer, or NULL; thread context. */
static struct vnet_rxbuf *rx_get(struct virtio_net *vn, uint32_t *len)
{
	void *cookie;
	uint64_t flags;
	int r = virtq_get(&vn->rxq, &cookie, len);

	if (r == 0)
		return NULL;
	if (r < 0) {
		mark_broken(vn, "receive queue returned a buffer it did not "
				"have");
		return NULL;
	}
	flags = spin_lock_irqsave(&vn->rx_lock);
	vn->rx_posted--;
	spin_unlock_irqrestore(&vn->rx_lock, flags);
	return cookie;
}

/*
 * Gather the frame that starts with used buffer b ('len' bytes used),
 * into f: the first buffer's header says how many buffers it spans
 * (num_buffers, with MRG_RXBUF), and the device marks them all used
 * together (section 5.1.6.4). False, with the buffers recycled, unless
 * it is one good frame. The device's thread.
 */
static bool rx_gather(struct virtio_net *vn, struct vnet_rxbuf *b, uint32_t len,
		      struct netdev_rxframe *f)
{
	const struct virtio_net_hdr *h = (const void *)rxbuf_hdr(vn, b);
	struct netdev_rxbuf *tail = &b->nb;
	unsigned nbufs = 1, want = 1;
	size_t limit;

	b->nb.next = NULL;
	if (len < vn->hdr_len || len > vn->rx_len) {
		rx_malformed(vn, "%u bytes used of a %u-byte buffer", len,
			     vn->rx_len);
		rx_recycle(vn, b);
		return false;
	}
	if (has(vn, VIRTIO_NET_F_MRG_RXBUF)) {
		want = h->num_buffers;
		if (want == 0 || want - 1u > vn->rx_posted) {
			/* Never skip more than could still be in the ring. */
			vn->rx_skip = want ? vn->rx_posted : 0;
			rx_malformed(vn, "num_buffers %u, %u posted", want,
				     vn->rx_posted);
			rx_recycle(vn, b);
			return false;
		}
	}
	b->nb.data = rxbuf_hdr(vn, b) + vn->hdr_len;
	b->nb.len = len - vn->hdr_len;
	f->bufs = &b->nb;
	f->len = b->nb.len;
	/* The header is read before the later buffers are recycled. */
	if (!rx_parse_hdr(vn, h, f)) {
		vn->rx_skip = want - 1u;
		rx_recycle(vn, b);
		return false;
	}
	while (nbufs < want) {
		struct vnet_rxbuf *m = rx_get(vn, &len);

		if (!m) {
			bool broken =
				__atomic_load_n(&vn->broken, __ATOMIC_ACQUIRE);

			vn->rx_skip = broken ? 0 : want - nbufs;
			rx_malformed(vn, "%u of its %u buffers used", nbufs,
				     want);
			rx_recycle_frame(vn, f->bufs);
			return false;
		}
		m->nb.next = NULL;
		m->nb.data = rxbuf_hdr(vn, m);
		m->nb.len = len;
		tail->next = &m->nb;
		tail = &m->nb;
		nbufs++;
		f->len += len;
		if (len > vn->rx_len) {
			vn->rx_skip = want - nbufs;
			rx_malformed(vn, "%u bytes used of a %u-byte buffer",
				     len, vn->rx_len);
			rx_recycle_frame(vn, f->bufs);
			return false;
		}
	}
	f->nbufs = nbufs;
	limit = f->gso_size ? NETDEV_RX_FRAME_MAX : vn->nd.mtu + ETH_HLEN_MAX;
	if (f->len < ETH_HLEN || f->bufs->len < ETH_HLEN) {
		rx_malformed(vn, "length %zu < %u", f->len, ETH_HLEN);
	} else if (f->len > limit) {
		if (nbufs > 1)
			rx_malformed(vn,
				     "length %zu > %zu, spread over %u "
				     "buffers",
				     f->len, limit, nbufs);
		else
			rx_malformed(vn, "length %zu > %zu", f->len, limit);
	} else if (f->csum == NETDEV_RX_CSUM_PARTIAL &&
		   (size_t)f->csum_start + f->csum_offset + 2 > f->len) {
		rx_malformed(vn, "checksum at %u + %u past the end (%zu)",
			     f->csum_start, f->csum_offset, f->len);
	} else {
		return true;
	}
	rx_recycle_frame(vn, f->bufs);
	return false;
}

/* Lend a gathered frame's buffers to the stack and hand it over. */
static void rx_deliver(struct virtio_net *vn, struct netdev_rxframe *f)
{
	struct netdev_stats *st = &vn->nd.stats;
	uint64_t flags = spin_lock_irqsave(&vn->rx_lock);

	for (struct netdev_rxbuf *nb = f->bufs; nb; nb = nb->next) {
		struct vnet_rxbuf *b = nb->driver;

		b->state = VNET_RXB_LENT;
		vn->rx_lent++;
	}
	spin_unlock_irqrestore(&vn->rx_lock, flags);
	st->rx_packets++;
	st->rx_bytes += f->len;
	if (f->gso_size)
		st->rx_gso++;
	if (f->csum == NETDEV_RX_CSUM_VALID)
		st->rx_csum_valid++;
	else if (f->csum == NETDEV_RX_CSUM_PARTIAL)
		st->rx_csum_partial++;
	vn->nd.stack.rx(&vn->nd, f);
}

/*
 * Hand the frames the device has written to the stack. The device's
 * thread only; refills every VNET_RX_BATCH buffers so that a long burst
 * does not drain the ring.
 */
static void virtio_net_rx_poll(struct virtio_net *vn)
{
	bool started = __atomic_load_n(&vn->started, __ATOMIC_ACQUIRE);
	unsigned n = 0, next_fill = VNET_RX_BATCH;

	for (unsigned budget = vn->rxq.size; budget; budget--) {
		struct netdev_rxframe f;
		struct vnet_rxbuf *b;
		uint32_t len;

		b = rx_get(vn, &len);
		if (!b)
			break;
		n++;
		if (vn->rx_skip) {
			/* A later part of a frame we already dropped. */
			vn->rx_skip--;
			rx_recycle(vn, b);
		} else if (rx_gather(vn, b, len, &f)) {
			n += f.nbufs - 1;
			if (!started) {
				vn->nd.stats.rx_dropped++;
				rx_recycle_frame(vn, f.bufs);
			} else {
				rx_deliver(vn, &f);
			}
		}
		if (n >= next_fill) {
			virtio_net_rx_fill(vn);
			next_fill = n + VNET_RX_BATCH;
		}
	}
}

/* Any thread, also from inside the stack's rx callback. */
static void virtio_net_rx_release(struct netdev *nd, struct netdev_rxbuf *nb)
{
	struct virtio_net *vn = nd->priv;
	struct vnet_rxbuf *b = nb ? nb->driver : NULL;
	uint64_t flags;
	bool low;

	if (!b || b->owner != vn) {
		kprintf("virtio-net: %s: rx_release of a buffer that is not "
			"ours\n",
			nd->name);
		return;
	}
	flags = spin_lock_irqsave(&vn->rx_lock);
	if (b->state != VNET_RXB_LENT) {
		spin_unlock_irqrestore(&vn->rx_lock, flags);
		kprintf("virtio-net: %s: rx_release of a buffer not lent "
			"(released twice?)\n",
			nd->name);
		return;
	}
	vn->rx_lent--;
	rxbuf_free_locked(vn, b);
	low = vn->rx_posted < vn->rx_target / 2;
	spin_unlock_irqrestore(&vn->rx_lock, flags);
	if (low)
		ksem_post(&vn->wake);
}

/* --- transmit ------------------------------------------------------- */

/*
 * Zero-copy: the header comes from a slot of ours, the frame's fragments
 * follow as they are, one descriptor each. Any thread.
 */
static int virtio_net_tx(struct netdev *nd, const struct netdev_frag *frags,
			 unsigned nfrags, void *cookie)
{
	struct virtio_net *vn = nd->priv;
	struct virtq_buf bufs[NETDEV_TX_FRAGS + 1];
	struct vnet_txslot *slot;
	unsigned n = 1;
	size_t total = 0;
	uint64_t flags;
	bool kick;

	if (!frags || nfrags == 0 || nfrags > NETDEV_TX_FRAGS)
		goto reject;
	for (unsigned i = 0; i < nfrags; i++) {
		if (frags[i].len == 0)
			continue;
		if (!frags[i].data || frags[i].len > nd->mtu + ETH_HLEN_MAX)
			goto reject;
		bufs[n].addr = dma_addr(frags[i].data);
		bufs[n].len = (uint32_t)frags[i].len;
		bufs[n].write = false;
		total += frags[i].len;
		n++;
	}
	if (total < ETH_HLEN || total > nd->mtu + ETH_HLEN_MAX ||
	    n > vn->txq.size)
		goto reject;

	flags = spin_lock_irqsave(&vn->tx_lock);
	if (__atomic_load_n(&vn->broken, __ATOMIC_ACQUIRE)) {
		spin_unlock_irqrestore(&vn->tx_lock, flags);
		return -KERR_EIO;
	}
	if (vn->tx_free == VNET_TX_SLOT_NONE || virtq_num_free(&vn->txq) < n) {
		spin_unlock_irqrestore(&vn->tx_lock, flags);
		return -KERR_EAGAIN;
	}
	slot = &vn->tx_slots[vn->tx_free];
	vn->tx_free = slot->next;
	memset(&slot->hdr, 0, sizeof(slot->hdr));
	slot->busy = true;
	slot->cookie = cookie;
	bufs[0].addr = dma_addr(&slot->hdr);
	bufs[0].len = vn->hdr_len;
	bufs[0].write = false;
	/* Cannot fail: the count and the order were checked. */
	virtq_add(&vn->txq, bufs, n, slot);
	vn->tx_inflight++;
	nd->stats.tx_packets++;
	nd->stats.tx_bytes += total;
	kick = virtq_kick_prepare(&vn->txq);
	if (kick)
		vp_notify(&vn->vp, &vn->txq);
	spin_unlock_irqrestore(&vn->tx_lock, flags);
	return 0;

reject:
	__atomic_fetch_add(&nd->stats.tx_rejected, 1, __ATOMIC_RELAXED);
	return -KERR_EINVAL;
}

/* Called with tx_lock held. */
static void *txslot_put_locked(struct virtio_net *vn, struct vnet_txslot *s)
{
	void *cookie = s->cookie;

	s->busy = false;
	s->cookie = NULL;
	s->next = vn->tx_free;
	vn->tx_free = (uint16_t)(s - vn->tx_slots);
	vn->tx_inflight--;
	return cookie;
}

/* Give the stack back the frames the device has read. The device's
 * thread only; tx_done is called without the lock, so the stack may
 * transmit again from it. */
static void virtio_net_tx_reclaim(struct virtio_net *vn)
{
	bool started = __atomic_load_n(&vn->started, __ATOMIC_ACQUIRE);

	for (;;) {
		uint64_t flags = spin_lock_irqsave(&vn->tx_lock);
		void *slot, *cookie;
		uint32_t len;
		int r = virtq_get(&vn->txq, &slot, &len);

		if (r <= 0) {
			spin_unlock_irqrestore(&vn->tx_lock, flags);
			if (r < 0)
				mark_broken(vn, "transmit queue returned a "
						"buffer it did not have");
			return;
		}
		cookie = txslot_put_locked(vn, slot);
		spin_unlock_irqrestore(&vn->tx_lock, flags);
		if (started && vn->nd.stack.tx_done)
			vn->nd.stack.tx_done(&vn->nd, cookie);
	}
}

/* --- the device's thread -------------------------------------------- */

static void set_link(struct virtio_net *vn, bool up)
{
	struct netdev *nd = &vn->nd;

	if (nd->link_up == up)
		return;
	nd->link_up = up;
	kprintf("virtio-net: %s: link %s\n", nd->name, up ? "up" : "down");
	if (__atomic_load_n(&vn->started, __ATOMIC_ACQUIRE) &&
	    nd->stack.link_changed)
		nd->stack.link_changed(nd, up);
}

/*
 * The device misbehaved (or asked for a reset): stop it, so that it no
 * longer touches our memory, and give the stack back every frame it
 * was sending. Receive buffers lent to the stack come back as usual.
 */
static void mark_broken(struct virtio_net *vn, const char *why)
{
	bool started = __atomic_load_n(&vn->started, __ATOMIC_ACQUIRE);
	uint64_t flags;

	if (__atomic_exchange_n(&vn->broken, true, __ATOMIC_ACQ_REL))
		return;
	kprintf("virtio-net: %s: %s; device stopped\n", vn->nd.name, why);
	flags = spin_lock_irqsave(&vn->tx_lock);
	vp_reset(&vn->vp);
	spin_unlock_irqrestore(&vn->tx_lock, flags);
	for (unsigned i = 0; i < vn->tx_nslots; i++) {
		struct vnet_txslot *s = &vn->tx_slots[i];
		void *cookie;

		flags = spin_lock_irqsave(&vn->tx_lock);
		if (!s->busy) {
			spin_unlock_irqrestore(&vn->tx_lock, flags);
			continue;
		}
		cookie = txslot_put_locked(vn, s);
		spin_unlock_irqrestore(&vn->tx_lock, flags);
		if (started && vn->nd.stack.tx_done)
			vn->nd.stack.tx_done(&vn->nd, cookie);
	}
	set_link(vn, false);
}

static void config_changed(struct virtio_net *vn)
{
	if (vn->vp.modern &&
	    (vp_get_status(&vn->vp) & VIRTIO_STATUS_NEEDS_RESET)) {
		mark_broken(vn, "device needs a reset");
		return;
	}
	set_link(vn, link_status(vn));
}

static void work(struct virtio_net *vn)
{
	bool more;

	do {
		uint64_t flags;

		if (__atomic_load_n(&vn->broken, __ATOMIC_ACQUIRE))
			return;
		virtq_intr_disable(&vn->rxq);
		flags = spin_lock_irqsave(&vn->tx_lock);
		virtq_intr_disable(&vn->txq);
		spin_unlock_irqrestore(&vn->tx_lock, flags);

		virtio_net_rx_poll(vn);
		virtio_net_tx_reclaim(vn);
		virtio_net_rx_fill(vn);

		more = virtq_intr_enable(&vn->rxq);
		flags = spin_lock_irqsave(&vn->tx_lock);
		more |= virtq_intr_enable(&vn->txq);
		spin_unlock_irqrestore(&vn->tx_lock, flags);
	} while (more);
}

/*
 * Once a second, notify a queue again when it made no progress since the
 * last look: the transmit queue with frames in flight (QEMU 7.2's device
 * can miss that it has more to send after a send it had to defer, and
 * then waits for a notification that event suppression tells the driver
 * not to send; Linux guests see the same as a transmit timeout), and the
 * receive queue, so that a device holding frames while it waited for
 * buffers looks again. A notification is always allowed (section
 * 2.7.13), so a spurious one costs one exit. The device's thread.
 */
static void stall_check(struct virtio_net *vn)
{
	uint64_t now = time_ns(), flags;
	unsigned inflight, suppressed;
	uint16_t tx_used, rx_used;

	if (now < vn->stall_check_at)
		return;
	vn->stall_check_at = now + VNET_STALL_NS;
	flags = spin_lock_irqsave(&vn->tx_lock);
	tx_used = vn->txq.last_used;
	inflight = vn->tx_inflight;
	if (inflight && tx_used == vn->stall_tx_used)
		vp_notify(&vn->vp, &vn->txq);
	spin_unlock_irqrestore(&vn->tx_lock, flags);
	rx_used = vn->rxq.last_used;
	if (rx_used == vn->stall_rx_used)
		vp_notify(&vn->vp, &vn->rxq);
	if (inflight && tx_used == vn->stall_tx_used) {
		vn->nd.stats.tx_stalls++;
		if (ratelimit(&vn->rl_stall, &suppressed))
			kprintf("virtio-net: %s: the device took none of %u "
				"frames in flight for a second; notified it "
				"again (%llu times so far)\n",
				vn->nd.name, inflight,
				(unsigned long long)vn->nd.stats.tx_stalls);
	}
	vn->stall_tx_used = tx_used;
	vn->stall_rx_used = rx_used;
}

static int vnet_thread(void *arg)
{
	struct virtio_net *vn = arg;

	while (!__atomic_load_n(&vn->stopping, __ATOMIC_ACQUIRE)) {
		uint64_t period = vn->intr_mode == VNET_INTR_POLL ? VNET_POLL_NS
				  : vn->rx_nomem || vn->rx_starved
					  ? VNET_RETRY_NS
					  : VNET_WATCHDOG_NS;
		int r = ksem_wait_until(&vn->wake, time_ns() + period);

		while (ksem_trywait(&vn->wake))
			;
		/* Nothing until attach has set DRIVER_OK. */
		if (!__atomic_load_n(&vn->ready, __ATOMIC_ACQUIRE))
			continue;
		if (__atomic_exchange_n(&vn->config_pending, 0,
					__ATOMIC_ACQ_REL) ||
		    (r == -KERR_ETIMEDOUT && vn->intr_mode != VNET_INTR_POLL)) {
			if (!__atomic_load_n(&vn->broken, __ATOMIC_ACQUIRE))
				config_changed(vn);
		}
		work(vn);
		if (!__atomic_load_n(&vn->broken, __ATOMIC_ACQUIRE))
			stall_check(vn);
	}
	return 0;
}

static int virtio_net_start(struct netdev *nd)
{
	struct virtio_net *vn = nd->priv;

	if (!nd->stack.rx)
		return -KERR_EINVAL;
	if (__atomic_exchange_n(&vn->started, true, __ATOMIC_ACQ_REL))
		return -KERR_EBUSY;
	ksem_post(&vn->wake);
	return 0;
}

static const struct netdev_ops virtio_net_ops = {
	.tx = virtio_net_tx,
	.rx_release = virtio_net_rx_release,
	.start = virtio_net_start,
};

/* --- probe and attach ----------------------------------------------- */

bool virtio_net_probe(const struct pci_dev *d)
{
	if (d->vendor != VIRTIO_PCI_VENDOR)
		return false;
	if (d->device == VIRTIO_PCI_DEVICE_MODERN_BASE + VIRTIO_ID_NET)
		return true;
	/* Transitional: the subsystem id names the device type. */
	return d->device == VIRTIO_PCI_DEVICE_LEGACY_BASE &&
	       d->subsys_device == VIRTIO_ID_NET;
}

static bool queue_size_ok(struct virtio_net *vn, const char *what,
			  uint16_t size, uint16_t min)
{
	if (size >= min && !(size & (size - 1)))
		return true;
	if (size == 0)
		kprintf("virtio-net: %s: no %s queue; not used\n", vn->where,
			what);
	else
		kprintf("virtio-net: %s: %s queue size %u is not a power of "
			"two from %u; not used\n",
			vn->where, what, size, min);
	return false;
}

static int setup_queues(struct virtio_net *vn)
{
	bool event_idx = has(vn, VIRTIO_F_EVENT_IDX);
	uint16_t rx_size = vp_queue_max(&vn->vp, VNET_RXQ);
	uint16_t tx_size = vp_queue_max(&vn->vp, VNET_TXQ);
	int err;

	/* A frame takes two transmit descriptors at least. */
	if (!queue_size_ok(vn, "receive", rx_size, 1) ||
	    !queue_size_ok(vn, "transmit", tx_size, 2))
		return -KERR_EINVAL;
	err = virtq_init(&vn->rxq, VNET_RXQ, rx_size, event_idx);
	if (!err)
		err = virtq_init(&vn->txq, VNET_TXQ, tx_size, event_idx);
	if (err) {
		kprintf("virtio-net: %s: no memory for queues of %u and %u\n",
			vn->where, rx_size, tx_size);
		return err;
	}
	err = vp_queue_setup(&vn->vp, &vn->rxq);
	if (!err)
		err = vp_queue_setup(&vn->vp, &vn->txq);
	if (err) {
		kprintf("virtio-net: %s: device refused a queue (error %d)\n",
			vn->where, err);
		return err;
	}
	return 0;
}

/* Buffer geometry and the transmit slots, from the MTU and queues. */
static int setup_buffers(struct virtio_net *vn)
{
	unsigned target;

	vn->rx_len = vn->hdr_len + ETH_HLEN_MAX + vn->nd.mtu;
	/* The frame starts 2 bytes past a 4-byte boundary. */
	vn->rx_hdr_off = VNET_RXBUF_META + ((2u - vn->hdr_len) & 3u);
	vn->rx_block = vn->rx_hdr_off + vn->rx_len;
	target = VNET_RX_MEM_MAX / vn->rx_block;
	if (target > VNET_RX_TARGET)
		target = VNET_RX_TARGET;
	if (target < VNET_RX_MIN)
		target = VNET_RX_MIN;
	if (target > vn->rxq.size)
		target = vn->rxq.size;
	vn->rx_target = target;
	vn->rx_cap = 2 * target;

	vn->tx_nslots = vn->txq.size / 2;
	if (vn->tx_nslots > VNET_TX_SLOTS_MAX)
		vn->tx_nslots = VNET_TX_SLOTS_MAX;
	vn->tx_slots = kcalloc(vn->tx_nslots, sizeof(*vn->tx_slots));
	if (!vn->tx_slots)
		return -KERR_ENOMEM;
	for (unsigned i = 0; i < vn->tx_nslots; i++)
		vn->tx_slots[i].next =
			(uint16_t)(i + 1 < vn->tx_nslots ? i + 1
							 : VNET_TX_SLOT_NONE);
	vn->tx_free = 0;
	return 0;
}

static void free_rx_buffers(struct virtio_net *vn)
{
	struct vnet_rxbuf *b = vn->rx_all;

	while (b) {
		struct vnet_rxbuf *next = b->all_next;

		kfree(b);
		b = next;
	}
	vn->rx_all = vn->rx_free = NULL;
}

static void stop_thread(struct virtio_net *vn)
{
	__atomic_store_n(&vn->stopping, true, __ATOMIC_RELEASE);
	ksem_post(&vn->wake);
	thread_join(vn->thread, NULL);
	vn->thread = NULL;
}

int virtio_net_attach(struct pci_dev *d)
{
	struct virtio_net *vn = kcalloc(1, sizeof(*vn));
	struct spinlock unlocked = SPINLOCK_INIT;
	struct thread_attr ta;
	struct netdev *nd;
	char tname[THREAD_NAME_MAX];
	int err;

	if (!vn) {
		kprintf("virtio-net: %02x:%02x.%x: out of memory\n", d->bus,
			d->dev, d->fn);
		return -KERR_ENOMEM;
	}
	nd = &vn->nd;
	vn->pci = d;
	ksnprintf(vn->where, sizeof(vn->where), "%02x:%02x.%x", d->bus, d->dev,
		  d->fn);
	vn->rx_lock = unlocked;
	vn->tx_lock = unlocked;
	ksem_init(&vn->wake, 0);
	nd->ops = &virtio_net_ops;
	nd->priv = vn;

	err = vp_init(&vn->vp, d);
	if (err)
		goto err_free;
	/* The firmware may have left the device running. */
	err = vp_reset(&vn->vp);
	if (err) {
		kprintf("virtio-net: %s: reset did not complete (status "
			"%#x)\n",
			vn->where, vp_get_status(&vn->vp));
		goto err_free;
	}
	vp_add_status(&vn->vp, VIRTIO_STATUS_ACKNOWLEDGE);
	vp_add_status(&vn->vp, VIRTIO_STATUS_DRIVER);
	err = negotiate(vn);
	if (err)
		goto err_failed;
	nd->mode = vn->vp.modern ? "modern" : "legacy";

	/* Before reading the configuration: on a legacy device, MSI-X
	 * moves it. */
	setup_intr(vn);
	apply_config(vn);
	err = setup_queues(vn);
	if (err)
		goto err_free_queues;
	err = setup_buffers(vn);
	if (err) {
		kprintf("virtio-net: %s: out of memory\n", vn->where);
		goto err_free_queues;
	}
	/* Buffers may be made available before DRIVER_OK, but the device
	 * hears of them only after it (section 3.1.1). */
	fill_ring(vn);
	if (vn->rx_posted == 0) {
		kprintf("virtio-net: %s: no memory for receive buffers\n",
			vn->where);
		err = -KERR_ENOMEM;
		goto err_free_buffers;
	}

	ksnprintf(tname, sizeof(tname), "virtio-net %s", vn->where);
	thread_attr_init(&ta);
	ta.name = tname;
	ta.prio = VNET_PRIO;
	vn->thread = thread_create(&ta, vnet_thread, vn);
	if (!vn->thread) {
		kprintf("virtio-net: %s: no memory for its thread\n",
			vn->where);
		err = -KERR_ENOMEM;
		goto err_free_buffers;
	}
	err = netdev_register(nd);
	if (err) {
		kprintf("virtio-net: %s: more than %u network devices; not "
			"used\n",
			vn->where, NETDEV_MAX);
		goto err_stop_thread;
	}

	vp_add_status(&vn->vp, VIRTIO_STATUS_DRIVER_OK);
	if (virtq_kick_prepare(&vn->rxq))
		vp_notify(&vn->vp, &vn->rxq);
	__atomic_store_n(&vn->ready, true, __ATOMIC_RELEASE);
	ksem_post(&vn->wake);
	d->claimed = true;
	kprintf("virtio-net: %s: %02x:%02x:%02x:%02x:%02x:%02x, %s, rx/tx "
		"queues %u/%u, %s, mtu %u, rx offloads %s, link %s\n",
		nd->name, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3],
		nd->mac[4], nd->mac[5], nd->mode, vn->rxq.size, vn->txq.size,
		intr_mode_name[vn->intr_mode], nd->mtu,
		nd->rx_gso    ? "csum+tso4"
		: nd->rx_csum ? "csum"
			      : "none",
		nd->link_up ? "up" : "down");
	return 0;

err_stop_thread:
	stop_thread(vn);
err_free_buffers:
	vp_reset(&vn->vp);
	free_rx_buffers(vn);
	kfree(vn->tx_slots);
err_free_queues:
	vp_reset(&vn->vp);
	teardown_intr(vn);
	virtq_destroy(&vn->rxq);
	virtq_destroy(&vn->txq);
err_failed:
	vp_add_status(&vn->vp, VIRTIO_STATUS_FAILED);
err_free:
	kfree(vn);
	return err;
}
