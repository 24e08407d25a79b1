/*
 * ELF64 header and program header checks (System V gABI "ELF Header" and
 * "Program Header"; x86_64 psABI §4.1 for EM_X86_64 and the LP64 layout).
 * The file is untrusted: fields are read byte by byte in little-endian
 * order (no struct overlay, no unaligned access on any of the three
 * builds), and every offset and size is bounded in uint64_t before it is
 * compared with the buffer, the file, the physical address space and,
 * for the 32-bit BIOS loader, what a size_t can hold.
 *
 * The loader enters the kernel at e_entry with memory identity-mapped
 * (docs/boot-protocol.md), so segments are placed at p_paddr and the
 * entry point must fall inside an executable segment's physical range.
 */
#include <kernel/lib.h>

#include "elf.h"

/* e_ident[] and header field offsets (gABI, ELF64). */
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2
#define EV_CURRENT 1

#define E_TYPE 16
#define E_MACHINE 18
#define E_VERSION 20
#define E_ENTRY 24
#define E_PHOFF 32
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define ELF64_EHDR_SIZE 64

#define ET_REL 1
#define ET_EXEC 2
#define ET_DYN 3
#define ET_CORE 4
#define EM_X86_64 62

/* Program header field offsets (ELF64_Phdr). */
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_PADDR 24
#define P_FILESZ 32
#define P_MEMSZ 40
#define ELF64_PHDR_SIZE 56

#define PT_LOAD 1
#define PT_INTERP 3
#define PF_X 1

#define ELF_PHNUM_MAX 64
/* x86_64 physical addresses have at most 52 bits (SDM Vol. 3A §4.1.4). */
#define ELF_PADDR_LIMIT (1ULL << 52)

static uint16_t elf_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t elf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t elf_le64(const uint8_t *p)
{
	return (uint64_t)elf_le32(p) | (uint64_t)elf_le32(p + 4) << 32;
}

static const char *elf_machine_name(uint16_t m)
{
	switch (m) {
	case 0:
		return "none";
	case 2:
		return "SPARC";
	case 3:
		return "i386";
	case 8:
		return "MIPS";
	case 20:
		return "PowerPC";
	case 21:
		return "PowerPC64";
	case 22:
		return "S390";
	case 40:
		return "ARM";
	case 50:
		return "IA-64";
	case 183:
		return "AArch64";
	case 243:
		return "RISC-V";
	case 258:
		return "LoongArch";
	default:
		return "unknown";
	}
}

/*
 * The highest end address a segment may have: the physical address
 * limit, and on a 32-bit loader also 4 GiB, since it copies with 32-bit
 * pointers and sizes (a 5 GiB segment must fail here, not wrap).
 */
static uint64_t elf_end_limit(void)
{
	if ((uint64_t)UINTPTR_MAX < ELF_PADDR_LIMIT - 1)
		return (uint64_t)UINTPTR_MAX + 1;
	return ELF_PADDR_LIMIT;
}

static int elf_check_ident(struct loader *ld, const char *name,
			   const uint8_t *h)
{
	uint16_t type, machine;

	if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: not an ELF file (bad magic)",
				   name);
	if (h[EI_CLASS] == ELFCLASS32)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: 32-bit ELF (ELFCLASS32), need "
				   "ELF64",
				   name);
	if (h[EI_CLASS] != ELFCLASS64)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: bad ELF class %u, need ELF64 (2)",
				   name, h[EI_CLASS]);
	if (h[EI_DATA] == ELFDATA2MSB)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: big-endian ELF (ELFDATA2MSB), "
				   "need little-endian",
				   name);
	if (h[EI_DATA] != ELFDATA2LSB)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: bad data encoding %u, need "
				   "little-endian (1)",
				   name, h[EI_DATA]);
	if (h[EI_VERSION] != EV_CURRENT ||
	    elf_le32(h + E_VERSION) != EV_CURRENT)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: ELF version %u, need EV_CURRENT "
				   "(1)",
				   name,
				   h[EI_VERSION] != EV_CURRENT
					   ? h[EI_VERSION]
					   : elf_le32(h + E_VERSION));

	machine = elf_le16(h + E_MACHINE);
	if (machine != EM_X86_64)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: machine %u (%s), need x86_64 (62)",
				   name, machine, elf_machine_name(machine));
	type = elf_le16(h + E_TYPE);
	if (type == ET_DYN)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: shared object or PIE (ET_DYN), "
				   "need ET_EXEC",
				   name);
	if (type == ET_REL)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: relocatable object (ET_REL), need "
				   "ET_EXEC",
				   name);
	if (type == ET_CORE)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: core dump (ET_CORE), need ET_EXEC",
				   name);
	if (type != ET_EXEC)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: type %u, need ET_EXEC (2)", name,
				   type);
	return 0;
}

/* Check one PT_LOAD program header and fill seg from it. */
static int elf_load_segment(struct loader *ld, const char *name, uint32_t i,
			    const uint8_t *ph, uint64_t file_size,
			    struct elf_segment *seg)
{
	uint64_t limit = elf_end_limit();

	seg->flags = elf_le32(ph + P_FLAGS);
	seg->offset = elf_le64(ph + P_OFFSET);
	seg->paddr = elf_le64(ph + P_PADDR);
	seg->filesz = elf_le64(ph + P_FILESZ);
	seg->memsz = elf_le64(ph + P_MEMSZ);

	if (seg->filesz > seg->memsz)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: segment %u: filesz 0x%llx larger "
				   "than memsz 0x%llx",
				   name, i, (unsigned long long)seg->filesz,
				   (unsigned long long)seg->memsz);
	if (seg->offset > file_size || seg->filesz > file_size - seg->offset)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: segment %u: file bytes at 0x%llx "
				   "+ 0x%llx beyond end of file (%llu bytes)",
				   name, i, (unsigned long long)seg->offset,
				   (unsigned long long)seg->filesz,
				   (unsigned long long)file_size);
	if (seg->paddr >= limit || seg->memsz > limit - seg->paddr)
		return loader_fail(ld, -KERR_ERANGE,
				   "elf: %s: segment %u: 0x%llx + 0x%llx "
				   "beyond the loader's address limit 0x%llx",
				   name, i, (unsigned long long)seg->paddr,
				   (unsigned long long)seg->memsz,
				   (unsigned long long)limit);
	return 0;
}

/* Segments are placed by physical address, so they must not overlap. */
static int elf_check_overlap(struct loader *ld, const char *name,
			     const struct elf_image *img)
{
	const struct elf_segment *a, *b;
	uint32_t i, j;

	for (i = 0; i < img->count; i++) {
		a = &img->seg[i];
		for (j = i + 1; j < img->count; j++) {
			b = &img->seg[j];
			if (!a->memsz || !b->memsz)
				continue;
			if (a->paddr < b->paddr + b->memsz &&
			    b->paddr < a->paddr + a->memsz)
				return loader_fail(
					ld, -KERR_EINVAL,
					"elf: %s: segments %u (0x%llx-0x%llx) "
					"and %u (0x%llx-0x%llx) overlap",
					name, i, (unsigned long long)a->paddr,
					(unsigned long long)(a->paddr +
							     a->memsz),
					j, (unsigned long long)b->paddr,
					(unsigned long long)(b->paddr +
							     b->memsz));
		}
	}
	return 0;
}

static bool elf_entry_ok(const struct elf_image *img)
{
	const struct elf_segment *s;
	uint32_t i;

	for (i = 0; i < img->count; i++) {
		s = &img->seg[i];
		if ((s->flags & PF_X) && img->entry >= s->paddr &&
		    img->entry - s->paddr < s->memsz)
			return true;
	}
	return false;
}

int elf_parse(struct loader *ld, const char *name, const void *head, size_t len,
	      uint64_t file_size, struct elf_image *img)
{
	const uint8_t *h = head, *ph;
	uint64_t phoff, ph_end, avail;
	uint32_t phnum, phentsize, i, type;
	struct elf_segment *seg;
	int rc;

	/* Only bytes that are both read and in the file count. */
	avail = (uint64_t)len < file_size ? (uint64_t)len : file_size;
	if (avail < ELF64_EHDR_SIZE)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: too short for an ELF header (%llu "
				   "bytes)",
				   name, (unsigned long long)avail);
	rc = elf_check_ident(ld, name, h);
	if (rc < 0)
		return rc;

	phentsize = elf_le16(h + E_PHENTSIZE);
	if (phentsize != ELF64_PHDR_SIZE)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: program header size %u, need %u",
				   name, phentsize, ELF64_PHDR_SIZE);
	phnum = elf_le16(h + E_PHNUM);
	if (phnum == 0)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: no program headers", name);
	if (phnum > ELF_PHNUM_MAX)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: %u program headers, limit %u",
				   name, phnum, ELF_PHNUM_MAX);
	/* phnum * 56 is at most 3584: no overflow in the sum below unless
	 * phoff itself is near 2^64, which the first test catches. */
	phoff = elf_le64(h + E_PHOFF);
	if (phoff > file_size ||
	    (uint64_t)phnum * ELF64_PHDR_SIZE > file_size - phoff)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: program headers at 0x%llx (%u of "
				   "them) beyond end of file (%llu bytes)",
				   name, (unsigned long long)phoff, phnum,
				   (unsigned long long)file_size);
	ph_end = phoff + (uint64_t)phnum * ELF64_PHDR_SIZE;
	if (ph_end > avail)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: program headers end at 0x%llx, "
				   "beyond the first %llu bytes read",
				   name, (unsigned long long)ph_end,
				   (unsigned long long)avail);

	memset(img, 0, sizeof(*img));
	img->entry = elf_le64(h + E_ENTRY);
	/* From here on, phoff < ph_end <= avail <= len: a size_t. */
	for (i = 0; i < phnum; i++) {
		ph = h + (size_t)phoff + (size_t)i * ELF64_PHDR_SIZE;
		type = elf_le32(ph + P_TYPE);
		if (type == PT_INTERP)
			return loader_fail(ld, -KERR_EINVAL,
					   "elf: %s: dynamically linked "
					   "(PT_INTERP), need a static "
					   "executable",
					   name);
		if (type != PT_LOAD)
			continue;
		if (img->count >= ELF_MAX_SEGMENTS)
			return loader_fail(ld, -KERR_E2BIG,
					   "elf: %s: more than %u PT_LOAD "
					   "segments",
					   name, ELF_MAX_SEGMENTS);
		seg = &img->seg[img->count];
		rc = elf_load_segment(ld, name, img->count, ph, file_size, seg);
		if (rc < 0)
			return rc;
		img->count++;
	}
	if (!img->count)
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: no PT_LOAD segment", name);
	rc = elf_check_overlap(ld, name, img);
	if (rc < 0)
		return rc;
	if (!elf_entry_ok(img))
		return loader_fail(ld, -KERR_EINVAL,
				   "elf: %s: entry point 0x%llx is not in an "
				   "executable segment",
				   name, (unsigned long long)img->entry);

	img->lowest = UINT64_MAX;
	img->highest = 0;
	for (i = 0; i < img->count; i++) {
		seg = &img->seg[i];
		if (seg->paddr < img->lowest)
			img->lowest = seg->paddr;
		if (seg->paddr + seg->memsz > img->highest)
			img->highest = seg->paddr + seg->memsz;
	}
	return 0;
}
