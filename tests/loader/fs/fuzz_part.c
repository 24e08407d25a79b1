/*
 * libFuzzer harness for the partition table reader: the input is a whole
 * small disk (MBR, EBR chain or GPT with its backup at the end). GPT is
 * guarded by CRC32s that mutations almost never get right, so when bit 0
 * of the MBR's first byte (boot code the parser never reads) is set, the
 * harness first recomputes the CRCs of both GPT headers and arrays,
 * letting the fuzzer reach the entry checks. run-fuzz.sh makes the seed
 * disks with sfdisk. 'meson test --suite fuzz' runs it for 15 s; for a
 * longer run:
 *
 *   tests/loader/fs/run-fuzz.sh build/tests/loader/fs/fuzz-part part \
 *       /tmp/fuzz-part -max_total_time=3600 -jobs=2
 */
#include <stdint.h>

#include "crc32.h"
#include "fuzz_mem.h"
#include "part.h"

#define DISK_MAX (4u << 20)

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void fix_gpt(uint8_t *disk, size_t size, uint64_t lba)
{
	uint8_t *h = disk + lba * SECTOR_SIZE;
	uint64_t elba;
	uint32_t hsize, bytes;

	if ((lba + 1) * SECTOR_SIZE > size || memcmp(h, "EFI PART", 8))
		return;
	hsize = le32(h + 12);
	elba = le64(h + 72);
	bytes = le32(h + 80) * le32(h + 84);
	if (le32(h + 80) < 4096 && le32(h + 84) <= 512 &&
	    elba < size / SECTOR_SIZE && bytes <= size - elba * SECTOR_SIZE)
		put_le32(h + 88,
			 crc32_update(0, disk + elba * SECTOR_SIZE, bytes));
	if (hsize >= 92 && hsize <= SECTOR_SIZE) {
		put_le32(h + 16, 0);
		put_le32(h + 16, crc32_update(0, h, hsize));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t disk[DISK_MAX];
	struct part_table *pt;
	const struct part *p;
	struct mem_disk m;
	struct loader ld;

	if (size > DISK_MAX || size < SECTOR_SIZE)
		return 0;
	memcpy(disk, data, size);
	if (disk[0] & 1) {
		fix_gpt(disk, size, 1);
		fix_gpt(disk, size, size / SECTOR_SIZE - 1);
	}
	pt = malloc(sizeof(*pt));
	if (!pt)
		return 0;
	mem_setup(&m, &ld, disk, size);
	if (part_read_table(&ld, pt) == 0) {
		part_find_ext2(&ld, pt, &p);
		part_find_mbr_type(pt, 0x83);
	}
	free(pt);
	mem_free_all(&m);
	return 0;
}
