/*
 * libFuzzer harness for the request path: the head parser fed in two
 * pieces (the split taken from the first byte), net/http's checks, the
 * routing and the echo text, then the rest of the input as a chunked
 * body. Sanitizers catch what goes wrong; the parser must also agree
 * with itself whatever the split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_parser p, q;
	struct http_request r;
	struct http_refusal why;
	enum http_head_result a, b;
	char *buf, *buf2;
	size_t split;

	if (size < 1)
		return 0;
	split = size > 1 ? data[0] % size : 0;
	data++;
	size--;
	buf = malloc(size + 1);
	buf2 = malloc(size + 1);
	memcpy(buf, data, size);
	memcpy(buf2, data, size);
	http_parser_init(&p);
	http_parser_init(&q);
	a = http_parse_head(&p, buf, split < size ? split : size);
	if (a == HTTP_HEAD_MORE)
		a = http_parse_head(&p, buf, size);
	b = http_parse_head(&q, buf2, size);
	if (a != b || (a == HTTP_HEAD_OK && p.pos != q.pos))
		abort();
	if (a == HTTP_HEAD_OK && http_request_check(&r, &p, buf, &why) == 0) {
		struct sbuf url = { 0 }, out = { 0 }, err = { 0 };
		struct echo_form f;
		struct http_body body;
		uint64_t got = 0;

		echo_route(&r, &url);
		echo_write_prefix(&out, &r, "192.0.2.1:1234");
		echo_form_prepare(&f, &r);
		http_body_init(&body, BODY_CHUNKED, 0);
		http_body_feed(&body, buf + p.pos, size - p.pos, &out, &got,
			       UINT64_MAX);
		f.read_body = true;
		f.body = (struct span){ out.p ? out.p : "", out.len };
		echo_write_form(&out, &r, &f, &err);
		echo_form_free(&f);
		sbuf_free(&url);
		sbuf_free(&out);
		sbuf_free(&err);
	}
	http_parser_free(&p);
	http_parser_free(&q);
	free(buf);
	free(buf2);
	return 0;
}
