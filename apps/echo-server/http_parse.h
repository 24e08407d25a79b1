/*
 * An HTTP/1.x request parser that decides what Go 1.19's net/http server
 * decides: the request line and header fields as net/textproto reads
 * them (lines end at LF, a CR before it is dropped, obsolete line folding
 * joins lines with one space, names are canonicalised), then the checks
 * and transfer rules of net/http (Content-Length, Transfer-Encoding:
 * chunked, Host, Expect, HTTP versions), and the chunked body decoder.
 *
 * The head parser is incremental and bounded: it is handed the bytes
 * received so far, each time more, remembers how far it got, and never
 * looks at a byte twice except to rewrite a folded field in place. Field
 * names and values are offsets into the caller's buffer, which may move
 * (realloc) between calls. Nothing recurses.
 */
#ifndef ECHO_HTTP_PARSE_H
#define ECHO_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "url.h"

/* Request line and header fields, with their line ends, at most. */
#define HTTP_HEAD_MAX (64 * 1024)
/* A chunk-size line, with its LF, is shorter than this (as in Go). */
#define HTTP_CHUNK_LINE_MAX 4096
/* Trailer fields after a chunked body, at most. */
#define HTTP_TRAILER_MAX 4096

struct http_field {
	size_t name, name_len, value, value_len;
	bool deleted; /* net/http removed it from Request.Header */
};

enum http_head_state { HEAD_LINE, HEAD_FIELDS, HEAD_DONE };

struct http_parser {
	enum http_head_state state;
	size_t pos;	     /* start of the first line not yet taken */
	size_t scan;	     /* where the search for the next LF resumes */
	size_t last_lf;	     /* last LF of the field being read, or -1 */
	size_t fields_start; /* first byte after the request line */
	size_t method, method_len, target, target_len, proto, proto_len;
	int major, minor;
	struct go_url url;
	bool have_url;
	struct http_field *fields;
	size_t nfields, cap;
};

enum http_head_result {
	HTTP_HEAD_MORE = 0,
	HTTP_HEAD_OK = 1,
	HTTP_HEAD_BAD = -1,	  /* answer "400 Bad Request" */
	HTTP_HEAD_TOO_LARGE = -2, /* answer 431 */
	HTTP_HEAD_NOMEM = -3,
};

void http_parser_init(struct http_parser *p);
void http_parser_free(struct http_parser *p);
/*
 * Parse what buf[0..len) adds. On HTTP_HEAD_OK, p->pos is the length of
 * the head (the body or the next request starts there). The parser may
 * rewrite bytes of buf before p->pos.
 */
enum http_head_result http_parse_head(struct http_parser *p, char *buf,
				      size_t len);

enum http_body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };

/* A request as net/http's server sees it before calling the handler. */
struct http_request {
	const char *buf; /* the head; every span points into it */
	struct span method, target, proto;
	int major, minor;
	const struct go_url *url;
	const struct http_field *fields;
	size_t nfields;
	bool cache_control; /* add "Cache-Control: no-cache" (from Pragma) */
	struct span host;   /* Request.Host */
	bool has_host_field;
	bool close; /* Request.Close */
	enum http_body_mode body;
	uint64_t content_length; /* for BODY_LENGTH */
	bool expect_continue;	 /* answer 100 Continue on the first read */
	bool wants10_keepalive;
	bool wants_close;
	bool h2_upgrade;
};

/* What to answer instead of calling the handler. */
struct http_refusal {
	int status;	  /* 400, 417, 501 or 505 */
	const char *text; /* Go's text after "400 Bad Request: ", or NULL */
};

/*
 * Apply net/http's rules to a parsed head (buf as given to the parser).
 * Returns 0 and fills r, or -1 and fills why.
 */
int http_request_check(struct http_request *r, struct http_parser *p, char *buf,
		       struct http_refusal *why);

/* The value of the first field called name (canonical), if any. */
bool http_request_get(const struct http_request *r, const char *name,
		      struct span *v);
/* net/http's hasToken: comma, space or tab separated, ASCII case. */
bool http_has_token(const char *v, size_t n, const char *token);
/* textproto.CanonicalMIMEHeaderKey, in place; false if left unchanged
 * because a byte is not a token byte. */
bool http_canonical_key(char *k, size_t n);
bool http_is_token_byte(unsigned char c);

/* A request body being decoded (Content-Length or chunked). */
struct http_body {
	enum http_body_mode mode;
	uint64_t remain; /* LENGTH: bytes left; CHUNKED: left in the chunk */
	int state;
	size_t line_len; /* bytes of the current chunk-size or trailer line */
	uint64_t size;
	int digits;
	bool bad_byte, ws, semi, line_empty;
	const char *pending; /* a bad chunk-size line, reported at its LF */
	const char *err;     /* Go's error text once decoding failed */
	bool done;
};

void http_body_init(struct http_body *b, enum http_body_mode mode,
		    uint64_t length);
/*
 * Decode in[0..n); append the body's bytes to out when out is non-NULL,
 * and count them in *got, stopping when *got reaches limit. Returns how
 * many bytes of in were used; the rest is more body or the next request.
 * Stops at the end of the body (b->done) or at an error (b->err too).
 */
size_t http_body_feed(struct http_body *b, const char *in, size_t n,
		      struct sbuf *out, uint64_t *got, uint64_t limit);
/* The connection ended before the body did. */
void http_body_eof(struct http_body *b);

#endif
