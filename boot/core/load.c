/*
 * The shared loading sequence (load.h). Everything read from the disk is
 * checked by the parsers first; nothing is written to memory the firmware
 * side has not claimed for it.
 */
#include "load.h"
#include "sha256.h"
#include <kernel/lib.h>
#include <kernel/printf.h>

#define HASH_CHUNK (64 * 1024)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static char *dup_str(struct loader *ld, const char *s)
{
	size_t n = 0;
	char *p;

	while (s[n])
		n++;
	p = loader_alloc(ld, n + 1, 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

int load_mount_root(struct loader *ld, struct part_table *pt,
		    const struct part **root, struct ext2_fs **fs)
{
	int rc = part_read_table(ld, pt);

	if (rc < 0)
		return rc;
	rc = part_find_ext2(ld, pt, root);
	if (rc < 0)
		return rc;
	return ext2_mount(ld, (*root)->first_lba, (*root)->sectors, fs);
}

static int read_cfg(struct loader *ld, struct ext2_fs *fs,
		    const struct load_ops *ops, struct boot_cfg *cfg)
{
	struct ext2_file f;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char *text;
	int64_t n;
	int rc = ext2_open(fs, LOAD_CFG_PATH, &f);

	if (rc < 0)
		return rc;
	if (f.size > LOAD_CFG_MAX_BYTES)
		return loader_fail(
			ld, -KERR_E2BIG,
			"boot.cfg: %llu bytes; at most %u are allowed",
			(unsigned long long)f.size, LOAD_CFG_MAX_BYTES);
	text = loader_alloc(ld, (size_t)f.size + 1, 1);
	if (!text)
		return -KERR_ENOMEM;
	n = ext2_read(fs, &f, 0, text, f.size);
	if (n < 0)
		return (int)n;
	if (ops->cfg_sha256) {
		sha256(text, (size_t)n, digest);
		if (memcmp(digest, ops->cfg_sha256, sizeof(digest)) != 0)
			return loader_fail(
				ld, -KERR_EINVAL,
				"boot.cfg: SHA-256 does not match the "
				"one signed into the loader");
	}
	return cfg_parse(ld, text, (size_t)n, cfg);
}

/* Hash the whole kernel file before any of it is used. */
static int verify_kernel(struct loader *ld, struct ext2_fs *fs,
			 struct ext2_file *f, const struct boot_cfg *cfg)
{
	uint8_t *buf = loader_alloc(ld, HASH_CHUNK, 16);
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;

	if (!buf)
		return -KERR_ENOMEM;
	sha256_init(&c);
	for (uint64_t off = 0; off < f->size; off += HASH_CHUNK) {
		int64_t n = ext2_read(fs, f, off, buf, HASH_CHUNK);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return loader_fail(ld, -KERR_EIO,
					   "ext2: %s: short read", cfg->kernel);
		sha256_update(&c, buf, (size_t)n);
	}
	sha256_final(&c, digest);
	if (memcmp(digest, cfg->kernel_sha256, sizeof(digest)) != 0)
		return loader_fail(ld, -KERR_EINVAL,
				   "%s: SHA-256 does not match boot.cfg; "
				   "refusing to boot it",
				   cfg->kernel);
	return 0;
}

static int load_kernel(struct loader *ld, struct ext2_fs *fs,
		       const struct load_ops *ops, struct boot_files *out)
{
	const struct boot_cfg *cfg = out->cfg;
	struct elf_image *img = &out->img;
	uint8_t *head = loader_alloc(ld, ELF_HEAD_BYTES, 16);
	char what[CFG_PATH_MAX + 32];
	struct ext2_file f;
	int64_t n;
	int rc;

	if (!head)
		return -KERR_ENOMEM;
	rc = ext2_open(fs, cfg->kernel, &f);
	if (rc < 0)
		return rc;
	if (cfg->has_kernel_sha256 && (rc = verify_kernel(ld, fs, &f, cfg)) < 0)
		return rc;
	n = ext2_read(fs, &f, 0, head,
		      f.size < ELF_HEAD_BYTES ? f.size : ELF_HEAD_BYTES);
	if (n < 0)
		return (int)n;
	rc = elf_parse(ld, cfg->kernel, head, (size_t)n, f.size, img);
	if (rc < 0)
		return rc;
	/* Claim every segment before reading any, in whole pages: the
	 * kernel maps itself page by page. */
	for (uint32_t i = 0; i < img->count; i++) {
		const struct elf_segment *seg = &img->seg[i];
		uint64_t lo = seg->paddr & ~(uint64_t)(LOAD_PAGE_SIZE - 1);
		uint64_t hi = align_up(seg->paddr + seg->memsz, LOAD_PAGE_SIZE);

		ksnprintf(what, sizeof(what), "elf: %s: segment %u",
			  cfg->kernel, i);
		rc = ops->claim(ops->ctx, ld, what, lo, hi - lo,
				BOOT_MEM_KERNEL);
		if (rc < 0)
			return rc;
	}
	for (uint32_t i = 0; i < img->count; i++) {
		const struct elf_segment *seg = &img->seg[i];
		uint8_t *dst = (uint8_t *)(uintptr_t)seg->paddr;

		n = ext2_read(fs, &f, seg->offset, dst, seg->filesz);
		if (n < 0)
			return (int)n;
		if ((uint64_t)n != seg->filesz)
			return loader_fail(ld, -KERR_EIO,
					   "elf: %s: segment %u is cut short "
					   "by end of file",
					   cfg->kernel, i);
		memset(dst + seg->filesz, 0, seg->memsz - seg->filesz);
	}
	out->kernel_size = f.size;
	return 0;
}

static int load_modules(struct loader *ld, struct ext2_fs *fs,
			const struct load_ops *ops, struct boot_files *out)
{
	const struct boot_cfg *cfg = out->cfg;
	uint64_t hint = align_up(out->img.highest, LOAD_PAGE_SIZE);
	char what[CFG_PATH_MAX + 16];

	if (!cfg->module_count)
		return 0;
	out->modules =
		loader_alloc(ld, cfg->module_count * sizeof(*out->modules), 8);
	if (!out->modules)
		return -KERR_ENOMEM;
	for (uint32_t i = 0; i < cfg->module_count; i++) {
		const char *path = cfg->modules[i];
		struct boot_module *m = &out->modules[i];
		struct ext2_file f;
		uint64_t addr = 0;
		int64_t n;
		int rc = ext2_open(fs, path, &f);

		if (rc < 0)
			return rc;
		ksnprintf(what, sizeof(what), "module: %s", path);
		rc = ops->place(ops->ctx, ld, what, hint, f.size, &addr);
		if (rc < 0)
			return rc;
		n = ext2_read(fs, &f, 0, (void *)(uintptr_t)addr, f.size);
		if (n < 0)
			return (int)n;
		if ((uint64_t)n != f.size)
			return loader_fail(ld, -KERR_EIO,
					   "ext2: %s: short read (%lld of %llu "
					   "bytes)",
					   path, (long long)n,
					   (unsigned long long)f.size);
		m->addr = addr;
		m->size = f.size;
		m->name = (uintptr_t)dup_str(ld, path);
		m->reserved = 0;
		if (!m->name)
			return -KERR_ENOMEM;
		hint = align_up(addr + f.size, LOAD_PAGE_SIZE);
	}
	return 0;
}

int load_boot_files(struct loader *ld, struct ext2_fs *fs,
		    const struct load_ops *ops, struct boot_files *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->cfg = loader_alloc(ld, sizeof(*out->cfg), 8);
	if (!out->cfg)
		return -KERR_ENOMEM;
	rc = read_cfg(ld, fs, ops, out->cfg);
	if (rc < 0)
		return rc;
	rc = load_kernel(ld, fs, ops, out);
	if (rc < 0)
		return rc;
	rc = load_modules(ld, fs, ops, out);
	if (rc < 0)
		return rc;
	out->cmdline = dup_str(ld, out->cfg->cmdline);
	return out->cmdline ? 0 : -KERR_ENOMEM;
}

void load_boot_info_init(struct boot_info *bi, const struct boot_files *f,
			 const struct part_table *pt, const struct part *root,
			 uint32_t firmware, const char *loader_name)
{
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->firmware = firmware;
	bi->cmdline = (uintptr_t)f->cmdline;
	bi->modules = (uintptr_t)f->modules;
	bi->module_count = f->cfg->module_count;
	bi->disk.bios_drive = 0xffffffff;
	bi->disk.partition = root->index;
	bi->disk.partition_lba = root->first_lba;
	memcpy(bi->disk.disk_id, pt->disk_id, sizeof(bi->disk.disk_id));
	bi->loader_name = (uintptr_t)loader_name;
}
