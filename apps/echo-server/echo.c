/*
 * The Go echo program's handler and what net/http does around it (see
 * echo.h). The program registers one handler for "/" on the default
 * ServeMux and answers every request with:
 *
 *   METHOD URL PROTO
 *   Header["Name"] = ["value" ...]     (each field but Host)
 *   Host = "..."
 *   RemoteAddr = "ip:port"
 *   Form["key"] = ["value" ...]        (query, and a form body)
 *
 * Go prints header and form lines in random map order; here they come
 * sorted by name.
 */
#include "echo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goquote.h"
#include "url.h"

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

enum echo_route echo_route(const struct http_request *r, struct sbuf *location)
{
	const struct go_url *u = r->url;
	const char *path = u->path ? u->path : "";
	size_t path_len = u->path ? u->path_len : 0;
	struct sbuf clean = { 0 };
	bool same;

	if (span_is(r->target, "*"))
		return span_is(r->method, "OPTIONS") ? ROUTE_OPTIONS_STAR
						     : ROUTE_STAR;
	if (span_is(r->method, "CONNECT"))
		return path_len && path[0] == '/' ? ROUTE_ECHO
						  : ROUTE_NOT_FOUND;
	url_clean_path(&clean, path, path_len);
	same = !clean.oom && clean.len == path_len &&
	       (path_len == 0 || memcmp(clean.p, path, path_len) == 0);
	if (!same) {
		/* url.URL{Path: clean, RawQuery: ...}.String() */
		url_escape(location, clean.p, clean.len, URL_PATH);
		if (u->raw_query && u->raw_query[0]) {
			sbuf_addc(location, '?');
			sbuf_adds(location, u->raw_query);
		}
	}
	sbuf_free(&clean);
	return same ? ROUTE_ECHO : ROUTE_REDIRECT;
}

/* A name and value to print, in the order they came. */
struct entry {
	struct span name, value;
	size_t seq;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->name.n < y->name.n ? x->name.n : y->name.n;
	int c = memcmp(x->name.p, y->name.p, n);

	if (c)
		return c;
	if (x->name.n != y->name.n)
		return x->name.n < y->name.n ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print "label[%q] = %q\n" for each name, all its values in order. */
static void print_grouped(struct sbuf *b, const char *label, struct entry *e,
			  size_t n)
{
	struct span *vals;

	qsort(e, n, sizeof(*e), entry_cmp);
	vals = malloc((n ? n : 1) * sizeof(*vals));
	if (!vals) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && e[j].name.n == e[i].name.n &&
		       memcmp(e[j].name.p, e[i].name.p, e[i].name.n) == 0) {
			vals[j - i] = e[j].value;
			j++;
		}
		sbuf_adds(b, label);
		sbuf_addc(b, '[');
		go_quote(b, e[i].name.p, e[i].name.n);
		sbuf_adds(b, "] = ");
		go_quote_list(b, vals, j - i);
		sbuf_addc(b, '\n');
		i = j;
	}
	free(vals);
}

void echo_write_prefix(struct sbuf *b, const struct http_request *r,
		       const char *remote_addr)
{
	struct entry *e = malloc((r->nfields + 1) * sizeof(*e));
	size_t n = 0;

	if (!e) {
		b->oom = true;
		return;
	}
	sbuf_add(b, r->method.p, r->method.n);
	sbuf_addc(b, ' ');
	url_string(b, r->url);
	sbuf_addc(b, ' ');
	sbuf_add(b, r->proto.p, r->proto.n);
	sbuf_addc(b, '\n');
	for (size_t i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (f->deleted)
			continue;
		e[n++] = (struct entry){
			{ r->buf + f->name, f->name_len },
			{ r->buf + f->value, f->value_len },
			i,
		};
	}
	if (r->cache_control)
		e[n++] = (struct entry){ { "Cache-Control", 13 },
					 { "no-cache", 8 },
					 r->nfields };
	print_grouped(b, "Header", e, n);
	free(e);
	sbuf_adds(b, "Host = ");
	go_quote(b, r->host.p, r->host.n);
	sbuf_adds(b, "\nRemoteAddr = ");
	go_quote(b, remote_addr, strlen(remote_addr));
	sbuf_addc(b, '\n');
}

void echo_form_prepare(struct echo_form *f, const struct http_request *r)
{
	struct span ct;

	memset(f, 0, sizeof(*f));
	if (!span_is(r->method, "POST") && !span_is(r->method, "PUT") &&
	    !span_is(r->method, "PATCH"))
		return;
	if (!http_request_get(r, "Content-Type", &ct) || ct.n == 0)
		ct = (struct span){ "application/octet-stream", 24 };
	url_media_type(ct.p, ct.n, &f->read_body, &f->media_err);
}

void echo_form_free(struct echo_form *f)
{
	sbuf_free(&f->media_err);
}

/* The keys and values of a form, copied out of the decoder. */
struct form_acc {
	struct sbuf pool;
	struct {
		size_t k, kn, v, vn;
	} * kv;
	size_t n, cap;
	bool oom;
};

static void form_add(void *ctx, const char *k, size_t kn, const char *v,
		     size_t vn)
{
	struct form_acc *a = ctx;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *p = realloc(a->kv, cap * sizeof(*a->kv));

		if (!p) {
			a->oom = true;
			return;
		}
		a->kv = p;
		a->cap = cap;
	}
	a->kv[a->n].k = a->pool.len;
	a->kv[a->n].kn = kn;
	sbuf_add(&a->pool, k, kn);
	a->kv[a->n].v = a->pool.len;
	a->kv[a->n].vn = vn;
	sbuf_add(&a->pool, v, vn);
	a->n++;
}

static void parse_into(struct form_acc *a, const char *q, size_t n,
		       struct sbuf *err)
{
	struct sbuf e = { 0 };

	if (url_parse_query(q, n, form_add, a, &e) < 0 && err->len == 0)
		sbuf_add(err, e.p, e.len);
	sbuf_free(&e);
}

void echo_write_form(struct sbuf *b, const struct http_request *r,
		     const struct echo_form *f, struct sbuf *err)
{
	struct form_acc a = { 0 };
	struct entry *e;
	const char *q = r->url->raw_query;

	sbuf_add(err, f->media_err.p, f->media_err.len);
	if (f->read_body) {
		if (f->read_err) {
			if (err->len == 0)
				sbuf_adds(err, f->read_err);
		} else if (f->too_large) {
			err->len = 0;
			sbuf_adds(err, "http: POST too large");
		} else {
			parse_into(&a, f->body.p, f->body.n, err);
		}
	}
	if (q)
		parse_into(&a, q, strlen(q), err);
	e = malloc((a.n ? a.n : 1) * sizeof(*e));
	if (!e || a.oom || a.pool.oom) {
		b->oom = true;
	} else {
		for (size_t i = 0; i < a.n; i++)
			e[i] = (struct entry){
				{ a.pool.p + a.kv[i].k, a.kv[i].kn },
				{ a.pool.p + a.kv[i].v, a.kv[i].vn },
				i,
			};
		print_grouped(b, "Form", e, a.n);
	}
	free(e);
	free(a.kv);
	sbuf_free(&a.pool);
}

/*
 * http.DetectContentType, reduced to the signatures the echo text can
 * match. The text starts with the method (token bytes, so never '<', a
 * white space byte or a byte of 0x80 or more) and holds no control
 * bytes (every value is quoted), so the HTML, XML, BOM and binary
 * signatures and the mp4 box test (its size, read from the first four
 * bytes, is then always larger than the 512 bytes looked at) cannot
 * match. What is left is matched with a mask, as the WHATWG MIME
 * Sniffing standard describes (section 6).
 */
struct sniff_sig {
	const char *pat, *mask;
	size_t len;
	const char *type;
};

#define SIG(p, m, t)                                                           \
	{                                                                      \
		p, m, sizeof(p) - 1, t                                         \
	}
static const struct sniff_sig sniff_sigs[] = {
	SIG("%PDF-", NULL, "application/pdf"),
	SIG("%!PS-Adobe-", NULL, "application/postscript"),
	SIG("BM", NULL, "image/bmp"),
	SIG("GIF87a", NULL, "image/gif"),
	SIG("GIF89a", NULL, "image/gif"),
	SIG("RIFF\0\0\0\0WEBPVP",
	    "\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff\xff\xff", "image/webp"),
	SIG("FORM\0\0\0\0AIFF", "\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff",
	    "audio/aiff"),
	SIG("ID3", NULL, "audio/mpeg"),
	SIG("RIFF\0\0\0\0AVI ", "\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff",
	    "video/avi"),
	SIG("RIFF\0\0\0\0WAVE", "\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff",
	    "audio/wave"),
	/* 34 bytes of anything, then "LP" (an EOT font). */
	SIG("..................................LP",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\xff\xff",
	    "application/vnd.ms-fontobject"),
	SIG("OTTO", NULL, "font/otf"),
	SIG("ttcf", NULL, "font/collection"),
	SIG("wOFF", NULL, "font/woff"),
	SIG("wOF2", NULL, "font/woff2"),
};

const char *echo_sniff(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(sniff_sigs) / sizeof(sniff_sigs[0]);
	     i++) {
		const struct sniff_sig *s = &sniff_sigs[i];
		size_t j;

		if (n < s->len)
			continue;
		for (j = 0; j < s->len; j++) {
			unsigned char m =
				s->mask ? (unsigned char)s->mask[j] : 0xff;

			if (((unsigned char)p[j] & m) !=
			    ((unsigned char)s->pat[j] & m))
				break;
		}
		if (j == s->len)
			return s->type;
	}
	return "text/plain; charset=utf-8";
}

const char *echo_status_text(int code)
{
	switch (code) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "";
}

void echo_http_date(char out[30], time_t t)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;

	gmtime_r(&t, &tm);
	memcpy(out, days + 3 * tm.tm_wday, 3);
	memcpy(out + 3, ", ", 2);
	out[5] = (char)('0' + tm.tm_mday / 10);
	out[6] = (char)('0' + tm.tm_mday % 10);
	out[7] = ' ';
	memcpy(out + 8, months + 3 * tm.tm_mon, 3);
	out[11] = ' ';
	/* Years 0 to 9999 take four digits, as Go's format gives them. */
	int y = tm.tm_year + 1900;

	for (int i = 0; i < 4; i++, y /= 10)
		out[15 - i] = (char)('0' + y % 10);
	out[16] = ' ';
	out[17] = (char)('0' + tm.tm_hour / 10);
	out[18] = (char)('0' + tm.tm_hour % 10);
	out[19] = ':';
	out[20] = (char)('0' + tm.tm_min / 10);
	out[21] = (char)('0' + tm.tm_min % 10);
	out[22] = ':';
	out[23] = (char)('0' + tm.tm_sec / 10);
	out[24] = (char)('0' + tm.tm_sec % 10);
	memcpy(out + 25, " GMT", 5);
}

void echo_reply_for(struct echo_reply *rep, enum echo_route route,
		    const struct http_request *r, const struct sbuf *url)
{
	bool at_least_11 = r->major > 1 || (r->major == 1 && r->minor >= 1);
	bool get = span_is(r->method, "GET");

	switch (route) {
	case ROUTE_ECHO:
		rep->status = 200;
		break;
	case ROUTE_REDIRECT:
		/* http.Redirect: Location with non-ASCII bytes as %xx, and
		 * a short HTML body for GET. */
		rep->status = 301;
		for (size_t i = 0; i < url->len; i++) {
			unsigned char c = (unsigned char)url->p[i];

			if (c >= 0x80)
				sbuf_addf(&rep->location, "%%%x", c);
			else
				sbuf_addc(&rep->location, (char)c);
		}
		sbuf_addc(&rep->location, '\0');
		if (get || span_is(r->method, "HEAD"))
			rep->hdr[rep->nhdr++] = (struct echo_field){
				"Content-Type", "text/html; charset=utf-8"
			};
		rep->hdr[rep->nhdr++] =
			(struct echo_field){ "Location", rep->location.p };
		if (!get)
			break;
		sbuf_adds(&rep->body, "<a href=\"");
		for (size_t i = 0; i < url->len; i++) {
			switch (url->p[i]) {
			case '&':
				sbuf_adds(&rep->body, "&amp;");
				break;
			case '<':
				sbuf_adds(&rep->body, "&lt;");
				break;
			case '>':
				sbuf_adds(&rep->body, "&gt;");
				break;
			case '"':
				sbuf_adds(&rep->body, "&#34;");
				break;
			case '\'':
				sbuf_adds(&rep->body, "&#39;");
				break;
			default:
				sbuf_addc(&rep->body, url->p[i]);
			}
		}
		sbuf_adds(&rep->body, "\">Moved Permanently</a>.\n\n");
		break;
	case ROUTE_NOT_FOUND:
		/* http.NotFound through http.Error */
		rep->status = 404;
		rep->hdr[rep->nhdr++] =
			(struct echo_field){ "Content-Type",
					     "text/plain; charset=utf-8" };
		rep->hdr[rep->nhdr++] =
			(struct echo_field){ "X-Content-Type-Options",
					     "nosniff" };
		sbuf_adds(&rep->body, "404 page not found\n");
		break;
	case ROUTE_STAR:
		rep->status = 400;
		if (at_least_11)
			rep->hdr[rep->nhdr++] =
				(struct echo_field){ "Connection", "close" };
		break;
	case ROUTE_OPTIONS_STAR:
		rep->status = 200;
		rep->hdr[rep->nhdr++] =
			(struct echo_field){ "Content-Length", "0" };
		break;
	}
}

void echo_reply_free(struct echo_reply *rep)
{
	sbuf_free(&rep->body);
	sbuf_free(&rep->location);
}

static const char *hdr_get(const struct echo_reply *rep, const char *name)
{
	for (size_t i = 0; i < rep->nhdr; i++)
		if (rep->hdr[i].name && strcmp(rep->hdr[i].name, name) == 0)
			return rep->hdr[i].value;
	return NULL;
}

static void hdr_del(struct echo_reply *rep, const char *name)
{
	for (size_t i = 0; i < rep->nhdr; i++)
		if (rep->hdr[i].name && strcmp(rep->hdr[i].name, name) == 0)
			rep->hdr[i].name = NULL;
}

static bool body_allowed(int code)
{
	return !((code >= 100 && code <= 199) || code == 204 || code == 304);
}

void echo_write_head(struct sbuf *out, const struct http_request *r,
		     struct echo_reply *rep, time_t now,
		     echo_discard_fn discard, void *ctx, bool *chunked,
		     bool *close, bool *no_body)
{
	bool is_head = span_is(r->method, "HEAD");
	bool at_least_11 = r->major > 1 || (r->major == 1 && r->minor >= 1);
	bool allowed = body_allowed(rep->status), has_cl;
	const char *conn, *map_cl = hdr_get(rep, "Content-Length");
	const char *set_ct = NULL, *set_conn = NULL, *set_te = NULL;
	char clen[24] = "", date[30];
	bool close_after = rep->close;

	*chunked = false;
	/* The handler is done and this is the only write: the length is
	 * known, even if 0 (but a HEAD reply that wrote nothing gets none). */
	has_cl = map_cl != NULL;
	if (rep->handler_done && allowed && !map_cl &&
	    (!is_head || rep->body.len > 0)) {
		snprintf(clen, sizeof(clen), "%zu", rep->body.len);
		has_cl = true;
	}
	conn = hdr_get(rep, "Connection");
	if (r->wants10_keepalive && (is_head || has_cl || !allowed)) {
		if (!conn)
			set_conn = "keep-alive";
	} else if (!at_least_11 || r->wants_close) {
		close_after = true;
	}
	if (conn && strcmp(conn, "close") == 0)
		close_after = true;
	/* Read what is left of the request body, up to a bound, so that the
	 * connection can serve the next request. */
	if (!close_after && r->body != BODY_NONE && discard) {
		int d = discard(ctx);

		if (d != 0)
			close_after = true;
		if (d > 0) {
			hdr_del(rep, "Connection");
			set_conn = "close";
		}
	}
	if (allowed && !hdr_get(rep, "Content-Type") && rep->body.len > 0)
		set_ct = echo_sniff(rep->body.p,
				    rep->body.len < 512 ? rep->body.len : 512);
	*no_body = is_head || !allowed;
	if (!*no_body && !has_cl) {
		if (at_least_11) {
			*chunked = true;
			set_te = "chunked";
		} else {
			close_after = true;
		}
	}
	conn = hdr_get(rep, "Connection");
	if (close_after &&
	    !(conn && http_has_token(conn, strlen(conn), "close"))) {
		hdr_del(rep, "Connection");
		if (at_least_11)
			set_conn = "close";
	}
	sbuf_addf(out, "HTTP/1.%c %d %s\r\n", at_least_11 ? '1' : '0',
		  rep->status, echo_status_text(rep->status));
	for (size_t i = 0; i < rep->nhdr; i++)
		if (rep->hdr[i].name)
			sbuf_addf(out, "%s: %s\r\n", rep->hdr[i].name,
				  rep->hdr[i].value);
	echo_http_date(date, now);
	sbuf_addf(out, "Date: %s\r\n", date);
	if (clen[0])
		sbuf_addf(out, "Content-Length: %s\r\n", clen);
	if (set_ct)
		sbuf_addf(out, "Content-Type: %s\r\n", set_ct);
	if (set_conn)
		sbuf_addf(out, "Connection: %s\r\n", set_conn);
	if (set_te)
		sbuf_addf(out, "Transfer-Encoding: %s\r\n", set_te);
	sbuf_adds(out, "\r\n");
	*close = close_after;
}
