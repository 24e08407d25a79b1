/*
 * Memory map normalisation by a sweep over range boundaries: every
 * elementary interval between two consecutive boundaries takes the most
 * restrictive type of the ranges covering it, then neighbours of one type
 * merge. Quadratic in the number of ranges, which firmware keeps small
 * (tens; MEMMAP_MAX bounds it), and obviously correct for any input,
 * including overlapping and unsorted maps.
 */
#include "memmap.h"
#include <kernel/errno.h>

uint32_t memmap_e820_type(uint32_t e820_type)
{
	switch (e820_type) {
	case 1:
		return BOOT_MEM_USABLE;
	case 3:
		return BOOT_MEM_ACPI_RECLAIMABLE;
	case 4:
		return BOOT_MEM_ACPI_NVS;
	case 5:
		return BOOT_MEM_BAD;
	default:
		return BOOT_MEM_RESERVED;
	}
}

static int priority(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE:
		return 0;
	case BOOT_MEM_BOOTLOADER:
		return 1;
	case BOOT_MEM_KERNEL:
		return 2;
	case BOOT_MEM_ACPI_RECLAIMABLE:
		return 4;
	case BOOT_MEM_ACPI_NVS:
		return 5;
	case BOOT_MEM_BAD:
		return 6;
	default:
		return 3; /* reserved, and anything unknown */
	}
}

/* End of a range, clipped at 2^64 - 1 (exclusive ends cannot hold 2^64). */
static uint64_t range_end(const struct boot_mem_range *r)
{
	uint64_t end = r->base + r->length;

	return end < r->base ? UINT64_MAX : end;
}

static uint64_t bounds[2 * MEMMAP_MAX];
static struct boot_mem_range out[MEMMAP_MAX];

int memmap_normalize(struct boot_mem_range *r, uint32_t count, uint32_t cap)
{
	uint32_t nb = 0, no = 0;

	if (count > MEMMAP_MAX || cap > MEMMAP_MAX)
		return -KERR_ENOSPC;
	for (uint32_t i = 0; i < count; i++) {
		if (r[i].length == 0)
			continue;
		bounds[nb++] = r[i].base;
		bounds[nb++] = range_end(&r[i]);
	}
	/* Insertion sort, dropping duplicates. */
	uint32_t nu = 0;

	for (uint32_t i = 0; i < nb; i++) {
		uint64_t v = bounds[i];
		uint32_t j = nu;

		while (j > 0 && bounds[j - 1] > v) {
			bounds[j] = bounds[j - 1];
			j--;
		}
		if (j > 0 && bounds[j - 1] == v) {
			/* Undo the shift: v is already present. */
			for (uint32_t k = j; k < nu; k++)
				bounds[k] = bounds[k + 1];
			continue;
		}
		bounds[j] = v;
		nu++;
	}

	for (uint32_t i = 0; i + 1 < nu; i++) {
		uint64_t lo = bounds[i], hi = bounds[i + 1];
		int best = -1;
		uint32_t type = 0;

		for (uint32_t k = 0; k < count; k++) {
			if (r[k].length == 0 || r[k].base > lo ||
			    range_end(&r[k]) < hi)
				continue;
			if (priority(r[k].type) > best) {
				best = priority(r[k].type);
				type = r[k].type;
			}
		}
		if (best < 0)
			continue; /* a gap no range covers */
		if (no > 0 && out[no - 1].type == type &&
		    out[no - 1].base + out[no - 1].length == lo) {
			out[no - 1].length += hi - lo;
			continue;
		}
		if (no == cap)
			return -KERR_ENOSPC;
		out[no].base = lo;
		out[no].length = hi - lo;
		out[no].type = type;
		out[no].reserved = 0;
		no++;
	}
	for (uint32_t i = 0; i < no; i++)
		r[i] = out[i];
	return (int)no;
}

int memmap_mark(struct boot_mem_range *r, uint32_t count, uint32_t cap,
		uint64_t base, uint64_t length, uint32_t type)
{
	if (count >= cap)
		return -KERR_ENOSPC;
	r[count].base = base;
	r[count].length = length;
	r[count].type = type;
	r[count].reserved = 0;
	return memmap_normalize(r, count + 1, cap);
}

uint32_t memmap_efi_type(uint32_t efi_type)
{
	switch (efi_type) {
	case 1: /* EfiLoaderCode */
	case 2: /* EfiLoaderData */
		return BOOT_MEM_BOOTLOADER;
	case 3: /* EfiBootServicesCode */
	case 4: /* EfiBootServicesData */
	case 7: /* EfiConventionalMemory */
		return BOOT_MEM_USABLE;
	case 8: /* EfiUnusableMemory */
		return BOOT_MEM_BAD;
	case 9: /* EfiACPIReclaimMemory */
		return BOOT_MEM_ACPI_RECLAIMABLE;
	case 10: /* EfiACPIMemoryNVS */
		return BOOT_MEM_ACPI_NVS;
	default: /* reserved, runtime services, MMIO, persistent, ... */
		return BOOT_MEM_RESERVED;
	}
}

static struct boot_mem_range efi_in[MEMMAP_MAX];

int memmap_from_efi(const void *descs, uint64_t map_size, uint64_t desc_size,
		    struct boot_mem_range *out, uint32_t cap)
{
	const uint8_t *p = descs;
	uint32_t n = 0;
	int rc;

	if (desc_size < sizeof(struct efi_mem_desc) || desc_size > 4096)
		return -KERR_EINVAL;
	for (uint64_t off = 0; off + desc_size <= map_size; off += desc_size) {
		const struct efi_mem_desc *d =
			(const struct efi_mem_desc *)(p + off);
		uint32_t type = memmap_efi_type(d->type);

		if (d->pages == 0 || d->pages > (UINT64_MAX >> 12))
			continue;
		/* Firmware maps are long but mostly sorted runs of one
		 * type: merge those here so that MEMMAP_MAX suffices. */
		if (n > 0 && efi_in[n - 1].type == type &&
		    efi_in[n - 1].base + efi_in[n - 1].length ==
			    d->phys_start) {
			efi_in[n - 1].length += d->pages << 12;
			continue;
		}
		if (n == MEMMAP_MAX)
			return -KERR_ENOSPC;
		efi_in[n].base = d->phys_start;
		efi_in[n].length = d->pages << 12;
		efi_in[n].type = type;
		efi_in[n].reserved = 0;
		n++;
	}
	rc = memmap_normalize(efi_in, n, cap);
	if (rc < 0)
		return rc;
	for (int i = 0; i < rc; i++)
		out[i] = efi_in[i];
	return rc;
}
