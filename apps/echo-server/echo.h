/*
 * The handler of the Go echo program and the parts of net/http's server
 * that shape its answer: ServeMux's routing for a single "/" pattern
 * (path cleaning redirects, "*", CONNECT), the echo text itself,
 * Request.ParseForm, and the response head as net/http writes it (Date,
 * Content-Length or chunked, a sniffed Content-Type, keep-alive and
 * Connection rules). No I/O here: server.c does it.
 */
#ifndef ECHO_ECHO_H
#define ECHO_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http_parse.h"
#include "sbuf.h"

/* The handler's output is buffered up to this many bytes before the
 * head is written (net/http's bufferBeforeChunkingSize). */
#define ECHO_CHUNKING_SIZE 2048
/* At most this much of a form body is read; Go allows 10 MB. */
#define ECHO_FORM_MAX (1024 * 1024)
/* Unread body left over after the handler that is read and dropped to
 * keep the connection (net/http's maxPostHandlerReadBytes). */
#define ECHO_DISCARD_MAX (256 * 1024)

enum echo_route {
	ROUTE_ECHO,
	ROUTE_REDIRECT,	    /* 301 to a cleaned path */
	ROUTE_NOT_FOUND,    /* CONNECT to an authority: no pattern matches */
	ROUTE_STAR,	    /* "*" with a method other than OPTIONS: 400 */
	ROUTE_OPTIONS_STAR, /* OPTIONS *: 200, empty */
};

/* Which handler ServeMux picks; for ROUTE_REDIRECT, url gets the
 * target (url.URL.String() of the cleaned path and the query). */
enum echo_route echo_route(const struct http_request *r, struct sbuf *url);

/* Everything the handler prints before it calls ParseForm. */
void echo_write_prefix(struct sbuf *b, const struct http_request *r,
		       const char *remote_addr);

/* What ParseForm needs of the body, decided before it is read. */
struct echo_form {
	bool read_body;	       /* POST/PUT/PATCH with a form media type */
	struct sbuf media_err; /* mime.ParseMediaType's error, if any */
	const char *read_err;  /* reading the body failed: Go's text */
	bool too_large;	       /* more than ECHO_FORM_MAX bytes */
	struct span body;
};

void echo_form_prepare(struct echo_form *f, const struct http_request *r);
void echo_form_free(struct echo_form *f);
/*
 * ParseForm and the Form lines. The error ParseForm returns, if any, is
 * put in err (the server logs it as log.Print does).
 */
void echo_write_form(struct sbuf *b, const struct http_request *r,
		     const struct echo_form *f, struct sbuf *err);

/* One header field the handler set (net/http writes them sorted). */
struct echo_field {
	const char *name;
	const char *value;
};

/* A response before its head is written. */
struct echo_reply {
	int status;
	struct echo_field hdr[3]; /* sorted by name */
	size_t nhdr;
	struct sbuf body;
	bool close;	      /* close after the reply, decided earlier */
	bool handler_done;    /* the body is complete (fits the buffer) */
	struct sbuf location; /* storage for a Location value */
};

/* Status, header fields and body of the handlers other than the echo
 * (for ROUTE_ECHO: only the status). */
void echo_reply_for(struct echo_reply *rep, enum echo_route route,
		    const struct http_request *r, const struct sbuf *url);
void echo_reply_free(struct echo_reply *rep);

/*
 * What net/http does with the request body that is left before the head
 * goes out: 0 when it was read to its end (or there was none), 1 when
 * too much was left (the connection is closed after the reply), -1 when
 * reading it failed (likewise).
 */
typedef int (*echo_discard_fn)(void *ctx);

/*
 * The status line and header of a reply as net/http's chunkWriter
 * writes it. Sets *chunked when the body goes out chunked, *close when
 * the connection is closed after it, and *no_body for HEAD and statuses
 * without a body.
 */
void echo_write_head(struct sbuf *out, const struct http_request *r,
		     struct echo_reply *rep, time_t now,
		     echo_discard_fn discard, void *ctx, bool *chunked,
		     bool *close, bool *no_body);

/* http.DetectContentType for what the handler can write. */
const char *echo_sniff(const char *p, size_t n);
const char *echo_status_text(int code);
/* "Mon, 02 Jan 2006 15:04:05 GMT" */
void echo_http_date(char out[30], time_t t);

#endif
