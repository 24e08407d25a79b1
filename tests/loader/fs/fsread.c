/*
 * fsread: run the loader core's partition and ext2 code on a disk image
 * file, for run-fs-tests.sh. It finds the file system (partition table
 * and part_find_ext2, a given partition, or a given sector offset with
 * -o 0 for a whole-device file system), opens a path and either writes
 * the file to stdout or compares it with a host file. On failure it
 * prints ld->error and exits 1; a mismatch also exits 1.
 *
 *   fsread [-p N | -o LBA] [-c HOSTFILE] [-k CHUNK] [-s] IMAGE PATH
 *   fsread -l IMAGE          list the partition table
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext2.h"
#include "part.h"

#define MAX_ALLOCS 256

struct disk {
	int fd;
	unsigned long requests;
	unsigned long long sectors_read;
	void *allocs[MAX_ALLOCS];
	int nallocs;
};

static int disk_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct disk *d = ctx;
	size_t want = (size_t)count * SECTOR_SIZE;
	ssize_t got;

	d->requests++;
	d->sectors_read += count;
	got = pread(d->fd, buf, want, (off_t)(lba * SECTOR_SIZE));
	if (got < 0 || (size_t)got != want)
		return -KERR_EIO;
	return 0;
}

static void *disk_alloc(void *ctx, size_t size, size_t align)
{
	struct disk *d = ctx;
	void *p;

	if (d->nallocs == MAX_ALLOCS)
		return NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size))
		return NULL;
	d->allocs[d->nallocs++] = p;
	return p;
}

static void disk_free_all(struct disk *d)
{
	while (d->nallocs)
		free(d->allocs[--d->nallocs]);
}

static int usage(void)
{
	fprintf(stderr, "usage: fsread [-p N | -o LBA] [-c HOSTFILE] "
			"[-k CHUNK] [-s] IMAGE PATH\n"
			"       fsread -l IMAGE\n");
	return 2;
}

static void list_table(const struct part_table *pt)
{
	uint32_t i;

	printf("%s %u\n", pt->gpt ? "gpt" : "mbr", pt->count);
	for (i = 0; i < pt->count; i++) {
		const struct part *p = &pt->parts[i];

		printf("%u %" PRIu64 " %" PRIu64 " 0x%02x %02x%02x%02x%02x%s\n",
		       p->index, p->first_lba, p->sectors, p->mbr_type,
		       p->type_guid[3], p->type_guid[2], p->type_guid[1],
		       p->type_guid[0], p->bootable ? " boot" : "");
	}
}

/* Read the whole file in chunks; compare with cmp_fd or write it out. */
static int copy_file(struct loader *ld, struct ext2_fs *fs, struct ext2_file *f,
		     size_t chunk, int cmp_fd)
{
	unsigned char *buf = malloc(chunk), *ref = malloc(chunk);
	uint64_t off = 0;
	int rc = 1;

	if (!buf || !ref)
		goto out_free;
	for (;;) {
		int64_t got = ext2_read(fs, f, off, buf, chunk);
		ssize_t want;

		if (got < 0) {
			fprintf(stderr, "%s\n", ld->error);
			goto out_free;
		}
		if (cmp_fd >= 0) {
			want = pread(cmp_fd, ref, chunk, (off_t)off);
			if (want != got) {
				fprintf(stderr,
					"fsread: size differs at offset "
					"%" PRIu64 " (ext2 gave %" PRId64
					", host %zd)\n",
					off, got, want);
				goto out_free;
			}
			if (memcmp(buf, ref, (size_t)got)) {
				fprintf(stderr,
					"fsread: contents differ in chunk at "
					"offset %" PRIu64 "\n",
					off);
				goto out_free;
			}
		} else if (got &&
			   fwrite(buf, 1, (size_t)got, stdout) != (size_t)got) {
			perror("fsread: stdout");
			goto out_free;
		}
		if (got == 0)
			break;
		off += (uint64_t)got;
	}
	rc = 0;
out_free:
	free(buf);
	free(ref);
	return rc;
}

int main(int argc, char **argv)
{
	struct disk d = { .fd = -1 };
	struct loader ld = { 0 };
	struct part_table *pt = NULL;
	const struct part *p = NULL;
	uint64_t first_lba = 0, sectors;
	long part_index = -1;
	long long offset = -1;
	size_t chunk = 8 << 20;
	const char *cmp_path = NULL;
	int opt, rc = 1, cmp_fd = -1;
	bool list = false, stats = false;
	struct ext2_fs *fs;
	struct ext2_file f;
	struct stat st;

	while ((opt = getopt(argc, argv, "p:o:c:k:sl")) != -1) {
		switch (opt) {
		case 'p':
			part_index = strtol(optarg, NULL, 0);
			break;
		case 'o':
			offset = strtoll(optarg, NULL, 0);
			break;
		case 'c':
			cmp_path = optarg;
			break;
		case 'k':
			chunk = strtoul(optarg, NULL, 0);
			break;
		case 's':
			stats = true;
			break;
		case 'l':
			list = true;
			break;
		default:
			return usage();
		}
	}
	if (optind + (list ? 1 : 2) != argc || chunk == 0)
		return usage();
	d.fd = open(argv[optind], O_RDONLY);
	if (d.fd < 0 || fstat(d.fd, &st) < 0) {
		fprintf(stderr, "fsread: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	ld.read = disk_read;
	ld.alloc = disk_alloc;
	ld.ctx = &d;
	ld.disk_sectors = (uint64_t)st.st_size / SECTOR_SIZE;
	sectors = ld.disk_sectors;

	pt = calloc(1, sizeof(*pt));
	if (!pt)
		goto out;
	if (offset < 0) {
		if (part_read_table(&ld, pt) < 0) {
			fprintf(stderr, "%s\n", ld.error);
			goto out;
		}
		if (list) {
			list_table(pt);
			rc = 0;
			goto out;
		}
		if (part_index < 0) {
			if (part_find_ext2(&ld, pt, &p) < 0) {
				fprintf(stderr, "%s\n", ld.error);
				goto out;
			}
		} else {
			uint32_t i;

			for (i = 0; i < pt->count; i++)
				if (pt->parts[i].index == part_index)
					p = &pt->parts[i];
			if (!p) {
				fprintf(stderr, "fsread: no partition %ld\n",
					part_index);
				goto out;
			}
		}
		first_lba = p->first_lba;
		sectors = p->sectors;
	} else {
		if ((uint64_t)offset >= ld.disk_sectors) {
			fprintf(stderr, "fsread: offset beyond image\n");
			goto out;
		}
		first_lba = (uint64_t)offset;
		sectors = ld.disk_sectors - first_lba;
	}

	if (ext2_mount(&ld, first_lba, sectors, &fs) < 0 ||
	    ext2_open(fs, argv[optind + 1], &f) < 0) {
		fprintf(stderr, "%s\n", ld.error);
		goto out;
	}
	if (cmp_path) {
		cmp_fd = open(cmp_path, O_RDONLY);
		if (cmp_fd < 0) {
			fprintf(stderr, "fsread: %s: %s\n", cmp_path,
				strerror(errno));
			goto out;
		}
	}
	rc = copy_file(&ld, fs, &f, chunk, cmp_fd);
	if (stats)
		fprintf(stderr, "fsread: %lu requests, %llu sectors\n",
			d.requests, d.sectors_read);
out:
	if (cmp_fd >= 0)
		close(cmp_fd);
	free(pt);
	disk_free_all(&d);
	close(d.fd);
	return rc;
}
