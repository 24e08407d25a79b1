/*
 * skiff-install: put our BIOS boot code on a partitioned disk image.
 *
 *   skiff-install --mbr mbr.bin --stage2 stage2.bin disk.raw
 *
 * Stage 2 goes into the post-MBR gap (MBR disks: LBA 1 up to the first
 * partition) or into the BIOS boot partition (GPT disks, type GUID
 * 21686148-6449-6E6F-744E-656564454649). The MBR's first 440 bytes become
 * our boot code with the stage 2 LBA and sector count patched in; the disk
 * signature, the partition table and the 55 AA mark are kept. The
 * partition table is read with the loader core, so the installer and the
 * loader agree on what the disk holds. Nothing else is written.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "part.h"

#define MBR_CODE_SIZE 440
#define MBR_STAGE2_LBA_OFF 0x1a8
#define MBR_STAGE2_COUNT_OFF 0x1b0
#define STAGE2_MAX_SECTORS 127

static const uint8_t bios_boot_guid[16] = {
	/* 21686148-6449-6E6F-744E-656564454649, in on-disk byte order */
	0x48, 0x61, 0x68, 0x21, 0x49, 0x64, 0x6f, 0x6e,
	0x74, 0x4e, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49,
};

static const char *disk_path;

static void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("skiff-install: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int file_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	int fd = *(int *)ctx;
	size_t len = (size_t)count * SECTOR_SIZE;

	if (pread(fd, buf, len, (off_t)(lba * SECTOR_SIZE)) != (ssize_t)len)
		return -KERR_EIO;
	return 0;
}

static void *heap_alloc(void *ctx, size_t size, size_t align)
{
	void *p = NULL;

	(void)ctx;
	if (align < sizeof(void *))
		align = sizeof(void *);
	return posix_memalign(&p, align, size) ? NULL : p;
}

static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(max + 1);

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (!buf)
		die("out of memory");
	*len = fread(buf, 1, max + 1, f);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	if (*len > max)
		die("%s: larger than %zu bytes", path, max);
	return buf;
}

static void write_at(int fd, uint64_t lba, const void *buf, size_t len)
{
	if (pwrite(fd, buf, len, (off_t)(lba * SECTOR_SIZE)) != (ssize_t)len)
		die("%s: write at LBA %llu failed: %s", disk_path,
		    (unsigned long long)lba, strerror(errno));
}

static void usage(void)
{
	fprintf(stderr, "usage: skiff-install --mbr MBR.bin --stage2 "
			"STAGE2.bin DISK\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mbr_path = NULL, *stage2_path = NULL;
	struct loader ld = { .read = file_read, .alloc = heap_alloc };
	struct part_table *pt;
	uint8_t *mbr_code, *stage2, sector0[SECTOR_SIZE];
	size_t mbr_len, stage2_len;
	uint64_t stage2_lba = 1, room, sectors;
	struct stat st;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mbr") == 0 && i + 1 < argc)
			mbr_path = argv[++i];
		else if (strcmp(argv[i], "--stage2") == 0 && i + 1 < argc)
			stage2_path = argv[++i];
		else if (argv[i][0] != '-' && !disk_path)
			disk_path = argv[i];
		else
			usage();
	}
	if (!mbr_path || !stage2_path || !disk_path)
		usage();

	mbr_code = slurp(mbr_path, MBR_CODE_SIZE, &mbr_len);
	if (mbr_len != MBR_CODE_SIZE)
		die("%s: %zu bytes, expected the %d bytes of MBR boot code",
		    mbr_path, mbr_len, MBR_CODE_SIZE);
	stage2 = slurp(stage2_path, STAGE2_MAX_SECTORS * SECTOR_SIZE,
		       &stage2_len);
	sectors = (stage2_len + SECTOR_SIZE - 1) / SECTOR_SIZE;
	if (sectors == 0)
		die("%s: empty", stage2_path);
	/* Pad to whole sectors. */
	memset(stage2 + stage2_len, 0, sectors * SECTOR_SIZE - stage2_len);

	fd = open(disk_path, O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", disk_path, strerror(errno));
	ld.ctx = &fd;
	ld.disk_sectors = (uint64_t)st.st_size / SECTOR_SIZE;
	pt = malloc(sizeof(*pt));
	if (!pt)
		die("out of memory");
	if (part_read_table(&ld, pt) < 0)
		die("%s: %s", disk_path, ld.error);

	if (pt->gpt) {
		const struct part *bb = part_find_gpt_type(pt, bios_boot_guid);

		if (!bb)
			die("%s: GPT disk without a BIOS boot partition "
			    "(type 21686148-6449-6E6F-744E-656564454649)",
			    disk_path);
		stage2_lba = bb->first_lba;
		room = bb->sectors;
	} else {
		room = UINT64_MAX;
		for (uint32_t i = 0; i < pt->count; i++) {
			if (pt->parts[i].first_lba <= stage2_lba)
				die("%s: partition %u starts at LBA %llu, "
				    "leaving "
				    "no gap after the MBR for stage 2",
				    disk_path, pt->parts[i].index,
				    (unsigned long long)pt->parts[i].first_lba);
			if (pt->parts[i].first_lba - stage2_lba < room)
				room = pt->parts[i].first_lba - stage2_lba;
		}
	}
	if (sectors > room)
		die("%s: stage 2 needs %llu sectors, its area has %llu",
		    disk_path, (unsigned long long)sectors,
		    (unsigned long long)room);

	if (pread(fd, sector0, SECTOR_SIZE, 0) != SECTOR_SIZE)
		die("%s: cannot read the MBR", disk_path);
	memcpy(sector0, mbr_code, MBR_CODE_SIZE);
	for (int i = 0; i < 8; i++)
		sector0[MBR_STAGE2_LBA_OFF + i] =
			(uint8_t)(stage2_lba >> (8 * i));
	sector0[MBR_STAGE2_COUNT_OFF] = (uint8_t)sectors;
	sector0[MBR_STAGE2_COUNT_OFF + 1] = 0;

	write_at(fd, stage2_lba, stage2, sectors * SECTOR_SIZE);
	write_at(fd, 0, sector0, SECTOR_SIZE);
	if (fsync(fd) < 0 || close(fd) < 0)
		die("%s: %s", disk_path, strerror(errno));
	printf("skiff-install: %s: stage 2 (%llu sectors) at LBA %llu, "
	       "MBR boot code installed (%s)\n",
	       disk_path, (unsigned long long)sectors,
	       (unsigned long long)stage2_lba, pt->gpt ? "GPT" : "MBR");
	return 0;
}
