/*
 * MADT parsing (ACPI 6.5 §5.2.12): the enabled processors (local APIC
 * and x2APIC entries), the IOAPICs, the ISA interrupt source overrides,
 * the local APIC NMI lines and the 64-bit local APIC address override.
 * QEMU: -smp N lists N processors; both -M pc and -M q35 override ISA
 * IRQ 0 to GSI 2 and make the PCI IRQs 5, 9, 10, 11 level, active high.
 *
 * Without a usable MADT the view is the fallback every PC supports: the
 * boot CPU alone, one IOAPIC at 0xFEC00000 and identity ISA routing.
 */
#include <arch/apic.h>
#include <arch/cpu_setup.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/printf.h>

#include "acpi_tables.h"

static struct acpi_madt_info madt;

const struct acpi_madt_info *acpi_madt(void)
{
	return &madt;
}

/* The boot CPU's initial APIC id: leaf 0xB has the 32-bit x2APIC id,
 * leaf 1 the low 8 bits (Intel SDM vol. 2A, CPUID). */
static uint32_t boot_apic_id(void)
{
	uint32_t a, b, c, d, max;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0xb) {
		cpuid(0xb, 0, &a, &b, &c, &d);
		if (b)
			return d;
	}
	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

static void fallback_cpus(void)
{
	madt.cpu_count = 1;
	madt.cpus[0].apic_id = boot_apic_id();
	madt.cpus[0].uid = 0;
}

static void fallback_ioapics(void)
{
	madt.ioapic_count = 1;
	madt.ioapics[0].id = 0;
	madt.ioapics[0].addr = ACPI_DEFAULT_IOAPIC;
	madt.ioapics[0].gsi_base = 0;
}

static void add_cpu(uint32_t apic_id, uint32_t uid, uint32_t flags)
{
	if (!(flags & MADT_CPU_ENABLED))
		return; /* hot-pluggable or absent */
	/* A CPU may appear both as local APIC and as x2APIC entry. */
	for (unsigned i = 0; i < madt.cpu_count; i++)
		if (madt.cpus[i].apic_id == apic_id)
			return;
	if (madt.cpu_count == ACPI_MAX_CPUS) {
		kprintf("acpi: MADT: CPU %u beyond the %d supported; ignored\n",
			apic_id, ACPI_MAX_CPUS);
		return;
	}
	madt.cpus[madt.cpu_count].apic_id = apic_id;
	madt.cpus[madt.cpu_count].uid = uid;
	madt.cpu_count++;
}

static void add_nmi(uint32_t uid, uint16_t flags, uint8_t lint)
{
	if (lint > 1) {
		kprintf("acpi: MADT: NMI on LINT%u does not exist; ignored\n",
			lint);
		return;
	}
	if (madt.nmi_count == ACPI_MAX_NMIS) {
		kprintf("acpi: MADT: more than %d NMI entries; ignored\n",
			ACPI_MAX_NMIS);
		return;
	}
	madt.nmis[madt.nmi_count].uid = uid;
	madt.nmis[madt.nmi_count].flags = flags;
	madt.nmis[madt.nmi_count].lint = lint;
	madt.nmi_count++;
}

static void add_ioapic(const struct madt_ioapic *e)
{
	if (madt.ioapic_count == ACPI_MAX_IOAPICS) {
		kprintf("acpi: MADT: IOAPIC %u beyond the %d supported; "
			"ignored\n",
			e->id, ACPI_MAX_IOAPICS);
		return;
	}
	madt.ioapics[madt.ioapic_count].id = e->id;
	madt.ioapics[madt.ioapic_count].addr = e->addr;
	madt.ioapics[madt.ioapic_count].gsi_base = e->gsi_base;
	madt.ioapic_count++;
}

static void add_override(const struct madt_override *e)
{
	if (e->bus != 0 || e->source >= ACPI_ISA_IRQS) {
		kprintf("acpi: MADT: override of bus %u IRQ %u is not ISA; "
			"ignored\n",
			e->bus, e->source);
		return;
	}
	if (madt.override_count == ACPI_MAX_OVERRIDES)
		return; /* cannot happen with source < 16 and no duplicates */
	madt.overrides[madt.override_count].source = e->source;
	madt.overrides[madt.override_count].gsi = e->gsi;
	madt.overrides[madt.override_count].flags = e->flags;
	madt.override_count++;
}

/* Minimum length of each entry type we read; 0: not read. */
static uint8_t entry_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		return sizeof(struct madt_lapic);
	case MADT_IOAPIC:
		return sizeof(struct madt_ioapic);
	case MADT_OVERRIDE:
		return sizeof(struct madt_override);
	case MADT_LAPIC_NMI:
		return sizeof(struct madt_lapic_nmi);
	case MADT_LAPIC_ADDR:
		return sizeof(struct madt_lapic_addr);
	case MADT_X2APIC:
		return sizeof(struct madt_x2apic);
	case MADT_X2APIC_NMI:
		return sizeof(struct madt_x2apic_nmi);
	default:
		return 0;
	}
}

static void parse_entry(const struct madt_entry *e)
{
	switch (e->type) {
	case MADT_LAPIC: {
		const struct madt_lapic *l = (const void *)e;

		add_cpu(l->apic_id, l->uid, l->flags);
		break;
	}
	case MADT_X2APIC: {
		const struct madt_x2apic *x = (const void *)e;

		add_cpu(x->x2apic_id, x->uid, x->flags);
		break;
	}
	case MADT_IOAPIC:
		add_ioapic((const void *)e);
		break;
	case MADT_OVERRIDE:
		add_override((const void *)e);
		break;
	case MADT_LAPIC_NMI: {
		const struct madt_lapic_nmi *n = (const void *)e;

		add_nmi(n->uid == 0xff ? ACPI_NMI_ALL_CPUS : n->uid, n->flags,
			n->lint);
		break;
	}
	case MADT_X2APIC_NMI: {
		const struct madt_x2apic_nmi *n = (const void *)e;

		add_nmi(n->uid, n->flags, n->lint);
		break;
	}
	case MADT_LAPIC_ADDR: {
		const struct madt_lapic_addr *a = (const void *)e;

		madt.lapic_addr = a->addr;
		break;
	}
	}
}

int acpi_madt_parse(const struct acpi_madt *m)
{
	const uint8_t *p, *end;

	memset(&madt, 0, sizeof(madt));
	madt.lapic_addr = ACPI_DEFAULT_LAPIC;
	madt.pcat_compat = true;
	if (!m || m->hdr.length < sizeof(*m)) {
		kprintf("acpi: no usable MADT; assuming 1 CPU and an IOAPIC "
			"at 0x%x with ISA IRQs on GSIs 0-15\n",
			ACPI_DEFAULT_IOAPIC);
		fallback_cpus();
		fallback_ioapics();
		return -KERR_ENOENT;
	}
	madt.from_acpi = true;
	madt.lapic_addr = m->lapic_addr;
	madt.pcat_compat = m->flags & MADT_PCAT_COMPAT;
	p = (const uint8_t *)m + sizeof(*m);
	end = (const uint8_t *)m + m->hdr.length;
	while (end - p >= (long)sizeof(struct madt_entry)) {
		const struct madt_entry *e = (const void *)p;

		if (e->length < sizeof(*e) || e->length > end - p) {
			kprintf("acpi: MADT: entry type %u at offset %ld has "
				"length %u; rest ignored\n",
				e->type, (long)(p - (const uint8_t *)m),
				e->length);
			break;
		}
		if (e->length >= entry_min_len(e->type))
			parse_entry(e);
		else
			kprintf("acpi: MADT: entry type %u too short (%u "
				"bytes); ignored\n",
				e->type, e->length);
		p += e->length;
	}
	if (!madt.cpu_count) {
		kprintf("acpi: MADT lists no enabled CPU; assuming the boot "
			"CPU alone\n");
		fallback_cpus();
	}
	if (!madt.ioapic_count) {
		kprintf("acpi: MADT lists no IOAPIC; assuming one at 0x%x\n",
			ACPI_DEFAULT_IOAPIC);
		fallback_ioapics();
	}
	return 0;
}

/* "MADT: 4 CPUs, 1 IOAPIC (gsi 0-23), 2 overrides" */
void acpi_madt_summary(char *buf, unsigned size)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	unsigned n;

	for (unsigned i = 0; i < madt.ioapic_count; i++) {
		const struct acpi_ioapic *io = &madt.ioapics[i];
		unsigned entries = ioapic_probe_entries(io->addr);

		if (io->gsi_base < lo)
			lo = io->gsi_base;
		if (entries && io->gsi_base + entries - 1 > hi)
			hi = io->gsi_base + entries - 1;
	}
	n = ksnprintf(buf, size, "MADT%s: %u CPU%s, %u IOAPIC%s",
		      madt.from_acpi ? "" : " (fallback)", madt.cpu_count,
		      madt.cpu_count == 1 ? "" : "s", madt.ioapic_count,
		      madt.ioapic_count == 1 ? "" : "s");
	if (n < size && hi >= lo)
		n += ksnprintf(buf + n, size - n, " (gsi %u-%u)", lo, hi);
	if (n < size)
		ksnprintf(buf + n, size - n, ", %u override%s",
			  madt.override_count,
			  madt.override_count == 1 ? "" : "s");
}

uint32_t acpi_isa_irq_gsi(unsigned irq, uint16_t *flags)
{
	uint16_t f = 0;
	uint32_t gsi = irq;

	for (unsigned i = 0; i < madt.override_count; i++) {
		if (madt.overrides[i].source != irq)
			continue;
		gsi = madt.overrides[i].gsi;
		f = madt.overrides[i].flags;
	}
	/* "Conforms to the bus": ISA is edge triggered, active high. */
	if (!(f & ACPI_INTI_POLARITY_MASK))
		f |= ACPI_INTI_POLARITY_HIGH;
	if (!(f & ACPI_INTI_TRIGGER_MASK))
		f |= ACPI_INTI_TRIGGER_EDGE;
	if (flags)
		*flags = f;
	return gsi;
}
