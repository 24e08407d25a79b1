/*
 * Read-only ext2/ext3/ext4 for the loader. Layout references: "The Second
 * Extended File System" (Poirier), sections 3 (superblock, group
 * descriptors, inode table), 4 (directories) and the Linux kernel's
 * Documentation/filesystems/ext4/ (blockgroup.rst for meta_bg and sparse
 * superblocks, group_descr.rst for 64-byte descriptors, inodes.rst,
 * ifork.rst for indirect blocks and extent trees, directory.rst).
 *
 * Every block number read from the disk is checked against the block
 * count before it is read, every directory record against its block, and
 * every walk is bounded (extent depth <= 5, 8 symlinks, directory size no
 * larger than the file system), so a corrupt image yields one error line
 * and never a hang. The journal is ignored; an image that needs recovery
 * is refused. Metadata checksums are not verified.
 *
 * Metadata blocks (group descriptors, inode tables, indirect blocks,
 * extent nodes) go through a small LRU cache, so a sequential read walks
 * each indirect block once. File data bypasses it: runs of physically
 * contiguous blocks are read straight into the caller's buffer with one
 * request, and only a partial head or tail goes through a bounce block.
 */
#include <stdarg.h>

#include <kernel/lib.h>
#include <kernel/printf.h>

#include "ext2.h"

/* Superblock, at byte 1024 of the file system (ext4 super.rst). */
#define SB_OFFSET 1024
#define SB_SIZE 1024
#define SB_INODES_COUNT 0x00
#define SB_BLOCKS_COUNT_LO 0x04
#define SB_FIRST_DATA_BLOCK 0x14
#define SB_LOG_BLOCK_SIZE 0x18
#define SB_BLOCKS_PER_GROUP 0x20
#define SB_INODES_PER_GROUP 0x28
#define SB_MAGIC 0x38
#define SB_REV_LEVEL 0x4c
#define SB_INODE_SIZE 0x58
#define SB_FEATURE_COMPAT 0x5c
#define SB_FEATURE_INCOMPAT 0x60
#define SB_FEATURE_RO_COMPAT 0x64
#define SB_DESC_SIZE 0xfe
#define SB_FIRST_META_BG 0x104
#define SB_BLOCKS_COUNT_HI 0x150
#define SB_BACKUP_BGS 0x24c

#define EXT2_MAGIC 0xef53
#define EXT2_ROOT_INO 2
#define EXT2_LOG_BLOCK_MAX 6 /* 64 KiB */
#define EXT2_GOOD_OLD_INODE_SIZE 128

#define COMPAT_SPARSE_SUPER2 0x200
#define RO_COMPAT_SPARSE_SUPER 0x1

#define INCOMPAT_COMPRESSION 0x1
#define INCOMPAT_FILETYPE 0x2
#define INCOMPAT_RECOVER 0x4
#define INCOMPAT_JOURNAL_DEV 0x8
#define INCOMPAT_META_BG 0x10
#define INCOMPAT_EXTENTS 0x40
#define INCOMPAT_64BIT 0x80
#define INCOMPAT_MMP 0x100
#define INCOMPAT_FLEX_BG 0x200
#define INCOMPAT_EA_INODE 0x400
#define INCOMPAT_DIRDATA 0x1000
#define INCOMPAT_CSUM_SEED 0x2000
#define INCOMPAT_LARGEDIR 0x4000
#define INCOMPAT_INLINE_DATA 0x8000
#define INCOMPAT_ENCRYPT 0x10000
#define INCOMPAT_CASEFOLD 0x20000

/* What reading needs nothing special for, or handles. */
#define INCOMPAT_SUPPORTED                                                     \
	(INCOMPAT_FILETYPE | INCOMPAT_META_BG | INCOMPAT_EXTENTS |             \
	 INCOMPAT_64BIT | INCOMPAT_MMP | INCOMPAT_FLEX_BG |                    \
	 INCOMPAT_EA_INODE | INCOMPAT_CSUM_SEED | INCOMPAT_LARGEDIR)

/* Group descriptor (group_descr.rst). */
#define BG_INODE_TABLE_LO 0x08
#define BG_INODE_TABLE_HI 0x28
#define EXT2_DESC_SIZE 32
#define EXT4_DESC_SIZE_64BIT 64
#define EXT4_DESC_SIZE_MAX 1024

/* Inode (inodes.rst). */
#define I_MODE 0x00
#define I_SIZE_LO 0x04
#define I_FLAGS 0x20
#define I_BLOCK 0x28
#define I_SIZE_HIGH 0x6c
#define I_BLOCK_BYTES 60
#define S_IFMT 0xf000
#define S_IFREG 0x8000
#define S_IFDIR 0x4000
#define S_IFLNK 0xa000
#define EXT4_EXTENTS_FL 0x80000
#define EXT4_INLINE_DATA_FL 0x10000000

#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK 12
#define EXT2_DIND_BLOCK 13
#define EXT2_TIND_BLOCK 14

/* Extent tree (ifork.rst): 12-byte header, index and leaf entries. */
#define EXT4_EXT_MAGIC 0xf30a
#define EXT4_EXT_DEPTH_MAX 5
#define EXT4_EXT_ENTRY 12
#define EXT4_EXT_INIT_MAX_LEN 32768

/* Directory entry (directory.rst). */
#define DIRENT_HEADER 8
#define EXT2_NAME_MAX 255

#define EXT2_PATH_MAX 4096
#define EXT2_SYMLINK_MAX 8
#define EXT2_CACHE_SLOTS 6
/* One disk request reads at most this much, so a sector count always
 * fits the read callback's uint32_t. */
#define EXT2_REQ_MAX_BYTES (16u << 20)

struct ext2_cache_slot {
	uint64_t blk;
	uint32_t last_use;
	bool valid;
	uint8_t *data;
};

struct ext2_fs {
	struct loader *ld;
	uint64_t first_lba;
	uint64_t sectors;
	uint64_t blocks_count;
	uint32_t bs;	   /* block size in bytes */
	uint32_t bs_shift; /* log2(bs) */
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inodes_count;
	uint32_t groups;
	uint32_t inode_size;
	uint32_t desc_size;
	uint32_t descs_shift; /* log2(descriptors per block) */
	uint32_t first_meta_bg;
	uint32_t compat, incompat, ro_compat;
	uint32_t backup_bgs[2];

	uint8_t *bounce; /* one data block, for partial reads */
	uint64_t bounce_blk;
	bool bounce_valid;
	uint8_t *dirbuf;
	char *pathbuf;
	char *linkbuf;
	struct ext2_cache_slot cache[EXT2_CACHE_SLOTS];
	uint32_t clock;
};

/* A run of file blocks: physical start (0 for a hole) and length. */
struct ext2_map {
	uint64_t pblk;
	uint64_t len;
};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static bool name_equal(const uint8_t *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return false;
	return true;
}

/* Like loader_fail, with "ext2: <path>: " in front. */
static int __attribute__((format(printf, 4, 5)))
ext2_fail(struct ext2_fs *fs, const char *path, int err, const char *fmt, ...)
{
	struct loader *ld = fs->ld;
	va_list ap;
	int n;

	if (path)
		n = ksnprintf(ld->error, sizeof(ld->error), "ext2: %s: ", path);
	else
		n = ksnprintf(ld->error, sizeof(ld->error), "ext2: ");
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(ld->error))
		n = sizeof(ld->error) - 1;
	va_start(ap, fmt);
	kvsnprintf(ld->error + n, sizeof(ld->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return err;
}

/* Read count whole blocks; the caller has bounded blk + count. */
static int read_blocks(struct ext2_fs *fs, uint64_t blk, uint32_t count,
		       void *buf)
{
	uint32_t shift = fs->bs_shift - 9;

	return loader_read(fs->ld, fs->first_lba + (blk << shift),
			   count << shift, buf);
}

static int check_block(struct ext2_fs *fs, const char *path, const char *what,
		       uint64_t blk)
{
	if (blk < fs->blocks_count)
		return 0;
	return ext2_fail(fs, path, -KERR_EIO,
			 "%s %llu beyond end of fs (%llu blocks)", what,
			 (unsigned long long)blk,
			 (unsigned long long)fs->blocks_count);
}

/* A metadata block through the LRU cache. */
static int cache_get(struct ext2_fs *fs, const char *path, const char *what,
		     uint64_t blk, const uint8_t **out)
{
	struct ext2_cache_slot *victim = &fs->cache[0];
	uint32_t i;
	int rc;

	rc = check_block(fs, path, what, blk);
	if (rc < 0)
		return rc;
	fs->clock++;
	for (i = 0; i < EXT2_CACHE_SLOTS; i++) {
		struct ext2_cache_slot *s = &fs->cache[i];

		if (s->valid && s->blk == blk) {
			s->last_use = fs->clock;
			*out = s->data;
			return 0;
		}
		if (!s->valid ||
		    (victim->valid && s->last_use < victim->last_use))
			victim = s;
	}
	victim->valid = false;
	rc = read_blocks(fs, blk, 1, victim->data);
	if (rc < 0)
		return rc;
	victim->valid = true;
	victim->blk = blk;
	victim->last_use = fs->clock;
	*out = victim->data;
	return 0;
}

/* Whether group g holds a superblock and descriptor backup (sparse_super
 * keeps them in groups 0, 1 and powers of 3, 5 and 7; sparse_super2 in
 * the two groups the superblock names). */
static bool group_has_super(const struct ext2_fs *fs, uint32_t g)
{
	static const uint32_t bases[] = { 3, 5, 7 };
	uint32_t i;

	if (g == 0)
		return true;
	if (fs->compat & COMPAT_SPARSE_SUPER2)
		return g == fs->backup_bgs[0] || g == fs->backup_bgs[1];
	if (g == 1 || !(fs->ro_compat & RO_COMPAT_SPARSE_SUPER))
		return true;
	if (!(g & 1))
		return false;
	for (i = 0; i < 3; i++) {
		uint64_t x = bases[i];

		while (x < g)
			x *= bases[i];
		if (x == g)
			return true;
	}
	return false;
}

/* The block holding group g's descriptor. Without meta_bg the table
 * follows the superblock; with it, each meta group of one descriptor
 * block's worth of groups keeps its block in its first group, after the
 * superblock backup if that group has one (blockgroup.rst). */
static uint64_t group_desc_block(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t idx = g >> fs->descs_shift;
	uint64_t base = fs->first_data_block;
	uint32_t bg;

	/* A 1 KiB-block fs with first_data_block 0 (bigalloc) still has
	 * its superblock in block 1. */
	if (fs->bs == 1024 && base == 0)
		base = 1;
	if (!(fs->incompat & INCOMPAT_META_BG) || idx < fs->first_meta_bg)
		return base + 1 + idx;
	bg = idx << fs->descs_shift;
	base = fs->first_data_block + (uint64_t)bg * fs->blocks_per_group;
	if (group_has_super(fs, bg))
		base++;
	if (fs->bs == 1024 && fs->first_data_block == 0 && bg == 0)
		base++;
	return base;
}

static int inode_table_block(struct ext2_fs *fs, const char *path, uint32_t g,
			     uint64_t *out)
{
	const uint8_t *blk, *d;
	int rc;

	rc = cache_get(fs, path, "group descriptor block",
		       group_desc_block(fs, g), &blk);
	if (rc < 0)
		return rc;
	d = blk + ((g & ((1u << fs->descs_shift) - 1)) * fs->desc_size);
	*out = get_le32(d + BG_INODE_TABLE_LO);
	if (fs->desc_size >= EXT4_DESC_SIZE_64BIT)
		*out |= (uint64_t)get_le32(d + BG_INODE_TABLE_HI) << 32;
	return 0;
}

/* Load inode ino into f (all but f->path). */
static int read_inode(struct ext2_fs *fs, const char *path, uint32_t ino,
		      struct ext2_file *f)
{
	uint64_t table, off;
	const uint8_t *blk, *p;
	uint32_t g, idx;
	int rc;

	if (ino == 0 || ino > fs->inodes_count)
		return ext2_fail(fs, path, -KERR_EIO,
				 "inode %u out of range (%u inodes)", ino,
				 fs->inodes_count);
	g = (ino - 1) / fs->inodes_per_group;
	idx = (ino - 1) % fs->inodes_per_group;
	rc = inode_table_block(fs, path, g, &table);
	if (rc < 0)
		return rc;
	off = (uint64_t)idx * fs->inode_size;
	rc = cache_get(fs, path, "inode table block",
		       table + (off >> fs->bs_shift), &blk);
	if (rc < 0)
		return rc;
	p = blk + (off & (fs->bs - 1));

	f->ino = ino;
	f->mode = get_le16(p + I_MODE);
	f->flags = get_le32(p + I_FLAGS);
	f->size = get_le32(p + I_SIZE_LO);
	/* i_size_high was i_dir_acl for directories before largedir. */
	if ((f->mode & S_IFMT) == S_IFREG ||
	    ((f->mode & S_IFMT) == S_IFDIR &&
	     (fs->incompat & INCOMPAT_LARGEDIR)))
		f->size |= (uint64_t)get_le32(p + I_SIZE_HIGH) << 32;
	/* Kept as raw little-endian bytes: indirect pointers and the
	 * extent root are both decoded from them. */
	memcpy(f->block, p + I_BLOCK, I_BLOCK_BYTES);
	if (f->flags & EXT4_INLINE_DATA_FL)
		return ext2_fail(fs, path, -KERR_ENOSYS,
				 "inode %u has inline data (unsupported)", ino);
	return 0;
}

/* The run starting at pointer i of an array of nptrs block pointers: the
 * following pointers that are consecutive, or all zero for a hole. */
static int map_run(struct ext2_fs *fs, struct ext2_file *f, const uint8_t *ptrs,
		   uint32_t nptrs, uint32_t i, struct ext2_map *m)
{
	uint64_t ptr = get_le32(ptrs + 4 * i);
	uint32_t n;

	for (n = 1; i + n < nptrs; n++) {
		uint32_t next = get_le32(ptrs + 4 * (i + n));

		if (ptr ? next != ptr + n : next != 0)
			break;
	}
	m->pblk = ptr;
	m->len = n;
	if (!ptr)
		return 0;
	if (ptr >= fs->blocks_count)
		return check_block(fs, f->path, "block", ptr);
	if (ptr + n > fs->blocks_count)
		m->len = fs->blocks_count - ptr;
	return 0;
}

/* Map through the direct pointers or 1-, 2- or 3-level indirect blocks
 * (ifork.rst, "Direct/Indirect Block Addressing"). */
static int map_indirect(struct ext2_fs *fs, struct ext2_file *f, uint64_t lblk,
			struct ext2_map *m)
{
	const uint8_t *iblock = (const uint8_t *)f->block;
	uint32_t pshift = fs->bs_shift - 2; /* log2(pointers per block) */
	uint64_t per = (uint64_t)1 << pshift;
	const uint8_t *node = iblock;
	uint32_t level, depth, i = 0;
	uint64_t blk, idx = lblk;
	int rc;

	if (idx < EXT2_NDIR_BLOCKS)
		return map_run(fs, f, iblock, EXT2_NDIR_BLOCKS, (uint32_t)idx,
			       m);
	idx -= EXT2_NDIR_BLOCKS;
	if (idx < per) {
		depth = 1;
		blk = get_le32(iblock + 4 * EXT2_IND_BLOCK);
	} else if ((idx -= per) < per << pshift) {
		depth = 2;
		blk = get_le32(iblock + 4 * EXT2_DIND_BLOCK);
	} else if ((idx -= per << pshift) < per << (2 * pshift)) {
		depth = 3;
		blk = get_le32(iblock + 4 * EXT2_TIND_BLOCK);
	} else {
		return ext2_fail(fs, f->path, -KERR_EIO,
				 "file block %llu beyond triple-indirect range",
				 (unsigned long long)lblk);
	}
	/* idx is the block's index in the tree under blk, which covers
	 * per^level blocks. */
	for (level = depth; level > 0; level--) {
		uint32_t shift = (level - 1) * pshift;

		if (blk == 0) {
			m->pblk = 0;
			m->len = ((uint64_t)1 << (level * pshift)) - idx;
			return 0;
		}
		rc = cache_get(fs, f->path, "indirect block", blk, &node);
		if (rc < 0)
			return rc;
		i = (uint32_t)(idx >> shift);
		idx &= ((uint64_t)1 << shift) - 1;
		blk = get_le32(node + 4 * i);
	}
	return map_run(fs, f, node, (uint32_t)per, i, m);
}

/*
 * Map through an extent tree (ifork.rst). Holes between extents and
 * uninitialized extents read as zeros. "limit" is the first logical block
 * not covered by the current node, known from the next index entry, so a
 * hole at the end of a leaf stops there.
 */
static int map_extent(struct ext2_fs *fs, struct ext2_file *f, uint64_t lblk,
		      struct ext2_map *m)
{
	const uint8_t *node = (const uint8_t *)f->block;
	uint32_t node_size = I_BLOCK_BYTES;
	uint64_t limit = (uint64_t)1 << 32, node_blk = 0;
	uint32_t want_depth = 0, magic, entries, max, depth, i;
	bool root = true;
	int rc;

	m->pblk = 0;
	if (lblk >= limit) {
		m->len = limit;
		return 0;
	}
	for (;;) {
		magic = get_le16(node);
		entries = get_le16(node + 2);
		max = get_le16(node + 4);
		depth = get_le16(node + 6);
		if (magic != EXT4_EXT_MAGIC)
			return ext2_fail(fs, f->path, -KERR_EIO,
					 "extent header bad magic 0x%04x in %s "
					 "%llu",
					 magic, root ? "inode" : "block",
					 root ? (unsigned long long)f->ino
					      : (unsigned long long)node_blk);
		if (root && depth > EXT4_EXT_DEPTH_MAX)
			return ext2_fail(fs, f->path, -KERR_EIO,
					 "extent depth %u too big (max %u)",
					 depth, EXT4_EXT_DEPTH_MAX);
		if (!root && depth != want_depth)
			return ext2_fail(fs, f->path, -KERR_EIO,
					 "extent block %llu has depth %u, "
					 "expected %u",
					 (unsigned long long)node_blk, depth,
					 want_depth);
		if (entries > max ||
		    (uint32_t)(max + 1) * EXT4_EXT_ENTRY > node_size)
			return ext2_fail(fs, f->path, -KERR_EIO,
					 "extent node with %u entries (max %u) "
					 "overflows %u bytes",
					 entries, max, node_size);
		if (depth == 0)
			break;

		/* Index node: the last entry starting at or before lblk. */
		for (i = 0; i < entries; i++) {
			const uint8_t *e = node + EXT4_EXT_ENTRY * (i + 1);

			if (get_le32(e) > lblk)
				break;
		}
		if (i == 0) {
			if (entries && get_le32(node + EXT4_EXT_ENTRY) < limit)
				limit = get_le32(node + EXT4_EXT_ENTRY);
			m->len = limit - lblk;
			return 0;
		}
		if (i < entries &&
		    get_le32(node + EXT4_EXT_ENTRY * (i + 1)) < limit)
			limit = get_le32(node + EXT4_EXT_ENTRY * (i + 1));
		node += EXT4_EXT_ENTRY * i;
		node_blk = get_le32(node + 4) | (uint64_t)get_le16(node + 8)
							<< 32;
		rc = cache_get(fs, f->path, "extent block", node_blk, &node);
		if (rc < 0)
			return rc;
		node_size = fs->bs;
		want_depth = depth - 1;
		root = false;
	}

	for (i = 0; i < entries; i++) {
		const uint8_t *e = node + EXT4_EXT_ENTRY * (i + 1);
		uint64_t start = get_le32(e);
		uint32_t len = get_le16(e + 4);
		bool uninit = len > EXT4_EXT_INIT_MAX_LEN;
		uint64_t pstart;

		if (uninit)
			len -= EXT4_EXT_INIT_MAX_LEN;
		if (lblk < start) {
			m->len = (start < limit ? start : limit) - lblk;
			return 0;
		}
		if (lblk >= start + len)
			continue;
		m->len = start + len - lblk;
		if (uninit)
			return 0;
		pstart = get_le32(e + 8) | (uint64_t)get_le16(e + 6) << 32;
		m->pblk = pstart + (lblk - start);
		if (pstart >= fs->blocks_count ||
		    m->pblk + m->len > fs->blocks_count)
			return ext2_fail(fs, f->path, -KERR_EIO,
					 "extent of %u blocks at %llu beyond "
					 "end of fs (%llu blocks)",
					 len, (unsigned long long)pstart,
					 (unsigned long long)fs->blocks_count);
		return 0;
	}
	m->len = limit - lblk;
	return 0;
}

static int map_block(struct ext2_fs *fs, struct ext2_file *f, uint64_t lblk,
		     struct ext2_map *m)
{
	if (f->flags & EXT4_EXTENTS_FL)
		return map_extent(fs, f, lblk, m);
	return map_indirect(fs, f, lblk, m);
}

int64_t ext2_read(struct ext2_fs *fs, struct ext2_file *f, uint64_t off,
		  void *buf, uint64_t len)
{
	uint8_t *out = buf;
	uint64_t done = 0;
	uint32_t mask = fs->bs - 1;
	uint64_t req_max = EXT2_REQ_MAX_BYTES >> fs->bs_shift;
	int rc;

	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = f->size - off;
	if (len > SIZE_MAX)
		len = SIZE_MAX;
	if (len > INT64_MAX)
		len = INT64_MAX;
	while (done < len) {
		uint64_t pos = off + done, lblk = pos >> fs->bs_shift;
		uint32_t in = (uint32_t)(pos & mask);
		uint64_t left = len - done, n, nb, want;
		struct ext2_map m;

		rc = map_block(fs, f, lblk, &m);
		if (rc < 0)
			return rc;
		if (m.len > req_max)
			m.len = req_max;
		if (!m.pblk) {
			n = (m.len << fs->bs_shift) - in;
			if (n > left)
				n = left;
			memset(out + done, 0, (size_t)n);
		} else if (in == 0 && left >= fs->bs) {
			/* Whole blocks straight into the caller's buffer,
			 * extended over mappings that continue physically. */
			want = left >> fs->bs_shift;
			if (want > req_max)
				want = req_max;
			nb = m.len < want ? m.len : want;
			while (nb < want) {
				struct ext2_map next;

				rc = map_block(fs, f, lblk + nb, &next);
				if (rc < 0)
					return rc;
				if (next.pblk != m.pblk + nb)
					break;
				nb += next.len < want - nb ? next.len
							   : want - nb;
			}
			rc = read_blocks(fs, m.pblk, (uint32_t)nb, out + done);
			if (rc < 0)
				return rc;
			n = nb << fs->bs_shift;
		} else {
			if (!fs->bounce_valid || fs->bounce_blk != m.pblk) {
				fs->bounce_valid = false;
				rc = read_blocks(fs, m.pblk, 1, fs->bounce);
				if (rc < 0)
					return rc;
				fs->bounce_valid = true;
				fs->bounce_blk = m.pblk;
			}
			n = fs->bs - in;
			if (n > left)
				n = left;
			memcpy(out + done, fs->bounce + in, (size_t)n);
		}
		done += n;
	}
	return (int64_t)done;
}

/*
 * Find name in directory dir. Each block is scanned linearly: htree
 * interior blocks look like one empty record spanning the block, and
 * the metadata_csum tail like an empty 12-byte record.
 */
static int dir_lookup(struct ext2_fs *fs, struct ext2_file *dir,
		      const char *name, size_t name_len, uint32_t *ino)
{
	uint64_t off;
	int64_t got;

	if ((dir->size >> fs->bs_shift) > fs->blocks_count)
		return ext2_fail(fs, dir->path, -KERR_EIO,
				 "directory inode %u of %llu bytes is larger "
				 "than the fs",
				 dir->ino, (unsigned long long)dir->size);
	for (off = 0; off < dir->size; off += fs->bs) {
		uint32_t pos = 0;

		got = ext2_read(fs, dir, off, fs->dirbuf, fs->bs);
		if (got < 0)
			return (int)got;
		while (pos < (uint32_t)got) {
			const uint8_t *d = fs->dirbuf + pos;
			uint32_t rec, nlen;

			if ((uint32_t)got - pos < DIRENT_HEADER)
				return ext2_fail(
					fs, dir->path, -KERR_EIO,
					"directory inode %u: truncated "
					"entry at offset %llu",
					dir->ino,
					(unsigned long long)(off + pos));
			rec = get_le16(d + 4);
			/* 64 KiB blocks store a whole-block record as
			 * 65535 or 0 (directory.rst). */
			if (fs->bs >= 65536 && (rec == 65535 || rec == 0))
				rec = 65536;
			nlen = d[6];
			if (!(fs->incompat & INCOMPAT_FILETYPE))
				nlen |= (uint32_t)d[7] << 8;
			if (rec < DIRENT_HEADER || (rec & 3) ||
			    rec > (uint32_t)got - pos || nlen > EXT2_NAME_MAX ||
			    nlen + DIRENT_HEADER > rec)
				return ext2_fail(
					fs, dir->path, -KERR_EIO,
					"directory inode %u: bad entry at "
					"offset %llu (rec_len %u, name_len %u)",
					dir->ino,
					(unsigned long long)(off + pos), rec,
					nlen);
			if (get_le32(d) && nlen == name_len &&
			    name_equal(d + DIRENT_HEADER, name, name_len)) {
				*ino = get_le32(d);
				return 0;
			}
			pos += rec;
		}
	}
	return -KERR_ENOENT;
}

/* Put a symlink's target in fs->linkbuf, NUL-terminated. Targets under
 * 60 bytes live in i_block ("fast"), unless the inode uses extents. */
static int read_link(struct ext2_fs *fs, struct ext2_file *link,
		     const char *path, size_t *len)
{
	int64_t got;

	if (link->size == 0 || link->size >= EXT2_PATH_MAX)
		return ext2_fail(fs, path, -KERR_EIO,
				 "symlink inode %u has bad length %llu",
				 link->ino, (unsigned long long)link->size);
	if (link->size < I_BLOCK_BYTES && !(link->flags & EXT4_EXTENTS_FL)) {
		memcpy(fs->linkbuf, link->block, (size_t)link->size);
	} else {
		got = ext2_read(fs, link, 0, fs->linkbuf, link->size);
		if (got < 0)
			return (int)got;
		if ((uint64_t)got != link->size)
			return ext2_fail(fs, path, -KERR_EIO,
					 "symlink inode %u: short read",
					 link->ino);
	}
	*len = (size_t)link->size;
	fs->linkbuf[*len] = '\0';
	return 0;
}

int ext2_open(struct ext2_fs *fs, const char *path, struct ext2_file *f)
{
	size_t path_len = str_len(path), n, rest_len, link_len = 0;
	struct ext2_file dir, next;
	uint32_t links = 0, ino = 0;
	char *p, *comp, *prev = NULL;
	size_t prev_len = 0;
	int rc;

	if (path_len >= EXT2_PATH_MAX)
		return ext2_fail(fs, NULL, -KERR_EINVAL, "path too long");
	if (path[0] != '/')
		return ext2_fail(fs, path, -KERR_EINVAL, "path not absolute");
	memcpy(fs->pathbuf, path, path_len + 1);
	/* Directory errors name the path asked for. */
	n = path_len < sizeof(dir.path) - 1 ? path_len : sizeof(dir.path) - 1;
	memcpy(dir.path, path, n);
	dir.path[n] = '\0';
	memcpy(next.path, dir.path, sizeof(next.path));

	rc = read_inode(fs, path, EXT2_ROOT_INO, &dir);
	if (rc < 0)
		return rc;
	p = fs->pathbuf;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - comp);
		if ((dir.mode & S_IFMT) != S_IFDIR && prev)
			return ext2_fail(fs, path, -KERR_ENOENT,
					 "'%.*s' is not a directory",
					 (int)prev_len, prev);
		if ((dir.mode & S_IFMT) != S_IFDIR)
			return ext2_fail(fs, path, -KERR_ENOENT,
					 "inode %u is not a directory",
					 dir.ino);
		if (n > EXT2_NAME_MAX)
			return ext2_fail(fs, path, -KERR_EINVAL,
					 "name too long");
		rc = dir_lookup(fs, &dir, comp, n, &ino);
		if (rc == -KERR_ENOENT) {
			if (!*p)
				return ext2_fail(fs, path, rc, "not found");
			return ext2_fail(fs, path, rc, "'%.*s' not found",
					 (int)n, comp);
		}
		if (rc < 0)
			return rc;
		rc = read_inode(fs, path, ino, &next);
		if (rc < 0)
			return rc;
		if ((next.mode & S_IFMT) != S_IFLNK) {
			dir = next;
			prev = comp;
			prev_len = n;
			continue;
		}
		if (++links > EXT2_SYMLINK_MAX)
			return ext2_fail(fs, path, -KERR_EINVAL,
					 "too many levels of symbolic links "
					 "(more than %u)",
					 EXT2_SYMLINK_MAX);
		rc = read_link(fs, &next, path, &link_len);
		if (rc < 0)
			return rc;
		/* The rest of the path goes after the target; a relative
		 * target resolves from the directory holding the link. */
		rest_len = str_len(p);
		if (link_len + 1 + rest_len >= EXT2_PATH_MAX)
			return ext2_fail(fs, path, -KERR_EINVAL,
					 "path too long after symlink");
		fs->linkbuf[link_len] = '/';
		memcpy(fs->linkbuf + link_len + 1, p, rest_len + 1);
		memcpy(fs->pathbuf, fs->linkbuf, link_len + 1 + rest_len + 1);
		p = fs->pathbuf;
		prev = NULL;
		if (*p == '/') {
			rc = read_inode(fs, path, EXT2_ROOT_INO, &dir);
			if (rc < 0)
				return rc;
		}
	}
	if ((dir.mode & S_IFMT) != S_IFREG)
		return ext2_fail(fs, path, -KERR_EINVAL,
				 "not a regular file (mode 0%o)", dir.mode);
	*f = dir;
	return 0;
}

static int check_features(struct ext2_fs *fs)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ INCOMPAT_COMPRESSION, "compression" },
		{ INCOMPAT_JOURNAL_DEV, "journal_dev" },
		{ INCOMPAT_DIRDATA, "dirdata" },
		{ INCOMPAT_INLINE_DATA, "inline_data" },
		{ INCOMPAT_ENCRYPT, "encrypt" },
		{ INCOMPAT_CASEFOLD, "casefold" },
	};
	uint32_t bad = fs->incompat & ~INCOMPAT_SUPPORTED, i;

	if (bad & INCOMPAT_RECOVER)
		return ext2_fail(fs, NULL, -KERR_ENOSYS,
				 "file system needs journal recovery "
				 "(INCOMPAT feature 'needs_recovery')");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bad & names[i].bit)
			return ext2_fail(fs, NULL, -KERR_ENOSYS,
					 "unsupported INCOMPAT feature '%s'",
					 names[i].name);
	if (bad)
		return ext2_fail(fs, NULL, -KERR_ENOSYS,
				 "unsupported INCOMPAT feature 0x%x",
				 bad & -bad);
	return 0;
}

/* Check the superblock fields against each other and the partition,
 * then fill fs. Nothing is allocated until this has passed. */
static int parse_super(struct ext2_fs *fs, const uint8_t *sb)
{
	uint32_t log_bs, rev, ds, groups;
	uint64_t data_blocks;

	if (get_le16(sb + SB_MAGIC) != EXT2_MAGIC)
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "bad superblock magic 0x%04x (want 0x%04x)",
				 get_le16(sb + SB_MAGIC), EXT2_MAGIC);
	rev = get_le32(sb + SB_REV_LEVEL);
	if (rev > 1)
		return ext2_fail(fs, NULL, -KERR_ENOSYS,
				 "unsupported revision %u", rev);
	log_bs = get_le32(sb + SB_LOG_BLOCK_SIZE);
	if (log_bs > EXT2_LOG_BLOCK_MAX)
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "block size 1024 << %u out of range "
				 "(1 KiB..64 KiB)",
				 log_bs);
	fs->bs_shift = 10 + log_bs;
	fs->bs = 1u << fs->bs_shift;
	if (rev >= 1) {
		fs->compat = get_le32(sb + SB_FEATURE_COMPAT);
		fs->incompat = get_le32(sb + SB_FEATURE_INCOMPAT);
		fs->ro_compat = get_le32(sb + SB_FEATURE_RO_COMPAT);
	}
	fs->blocks_count = get_le32(sb + SB_BLOCKS_COUNT_LO);
	if (fs->incompat & INCOMPAT_64BIT)
		fs->blocks_count |= (uint64_t)get_le32(sb + SB_BLOCKS_COUNT_HI)
				    << 32;
	fs->first_data_block = get_le32(sb + SB_FIRST_DATA_BLOCK);
	fs->blocks_per_group = get_le32(sb + SB_BLOCKS_PER_GROUP);
	fs->inodes_per_group = get_le32(sb + SB_INODES_PER_GROUP);
	fs->inodes_count = get_le32(sb + SB_INODES_COUNT);
	fs->first_meta_bg = get_le32(sb + SB_FIRST_META_BG);
	fs->backup_bgs[0] = get_le32(sb + SB_BACKUP_BGS);
	fs->backup_bgs[1] = get_le32(sb + SB_BACKUP_BGS + 4);

	if (fs->first_data_block > 1 ||
	    fs->blocks_count <= fs->first_data_block)
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "bad first data block %u (%llu blocks)",
				 fs->first_data_block,
				 (unsigned long long)fs->blocks_count);
	if (fs->sectors && fs->blocks_count > fs->sectors >> (fs->bs_shift - 9))
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "%llu blocks of %u bytes do not fit the "
				 "partition (%llu sectors)",
				 (unsigned long long)fs->blocks_count, fs->bs,
				 (unsigned long long)fs->sectors);
	if (fs->blocks_per_group == 0 || fs->inodes_per_group == 0 ||
	    fs->inodes_per_group > 8 * fs->bs)
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "bad group geometry (%u blocks, %u inodes "
				 "per group)",
				 fs->blocks_per_group, fs->inodes_per_group);
	/* Groups from the inode count, then checked against the blocks:
	 * this needs no 64-bit division in the 32-bit loader. */
	groups = fs->inodes_count / fs->inodes_per_group;
	data_blocks = fs->blocks_count - fs->first_data_block;
	if (groups == 0 ||
	    (uint64_t)groups * fs->inodes_per_group != fs->inodes_count ||
	    (uint64_t)(groups - 1) * fs->blocks_per_group >= data_blocks ||
	    (uint64_t)groups * fs->blocks_per_group < data_blocks)
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "groups count inconsistent with blocks count "
				 "(%u inodes, %u per group; %llu blocks, %u "
				 "per group)",
				 fs->inodes_count, fs->inodes_per_group,
				 (unsigned long long)fs->blocks_count,
				 fs->blocks_per_group);
	fs->groups = groups;

	fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
	if (rev >= 1)
		fs->inode_size = get_le16(sb + SB_INODE_SIZE);
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
	    fs->inode_size > fs->bs || (fs->inode_size & (fs->inode_size - 1)))
		return ext2_fail(fs, NULL, -KERR_EINVAL,
				 "inode size %u invalid", fs->inode_size);

	ds = EXT2_DESC_SIZE;
	if (fs->incompat & INCOMPAT_64BIT) {
		ds = get_le16(sb + SB_DESC_SIZE);
		if (ds < EXT4_DESC_SIZE_64BIT || ds > EXT4_DESC_SIZE_MAX ||
		    (ds & (ds - 1)))
			return ext2_fail(fs, NULL, -KERR_EINVAL,
					 "group descriptor size %u invalid",
					 ds);
	}
	fs->desc_size = ds;
	fs->descs_shift = 0;
	while ((ds << fs->descs_shift) < fs->bs)
		fs->descs_shift++;
	return check_features(fs);
}

int ext2_mount(struct loader *ld, uint64_t first_lba, uint64_t sectors,
	       struct ext2_fs **out)
{
	struct ext2_fs tmp = { 0 }, *fs;
	uint8_t *sb;
	uint32_t i;
	int rc;

	tmp.ld = ld;
	tmp.first_lba = first_lba;
	tmp.sectors = sectors;
	if (sectors && sectors < (SB_OFFSET + SB_SIZE) / SECTOR_SIZE)
		return ext2_fail(&tmp, NULL, -KERR_EINVAL,
				 "partition too small (%llu sectors)",
				 (unsigned long long)sectors);
	sb = loader_alloc(ld, SB_SIZE, 16);
	if (!sb)
		return -KERR_ENOMEM;
	rc = loader_read(ld, first_lba + SB_OFFSET / SECTOR_SIZE,
			 SB_SIZE / SECTOR_SIZE, sb);
	if (rc < 0)
		return rc;
	rc = parse_super(&tmp, sb);
	if (rc < 0)
		return rc;

	fs = loader_alloc(ld, sizeof(*fs), 16);
	if (!fs)
		return -KERR_ENOMEM;
	*fs = tmp;
	fs->bounce = loader_alloc(ld, fs->bs, 16);
	fs->dirbuf = loader_alloc(ld, fs->bs, 16);
	fs->pathbuf = loader_alloc(ld, EXT2_PATH_MAX, 16);
	fs->linkbuf = loader_alloc(ld, EXT2_PATH_MAX, 16);
	if (!fs->bounce || !fs->dirbuf || !fs->pathbuf || !fs->linkbuf)
		return -KERR_ENOMEM;
	for (i = 0; i < EXT2_CACHE_SLOTS; i++) {
		fs->cache[i].data = loader_alloc(ld, fs->bs, 16);
		if (!fs->cache[i].data)
			return -KERR_ENOMEM;
	}
	*out = fs;
	return 0;
}

uint32_t ext2_block_size(const struct ext2_fs *fs)
{
	return fs->bs;
}
