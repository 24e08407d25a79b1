/*
 * Unit tests of the echo server's pure parts: Go's quoting, canonical
 * header names, request targets, path cleaning, queries and media types
 * against go_vectors.txt (strings Go 1.19 produced: strconv.Quote,
 * textproto.CanonicalMIMEHeaderKey, url.ParseRequestURI + String(),
 * ServeMux's cleanPath, url.ParseQuery, mime.ParseMediaType; one case a
 * line, tab-separated, strings in hex), then the request parser and the
 * chunked decoder against rules written here.
 *
 *   test-echo tests/echo/go_vectors.txt
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "goquote.h"
#include "http_parse.h"
#include "sbuf.h"
#include "url.h"

static int failures, checks;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		checks++;                                                      \
		if (!(cond)) {                                                 \
			failures++;                                            \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

static size_t unhex(const char *h, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned v;

		sscanf(h + i, "%2x", &v);
		out[o++] = (char)v;
	}
	return o;
}

static bool same(const struct sbuf *b, const char *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

struct pairs {
	struct sbuf *out;
};

static void add_pair(void *ctx, const char *k, size_t kn, const char *v,
		     size_t vn)
{
	struct sbuf *list = ctx;

	/* one "k=v\n" per value, sorted below by key */
	sbuf_add(&list[0], k, kn);
	sbuf_addc(&list[0], '=');
	sbuf_add(&list[0], v, vn);
	sbuf_addc(&list[0], '\n');
}

static int line_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t kx = strcspn(x, "=\n"), ky = strcspn(y, "=\n");
	size_t n = kx < ky ? kx : ky;
	int c = memcmp(x, y, n);

	if (c)
		return c;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: keep value order */
}

/* ParseQuery's map printed as Go's generator did: sorted keys, one
 * "k=v" line per value (no vector has a newline in a key or value). */
static void query_listing(struct sbuf *raw, struct sbuf *out)
{
	const char *lines[64];
	size_t n = 0;

	for (size_t i = 0; i < raw->len && n < 64;) {
		char *nl = memchr(raw->p + i, '\n', raw->len - i);

		lines[n++] = raw->p + i;
		i = (size_t)(nl - raw->p) + 1;
	}
	qsort(lines, n, sizeof(lines[0]), line_cmp);
	for (size_t i = 0; i < n; i++)
		sbuf_add(out, lines[i],
			 (size_t)((const char *)memchr(lines[i], '\n', 4096) -
				  lines[i]) +
				 1);
}

static void run_vectors(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[16384];
	int n = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *kind = strtok(line, "\t\n"), *a = strtok(NULL, "\t\n");
		char *b = strtok(NULL, "\t\n"), *c = strtok(NULL, "\t\n");
		static char in[8192], want[8192], want2[8192];
		size_t inn, wn, wn2 = 0;
		struct sbuf out = { 0 }, err = { 0 };

		if (!kind)
			continue;
		if (a && !strcmp(a, "-"))
			a = NULL;
		inn = a ? unhex(a, strlen(a), in) : 0;
		/* strtok skips empty fields: an empty hex string is absent */
		if (!strcmp(kind, "quote")) {
			if (!b) {
				b = a;
				inn = 0;
			}
			wn = unhex(b, strlen(b), want);
			go_quote(&out, in, inn);
			CHECK(same(&out, want, wn), "quote %s: got %.*s", a,
			      (int)out.len, out.p);
		} else if (!strcmp(kind, "key")) {
			wn = unhex(b, strlen(b), want);
			memcpy(want2, in, inn);
			http_canonical_key(want2, inn);
			CHECK(inn == wn && !memcmp(want2, want, wn),
			      "key %s: got %.*s", a, (int)inn, want2);
		} else if (!strcmp(kind, "url")) {
			struct go_url u;
			int r;

			if (!b) {
				b = a;
				inn = 0;
			}
			r = url_parse_request(&u, in, inn);
			if (!strcmp(b, "ERR")) {
				CHECK(r < 0, "url %s: parsed, Go refuses", a);
			} else {
				wn = unhex(b, strlen(b), want);
				CHECK(r == 0, "url %s: refused", a);
				if (r == 0)
					url_string(&out, &u);
				CHECK(same(&out, want, wn), "url %s: got %.*s",
				      a, (int)out.len, out.p);
			}
			if (r == 0)
				url_free(&u);
		} else if (!strcmp(kind, "clean")) {
			if (!b) {
				b = a;
				inn = 0;
			}
			wn = unhex(b, strlen(b), want);
			url_clean_path(&out, in, inn);
			CHECK(same(&out, want, wn), "clean %s: got %.*s", a,
			      (int)out.len, out.p);
		} else if (!strcmp(kind, "query") || !strcmp(kind, "media")) {
			/* Fields may be empty: re-split the raw line. */
			continue;
		}
		sbuf_free(&out);
		sbuf_free(&err);
		(void)c;
		(void)wn2;
		n++;
	}
	fclose(f);
	CHECK(n > 400, "only %d vectors read from %s", n, path);
}

/* The query and media lines have empty fields, so they are split by
 * hand: kind \t a \t b [\t c]. */
static void run_vectors_fields(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[16384];

	while (f && fgets(line, sizeof(line), f)) {
		char *fld[4] = { 0 };
		int nf = 0;
		char *p = line;
		static char in[8192], want[8192], werr[8192];
		size_t inn, wn, en;
		struct sbuf raw = { 0 }, out = { 0 }, err = { 0 };

		line[strcspn(line, "\n")] = '\0';
		while (nf < 4) {
			fld[nf++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (nf < 4 ||
		    (strcmp(fld[0], "query") && strcmp(fld[0], "media")))
			continue;
		inn = unhex(fld[1], strlen(fld[1]), in);
		en = unhex(fld[3], strlen(fld[3]), werr);
		if (!strcmp(fld[0], "query")) {
			int r;

			wn = unhex(fld[2], strlen(fld[2]), want);
			r = url_parse_query(in, inn, add_pair, &raw, &err);
			query_listing(&raw, &out);
			CHECK(same(&out, want, wn), "query %s: got %.*s",
			      fld[1], (int)out.len, out.p);
			CHECK(same(&err, werr, en) && (r < 0) == (en > 0),
			      "query %s: error %.*s", fld[1], (int)err.len,
			      err.p);
		} else {
			bool form;

			url_media_type(in, inn, &form, &err);
			CHECK(form == (fld[2][0] == '1'), "media %s: form %d",
			      fld[1], form);
			CHECK(same(&err, werr, en), "media %s: error %.*s",
			      fld[1], (int)err.len, err.p);
		}
		sbuf_free(&raw);
		sbuf_free(&out);
		sbuf_free(&err);
	}
	if (f)
		fclose(f);
}

/* Parse a whole request head, fed all at once or a byte at a time. */
static enum http_head_result parse(const char *s, struct http_parser *p,
				   char *buf, bool bytewise)
{
	size_t n = strlen(s);
	enum http_head_result r = HTTP_HEAD_MORE;

	memcpy(buf, s, n);
	http_parser_init(p);
	if (!bytewise)
		return http_parse_head(p, buf, n);
	for (size_t i = 1; i <= n && r == HTTP_HEAD_MORE; i++)
		r = http_parse_head(p, buf, i);
	return r;
}

static void test_parser(void)
{
	static char buf[HTTP_HEAD_MAX + 4096];
	static const struct {
		const char *req;
		enum http_head_result res;
		int status;	  /* of http_request_check, 0 when it passes */
		const char *dump; /* fields as name=value; */
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_HEAD_OK, 0,
		  "Host=h;" },
		{ "GET / HTTP/1.1\nhost: h\nx-a:  1 \n\n", HTTP_HEAD_OK, 0,
		  "Host=h;X-A=1;" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX-F: a\r\n  b \r\n\tc\r\n\r\n",
		  HTTP_HEAD_OK, 0, "Host=h;X-F=a b c;" },
		{ "GET / HTTP/1.1\r\n Host: h\r\n\r\n", HTTP_HEAD_BAD, 0, "" },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", HTTP_HEAD_BAD, 0, "" },
		{ "GET / HTTP/1.1\r\nHost: h\r\n: skipped\r\n\r\n",
		  HTTP_HEAD_OK, 0, "Host=h;" },
		{ "GET /  HTTP/1.1\r\n\r\n", HTTP_HEAD_BAD, 0, "" },
		{ "GET / HTTP/1.1 \r\n\r\n", HTTP_HEAD_BAD, 0, "" },
		{ "G@T / HTTP/1.1\r\n\r\n", HTTP_HEAD_BAD, 0, "" },
		{ "GET %zz HTTP/1.1\r\n\r\n", HTTP_HEAD_BAD, 0, "" },
		{ "GET / HTTP/1.1\r\n\r\n", HTTP_HEAD_OK, 400, "" },
		{ "GET / HTTP/1.0\r\n\r\n", HTTP_HEAD_OK, 0, "" },
		{ "GET / HTTP/3.0\r\nHost: h\r\n\r\n", HTTP_HEAD_OK, 505,
		  "Host=h;" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", HTTP_HEAD_OK,
		  400, "" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
		  "gzip\r\n\r\n",
		  HTTP_HEAD_OK, 501, "" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n",
		  HTTP_HEAD_OK, 400, "" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n", HTTP_HEAD_OK,
		  400, "" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nExpect: x\r\n\r\n",
		  HTTP_HEAD_OK, 417, "" },
		{ "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
		  HTTP_HEAD_OK, 0, "Host=h;Pragma=no-cache;" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct http_parser p;
			struct http_request r;
			struct http_refusal why;
			enum http_head_result res;
			struct sbuf d = { 0 };

			res = parse(cases[i].req, &p, buf, bytewise);
			CHECK(res == cases[i].res, "case %zu/%d: result %d", i,
			      bytewise, res);
			if (res == HTTP_HEAD_OK) {
				int st = http_request_check(&r, &p, buf, &why);

				CHECK((st < 0 ? why.status : 0) ==
					      cases[i].status,
				      "case %zu: status %d", i,
				      st < 0 ? why.status : 0);
				for (size_t j = 0; st == 0 && j < p.nfields;
				     j++) {
					sbuf_add(&d, buf + p.fields[j].name,
						 p.fields[j].name_len);
					sbuf_addc(&d, '=');
					sbuf_add(&d, buf + p.fields[j].value,
						 p.fields[j].value_len);
					sbuf_addc(&d, ';');
				}
				if (st == 0)
					CHECK(same(&d, cases[i].dump,
						   strlen(cases[i].dump)),
					      "case %zu: fields %.*s", i,
					      (int)d.len, d.p);
			}
			sbuf_free(&d);
			http_parser_free(&p);
		}
	}

	/* The head limit: just under passes, just over is 431. */
	struct http_parser p;
	size_t n;

	for (int over = 0; over < 2; over++) {
		n = (size_t)snprintf(buf, 64, "GET / HTTP/1.1\r\nX: ");
		size_t pad = HTTP_HEAD_MAX - n - 4 + (size_t)over;

		memset(buf + n, 'a', pad);
		memcpy(buf + n + pad, "\r\n\r\n", 4);
		http_parser_init(&p);
		CHECK(http_parse_head(&p, buf, n + pad + 4) ==
			      (over ? HTTP_HEAD_TOO_LARGE : HTTP_HEAD_OK),
		      "limit, over=%d", over);
		http_parser_free(&p);
	}
	/* No line end at all: 431 once past the limit, not before. */
	memset(buf, 'a', HTTP_HEAD_MAX + 1);
	http_parser_init(&p);
	CHECK(http_parse_head(&p, buf, HTTP_HEAD_MAX) == HTTP_HEAD_MORE,
	      "long line under the limit");
	CHECK(http_parse_head(&p, buf, HTTP_HEAD_MAX + 1) ==
		      HTTP_HEAD_TOO_LARGE,
	      "long line over the limit");
	http_parser_free(&p);
}

static void test_chunked(void)
{
	static const struct {
		const char *in, *body, *err;
		size_t used; /* bytes of input that belong to the body */
	} cases[] = {
		{ "3\r\nabc\r\n0\r\n\r\nNEXT", "abc", NULL, 13 },
		{ "3;x=y\r\nabc\r\n2 \r\nde\r\n0\r\nT: v\r\n\r\n", "abcde",
		  NULL, 31 },
		{ "\r\n\r\n", "", NULL, 4 }, /* an empty size is 0, as in Go */
		{ "zz\r\n", "", "invalid byte in chunk length", 4 },
		{ "3 3\r\n", "", "invalid byte in chunk length", 5 },
		{ "11111111111111111\r\n", "", "http chunk length too large",
		  19 },
		{ "3\r\nabcX\r\n", "abc", "malformed chunked encoding", 8 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct http_body b;
			struct sbuf out = { 0 };
			uint64_t got = 0;
			size_t used = 0, n = strlen(cases[i].in);

			http_body_init(&b, BODY_CHUNKED, 0);
			if (bytewise) {
				while (used < n && !b.done)
					used += http_body_feed(
						&b, cases[i].in + used, 1, &out,
						&got, UINT64_MAX);
			} else {
				used = http_body_feed(&b, cases[i].in, n, &out,
						      &got, UINT64_MAX);
			}
			CHECK(b.done, "chunked %zu: not done", i);
			CHECK(same(&out, cases[i].body, strlen(cases[i].body)),
			      "chunked %zu: body %.*s", i, (int)out.len, out.p);
			CHECK((!b.err && !cases[i].err) ||
				      (b.err && cases[i].err &&
				       !strcmp(b.err, cases[i].err)),
			      "chunked %zu/%d: error %s", i, bytewise,
			      b.err ? b.err : "none");
			CHECK(used == cases[i].used, "chunked %zu: used %zu", i,
			      used);
			sbuf_free(&out);
		}
	}
	/* A long size line is refused before its end arrives. */
	struct http_body b;
	static char longline[HTTP_CHUNK_LINE_MAX + 8];
	uint64_t got = 0;

	memset(longline, '0', sizeof(longline));
	http_body_init(&b, BODY_CHUNKED, 0);
	http_body_feed(&b, longline, sizeof(longline), NULL, &got, UINT64_MAX);
	CHECK(b.err && !strcmp(b.err, "header line too long"), "long line");
	http_body_init(&b, BODY_LENGTH, 10);
	http_body_feed(&b, "abc", 3, NULL, &got, UINT64_MAX);
	http_body_eof(&b);
	CHECK(b.err && !strcmp(b.err, "unexpected EOF"), "short body");
}

static void test_misc(void)
{
	char d[30];

	echo_http_date(d, 1136214245);
	CHECK(!strcmp(d, "Mon, 02 Jan 2006 15:04:05 GMT"), "date %s", d);
	CHECK(!strcmp(echo_sniff("GIF89a / HTTP/1.1\n", 18), "image/gif"),
	      "sniff gif");
	CHECK(!strcmp(echo_sniff("GET / HTTP/1.1\n", 15),
		      "text/plain; charset=utf-8"),
	      "sniff text");
	CHECK(http_has_token("keep-alive, Close", 17, "close"), "token");
	CHECK(!http_has_token("closed", 6, "close"), "token boundary");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-echo go_vectors.txt\n");
		return 2;
	}
	run_vectors(argv[1]);
	run_vectors_fields(argv[1]);
	test_parser();
	test_chunked();
	test_misc();
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
