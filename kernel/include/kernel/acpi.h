/*
 * ACPI tables (ACPI 6.5 chapter 5.2): the RSDP, the XSDT or RSDT, and
 * what the rest of the kernel needs from the MADT (CPUs, IOAPICs, ISA
 * interrupt overrides, local APIC NMI lines), the MCFG (PCI Firmware
 * Specification 3.2 §4.1.2: ECAM segments) and the FADT (PM timer, RTC
 * century register).
 *
 * acpi_init() runs once on the boot CPU before the APIC, IOAPIC, time and
 * PCI code, all of which read its results. Without usable tables the
 * MADT view falls back to what every PC has: the boot CPU and one IOAPIC
 * at 0xFEC00000 with identity ISA routing.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_NMIS 8
#define ACPI_MAX_MCFG 8

#define ACPI_DEFAULT_LAPIC 0xfee00000u
#define ACPI_DEFAULT_IOAPIC 0xfec00000u
#define ACPI_ISA_IRQS 16

/* MPS INTI flags (ACPI 6.5 table 5.26): polarity bits 1:0, trigger 3:2. */
#define ACPI_INTI_POLARITY_MASK 0x3
#define ACPI_INTI_POLARITY_HIGH 0x1
#define ACPI_INTI_POLARITY_LOW 0x3
#define ACPI_INTI_TRIGGER_MASK 0xc
#define ACPI_INTI_TRIGGER_EDGE 0x4
#define ACPI_INTI_TRIGGER_LEVEL 0xc

/* All processors, in a local APIC NMI entry's processor UID. */
#define ACPI_NMI_ALL_CPUS 0xffffffffu

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid; /* ACPI processor UID */
};

struct acpi_ioapic {
	uint32_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

/* ISA IRQ source is delivered on GSI gsi with the given INTI flags. */
struct acpi_override {
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
};

/* Local APIC LINT pin wired to NMI on processor uid (or all). */
struct acpi_lapic_nmi {
	uint32_t uid;
	uint16_t flags;
	uint8_t lint;
};

struct acpi_madt_info {
	bool from_acpi;	  /* false: the fallback described above */
	bool pcat_compat; /* dual 8259s present (they get masked) */
	uint64_t lapic_addr;
	unsigned cpu_count; /* enabled CPUs; cpus[0] is the first listed */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	unsigned nmi_count;
	struct acpi_lapic_nmi nmis[ACPI_MAX_NMIS];
};

/* One ECAM region: config space of bus b of segment at base + (b << 20). */
struct acpi_mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
};

/* Parse the tables behind the RSDP at physical rsdp (0: search the BIOS
 * areas). Returns 0, or a negative KERR_* when the tables were unusable
 * and the fallback is in effect; either way the accessors work after. */
int acpi_init(uint64_t rsdp);

const struct acpi_madt_info *acpi_madt(void);

/* The ECAM segments, or NULL with *count 0 when there is no MCFG. */
const struct acpi_mcfg_entry *acpi_mcfg(unsigned *count);

/* The first checksum-valid table with this signature, or NULL. The
 * table's length is in its header at offset 4 and has been bounded. */
const void *acpi_find_table(const char sig[4]);

/* ACPI revision of the RSDP (0 for 1.0, 2 for 2.0+), -1 without one. */
int acpi_revision(void);

/* The GSI an ISA IRQ is delivered on, with its INTI flags in *flags
 * (edge, active high when no override names the IRQ). */
uint32_t acpi_isa_irq_gsi(unsigned irq, uint16_t *flags);

/* FADT: the PM timer's I/O port (0 if none) and whether it is 32 bits
 * wide (else 24); the RTC's century CMOS register (0 if none). */
uint16_t acpi_pm_timer_port(bool *is32);
uint8_t acpi_rtc_century_reg(void);

#endif
