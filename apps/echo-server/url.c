/*
 * Request targets, paths, queries and media types as Go 1.19's net/url,
 * net/http and mime packages treat them (see url.h). The rules are
 * RFC 3986's as Go applies them, including where Go is laxer or
 * stricter than the RFC; the unit test holds strings Go produced.
 */
#include "url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goquote.h"

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool should_escape(unsigned char c, enum url_mode m)
{
	if (is_alnum(c))
		return false;
	if (m == URL_HOST || m == URL_ZONE) {
		if (c && strchr("!$&'()*+,;=:[]<>\"", c))
			return false;
	}
	switch (c) {
	case '-':
	case '_':
	case '.':
	case '~':
		return false;
	case '$':
	case '&':
	case '+':
	case ',':
	case '/':
	case ':':
	case ';':
	case '=':
	case '?':
	case '@':
		switch (m) {
		case URL_PATH:
			return c == '?';
		case URL_USERPASS:
			return c == '@' || c == '/' || c == '?' || c == ':';
		case URL_QUERY:
			return true;
		default:
			break;
		}
	}
	return true;
}

static int unhex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void url_escape(struct sbuf *b, const char *s, size_t n, enum url_mode m)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!should_escape(c, m)) {
			sbuf_addc(b, (char)c);
		} else if (c == ' ' && m == URL_QUERY) {
			sbuf_addc(b, '+');
		} else {
			sbuf_addc(b, '%');
			sbuf_addc(b, hex[c >> 4]);
			sbuf_addc(b, hex[c & 15]);
		}
	}
}

static void escape_error(struct sbuf *err, const char *s, size_t n)
{
	if (!err)
		return;
	sbuf_adds(err, "invalid URL escape ");
	go_quote(err, s, n);
}

int url_unescape(struct sbuf *out, const char *s, size_t n, enum url_mode m,
		 struct sbuf *err)
{
	/* Check everything first, as Go does, then decode. */
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || unhex((unsigned char)s[i + 1]) < 0 ||
			    unhex((unsigned char)s[i + 2]) < 0) {
				escape_error(err, s + i, n - i > 3 ? 3 : n - i);
				return -1;
			}
			bool pct25 = s[i + 1] == '2' && s[i + 2] == '5';
			int v = unhex((unsigned char)s[i + 1]) << 4 |
				unhex((unsigned char)s[i + 2]);

			/* In a host, only non-ASCII bytes may be escaped. */
			if (m == URL_HOST && (v >> 4) < 8 && !pct25) {
				escape_error(err, s + i, 3);
				return -1;
			}
			if (m == URL_ZONE && !pct25 && v != ' ' &&
			    should_escape((unsigned char)v, URL_HOST)) {
				escape_error(err, s + i, 3);
				return -1;
			}
			i += 3;
			continue;
		}
		if ((m == URL_HOST || m == URL_ZONE) && c < 0x80 &&
		    should_escape(c, m)) {
			if (err) {
				sbuf_adds(err, "invalid character ");
				go_quote(err, s + i, 1);
				sbuf_adds(err, " in host name");
			}
			return -1;
		}
		i++;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			sbuf_addc(out,
				  (char)(unhex((unsigned char)s[i + 1]) << 4 |
					 unhex((unsigned char)s[i + 2])));
			i += 2;
		} else if (s[i] == '+' && m == URL_QUERY) {
			sbuf_addc(out, ' ');
		} else {
			sbuf_addc(out, s[i]);
		}
	}
	return 0;
}

/* A NUL-terminated heap copy of what b holds; NULL when out of memory. */
static char *take(struct sbuf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	sbuf_addc(b, '\0');
	if (b->oom) {
		sbuf_free(b);
		return NULL;
	}
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static char *dup_n(const char *s, size_t n)
{
	struct sbuf b = { 0 };

	sbuf_add(&b, s, n);
	return take(&b, NULL);
}

static int unescape_dup(char **out, size_t *len, const char *s, size_t n,
			enum url_mode m)
{
	struct sbuf b = { 0 };

	if (url_unescape(&b, s, n, m, NULL) < 0) {
		sbuf_free(&b);
		return -1;
	}
	*out = take(&b, len);
	return *out ? 0 : -1;
}

static const char *memrchr_n(const char *s, size_t n, char c)
{
	while (n-- > 0)
		if (s[n] == c)
			return s + n;
	return NULL;
}

static bool valid_optional_port(const char *p, size_t n)
{
	if (n == 0)
		return true;
	if (p[0] != ':')
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* url's parseHost: the host with escapes decoded, or -1. */
static int parse_host(char **out, size_t *len, const char *h, size_t n)
{
	if (n > 0 && h[0] == '[') {
		const char *rb = memrchr_n(h, n, ']');
		size_t i, zone;
		struct sbuf b = { 0 };

		if (!rb)
			return -1;
		i = (size_t)(rb - h);
		if (!valid_optional_port(rb + 1, n - i - 1))
			return -1;
		for (zone = 0; zone + 3 <= i; zone++)
			if (memcmp(h + zone, "%25", 3) == 0)
				break;
		if (zone + 3 <= i) {
			if (url_unescape(&b, h, zone, URL_HOST, NULL) < 0 ||
			    url_unescape(&b, h + zone, i - zone, URL_ZONE,
					 NULL) < 0 ||
			    url_unescape(&b, h + i, n - i, URL_HOST, NULL) <
				    0) {
				sbuf_free(&b);
				return -1;
			}
			*out = take(&b, len);
			return *out ? 0 : -1;
		}
	} else {
		const char *colon = memrchr_n(h, n, ':');

		if (colon &&
		    !valid_optional_port(colon, n - (size_t)(colon - h)))
			return -1;
	}
	return unescape_dup(out, len, h, n, URL_HOST);
}

static bool valid_userinfo(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_alnum(c))
			continue;
		if (!c || !strchr("-._:~!$&'()*+,;=%@", c))
			return false;
	}
	return true;
}

/* url's parseAuthority. */
static int parse_authority(struct go_url *u, const char *a, size_t n)
{
	const char *at = memrchr_n(a, n, '@');
	size_t i = at ? (size_t)(at - a) : 0;

	if (parse_host(&u->host, &u->host_len, at ? at + 1 : a,
		       at ? n - i - 1 : n) < 0)
		return -1;
	if (!at)
		return 0;
	if (!valid_userinfo(a, i))
		return -1;
	u->has_user = true;
	const char *colon = memchr(a, ':', i);

	if (!colon)
		return unescape_dup(&u->user, &u->user_len, a, i, URL_USERPASS);
	u->has_password = true;
	if (unescape_dup(&u->user, &u->user_len, a, (size_t)(colon - a),
			 URL_USERPASS) < 0)
		return -1;
	return unescape_dup(&u->password, &u->password_len, colon + 1,
			    i - (size_t)(colon - a) - 1, URL_USERPASS);
}

/* url's setPath: Path decoded, RawPath kept when escaping differs. */
static int set_path(struct go_url *u, const char *p, size_t n)
{
	struct sbuf esc = { 0 };
	bool same;

	if (unescape_dup(&u->path, &u->path_len, p, n, URL_PATH) < 0)
		return -1;
	url_escape(&esc, u->path, u->path_len, URL_PATH);
	same = !esc.oom && esc.len == n && (n == 0 || memcmp(esc.p, p, n) == 0);
	sbuf_free(&esc);
	if (!same) {
		u->raw_path = dup_n(p, n);
		if (!u->raw_path)
			return -1;
	}
	return 0;
}

int url_parse_request(struct go_url *u, const char *s, size_t n)
{
	size_t i, slen = 0;
	const char *rest;
	size_t rn;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1; /* invalid control character in URL */
	if (n == 0)
		return -1; /* empty url */
	if (n == 1 && s[0] == '*') {
		u->path = dup_n("*", 1);
		u->path_len = 1;
		return u->path ? 0 : -1;
	}
	/* getScheme */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
		    c == '.') {
			if (i == 0)
				break;
			continue;
		}
		if (c == ':') {
			if (i == 0)
				return -1; /* missing protocol scheme */
			slen = i;
		}
		break;
	}
	rest = s;
	rn = n;
	if (slen) {
		u->scheme = dup_n(s, slen);
		if (!u->scheme)
			goto err_free;
		for (i = 0; i < slen; i++)
			if (u->scheme[i] >= 'A' && u->scheme[i] <= 'Z')
				u->scheme[i] += 'a' - 'A';
		rest = s + slen + 1;
		rn = n - slen - 1;
	}
	const char *q = memchr(rest, '?', rn);

	if (q && q == rest + rn - 1) {
		u->force_query = true;
		rn--;
	} else if (q) {
		u->raw_query = dup_n(q + 1, rn - (size_t)(q - rest) - 1);
		if (!u->raw_query)
			goto err_free;
		rn = (size_t)(q - rest);
	}
	if (rn == 0 || rest[0] != '/') {
		if (!u->scheme)
			goto err_free; /* invalid URI for request */
		u->opaque = dup_n(rest, rn);
		if (!u->opaque)
			goto err_free;
		return 0;
	}
	if (u->scheme && rn >= 2 && rest[1] == '/') {
		const char *a = rest + 2;
		const char *sl = memchr(a, '/', rn - 2);
		size_t an = sl ? (size_t)(sl - a) : rn - 2;

		if (parse_authority(u, a, an) < 0)
			goto err_free;
		rest = a + an;
		rn = rn - 2 - an;
	} else if (u->scheme) {
		u->omit_host = true;
	}
	if (set_path(u, rest, rn) < 0)
		goto err_free;
	return 0;
err_free:
	url_free(u);
	return -1;
}

void url_free(struct go_url *u)
{
	free(u->scheme);
	free(u->opaque);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->path);
	free(u->raw_path);
	free(u->raw_query);
	memset(u, 0, sizeof(*u));
}

/* url's validEncoded for a path. */
static bool valid_encoded_path(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("!$&'()*+,;=:@[]%", c))
			continue;
		if (should_escape(c, URL_PATH))
			return false;
	}
	return true;
}

void url_escaped_path(struct sbuf *b, const struct go_url *u)
{
	const char *path = u->path ? u->path : "";
	size_t path_len = u->path ? u->path_len : 0;

	if (u->raw_path && valid_encoded_path(u->raw_path)) {
		struct sbuf p = { 0 };
		bool same = url_unescape(&p, u->raw_path, strlen(u->raw_path),
					 URL_PATH, NULL) == 0 &&
			    !p.oom && p.len == path_len &&
			    (p.len == 0 || memcmp(p.p, path, p.len) == 0);

		sbuf_free(&p);
		if (same) {
			sbuf_adds(b, u->raw_path);
			return;
		}
	}
	if (path_len == 1 && path[0] == '*') {
		sbuf_adds(b, "*");
		return;
	}
	url_escape(b, path, path_len, URL_PATH);
}

void url_string(struct sbuf *b, const struct go_url *u)
{
	bool has_host = u->host && u->host_len;
	size_t start = b->len;

	if (u->scheme) {
		sbuf_adds(b, u->scheme);
		sbuf_addc(b, ':');
	}
	if (u->opaque && u->opaque[0]) {
		sbuf_adds(b, u->opaque);
	} else {
		struct sbuf path = { 0 };

		if ((u->scheme || has_host || u->has_user) &&
		    !(u->omit_host && !has_host && !u->has_user)) {
			if (has_host || (u->path && u->path_len) || u->has_user)
				sbuf_adds(b, "//");
			if (u->has_user) {
				url_escape(b, u->user, u->user_len,
					   URL_USERPASS);
				if (u->has_password) {
					sbuf_addc(b, ':');
					url_escape(b, u->password,
						   u->password_len,
						   URL_USERPASS);
				}
				sbuf_addc(b, '@');
			}
			if (has_host)
				url_escape(b, u->host, u->host_len, URL_HOST);
		}
		url_escaped_path(&path, u);
		if (path.len && path.p[0] != '/' && has_host)
			sbuf_addc(b, '/');
		if (b->len == start && path.len) {
			const char *sl = memchr(path.p, '/', path.len);
			size_t seg = sl ? (size_t)(sl - path.p) : path.len;

			if (memchr(path.p, ':', seg))
				sbuf_adds(b, "./");
		}
		sbuf_add(b, path.p, path.len);
		if (path.oom)
			b->oom = true;
		sbuf_free(&path);
	}
	if (u->force_query || (u->raw_query && u->raw_query[0])) {
		sbuf_addc(b, '?');
		if (u->raw_query)
			sbuf_adds(b, u->raw_query);
	}
}

void url_clean_path(struct sbuf *b, const char *p, size_t n)
{
	size_t start = b->len, r = 0, dotdot;

	/* The lexical rules of Go's path.Clean on "/" + p when p is not
	 * rooted, written into b from 'start'. */
	sbuf_addc(b, '/');
	if (n > 0 && p[0] == '/')
		r = 1;
	dotdot = start + 1;
	while (r < n && !b->oom) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && r + 1 < n && p[r + 1] == '.' &&
			   (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (b->len > dotdot) {
				b->len--;
				while (b->len > dotdot && b->p[b->len] != '/')
					b->len--;
			}
		} else {
			if (b->len != start + 1)
				sbuf_addc(b, '/');
			for (; r < n && p[r] != '/'; r++)
				sbuf_addc(b, p[r]);
		}
	}
	/* Put back a trailing slash that path.Clean removed. */
	if (n > 0 && p[n - 1] == '/' && b->len != start + 1)
		sbuf_addc(b, '/');
}

int url_parse_query(const char *q, size_t n, url_query_add add, void *ctx,
		    struct sbuf *err)
{
	bool semicolon = false, failed = false;
	struct sbuf first = { 0 };

	while (n > 0) {
		const char *amp = memchr(q, '&', n);
		size_t kn = amp ? (size_t)(amp - q) : n;
		const char *key = q;

		q += kn;
		n -= kn;
		if (amp) {
			q++;
			n--;
		}
		if (memchr(key, ';', kn)) {
			semicolon = true;
			continue;
		}
		if (kn == 0)
			continue;
		const char *eq = memchr(key, '=', kn);
		size_t k_len = eq ? (size_t)(eq - key) : kn;
		struct sbuf k = { 0 }, v = { 0 };

		if (url_unescape(&k, key, k_len, URL_QUERY,
				 failed ? NULL : &first) < 0 ||
		    (eq && url_unescape(&v, eq + 1, kn - k_len - 1, URL_QUERY,
					failed ? NULL : &first) < 0)) {
			failed = true;
		} else {
			add(ctx, k.p ? k.p : "", k.len, v.p ? v.p : "", v.len);
		}
		sbuf_free(&k);
		sbuf_free(&v);
	}
	/* A semicolon error replaces an escape error, as in Go. */
	if (semicolon)
		sbuf_adds(err, "invalid semicolon separator in query");
	else if (failed)
		sbuf_add(err, first.p, first.len);
	sbuf_free(&first);
	return semicolon || failed ? -1 : 0;
}

/* unicode.IsSpace for the rune at s (n > 0); its width in *w. */
static bool space_at(const char *s, size_t n, size_t *w)
{
	uint32_t r;

	*w = go_utf8_decode((const unsigned char *)s, n, &r);
	switch (r) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xA0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202F:
	case 0x205F:
	case 0x3000:
		return true;
	}
	return r >= 0x2000 && r <= 0x200A;
}

static size_t skip_space(const char *s, size_t n)
{
	size_t i = 0, w;

	while (i < n && space_at(s + i, n - i, &w))
		i += w;
	return i;
}

/* mime's isTokenChar, by rune: a non-ASCII rune is never a token. */
static size_t token_len(const char *s, size_t n)
{
	size_t i = 0;

	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c))
			break;
	}
	return i;
}

/* A quoted-string or token value (mime's consumeValue); -1 if none. */
static long value_len(const char *s, size_t n)
{
	if (n == 0)
		return -1;
	if (s[0] != '"') {
		size_t t = token_len(s, n);

		return t ? (long)t : -1;
	}
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '"')
			return (long)i + 1;
		if (s[i] == '\\' && i + 1 < n && s[i + 1] &&
		    strchr("()<>@,;:\\\"/[]?=", s[i + 1])) {
			i++;
			continue;
		}
		if (s[i] == '\r' || s[i] == '\n')
			return -1;
	}
	return -1;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

int url_media_type(const char *v, size_t n, bool *is_form, struct sbuf *err)
{
	static const char form[] = "application/x-www-form-urlencoded";
	const char *semi = memchr(v, ';', n);
	size_t bn = semi ? (size_t)(semi - v) : n;
	struct sbuf mt = { 0 };
	size_t i, w, t, end;
	/* Up to 64 parameter names for the duplicate check; more are
	 * taken as distinct. */
	struct span seen[64];
	size_t nseen = 0;
	int ret = -1;

	*is_form = false;
	if (!sbuf_reserve(&mt, bn + 1))
		goto out;
	/* strings.ToLower then TrimSpace. Only two non-ASCII runes lower
	 * to ASCII (U+0130 to 'i', U+212A to 'k'); others stay non-token
	 * bytes, which is all the checks below look at. */
	for (i = 0; i < bn; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == 0xC4 && i + 1 < bn &&
		    (unsigned char)v[i + 1] == 0xB0) {
			sbuf_addc(&mt, 'i');
			i++;
		} else if (c == 0xE2 && i + 2 < bn &&
			   (unsigned char)v[i + 1] == 0x84 &&
			   (unsigned char)v[i + 2] == 0xAA) {
			sbuf_addc(&mt, 'k');
			i += 2;
		} else {
			sbuf_addc(&mt, lower((char)c));
		}
	}
	if (mt.oom)
		goto out;
	i = skip_space(mt.p, mt.len);
	end = mt.len;
	while (end > i) {
		size_t j = i;

		/* Trim trailing spaces: find the last non-space rune. */
		size_t last_ns = i;
		while (j < end) {
			if (space_at(mt.p + j, end - j, &w)) {
				j += w;
			} else {
				j += w;
				last_ns = j;
			}
		}
		end = last_ns;
		break;
	}
	/* checkMediaTypeDisposition */
	t = token_len(mt.p + i, end - i);
	if (t == 0) {
		sbuf_adds(err, "mime: no media type");
		goto out;
	}
	if (i + t < end) {
		size_t s2 = i + t;

		if (mt.p[s2] != '/') {
			sbuf_adds(err,
				  "mime: expected slash after first token");
			goto out;
		}
		size_t t2 = token_len(mt.p + s2 + 1, end - s2 - 1);

		if (t2 == 0) {
			sbuf_adds(err, "mime: expected token after slash");
			goto out;
		}
		if (s2 + 1 + t2 != end) {
			sbuf_adds(
				err,
				"mime: unexpected content after media subtype");
			goto out;
		}
	}
	*is_form = end - i == sizeof(form) - 1 &&
		   memcmp(mt.p + i, form, sizeof(form) - 1) == 0;
	/* Parameters: ';' token '=' value, with spaces between. */
	v += bn;
	n -= bn;
	while (n > 0) {
		size_t p = skip_space(v, n), k, pn;
		long vl;

		if (p == n)
			break;
		v += p;
		n -= p;
		/* consumeMediaParam */
		if (v[0] != ';')
			goto bad_param;
		k = 1 + skip_space(v + 1, n - 1);
		pn = token_len(v + k, n - k);
		if (pn == 0)
			goto bad_param;
		size_t name = k;

		k += pn;
		k += skip_space(v + k, n - k);
		if (k >= n || v[k] != '=')
			goto bad_param;
		k++;
		k += skip_space(v + k, n - k);
		vl = value_len(v + k, n - k);
		if (vl < 0)
			goto bad_param;
		for (size_t j = 0; j < nseen; j++) {
			if (seen[j].n != pn)
				continue;
			size_t x = 0;

			while (x < pn &&
			       lower(seen[j].p[x]) == lower(v[name + x]))
				x++;
			if (x == pn) {
				*is_form = false;
				sbuf_adds(err,
					  "mime: duplicate parameter name");
				goto out;
			}
		}
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = (struct span){ v + name, pn };
		v += k + (size_t)vl;
		n -= k + (size_t)vl;
	}
	ret = 0;
	goto out;
bad_param:
	/* A trailing ';' alone is not an error. */
	if (v[0] == ';' && skip_space(v + 1, n - 1) == n - 1) {
		ret = 0;
		goto out;
	}
	sbuf_adds(err, "mime: invalid media parameter");
out:
	sbuf_free(&mt);
	return ret;
}
