/*
 * Host tests of the placement check (boot/core/memcheck.c) on a map like
 * QEMU's E820 with 4.5 GiB of RAM, plus the loader's own reservations:
 * inside, straddling, overlapping a reservation, touching one, usable RAM
 * split over adjacent entries, unsorted maps and wrap-around at 2^64.
 */
#include <string.h>

#include "check.h"
#include "memcheck.h"

#define WHAT "elf: /boot/app.elf: segment"

static const struct boot_mem_range map[] = {
	{ 0x0, 0x9fc00, BOOT_MEM_USABLE, 0 },
	{ 0x9fc00, 0x60400, BOOT_MEM_RESERVED, 0 },
	{ 0x100000, 0x7f00000, BOOT_MEM_USABLE, 0 },
	/* Adjacent to the one above: one run of RAM. */
	{ 0x8000000, 0x8000000, BOOT_MEM_USABLE, 0 },
	{ 0x10000000, 0x10000, BOOT_MEM_ACPI_RECLAIMABLE, 0 },
	{ 0x10010000, 0xaff0000, BOOT_MEM_USABLE, 0 },
	{ 0xfffc0000, 0x40000, BOOT_MEM_RESERVED, 0 },
	{ 0x100000000ULL, 0x20000000, BOOT_MEM_USABLE, 0 },
};
#define MAP_COUNT (sizeof(map) / sizeof(map[0]))

static const struct boot_mem_range reserved[] = {
	{ 0x8000, 0x8000, BOOT_MEM_BOOTLOADER, 0 },
	{ 0x70000, 0x4000, BOOT_MEM_BOOTLOADER, 0 },
	{ 0x300000, 0x0, BOOT_MEM_BOOTLOADER, 0 }, /* empty: ignored */
	{ 0x400000, 0x10000, BOOT_MEM_KERNEL, 0 },
	{ 0x500000, 0x1000, BOOT_MEM_RESERVED, 0 },
};
#define RES_COUNT (sizeof(reserved) / sizeof(reserved[0]))

static struct loader ld;

static int check(uint64_t base, uint64_t size)
{
	memset(&ld, 0, sizeof(ld));
	return mem_check_range(&ld, WHAT, map, MAP_COUNT, reserved, RES_COUNT,
			       base, size);
}

static void expect_err(uint64_t base, uint64_t size, const char *msg)
{
	CHECK(check(base, size) == -KERR_ERANGE);
	CHECK_STR_EQ(ld.error, msg);
}

static void test_inside(void)
{
	CHECK(check(0x1000, 0x7000) == 0);
	CHECK(check(0x200000, 0x100000) == 0);
	CHECK(check(0x100000, 0x300000) == 0); /* over the empty one */
	CHECK(check(0x10010000, 0xaff0000) == 0);
	CHECK(check(0x100000000ULL, 0x20000000) == 0);
	/* Touching a reservation on either side. */
	CHECK(check(0x6000, 0x2000) == 0);
	CHECK(check(0x10000, 0x1000) == 0);
	CHECK(check(0x410000, 0x1000) == 0);
	/* Size 0 needs nothing, wherever it is. */
	CHECK(check(0x9000, 0) == 0);
	CHECK(check(UINT64_MAX, 0) == 0);
}

static void test_adjacent(void)
{
	static const struct boot_mem_range unsorted[] = {
		{ 0x3000, 0x1000, BOOT_MEM_USABLE, 0 },
		{ 0x1000, 0x1000, BOOT_MEM_USABLE, 0 },
		{ 0x2000, 0x1000, BOOT_MEM_USABLE, 0 },
		{ 0x1800, 0x100, BOOT_MEM_USABLE, 0 },
	};
	static const struct boot_mem_range top[] = {
		{ 0x1000, UINT64_MAX, BOOT_MEM_USABLE, 0 },
	};

	/* Across the boundary at 128 MiB between two usable entries. */
	CHECK(check(0x7ff0000, 0x20000) == 0);
	CHECK(check(0x1000000, 0xf000000) == 0);
	memset(&ld, 0, sizeof(ld));
	CHECK(mem_check_range(&ld, WHAT, unsorted, 4, NULL, 0, 0x1800,
			      0x2800) == 0);
	CHECK(mem_check_range(&ld, WHAT, unsorted, 4, NULL, 0, 0x1000,
			      0x3001) == -KERR_ERANGE);
	CHECK_STR_EQ(ld.error, WHAT " 0x1000-0x4001 outside usable RAM");
	/* An entry whose end would pass 2^64 is clipped, not wrapped. */
	CHECK(mem_check_range(&ld, WHAT, top, 1, NULL, 0, 0xfffffffffffff000ULL,
			      0xfff) == 0);
	CHECK(mem_check_range(&ld, WHAT, top, 1, NULL, 0, 0x800, 0x1000) ==
	      -KERR_ERANGE);
	/* No map at all: nothing is usable. */
	CHECK(mem_check_range(&ld, WHAT, NULL, 0, NULL, 0, 0x1000, 1) ==
	      -KERR_ERANGE);
	CHECK_STR_EQ(ld.error, WHAT " 0x1000-0x1001 outside usable RAM");
}

static void test_outside(void)
{
	expect_err(0x9f000, 0x1000, WHAT " 0x9f000-0xa0000 outside usable RAM");
	expect_err(0xa0000, 0x1000, WHAT " 0xa0000-0xa1000 outside usable RAM");
	/* Straddling the ACPI tables at 256 MiB. */
	expect_err(0xfff0000, 0x20000,
		   WHAT " 0xfff0000-0x10010000 outside usable RAM");
	expect_err(0x1a800000, 0x1000000,
		   WHAT " 0x1a800000-0x1b800000 outside usable RAM");
	expect_err(0x11ffff000ULL, 0x2000,
		   WHAT " 0x11ffff000-0x120001000 outside usable RAM");
	expect_err(0x0, UINT64_MAX,
		   WHAT " 0x0-0xffffffffffffffff outside usable RAM");
}

static void test_reserved(void)
{
	expect_err(0x7000, 0x2000,
		   WHAT " 0x7000-0x9000 overlaps the loader (0x8000-0x10000)");
	expect_err(0xf000, 0x2000,
		   WHAT " 0xf000-0x11000 overlaps the loader (0x8000-0x10000)");
	expect_err(0x9000, 0x1000,
		   WHAT " 0x9000-0xa000 overlaps the loader (0x8000-0x10000)");
	expect_err(0x1000, 0x90000,
		   WHAT " 0x1000-0x91000 overlaps the loader (0x8000-0x10000)");
	expect_err(0x73fff, 0x1,
		   WHAT
		   " 0x73fff-0x74000 overlaps the loader (0x70000-0x74000)");
	expect_err(0x200000, 0x300000,
		   WHAT " 0x200000-0x500000 overlaps the kernel "
			"(0x400000-0x410000)");
	expect_err(0x500fff, 0x10,
		   WHAT " 0x500fff-0x50100f overlaps a reserved range "
			"(0x500000-0x501000)");
}

static void test_wrap(void)
{
	expect_err(0xfffffffffffff000ULL, 0x2000,
		   WHAT " 0xfffffffffffff000 + 0x2000 wraps past 2^64");
	expect_err(UINT64_MAX, 1,
		   WHAT " 0xffffffffffffffff + 0x1 wraps past 2^64");
	expect_err(1, UINT64_MAX,
		   WHAT " 0x1 + 0xffffffffffffffff wraps past 2^64");
	expect_err(0x1000, 0xfffffffffffff000ULL,
		   WHAT " 0x1000 + 0xfffffffffffff000 wraps past 2^64");
}

int main(void)
{
	test_inside();
	test_adjacent();
	test_outside();
	test_reserved();
	test_wrap();
	return check_exit("loader-memcheck");
}
