/*
 * The trust anchor of a signed BOOTX64.EFI (docs/secure-boot.md): a
 * SHA-256 of boot.cfg, written into the binary by 'scripts/mkimage
 * --sign' before sbsign signs it. Secure Boot checks the signature over
 * the whole binary, anchor included; the loader checks boot.cfg against
 * the anchor, and boot.cfg's sha256 line covers the kernel. An unsigned
 * build has the anchor unset and checks nothing beyond boot.cfg's own
 * kernel hash, if it has one.
 */
#ifndef UEFI_TRUST_H
#define UEFI_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#define TRUST_MAGIC "SKIFF-ANCHOR-V1"

struct trust_anchor {
	char magic[16];		/* TRUST_MAGIC, NUL-padded */
	uint8_t cfg_sha256[32]; /* SHA-256 of /boot/boot.cfg */
	uint32_t locked;	/* 1: enforce cfg_sha256 */
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct trust_anchor) == 56, "layout");

bool trust_locked(void);
const uint8_t *trust_cfg_sha256(void);

#endif
