/*
 * IOAPICs (Intel 82093AA datasheet §3.2; ICH9 datasheet §13.5): an index
 * register at +0x00 and a data window at +0x10 give access to the ID,
 * version and the 64-bit redirection entry of each input. GSI n is input
 * n - gsi_base of the IOAPIC whose range holds it (ACPI 6.5 §5.2.13).
 * QEMU: one 24-input IOAPIC at 0xFEC00000 on -M pc and -M q35.
 *
 * Entries are written with the entry masked, high half first, so the
 * IOAPIC never delivers a half-programmed entry. Routing runs at driver
 * attach time; the lock makes the index/data pairs atomic across CPUs.
 */
#include <arch/apic.h>
#include <arch/mmio.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/spinlock.h>

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_MMIO_SIZE 0x20

#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_REDIR(n) (0x10 + 2 * (n))

/* Redirection entry, 82093AA §3.2.4. */
#define REDIR_ACTIVE_LOW BIT(13)
#define REDIR_LEVEL BIT(15)
#define REDIR_MASKED BIT(16)
#define REDIR_DEST_SHIFT 56

struct ioapic {
	volatile void *regs;
	uint32_t gsi_base;
	unsigned entries;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned ioapic_count;
static struct spinlock ioapic_lock = SPINLOCK_INIT;

static uint32_t ioapic_read(volatile void *regs, uint32_t reg)
{
	mmio_write32(regs, IOAPIC_REGSEL, reg);
	return mmio_read32(regs, IOAPIC_WINDOW);
}

static void ioapic_write(volatile void *regs, uint32_t reg, uint32_t v)
{
	mmio_write32(regs, IOAPIC_REGSEL, reg);
	mmio_write32(regs, IOAPIC_WINDOW, v);
}

/* Version register bits 23:16 hold the highest entry's index. An absent
 * device reads as all ones, which no real version register does. */
static unsigned entries_of(volatile void *regs)
{
	uint32_t ver = ioapic_read(regs, IOAPIC_REG_VER);

	if (ver == 0xffffffffu)
		return 0;
	return ((ver >> 16) & 0xff) + 1;
}

unsigned ioapic_probe_entries(uint64_t phys)
{
	volatile void *regs = mmio_map(phys, IOAPIC_MMIO_SIZE);

	return regs ? entries_of(regs) : 0;
}

int ioapic_init(void)
{
	const struct acpi_madt_info *m = acpi_madt();

	ioapic_count = 0;
	for (unsigned i = 0; i < m->ioapic_count; i++) {
		struct ioapic *io = &ioapics[ioapic_count];

		io->regs = mmio_map(m->ioapics[i].addr, IOAPIC_MMIO_SIZE);
		io->entries = io->regs ? entries_of(io->regs) : 0;
		io->gsi_base = m->ioapics[i].gsi_base;
		if (!io->entries) {
			kprintf("ioapic: 0x%x: no IOAPIC answers; ignored\n",
				m->ioapics[i].addr);
			continue;
		}
		for (unsigned n = 0; n < io->entries; n++) {
			ioapic_write(io->regs, IOAPIC_REG_REDIR(n),
				     REDIR_MASKED);
			ioapic_write(io->regs, IOAPIC_REG_REDIR(n) + 1, 0);
		}
		ioapic_count++;
	}
	if (!ioapic_count) {
		kprintf("ioapic: none usable; no device interrupts\n");
		return -KERR_ENOENT;
	}
	return 0;
}

static struct ioapic *ioapic_of(uint32_t gsi, unsigned *pin)
{
	for (unsigned i = 0; i < ioapic_count; i++) {
		struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->entries) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

int ioapic_route_gsi(uint32_t gsi, uint8_t vector, uint32_t apic_id,
		     unsigned flags)
{
	uint32_t lo = vector | REDIR_MASKED;
	struct ioapic *io;
	uint64_t irqf;
	unsigned pin;

	io = ioapic_of(gsi, &pin);
	if (!io) {
		kprintf("ioapic: GSI %u: no IOAPIC has it\n", gsi);
		return -KERR_ENOENT;
	}
	/* Physical destination mode names 8-bit APIC ids only. */
	if (apic_id > 0xff || vector < 32) {
		kprintf("ioapic: GSI %u: cannot deliver vector %u to CPU %u\n",
			gsi, vector, apic_id);
		return -KERR_EINVAL;
	}
	if (flags & IOAPIC_LEVEL)
		lo |= REDIR_LEVEL;
	if (flags & IOAPIC_ACTIVE_LOW)
		lo |= REDIR_ACTIVE_LOW;
	irqf = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(io->regs, IOAPIC_REG_REDIR(pin), REDIR_MASKED);
	ioapic_write(io->regs, IOAPIC_REG_REDIR(pin) + 1,
		     apic_id << (REDIR_DEST_SHIFT - 32));
	ioapic_write(io->regs, IOAPIC_REG_REDIR(pin), lo);
	ioapic_write(io->regs, IOAPIC_REG_REDIR(pin), lo & ~REDIR_MASKED);
	spin_unlock_irqrestore(&ioapic_lock, irqf);
	return 0;
}

int ioapic_route_isa_irq(unsigned irq, uint8_t vector, uint32_t apic_id)
{
	uint16_t inti;
	uint32_t gsi;
	unsigned flags = 0;

	if (irq >= ACPI_ISA_IRQS)
		return -KERR_EINVAL;
	gsi = acpi_isa_irq_gsi(irq, &inti);
	if ((inti & ACPI_INTI_TRIGGER_MASK) == ACPI_INTI_TRIGGER_LEVEL)
		flags |= IOAPIC_LEVEL;
	if ((inti & ACPI_INTI_POLARITY_MASK) == ACPI_INTI_POLARITY_LOW)
		flags |= IOAPIC_ACTIVE_LOW;
	return ioapic_route_gsi(gsi, vector, apic_id, flags);
}

static int ioapic_set_mask(uint32_t gsi, bool masked)
{
	struct ioapic *io;
	uint64_t irqf;
	uint32_t lo;
	unsigned pin;

	io = ioapic_of(gsi, &pin);
	if (!io)
		return -KERR_ENOENT;
	irqf = spin_lock_irqsave(&ioapic_lock);
	lo = ioapic_read(io->regs, IOAPIC_REG_REDIR(pin));
	lo = masked ? lo | REDIR_MASKED : lo & ~REDIR_MASKED;
	ioapic_write(io->regs, IOAPIC_REG_REDIR(pin), lo);
	spin_unlock_irqrestore(&ioapic_lock, irqf);
	return 0;
}

int ioapic_mask(uint32_t gsi)
{
	return ioapic_set_mask(gsi, true);
}

int ioapic_unmask(uint32_t gsi)
{
	return ioapic_set_mask(gsi, false);
}
