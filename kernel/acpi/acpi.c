/*
 * ACPI table discovery (ACPI 6.5 §5.2.5-5.2.8): find and validate the
 * RSDP, walk the XSDT (or the RSDT of ACPI 1.0 firmware), and keep every
 * table whose length is sane and whose checksum adds up. The parsers of
 * the MADT, MCFG and FADT (madt.c, mcfg.c, fadt.c) only ever see tables
 * that passed here. QEMU: every machine type; -M q35 adds an MCFG.
 *
 * Tables are firmware data, but still untrusted bytes: no length or
 * address is used before it is bounded. Runs once on the boot CPU before
 * the APIC code; the results are read-only afterwards.
 */
#include <arch/mmio.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>

#include "acpi_tables.h"

#define ACPI_MAX_TABLES 64
/* Far above any MADT, MCFG or FADT a machine has; DSDT is not read. */
#define ACPI_TABLE_MAX_LEN (1u << 20)
#define BIOS_EBDA_PTR 0x40e
#define BIOS_ROM_START 0xe0000
#define BIOS_ROM_END 0x100000

static const struct acpi_header *tables[ACPI_MAX_TABLES];
static unsigned table_count;
static int rsdp_revision = -1;

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return sum;
}

/*
 * The one place a table's physical range becomes a pointer. ACPI tables
 * live in RAM the loaders identity map below 4 GiB; once the memory
 * manager can map more, mm_map_mmio() (or a cached variant) goes here.
 */
static const void *acpi_map(uint64_t phys, uint64_t len)
{
	const void *p;

	if (!phys)
		return NULL;
	p = (const void *)mmio_map(phys, len);
	/* Hide the constant address from gcc, which takes pointers into
	 * the first pages for null-pointer arithmetic and warns. */
	__asm__("" : "+r"(p));
	return p;
}

static const struct acpi_rsdp *rsdp_check(uint64_t phys)
{
	const struct acpi_rsdp *r = acpi_map(phys, sizeof(*r));

	if (!r || memcmp(r->signature, "RSD PTR ", 8) != 0 ||
	    checksum(r, ACPI_RSDP_V1_LEN) != 0)
		return NULL;
	if (r->revision >= 2 &&
	    (r->length < sizeof(*r) || r->length > 4096 ||
	     !acpi_map(phys, r->length) || checksum(r, r->length) != 0))
		return NULL;
	return r;
}

/* §5.2.5.1: the first KiB of the EBDA, then the BIOS ROM area, on
 * 16-byte boundaries. Only BIOS machines (and PVH boots that did not
 * pass an RSDP) have one there. */
static uint64_t rsdp_search(void)
{
	const void *ebda_ptr = acpi_map(BIOS_EBDA_PTR, 2);
	uint16_t seg = 0;
	uint64_t ebda;

	if (ebda_ptr)
		memcpy(&seg, ebda_ptr, sizeof(seg));
	ebda = (uint64_t)seg << 4;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint64_t p = ebda; p < ebda + 1024; p += 16)
			if (rsdp_check(p))
				return p;
	for (uint64_t p = BIOS_ROM_START; p < BIOS_ROM_END; p += 16)
		if (rsdp_check(p))
			return p;
	return 0;
}

static void sig_str(const void *sig, char out[5])
{
	memcpy(out, sig, 4);
	for (int i = 0; i < 4; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '?';
	out[4] = '\0';
}

/* The table at phys, if its header is readable, its length bounded and
 * its checksum right; otherwise NULL and one line saying why. */
static const struct acpi_header *table_check(uint64_t phys)
{
	const struct acpi_header *h = acpi_map(phys, sizeof(*h));
	char sig[5];

	if (!h) {
		kprintf("acpi: table at 0x%llx: not mapped; ignored\n",
			(unsigned long long)phys);
		return NULL;
	}
	sig_str(h->signature, sig);
	if (h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX_LEN ||
	    !acpi_map(phys, h->length)) {
		kprintf("acpi: %s at 0x%llx: length %u out of range; ignored\n",
			sig, (unsigned long long)phys, h->length);
		return NULL;
	}
	if (checksum(h, h->length) != 0) {
		kprintf("acpi: %s at 0x%llx: bad checksum; ignored\n", sig,
			(unsigned long long)phys);
		return NULL;
	}
	return h;
}

/* Collect the tables an XSDT (entry_size 8) or RSDT (4) points to. */
static int root_walk(uint64_t phys, const char *sig, size_t entry_size)
{
	const struct acpi_header *root = table_check(phys);
	const uint8_t *entries;
	size_t n;

	if (!root)
		return -KERR_EINVAL;
	if (memcmp(root->signature, sig, 4) != 0) {
		kprintf("acpi: %s at 0x%llx: wrong signature\n", sig,
			(unsigned long long)phys);
		return -KERR_EINVAL;
	}
	entries = (const uint8_t *)root + sizeof(*root);
	n = (root->length - sizeof(*root)) / entry_size;
	if (n > ACPI_MAX_TABLES) {
		kprintf("acpi: %s lists %zu tables; using the first %d\n", sig,
			n, ACPI_MAX_TABLES);
		n = ACPI_MAX_TABLES;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = 0;
		const struct acpi_header *h;

		/* little-endian: a 4-byte RSDT entry fills the low half */
		memcpy(&addr, entries + i * entry_size, entry_size);
		h = table_check(addr);
		if (h)
			tables[table_count++] = h;
	}
	return 0;
}

const void *acpi_find_table(const char sig[4])
{
	for (unsigned i = 0; i < table_count; i++)
		if (memcmp(tables[i]->signature, sig, 4) == 0)
			return tables[i];
	return NULL;
}

int acpi_revision(void)
{
	return rsdp_revision;
}

static int acpi_tables_init(uint64_t rsdp_phys)
{
	const struct acpi_rsdp *r;

	if (!rsdp_phys)
		rsdp_phys = rsdp_search();
	if (!rsdp_phys) {
		kprintf("acpi: no RSDP\n");
		return -KERR_ENOENT;
	}
	r = rsdp_check(rsdp_phys);
	if (!r) {
		kprintf("acpi: RSDP at 0x%llx: bad signature or checksum\n",
			(unsigned long long)rsdp_phys);
		return -KERR_EINVAL;
	}
	rsdp_revision = r->revision;
	if (r->revision >= 2 && r->xsdt_addr &&
	    root_walk(r->xsdt_addr, "XSDT", 8) == 0)
		return 0;
	if (root_walk(r->rsdt_addr, "RSDT", 4) == 0)
		return 0;
	return -KERR_EINVAL;
}

int acpi_init(uint64_t rsdp)
{
	int err = acpi_tables_init(rsdp), madt_err;
	unsigned mcfg_count;
	char summary[96];

	madt_err = acpi_madt_parse(acpi_find_table("APIC"));
	acpi_mcfg_parse(acpi_find_table("MCFG"));
	acpi_fadt_parse(acpi_find_table("FACP"));
	acpi_mcfg(&mcfg_count);
	acpi_madt_summary(summary, sizeof(summary));
	kprintf("acpi: %s; MCFG: %u segment%s\n", summary, mcfg_count,
		mcfg_count == 1 ? "" : "s");
	return err ? err : madt_err;
}
