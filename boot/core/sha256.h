/*
 * SHA-256 (FIPS 180-4 §6.2), used to check the kernel file against the
 * "sha256" key of boot.cfg. Streaming: the loader hashes the file as it
 * reads it, block by block.
 */
#ifndef BOOT_SHA256_H
#define BOOT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
	uint32_t h[8];
	uint64_t bytes; /* message length so far */
	uint8_t block[SHA256_BLOCK_SIZE];
	uint32_t fill; /* bytes waiting in block[] */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);

/* One-shot: out = SHA-256(data[0..len)). */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

#endif
