/*
 * libFuzzer harness for the URL and form decoding: the input is taken as
 * a request target, a query, a form body's media type and a path to
 * clean, in turn.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static void add(void *ctx, const char *k, size_t kn, const char *v, size_t vn)
{
	size_t *n = ctx;

	/* Touch every byte, so that ASan sees a bad span. */
	for (size_t i = 0; i < kn; i++)
		*n += (unsigned char)k[i];
	for (size_t i = 0; i < vn; i++)
		*n += (unsigned char)v[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sbuf out = { 0 }, err = { 0 };
	struct go_url u;
	size_t sum = 0;
	bool form;

	if (url_parse_request(&u, s, size) == 0) {
		url_string(&out, &u);
		url_free(&u);
	}
	out.len = 0;
	url_parse_query(s, size, add, &sum, &err);
	err.len = 0;
	url_media_type(s, size, &form, &err);
	url_clean_path(&out, s, size);
	/* A cleaned path is clean. */
	if (out.len == 0 || out.p[0] != '/')
		abort();
	sbuf_free(&out);
	sbuf_free(&err);
	return 0;
}
