/*
 * The virtio PCI transport (virtio 1.1, section 4.1): one interface over
 * the two register layouts a device may offer. Legacy devices (virtio
 * 0.9.5, section 4.1.4.8) have their registers in I/O BAR 0; modern
 * devices describe theirs with vendor capabilities (common, notify, ISR
 * and device configuration, section 4.1.4). Transitional devices (device
 * id 0x1000 + type, as GCE's virtio-net 1AF4:1000) offer both; the modern
 * layout is used when its capabilities are complete.
 *
 * Ordering (section 3.1.1): vp_reset(), then ACKNOWLEDGE and DRIVER with
 * vp_add_status(), feature negotiation (vp_features_ok() on a modern
 * device), device-specific setup with the queues, and DRIVER_OK last.
 * Nothing here sleeps; vp_reset() polls with a time limit.
 */
#ifndef NET_VIRTIO_PCI_H
#define NET_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/lib.h>

struct pci_dev;
struct virtq;

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE BIT(0)
#define VIRTIO_STATUS_DRIVER BIT(1)
#define VIRTIO_STATUS_DRIVER_OK BIT(2)
#define VIRTIO_STATUS_FEATURES_OK BIT(3)
#define VIRTIO_STATUS_NEEDS_RESET BIT(6)
#define VIRTIO_STATUS_FAILED BIT(7)

/* Device-independent feature bits (section 6). */
#define VIRTIO_F_ANY_LAYOUT 27 /* legacy only */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* ISR status bits (section 4.1.4.5). */
#define VIRTIO_ISR_QUEUE BIT(0)
#define VIRTIO_ISR_CONFIG BIT(1)

/* "No MSI-X vector" for the config and queue vector registers. */
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* The PCI ids of virtio (section 4.1.2). */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_LEGACY_BASE 0x1000 /* + subsystem id = type */
#define VIRTIO_PCI_DEVICE_MODERN_BASE 0x1040 /* + type */

struct virtio_pci {
	struct pci_dev *pci;
	bool modern;
	/* MSI-X is enabled on the function: on a legacy device this moves
	 * the device configuration from offset 20 to 24. */
	bool msix;
	/* Legacy: the I/O BAR. */
	uint16_t io;
	uint32_t io_size;
	/* Modern: the mapped structures and their lengths. */
	volatile uint8_t *common;
	volatile uint8_t *notify;
	volatile uint8_t *isr;
	volatile uint8_t *device;
	uint32_t notify_len, notify_mul, device_len;
};

/* Find and map the device's registers, preferring the modern layout.
 * 0, or -KERR_ENOENT (with a "virtio-pci:" line saying why) when neither
 * layout is usable. Enables decoding and bus mastering. */
int vp_init(struct virtio_pci *vp, struct pci_dev *d);

/* Write 0 to the status and wait (at most 1 s) until the device reads
 * back 0 (section 4.1.4.3.2). 0 or -KERR_ETIMEDOUT. */
int vp_reset(struct virtio_pci *vp);
uint8_t vp_get_status(struct virtio_pci *vp);
void vp_add_status(struct virtio_pci *vp, uint8_t bits);

/* The device's features (only the low 32 bits on a legacy device) and
 * the driver's choice. */
uint64_t vp_get_features(struct virtio_pci *vp);
void vp_set_features(struct virtio_pci *vp, uint64_t features);
/* Modern only: set FEATURES_OK and check that the device kept it
 * (section 3.1.1, step 6). 0 or -KERR_EIO. A legacy device has no such
 * step and always gets 0. */
int vp_features_ok(struct virtio_pci *vp);

/* The size the device offers for queue idx; 0 if there is no such queue. */
uint16_t vp_queue_max(struct virtio_pci *vp, uint16_t idx);
/* Tell the device where queue q lives and enable it. A legacy device
 * takes only its own size and a ring below 2^44 (a 32-bit page number);
 * a modern one takes a smaller power of two. On a modern device the
 * notification address is checked against the notify structure.
 * 0, -KERR_EINVAL or -KERR_ERANGE. */
int vp_queue_setup(struct virtio_pci *vp, struct virtq *q);
/* The notification ("kick") for q (section 4.1.5.2). */
void vp_notify(struct virtio_pci *vp, const struct virtq *q);

/* Read and clear the ISR status (INTx only: it also deasserts the line).
 * Safe in interrupt context. */
uint8_t vp_isr(struct virtio_pci *vp);

/* MSI-X: route the function's MSI-X (through kernel/pci) and shift the
 * legacy configuration offset. Vectors are MSI-X table entries; the
 * setters read the register back and return -KERR_EIO when the device
 * refused the entry (it reads VIRTIO_MSI_NO_VECTOR). */
int vp_msix_enable(struct virtio_pci *vp);
void vp_msix_disable(struct virtio_pci *vp);
int vp_set_config_vector(struct virtio_pci *vp, uint16_t entry);
int vp_set_queue_vector(struct virtio_pci *vp, uint16_t idx, uint16_t entry);

/* The device-specific configuration (section 4.1.4.6): its length in
 * bytes (for a legacy device, what the I/O BAR holds past the MSI-X
 * registers), a generation count (section 2.4.1; always 0 on a legacy
 * device, whose readers compare two reads instead), and reads of one
 * field with its natural width. Reads beyond the length return 0. */
uint32_t vp_config_len(struct virtio_pci *vp);
uint8_t vp_config_generation(struct virtio_pci *vp);
uint8_t vp_config_read8(struct virtio_pci *vp, uint32_t off);
uint16_t vp_config_read16(struct virtio_pci *vp, uint32_t off);
uint32_t vp_config_read32(struct virtio_pci *vp, uint32_t off);

#endif
