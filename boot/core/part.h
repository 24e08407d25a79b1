/*
 * Partition tables: MBR (with a protective 0xEE entry meaning GPT) and
 * GPT (UEFI spec 2.10, section 5.3), read-only. The GPT header and entry
 * array CRC32s are checked; the backup GPT is used if the primary is bad.
 */
#ifndef BOOT_PART_H
#define BOOT_PART_H

#include "loader.h"

#define PART_MAX 128

struct part {
	uint32_t index; /* 1-based, as Linux numbers them */
	uint64_t first_lba;
	uint64_t sectors;
	uint8_t mbr_type;      /* MBR partitions: the type byte */
	uint8_t type_guid[16]; /* GPT partitions: type GUID, on-disk order */
	bool bootable;	       /* MBR 0x80 flag / GPT legacy BIOS bootable */
};

struct part_table {
	bool gpt;
	uint8_t disk_id[16]; /* GPT disk GUID, or MBR signature in [0..3] */
	uint32_t count;
	struct part parts[PART_MAX];
};

/* Read and check the partition table of the whole disk. */
int part_read_table(struct loader *ld, struct part_table *pt);

/* The partition to boot from: the first Linux-data partition (MBR 0x83,
 * GPT 0FC63DAF-8483-4772-8E79-3D69D8477DE4) holding an ext2/3/4 superblock
 * magic. Error names what was found instead. */
int part_find_ext2(struct loader *ld, const struct part_table *pt,
		   const struct part **out);

/* The first partition of a type (MBR type byte, or GPT type GUID when
 * the table is GPT); NULL if none. */
const struct part *part_find_mbr_type(const struct part_table *pt,
				      uint8_t type);
const struct part *part_find_gpt_type(const struct part_table *pt,
				      const uint8_t guid[16]);

#endif
