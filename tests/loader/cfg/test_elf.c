/*
 * Host tests of the ELF64 checks (boot/core/elf.c). Hand-built headers
 * exercise each check with its exact message; real files built with the
 * tree exercise the happy path and the common mistakes:
 *
 *   test-elf KERNEL_ELF TINY64_ELF TINY32_ELF
 *
 * KERNEL_ELF is build/kernel/skiff.elf, TINY64/TINY32 are a bare _start
 * linked static for x86_64 and for i386 (see meson.build), and the test
 * binary itself stands in for a dynamically linked program.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "elf.h"

#define NAME "/boot/app.elf"
#define FILE_SIZE 0x3000

static struct loader ld;
static struct elf_image img;
static uint8_t head[ELF_HEAD_BYTES];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Program header n of the template (they start at offset 64). */
static uint8_t *phdr(int n)
{
	return head + 64 + 56 * n;
}

static void set_phdr(int n, uint32_t type, uint32_t flags, uint64_t offset,
		     uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	uint8_t *p = phdr(n);

	put32(p, type);
	put32(p + 4, flags);
	put64(p + 8, offset);
	put64(p + 16, paddr); /* vaddr: identity */
	put64(p + 24, paddr);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
	put64(p + 48, 0x1000);
}

/*
 * A valid image: text R+X at 1 MiB from file offset 0x1000, data R+W at
 * 2 MiB with bss, a PT_NOTE in between; file size 0x3000.
 */
static void make_template(void)
{
	memset(head, 0, sizeof(head));
	memcpy(head,
	       "\x7f"
	       "ELF",
	       4);
	head[4] = 2;	      /* ELFCLASS64 */
	head[5] = 1;	      /* ELFDATA2LSB */
	head[6] = 1;	      /* EV_CURRENT */
	put16(head + 16, 2);  /* ET_EXEC */
	put16(head + 18, 62); /* EM_X86_64 */
	put32(head + 20, 1);
	put64(head + 24, 0x100010);
	put64(head + 32, 64);
	put16(head + 52, 64);
	put16(head + 54, 56);
	put16(head + 56, 3);
	set_phdr(0, 1, 5, 0x1000, 0x100000, 0x1000, 0x1000);
	set_phdr(1, 4, 4, 0x2000, 0x180000, 0x10, 0x10);
	set_phdr(2, 1, 6, 0x2000, 0x200000, 0x100, 0x3000);
}

static int parse_len(size_t len, uint64_t file_size)
{
	memset(&ld, 0, sizeof(ld));
	memset(&img, 0xa5, sizeof(img));
	return elf_parse(&ld, NAME, head, len, file_size, &img);
}

static int parse(void)
{
	return parse_len(sizeof(head), FILE_SIZE);
}

static void expect_err(int rc, const char *msg)
{
	CHECK(parse() == rc);
	CHECK_STR_EQ(ld.error, msg);
	make_template();
}

static void test_template(void)
{
	make_template();
	CHECK(parse() == 0);
	CHECK(img.entry == 0x100010);
	CHECK(img.count == 2);
	CHECK(img.seg[0].offset == 0x1000 && img.seg[0].paddr == 0x100000);
	CHECK(img.seg[0].filesz == 0x1000 && img.seg[0].memsz == 0x1000);
	CHECK(img.seg[0].flags == 5);
	CHECK(img.seg[1].offset == 0x2000 && img.seg[1].paddr == 0x200000);
	CHECK(img.seg[1].filesz == 0x100 && img.seg[1].memsz == 0x3000);
	CHECK(img.seg[1].flags == 6);
	CHECK(img.lowest == 0x100000);
	CHECK(img.highest == 0x203000);

	/* Segments that touch do not overlap; an empty one overlaps
	 * nothing; a segment may end at file_size exactly. */
	set_phdr(2, 1, 6, 0x2000, 0x101000, 0x1000, 0x1000);
	set_phdr(1, 1, 6, 0x2000, 0x100800, 0, 0);
	CHECK(parse() == 0);
	CHECK(img.count == 3 && img.highest == 0x102000);

	/* The program headers may end exactly at the end of what was read,
	 * and len beyond the file is clipped to the file. */
	make_template();
	CHECK(parse_len(64 + 3 * 56, FILE_SIZE) == 0);
	make_template();
	CHECK(parse_len(sizeof(head), FILE_SIZE) == 0);

	/* x86_64 allows up to 2^52 physical: a 5 GiB segment at 8 GiB is
	 * left to the memory check of a 64-bit loader. */
	set_phdr(2, 1, 6, 0x2000, 0x200000000ULL, 0x100, 0x140000000ULL);
	CHECK(parse() == 0);
	CHECK(img.highest == 0x340000000ULL);
	make_template();
}

static void test_header_errors(void)
{
	make_template();
	head[0] = 0x7e;
	expect_err(-KERR_EINVAL, "elf: " NAME ": not an ELF file (bad magic)");
	head[3] = 'f';
	expect_err(-KERR_EINVAL, "elf: " NAME ": not an ELF file (bad magic)");
	head[4] = 1;
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": 32-bit ELF (ELFCLASS32), need ELF64");
	head[4] = 3;
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": bad ELF class 3, need ELF64 (2)");
	head[5] = 2;
	expect_err(-KERR_EINVAL, "elf: " NAME ": big-endian ELF (ELFDATA2MSB), "
				 "need little-endian");
	head[5] = 0;
	expect_err(-KERR_EINVAL, "elf: " NAME ": bad data encoding 0, need "
				 "little-endian (1)");
	head[6] = 0;
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": ELF version 0, need EV_CURRENT (1)");
	put32(head + 20, 2);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": ELF version 2, need EV_CURRENT (1)");
	put16(head + 18, 40);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": machine 40 (ARM), need x86_64 (62)");
	put16(head + 18, 3);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": machine 3 (i386), need x86_64 (62)");
	put16(head + 18, 183);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": machine 183 (AArch64), need x86_64 (62)");
	put16(head + 18, 9999);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": machine 9999 (unknown), need x86_64 (62)");
	put16(head + 16, 3);
	expect_err(-KERR_EINVAL, "elf: " NAME ": shared object or PIE "
				 "(ET_DYN), need ET_EXEC");
	put16(head + 16, 1);
	expect_err(-KERR_EINVAL, "elf: " NAME ": relocatable object (ET_REL), "
				 "need ET_EXEC");
	put16(head + 16, 4);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": core dump (ET_CORE), need ET_EXEC");
	put16(head + 16, 0xfe00);
	expect_err(-KERR_EINVAL, "elf: " NAME ": type 65024, need ET_EXEC (2)");

	/* Too short for a header: in the buffer, or in the file. */
	CHECK(parse_len(63, FILE_SIZE) == -KERR_EINVAL);
	CHECK_STR_EQ(ld.error,
		     "elf: " NAME ": too short for an ELF header (63 bytes)");
	CHECK(parse_len(sizeof(head), 10) == -KERR_EINVAL);
	CHECK_STR_EQ(ld.error,
		     "elf: " NAME ": too short for an ELF header (10 bytes)");
	CHECK(parse_len(0, 0) == -KERR_EINVAL);
}

static void test_phdr_errors(void)
{
	int i;

	make_template();
	put16(head + 54, 32);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": program header size 32, need 56");
	put16(head + 56, 0);
	expect_err(-KERR_EINVAL, "elf: " NAME ": no program headers");
	put16(head + 56, 65);
	expect_err(-KERR_EINVAL, "elf: " NAME ": 65 program headers, limit 64");

	/* Offsets that wrap, lie past the file, or past the buffer. */
	put64(head + 32, 0xffffffffffffffc0ULL);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": program headers at 0xffffffffffffffc0 (3 "
		   "of them) beyond end of file (12288 bytes)");
	put64(head + 32, FILE_SIZE - 100);
	expect_err(-KERR_EINVAL, "elf: " NAME ": program headers at 0x2f9c (3 "
				 "of them) beyond end of file (12288 bytes)");
	put64(head + 32, 4000);
	expect_err(-KERR_EINVAL, "elf: " NAME ": program headers end at "
				 "0x1048, beyond the first 4096 bytes read");
	CHECK(parse_len(200, FILE_SIZE) == -KERR_EINVAL);
	CHECK_STR_EQ(ld.error, "elf: " NAME ": program headers end at 0xe8, "
			       "beyond the first 200 bytes read");
	CHECK(parse_len(sizeof(head), 200) == -KERR_EINVAL);
	CHECK_STR_EQ(ld.error, "elf: " NAME ": program headers at 0x40 (3 of "
			       "them) beyond end of file (200 bytes)");

	/* Kinds and numbers of segments. */
	put32(phdr(1), 3);
	expect_err(-KERR_EINVAL, "elf: " NAME ": dynamically linked "
				 "(PT_INTERP), need a static executable");
	put32(phdr(0), 4);
	put32(phdr(2), 6);
	expect_err(-KERR_EINVAL, "elf: " NAME ": no PT_LOAD segment");
	put16(head + 56, ELF_MAX_SEGMENTS + 1);
	for (i = 0; i <= ELF_MAX_SEGMENTS; i++)
		set_phdr(i, 1, 5, 0x1000, 0x100000 + 0x1000 * (uint64_t)i, 0x10,
			 0x10);
	expect_err(-KERR_E2BIG, "elf: " NAME ": more than 16 PT_LOAD segments");
	put16(head + 56, ELF_MAX_SEGMENTS);
	for (i = 0; i < ELF_MAX_SEGMENTS; i++)
		set_phdr(i, 1, 5, 0x1000, 0x100000 + 0x1000 * (uint64_t)i, 0x10,
			 0x100);
	CHECK(parse() == 0);
	CHECK(img.count == ELF_MAX_SEGMENTS);
	make_template();
}

static void test_segment_errors(void)
{
	make_template();
	set_phdr(2, 1, 6, 0x2000, 0x200000, 0x3001, 0x3000);
	expect_err(-KERR_EINVAL, "elf: " NAME ": segment 1: filesz 0x3001 "
				 "larger than memsz 0x3000");
	set_phdr(2, 1, 6, 0x2000, 0x200000, 0x1001, 0x3000);
	expect_err(-KERR_EINVAL, "elf: " NAME ": segment 1: file bytes at "
				 "0x2000 + 0x1001 beyond end of file (12288 "
				 "bytes)");
	set_phdr(0, 1, 5, 0xfffffffffffffff0ULL, 0x100000, 0x20, 0x1000);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": segment 0: file bytes at 0xfffffffffffffff0 "
		   "+ 0x20 beyond end of file (12288 bytes)");
	set_phdr(0, 1, 5, 0x1000, 0x100000, 0x1000, 0xfffffffffffff000ULL);
	expect_err(-KERR_ERANGE,
		   "elf: " NAME ": segment 0: 0x100000 + 0xfffffffffffff000 "
		   "beyond the loader's address limit 0x10000000000000");
	set_phdr(2, 1, 6, 0x2000, 0xfffffffffffff000ULL, 0x100, 0x2000);
	expect_err(-KERR_ERANGE,
		   "elf: " NAME ": segment 1: 0xfffffffffffff000 + 0x2000 "
		   "beyond the loader's address limit 0x10000000000000");
	set_phdr(2, 1, 6, 0x2000, 0xffffffffff000ULL, 0x100, 0x1001);
	expect_err(-KERR_ERANGE,
		   "elf: " NAME ": segment 1: 0xffffffffff000 + 0x1001 "
		   "beyond the loader's address limit 0x10000000000000");
	set_phdr(2, 1, 6, 0x2000, 0xffffffffff000ULL, 0x100, 0x1000);
	CHECK(parse() == 0);
	CHECK(img.highest == 1ULL << 52);
	make_template();

	set_phdr(2, 1, 6, 0x2000, 0x100800, 0x100, 0x3000);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": segments 0 (0x100000-0x101000) "
		   "and 1 (0x100800-0x103800) overlap");
	set_phdr(2, 1, 6, 0x2000, 0xff000, 0x100, 0x3000);
	expect_err(-KERR_EINVAL,
		   "elf: " NAME ": segments 0 (0x100000-0x101000) "
		   "and 1 (0xff000-0x102000) overlap");

	/* The entry point: in the data segment, just past the text, or in
	 * text that is not executable. */
	put64(head + 24, 0x200000);
	expect_err(-KERR_EINVAL, "elf: " NAME ": entry point 0x200000 is not "
				 "in an executable segment");
	put64(head + 24, 0x101000);
	expect_err(-KERR_EINVAL, "elf: " NAME ": entry point 0x101000 is not "
				 "in an executable segment");
	put32(phdr(0) + 4, 4);
	expect_err(-KERR_EINVAL, "elf: " NAME ": entry point 0x100010 is not "
				 "in an executable segment");
	put64(head + 24, 0x100fff);
	CHECK(parse() == 0);
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*size = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Parse a real file, giving elf_parse only its first ELF_HEAD_BYTES. */
static int parse_file(const char *path)
{
	size_t size = 0, len;
	uint8_t *buf = read_file(path, &size);
	uint8_t *copy;
	int rc;

	if (!CHECK(buf != NULL)) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	/* An exact-size copy, so that ASan sees any read past len. */
	len = size < ELF_HEAD_BYTES ? size : ELF_HEAD_BYTES;
	copy = malloc(len);
	memcpy(copy, buf, len);
	memset(&ld, 0, sizeof(ld));
	rc = elf_parse(&ld, path, copy, len, size, &img);
	free(copy);
	free(buf);
	if (rc == 0) {
		uint32_t i;

		for (i = 0; i < img.count; i++)
			CHECK(img.seg[i].offset + img.seg[i].filesz <= size);
	}
	return rc;
}

static void test_files(int argc, char **argv)
{
	char want[600];

	if (!CHECK(argc == 4)) {
		fprintf(stderr, "usage: %s KERNEL_ELF TINY64 TINY32\n",
			argv[0]);
		return;
	}
	CHECK(parse_file(argv[1]) == 0);
	CHECK(img.count >= 1 && img.count <= ELF_MAX_SEGMENTS);
	CHECK(img.lowest >= 0x100000 && img.lowest < img.highest);
	CHECK(img.entry >= img.lowest && img.entry < img.highest);

	CHECK(parse_file(argv[2]) == 0);
	CHECK(img.count >= 1);

	CHECK(parse_file(argv[3]) == -KERR_EINVAL);
	snprintf(want, sizeof(want),
		 "elf: %s: 32-bit ELF (ELFCLASS32), need ELF64", argv[3]);
	if (strlen(want) < LOADER_ERROR_MAX)
		CHECK_STR_EQ(ld.error, want);

	/* This test program: dynamically linked, maybe a PIE. */
	CHECK(parse_file(argv[0]) == -KERR_EINVAL);
	CHECK(strstr(ld.error, "(PT_INTERP)") || strstr(ld.error, "(ET_DYN)"));
}

int main(int argc, char **argv)
{
	test_template();
	test_header_errors();
	test_phdr_errors();
	test_segment_errors();
	test_files(argc, argv);
	return check_exit("loader-elf");
}
