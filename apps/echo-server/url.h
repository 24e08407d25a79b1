/*
 * The parts of Go's net/url and net/http that decide what the echo
 * server prints for a request target and a form: url.ParseRequestURI
 * and URL.String() (a request target is parsed and printed again, so
 * escapes are kept or redone exactly as Go does), ServeMux's path
 * cleaning, url.ParseQuery and the media type check of
 * Request.ParseForm. Behaviour follows Go 1.19; each function names the
 * Go function it matches.
 */
#ifndef ECHO_URL_H
#define ECHO_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

enum url_mode {
	URL_PATH,
	URL_HOST,
	URL_ZONE,
	URL_USERPASS,
	URL_QUERY,
};

/*
 * A parsed request target; every string is owned (url_free) and
 * NUL-terminated. The decoded ones may hold a NUL ("%00"), so they carry
 * their length.
 */
struct go_url {
	char *scheme, *opaque, *raw_path, *raw_query;
	char *user, *password, *host, *path;
	size_t user_len, password_len, host_len, path_len;
	bool has_user, has_password, force_query, omit_host;
};

/*
 * url.ParseRequestURI: 0, or -1 for a target Go refuses (Go answers
 * those with 400). s need not be NUL-terminated.
 */
int url_parse_request(struct go_url *u, const char *s, size_t n);
void url_free(struct go_url *u);
/* URL.String() and URL.EscapedPath(). */
void url_string(struct sbuf *b, const struct go_url *u);
void url_escaped_path(struct sbuf *b, const struct go_url *u);

/* url's escape(s, mode): %XX in upper case, '+' for ' ' in a query. */
void url_escape(struct sbuf *b, const char *s, size_t n, enum url_mode m);
/*
 * url's unescape(s, mode): 0 and the bytes in out, or -1 with Go's error
 * text in err (for example: invalid URL escape "%zz").
 */
int url_unescape(struct sbuf *out, const char *s, size_t n, enum url_mode m,
		 struct sbuf *err);

/* ServeMux's cleanPath: path.Clean, rooted, keeping a trailing slash. */
void url_clean_path(struct sbuf *b, const char *p, size_t n);

/*
 * url.ParseQuery: calls add() for each key and value in order. Returns
 * 0, or -1 with the error Go returns in err (values that parsed are
 * still added, as Go does).
 */
typedef void (*url_query_add)(void *ctx, const char *k, size_t kn,
			      const char *v, size_t vn);
int url_parse_query(const char *q, size_t n, url_query_add add, void *ctx,
		    struct sbuf *err);

/*
 * What Request.ParseForm decides from a Content-Type value (mime's
 * ParseMediaType): *is_form is true when the media type is
 * application/x-www-form-urlencoded. Returns 0, or -1 with Go's error
 * text in err; the body is still read as a form when *is_form is set
 * despite an error, as Go does for an invalid parameter.
 */
int url_media_type(const char *v, size_t n, bool *is_form, struct sbuf *err);

#endif
