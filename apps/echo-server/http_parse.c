/*
 * HTTP/1.x requests as Go 1.19's net/http server reads them (see
 * http_parse.h): textproto's line and field rules, http.ReadRequest's
 * request line, the server's checks (Host, field names and values,
 * versions, Expect) and the transfer rules of net/http's transfer.go,
 * and the chunked decoder of net/http/internal. RFC 9112 is the
 * background; where Go differs from it, Go wins, because the echo server
 * must answer as the Go program does.
 */
#include "http_parse.h"

#include <stdlib.h>
#include <string.h>

#define NO_LF ((size_t)-1)

/* RFC 9110 tchar: what a method and a field name are made of. */
bool http_is_token_byte(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* textproto's isASCIISpace, which its trim uses. */
static bool is_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char *s, size_t n, size_t *off, size_t *len)
{
	size_t i = 0;

	while (i < n && is_trim_space(s[i]))
		i++;
	while (n > i && is_trim_space(s[n - 1]))
		n--;
	*off = i;
	*len = n - i;
}

bool http_canonical_key(char *k, size_t n)
{
	bool upper = true;

	for (size_t i = 0; i < n; i++)
		if (!http_is_token_byte((unsigned char)k[i]))
			return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		k[i] = c;
		upper = c == '-';
	}
	return true;
}

void http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = HEAD_LINE;
}

void http_parser_free(struct http_parser *p)
{
	if (p->have_url)
		url_free(&p->url);
	free(p->fields);
	memset(p, 0, sizeof(*p));
}

/* http.ParseHTTPVersion */
static bool parse_version(const char *v, size_t n, int *major, int *minor)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.')
		return false;
	if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return false;
	*major = v[5] - '0';
	*minor = v[7] - '0';
	return true;
}

static enum http_head_result request_line(struct http_parser *p, char *buf,
					  size_t end)
{
	size_t s = p->pos, n = end - s;
	const char *line = buf + s, *sp1, *sp2;
	int ret;

	sp1 = memchr(line, ' ', n);
	if (!sp1)
		return HTTP_HEAD_BAD; /* malformed HTTP request */
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line));
	if (!sp2)
		return HTTP_HEAD_BAD;
	p->method = s;
	p->method_len = (size_t)(sp1 - line);
	p->target = s + p->method_len + 1;
	p->target_len = (size_t)(sp2 - sp1 - 1);
	p->proto = p->target + p->target_len + 1;
	p->proto_len = end - p->proto;
	if (p->method_len == 0)
		return HTTP_HEAD_BAD; /* invalid method */
	for (size_t i = 0; i < p->method_len; i++)
		if (!http_is_token_byte((unsigned char)line[i]))
			return HTTP_HEAD_BAD;
	if (!parse_version(buf + p->proto, p->proto_len, &p->major, &p->minor))
		return HTTP_HEAD_BAD; /* malformed HTTP version */
	/* CONNECT host:port carries only an authority. */
	if (p->method_len == 7 && memcmp(line, "CONNECT", 7) == 0 &&
	    (p->target_len == 0 || buf[p->target] != '/')) {
		struct sbuf t = { 0 };

		sbuf_adds(&t, "http://");
		sbuf_add(&t, buf + p->target, p->target_len);
		if (t.oom)
			return HTTP_HEAD_NOMEM;
		ret = url_parse_request(&p->url, t.p, t.len);
		sbuf_free(&t);
		if (ret == 0) {
			free(p->url.scheme);
			p->url.scheme = NULL;
		}
	} else {
		ret = url_parse_request(&p->url, buf + p->target,
					p->target_len);
	}
	if (ret < 0)
		return HTTP_HEAD_BAD;
	p->have_url = true;
	return HTTP_HEAD_MORE;
}

static size_t line_end(const char *buf, size_t start, size_t lf)
{
	return lf > start && buf[lf - 1] == '\r' ? lf - 1 : lf;
}

/*
 * One field, from p->pos to its last LF: join folded lines in place as
 * textproto's readContinuedLineSlice does, cut at the first colon,
 * canonicalise the name, and keep it unless the name is empty.
 */
static enum http_head_result take_field(struct http_parser *p, char *buf,
					size_t last_lf)
{
	size_t r = p->pos, w = p->pos, off, len;

	while (r <= last_lf) {
		size_t lf, e;

		if (r != p->pos) {
			while (buf[r] == ' ' || buf[r] == '\t')
				r++;
			buf[w++] = ' ';
		}
		lf = (size_t)((char *)memchr(buf + r, '\n', last_lf + 1 - r) -
			      buf);
		e = line_end(buf, r, lf);
		trim(buf + r, e - r, &off, &len);
		memmove(buf + w, buf + r + off, len);
		w += len;
		r = lf + 1;
	}
	char *kv = buf + p->pos, *colon = memchr(kv, ':', w - p->pos);

	if (!colon)
		return HTTP_HEAD_BAD;
	size_t klen = (size_t)(colon - kv), v = p->pos + klen + 1;

	if (klen == 0)
		return HTTP_HEAD_MORE; /* textproto skips an empty name */
	http_canonical_key(kv, klen);
	while (v < w && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	if (p->nfields == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct http_field *f = realloc(p->fields, cap * sizeof(*f));

		if (!f)
			return HTTP_HEAD_NOMEM;
		p->fields = f;
		p->cap = cap;
	}
	p->fields[p->nfields++] = (struct http_field){
		.name = p->pos,
		.name_len = klen,
		.value = v,
		.value_len = w - v,
	};
	return HTTP_HEAD_MORE;
}

/* The next LF at or after p->scan; NO_LF (and p->scan moved) if none. */
static size_t next_lf(struct http_parser *p, const char *buf, size_t len)
{
	const char *nl = memchr(buf + p->scan, '\n', len - p->scan);

	if (!nl) {
		p->scan = len;
		return NO_LF;
	}
	return (size_t)(nl - buf);
}

/* The next line's LF in *lf (HTTP_HEAD_OK); HTTP_HEAD_MORE when it has
 * not come yet, HTTP_HEAD_TOO_LARGE when the head passes its limit. */
static enum http_head_result next_line(struct http_parser *p, const char *buf,
				       size_t len, size_t *lf)
{
	*lf = next_lf(p, buf, len);
	if (*lf == NO_LF)
		return len > HTTP_HEAD_MAX ? HTTP_HEAD_TOO_LARGE
					   : HTTP_HEAD_MORE;
	return *lf + 1 > HTTP_HEAD_MAX ? HTTP_HEAD_TOO_LARGE : HTTP_HEAD_OK;
}

enum http_head_result http_parse_head(struct http_parser *p, char *buf,
				      size_t len)
{
	enum http_head_result r;
	size_t lf, e;

	while (p->state != HEAD_DONE) {
		if (p->state == HEAD_LINE || p->last_lf == NO_LF) {
			r = next_line(p, buf, len, &lf);
			if (r != HTTP_HEAD_OK)
				return r;
			e = line_end(buf, p->pos, lf);
			if (p->state == HEAD_LINE) {
				r = request_line(p, buf, e);
				if (r != HTTP_HEAD_MORE)
					return r;
				p->pos = p->scan = p->fields_start = lf + 1;
				p->last_lf = NO_LF;
				p->state = HEAD_FIELDS;
				continue;
			}
			if (e == p->pos) { /* the blank line */
				p->pos = p->scan = lf + 1;
				p->state = HEAD_DONE;
				break;
			}
			/* The first field line may not be folded. */
			if (p->pos == p->fields_start &&
			    (buf[p->pos] == ' ' || buf[p->pos] == '\t'))
				return HTTP_HEAD_BAD;
			if (!memchr(buf + p->pos, ':', e - p->pos))
				return HTTP_HEAD_BAD; /* missing colon */
			p->last_lf = lf;
			p->scan = lf + 1;
		}
		/* Is the field folded onto the next line? */
		if (p->last_lf + 1 >= len)
			return HTTP_HEAD_MORE;
		if (buf[p->last_lf + 1] == ' ' || buf[p->last_lf + 1] == '\t') {
			r = next_line(p, buf, len, &lf);
			if (r != HTTP_HEAD_OK)
				return r;
			p->last_lf = lf;
			p->scan = lf + 1;
			continue;
		}
		r = take_field(p, buf, p->last_lf);
		if (r != HTTP_HEAD_MORE)
			return r;
		p->pos = p->scan = p->last_lf + 1;
		p->last_lf = NO_LF;
	}
	return HTTP_HEAD_OK;
}

static bool name_is(const char *buf, const struct http_field *f,
		    const char *name)
{
	size_t n = strlen(name);

	return !f->deleted && f->name_len == n &&
	       memcmp(buf + f->name, name, n) == 0;
}

static struct span value_of(const char *buf, const struct http_field *f)
{
	return (struct span){ buf + f->value, f->value_len };
}

static size_t count_fields(const char *buf, const struct http_field *f,
			   size_t n, const char *name, size_t *first)
{
	size_t c = 0;

	for (size_t i = n; i-- > 0;) {
		if (name_is(buf, &f[i], name)) {
			c++;
			*first = i;
		}
	}
	return c;
}

static void delete_fields(const char *buf, struct http_field *f, size_t n,
			  const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (name_is(buf, &f[i], name))
			f[i].deleted = true;
}

bool http_request_get(const struct http_request *r, const char *name,
		      struct span *v)
{
	for (size_t i = 0; i < r->nfields; i++) {
		if (name_is(r->buf, &r->fields[i], name)) {
			*v = value_of(r->buf, &r->fields[i]);
			return true;
		}
	}
	if (r->cache_control && strcmp(name, "Cache-Control") == 0) {
		*v = (struct span){ "no-cache", 8 };
		return true;
	}
	return false;
}

static bool get_first(const struct http_request *r, const char *name,
		      struct span *v)
{
	if (http_request_get(r, name, v))
		return true;
	*v = (struct span){ "", 0 };
	return false;
}

static bool ascii_eq_fold(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static bool token_boundary(char c)
{
	return c == ' ' || c == ',' || c == '\t';
}

bool http_has_token(const char *v, size_t n, const char *token)
{
	size_t t = strlen(token);

	if (t == 0 || t > n)
		return false;
	for (size_t sp = 0; sp + t <= n; sp++) {
		if (sp > 0 && !token_boundary(v[sp - 1]))
			continue;
		if (sp + t != n && !token_boundary(v[sp + t]))
			continue;
		if (ascii_eq_fold(v + sp, t, token))
			return true;
	}
	return false;
}

/* httpguts.HeaderValuesContainsToken over every value of a field. */
static bool values_contain_token(const char *buf, const struct http_field *f,
				 size_t n, const char *name, const char *token)
{
	for (size_t i = 0; i < n; i++) {
		if (!name_is(buf, &f[i], name))
			continue;
		const char *v = buf + f[i].value, *end = v + f[i].value_len;

		while (v <= end) {
			const char *c = memchr(v, ',', (size_t)(end - v));
			const char *e = c ? c : end;
			const char *s = v;

			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (ascii_eq_fold(s, (size_t)(e - s), token))
				return true;
			if (!c)
				break;
			v = c + 1;
		}
	}
	return false;
}

/* httpguts.ValidHostHeader's byte set. */
static bool valid_host_byte(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!$%&'()*+,-.:;=[]_~", c) != NULL;
}

static struct span trim_span(struct span s)
{
	size_t off, len;

	trim(s.p, s.n, &off, &len);
	return (struct span){ s.p + off, len };
}

/* strconv.ParseUint(s, 10, 63) */
static bool parse_length(struct span s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		if (v > (UINT64_C(1) << 63) / 10)
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v >= UINT64_C(1) << 63)
			return false;
	}
	*out = v;
	return true;
}

/* Trailer: names a chunked request may not announce (fixTrailer). */
static bool bad_trailer_keys(struct span v)
{
	v = trim_span(v);
	while (v.n > 0) {
		const char *c = memchr(v.p, ',', v.n);
		size_t n = c ? (size_t)(c - v.p) : v.n;
		struct span k = trim_span((struct span){ v.p, n });
		char key[sizeof("Transfer-Encoding")];

		if (k.n > 0 && k.n < sizeof(key)) {
			memcpy(key, k.p, k.n);
			key[k.n] = '\0';
			http_canonical_key(key, k.n);
			if (!strcmp(key, "Transfer-Encoding") ||
			    !strcmp(key, "Trailer") ||
			    !strcmp(key, "Content-Length"))
				return true;
		}
		if (!c)
			break;
		v.p = c + 1;
		v.n -= n + 1;
	}
	return false;
}

static int refuse(struct http_refusal *why, int status, const char *text)
{
	why->status = status;
	why->text = text;
	return -1;
}

int http_request_check(struct http_request *r, struct http_parser *p, char *buf,
		       struct http_refusal *why)
{
	struct http_field *f = p->fields;
	size_t n = p->nfields, first = 0, hosts, count;
	struct span v;
	bool at_least_11 = p->major > 1 || (p->major == 1 && p->minor >= 1);

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->method = (struct span){ buf + p->method, p->method_len };
	r->target = (struct span){ buf + p->target, p->target_len };
	r->proto = (struct span){ buf + p->proto, p->proto_len };
	r->major = p->major;
	r->minor = p->minor;
	r->url = &p->url;
	r->fields = f;
	r->nfields = n;

	/* http.readRequest */
	hosts = count_fields(buf, f, n, "Host", &first);
	if (hosts > 1)
		return refuse(why, 400, NULL); /* too many Host headers */
	r->has_host_field = hosts == 1;
	if (p->url.host && p->url.host_len)
		r->host = (struct span){ p->url.host, p->url.host_len };
	else if (hosts)
		r->host = value_of(buf, &f[first]);
	else
		r->host = (struct span){ "", 0 };
	if (count_fields(buf, f, n, "Pragma", &first) &&
	    f[first].value_len == 8 &&
	    memcmp(buf + f[first].value, "no-cache", 8) == 0 &&
	    !count_fields(buf, f, n, "Cache-Control", &first))
		r->cache_control = true;
	/* shouldClose */
	if (p->major < 1) {
		r->close = true;
	} else {
		bool cl =
			values_contain_token(buf, f, n, "Connection", "close");

		if (p->major == 1 && p->minor == 0)
			r->close = cl || !values_contain_token(buf, f, n,
							       "Connection",
							       "keep-alive");
		else
			r->close = cl;
	}

	/* readTransfer: parseTransferEncoding, fixLength, fixTrailer */
	count = count_fields(buf, f, n, "Transfer-Encoding", &first);
	if (count) {
		delete_fields(buf, f, n, "Transfer-Encoding");
		if (at_least_11) {
			if (count != 1)
				return refuse(why, 501, NULL);
			v = trim_span(value_of(buf, &f[first]));
			if (!ascii_eq_fold(v.p, v.n, "chunked"))
				return refuse(why, 501, NULL);
			delete_fields(buf, f, n, "Content-Length");
			r->body = BODY_CHUNKED;
		}
	}
	count = count_fields(buf, f, n, "Content-Length", &first);
	if (count > 1) {
		struct span a = trim_span(value_of(buf, &f[first]));

		for (size_t i = first + 1; i < n; i++) {
			if (!name_is(buf, &f[i], "Content-Length"))
				continue;
			v = trim_span(value_of(buf, &f[i]));
			if (v.n != a.n || memcmp(v.p, a.p, a.n) != 0)
				return refuse(why, 400, NULL);
			f[i].deleted = true; /* duplicates go */
		}
	}
	if (r->body != BODY_CHUNKED && count) {
		v = trim_span(value_of(buf, &f[first]));
		if (v.n == 0) {
			f[first].deleted = true;
		} else {
			if (!parse_length(v, &r->content_length))
				return refuse(why, 400, NULL);
			if (r->content_length)
				r->body = BODY_LENGTH;
		}
	}
	if (r->body == BODY_CHUNKED &&
	    count_fields(buf, f, n, "Trailer", &first)) {
		for (size_t i = 0; i < n; i++)
			if (name_is(buf, &f[i], "Trailer") &&
			    bad_trailer_keys(value_of(buf, &f[i])))
				return refuse(why, 400, NULL);
		delete_fields(buf, f, n, "Trailer");
	}
	count = 0;
	for (size_t i = 0; i < n; i++)
		count += !f[i].deleted;
	r->h2_upgrade = p->method_len == 3 && !memcmp(r->method.p, "PRI", 3) &&
			count == 0 && !r->cache_control && p->url.path &&
			p->url.path_len == 1 && p->url.path[0] == '*' &&
			p->proto_len == 8 && !memcmp(r->proto.p, "HTTP/2.0", 8);
	if (r->h2_upgrade) {
		r->close = true;
		r->body = BODY_NONE;
	}

	/* The server's own checks (conn.readRequest) */
	if (p->major != 1 &&
	    !(p->major == 2 && p->minor == 0 && p->method_len == 3 &&
	      !memcmp(r->method.p, "PRI", 3) && p->target_len == 1 &&
	      buf[p->target] == '*'))
		return refuse(why, 505, "unsupported protocol version");
	if (at_least_11 && !hosts && !r->h2_upgrade &&
	    !(p->method_len == 7 && !memcmp(r->method.p, "CONNECT", 7)))
		return refuse(why, 400, "missing required Host header");
	if (hosts == 1) {
		count_fields(buf, f, n, "Host", &first);
		for (size_t i = 0; i < f[first].value_len; i++)
			if (!valid_host_byte(
				    (unsigned char)buf[f[first].value + i]))
				return refuse(why, 400,
					      "malformed Host header");
	}
	for (size_t i = 0; i < n; i++) {
		if (f[i].deleted)
			continue;
		for (size_t j = 0; j < f[i].name_len; j++)
			if (!http_is_token_byte(
				    (unsigned char)buf[f[i].name + j]))
				return refuse(why, 400, "invalid header name");
		for (size_t j = 0; j < f[i].value_len; j++) {
			unsigned char c = (unsigned char)buf[f[i].value + j];

			if ((c < ' ' && c != '\t') || c == 0x7f)
				return refuse(why, 400, "invalid header value");
		}
	}
	delete_fields(buf, f, n, "Host");

	get_first(r, "Connection", &v);
	r->wants10_keepalive = p->major == 1 && p->minor == 0 &&
			       http_has_token(v.p, v.n, "keep-alive");
	r->wants_close = r->close || http_has_token(v.p, v.n, "close");
	get_first(r, "Expect", &v);
	if (http_has_token(v.p, v.n, "100-continue")) {
		r->expect_continue = at_least_11 && r->body != BODY_NONE;
	} else if (v.n) {
		return refuse(why, 417, NULL);
	}
	return 0;
}

/* Chunked decoding states. */
enum { CH_SIZE, CH_DATA, CH_CRLF, CH_TRAILER, CH_DONE };

void http_body_init(struct http_body *b, enum http_body_mode mode,
		    uint64_t length)
{
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->remain = mode == BODY_LENGTH ? length : 0;
	b->state = CH_SIZE;
	b->done = mode == BODY_NONE || (mode == BODY_LENGTH && length == 0);
	b->line_empty = true;
}

static void body_fail(struct http_body *b, const char *err)
{
	b->err = err;
	b->done = true;
}

/*
 * One byte of a chunk-size line (not its LF). Go cuts the line at ';'
 * after trimming trailing white space, then wants only hex digits: a
 * space followed by anything but more white space is a bad byte.
 */
static void size_byte(struct http_body *b, char c)
{
	/* b->pending holds the first error, reported at the line's end. */
	int d;

	if (b->semi)
		return;
	if (c == ' ' || c == '\t' || c == '\r') {
		b->ws = true;
		return;
	}
	if (b->ws)
		goto bad;
	if (c == ';') {
		b->semi = true;
		return;
	}
	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		goto bad;
	if (b->digits == 16) {
		if (!b->bad_byte && !b->pending)
			b->pending = "http chunk length too large";
		b->bad_byte = true;
		return;
	}
	b->digits++;
	b->size = b->size << 4 | (uint64_t)d;
	return;
bad:
	if (!b->bad_byte && !b->pending)
		b->pending = "invalid byte in chunk length";
	b->bad_byte = true;
	b->semi = true; /* nothing later changes the verdict */
}

size_t http_body_feed(struct http_body *b, const char *in, size_t n,
		      struct sbuf *out, uint64_t *got, uint64_t limit)
{
	size_t i = 0;

	while (i < n && !b->done && *got < limit) {
		if (b->mode == BODY_LENGTH || b->state == CH_DATA) {
			size_t take = n - i;

			if (take > b->remain)
				take = (size_t)b->remain;
			if (take > limit - *got)
				take = (size_t)(limit - *got);
			if (out)
				sbuf_add(out, in + i, take);
			*got += take;
			i += take;
			b->remain -= take;
			if (b->remain == 0) {
				if (b->mode == BODY_LENGTH)
					b->done = true;
				else
					b->state = CH_CRLF;
				b->line_len = 0;
			}
			continue;
		}
		char c = in[i++];

		switch (b->state) {
		case CH_SIZE:
			if (c != '\n') {
				if (++b->line_len >= HTTP_CHUNK_LINE_MAX - 1) {
					body_fail(b, "header line too long");
					break;
				}
				size_byte(b, c);
				break;
			}
			if (b->bad_byte) {
				body_fail(b, b->pending);
				break;
			}
			b->remain = b->size;
			b->size = 0;
			b->digits = 0;
			b->ws = b->semi = false;
			b->line_len = 0;
			b->state = b->remain ? CH_DATA : CH_TRAILER;
			b->line_empty = true;
			break;
		case CH_CRLF:
			/* Go reads two bytes, then insists on CR LF. */
			if (b->line_len == 0) {
				b->bad_byte = c != '\r';
				b->line_len = 1;
				break;
			}
			if (b->bad_byte || c != '\n') {
				body_fail(b, "malformed chunked encoding");
				break;
			}
			b->line_len = 0;
			b->state = CH_SIZE;
			break;
		case CH_TRAILER:
			/* Trailer fields are read and dropped. */
			if (++b->line_len > HTTP_TRAILER_MAX) {
				body_fail(b, "http: suspiciously long trailer "
					     "after chunked body");
				break;
			}
			if (c == '\n') {
				if (b->line_empty) {
					b->state = CH_DONE;
					b->done = true;
				}
				b->line_empty = true;
			} else if (c != '\r') {
				b->line_empty = false;
			}
			break;
		}
	}
	return i;
}

void http_body_eof(struct http_body *b)
{
	if (b->done)
		return;
	if (b->mode == BODY_CHUNKED && b->state == CH_TRAILER)
		body_fail(b, "http: unexpected EOF reading trailer");
	else
		body_fail(b, "unexpected EOF");
}
