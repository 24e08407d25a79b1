/*
 * The trust anchor itself (trust.h). It is volatile so that the compiler
 * cannot fold the unset values into the code: mkimage patches the bytes
 * in the file.
 */
#include "trust.h"

static volatile const struct trust_anchor anchor
	__attribute__((used, aligned(16))) = {
		.magic = TRUST_MAGIC,
	};

bool trust_locked(void)
{
	return anchor.locked == 1;
}

const uint8_t *trust_cfg_sha256(void)
{
	return (const uint8_t *)anchor.cfg_sha256;
}
