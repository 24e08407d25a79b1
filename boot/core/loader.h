/*
 * The loader core: partition tables, ext2, boot.cfg, ELF and the boot
 * info, shared by the BIOS stage 2 (32-bit protected mode), the UEFI
 * loader (x86_64) and the host tests and fuzzers. It reaches the outside
 * world only through struct loader: a sector reader and an allocator. It
 * never writes to the disk.
 *
 * Every function that can fail returns 0 or a negative KERR_* value and
 * leaves a one-line reason in ld->error, naming the thing and the cause,
 * such as "ext2: /boot/app.elf: indirect block 123456 beyond end of fs
 * (65536 blocks)". Nothing read from the disk is trusted: every length
 * and offset is bounded before use.
 */
#ifndef BOOT_LOADER_H
#define BOOT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/errno.h>

#define SECTOR_SIZE 512
#define LOADER_ERROR_MAX 160

struct loader {
	/* Read count 512-byte sectors starting at lba into buf. */
	int (*read)(void *ctx, uint64_t lba, uint32_t count, void *buf);
	/* Scratch memory for the loader's own use, never freed; NULL when
	 * exhausted. align is a power of two. */
	void *(*alloc)(void *ctx, size_t size, size_t align);
	void *ctx;
	uint64_t disk_sectors; /* size of the disk; 0 if unknown */
	char error[LOADER_ERROR_MAX];
};

/* Record a reason in ld->error and return err (a negative KERR_*). */
int loader_fail(struct loader *ld, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read sectors with a bounds check against disk_sectors; on failure
 * ld->error names the LBA. */
int loader_read(struct loader *ld, uint64_t lba, uint32_t count, void *buf);

void *loader_alloc(struct loader *ld, size_t size, size_t align);

#endif
