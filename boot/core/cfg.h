/*
 * /boot/boot.cfg: line-based; docs/boot-cfg.md is the reference.
 *
 *   # comment
 *   kernel /boot/app.elf
 *   cmdline -uart=io:0x3f8 -- arg1 arg2
 *   module /boot/data.txt
 *
 * Errors give the line number: "boot.cfg:3: unknown key 'kernal'".
 */
#ifndef BOOT_CFG_H
#define BOOT_CFG_H

#include "loader.h"

#define CFG_PATH_MAX 256
#define CFG_CMDLINE_MAX 2048
#define CFG_MODULES_MAX 16
#define CFG_DEFAULT_KERNEL "/boot/kernel.elf"

struct boot_cfg {
	char kernel[CFG_PATH_MAX];
	char cmdline[CFG_CMDLINE_MAX];
	uint32_t module_count;
	char modules[CFG_MODULES_MAX][CFG_PATH_MAX];
	/* SHA-256 of the kernel, if the file names one ("sha256 HEX"). */
	bool has_kernel_sha256;
	uint8_t kernel_sha256[32];
};

/* Parse the text of a boot.cfg (len bytes, need not be NUL-terminated). */
int cfg_parse(struct loader *ld, const char *text, size_t len,
	      struct boot_cfg *cfg);

#endif
