/*
 * PCI enumeration (PCI Local Bus Spec 3.0 ch. 6; PCI-to-PCI Bridge
 * Architecture Spec 1.2 ch. 3): every function of every bus, each with
 * its ids, class, BARs (sized) and the MSI and MSI-X capabilities, kept
 * in one table that drivers search with pci_find(). Resources are the
 * firmware's: SeaBIOS, OVMF and the clouds' firmware assign every BAR
 * and bus number, and nothing here moves them.
 *
 * Buses are found by following bridges from each segment's first bus,
 * then every other bus of the segment is probed once: a machine with
 * more than one host bridge (QEMU's pxb-pcie, for one) has root buses
 * beside bus 0 that only ACPI's AML, not parsed here, would name. That
 * costs 32 reads of an absent vendor id per bus; a bus with no device
 * 0-31 at all reads all ones and is not counted.
 *
 * Ordering: pci_init() runs once on the boot CPU, after mm_init and
 * acpi_init, before any driver; the table does not change afterwards.
 */
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include <kernel/printf.h>

#include "internal.h"

#define PCI_MAX_BUSES 256
#define PCI_DEVS_PER_BUS 32
#define PCI_FNS_PER_DEV 8

static struct pci_dev *devs;
static unsigned dev_count, dev_cap;
static unsigned bus_count;
static bool enumerated;

static struct pci_addr addr_of(const struct pci_dev *d)
{
	struct pci_addr a = {
		.segment = d->segment, .bus = d->bus, .dev = d->dev, .fn = d->fn
	};

	return a;
}

uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
	struct pci_addr a = addr_of(d);

	return (uint8_t)pci_config_read(&a, off, 1);
}

uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
	struct pci_addr a = addr_of(d);

	return (uint16_t)pci_config_read(&a, off, 2);
}

uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
	struct pci_addr a = addr_of(d);

	return pci_config_read(&a, off, 4);
}

void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v)
{
	struct pci_addr a = addr_of(d);

	pci_config_write(&a, off, 1, v);
}

void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
	struct pci_addr a = addr_of(d);

	pci_config_write(&a, off, 2, v);
}

void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
	struct pci_addr a = addr_of(d);

	pci_config_write(&a, off, 4, v);
}

/* "00:03.0", or "0001:00:03.0" outside segment 0. */
const char *pci_name(const struct pci_dev *d, char *buf, unsigned size)
{
	if (d->segment)
		ksnprintf(buf, size, "%04x:%02x:%02x.%u", d->segment, d->bus,
			  d->dev, d->fn);
	else
		ksnprintf(buf, size, "%02x:%02x.%u", d->bus, d->dev, d->fn);
	return buf;
}

/*
 * One step of a capability list (§6.7): the capability after the one at
 * pos (0: the list's head), or 0 at the end. The two low bits of each
 * pointer are reserved and masked, as the spec asks. A pointer into the
 * header or a list longer than 48 entries (the most that fit, so a loop)
 * ends the walk with *why set.
 */
static uint8_t cap_next(const struct pci_dev *d, uint8_t pos, unsigned *steps,
			const char **why)
{
	uint8_t next;

	if (!pos) {
		if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
			return 0;
		next = pci_read8(d, PCI_CAP_PTR);
	} else {
		next = pci_read8(d, pos + PCI_CAP_NEXT);
	}
	next &= ~3u;
	if (!next)
		return 0;
	if (next < PCI_CAP_FIRST) {
		*why = "points into the header";
		return 0;
	}
	if (++*steps > PCI_CAP_MAX) {
		*why = "has more than 48 entries (a loop)";
		return 0;
	}
	return next;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
	const char *why = NULL;
	unsigned steps = 0;
	bool passed = after == 0;

	if (d->header_type == PCI_HEADER_CARDBUS)
		return 0;
	for (uint8_t pos = cap_next(d, 0, &steps, &why); pos;
	     pos = cap_next(d, pos, &steps, &why)) {
		if (passed && pci_read8(d, pos) == id)
			return pos;
		if (pos == after)
			passed = true;
	}
	return 0;
}

/* The enumeration's walk: note MSI and MSI-X, report a broken list. */
static void scan_caps(struct pci_dev *d)
{
	const char *why = NULL;
	unsigned steps = 0;
	uint8_t pos, last = 0;
	char name[16];

	if (d->header_type == PCI_HEADER_CARDBUS)
		return;
	for (pos = cap_next(d, 0, &steps, &why); pos;
	     pos = cap_next(d, pos, &steps, &why)) {
		uint8_t id = pci_read8(d, pos);

		if (id == PCI_CAP_MSI && !d->msi_cap)
			d->msi_cap = pos;
		if (id == PCI_CAP_MSIX && !d->msix_cap) {
			d->msix_cap = pos;
			d->msix_size = (pci_read16(d, pos + PCI_MSIX_CTRL) &
					PCI_MSIX_CTRL_SIZE_MASK) +
				       1;
		}
		last = pos;
	}
	if (why)
		kprintf("pci: %s: capability list %s after 0x%02x; rest "
			"ignored\n",
			pci_name(d, name, sizeof(name)), why, last);
}

/* The lowest address bit a BAR decodes is its size (what reads back as
 * 0 after writing all ones); 0 when no address bit sticks. */
static uint64_t bar_size(uint64_t readback)
{
	return readback & ~(readback - 1);
}

/*
 * Size BARs the standard way (§6.2.5.1): write all ones, read back the
 * bits that stick, write the address back. Decoding is off meanwhile, so
 * the half-written BAR never claims a bus cycle, except on a host bridge,
 * where Linux too leaves it alone: some route RAM through it.
 */
static void size_bars(struct pci_dev *d, unsigned n)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	bool host = d->class_code == 0x06 && d->subclass == 0x00;
	char name[16];

	if (!host && (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		pci_write16(d, PCI_COMMAND,
			    cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < n; i++) {
		uint16_t off = PCI_BAR0 + 4 * i;
		uint32_t lo = pci_read32(d, off), szlo, hi = 0, szhi = 0;
		struct pci_bar *b = &d->bar[i];
		bool mem64;

		pci_write32(d, off, 0xffffffffu);
		szlo = pci_read32(d, off);
		pci_write32(d, off, lo);
		if (!szlo || szlo == 0xffffffffu)
			continue;
		if (lo & PCI_BAR_IO) {
			b->io = true;
			b->addr = lo & PCI_BAR_IO_MASK;
			b->size = bar_size(szlo & PCI_BAR_IO_MASK & 0xffff);
			continue;
		}
		mem64 = ((lo >> PCI_BAR_MEM_TYPE_SHIFT) & 3) ==
			PCI_BAR_MEM_TYPE_64;
		if (mem64 && i + 1 == n) {
			kprintf("pci: %s: bar%u is 64-bit but the last; "
				"ignored\n",
				pci_name(d, name, sizeof(name)), i);
			continue;
		}
		if (mem64) {
			hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xffffffffu);
			szhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
		}
		b->mem64 = mem64;
		b->prefetch = lo & PCI_BAR_PREFETCH;
		b->addr = (uint64_t)hi << 32 | (lo & PCI_BAR_MEM_MASK);
		b->size = bar_size((uint64_t)szhi << 32 |
				   (szlo & PCI_BAR_MEM_MASK));
		if (mem64)
			i++; /* the upper half is not a BAR of its own */
	}
	if (!host && (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		pci_write16(d, PCI_COMMAND, cmd);
}

/* "32", "4K", "16M" or "2G": BAR sizes are powers of two. */
static void fmt_size(char *buf, unsigned size, uint64_t n)
{
	static const char units[] = " KMGTPE";
	unsigned u = 0;

	while (n >= 1024 && !(n & 1023) && u + 1 < sizeof(units) - 1) {
		n >>= 10;
		u++;
	}
	if (u)
		ksnprintf(buf, size, "%llu%c", (unsigned long long)n, units[u]);
	else
		ksnprintf(buf, size, "%llu", (unsigned long long)n);
}

static const char *bar_kind(const struct pci_bar *b)
{
	if (b->io)
		return "io";
	if (b->mem64)
		return b->prefetch ? "mem64 pref" : "mem64";
	return b->prefetch ? "mem pref" : "mem";
}

/* pci: 00:03.0 1af4:1000 class 02.00 bar0 io 0xc000/32 bar1 mem
 * 0xfebf1000/4K msix 3 */
static void log_dev(const struct pci_dev *d, uint8_t secondary,
		    uint8_t subordinate)
{
	char line[400], name[16], size[16];
	unsigned n;

	if (!console_level_enabled(LOG_DEBUG))
		return;
	n = (unsigned)ksnprintf(line, sizeof(line),
				"pci: %s %04x:%04x class %02x.%02x",
				pci_name(d, name, sizeof(name)), d->vendor,
				d->device, d->class_code, d->subclass);
	for (unsigned i = 0; i < PCI_BARS && n < sizeof(line); i++) {
		const struct pci_bar *b = &d->bar[i];

		if (!b->size)
			continue;
		fmt_size(size, sizeof(size), b->size);
		n += (unsigned)ksnprintf(line + n, sizeof(line) - n,
					 " bar%u %s 0x%llx/%s", i, bar_kind(b),
					 (unsigned long long)b->addr, size);
	}
	if (n < sizeof(line) && d->header_type == PCI_HEADER_BRIDGE)
		n += (unsigned)ksnprintf(line + n, sizeof(line) - n,
					 " bridge to %02x-%02x", secondary,
					 subordinate);
	if (n < sizeof(line) && d->msi_cap)
		n += (unsigned)ksnprintf(line + n, sizeof(line) - n, " msi");
	if (n < sizeof(line) && d->msix_cap)
		n += (unsigned)ksnprintf(line + n, sizeof(line) - n, " msix %u",
					 d->msix_size);
	if (n < sizeof(line) && d->irq_pin)
		ksnprintf(line + n, sizeof(line) - n, " int%c %u",
			  'A' + d->irq_pin - 1, d->irq_line);
	klog(LOG_DEBUG, "%s\n", line);
}

static struct pci_dev *new_dev(void)
{
	if (dev_count == dev_cap) {
		unsigned cap = dev_cap ? 2 * dev_cap : 32;
		struct pci_dev *p = krealloc(devs, cap * sizeof(*p));

		if (!p)
			return NULL;
		devs = p;
		dev_cap = cap;
	}
	memset(&devs[dev_count], 0, sizeof(devs[0]));
	return &devs[dev_count];
}

/* Read one present function into the table (false: no memory for it).
 * For a bridge, *secondary is the bus behind it (0: none). */
static bool probe_fn(const struct pci_addr *a, uint8_t *secondary)
{
	struct pci_dev *d = new_dev();
	uint32_t class_rev;
	uint8_t sub = 0;
	unsigned bars = 0;

	*secondary = 0;
	if (!d) {
		kprintf("pci: out of memory at %02x:%02x.%u; rest not "
			"enumerated\n",
			a->bus, a->dev, a->fn);
		return false;
	}
	d->segment = a->segment;
	d->bus = a->bus;
	d->dev = a->dev;
	d->fn = a->fn;
	d->vendor = pci_read16(d, PCI_VENDOR_ID);
	d->device = pci_read16(d, PCI_DEVICE_ID);
	class_rev = pci_read32(d, PCI_REVISION);
	d->revision = (uint8_t)class_rev;
	d->prog_if = (uint8_t)(class_rev >> 8);
	d->subclass = (uint8_t)(class_rev >> 16);
	d->class_code = (uint8_t)(class_rev >> 24);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_LAYOUT;
	switch (d->header_type) {
	case PCI_HEADER_NORMAL:
		bars = 6;
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_device = pci_read16(d, PCI_SUBSYS_DEVICE);
		break;
	case PCI_HEADER_BRIDGE:
		bars = 2;
		*secondary = pci_read8(d, PCI_SECONDARY_BUS);
		sub = pci_read8(d, PCI_SUBORDINATE_BUS);
		break;
	default:
		break;
	}
	if (d->header_type <= PCI_HEADER_BRIDGE) {
		d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
		d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
		if (d->irq_pin > 4)
			d->irq_pin = 0;
	}
	size_bars(d, bars);
	scan_caps(d);
	dev_count++;
	log_dev(d, *secondary, sub);
	return true;
}

struct bus_walk {
	uint16_t segment;
	uint8_t first, last;
	uint8_t seen[PCI_MAX_BUSES / 8];
	uint8_t queue[PCI_MAX_BUSES];
	unsigned head, tail;
};

static bool seen(const struct bus_walk *w, uint8_t bus)
{
	return w->seen[bus / 8] & (1u << (bus % 8));
}

/* Queue the bus behind a bridge unless it was already reached: a
 * secondary bus number at or below the bridge's own is misprogrammed and
 * would make the walk go round. */
static void queue_bus(struct bus_walk *w, const struct pci_dev *bridge,
		      uint8_t bus)
{
	char name[16];

	if (!bus)
		return;
	if (bus <= bridge->bus || seen(w, bus)) {
		kprintf("pci: %s: secondary bus %02x is behind it already or "
			"not below it; skipped\n",
			pci_name(bridge, name, sizeof(name)), bus);
		return;
	}
	w->seen[bus / 8] |= 1u << (bus % 8);
	w->queue[w->tail++] = bus;
}

/* Every function of bus; bridges queue the buses behind them. */
static void scan_bus(struct bus_walk *w, uint8_t bus)
{
	struct pci_addr a = { .segment = w->segment, .bus = bus };

	for (a.dev = 0; a.dev < PCI_DEVS_PER_BUS; a.dev++) {
		unsigned fns = 1;

		for (a.fn = 0; a.fn < fns; a.fn++) {
			uint8_t secondary;

			if (pci_config_read(&a, PCI_VENDOR_ID, 2) == 0xffff)
				continue;
			/* Functions 1-7 exist only on a multi-function
			 * device (§6.2.1), else some devices alias fn 0. */
			if (a.fn == 0 &&
			    (pci_config_read(&a, PCI_HEADER_TYPE, 1) &
			     PCI_HEADER_MULTIFUNCTION))
				fns = PCI_FNS_PER_DEV;
			if (probe_fn(&a, &secondary) && secondary)
				queue_bus(w, &devs[dev_count - 1], secondary);
		}
	}
}

static void walk_segment(struct bus_walk *w)
{
	w->head = w->tail = 0;
	memset(w->seen, 0, sizeof(w->seen));
	w->seen[w->first / 8] |= 1u << (w->first % 8);
	w->queue[w->tail++] = w->first;
	/* Peer root buses: see the comment at the top. */
	for (unsigned peer = w->first; peer <= w->last; peer++) {
		if (!seen(w, (uint8_t)peer)) {
			struct pci_addr a = { .segment = w->segment,
					      .bus = (uint8_t)peer };
			bool any = false;

			for (a.dev = 0; a.dev < PCI_DEVS_PER_BUS && !any;
			     a.dev++)
				any = pci_config_read(&a, PCI_VENDOR_ID, 2) !=
				      0xffff;
			if (!any)
				continue;
			w->seen[peer / 8] |= 1u << (peer % 8);
			w->queue[w->tail++] = (uint8_t)peer;
		}
		while (w->head < w->tail) {
			uint8_t bus = w->queue[w->head++];

			scan_bus(w, bus);
			bus_count++;
		}
	}
}

unsigned pci_init(void)
{
	static struct bus_walk walk;
	bool ecam;

	if (enumerated)
		return dev_count;
	enumerated = true;
	ecam = pci_config_init();
	for (unsigned i = 0;
	     pci_config_range(i, &walk.segment, &walk.first, &walk.last); i++)
		walk_segment(&walk);
	kprintf("pci: %u function%s on %u bus%s (%s)\n", dev_count,
		dev_count == 1 ? "" : "s", bus_count,
		bus_count == 1 ? "" : "es", ecam ? "ECAM" : "ports");
	return dev_count;
}

unsigned pci_count(void)
{
	return dev_count;
}

struct pci_dev *pci_get(unsigned index)
{
	return index < dev_count ? &devs[index] : NULL;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device,
			 struct pci_dev *after)
{
	unsigned i = 0;

	if (after) {
		if (after < devs || after >= devs + dev_count)
			return NULL;
		i = (unsigned)(after - devs) + 1;
	}
	for (; i < dev_count; i++) {
		struct pci_dev *d = &devs[i];

		if (!d->claimed && d->vendor == vendor &&
		    (device == 0xffff || d->device == device))
			return d;
	}
	return NULL;
}

void pci_enable(struct pci_dev *d, bool io, bool mem, bool master)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND), want;

	want = cmd &
	       ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (io)
		want |= PCI_COMMAND_IO;
	if (mem)
		want |= PCI_COMMAND_MEMORY;
	if (master)
		want |= PCI_COMMAND_MASTER;
	if (want != cmd)
		pci_write16(d, PCI_COMMAND, want);
}

volatile void *pci_bar_map(struct pci_dev *d, unsigned bar)
{
	const struct pci_bar *b;
	char name[16];
	int rc;

	if (bar >= PCI_BARS)
		return NULL;
	b = &d->bar[bar];
	if (!b->size || b->io)
		return NULL;
	if (!b->addr || b->addr > UINT64_MAX - b->size) {
		kprintf("pci: %s: bar%u at 0x%llx is not assigned\n",
			pci_name(d, name, sizeof(name)), bar,
			(unsigned long long)b->addr);
		return NULL;
	}
	rc = mm_map_mmio(b->addr, b->size);
	if (rc < 0) {
		kprintf("pci: %s: bar%u at 0x%llx/0x%llx: cannot map (error "
			"%d)\n",
			pci_name(d, name, sizeof(name)), bar,
			(unsigned long long)b->addr,
			(unsigned long long)b->size, rc);
		return NULL;
	}
	return (volatile void *)(uintptr_t)b->addr;
}
