/*
 * PCI (kernel/pci/): every function on every bus, found at boot through
 * ECAM when the MCFG table lists it and the legacy 0xCF8/0xCFC ports
 * otherwise; BARs sized, capabilities walked, MSI and MSI-X programmed
 * for drivers (PCI Local Bus Spec 3.0, ch. 6; PCI Express Base Spec,
 * 7.2.2 for ECAM).
 *
 * Ordering: pci_init() runs once on the boot CPU after acpi_init() and
 * mm_init() (ECAM and BARs above 4 GiB are mapped with mm_map_mmio), and
 * before any driver probes. Drivers then take devices with pci_find().
 */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_BARS 6

/* Standard capability ids (PCI 3.0, appendix H). */
#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11

struct pci_bar {
	uint64_t addr; /* bus address: an I/O port or a physical address */
	uint64_t size; /* 0: not implemented */
	bool io;
	bool mem64;
	bool prefetch;
};

struct pci_dev {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type; /* 0 device, 1 bridge, 2 CardBus (bit 7 off) */
	uint8_t irq_line, irq_pin; /* irq_pin 0: no INTx */
	struct pci_bar bar[PCI_BARS];
	uint8_t msi_cap, msix_cap; /* config offsets, 0 when absent */
	uint16_t msix_size;	   /* table entries */
	bool claimed;		   /* a driver has it (set at its attach) */
	bool intx_routed;	   /* pci_intx_route to pci_intx_unroute */
	/* Set while MSI-X is on (pci_msix_enable to pci_msix_disable). */
	volatile void *msix_table, *msix_pba;
};

/* Enumerate; prints one "pci:" line per function at loglevel debug and
 * a summary line. Returns the number of functions found. */
unsigned pci_init(void);

unsigned pci_count(void);
struct pci_dev *pci_get(unsigned index);
/* The next unclaimed function after 'after' (NULL: from the start) with
 * this vendor and device id (device 0xffff: any). */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device,
			 struct pci_dev *after);

/* Configuration space at off, aligned to the access's width: 4 KiB of it
 * through ECAM, 256 bytes through the ports. What neither reaches reads
 * as all ones and drops writes. Any context. */
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);

/* The config offset of the first capability with this id after 'after'
 * (0: from the list's head), or 0. Bounded against loops. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);

/* Command register: I/O and memory decoding, bus mastering (DMA), each
 * set on or off as given; the register's other bits are kept. */
void pci_enable(struct pci_dev *d, bool io, bool mem, bool master);

/* A memory BAR mapped for MMIO (uncached), as a pointer; NULL for an I/O
 * or absent BAR, one the firmware left unassigned, or when the mapping
 * fails. Decoding is the caller's (pci_enable). */
volatile void *pci_bar_map(struct pci_dev *d, unsigned bar);

/* MSI-X: enable with every vector masked (function mask cleared), then
 * route table entry 'entry' to vector on the CPU apic_id and unmask it.
 * Enabling turns memory decoding on (the table lives in a BAR) and INTx
 * off, and does nothing while MSI-X is on already. 0 or a negative
 * KERR_*. */
int pci_msix_enable(struct pci_dev *d);
int pci_msix_route(struct pci_dev *d, unsigned entry, uint32_t apic_id,
		   uint8_t vector);
/* Mask or unmask one entry; a masked entry's messages wait in the PBA
 * (pci_msix_pending) and go out when it is unmasked. */
int pci_msix_mask(struct pci_dev *d, unsigned entry, bool masked);
bool pci_msix_pending(const struct pci_dev *d, unsigned entry);
/* Every entry masked, MSI-X off, INTx allowed again. */
void pci_msix_disable(struct pci_dev *d);
/* MSI with one vector, unmasked where the function can mask it;
 * -KERR_EBUSY while MSI-X is on. pci_msi_disable turns it off and allows
 * INTx again. */
int pci_msi_enable(struct pci_dev *d, uint32_t apic_id, uint8_t vector);
void pci_msi_disable(struct pci_dev *d);
/* Legacy INTx through the IOAPIC, from the interrupt line the firmware
 * programmed (level, active low unless the MADT's override for that ISA
 * IRQ says otherwise; see kernel/pci/msi.c); -KERR_ENOENT when there is
 * none. Functions sharing a line must share the vector: a second route
 * of the line elsewhere is -KERR_EBUSY. The handler must quiet the
 * device before lapic_eoi(), or the level interrupt comes straight back. */
int pci_intx_route(struct pci_dev *d, uint8_t vector, uint32_t apic_id);
/* Turn the function's INTx off (command register) and drop its share of
 * the route; the IOAPIC input is masked once no function uses it. */
void pci_intx_unroute(struct pci_dev *d);

/* The configuration mechanism in use: ECAM, else the legacy ports. */
bool pci_config_is_ecam(void);
/* A read through the legacy 0xCF8/0xCFC ports whatever pci_init chose
 * (segment 0, the first 256 bytes), serialised with every other port
 * access: to compare the two mechanisms. All ones for a bad address. */
uint32_t pci_port_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off);

#endif
