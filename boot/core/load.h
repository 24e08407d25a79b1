/*
 * The loading sequence both loaders share: find the ext2 partition, read
 * /boot/boot.cfg, check and load the kernel ELF (verifying its SHA-256
 * when boot.cfg names one) and the modules. Where things may go in
 * memory is the firmware side's business, asked through struct load_ops:
 * the BIOS stage 2 checks its E820 map, the UEFI loader allocates pages.
 */
#ifndef BOOT_LOAD_H
#define BOOT_LOAD_H

#include "cfg.h"
#include "elf.h"
#include "ext2.h"
#include "loader.h"
#include "part.h"
#include <skiff/bootinfo.h>

#define LOAD_CFG_PATH "/boot/boot.cfg"
#define LOAD_CFG_MAX_BYTES (64 * 1024)
#define LOAD_PAGE_SIZE 4096

struct load_ops {
	/* Make [base, base + size) the kernel's (type BOOT_MEM_KERNEL, a
	 * PT_LOAD segment) or a module's (BOOT_MEM_BOOTLOADER); what names
	 * it in errors ("elf: /boot/app.elf: segment 1"). */
	int (*claim)(void *ctx, struct loader *ld, const char *what,
		     uint64_t base, uint64_t size, uint32_t type);
	/* Choose and claim page-aligned room for size bytes of a module,
	 * preferably at or above hint, below 4 GiB. */
	int (*place)(void *ctx, struct loader *ld, const char *what,
		     uint64_t hint, uint64_t size, uint64_t *addr);
	void *ctx;
	/* If set, boot.cfg must hash to this (a signed loader's anchor). */
	const uint8_t *cfg_sha256;
};

struct boot_files {
	struct boot_cfg *cfg;
	struct elf_image img;
	uint64_t kernel_size;
	struct boot_module *modules; /* cfg->module_count of them */
	char *cmdline;		     /* NUL-terminated copy */
};

/* Read the partition table and mount the first ext2 partition on it. */
int load_mount_root(struct loader *ld, struct part_table *pt,
		    const struct part **root, struct ext2_fs **fs);

/* boot.cfg, kernel and modules, in that order. */
int load_boot_files(struct loader *ld, struct ext2_fs *fs,
		    const struct load_ops *ops, struct boot_files *out);

/* The parts of the boot info that come from what was loaded: header,
 * command line, modules, boot partition, loader name. The firmware side
 * adds the rest (memory map, RSDP, drive, framebuffer, time stamps). */
void load_boot_info_init(struct boot_info *bi, const struct boot_files *f,
			 const struct part_table *pt, const struct part *root,
			 uint32_t firmware, const char *loader_name);

#endif
