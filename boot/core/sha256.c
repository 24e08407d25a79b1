/*
 * SHA-256 as specified in FIPS 180-4: §4.1.2 (functions), §4.2.2 (the
 * constants K: first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes), §5.1.1 (padding), §5.3.3 (initial hash: square
 * roots of the first 8 primes) and §6.2.2 (the compression). Big-endian
 * words throughout; no table beyond K, so it stays small in stage 2.
 */
#include <kernel/lib.h>

#include "sha256.h"

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t sha256_ror(uint32_t x, unsigned int n)
{
	return x >> n | x << (32 - n);
}

static uint32_t sha256_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* §6.2.2: one 512-bit block into the hash state. */
static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2, s0, s1;
	unsigned int t;

	for (t = 0; t < 16; t++)
		w[t] = sha256_be32(p + 4 * t);
	for (t = 16; t < 64; t++) {
		s0 = sha256_ror(w[t - 15], 7) ^ sha256_ror(w[t - 15], 18) ^
		     w[t - 15] >> 3;
		s1 = sha256_ror(w[t - 2], 17) ^ sha256_ror(w[t - 2], 19) ^
		     w[t - 2] >> 10;
		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh +
		     (sha256_ror(e, 6) ^ sha256_ror(e, 11) ^
		      sha256_ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha256_k[t] + w[t];
		t2 = (sha256_ror(a, 2) ^ sha256_ror(a, 13) ^
		      sha256_ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void sha256_init(struct sha256_ctx *c)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, h0, sizeof(h0));
	c->bytes = 0;
	c->fill = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	c->bytes += len;
	while (len) {
		if (c->fill == 0 && len >= SHA256_BLOCK_SIZE) {
			sha256_block(c->h, p);
			p += SHA256_BLOCK_SIZE;
			len -= SHA256_BLOCK_SIZE;
			continue;
		}
		n = SHA256_BLOCK_SIZE - c->fill;
		if (n > len)
			n = len;
		memcpy(c->block + c->fill, p, n);
		c->fill += (uint32_t)n;
		p += n;
		len -= n;
		if (c->fill == SHA256_BLOCK_SIZE) {
			sha256_block(c->h, c->block);
			c->fill = 0;
		}
	}
}

/* §5.1.1: a 1 bit, zeros, then the length in bits as 64-bit big-endian. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE])
{
	uint64_t bits = c->bytes * 8;
	unsigned int i;

	c->block[c->fill++] = 0x80;
	if (c->fill > SHA256_BLOCK_SIZE - 8) {
		memset(c->block + c->fill, 0, SHA256_BLOCK_SIZE - c->fill);
		sha256_block(c->h, c->block);
		c->fill = 0;
	}
	memset(c->block + c->fill, 0, SHA256_BLOCK_SIZE - 8 - c->fill);
	for (i = 0; i < 8; i++)
		c->block[SHA256_BLOCK_SIZE - 1 - i] =
			(uint8_t)(bits >> (8 * i));
	sha256_block(c->h, c->block);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}
