/*
 * PCI configuration space access, by the two mechanisms of a PC:
 *
 * - ECAM (PCI Express Base Spec 5.0 §7.2.2, PCI Firmware Spec 3.2
 *   §4.1.2): every function's 4 KiB is memory mapped at base +
 *   (bus << 20 | dev << 15 | fn << 12) for the segments and bus ranges
 *   the ACPI MCFG lists. QEMU: -M q35 (one segment, 0xB0000000).
 * - Configuration mechanism #1 (PCI Local Bus Spec 3.0 §3.2.2.3.2): an
 *   address written to port 0xCF8, then data through 0xCFC-0xCFF; only
 *   the first 256 bytes, segment 0. QEMU: -M pc (no MCFG).
 *
 * Segment 0 buses that no MCFG entry covers fall back to the ports, as on
 * firmware whose MCFG lists fewer buses than exist. Each ECAM access is
 * one memory transaction and needs no lock; the ports need two, so every
 * port access holds config_lock with interrupts off, or two CPUs (or an
 * interrupt handler and its thread) could pair one's address with the
 * other's data.
 */
#include <arch/cpu.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/spinlock.h>

#include "internal.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define CONFIG_ENABLE BIT(31)

#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12

struct ecam_window {
	uint64_t base; /* of bus 0, as the MCFG gives it */
	uint16_t segment;
	uint8_t first, last;
};

static struct ecam_window ecam[ACPI_MAX_MCFG];
static unsigned ecam_count;
static struct spinlock config_lock = SPINLOCK_INIT;

/* ECAM registers are device memory with the width of the access (the
 * MMIO helpers of arch/mmio.h have 32 bits only). */
static inline uint32_t ecam_read(uintptr_t p, unsigned width)
{
	switch (width) {
	case 1:
		return *(volatile uint8_t *)p;
	case 2:
		return *(volatile uint16_t *)p;
	default:
		return *(volatile uint32_t *)p;
	}
}

static inline void ecam_write(uintptr_t p, unsigned width, uint32_t v)
{
	switch (width) {
	case 1:
		*(volatile uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(volatile uint16_t *)p = (uint16_t)v;
		break;
	default:
		*(volatile uint32_t *)p = v;
		break;
	}
}

bool pci_config_init(void)
{
	const struct acpi_mcfg_entry *e;
	unsigned n;

	e = acpi_mcfg(&n);
	ecam_count = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t lo = e[i].base +
			      ((uint64_t)e[i].bus_start << ECAM_BUS_SHIFT);
		uint64_t size = (uint64_t)(e[i].bus_end - e[i].bus_start + 1)
				<< ECAM_BUS_SHIFT;
		int rc = mm_map_mmio(lo, size);

		if (rc < 0) {
			kprintf("pci: ECAM of segment %u (buses %u-%u) at "
				"0x%llx cannot be mapped (error %d); "
				"skipped\n",
				e[i].segment, e[i].bus_start, e[i].bus_end,
				(unsigned long long)lo, rc);
			continue;
		}
		ecam[ecam_count].base = e[i].base;
		ecam[ecam_count].segment = e[i].segment;
		ecam[ecam_count].first = e[i].bus_start;
		ecam[ecam_count].last = e[i].bus_end;
		ecam_count++;
	}
	return ecam_count > 0;
}

static bool ecam_covers(unsigned i, uint16_t segment, uint8_t bus)
{
	return ecam[i].segment == segment && bus >= ecam[i].first &&
	       bus <= ecam[i].last;
}

/* Without an ECAM window for segment 0, the ports reach all its buses.
 * (With one, a bridge's bus outside it is still reached through the
 * ports: see pci_config_read.) */
bool pci_config_range(unsigned i, uint16_t *segment, uint8_t *first,
		      uint8_t *last)
{
	bool seg0 = false;

	for (unsigned j = 0; j < ecam_count; j++)
		seg0 |= ecam[j].segment == 0;
	if (i < ecam_count) {
		*segment = ecam[i].segment;
		*first = ecam[i].first;
		*last = ecam[i].last;
		return true;
	}
	if (i == ecam_count && !seg0) {
		*segment = 0;
		*first = 0;
		*last = 255;
		return true;
	}
	return false;
}

static uintptr_t ecam_addr(const struct pci_addr *a, uint16_t off)
{
	uint64_t fn_off = (uint64_t)a->bus << ECAM_BUS_SHIFT |
			  (uint64_t)a->dev << ECAM_DEV_SHIFT |
			  (uint64_t)a->fn << ECAM_FN_SHIFT;

	for (unsigned i = 0; i < ecam_count; i++)
		if (ecam_covers(i, a->segment, a->bus))
			return (uintptr_t)(ecam[i].base + fn_off + off);
	return 0;
}

static uint32_t port_address(const struct pci_addr *a, uint16_t off)
{
	return CONFIG_ENABLE | (uint32_t)a->bus << 16 | (uint32_t)a->dev << 11 |
	       (uint32_t)a->fn << 8 | (off & 0xfc);
}

static uint32_t port_read(const struct pci_addr *a, uint16_t off,
			  unsigned width)
{
	uint16_t data = CONFIG_DATA + (off & 3);
	uint64_t flags;
	uint32_t v;

	flags = spin_lock_irqsave(&config_lock);
	outl(CONFIG_ADDRESS, port_address(a, off));
	if (width == 1)
		v = inb(data);
	else if (width == 2)
		v = inw(data);
	else
		v = inl(data);
	spin_unlock_irqrestore(&config_lock, flags);
	return v;
}

static void port_write(const struct pci_addr *a, uint16_t off, unsigned width,
		       uint32_t v)
{
	uint16_t data = CONFIG_DATA + (off & 3);
	uint64_t flags;

	flags = spin_lock_irqsave(&config_lock);
	outl(CONFIG_ADDRESS, port_address(a, off));
	if (width == 1)
		outb(data, (uint8_t)v);
	else if (width == 2)
		outw(data, (uint16_t)v);
	else
		outl(data, v);
	spin_unlock_irqrestore(&config_lock, flags);
}

static bool valid(const struct pci_addr *a, uint16_t off, unsigned width)
{
	return (width == 1 || width == 2 || width == 4) &&
	       !(off & (width - 1)) && off < PCI_CONFIG_SIZE && a->dev < 32 &&
	       a->fn < 8;
}

static uint32_t all_ones(unsigned width)
{
	return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

uint32_t pci_config_read(const struct pci_addr *a, uint16_t off, unsigned width)
{
	uintptr_t p;

	if (!valid(a, off, width))
		return all_ones(width);
	p = ecam_addr(a, off);
	if (p)
		return ecam_read(p, width);
	if (a->segment == 0 && off < PCI_CONFIG_LEGACY_SIZE)
		return port_read(a, off, width);
	return all_ones(width);
}

void pci_config_write(const struct pci_addr *a, uint16_t off, unsigned width,
		      uint32_t v)
{
	uintptr_t p;

	if (!valid(a, off, width))
		return;
	p = ecam_addr(a, off);
	if (p)
		ecam_write(p, width, v);
	else if (a->segment == 0 && off < PCI_CONFIG_LEGACY_SIZE)
		port_write(a, off, width, v);
}

bool pci_config_is_ecam(void)
{
	return ecam_count > 0;
}

uint32_t pci_port_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	struct pci_addr a = { .segment = 0, .bus = bus, .dev = dev, .fn = fn };

	if (dev >= 32 || fn >= 8 || (off & 3))
		return 0xffffffffu;
	return port_read(&a, off, 4);
}
