/*
 * What the parts of kernel/pci share: the configuration space registers
 * they use (PCI Local Bus Spec 3.0, §6.1-6.2 for the type 0 and type 1
 * headers, §6.7 for capabilities, §6.8 for MSI and MSI-X) and the raw
 * access by address that pci_read*()/pci_write*() are built on.
 */
#ifndef KERNEL_PCI_INTERNAL_H
#define KERNEL_PCI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/lib.h>
#include <kernel/pci.h>

/* Common header (§6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO BIT(0)
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST BIT(4)
#define PCI_REVISION 0x08 /* then prog-if, subclass, class */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_MULTIFUNCTION BIT(7)
#define PCI_HEADER_LAYOUT 0x7f
#define PCI_BAR0 0x10

/* Type 0 (§6.2.5.1, §6.2.4). */
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_DEVICE 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

/* Type 1, PCI-to-PCI Bridge Architecture Spec 1.2, §3.2. */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a

#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1
#define PCI_HEADER_CARDBUS 2

/* Base address registers (§6.2.5.1). */
#define PCI_BAR_IO BIT(0)
#define PCI_BAR_MEM_TYPE_SHIFT 1
#define PCI_BAR_MEM_TYPE_64 2
#define PCI_BAR_PREFETCH BIT(3)
#define PCI_BAR_IO_MASK (~0x3u)
#define PCI_BAR_MEM_MASK (~0xfu)

/* Capabilities (§6.7): at most 48 fit in the 192 bytes after the
 * header, so a longer walk is a loop. */
#define PCI_CAP_FIRST 0x40
#define PCI_CAP_MAX 48
#define PCI_CAP_NEXT 1

/* MSI capability (§6.8.1). */
#define PCI_MSI_CTRL 2
#define PCI_MSI_CTRL_ENABLE BIT(0)
#define PCI_MSI_CTRL_MME_MASK (0x7u << 4)
#define PCI_MSI_CTRL_64BIT BIT(7)
#define PCI_MSI_CTRL_MASKABLE BIT(8)
#define PCI_MSI_ADDR_LO 4
#define PCI_MSI_ADDR_HI 8 /* 64-bit variant only */
#define PCI_MSI_DATA_32 8
#define PCI_MSI_DATA_64 12
#define PCI_MSI_MASK_32 12 /* per-vector masking only */
#define PCI_MSI_MASK_64 16

/* MSI-X capability and table (§6.8.2). */
#define PCI_MSIX_CTRL 2
#define PCI_MSIX_CTRL_SIZE_MASK 0x7ffu
#define PCI_MSIX_CTRL_MASKALL BIT(14)
#define PCI_MSIX_CTRL_ENABLE BIT(15)
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_MSIX_BIR_MASK 0x7u
#define PCI_MSIX_OFFSET_MASK (~0x7u)
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_ADDR_LO 0
#define PCI_MSIX_ENTRY_ADDR_HI 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CTRL 12
#define PCI_MSIX_ENTRY_MASKED BIT(0)

/* The largest offset either mechanism reaches: ECAM's 4 KiB. */
#define PCI_CONFIG_SIZE 4096
#define PCI_CONFIG_LEGACY_SIZE 256

/* One function's place, as the mechanisms address it. */
struct pci_addr {
	uint16_t segment;
	uint8_t bus, dev, fn;
};

/* Choose the mechanism: ECAM for every MCFG segment (windows mapped),
 * the ports for segment 0 otherwise. Returns true when ECAM is in use. */
bool pci_config_init(void);

/* Bus ranges to enumerate: one per MCFG entry, or segment 0 buses 0-255
 * through the ports. Returns false past the last. */
bool pci_config_range(unsigned i, uint16_t *segment, uint8_t *first,
		      uint8_t *last);

/* Raw access by address, with width 1, 2 or 4 and off aligned to it.
 * Reads of what no mechanism reaches return all ones; such writes are
 * dropped. */
uint32_t pci_config_read(const struct pci_addr *a, uint16_t off,
			 unsigned width);
void pci_config_write(const struct pci_addr *a, uint16_t off, unsigned width,
		      uint32_t v);

/* "00:03.0", or "0001:00:03.0" outside segment 0, for log lines. */
const char *pci_name(const struct pci_dev *d, char *buf, unsigned size);

#endif
