/*
 * libFuzzer harness for the placement check. The input is 16 bytes of
 * base and size, one byte splitting what follows, then 24-byte
 * boot_mem_range records: the first ones are the map, the rest the
 * reservations. meson test --suite fuzz runs it for 15 s on
 * corpus-memcheck/; for a longer run:
 *
 *   mkdir -p /tmp/mem-corpus
 *   build/tests/loader/cfg/fuzz-memcheck /tmp/mem-corpus \
 *       tests/loader/cfg/corpus-memcheck -max_total_time=3600
 *
 * On success it re-checks by brute force: no reservation overlaps the
 * range, and both ends lie in usable entries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memcheck.h"

#define MAX_RANGES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_usable(const struct boot_mem_range *map, uint32_t n,
		      uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (map[i].type == BOOT_MEM_USABLE && addr >= map[i].base &&
		    addr - map[i].base < map[i].length)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_mem_range *r;
	uint64_t base, len, end;
	uint32_t n, split, i;
	struct loader ld;
	int rc;

	if (size < 17)
		return 0;
	memcpy(&base, data, 8);
	memcpy(&len, data + 8, 8);
	n = (uint32_t)((size - 17) / sizeof(*r));
	if (n > MAX_RANGES)
		n = MAX_RANGES;
	split = n ? data[16] % (n + 1) : 0;
	r = malloc(n ? n * sizeof(*r) : 1);
	if (!r)
		return 0;
	memcpy(r, data + 17, n * sizeof(*r));
	memset(&ld, 0, sizeof(ld));
	rc = mem_check_range(&ld, "fuzz:", r, split, r + split, n - split, base,
			     len);
	if (rc == 0 && len) {
		end = base + len;
		if (end < base || !in_usable(r, split, base) ||
		    !in_usable(r, split, end - 1))
			__builtin_trap();
		for (i = split; i < n; i++) {
			if (r[i].length && r[i].base < end &&
			    (base < r[i].base ||
			     base - r[i].base < r[i].length))
				__builtin_trap();
		}
	} else if (rc != 0 && strncmp(ld.error, "fuzz: ", 6) != 0) {
		__builtin_trap();
	}
	free(r);
	return 0;
}
