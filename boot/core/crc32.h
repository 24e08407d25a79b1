/*
 * CRC-32 as used by GPT (UEFI spec 2.10, section 5.3.2) and zlib: the
 * reflected polynomial 0xEDB88320, initial value and final XOR ~0.
 */
#ifndef BOOT_CRC32_H
#define BOOT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over more bytes; start with crc = 0. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
