/*
 * PCI as QEMU presents it: the host bridge at 00:00.0 (8086:29c0 on -M
 * q35, found through ECAM; 8086:1237 on -M pc, through the ports), ECAM
 * and the ports agreeing on q35, BARs sized and written back, a bounded
 * capability walk, the legacy ports serialised across CPUs, and MSI
 * programmed on q35's AHCI.
 *
 * With "-device virtio-net-pci,netdev=n0 -netdev user,id=n0" (also with
 * disable-legacy=on or disable-modern=on): the NIC is found with its BARs
 * and MSI-X capability, its MSI-X table is programmed and read back, and,
 * where it has the legacy I/O interface, a frame sent on its transmit
 * queue (virtio 1.0 §4.1.4.8 and §2.4.2, legacy layout) raises a real
 * MSI-X interrupt, held in the PBA while the entry is masked and
 * delivered on unmask, and a real INTx through the IOAPIC. Without a NIC
 * those tests print "# ...: no virtio-net device" and pass, unless the
 * boot says ktest.nic=1, which makes a missing NIC a failure.
 */
#include "ktest.h"
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/interrupt.h>
#include <arch/mmio.h>
#include <arch/smp.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include <kernel/percpu.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#define PCI_VENDOR_INTEL 0x8086
#define PCI_DEVICE_Q35_MCH 0x29c0
#define PCI_DEVICE_I440FX 0x1237
#define PCI_DEVICE_ICH9_AHCI 0x2922
#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_DEVICE_VIRTIO_NET_LEGACY 0x1000
#define PCI_DEVICE_VIRTIO_NET 0x1041

#define CFG_COMMAND 0x04
#define CFG_COMMAND_IO BIT(0)
#define CFG_COMMAND_MEMORY BIT(1)
#define CFG_COMMAND_MASTER BIT(2)
#define CFG_COMMAND_INTX_DISABLE BIT(10)
#define CFG_BAR0 0x10
#define MSI_CTRL_ENABLE BIT(0)
#define MSI_CTRL_64BIT BIT(7)
#define MSIX_CTRL_MASKALL BIT(14)
#define MSIX_CTRL_ENABLE BIT(15)
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_MASKED BIT(0)

#define WAIT_NS (500 * NSEC_PER_MSEC)

static void restore_command(struct pci_dev *d, uint16_t cmd)
{
	pci_write16(d, CFG_COMMAND, cmd);
}

static bool machine_is_q35(void)
{
	const char *m = ktest_option("ktest.machine");
	unsigned n;

	if (m)
		return strcmp(m, "q35") == 0;
	return acpi_mcfg(&n) != NULL;
}

KTEST(pci_host_bridge)
{
	uint16_t want =
		machine_is_q35() ? PCI_DEVICE_Q35_MCH : PCI_DEVICE_I440FX;
	struct pci_dev *d = pci_get(0);

	KT_CHECK(t, pci_count() >= 2);
	KT_CHECK_EQ(t, pci_init(), pci_count()); /* a second call is a no-op */
	KT_CHECK_EQ(t, pci_config_is_ecam(), machine_is_q35());
	if (!KT_CHECK(t, d != NULL))
		return;
	KT_CHECK_EQ(t, d->segment, 0);
	KT_CHECK_EQ(t, d->bus, 0);
	KT_CHECK_EQ(t, d->dev, 0);
	KT_CHECK_EQ(t, d->fn, 0);
	KT_CHECK_EQ(t, d->vendor, PCI_VENDOR_INTEL);
	KT_CHECK_EQ(t, d->device, want);
	KT_CHECK_EQ(t, d->class_code, 0x06);
	KT_CHECK_EQ(t, d->subclass, 0x00);
	KT_CHECK_EQ(t, pci_find(PCI_VENDOR_INTEL, want, NULL), d);
	KT_CHECK(t, pci_find(PCI_VENDOR_INTEL, 0xffff, NULL) == d);
	KT_CHECK(t, pci_find(PCI_VENDOR_INTEL, want, d) == NULL);
	KT_CHECK(t, pci_find(0xffff, 0xffff, NULL) == NULL);
	KT_CHECK(t, pci_get(pci_count()) == NULL);
	/* Every function is listed once, in a sane place. */
	for (unsigned i = 0; i < pci_count(); i++) {
		struct pci_dev *a = pci_get(i);

		KT_CHECK(t, a->vendor != 0xffff);
		KT_CHECK(t, a->dev < 32 && a->fn < 8);
		for (unsigned j = i + 1; j < pci_count(); j++) {
			struct pci_dev *b = pci_get(j);

			KT_CHECK(t, a->segment != b->segment ||
					    a->bus != b->bus ||
					    a->dev != b->dev || a->fn != b->fn);
		}
	}
}

/* The accessors of every width agree with each other. */
static void check_widths(struct ktest *t, const struct pci_dev *d)
{
	uint32_t id = pci_read32(d, 0), hdr = pci_read32(d, 0x0c);

	KT_CHECK_EQ(t, pci_read16(d, 0), id & 0xffff);
	KT_CHECK_EQ(t, pci_read16(d, 2), id >> 16);
	KT_CHECK_EQ(t, pci_read8(d, 1), (id >> 8) & 0xff);
	KT_CHECK_EQ(t, pci_read8(d, 3), id >> 24);
	KT_CHECK_EQ(t, pci_read8(d, 0x0e), (hdr >> 16) & 0xff);
	KT_CHECK_EQ(t, (uint32_t)d->vendor | (uint32_t)d->device << 16, id);
}

/* Register dwords that stay put while we look (the status register of a
 * busy device may not: it is read twice). */
static bool ecam_port_agree(const struct pci_dev *d, uint8_t off,
			    uint32_t *ecam, uint32_t *port)
{
	for (int i = 0; i < 3; i++) {
		*ecam = pci_read32(d, off);
		*port = pci_port_read32(d->bus, d->dev, d->fn, off);
		if (*ecam == *port)
			return true;
	}
	return false;
}

KTEST(pci_ecam_matches_ports)
{
	const struct acpi_mcfg_entry *mcfg;
	unsigned n, compared = 0;

	for (unsigned i = 0; i < pci_count(); i++)
		check_widths(t, pci_get(i));
	if (!machine_is_q35()) {
		const struct pci_dev *d = pci_get(0);

		KT_CHECK(t, !pci_config_is_ecam());
		KT_CHECK_EQ(t, pci_read32(d, 0), pci_port_read32(0, 0, 0, 0));
		kprintf("# pci_ecam_matches_ports: no ECAM on this machine\n");
		return;
	}
	mcfg = acpi_mcfg(&n);
	if (!KT_CHECK(t, mcfg != NULL) || !KT_CHECK(t, pci_config_is_ecam()))
		return;
	/* The whole legacy 256 bytes of the first functions on bus 0. */
	for (unsigned i = 0; i < pci_count() && compared < 6; i++) {
		const struct pci_dev *d = pci_get(i);
		volatile void *ecam;

		if (d->segment || d->bus)
			continue;
		ecam = mmio_map(mcfg[0].base + ((uint64_t)d->dev << 15) +
					((uint64_t)d->fn << 12),
				4096);
		if (!KT_CHECK(t, ecam != NULL))
			return;
		for (unsigned off = 0; off < 256; off += 4) {
			uint32_t e, p;

			if (ecam_port_agree(d, (uint8_t)off, &e, &p))
				continue;
			ktest_fail(t, __FILE__, __LINE__,
				   "%02x:%02x.%u+0x%02x: ECAM 0x%08x, ports "
				   "0x%08x",
				   d->bus, d->dev, d->fn, off, e, p);
		}
		KT_CHECK_EQ(t, mmio_read32(ecam, 0), pci_read32(d, 0));
		KT_CHECK_EQ(t, mmio_read32(ecam, 8), pci_read32(d, 8));
		compared++;
	}
	KT_CHECK(t, compared >= 2);
	/* No device 31 function 7 on bus 0 of either: all ones both ways. */
	KT_CHECK_EQ(t, pci_port_read32(0, 31, 7, 0), 0xffffffffu);
	KT_CHECK_EQ(t, pci_port_read32(0, 32, 0, 0), 0xffffffffu);
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

KTEST(pci_bars_sized)
{
	unsigned mem = 0, io = 0;

	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);

		for (unsigned b = 0; b < PCI_BARS; b++) {
			const struct pci_bar *bar = &d->bar[b];
			uint32_t reg = pci_read32(d, CFG_BAR0 + 4 * b);

			if (!bar->size)
				continue;
			KT_CHECK(t, is_pow2(bar->size));
			KT_CHECK_EQ(t, bar->addr & (bar->size - 1), 0);
			/* Sizing wrote the address back. */
			if (bar->io) {
				io++;
				KT_CHECK(t, bar->size <= 256);
				KT_CHECK_EQ(t, reg & ~3u, bar->addr);
				KT_CHECK(t, !bar->mem64 && !bar->prefetch);
				continue;
			}
			mem++;
			KT_CHECK_EQ(t, reg & ~0xfu, bar->addr & 0xffffffffu);
			if (bar->mem64 && KT_CHECK(t, b + 1 < PCI_BARS)) {
				KT_CHECK_EQ(t,
					    pci_read32(d, CFG_BAR0 + 4 * b + 4),
					    bar->addr >> 32);
				KT_CHECK_EQ(t, d->bar[b + 1].size, 0);
			}
			KT_CHECK(t,
				 pci_bar_map((struct pci_dev *)d, b) != NULL);
			KT_CHECK(t,
				 pci_bar_map((struct pci_dev *)d, b) ==
					 (volatile void *)(uintptr_t)bar->addr);
		}
		KT_CHECK(t, pci_bar_map((struct pci_dev *)d, PCI_BARS) == NULL);
	}
	/* QEMU's VGA has a memory BAR; IDE (pc) or AHCI (q35) an I/O one. */
	KT_CHECK(t, mem >= 1);
	KT_CHECK(t, io >= 1);
}

/* A function that reads all ones (unplugged, or on a segment nothing
 * reaches) has the capability bit set and a list that points at 0xFC
 * forever: the walk must stop. */
KTEST(pci_cap_walk_bounded)
{
	struct pci_dev ghost = { .segment = 0x7777, .bus = 1 };
	const struct pci_dev *host = pci_get(0);
	uint64_t t0 = time_ns();

	KT_CHECK_EQ(t, pci_read16(&ghost, 0), 0xffff);
	KT_CHECK_EQ(t, pci_find_cap(&ghost, PCI_CAP_MSIX, 0), 0);
	KT_CHECK_EQ(t, pci_find_cap(&ghost, PCI_CAP_MSI, 0xfc), 0);
	KT_CHECK(t, time_ns() - t0 < 100 * NSEC_PER_MSEC);
	/* Walking on with 'after' visits each capability once. */
	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		uint8_t prev = 0, pos;
		unsigned n = 0;

		for (pos = pci_find_cap(d, PCI_CAP_VENDOR, 0); pos && n < 64;
		     pos = pci_find_cap(d, PCI_CAP_VENDOR, pos), n++) {
			KT_CHECK(t, pos >= 0x40 && !(pos & 3));
			KT_CHECK(t, pos != prev);
			prev = pos;
		}
		KT_CHECK(t, n < 64);
		KT_CHECK_EQ(t, pci_find_cap(d, PCI_CAP_MSIX, 0), d->msix_cap);
		KT_CHECK_EQ(t, pci_find_cap(d, PCI_CAP_MSI, 0), d->msi_cap);
	}
	KT_CHECK(t, host && !host->msi_cap && !host->msix_cap);
}

/* Each CPU reads its own (function, offset) through the ports as fast as
 * it can: without the lock, one CPU's address would meet another's data
 * (it did here, in 1 to 60 of 3000 reads). Bounded in time as well, for
 * a loaded host where a vCPU holding the lock is not running. */
#define PORT_TARGETS 4
#define PORT_ROUNDS 3000
#define PORT_TIME_NS (300 * NSEC_PER_MSEC)

struct port_target {
	uint8_t dev, fn, off;
	uint32_t want;
	unsigned bad, reads;
};

static struct port_target port_targets[PORT_TARGETS];
static unsigned port_ready;

static int port_reader(void *arg)
{
	struct port_target *pt = arg;
	uint64_t end = time_ns() + WAIT_NS;

	/* Start together, so that the loops overlap. */
	__atomic_fetch_add(&port_ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&port_ready, __ATOMIC_ACQUIRE) < PORT_TARGETS &&
	       time_ns() < end)
		cpu_relax();
	end = time_ns() + PORT_TIME_NS;
	for (pt->reads = 0; pt->reads < PORT_ROUNDS && time_ns() < end;
	     pt->reads++)
		if (pci_port_read32(0, pt->dev, pt->fn, pt->off) != pt->want)
			pt->bad++;
	return 0;
}

KTEST(pci_ports_serialised)
{
	static const uint8_t offs[] = { 0x00, 0x08 };
	struct thread *th[PORT_TARGETS];
	unsigned cpus = smp_cpus_online(), n = 0;

	if (cpus > PORT_TARGETS)
		cpus = PORT_TARGETS;
	for (unsigned i = 0; i < pci_count() && n < PORT_TARGETS; i++) {
		const struct pci_dev *d = pci_get(i);

		if (d->segment || d->bus)
			continue;
		for (unsigned o = 0; o < ARRAY_SIZE(offs) && n < PORT_TARGETS;
		     o++) {
			struct port_target *pt = &port_targets[n++];

			pt->dev = d->dev;
			pt->fn = d->fn;
			pt->off = offs[o];
			pt->want = pci_port_read32(0, d->dev, d->fn, offs[o]);
			pt->bad = 0;
			pt->reads = 0;
		}
	}
	if (!KT_CHECK_EQ(t, n, PORT_TARGETS))
		return;
	port_ready = 0;
	for (unsigned i = 0; i < PORT_TARGETS; i++) {
		struct thread_attr a;

		thread_attr_init(&a);
		a.name = "pci-ports";
		a.cpu = (int)(i % cpus);
		th[i] = thread_create(&a, port_reader, &port_targets[i]);
		KT_CHECK(t, th[i] != NULL);
	}
	for (unsigned i = 0; i < PORT_TARGETS; i++) {
		if (th[i])
			thread_join(th[i], NULL);
		if (port_targets[i].bad)
			ktest_fail(t, __FILE__, __LINE__,
				   "%02x.%u+0x%02x: %u of %u reads wrong",
				   port_targets[i].dev, port_targets[i].fn,
				   port_targets[i].off, port_targets[i].bad,
				   port_targets[i].reads);
	}
}

KTEST(pci_enable_command)
{
	struct pci_dev *d = pci_get(pci_count() - 1);
	uint16_t cmd = pci_read16(d, CFG_COMMAND);

	pci_enable(d, cmd & CFG_COMMAND_IO, cmd & CFG_COMMAND_MEMORY, true);
	KT_CHECK(t, pci_read16(d, CFG_COMMAND) & CFG_COMMAND_MASTER);
	pci_enable(d, cmd & CFG_COMMAND_IO, cmd & CFG_COMMAND_MEMORY, false);
	KT_CHECK(t, !(pci_read16(d, CFG_COMMAND) & CFG_COMMAND_MASTER));
	pci_write16(d, CFG_COMMAND, cmd);
	KT_CHECK_EQ(t, pci_read16(d, CFG_COMMAND), cmd);
}

/* MSI on q35's AHCI controller, QEMU's one MSI function there (64-bit
 * address, no per-vector mask): programmed as the spec says and off
 * again. Nothing drives AHCI here. */
KTEST(pci_msi_program)
{
	struct pci_dev *d =
		pci_find(PCI_VENDOR_INTEL, PCI_DEVICE_ICH9_AHCI, NULL);
	uint32_t apic = cpu_get(0)->apic_id;
	uint16_t ctrl;
	uint8_t cap;

	if (!machine_is_q35()) {
		kprintf("# pci_msi_program: no MSI function on -M pc\n");
		return;
	}
	if (!KT_CHECK(t, d != NULL) || !KT_CHECK(t, d->msi_cap != 0))
		return;
	cap = d->msi_cap;
	KT_CHECK_EQ(t, pci_msi_enable(d, apic, 0x51), 0);
	ctrl = pci_read16(d, cap + 2);
	KT_CHECK(t, ctrl & MSI_CTRL_ENABLE);
	KT_CHECK_EQ(t, ctrl & 0x70, 0); /* one message */
	KT_CHECK_EQ(t, pci_read32(d, cap + 4), msi_address(apic));
	if (ctrl & MSI_CTRL_64BIT) {
		KT_CHECK_EQ(t, pci_read32(d, cap + 8), 0);
		KT_CHECK_EQ(t, pci_read16(d, cap + 12), msi_data(0x51));
	} else {
		KT_CHECK_EQ(t, pci_read16(d, cap + 8), msi_data(0x51));
	}
	KT_CHECK(t, pci_read16(d, CFG_COMMAND) & CFG_COMMAND_INTX_DISABLE);
	KT_CHECK(t, pci_msi_enable(d, 256, 0x51) < 0);
	KT_CHECK(t, pci_msi_enable(d, apic, 3) < 0);
	pci_msi_disable(d);
	KT_CHECK(t, !(pci_read16(d, cap + 2) & MSI_CTRL_ENABLE));
	KT_CHECK(t, !(pci_read16(d, CFG_COMMAND) & CFG_COMMAND_INTX_DISABLE));
	KT_CHECK_EQ(t, pci_msix_enable(d), -KERR_ENOENT);
}

/* The virtio-net function, or NULL after the skip line or, with
 * ktest.nic set, a failure. A function a driver has is left alone by
 * the tests that reset it (want_free). */
static struct pci_dev *nic(struct ktest *t, bool want_free)
{
	struct pci_dev *d = NULL;

	for (unsigned i = 0; i < pci_count() && !d; i++) {
		struct pci_dev *c = pci_get(i);

		if (c->vendor == PCI_VENDOR_VIRTIO &&
		    (c->device == PCI_DEVICE_VIRTIO_NET_LEGACY ||
		     c->device == PCI_DEVICE_VIRTIO_NET))
			d = c;
	}
	if (!d) {
		if (ktest_option("ktest.nic"))
			ktest_fail(t, __FILE__, __LINE__,
				   "no virtio-net device, but ktest.nic is "
				   "set");
		else
			kprintf("# %s: no virtio-net device\n", t->name);
		return NULL;
	}
	if (want_free && (d->claimed || d->msix_table)) {
		kprintf("# %s: the virtio-net device is in use by a driver\n",
			t->name);
		return NULL;
	}
	return d;
}

/* Through the modern interface's common configuration (virtio 1.0
 * §4.1.4.3), which may sit in a BAR above 4 GiB: the device offers
 * VIRTIO_F_VERSION_1 (feature bit 32, §6.1), as every modern one must. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_COMMON_DFSELECT 0x00
#define VIRTIO_COMMON_DF 0x04
#define VIRTIO_F_VERSION_1_HI BIT(32 - 32)

static void check_common_cfg(struct ktest *t, struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, CFG_COMMAND);
	volatile void *bar;
	uint32_t off, features_hi;
	uint8_t p;

	for (p = pci_find_cap(d, PCI_CAP_VENDOR, 0); p;
	     p = pci_find_cap(d, PCI_CAP_VENDOR, p))
		if (pci_read8(d, p + 3) == VIRTIO_PCI_CAP_COMMON_CFG)
			break;
	if (!KT_CHECK(t, p != 0))
		return;
	bar = pci_bar_map(d, pci_read8(d, p + 4));
	if (!KT_CHECK(t, bar != NULL))
		return;
	pci_enable(d, cmd & CFG_COMMAND_IO, true, cmd & CFG_COMMAND_MASTER);
	off = pci_read32(d, p + 8);
	mmio_write32(bar, off + VIRTIO_COMMON_DFSELECT, 1);
	features_hi = mmio_read32(bar, off + VIRTIO_COMMON_DF);
	KT_CHECK(t, features_hi != 0xffffffffu); /* decoded, not floating */
	KT_CHECK(t, features_hi & VIRTIO_F_VERSION_1_HI);
	mmio_write32(bar, off + VIRTIO_COMMON_DFSELECT, 0);
	restore_command(d, cmd);
}

KTEST(pci_virtio_net_found)
{
	struct pci_dev *d = nic(t, false);
	bool legacy, modern;
	unsigned vendor_caps = 0, bir;

	if (!d)
		return;
	legacy = d->bar[0].size != 0;
	modern = d->device == PCI_DEVICE_VIRTIO_NET || d->bar[4].size;
	KT_CHECK_EQ(t, d->class_code, 0x02);
	KT_CHECK_EQ(t, d->subclass, 0x00);
	KT_CHECK(t, legacy || modern);
	KT_CHECK_EQ(t, legacy, d->device == PCI_DEVICE_VIRTIO_NET_LEGACY);
	if (legacy) {
		/* 20 bytes of legacy header, 4 of MSI-X vectors, the MAC. */
		KT_CHECK(t, d->bar[0].io);
		KT_CHECK(t, d->bar[0].size >= 32);
		KT_CHECK_EQ(t, d->subsys_device, 1); /* network card */
	}
	if (modern) {
		KT_CHECK(t, d->bar[4].size >= 16384);
		KT_CHECK(t, d->bar[4].mem64 && d->bar[4].prefetch);
		check_common_cfg(t, d);
	}
	for (uint8_t p = pci_find_cap(d, PCI_CAP_VENDOR, 0); p;
	     p = pci_find_cap(d, PCI_CAP_VENDOR, p))
		vendor_caps++;
	/* common, notify, ISR, device and PCI config access (§4.1.4) */
	KT_CHECK(t, modern ? vendor_caps >= 5 : vendor_caps == 0);
	if (!KT_CHECK(t, d->msix_cap != 0))
		return;
	/* QEMU: a vector per queue of one pair, one for config, one spare. */
	KT_CHECK(t, d->msix_size >= 3);
	bir = pci_read32(d, d->msix_cap + 4) & 7;
	KT_CHECK(t, bir < PCI_BARS && d->bar[bir].size >= 4096);
	KT_CHECK(t, !d->bar[bir].io);
	KT_CHECK(t, d->irq_pin == 1);
}

KTEST(pci_msix_program)
{
	struct pci_dev *d = nic(t, true);
	uint32_t apic = cpu_get(0)->apic_id;
	uint16_t cmd, ctrl;
	volatile void *table;

	if (!d || !KT_CHECK(t, d->msix_cap))
		return;
	cmd = pci_read16(d, CFG_COMMAND);
	KT_CHECK(t, pci_msix_route(d, 0, apic, 0x50) < 0); /* not enabled */
	if (!KT_CHECK_EQ(t, pci_msix_enable(d), 0))
		return;
	table = d->msix_table;
	ctrl = pci_read16(d, d->msix_cap + 2);
	KT_CHECK(t, ctrl & MSIX_CTRL_ENABLE);
	KT_CHECK(t, !(ctrl & MSIX_CTRL_MASKALL));
	KT_CHECK(t, pci_read16(d, CFG_COMMAND) & CFG_COMMAND_INTX_DISABLE);
	KT_CHECK(t, pci_read16(d, CFG_COMMAND) & CFG_COMMAND_MEMORY);
	for (unsigned i = 0; i < d->msix_size; i++) {
		uint32_t e = i * MSIX_ENTRY_SIZE;

		KT_CHECK(t, mmio_read32(table, e + 12) & MSIX_ENTRY_MASKED);
		KT_CHECK(t, !pci_msix_pending(d, i));
		if (!KT_CHECK_EQ(
			    t, pci_msix_route(d, i, apic, (uint8_t)(0x50 + i)),
			    0))
			continue;
		KT_CHECK_EQ(t, mmio_read32(table, e), msi_address(apic));
		KT_CHECK_EQ(t, mmio_read32(table, e + 4), 0);
		KT_CHECK_EQ(t, mmio_read32(table, e + 8), msi_data(0x50 + i));
		KT_CHECK(t, !(mmio_read32(table, e + 12) & MSIX_ENTRY_MASKED));
		KT_CHECK_EQ(t, pci_msix_mask(d, i, true), 0);
		KT_CHECK(t, mmio_read32(table, e + 12) & MSIX_ENTRY_MASKED);
		KT_CHECK_EQ(t, pci_msix_mask(d, i, false), 0);
		KT_CHECK(t, !(mmio_read32(table, e + 12) & MSIX_ENTRY_MASKED));
	}
	KT_CHECK(t, pci_msix_route(d, d->msix_size, apic, 0x50) < 0);
	KT_CHECK(t, pci_msix_route(d, 0, 256, 0x50) < 0);
	KT_CHECK(t, pci_msix_route(d, 0, apic, 3) < 0);
	KT_CHECK(t, pci_msix_mask(d, d->msix_size, true) < 0);
	KT_CHECK_EQ(t, pci_msi_enable(d, apic, 0x50), -KERR_ENOENT);
	pci_msix_disable(d);
	ctrl = pci_read16(d, d->msix_cap + 2);
	KT_CHECK(t, !(ctrl & MSIX_CTRL_ENABLE));
	KT_CHECK(t, d->msix_table == NULL);
	for (unsigned i = 0; i < d->msix_size; i++)
		KT_CHECK(t, mmio_read32(table, i * MSIX_ENTRY_SIZE + 12) &
				    MSIX_ENTRY_MASKED);
	KT_CHECK(t, !(pci_read16(d, CFG_COMMAND) & CFG_COMMAND_INTX_DISABLE));
	restore_command(d, cmd);
}

/*
 * A legacy virtio-net transmit queue, just enough to make the device
 * interrupt: one frame, sent and completed. Registers: virtio 1.0
 * §4.1.4.8; with MSI-X on, the two vector registers sit at 0x14 and
 * 0x16. Ring layout: §2.4.2 (legacy, 4096-byte alignment).
 */
#define VIRTIO_IO_GUEST_FEATURES 0x04
#define VIRTIO_IO_QUEUE_PFN 0x08
#define VIRTIO_IO_QUEUE_SIZE 0x0c
#define VIRTIO_IO_QUEUE_SELECT 0x0e
#define VIRTIO_IO_QUEUE_NOTIFY 0x10
#define VIRTIO_IO_STATUS 0x12
#define VIRTIO_IO_ISR 0x13
#define VIRTIO_IO_MSIX_QUEUE 0x16
#define VIRTIO_STATUS_ACKNOWLEDGE BIT(0)
#define VIRTIO_STATUS_DRIVER BIT(1)
#define VIRTIO_STATUS_DRIVER_OK BIT(2)
#define VIRTIO_ISR_QUEUE BIT(0)
#define VIRTIO_NET_TX_QUEUE 1
#define VIRTIO_NET_HDR_LEGACY 10
#define VRING_DESC_F_NEXT BIT(0)
#define VRING_ALIGN 4096
#define FRAME_LEN 60

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));
_Static_assert(offsetof(struct vring_desc, addr) == 0, "virtio 2.4.5");
_Static_assert(offsetof(struct vring_desc, len) == 8, "virtio 2.4.5");
_Static_assert(offsetof(struct vring_desc, flags) == 12, "virtio 2.4.5");
_Static_assert(offsetof(struct vring_desc, next) == 14, "virtio 2.4.5");

struct legacy_txq {
	uint16_t io;
	unsigned size, pages;
	uint64_t pa;
	volatile struct vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size] */
	volatile uint16_t *used;  /* flags, idx, then the elements */
	uint8_t *buf;
	uint16_t next_avail;
};

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Reset and bring up the device with only the transmit queue, after
 * MSI-X is on (or off) as the caller wants, with the queue's MSI-X
 * vector on entry 0 when msix. */
static int txq_setup(struct pci_dev *d, struct legacy_txq *q, bool msix)
{
	uint64_t used_off, bytes;
	uint8_t *mem;

	q->io = (uint16_t)d->bar[0].addr;
	pci_enable(d, true, true, true);
	outb(q->io + VIRTIO_IO_STATUS, 0);
	outb(q->io + VIRTIO_IO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	outb(q->io + VIRTIO_IO_STATUS,
	     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	outl(q->io + VIRTIO_IO_GUEST_FEATURES, 0);
	outw(q->io + VIRTIO_IO_QUEUE_SELECT, VIRTIO_NET_TX_QUEUE);
	q->size = inw(q->io + VIRTIO_IO_QUEUE_SIZE);
	if (!q->size || q->size > 32768 || (q->size & (q->size - 1)))
		return -1;
	used_off = align_up(16ull * q->size + 6 + 2ull * q->size, VRING_ALIGN);
	bytes = used_off + align_up(6 + 8ull * q->size, VRING_ALIGN);
	q->pages = (unsigned)(bytes / PAGE_SIZE) + 1; /* + frame buffer */
	q->pa = pmm_alloc(q->pages);
	if (!q->pa)
		return -1;
	mem = (uint8_t *)(uintptr_t)q->pa;
	memset(mem, 0, q->pages * PAGE_SIZE);
	q->desc = (volatile struct vring_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + 16ull * q->size);
	q->used = (volatile uint16_t *)(mem + used_off);
	q->buf = mem + bytes;
	q->next_avail = 0;
	/* Broadcast, from a locally administered address, type 0x88b5
	 * (IEEE local experimental): nobody on the user network cares. */
	memset(q->buf + VIRTIO_NET_HDR_LEGACY, 0xff, 6);
	memcpy(q->buf + VIRTIO_NET_HDR_LEGACY + 6, "\x02\x00\x00\x00\x00\x01",
	       6);
	q->buf[VIRTIO_NET_HDR_LEGACY + 12] = 0x88;
	q->buf[VIRTIO_NET_HDR_LEGACY + 13] = 0xb5;
	if (msix) {
		outw(q->io + VIRTIO_IO_MSIX_QUEUE, 0);
		if (inw(q->io + VIRTIO_IO_MSIX_QUEUE) != 0)
			return -1;
	}
	outl(q->io + VIRTIO_IO_QUEUE_PFN, (uint32_t)(q->pa >> 12));
	outb(q->io + VIRTIO_IO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
					       VIRTIO_STATUS_DRIVER |
					       VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

/* Send the frame; true once the device has put it in the used ring. */
static bool txq_send(struct legacy_txq *q)
{
	uint64_t hdr = (uint64_t)(uintptr_t)q->buf;
	uint64_t end = time_ns() + WAIT_NS;

	q->desc[0].addr = hdr;
	q->desc[0].len = VIRTIO_NET_HDR_LEGACY;
	q->desc[0].flags = VRING_DESC_F_NEXT;
	q->desc[0].next = 1;
	q->desc[1].addr = hdr + VIRTIO_NET_HDR_LEGACY;
	q->desc[1].len = FRAME_LEN;
	q->desc[1].flags = 0;
	q->desc[1].next = 0;
	q->avail[2 + q->next_avail % q->size] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail[1] = ++q->next_avail;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	outw(q->io + VIRTIO_IO_QUEUE_NOTIFY, VIRTIO_NET_TX_QUEUE);
	while (q->used[1] != q->next_avail) {
		if (time_ns() >= end)
			return false;
		cpu_relax();
	}
	return true;
}

static void txq_teardown(struct legacy_txq *q)
{
	outb(q->io + VIRTIO_IO_STATUS, 0); /* reset: the queue is dropped */
	if (q->pa)
		pmm_free(q->pa, q->pages);
	q->pa = 0;
}

static volatile unsigned nic_irqs;
static int nic_vector = -1;

static void count_msix(struct irq_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	__atomic_fetch_add(&nic_irqs, 1, __ATOMIC_RELEASE);
	lapic_eoi();
}

/* Level-triggered: reading the ISR lowers the line, before the EOI. */
static void count_intx(struct irq_frame *f, void *ctx)
{
	uint16_t io = (uint16_t)(uintptr_t)ctx;

	(void)f;
	if (inb(io + VIRTIO_IO_ISR) & VIRTIO_ISR_QUEUE)
		__atomic_fetch_add(&nic_irqs, 1, __ATOMIC_RELEASE);
	lapic_eoi();
}

static bool wait_irqs(unsigned want)
{
	uint64_t end = time_ns() + WAIT_NS;

	while (__atomic_load_n(&nic_irqs, __ATOMIC_ACQUIRE) < want) {
		if (time_ns() >= end)
			return false;
		cpu_relax();
	}
	return true;
}

static bool nic_legacy_free(struct ktest *t, struct pci_dev **out)
{
	struct pci_dev *d = nic(t, true);

	if (!d)
		return false;
	if (!d->bar[0].size || !d->bar[0].io) {
		kprintf("# %s: no legacy virtio interface (modern only); "
			"interrupt not triggered\n",
			t->name);
		return false;
	}
	if (nic_vector < 0)
		nic_vector = irq_alloc_vector();
	if (!KT_CHECK(t, nic_vector >= IRQ_VECTOR_FIRST))
		return false;
	*out = d;
	return true;
}

KTEST(pci_msix_delivers)
{
	uint32_t apic = cpu_get(0)->apic_id;
	struct legacy_txq q = { 0 };
	struct pci_dev *d;
	uint16_t cmd;
	unsigned base;

	if (!nic_legacy_free(t, &d))
		return;
	cmd = pci_read16(d, CFG_COMMAND);
	KT_CHECK_EQ(t, irq_set_handler((unsigned)nic_vector, count_msix, NULL),
		    0);
	if (!KT_CHECK_EQ(t, pci_msix_enable(d), 0))
		goto out;
	if (!KT_CHECK_EQ(t, txq_setup(d, &q, true), 0))
		goto out_msix;
	KT_CHECK_EQ(t, pci_msix_route(d, 0, apic, (uint8_t)nic_vector), 0);
	base = __atomic_load_n(&nic_irqs, __ATOMIC_ACQUIRE);

	/* Masked: the message waits in the PBA. */
	KT_CHECK_EQ(t, pci_msix_mask(d, 0, true), 0);
	KT_CHECK(t, txq_send(&q));
	time_delay_ns(20 * NSEC_PER_MSEC);
	KT_CHECK_EQ(t, __atomic_load_n(&nic_irqs, __ATOMIC_ACQUIRE), base);
	KT_CHECK(t, pci_msix_pending(d, 0));
	/* Unmasked: it goes out, and the pending bit clears. */
	KT_CHECK_EQ(t, pci_msix_mask(d, 0, false), 0);
	KT_CHECK(t, wait_irqs(base + 1));
	KT_CHECK(t, !pci_msix_pending(d, 0));
	/* And straight away while unmasked. */
	KT_CHECK(t, txq_send(&q));
	KT_CHECK(t, wait_irqs(base + 2));
	KT_CHECK(t, !pci_msix_pending(d, 0));
out_msix:
	txq_teardown(&q);
	pci_msix_disable(d);
out:
	restore_command(d, cmd);
}

KTEST(pci_intx_delivers)
{
	uint32_t apic = cpu_get(0)->apic_id;
	struct legacy_txq q = { 0 };
	struct pci_dev *d;
	uint16_t cmd;
	unsigned base;
	int rc;

	if (!nic_legacy_free(t, &d))
		return;
	cmd = pci_read16(d, CFG_COMMAND);
	if (!KT_CHECK(t, d->irq_pin && d->irq_line && d->irq_line < 16))
		return;
	KT_CHECK_EQ(t,
		    irq_set_handler((unsigned)nic_vector, count_intx,
				    (void *)(uintptr_t)d->bar[0].addr),
		    0);
	if (!KT_CHECK_EQ(t, txq_setup(d, &q, false), 0))
		goto out;
	rc = pci_intx_route(d, (uint8_t)nic_vector, apic);
	if (!KT_CHECK_EQ(t, rc, 0))
		goto out;
	KT_CHECK(t, !(pci_read16(d, CFG_COMMAND) & CFG_COMMAND_INTX_DISABLE));
	/* The line is shared: the same route again is fine, another
	 * vector for it is not. */
	KT_CHECK_EQ(t, pci_intx_route(d, (uint8_t)nic_vector, apic), 0);
	KT_CHECK_EQ(t, pci_intx_route(d, (uint8_t)(nic_vector + 1), apic),
		    -KERR_EBUSY);
	base = __atomic_load_n(&nic_irqs, __ATOMIC_ACQUIRE);
	KT_CHECK(t, txq_send(&q));
	KT_CHECK(t, wait_irqs(base + 1));
	KT_CHECK(t, txq_send(&q));
	KT_CHECK(t, wait_irqs(base + 2));
	pci_intx_unroute(d);
	KT_CHECK(t, !d->intx_routed);
	KT_CHECK(t, pci_read16(d, CFG_COMMAND) & CFG_COMMAND_INTX_DISABLE);
	pci_intx_unroute(d); /* a second time does nothing */
out:
	txq_teardown(&q);
	restore_command(d, cmd);
	/* A late interrupt still gets its EOI. */
	irq_set_handler((unsigned)nic_vector, count_msix, NULL);
}
