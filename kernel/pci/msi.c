/*
 * Interrupts of PCI functions: MSI-X (PCI Local Bus Spec 3.0 §6.8.2), MSI
 * with one vector (§6.8.1) and legacy INTx through the IOAPIC (§2.2.6,
 * §6.2.4). The message address and data are the local APIC's (Intel SDM
 * vol. 3A §11.11), from msi_address() and msi_data().
 *
 * Called at driver attach time from thread context. The driver owns its
 * function, so nothing here is locked per device; the INTx routes, which
 * functions share, are. A table entry is only rewritten while masked:
 * a change to an unmasked entry's address or data is undefined.
 */
#include <arch/apic.h>
#include <arch/mmio.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/pci.h>
#include <kernel/spinlock.h>

#include "internal.h"

/* The MSI-X table and PBA of one function, checked against its BARs. */
struct msix_layout {
	unsigned table_bar, pba_bar;
	uint32_t table_off, pba_off;
};

static void set_command(struct pci_dev *d, uint16_t set, uint16_t clear)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	uint16_t want = (uint16_t)((cmd | set) & ~clear);

	if (want != cmd)
		pci_write16(d, PCI_COMMAND, want);
}

static bool region_in_bar(const struct pci_dev *d, unsigned bar, uint64_t off,
			  uint64_t len)
{
	const struct pci_bar *b;

	if (bar >= PCI_BARS)
		return false;
	b = &d->bar[bar];
	return b->size && !b->io && off <= b->size && len <= b->size - off;
}

static int msix_layout(const struct pci_dev *d, struct msix_layout *l)
{
	uint32_t table = pci_read32(d, d->msix_cap + PCI_MSIX_TABLE);
	uint32_t pba = pci_read32(d, d->msix_cap + PCI_MSIX_PBA);
	uint64_t table_len = (uint64_t)d->msix_size * PCI_MSIX_ENTRY_SIZE;
	uint64_t pba_len = (d->msix_size + 63u) / 64u * 8u;
	char name[16];

	l->table_bar = table & PCI_MSIX_BIR_MASK;
	l->table_off = table & PCI_MSIX_OFFSET_MASK;
	l->pba_bar = pba & PCI_MSIX_BIR_MASK;
	l->pba_off = pba & PCI_MSIX_OFFSET_MASK;
	if (!region_in_bar(d, l->table_bar, l->table_off, table_len) ||
	    !region_in_bar(d, l->pba_bar, l->pba_off, pba_len)) {
		kprintf("pci: %s: MSI-X table (bar%u+0x%x, %u entries) or PBA "
			"(bar%u+0x%x) outside its BAR\n",
			pci_name(d, name, sizeof(name)), l->table_bar,
			l->table_off, d->msix_size, l->pba_bar, l->pba_off);
		return -KERR_EINVAL;
	}
	return 0;
}

static void msix_mask_all(struct pci_dev *d)
{
	for (unsigned i = 0; i < d->msix_size; i++) {
		uint32_t off = i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL;

		mmio_write32(d->msix_table, off,
			     mmio_read32(d->msix_table, off) |
				     PCI_MSIX_ENTRY_MASKED);
	}
}

static void msi_off(struct pci_dev *d)
{
	uint16_t ctrl;

	if (!d->msi_cap)
		return;
	ctrl = pci_read16(d, d->msi_cap + PCI_MSI_CTRL);
	if (ctrl & PCI_MSI_CTRL_ENABLE)
		pci_write16(d, d->msi_cap + PCI_MSI_CTRL,
			    ctrl & ~PCI_MSI_CTRL_ENABLE);
}

int pci_msix_enable(struct pci_dev *d)
{
	struct msix_layout l;
	volatile uint8_t *table, *pba;
	uint16_t ctrl;
	int rc;

	if (!d->msix_cap || !d->msix_size)
		return -KERR_ENOENT;
	if (d->msix_table)
		return 0;
	rc = msix_layout(d, &l);
	if (rc < 0)
		return rc;
	table = (volatile uint8_t *)pci_bar_map(d, l.table_bar);
	pba = (volatile uint8_t *)pci_bar_map(d, l.pba_bar);
	if (!table || !pba)
		return -KERR_EIO; /* pci_bar_map said why */

	/* MSI and MSI-X must never be on together (§6.8.2); the table is
	 * in memory space, so that must decode. */
	msi_off(d);
	set_command(d, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 0);
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_CTRL);
	pci_write16(d, d->msix_cap + PCI_MSIX_CTRL,
		    ctrl | PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	d->msix_table = table + l.table_off;
	d->msix_pba = pba + l.pba_off;
	msix_mask_all(d);
	pci_write16(d, d->msix_cap + PCI_MSIX_CTRL,
		    (ctrl | PCI_MSIX_CTRL_ENABLE) & ~PCI_MSIX_CTRL_MASKALL);
	return 0;
}

int pci_msix_route(struct pci_dev *d, unsigned entry, uint32_t apic_id,
		   uint8_t vector)
{
	uint32_t addr = msi_address(apic_id), off, ctrl;

	if (!d->msix_table || entry >= d->msix_size || !addr || vector < 32)
		return -KERR_EINVAL;
	off = entry * PCI_MSIX_ENTRY_SIZE;
	ctrl = mmio_read32(d->msix_table, off + PCI_MSIX_ENTRY_CTRL);
	mmio_write32(d->msix_table, off + PCI_MSIX_ENTRY_CTRL,
		     ctrl | PCI_MSIX_ENTRY_MASKED);
	mmio_write32(d->msix_table, off + PCI_MSIX_ENTRY_ADDR_LO, addr);
	mmio_write32(d->msix_table, off + PCI_MSIX_ENTRY_ADDR_HI, 0);
	mmio_write32(d->msix_table, off + PCI_MSIX_ENTRY_DATA,
		     msi_data(vector));
	mmio_write32(d->msix_table, off + PCI_MSIX_ENTRY_CTRL,
		     ctrl & ~PCI_MSIX_ENTRY_MASKED);
	return 0;
}

int pci_msix_mask(struct pci_dev *d, unsigned entry, bool masked)
{
	uint32_t off, ctrl;

	if (!d->msix_table || entry >= d->msix_size)
		return -KERR_EINVAL;
	off = entry * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL;
	ctrl = mmio_read32(d->msix_table, off);
	ctrl = masked ? ctrl | PCI_MSIX_ENTRY_MASKED
		      : ctrl & ~PCI_MSIX_ENTRY_MASKED;
	mmio_write32(d->msix_table, off, ctrl);
	return 0;
}

/* The PBA is an array of 64-bit words; §6.8.2 allows aligned 32-bit
 * reads of it. */
bool pci_msix_pending(const struct pci_dev *d, unsigned entry)
{
	if (!d->msix_pba || entry >= d->msix_size)
		return false;
	return mmio_read32(d->msix_pba, entry / 32 * 4) & BIT(entry % 32);
}

void pci_msix_disable(struct pci_dev *d)
{
	uint16_t ctrl;

	if (!d->msix_table)
		return;
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_CTRL);
	pci_write16(d, d->msix_cap + PCI_MSIX_CTRL,
		    ctrl | PCI_MSIX_CTRL_MASKALL);
	msix_mask_all(d);
	pci_write16(d, d->msix_cap + PCI_MSIX_CTRL,
		    ctrl & ~(PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL));
	d->msix_table = NULL;
	d->msix_pba = NULL;
	set_command(d, 0, PCI_COMMAND_INTX_DISABLE);
}

int pci_msi_enable(struct pci_dev *d, uint32_t apic_id, uint8_t vector)
{
	uint32_t addr = msi_address(apic_id);
	uint16_t ctrl, data_off, mask_off;
	uint8_t cap = d->msi_cap;

	if (!cap)
		return -KERR_ENOENT;
	if (!addr || vector < 32)
		return -KERR_EINVAL;
	if (d->msix_table)
		return -KERR_EBUSY;
	/* Firmware may have left MSI-X on. */
	if (d->msix_cap) {
		uint16_t x = pci_read16(d, d->msix_cap + PCI_MSIX_CTRL);

		if (x & PCI_MSIX_CTRL_ENABLE)
			pci_write16(d, d->msix_cap + PCI_MSIX_CTRL,
				    x & ~PCI_MSIX_CTRL_ENABLE);
	}
	ctrl = pci_read16(d, cap + PCI_MSI_CTRL);
	ctrl &= ~(PCI_MSI_CTRL_ENABLE | PCI_MSI_CTRL_MME_MASK);
	pci_write16(d, cap + PCI_MSI_CTRL, ctrl);
	pci_write32(d, cap + PCI_MSI_ADDR_LO, addr);
	if (ctrl & PCI_MSI_CTRL_64BIT) {
		pci_write32(d, cap + PCI_MSI_ADDR_HI, 0);
		data_off = PCI_MSI_DATA_64;
		mask_off = PCI_MSI_MASK_64;
	} else {
		data_off = PCI_MSI_DATA_32;
		mask_off = PCI_MSI_MASK_32;
	}
	pci_write16(d, cap + data_off, (uint16_t)msi_data(vector));
	/* Multiple Message Enable is 0, so only vector 0's bit counts. */
	if (ctrl & PCI_MSI_CTRL_MASKABLE)
		pci_write32(d, cap + mask_off,
			    pci_read32(d, cap + mask_off) & ~1u);
	set_command(d, PCI_COMMAND_INTX_DISABLE, 0);
	pci_write16(d, cap + PCI_MSI_CTRL, ctrl | PCI_MSI_CTRL_ENABLE);
	return 0;
}

void pci_msi_disable(struct pci_dev *d)
{
	if (!d->msi_cap)
		return;
	msi_off(d);
	set_command(d, 0, PCI_COMMAND_INTX_DISABLE);
}

/*
 * INTx. Which IOAPIC input a PCI interrupt pin reaches is written only in
 * the ACPI namespace (the _PRT of each host bridge and the _CRS of its
 * link devices), which needs an AML interpreter this kernel does not
 * have. What it uses instead is the interrupt line the firmware wrote
 * into config space for the 8259s: an ISA IRQ, reached through the MADT's
 * override for it (QEMU names IRQs 5, 9, 10 and 11 as level, active high
 * there, and feeds its PCI interrupt routers into both the 8259s and the
 * IOAPIC's ISA inputs). Where the override leaves trigger or polarity to
 * the bus, or none exists, PCI's own is used: level, active low. A line
 * of 16 or more is taken as a GSI, as some firmware writes there. This
 * misses machines whose router does not feed the ISA inputs in APIC
 * mode; MSI or MSI-X is the way there, and every virtio device has it.
 *
 * A line is shared by the functions wired to it, so all of them must use
 * the first route's vector and CPU.
 */
#define INTX_ROUTES 32

struct intx_route {
	uint32_t gsi;
	uint32_t apic_id;
	uint8_t vector;
	unsigned users; /* functions routed through it */
};

static struct intx_route intx_routes[INTX_ROUTES];
static unsigned intx_route_count;
static struct spinlock intx_lock = SPINLOCK_INIT;

static uint32_t intx_gsi(uint8_t line, unsigned *flags)
{
	const struct acpi_madt_info *m = acpi_madt();
	uint32_t gsi = line;
	uint16_t inti = 0;

	for (unsigned i = 0; line < ACPI_ISA_IRQS && i < m->override_count;
	     i++) {
		if (m->overrides[i].source == line) {
			gsi = m->overrides[i].gsi;
			inti = m->overrides[i].flags;
		}
	}
	*flags = 0;
	if ((inti & ACPI_INTI_TRIGGER_MASK) != ACPI_INTI_TRIGGER_EDGE)
		*flags |= IOAPIC_LEVEL;
	if ((inti & ACPI_INTI_POLARITY_MASK) != ACPI_INTI_POLARITY_HIGH)
		*flags |= IOAPIC_ACTIVE_LOW;
	return gsi;
}

/* Called with intx_lock held. */
static struct intx_route *intx_find(uint32_t gsi)
{
	for (unsigned i = 0; i < intx_route_count; i++)
		if (intx_routes[i].gsi == gsi)
			return &intx_routes[i];
	return NULL;
}

int pci_intx_route(struct pci_dev *d, uint8_t vector, uint32_t apic_id)
{
	struct intx_route *r;
	struct intx_route busy = { 0 };
	unsigned flags;
	uint32_t gsi;
	uint64_t irqf;
	char name[16];
	int rc = 0;

	if (!d->irq_pin || !d->irq_line || d->irq_line == 0xff)
		return -KERR_ENOENT;
	gsi = intx_gsi(d->irq_line, &flags);
	irqf = spin_lock_irqsave(&intx_lock);
	r = intx_find(gsi);
	if (r && (r->vector != vector || r->apic_id != apic_id)) {
		busy = *r;
		rc = -KERR_EBUSY;
	} else if (r) {
		if (!d->intx_routed)
			r->users++;
	} else if (intx_route_count == INTX_ROUTES) {
		rc = -KERR_ENOSPC;
	} else {
		rc = ioapic_route_gsi(gsi, vector, apic_id, flags);
		if (rc == 0) {
			r = &intx_routes[intx_route_count++];
			r->gsi = gsi;
			r->vector = vector;
			r->apic_id = apic_id;
			r->users = 1;
		}
	}
	if (rc == 0)
		d->intx_routed = true;
	spin_unlock_irqrestore(&intx_lock, irqf);
	if (rc == -KERR_EBUSY)
		kprintf("pci: %s: INT%c (line %u, GSI %u) already goes to "
			"vector %u on CPU %u; share it\n",
			pci_name(d, name, sizeof(name)), 'A' + d->irq_pin - 1,
			d->irq_line, gsi, busy.vector, busy.apic_id);
	if (rc == 0)
		set_command(d, 0, PCI_COMMAND_INTX_DISABLE);
	return rc;
}

void pci_intx_unroute(struct pci_dev *d)
{
	struct intx_route *r;
	unsigned flags;
	uint32_t gsi;
	uint64_t irqf;

	if (!d->intx_routed)
		return;
	set_command(d, PCI_COMMAND_INTX_DISABLE, 0);
	gsi = intx_gsi(d->irq_line, &flags);
	irqf = spin_lock_irqsave(&intx_lock);
	r = intx_find(gsi);
	if (r && --r->users == 0) {
		ioapic_mask(gsi);
		*r = intx_routes[--intx_route_count];
	}
	d->intx_routed = false;
	spin_unlock_irqrestore(&intx_lock, irqf);
}
