/*
 * ELF64 executables for x86_64 (System V gABI, the x86_64 psABI): the
 * header and program headers are checked, and the PT_LOAD segments listed
 * for the loader to place at their physical addresses.
 */
#ifndef BOOT_ELF_H
#define BOOT_ELF_H

#include "loader.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t offset; /* in the file */
	uint64_t paddr;	 /* where it goes */
	uint64_t filesz; /* bytes from the file; the rest up to memsz is 0 */
	uint64_t memsz;
	uint32_t flags; /* PF_X 1, PF_W 2, PF_R 4 */
};

struct elf_image {
	uint64_t entry;
	uint32_t count;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	uint64_t lowest, highest; /* [lowest, highest) spans all segments */
};

/* Check the first len bytes of a file of file_size bytes (the ELF header
 * and the program headers must lie within them) and fill img. The name is
 * used in error messages, where "segment N" is img->seg[N]. Segments end
 * below 2^52, and below 4 GiB when size_t is 32 bits (BIOS stage 2). */
int elf_parse(struct loader *ld, const char *name, const void *head, size_t len,
	      uint64_t file_size, struct elf_image *img);

/* How many leading bytes elf_parse needs to see: at least the header;
 * more if the program headers lie further in. */
#define ELF_HEAD_BYTES 4096

#endif
