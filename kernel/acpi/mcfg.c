/*
 * MCFG parsing (PCI Firmware Specification 3.2 §4.1.2): the ECAM regions,
 * one per PCI segment and bus range, for the PCI code's configuration
 * space access. QEMU: -M q35 has one (segment 0, buses 0-255 at
 * 0xB0000000 by default); -M pc has none and uses port I/O instead.
 */
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/lib.h>

#include "acpi_tables.h"

static struct acpi_mcfg_entry mcfg[ACPI_MAX_MCFG];
static unsigned mcfg_count;

void acpi_mcfg_parse(const struct acpi_mcfg *m)
{
	const struct mcfg_alloc *a;
	size_t n;

	mcfg_count = 0;
	if (!m || m->hdr.length < sizeof(*m))
		return;
	a = (const struct mcfg_alloc *)((const uint8_t *)m + sizeof(*m));
	n = (m->hdr.length - sizeof(*m)) / sizeof(*a);
	for (size_t i = 0; i < n; i++) {
		if (a[i].bus_end < a[i].bus_start || !a[i].base ||
		    (a[i].base & 0xfffff)) {
			kprintf("acpi: MCFG: segment %u buses %u-%u at 0x%llx "
				"is malformed; ignored\n",
				a[i].segment, a[i].bus_start, a[i].bus_end,
				(unsigned long long)a[i].base);
			continue;
		}
		if (mcfg_count == ACPI_MAX_MCFG) {
			kprintf("acpi: MCFG: more than %d segments; rest "
				"ignored\n",
				ACPI_MAX_MCFG);
			break;
		}
		mcfg[mcfg_count].base = a[i].base;
		mcfg[mcfg_count].segment = a[i].segment;
		mcfg[mcfg_count].bus_start = a[i].bus_start;
		mcfg[mcfg_count].bus_end = a[i].bus_end;
		mcfg_count++;
	}
}

const struct acpi_mcfg_entry *acpi_mcfg(unsigned *count)
{
	*count = mcfg_count;
	return mcfg_count ? mcfg : NULL;
}
