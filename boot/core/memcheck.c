/*
 * Placement checks for the loader: before a kernel segment, a module or
 * the boot info is copied to a physical address, [base, base + size) must
 * be usable RAM in the boot memory map (struct boot_mem_range, types from
 * skiff/bootinfo.h) and clear of every range the loader still needs.
 *
 * The map comes from E820 or UEFI after normalisation and is sorted, but
 * the check does not rely on that: it walks from base through any usable
 * ranges that touch or overlap, so a usable run split over adjacent
 * entries counts as one. Map entries whose end would pass 2^64 are
 * clipped at 2^64 - 1. All arithmetic is in uint64_t and overflow-safe.
 */
#include "memcheck.h"

/* End (exclusive) of a map entry, clipped rather than wrapped. */
static uint64_t mem_end(const struct boot_mem_range *r)
{
	if (r->length > UINT64_MAX - r->base)
		return UINT64_MAX;
	return r->base + r->length;
}

static const char *mem_reserved_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_BOOTLOADER:
		return "the loader";
	case BOOT_MEM_KERNEL:
		return "the kernel";
	case BOOT_MEM_ACPI_RECLAIMABLE:
	case BOOT_MEM_ACPI_NVS:
		return "ACPI memory";
	case BOOT_MEM_BAD:
		return "bad memory";
	default:
		return "a reserved range";
	}
}

/* Is [base, end) covered by usable entries of map, joined where they
 * touch? Each pass moves cur past one entry, so count passes suffice. */
static bool mem_is_usable(const struct boot_mem_range *map, uint32_t count,
			  uint64_t base, uint64_t end)
{
	uint64_t cur = base, best, r_end;
	uint32_t pass, i;

	for (pass = 0; pass <= count; pass++) {
		best = cur;
		for (i = 0; i < count; i++) {
			if (map[i].type != BOOT_MEM_USABLE)
				continue;
			r_end = mem_end(&map[i]);
			if (map[i].base <= cur && r_end > best)
				best = r_end;
		}
		if (best >= end)
			return true;
		if (best == cur)
			return false;
		cur = best;
	}
	return false;
}

int mem_check_range(struct loader *ld, const char *what,
		    const struct boot_mem_range *map, uint32_t count,
		    const struct boot_mem_range *reserved,
		    uint32_t reserved_count, uint64_t base, uint64_t size)
{
	uint64_t end, r_end;
	uint32_t i;

	/* An empty range needs no memory. */
	if (!size)
		return 0;
	/* The end must be representable: nothing lives at the very top of
	 * the 64-bit space anyway (physical addresses have 52 bits). */
	if (size > UINT64_MAX - base)
		return loader_fail(ld, -KERR_ERANGE,
				   "%s 0x%llx + 0x%llx wraps past 2^64", what,
				   (unsigned long long)base,
				   (unsigned long long)size);
	end = base + size;
	if (!mem_is_usable(map, count, base, end))
		return loader_fail(ld, -KERR_ERANGE,
				   "%s 0x%llx-0x%llx outside usable RAM", what,
				   (unsigned long long)base,
				   (unsigned long long)end);
	for (i = 0; i < reserved_count; i++) {
		r_end = mem_end(&reserved[i]);
		if (reserved[i].length && reserved[i].base < end &&
		    base < r_end)
			return loader_fail(
				ld, -KERR_ERANGE,
				"%s 0x%llx-0x%llx overlaps %s (0x%llx-0x%llx)",
				what, (unsigned long long)base,
				(unsigned long long)end,
				mem_reserved_name(reserved[i].type),
				(unsigned long long)reserved[i].base,
				(unsigned long long)r_end);
	}
	return 0;
}
