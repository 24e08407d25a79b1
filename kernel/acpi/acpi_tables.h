/*
 * Byte layouts of the ACPI tables the kernel reads (ACPI 6.5 §5.2.5 RSDP,
 * §5.2.6 header, §5.2.7-8 RSDT/XSDT, §5.2.9 FADT, §5.2.12 MADT; MCFG from
 * the PCI Firmware Specification 3.2 §4.1.2). Private to kernel/acpi/.
 * Tables sit at byte alignment, so fields wider than a byte are read
 * through the packed structs (or memcpy), never through casts.
 */
#ifndef ACPI_TABLES_H
#define ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/lib.h>

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0; 2: 2.0 and later */
	uint32_t rsdt_addr;
	uint32_t length; /* 2.0+ from here on */
	uint64_t xsdt_addr;
	uint8_t ext_checksum; /* all `length` bytes */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_rsdp, signature) == 0, "layout");
_Static_assert(offsetof(struct acpi_rsdp, checksum) == 8, "layout");
_Static_assert(offsetof(struct acpi_rsdp, oem_id) == 9, "layout");
_Static_assert(offsetof(struct acpi_rsdp, revision) == 15, "layout");
_Static_assert(offsetof(struct acpi_rsdp, rsdt_addr) == 16, "layout");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20, "layout");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_addr) == 24, "layout");
_Static_assert(offsetof(struct acpi_rsdp, ext_checksum) == 32, "layout");
_Static_assert(offsetof(struct acpi_rsdp, reserved) == 33, "layout");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "layout");

#define ACPI_RSDP_V1_LEN 20

struct acpi_header {
	char signature[4];
	uint32_t length; /* whole table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_header, signature) == 0, "layout");
_Static_assert(offsetof(struct acpi_header, length) == 4, "layout");
_Static_assert(offsetof(struct acpi_header, revision) == 8, "layout");
_Static_assert(offsetof(struct acpi_header, checksum) == 9, "layout");
_Static_assert(offsetof(struct acpi_header, oem_id) == 10, "layout");
_Static_assert(offsetof(struct acpi_header, oem_table_id) == 16, "layout");
_Static_assert(offsetof(struct acpi_header, oem_revision) == 24, "layout");
_Static_assert(offsetof(struct acpi_header, creator_id) == 28, "layout");
_Static_assert(offsetof(struct acpi_header, creator_revision) == 32, "layout");
_Static_assert(sizeof(struct acpi_header) == 36, "layout");

/* MADT (§5.2.12): the header, then variable-length entries. */
struct acpi_madt {
	struct acpi_header hdr;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_madt, hdr) == 0, "layout");
_Static_assert(offsetof(struct acpi_madt, lapic_addr) == 36, "layout");
_Static_assert(offsetof(struct acpi_madt, flags) == 40, "layout");
_Static_assert(sizeof(struct acpi_madt) == 44, "layout");

#define MADT_PCAT_COMPAT BIT(0)

/* Interrupt controller structure types, table 5.21. */
enum {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_OVERRIDE = 2,
	MADT_NMI_SOURCE = 3,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDR = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 10,
};

/* Local APIC flags, table 5.23. */
#define MADT_CPU_ENABLED BIT(0)
#define MADT_CPU_ONLINE_CAPABLE BIT(1)

struct madt_entry {
	uint8_t type;
	uint8_t length;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_entry, type) == 0, "layout");
_Static_assert(offsetof(struct madt_entry, length) == 1, "layout");

struct madt_lapic {
	struct madt_entry e;
	uint8_t uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_lapic, uid) == 2, "layout");
_Static_assert(offsetof(struct madt_lapic, apic_id) == 3, "layout");
_Static_assert(offsetof(struct madt_lapic, flags) == 4, "layout");
_Static_assert(sizeof(struct madt_lapic) == 8, "layout");

struct madt_ioapic {
	struct madt_entry e;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_ioapic, id) == 2, "layout");
_Static_assert(offsetof(struct madt_ioapic, reserved) == 3, "layout");
_Static_assert(offsetof(struct madt_ioapic, addr) == 4, "layout");
_Static_assert(offsetof(struct madt_ioapic, gsi_base) == 8, "layout");
_Static_assert(sizeof(struct madt_ioapic) == 12, "layout");

struct madt_override {
	struct madt_entry e;
	uint8_t bus; /* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_override, bus) == 2, "layout");
_Static_assert(offsetof(struct madt_override, source) == 3, "layout");
_Static_assert(offsetof(struct madt_override, gsi) == 4, "layout");
_Static_assert(offsetof(struct madt_override, flags) == 8, "layout");
_Static_assert(sizeof(struct madt_override) == 10, "layout");

struct madt_lapic_nmi {
	struct madt_entry e;
	uint8_t uid; /* 0xff: all processors */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_lapic_nmi, uid) == 2, "layout");
_Static_assert(offsetof(struct madt_lapic_nmi, flags) == 3, "layout");
_Static_assert(offsetof(struct madt_lapic_nmi, lint) == 5, "layout");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "layout");

struct madt_lapic_addr {
	struct madt_entry e;
	uint16_t reserved;
	uint64_t addr;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_lapic_addr, reserved) == 2, "layout");
_Static_assert(offsetof(struct madt_lapic_addr, addr) == 4, "layout");
_Static_assert(sizeof(struct madt_lapic_addr) == 12, "layout");

struct madt_x2apic {
	struct madt_entry e;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t uid;
} __attribute__((packed));
_Static_assert(offsetof(struct madt_x2apic, reserved) == 2, "layout");
_Static_assert(offsetof(struct madt_x2apic, x2apic_id) == 4, "layout");
_Static_assert(offsetof(struct madt_x2apic, flags) == 8, "layout");
_Static_assert(offsetof(struct madt_x2apic, uid) == 12, "layout");
_Static_assert(sizeof(struct madt_x2apic) == 16, "layout");

struct madt_x2apic_nmi {
	struct madt_entry e;
	uint16_t flags;
	uint32_t uid; /* 0xffffffff: all processors */
	uint8_t lint;
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(offsetof(struct madt_x2apic_nmi, flags) == 2, "layout");
_Static_assert(offsetof(struct madt_x2apic_nmi, uid) == 4, "layout");
_Static_assert(offsetof(struct madt_x2apic_nmi, lint) == 8, "layout");
_Static_assert(offsetof(struct madt_x2apic_nmi, reserved) == 9, "layout");
_Static_assert(sizeof(struct madt_x2apic_nmi) == 12, "layout");

/* MCFG: the header, 8 reserved bytes, then allocation entries. */
struct acpi_mcfg {
	struct acpi_header hdr;
	uint64_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_mcfg, hdr) == 0, "layout");
_Static_assert(offsetof(struct acpi_mcfg, reserved) == 36, "layout");
_Static_assert(sizeof(struct acpi_mcfg) == 44, "layout");

struct mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct mcfg_alloc, base) == 0, "layout");
_Static_assert(offsetof(struct mcfg_alloc, segment) == 8, "layout");
_Static_assert(offsetof(struct mcfg_alloc, bus_start) == 10, "layout");
_Static_assert(offsetof(struct mcfg_alloc, bus_end) == 11, "layout");
_Static_assert(offsetof(struct mcfg_alloc, reserved) == 12, "layout");
_Static_assert(sizeof(struct mcfg_alloc) == 16, "layout");

/* Generic address structure (§5.2.3.2). */
struct acpi_gas {
	uint8_t space_id; /* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_gas, space_id) == 0, "layout");
_Static_assert(offsetof(struct acpi_gas, bit_width) == 1, "layout");
_Static_assert(offsetof(struct acpi_gas, bit_offset) == 2, "layout");
_Static_assert(offsetof(struct acpi_gas, access_size) == 3, "layout");
_Static_assert(offsetof(struct acpi_gas, address) == 4, "layout");
_Static_assert(sizeof(struct acpi_gas) == 12, "layout");

#define ACPI_GAS_SYSTEM_IO 1

/* The FADT fields we read (table 5.9); the table may end before any of
 * them, so each is used only when the header's length covers it. */
#define FADT_PM_TMR_BLK 76    /* uint32_t I/O port */
#define FADT_PM_TMR_LEN 91    /* uint8_t, 4 when present */
#define FADT_CENTURY 108      /* uint8_t CMOS register */
#define FADT_FLAGS 112	      /* uint32_t */
#define FADT_X_PM_TMR_BLK 208 /* struct acpi_gas */
#define FADT_TMR_VAL_EXT BIT(8)

/* Between the files of kernel/acpi/: each parser fills its part of the
 * state from a checksum-verified table (or sets its fallback on NULL). */
int acpi_madt_parse(const struct acpi_madt *m);
void acpi_mcfg_parse(const struct acpi_mcfg *m);
void acpi_fadt_parse(const struct acpi_header *fadt);
void acpi_madt_summary(char *buf, unsigned size);

#endif
