/*
 * Memory map normalisation: sorting, overlaps resolved towards the more
 * restrictive type, neighbours merged, empty and wrapping ranges, the
 * capacity limit, and marking kernel and loader ranges.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include <kernel/errno.h>
#include <memmap.h>

#define R(b, l, t)                                                             \
	{                                                                      \
		.base = (b), .length = (l), .type = (t)                        \
	}

static struct boot_mem_range m[MEMMAP_MAX];

static int same(const struct boot_mem_range *got, int n,
		const struct boot_mem_range *want, int wn)
{
	if (n != wn) {
		fprintf(stderr, "  %d ranges, want %d\n", n, wn);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (got[i].base != want[i].base ||
		    got[i].length != want[i].length ||
		    got[i].type != want[i].type) {
			fprintf(stderr,
				"  range %d: %#llx+%#llx type %u, want "
				"%#llx+%#llx type %u\n",
				i, (unsigned long long)got[i].base,
				(unsigned long long)got[i].length, got[i].type,
				(unsigned long long)want[i].base,
				(unsigned long long)want[i].length,
				want[i].type);
			return 0;
		}
	}
	return 1;
}

static void qemu_like(void)
{
	struct boot_mem_range in[] = {
		R(0x100000, 0x7ee0000, BOOT_MEM_USABLE),
		R(0, 0x9fc00, BOOT_MEM_USABLE),
		R(0x9fc00, 0x400, BOOT_MEM_RESERVED),
		R(0xf0000, 0x10000, BOOT_MEM_RESERVED),
		R(0xfffc0000, 0x40000, BOOT_MEM_RESERVED),
	};
	struct boot_mem_range want[] = {
		R(0, 0x9fc00, BOOT_MEM_USABLE),
		R(0x9fc00, 0x400, BOOT_MEM_RESERVED),
		R(0xf0000, 0x10000, BOOT_MEM_RESERVED),
		R(0x100000, 0x7ee0000, BOOT_MEM_USABLE),
		R(0xfffc0000, 0x40000, BOOT_MEM_RESERVED),
	};
	int n;

	memcpy(m, in, sizeof(in));
	n = memmap_normalize(m, 5, MEMMAP_MAX);
	CHECK(same(m, n, want, 5));
}

static void overlaps(void)
{
	/* usable 0-16M with reserved and ACPI holes punched in it, and an
	 * adjacent usable range to merge */
	struct boot_mem_range in[] = {
		R(0, 0x1000000, BOOT_MEM_USABLE),
		R(0x200000, 0x1000, BOOT_MEM_RESERVED),
		R(0x1000000, 0x1000000, BOOT_MEM_USABLE),
		R(0x300000, 0x2000, BOOT_MEM_ACPI_NVS),
		R(0x301000, 0x2000, BOOT_MEM_ACPI_RECLAIMABLE),
		R(0x500000, 0, BOOT_MEM_BAD),
	};
	struct boot_mem_range want[] = {
		R(0, 0x200000, BOOT_MEM_USABLE),
		R(0x200000, 0x1000, BOOT_MEM_RESERVED),
		R(0x201000, 0xff000, BOOT_MEM_USABLE),
		R(0x300000, 0x2000, BOOT_MEM_ACPI_NVS),
		R(0x302000, 0x1000, BOOT_MEM_ACPI_RECLAIMABLE),
		R(0x303000, 0x1cfd000, BOOT_MEM_USABLE),
	};
	int n;

	memcpy(m, in, sizeof(in));
	n = memmap_normalize(m, 6, MEMMAP_MAX);
	CHECK(same(m, n, want, 6));
}

static void wrap_and_empty(void)
{
	struct boot_mem_range in[] = {
		R(0xfffffffffffff000ULL, 0x2000, BOOT_MEM_RESERVED),
		R(0x1000, 0, BOOT_MEM_USABLE),
	};
	int n;

	memcpy(m, in, sizeof(in));
	n = memmap_normalize(m, 2, MEMMAP_MAX);
	CHECK(n == 1);
	CHECK(m[0].base == 0xfffffffffffff000ULL && m[0].length == 0xfff);
	CHECK(memmap_normalize(m, 0, MEMMAP_MAX) == 0);
}

static void capacity(void)
{
	/* 3 alternating ranges need 3 slots; a cap of 2 is too small */
	struct boot_mem_range in[] = {
		R(0, 0x1000, BOOT_MEM_USABLE),
		R(0x1000, 0x1000, BOOT_MEM_RESERVED),
		R(0x2000, 0x1000, BOOT_MEM_USABLE),
	};

	memcpy(m, in, sizeof(in));
	CHECK(memmap_normalize(m, 3, 2) == -KERR_ENOSPC);
	CHECK(memmap_normalize(m, MEMMAP_MAX + 1, MEMMAP_MAX) == -KERR_ENOSPC);
}

static void marking(void)
{
	struct boot_mem_range want[] = {
		R(0, 0x80000, BOOT_MEM_BOOTLOADER),
		R(0x80000, 0x1f000, BOOT_MEM_USABLE),
		R(0x9f000, 0x1000, BOOT_MEM_RESERVED),
		R(0x100000, 0x10000, BOOT_MEM_KERNEL),
		R(0x110000, 0xef0000, BOOT_MEM_USABLE),
	};
	int n;

	m[0] = (struct boot_mem_range)R(0, 0x9f000, BOOT_MEM_USABLE);
	m[1] = (struct boot_mem_range)R(0x9f000, 0x1000, BOOT_MEM_RESERVED);
	m[2] = (struct boot_mem_range)R(0x100000, 0xf00000, BOOT_MEM_USABLE);
	n = memmap_mark(m, 3, MEMMAP_MAX, 0x100000, 0x10000, BOOT_MEM_KERNEL);
	CHECK(n == 4);
	n = memmap_mark(m, (uint32_t)n, MEMMAP_MAX, 0, 0x80000,
			BOOT_MEM_BOOTLOADER);
	CHECK(same(m, n, want, 5));
	/* marking over reserved memory leaves it reserved */
	n = memmap_mark(m, (uint32_t)n, MEMMAP_MAX, 0x9f000, 0x1000,
			BOOT_MEM_BOOTLOADER);
	CHECK(same(m, n, want, 5));
	CHECK(memmap_mark(m, 3, 3, 0, 1, BOOT_MEM_KERNEL) == -KERR_ENOSPC);
}

static void e820_types(void)
{
	CHECK(memmap_e820_type(1) == BOOT_MEM_USABLE);
	CHECK(memmap_e820_type(2) == BOOT_MEM_RESERVED);
	CHECK(memmap_e820_type(3) == BOOT_MEM_ACPI_RECLAIMABLE);
	CHECK(memmap_e820_type(4) == BOOT_MEM_ACPI_NVS);
	CHECK(memmap_e820_type(5) == BOOT_MEM_BAD);
	CHECK(memmap_e820_type(7) == BOOT_MEM_RESERVED);
	CHECK(memmap_e820_type(0) == BOOT_MEM_RESERVED);
}

/* A GetMemoryMap buffer with a descriptor stride larger than the struct
 * (as firmware is allowed to use), unsorted, with mergeable runs. */
static void efi_map(void)
{
	struct {
		struct efi_mem_desc d;
		uint8_t pad[8];
	} descs[] = {
		{ .d = { 7, 0, 0x100000, 0, 0x100, 0 } }, /* conventional */
		{ .d = { 4, 0, 0x200000, 0, 0x10,
			 0 } }, /* boot services data */
		{ .d = { 2, 0, 0x210000, 0, 0x10, 0 } }, /* loader data */
		{ .d = { 7, 0, 0x0, 0, 0x9f, 0 } },	 /* conventional, low */
		{ .d = { 6, 0, 0x9f000, 0, 0x1, 0 } },	 /* runtime data */
		{ .d = { 10, 0, 0x800000, 0, 0x8, 0 } }, /* ACPI NVS */
		{ .d = { 9, 0, 0x808000, 0, 0x8, 0 } },	 /* ACPI reclaim */
		{ .d = { 11, 0, 0xffc00000, 0, 0x400, 0 } }, /* MMIO */
		{ .d = { 3, 0, 0x220000, 0, 0, 0 } }, /* empty: dropped */
	};
	struct boot_mem_range want[] = {
		R(0, 0x9f000, BOOT_MEM_USABLE),
		R(0x9f000, 0x1000, BOOT_MEM_RESERVED),
		R(0x100000, 0x110000, BOOT_MEM_USABLE),
		R(0x210000, 0x10000, BOOT_MEM_BOOTLOADER),
		R(0x800000, 0x8000, BOOT_MEM_ACPI_NVS),
		R(0x808000, 0x8000, BOOT_MEM_ACPI_RECLAIMABLE),
		R(0xffc00000, 0x400000, BOOT_MEM_RESERVED),
	};
	int n;

	n = memmap_from_efi(descs, sizeof(descs), sizeof(descs[0]), m,
			    MEMMAP_MAX);
	CHECK(same(m, n, want, 7));
	/* a stride smaller than a descriptor is refused */
	CHECK(memmap_from_efi(descs, sizeof(descs), 16, m, MEMMAP_MAX) ==
	      -KERR_EINVAL);
	/* a trailing partial descriptor is ignored */
	n = memmap_from_efi(descs, sizeof(descs[0]) * 2 + 7, sizeof(descs[0]),
			    m, MEMMAP_MAX);
	CHECK(n == 1 && m[0].length == 0x110000);
	CHECK(memmap_efi_type(1) == BOOT_MEM_BOOTLOADER);
	CHECK(memmap_efi_type(5) == BOOT_MEM_RESERVED);
	CHECK(memmap_efi_type(8) == BOOT_MEM_BAD);
	CHECK(memmap_efi_type(14) == BOOT_MEM_RESERVED);
	CHECK(memmap_efi_type(0x70000000) == BOOT_MEM_RESERVED);
}

int main(void)
{
	efi_map();
	qemu_like();
	overlaps();
	wrap_and_empty();
	capacity();
	marking();
	e820_types();
	return check_exit("memmap");
}
