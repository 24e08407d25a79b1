/*
 * libFuzzer harness for Go's quoting: whatever the bytes, the result is
 * quoted, holds no control byte, and is valid UTF-8 made of printable
 * runes and escapes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "goquote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf b = { 0 };

	go_quote(&b, (const char *)data, size);
	if (b.oom)
		return 0;
	if (b.len < 2 || b.p[0] != '"' || b.p[b.len - 1] != '"')
		abort();
	for (size_t i = 0; i < b.len;) {
		uint32_t r;
		size_t w = go_utf8_decode((const unsigned char *)b.p + i,
					  b.len - i, &r);

		if ((r == GO_RUNE_ERROR && w == 1) || !go_isprint(r))
			abort();
		i += w;
	}
	sbuf_free(&b);
	return 0;
}
