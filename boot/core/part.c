/*
 * Partition tables, read-only: the MBR (with logical partitions in an
 * extended partition's EBR chain, numbered from 5 as Linux does) and GPT,
 * UEFI spec 2.10, section 5.2 (MBR, protective MBR) and 5.3 (GPT header,
 * entry array, CRC32s). An MBR holding a 0xEE entry is protective: the
 * disk is GPT. The primary GPT header (LBA 1) and its entry array must
 * both pass their CRC32 checks, or the backup header (the primary's
 * AlternateLBA, else the last LBA of the disk) is used instead. Only 512
 * byte sectors are supported, like the rest of the loader.
 */
#include <kernel/lib.h>
#include <kernel/printf.h>

#include "crc32.h"
#include "part.h"

#define MBR_SIG_OFF 510
#define MBR_DISK_ID_OFF 440
#define MBR_ENTRY_OFF 446
#define MBR_ENTRY_SIZE 16
#define MBR_TYPE_GPT 0xEE
#define MBR_TYPE_LINUX 0x83

/* GPT header fields (UEFI spec 2.10, table 5-5). */
#define GPT_HDR_SIG 0
#define GPT_HDR_SIZE 12
#define GPT_HDR_CRC 16
#define GPT_HDR_MY_LBA 24
#define GPT_HDR_ALT_LBA 32
#define GPT_HDR_FIRST_USABLE 40
#define GPT_HDR_LAST_USABLE 48
#define GPT_HDR_DISK_GUID 56
#define GPT_HDR_ENTRIES_LBA 72
#define GPT_HDR_NUM_ENTRIES 80
#define GPT_HDR_ENTRY_SIZE 84
#define GPT_HDR_ENTRIES_CRC 88
#define GPT_HDR_MIN 92

/* GPT partition entry fields (table 5-6). */
#define GPT_ENT_TYPE 0
#define GPT_ENT_FIRST 32
#define GPT_ENT_LAST 40
#define GPT_ENT_ATTR 48
#define GPT_ATTR_LEGACY_BOOTABLE 2 /* bit number, table 5-7 */

/* A cap on the entry array (1 MiB) so a corrupt count cannot make the
 * loader read the whole disk. */
#define GPT_ENTRIES_MAX_BYTES (1u << 20)

/* Linux filesystem data, 0FC63DAF-8483-4772-8E79-3D69D8477DE4, in on-disk
 * (mixed-endian) order. */
static const uint8_t gpt_linux_guid[16] = {
	0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
	0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4,
};

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static bool bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool guid_is_zero(const uint8_t *g)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (g[i])
			return false;
	return true;
}

static int add_part(struct loader *ld, struct part_table *pt, struct part *p)
{
	if (pt->count >= PART_MAX)
		return loader_fail(ld, -KERR_E2BIG,
				   "part: more than %u partitions", PART_MAX);
	if (ld->disk_sectors && (p->first_lba >= ld->disk_sectors ||
				 p->sectors > ld->disk_sectors - p->first_lba))
		return loader_fail(
			ld, -KERR_EINVAL,
			"part: partition %u (LBA %llu, %llu sectors) "
			"beyond end of disk (%llu sectors)",
			p->index, (unsigned long long)p->first_lba,
			(unsigned long long)p->sectors,
			(unsigned long long)ld->disk_sectors);
	pt->parts[pt->count++] = *p;
	return 0;
}

static bool mbr_is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/*
 * Walk the EBR chain of an extended partition. Each EBR's first entry is
 * a logical partition relative to that EBR; its second entry links to the
 * next EBR, relative to the start of the extended partition. The walk
 * stops after PART_MAX links, so a cycle cannot hang the loader.
 */
static int mbr_read_logical(struct loader *ld, struct part_table *pt,
			    uint64_t ext_lba, uint64_t ext_sectors)
{
	uint8_t sec[SECTOR_SIZE];
	uint64_t ebr = ext_lba;
	uint32_t index = 5;
	uint32_t hops;
	int rc;

	for (hops = 0; hops < PART_MAX; hops++) {
		const uint8_t *e0 = sec + MBR_ENTRY_OFF;
		const uint8_t *e1 = e0 + MBR_ENTRY_SIZE;
		uint64_t next;

		rc = loader_read(ld, ebr, 1, sec);
		if (rc < 0)
			return rc;
		if (sec[MBR_SIG_OFF] != 0x55 || sec[MBR_SIG_OFF + 1] != 0xaa)
			return loader_fail(ld, -KERR_EINVAL,
					   "part: EBR at LBA %llu has no 55 AA "
					   "signature",
					   (unsigned long long)ebr);
		if (e0[4] && get_le32(e0 + 12)) {
			struct part p = { 0 };

			p.index = index++;
			p.first_lba = ebr + get_le32(e0 + 8);
			p.sectors = get_le32(e0 + 12);
			p.mbr_type = e0[4];
			p.bootable = e0[0] == 0x80;
			rc = add_part(ld, pt, &p);
			if (rc < 0)
				return rc;
		}
		if (!mbr_is_extended(e1[4]) || !get_le32(e1 + 8))
			return 0;
		next = get_le32(e1 + 8);
		if (next >= ext_sectors)
			return loader_fail(
				ld, -KERR_EINVAL,
				"part: EBR link %llu outside extended "
				"partition (%llu sectors)",
				(unsigned long long)next,
				(unsigned long long)ext_sectors);
		ebr = ext_lba + next;
	}
	return loader_fail(ld, -KERR_EINVAL,
			   "part: EBR chain longer than %u links", PART_MAX);
}

static int mbr_read(struct loader *ld, struct part_table *pt,
		    const uint8_t *sec)
{
	uint64_t ext_lba = 0, ext_sectors = 0;
	uint32_t i;
	int rc;

	memcpy(pt->disk_id, sec + MBR_DISK_ID_OFF, 4);
	for (i = 0; i < 4; i++) {
		const uint8_t *e = sec + MBR_ENTRY_OFF + i * MBR_ENTRY_SIZE;
		struct part p = { 0 };

		if (!e[4] || !get_le32(e + 12))
			continue;
		if (e[0] != 0x00 && e[0] != 0x80)
			return loader_fail(
				ld, -KERR_EINVAL,
				"part: MBR entry %u: bad status byte "
				"0x%02x",
				i + 1, e[0]);
		p.index = i + 1;
		p.first_lba = get_le32(e + 8);
		p.sectors = get_le32(e + 12);
		p.mbr_type = e[4];
		p.bootable = e[0] == 0x80;
		if (mbr_is_extended(e[4])) {
			if (ext_sectors)
				return loader_fail(ld, -KERR_EINVAL,
						   "part: MBR has more than "
						   "one extended partition");
			ext_lba = p.first_lba;
			ext_sectors = p.sectors;
			continue;
		}
		rc = add_part(ld, pt, &p);
		if (rc < 0)
			return rc;
	}
	if (ext_sectors)
		return mbr_read_logical(ld, pt, ext_lba, ext_sectors);
	return 0;
}

/*
 * Check one GPT header and its entry array and fill pt from it. *alt is
 * set to the header's AlternateLBA once the header itself has passed its
 * CRC, so the caller can find the backup even if only the array is bad.
 */
static int gpt_try(struct loader *ld, struct part_table *pt, uint64_t lba,
		   uint64_t *alt)
{
	uint8_t hdr[SECTOR_SIZE], sec[SECTOR_SIZE];
	uint64_t first_usable, last_usable, entries_lba;
	uint32_t hsize, crc, num, esize, per_sec, nsec, s, e, i;
	int rc;

	pt->count = 0;
	rc = loader_read(ld, lba, 1, hdr);
	if (rc < 0)
		return rc;
	if (!bytes_equal(hdr + GPT_HDR_SIG, (const uint8_t *)"EFI PART", 8))
		return loader_fail(
			ld, -KERR_EINVAL,
			"part: GPT header at LBA %llu: bad signature",
			(unsigned long long)lba);
	hsize = get_le32(hdr + GPT_HDR_SIZE);
	if (hsize < GPT_HDR_MIN || hsize > SECTOR_SIZE)
		return loader_fail(ld, -KERR_EINVAL,
				   "part: GPT header at LBA %llu: bad header "
				   "size %u",
				   (unsigned long long)lba, hsize);
	memcpy(sec, hdr, hsize);
	memset(sec + GPT_HDR_CRC, 0, 4);
	crc = crc32_update(0, sec, hsize);
	if (crc != get_le32(hdr + GPT_HDR_CRC))
		return loader_fail(ld, -KERR_EINVAL,
				   "part: GPT header at LBA %llu: CRC mismatch "
				   "(0x%08x, computed 0x%08x)",
				   (unsigned long long)lba,
				   get_le32(hdr + GPT_HDR_CRC), crc);
	if (get_le64(hdr + GPT_HDR_MY_LBA) != lba)
		return loader_fail(
			ld, -KERR_EINVAL,
			"part: GPT header at LBA %llu: MyLBA is %llu",
			(unsigned long long)lba,
			(unsigned long long)get_le64(hdr + GPT_HDR_MY_LBA));
	*alt = get_le64(hdr + GPT_HDR_ALT_LBA);

	first_usable = get_le64(hdr + GPT_HDR_FIRST_USABLE);
	last_usable = get_le64(hdr + GPT_HDR_LAST_USABLE);
	entries_lba = get_le64(hdr + GPT_HDR_ENTRIES_LBA);
	num = get_le32(hdr + GPT_HDR_NUM_ENTRIES);
	esize = get_le32(hdr + GPT_HDR_ENTRY_SIZE);
	/* The spec allows any 128 * 2^n; every tool writes 128. Entries up
	 * to a sector long keep each one within a single sector. */
	if (esize < 128 || esize > SECTOR_SIZE || (esize & (esize - 1)))
		return loader_fail(ld, -KERR_EINVAL,
				   "part: GPT header at LBA %llu: unsupported "
				   "entry size %u",
				   (unsigned long long)lba, esize);
	if (num > GPT_ENTRIES_MAX_BYTES / esize)
		return loader_fail(ld, -KERR_EINVAL,
				   "part: GPT header at LBA %llu: %u entries "
				   "is too many",
				   (unsigned long long)lba, num);
	if (first_usable > last_usable)
		return loader_fail(ld, -KERR_EINVAL,
				   "part: GPT header at LBA %llu: usable LBAs "
				   "%llu..%llu",
				   (unsigned long long)lba,
				   (unsigned long long)first_usable,
				   (unsigned long long)last_usable);
	memcpy(pt->disk_id, hdr + GPT_HDR_DISK_GUID, 16);

	per_sec = SECTOR_SIZE / esize;
	nsec = (num + per_sec - 1) / per_sec;
	crc = 0;
	for (s = 0; s < nsec; s++) {
		rc = loader_read(ld, entries_lba + s, 1, sec);
		if (rc < 0)
			return rc;
		for (e = 0; e < per_sec; e++) {
			const uint8_t *ent = sec + e * esize;
			struct part p = { 0 };

			i = s * per_sec + e;
			if (i >= num)
				break;
			crc = crc32_update(crc, ent, esize);
			if (guid_is_zero(ent + GPT_ENT_TYPE))
				continue;
			p.index = i + 1;
			p.first_lba = get_le64(ent + GPT_ENT_FIRST);
			if (get_le64(ent + GPT_ENT_LAST) < p.first_lba ||
			    p.first_lba < first_usable ||
			    get_le64(ent + GPT_ENT_LAST) > last_usable)
				return loader_fail(
					ld, -KERR_EINVAL,
					"part: GPT entry %u: LBAs %llu..%llu "
					"outside usable %llu..%llu",
					i + 1, (unsigned long long)p.first_lba,
					(unsigned long long)get_le64(
						ent + GPT_ENT_LAST),
					(unsigned long long)first_usable,
					(unsigned long long)last_usable);
			p.sectors =
				get_le64(ent + GPT_ENT_LAST) - p.first_lba + 1;
			memcpy(p.type_guid, ent + GPT_ENT_TYPE, 16);
			p.bootable = (get_le64(ent + GPT_ENT_ATTR) >>
				      GPT_ATTR_LEGACY_BOOTABLE) &
				     1;
			rc = add_part(ld, pt, &p);
			if (rc < 0)
				return rc;
		}
	}
	if (crc != get_le32(hdr + GPT_HDR_ENTRIES_CRC)) {
		pt->count = 0;
		return loader_fail(
			ld, -KERR_EINVAL,
			"part: GPT entries at LBA %llu: CRC mismatch "
			"(0x%08x, computed 0x%08x)",
			(unsigned long long)entries_lba,
			get_le32(hdr + GPT_HDR_ENTRIES_CRC), crc);
	}
	return 0;
}

static int gpt_read(struct loader *ld, struct part_table *pt)
{
	char primary_err[LOADER_ERROR_MAX], backup_err[LOADER_ERROR_MAX];
	uint64_t alt = 0;
	const char *why;
	int rc;

	pt->gpt = true;
	rc = gpt_try(ld, pt, 1, &alt);
	if (rc == 0)
		return 0;
	memcpy(primary_err, ld->error, sizeof(primary_err));
	if (alt <= 1 || (ld->disk_sectors && alt >= ld->disk_sectors))
		alt = ld->disk_sectors ? ld->disk_sectors - 1 : 0;
	if (alt <= 1)
		return loader_fail(ld, rc,
				   "%s; no backup GPT (disk size "
				   "unknown)",
				   primary_err);
	rc = gpt_try(ld, pt, alt, &alt);
	if (rc == 0)
		return 0;
	/* Both reasons in one line; ld->error is about to be rewritten. */
	why = ld->error;
	if (bytes_equal((const uint8_t *)why, (const uint8_t *)"part: ", 6))
		why += 6;
	memcpy(backup_err, why, sizeof(ld->error) - (size_t)(why - ld->error));
	backup_err[sizeof(backup_err) - 1] = '\0';
	return loader_fail(ld, rc, "%s; backup: %s", primary_err, backup_err);
}

int part_read_table(struct loader *ld, struct part_table *pt)
{
	uint8_t sec[SECTOR_SIZE];
	uint32_t i;
	int rc;

	memset(pt, 0, sizeof(*pt));
	rc = loader_read(ld, 0, 1, sec);
	if (rc < 0)
		return rc;
	if (sec[MBR_SIG_OFF] != 0x55 || sec[MBR_SIG_OFF + 1] != 0xaa)
		return loader_fail(ld, -KERR_EINVAL,
				   "part: no partition table (no 55 AA "
				   "signature in sector 0)");
	for (i = 0; i < 4; i++)
		if (sec[MBR_ENTRY_OFF + i * MBR_ENTRY_SIZE + 4] == MBR_TYPE_GPT)
			return gpt_read(ld, pt);
	return mbr_read(ld, pt, sec);
}

static bool part_is_linux(const struct part_table *pt, const struct part *p)
{
	if (pt->gpt)
		return bytes_equal(p->type_guid, gpt_linux_guid, 16);
	return p->mbr_type == MBR_TYPE_LINUX;
}

int part_find_ext2(struct loader *ld, const struct part_table *pt,
		   const struct part **out)
{
	/* What was found instead, for the error message. */
	char seen[LOADER_ERROR_MAX - 40];
	size_t pos = 0;
	uint8_t sec[SECTOR_SIZE];
	uint32_t i;
	int rc, n;

	seen[0] = '\0';
	for (i = 0; i < pt->count; i++) {
		const struct part *p = &pt->parts[i];

		if (!part_is_linux(pt, p)) {
			if (pt->gpt)
				n = ksnprintf(seen + pos, sizeof(seen) - pos,
					      " #%u type %08X", p->index,
					      get_le32(p->type_guid));
			else
				n = ksnprintf(seen + pos, sizeof(seen) - pos,
					      " #%u type 0x%02x", p->index,
					      p->mbr_type);
		} else {
			/* The superblock is at byte 1024: sector 2. */
			if (p->sectors > 2) {
				rc = loader_read(ld, p->first_lba + 2, 1, sec);
				if (rc < 0)
					return rc;
				if (sec[56] == 0x53 && sec[57] == 0xef) {
					*out = p;
					return 0;
				}
			}
			n = ksnprintf(seen + pos, sizeof(seen) - pos,
				      " #%u Linux without ext2 magic",
				      p->index);
		}
		if (n > 0)
			pos += (size_t)n;
		if (pos >= sizeof(seen))
			pos = sizeof(seen) - 1;
	}
	if (!pt->count)
		return loader_fail(ld, -KERR_ENOENT,
				   "part: no ext2 partition: the %s table is "
				   "empty",
				   pt->gpt ? "GPT" : "MBR");
	return loader_fail(ld, -KERR_ENOENT,
			   "part: no ext2 partition (found:%s)", seen);
}

const struct part *part_find_mbr_type(const struct part_table *pt, uint8_t type)
{
	uint32_t i;

	if (pt->gpt)
		return NULL;
	for (i = 0; i < pt->count; i++)
		if (pt->parts[i].mbr_type == type)
			return &pt->parts[i];
	return NULL;
}

const struct part *part_find_gpt_type(const struct part_table *pt,
				      const uint8_t guid[16])
{
	uint32_t i;

	if (!pt->gpt)
		return NULL;
	for (i = 0; i < pt->count; i++)
		if (bytes_equal(pt->parts[i].type_guid, guid, 16))
			return &pt->parts[i];
	return NULL;
}
