/*
 * Read-only ext2 (and ext3/ext4 as far as a loader needs): superblock,
 * group descriptors (32- and 64-byte), inodes of any size, direct and
 * 1/2/3-indirect blocks, extent trees, holes, linear directory scan
 * (htree directories read as plain ones), fast and slow symlinks.
 * Reference: "The Second Extended File System" (Poirier) and the kernel's
 * Documentation/filesystems/ext4/. An unknown INCOMPAT feature is refused
 * by name; the journal is ignored.
 */
#ifndef BOOT_EXT2_H
#define BOOT_EXT2_H

#include "loader.h"

struct ext2_fs;

struct ext2_file {
	uint32_t ino;
	uint16_t mode; /* i_mode: type and permission bits */
	uint64_t size;
	/* private to ext2.c from here on */
	uint32_t flags;
	uint32_t block[15];
	char path[128]; /* for error messages (possibly truncated) */
};

/* Check the superblock of the file system at first_lba (sectors long)
 * and set it up for reading. */
int ext2_mount(struct loader *ld, uint64_t first_lba, uint64_t sectors,
	       struct ext2_fs **out);

/* Look up an absolute path, following symlinks (at most 8 in a row),
 * and open it; it must be a regular file. */
int ext2_open(struct ext2_fs *fs, const char *path, struct ext2_file *f);

/* Read up to len bytes at off; returns the number read (short only at
 * end of file) or a negative error. Holes read as zeros. Contiguous
 * blocks are read with one disk request. */
int64_t ext2_read(struct ext2_fs *fs, struct ext2_file *f, uint64_t off,
		  void *buf, uint64_t len);

/* Block size in bytes of a mounted file system. */
uint32_t ext2_block_size(const struct ext2_fs *fs);

#endif
