/*
 * The virtio PCI transport (virtio 1.1, section 4.1). Two register
 * layouts behind one interface:
 *
 * - modern (section 4.1.4): vendor capabilities in config space point
 *   into memory BARs at the common configuration (struct vp_common_cfg),
 *   the notification area (queue q is notified at cap offset +
 *   queue_notify_off * notify_off_multiplier), the ISR byte and the
 *   device configuration. Each field is accessed with its own width;
 *   64-bit fields as two 32-bit halves (section 4.1.3.1).
 * - legacy (virtio 0.9.5; section 4.1.4.8): fixed registers in I/O BAR 0,
 *   the device configuration at offset 20, or 24 once MSI-X is enabled on
 *   the function (the two MSI-X vector registers take 20-23).
 *
 * QEMU: -device virtio-net-pci (transitional), with disable-modern=on
 * (legacy only) or disable-legacy=on (modern only, device id 1AF4:1041).
 * The capabilities come from PCI config space and are bounded against
 * their BAR before any pointer is made from them.
 */
#include "virtio_pci.h"

#include <stddef.h>

#include "virtq.h"
#include <arch/cpu.h>
#include <arch/mmio.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/pci.h>
#include <kernel/time.h>

/* Vendor capability (section 4.1.4), in PCI config space. */
struct vp_cap {
	uint8_t cap_vndr;
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;
	uint32_t length;
	uint32_t notify_off_multiplier; /* notify capability only */
} __attribute__((packed));
_Static_assert(offsetof(struct vp_cap, cap_vndr) == 0, "cap_vndr");
_Static_assert(offsetof(struct vp_cap, cap_next) == 1, "cap_next");
_Static_assert(offsetof(struct vp_cap, cap_len) == 2, "cap_len");
_Static_assert(offsetof(struct vp_cap, cfg_type) == 3, "cfg_type");
_Static_assert(offsetof(struct vp_cap, bar) == 4, "bar");
_Static_assert(offsetof(struct vp_cap, id) == 5, "id");
_Static_assert(offsetof(struct vp_cap, offset) == 8, "offset");
_Static_assert(offsetof(struct vp_cap, length) == 12, "length");
_Static_assert(offsetof(struct vp_cap, notify_off_multiplier) == 16,
	       "notify_off_multiplier");
#define VP_CAP_LEN 16
#define VP_NOTIFY_CAP_LEN 20

/* cfg_type values (section 4.1.4). */
#define VP_CAP_COMMON 1
#define VP_CAP_NOTIFY 2
#define VP_CAP_ISR 3
#define VP_CAP_DEVICE 4

/* Common configuration (section 4.1.4.3). */
struct vp_common_cfg {
	uint32_t device_feature_select;
	uint32_t device_feature;
	uint32_t driver_feature_select;
	uint32_t driver_feature;
	uint16_t msix_config;
	uint16_t num_queues;
	uint8_t device_status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t queue_size;
	uint16_t queue_msix_vector;
	uint16_t queue_enable;
	uint16_t queue_notify_off;
	uint64_t queue_desc;
	uint64_t queue_driver;
	uint64_t queue_device;
} __attribute__((packed));
#define VP_OFF(f) offsetof(struct vp_common_cfg, f)
_Static_assert(VP_OFF(device_feature_select) == 0, "device_feature_select");
_Static_assert(VP_OFF(device_feature) == 4, "device_feature");
_Static_assert(VP_OFF(driver_feature_select) == 8, "driver_feature_select");
_Static_assert(VP_OFF(driver_feature) == 12, "driver_feature");
_Static_assert(VP_OFF(msix_config) == 16, "msix_config");
_Static_assert(VP_OFF(num_queues) == 18, "num_queues");
_Static_assert(VP_OFF(device_status) == 20, "device_status");
_Static_assert(VP_OFF(config_generation) == 21, "config_generation");
_Static_assert(VP_OFF(queue_select) == 22, "queue_select");
_Static_assert(VP_OFF(queue_size) == 24, "queue_size");
_Static_assert(VP_OFF(queue_msix_vector) == 26, "queue_msix_vector");
_Static_assert(VP_OFF(queue_enable) == 28, "queue_enable");
_Static_assert(VP_OFF(queue_notify_off) == 30, "queue_notify_off");
_Static_assert(VP_OFF(queue_desc) == 32, "queue_desc");
_Static_assert(VP_OFF(queue_driver) == 40, "queue_driver");
_Static_assert(VP_OFF(queue_device) == 48, "queue_device");
_Static_assert(sizeof(struct vp_common_cfg) == 56, "vp_common_cfg size");

/* Legacy registers in I/O BAR 0 (section 4.1.4.8). */
struct vp_legacy_regs {
	uint32_t host_features;
	uint32_t guest_features;
	uint32_t queue_address; /* page number of the ring, 4096-byte pages */
	uint16_t queue_size;
	uint16_t queue_select;
	uint16_t queue_notify;
	uint8_t device_status;
	uint8_t isr_status;
	uint16_t config_msix_vector; /* only with MSI-X enabled */
	uint16_t queue_msix_vector;  /* only with MSI-X enabled */
} __attribute__((packed));
#define VPL_OFF(f) offsetof(struct vp_legacy_regs, f)
_Static_assert(VPL_OFF(host_features) == 0, "host_features");
_Static_assert(VPL_OFF(guest_features) == 4, "guest_features");
_Static_assert(VPL_OFF(queue_address) == 8, "queue_address");
_Static_assert(VPL_OFF(queue_size) == 12, "queue_size");
_Static_assert(VPL_OFF(queue_select) == 14, "queue_select");
_Static_assert(VPL_OFF(queue_notify) == 16, "queue_notify");
_Static_assert(VPL_OFF(device_status) == 18, "device_status");
_Static_assert(VPL_OFF(isr_status) == 19, "isr_status");
_Static_assert(VPL_OFF(config_msix_vector) == 20, "config_msix_vector");
_Static_assert(VPL_OFF(queue_msix_vector) == 22, "queue_msix_vector");
#define VPL_CONFIG 20	   /* device configuration without MSI-X */
#define VPL_CONFIG_MSIX 24 /* ... and with it */
#define VPL_QUEUE_ADDR_SHIFT 12

#define VP_RESET_TIMEOUT_NS (1 * NSEC_PER_SEC)

/*
 * The 8- and 16-bit memory accesses that arch/mmio.h does not offer (it
 * has the 32-bit ones). Same rules: volatile, one access of the width.
 */
static inline uint8_t vp_mmio_read8(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint8_t *)(base + off);
}

static inline void vp_mmio_write8(volatile uint8_t *base, uint32_t off,
				  uint8_t v)
{
	*(volatile uint8_t *)(base + off) = v;
}

static inline uint16_t vp_mmio_read16(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint16_t *)(base + off);
}

static inline void vp_mmio_write16(volatile uint8_t *base, uint32_t off,
				   uint16_t v)
{
	*(volatile uint16_t *)(base + off) = v;
}

/* Config-space reads of one capability's fields. */
static void read_cap(const struct pci_dev *d, uint8_t pos, struct vp_cap *c)
{
	memset(c, 0, sizeof(*c));
	c->cap_len = pci_read8(d, pos + offsetof(struct vp_cap, cap_len));
	c->cfg_type = pci_read8(d, pos + offsetof(struct vp_cap, cfg_type));
	c->bar = pci_read8(d, pos + offsetof(struct vp_cap, bar));
	c->offset = pci_read32(d, pos + offsetof(struct vp_cap, offset));
	c->length = pci_read32(d, pos + offsetof(struct vp_cap, length));
	if (c->cfg_type == VP_CAP_NOTIFY && c->cap_len >= VP_NOTIFY_CAP_LEN)
		c->notify_off_multiplier =
			pci_read32(d, pos + offsetof(struct vp_cap,
						     notify_off_multiplier));
}

/*
 * The structure a capability points at, or NULL if it is not in a
 * mappable memory BAR, is shorter than min_len, or leaves its BAR. Each
 * BAR is mapped once.
 */
static volatile uint8_t *map_cap(struct pci_dev *d, const struct vp_cap *c,
				 uint32_t min_len, volatile void *maps[])
{
	const struct pci_bar *b;

	if (c->bar >= PCI_BARS)
		return NULL;
	b = &d->bar[c->bar];
	if (!b->size || b->io || c->length < min_len ||
	    (uint64_t)c->offset + c->length > b->size)
		return NULL;
	if (!maps[c->bar])
		maps[c->bar] = pci_bar_map(d, c->bar);
	if (!maps[c->bar])
		return NULL;
	return (volatile uint8_t *)maps[c->bar] + c->offset;
}

/* Section 4.1.4: use the first capability of each type that we can. */
static bool find_modern(struct virtio_pci *vp, struct pci_dev *d)
{
	volatile void *maps[PCI_BARS] = { 0 };
	struct vp_cap c;
	uint8_t pos = 0;
	unsigned guard = 0;

	while ((pos = pci_find_cap(d, PCI_CAP_VENDOR, pos)) != 0 &&
	       guard++ < 48) {
		volatile uint8_t *p;

		read_cap(d, pos, &c);
		if (c.cap_len < VP_CAP_LEN)
			continue;
		switch (c.cfg_type) {
		case VP_CAP_COMMON:
			if (vp->common)
				break;
			vp->common = map_cap(
				d, &c, sizeof(struct vp_common_cfg), maps);
			break;
		case VP_CAP_NOTIFY:
			if (vp->notify || c.cap_len < VP_NOTIFY_CAP_LEN)
				break;
			p = map_cap(d, &c, 2, maps);
			if (p) {
				vp->notify = p;
				vp->notify_len = c.length;
				vp->notify_mul = c.notify_off_multiplier;
			}
			break;
		case VP_CAP_ISR:
			if (!vp->isr)
				vp->isr = map_cap(d, &c, 1, maps);
			break;
		case VP_CAP_DEVICE:
			if (vp->device)
				break;
			p = map_cap(d, &c, 1, maps);
			if (p) {
				vp->device = p;
				vp->device_len = c.length;
			}
			break;
		default:
			break;
		}
	}
	return vp->common && vp->notify && vp->isr;
}

int vp_init(struct virtio_pci *vp, struct pci_dev *d)
{
	const struct pci_bar *b0 = &d->bar[0];

	memset(vp, 0, sizeof(*vp));
	vp->pci = d;
	if (find_modern(vp, d)) {
		vp->modern = true;
	} else if (d->device >= VIRTIO_PCI_DEVICE_MODERN_BASE) {
		kprintf("virtio-pci: %02x:%02x.%x: modern device without "
			"usable common, notify and ISR capabilities\n",
			d->bus, d->dev, d->fn);
		return -KERR_ENOENT;
	} else if (b0->io && b0->size >= VPL_CONFIG && b0->addr < 0x10000) {
		vp->common = vp->notify = vp->isr = vp->device = NULL;
		vp->io = (uint16_t)b0->addr;
		vp->io_size = (uint32_t)b0->size;
	} else {
		kprintf("virtio-pci: %02x:%02x.%x: neither virtio "
			"capabilities nor a legacy I/O BAR 0\n",
			d->bus, d->dev, d->fn);
		return -KERR_ENOENT;
	}
	pci_enable(d, !vp->modern, true, true);
	return 0;
}

uint8_t vp_get_status(struct virtio_pci *vp)
{
	if (vp->modern)
		return vp_mmio_read8(vp->common, VP_OFF(device_status));
	return inb(vp->io + VPL_OFF(device_status));
}

static void set_status(struct virtio_pci *vp, uint8_t status)
{
	if (vp->modern)
		vp_mmio_write8(vp->common, VP_OFF(device_status), status);
	else
		outb(vp->io + VPL_OFF(device_status), status);
}

void vp_add_status(struct virtio_pci *vp, uint8_t bits)
{
	set_status(vp, vp_get_status(vp) | bits);
}

/* Section 4.1.4.3.2: the device may take time to reset, and the driver
 * must not touch it until the status reads 0. A legacy device resets at
 * once, and reads 0 at once too. */
int vp_reset(struct virtio_pci *vp)
{
	uint64_t deadline = time_ns() + VP_RESET_TIMEOUT_NS;

	set_status(vp, 0);
	while (vp_get_status(vp) != 0) {
		if (time_ns() > deadline)
			return -KERR_ETIMEDOUT;
		time_delay_ns(10 * NSEC_PER_USEC);
	}
	if (vp->modern)
		(void)vp_mmio_read8(vp->common, VP_OFF(config_generation));
	return 0;
}

uint64_t vp_get_features(struct virtio_pci *vp)
{
	uint64_t lo, hi;

	if (!vp->modern)
		return inl(vp->io + VPL_OFF(host_features));
	mmio_write32(vp->common, VP_OFF(device_feature_select), 0);
	lo = mmio_read32(vp->common, VP_OFF(device_feature));
	mmio_write32(vp->common, VP_OFF(device_feature_select), 1);
	hi = mmio_read32(vp->common, VP_OFF(device_feature));
	return lo | hi << 32;
}

void vp_set_features(struct virtio_pci *vp, uint64_t features)
{
	if (!vp->modern) {
		outl(vp->io + VPL_OFF(guest_features), (uint32_t)features);
		return;
	}
	mmio_write32(vp->common, VP_OFF(driver_feature_select), 0);
	mmio_write32(vp->common, VP_OFF(driver_feature), (uint32_t)features);
	mmio_write32(vp->common, VP_OFF(driver_feature_select), 1);
	mmio_write32(vp->common, VP_OFF(driver_feature),
		     (uint32_t)(features >> 32));
}

int vp_features_ok(struct virtio_pci *vp)
{
	if (!vp->modern)
		return 0;
	vp_add_status(vp, VIRTIO_STATUS_FEATURES_OK);
	if (!(vp_get_status(vp) & VIRTIO_STATUS_FEATURES_OK))
		return -KERR_EIO;
	return 0;
}

static void select_queue(struct virtio_pci *vp, uint16_t idx)
{
	if (vp->modern)
		vp_mmio_write16(vp->common, VP_OFF(queue_select), idx);
	else
		outw(vp->io + VPL_OFF(queue_select), idx);
}

uint16_t vp_queue_max(struct virtio_pci *vp, uint16_t idx)
{
	if (vp->modern && idx >= vp_mmio_read16(vp->common, VP_OFF(num_queues)))
		return 0;
	select_queue(vp, idx);
	if (vp->modern)
		return vp_mmio_read16(vp->common, VP_OFF(queue_size));
	return inw(vp->io + VPL_OFF(queue_size));
}

static void write64(volatile uint8_t *base, uint32_t off, uint64_t v)
{
	mmio_write32(base, off, (uint32_t)v);
	mmio_write32(base, off + 4, (uint32_t)(v >> 32));
}

int vp_queue_setup(struct virtio_pci *vp, struct virtq *q)
{
	uint64_t notify_off;

	select_queue(vp, q->index);
	if (!vp->modern) {
		uint64_t pfn = virtq_desc_phys(q) >> VPL_QUEUE_ADDR_SHIFT;

		if (q->size != inw(vp->io + VPL_OFF(queue_size)))
			return -KERR_EINVAL;
		if (pfn > UINT32_MAX)
			return -KERR_ERANGE;
		outl(vp->io + VPL_OFF(queue_address), (uint32_t)pfn);
		return 0;
	}
	if (q->size > vp_mmio_read16(vp->common, VP_OFF(queue_size)))
		return -KERR_EINVAL;
	notify_off =
		(uint64_t)vp_mmio_read16(vp->common, VP_OFF(queue_notify_off)) *
		vp->notify_mul;
	if (notify_off + 2 > vp->notify_len)
		return -KERR_ERANGE;
	q->notify_off = (uint32_t)notify_off;
	vp_mmio_write16(vp->common, VP_OFF(queue_size), q->size);
	write64(vp->common, VP_OFF(queue_desc), virtq_desc_phys(q));
	write64(vp->common, VP_OFF(queue_driver), virtq_avail_phys(q));
	write64(vp->common, VP_OFF(queue_device), virtq_used_phys(q));
	vp_mmio_write16(vp->common, VP_OFF(queue_enable), 1);
	return 0;
}

void vp_notify(struct virtio_pci *vp, const struct virtq *q)
{
	if (vp->modern)
		vp_mmio_write16(vp->notify, q->notify_off, q->index);
	else
		outw(vp->io + VPL_OFF(queue_notify), q->index);
}

uint8_t vp_isr(struct virtio_pci *vp)
{
	if (vp->modern)
		return vp_mmio_read8(vp->isr, 0);
	return inb(vp->io + VPL_OFF(isr_status));
}

int vp_msix_enable(struct virtio_pci *vp)
{
	int err = pci_msix_enable(vp->pci);

	if (err == 0)
		vp->msix = true;
	return err;
}

void vp_msix_disable(struct virtio_pci *vp)
{
	if (!vp->msix)
		return;
	pci_msix_disable(vp->pci);
	vp->msix = false;
}

int vp_set_config_vector(struct virtio_pci *vp, uint16_t entry)
{
	uint16_t got;

	if (vp->modern) {
		vp_mmio_write16(vp->common, VP_OFF(msix_config), entry);
		got = vp_mmio_read16(vp->common, VP_OFF(msix_config));
	} else {
		/* Without MSI-X this offset is the device configuration. */
		if (!vp->msix)
			return -KERR_EINVAL;
		outw(vp->io + VPL_OFF(config_msix_vector), entry);
		got = inw(vp->io + VPL_OFF(config_msix_vector));
	}
	return got == entry ? 0 : -KERR_EIO;
}

int vp_set_queue_vector(struct virtio_pci *vp, uint16_t idx, uint16_t entry)
{
	uint16_t got;

	if (!vp->modern && !vp->msix)
		return -KERR_EINVAL;
	select_queue(vp, idx);
	if (vp->modern) {
		vp_mmio_write16(vp->common, VP_OFF(queue_msix_vector), entry);
		got = vp_mmio_read16(vp->common, VP_OFF(queue_msix_vector));
	} else {
		outw(vp->io + VPL_OFF(queue_msix_vector), entry);
		got = inw(vp->io + VPL_OFF(queue_msix_vector));
	}
	return got == entry ? 0 : -KERR_EIO;
}

static uint32_t legacy_config_base(const struct virtio_pci *vp)
{
	return vp->msix ? VPL_CONFIG_MSIX : VPL_CONFIG;
}

uint32_t vp_config_len(struct virtio_pci *vp)
{
	uint32_t base;

	if (vp->modern)
		return vp->device ? vp->device_len : 0;
	base = legacy_config_base(vp);
	return vp->io_size > base ? vp->io_size - base : 0;
}

uint8_t vp_config_generation(struct virtio_pci *vp)
{
	if (!vp->modern)
		return 0;
	return vp_mmio_read8(vp->common, VP_OFF(config_generation));
}

static bool config_fits(struct virtio_pci *vp, uint32_t off, uint32_t width)
{
	return off <= vp_config_len(vp) && width <= vp_config_len(vp) - off;
}

uint8_t vp_config_read8(struct virtio_pci *vp, uint32_t off)
{
	if (!config_fits(vp, off, 1))
		return 0;
	if (vp->modern)
		return vp_mmio_read8(vp->device, off);
	return inb((uint16_t)(vp->io + legacy_config_base(vp) + off));
}

uint16_t vp_config_read16(struct virtio_pci *vp, uint32_t off)
{
	if (!config_fits(vp, off, 2))
		return 0;
	if (vp->modern)
		return vp_mmio_read16(vp->device, off);
	return inw((uint16_t)(vp->io + legacy_config_base(vp) + off));
}

uint32_t vp_config_read32(struct virtio_pci *vp, uint32_t off)
{
	if (!config_fits(vp, off, 4))
		return 0;
	if (vp->modern)
		return mmio_read32(vp->device, off);
	return inl((uint16_t)(vp->io + legacy_config_base(vp) + off));
}
