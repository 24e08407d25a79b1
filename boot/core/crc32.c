/*
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) for the GPT
 * header and entry array checks, UEFI spec 2.10, section 5.3.2. Computed
 * a nibble at a time from a 16-entry table built on each call: the loader
 * checks at most a few tens of KiB, so speed matters less than size.
 */
#include "crc32.h"

static uint32_t crc32_nibble(uint32_t crc)
{
	int i;

	for (i = 0; i < 4; i++)
		crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	return crc;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t table[16];
	size_t i;

	for (i = 0; i < 16; i++)
		table[i] = crc32_nibble((uint32_t)i);
	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ table[crc & 15];
		crc = (crc >> 4) ^ table[crc & 15];
	}
	return ~crc;
}
