/*
 * Sockets and threads of the echo server (see server.h): read a request
 * head with the incremental parser, apply net/http's checks, run the
 * echo handler (which may read a form body), write the reply as
 * net/http would, and go on with the next request on the connection.
 * Plain POSIX: the same file runs on Linux and on skiff's lwIP sockets.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "echo.h"
#include "http_parse.h"
#include "sbuf.h"

struct conn {
	int fd;
	char remote[32];
	char *buf;
	size_t len, off, cap; /* received bytes; buf[off..len) unread */
	bool eof;
	/* the body of the current request */
	struct http_body body;
	bool expect, wrote_continue, head_sent;
	int64_t rcv_ms; /* the socket's SO_RCVTIMEO, ms; 0: none set */
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conns_cond = PTHREAD_COND_INITIALIZER;
static int conns_active;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* log.Print: local date and time, then the message. */
static void log_print(const char *msg, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	fprintf(stderr, "%04d/%02d/%02d %02d:%02d:%02d %.*s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, (int)n, msg);
}

static void log_printf(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_print(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/*
 * A connection accepted but not served (no memory for its state or its
 * thread): closed, and said on the console at most once a second with
 * the number closed since, so that a flood cannot drown the log.
 */
static void refuse(int fd, const char *remote, const char *why)
{
	static int64_t last_ms;
	static unsigned quiet;
	int64_t now = now_ms();

	close(fd);
	if (last_ms && now - last_ms < 1000) {
		quiet++;
		return;
	}
	if (quiet)
		log_printf("http: cannot serve %s: %s; closed (and %u more "
			   "since the last message)",
			   remote, why, quiet);
	else
		log_printf("http: cannot serve %s: %s; closed", remote, why);
	last_ms = now;
	quiet = 0;
}

/* Each send may wait ECHO_READ_TIMEOUT_MS (SO_SNDTIMEO, set when the
 * connection is accepted): EAGAIN is that timeout. */
static bool send_all(struct conn *c, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(c->fd, s, n, 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * Wait at most ms in the next recv (SO_RCVTIMEO), changing the socket's
 * setting only when it differs: waits of more than 2 s are rounded up to
 * whole seconds, so that every request's idle wait (60 s) is the same
 * one and costs no call. A blocking recv with a timeout, rather than
 * poll and recv, because poll in lwIP sets up and takes down a wait
 * (and a semaphore) each time.
 */
static void recv_timeout(struct conn *c, int64_t ms)
{
	struct timeval tv;

	if (ms > 2000)
		ms = (ms + 999) / 1000 * 1000;
	if (ms == c->rcv_ms)
		return;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
		c->rcv_ms = ms;
}

/*
 * Read more bytes into the buffer, waiting until the deadline (ms on the
 * monotonic clock). Returns 1 for data, 0 at end of stream, -1 on a
 * timeout or an error.
 */
static int fill(struct conn *c, int64_t deadline)
{
	if (c->eof)
		return 0;
	if (c->off > 0 && c->off == c->len)
		c->off = c->len = 0;
	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 8192;
		char *p;

		/* The head is bounded, and a body is consumed as it comes. */
		if (cap > HTTP_HEAD_MAX + 16384 && c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
			cap = c->cap;
		}
		if (cap != c->cap) {
			p = realloc(c->buf, cap);
			if (!p)
				return -1;
			c->buf = p;
			c->cap = cap;
		}
	}
	for (;;) {
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -1;
		recv_timeout(c, left);
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			return 1;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

/*
 * Decode body bytes into out (or drop them when out is NULL) until the
 * body ends, an error, or 'limit' bytes were produced. Returns false on
 * a read timeout or socket error (the body gets Go's error text).
 */
static bool read_body(struct conn *c, struct sbuf *out, uint64_t limit,
		      uint64_t *got)
{
	while (!c->body.done && *got < limit) {
		if (c->off == c->len) {
			int r = fill(c, now_ms() + ECHO_READ_TIMEOUT_MS);

			if (r == 0) {
				http_body_eof(&c->body);
				break;
			}
			if (r < 0) {
				c->body.err = "i/o timeout";
				c->body.done = true;
				return false;
			}
		}
		c->off += http_body_feed(&c->body, c->buf + c->off,
					 c->len - c->off, out, got, limit);
	}
	return true;
}

static void send_continue(struct conn *c)
{
	if (c->expect && !c->wrote_continue && !c->head_sent) {
		c->wrote_continue = true;
		send_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
}

/* net/http's discard of the body left after the handler (echo.h). */
static int discard_rest(void *ctx)
{
	struct conn *c = ctx;
	uint64_t got = 0;

	/* A body cut short by the end of the stream counts as read (Go's
	 * body sees EOF); other errors close the connection. */
	if (c->body.done)
		return c->body.err && !(c->body.mode == BODY_LENGTH && c->eof)
			       ? -1
			       : 0;
	if (c->expect && !c->wrote_continue)
		return 0;
	if (c->body.mode == BODY_LENGTH && c->body.remain >= ECHO_DISCARD_MAX)
		return 1;
	if (!read_body(c, NULL, ECHO_DISCARD_MAX + 1, &got))
		return -1;
	if (!c->body.done)
		return 1;
	return c->body.err ? -1 : 0;
}

static const char error_headers[] =
	"\r\nContent-Type: text/plain; charset=utf-8\r\n"
	"Connection: close\r\n\r\n";

/* The answers net/http writes itself when it cannot read a request. */
static void send_refusal(struct conn *c, int status, const char *text)
{
	struct sbuf b = { 0 };
	const char *st = echo_status_text(status);

	if (status == 501)
		sbuf_addf(&b, "HTTP/1.1 501 %s%sUnsupported transfer encoding",
			  st, error_headers);
	else if (text)
		sbuf_addf(&b, "HTTP/1.1 %d %s: %s%s%d %s: %s", status, st, text,
			  error_headers, status, st, text);
	else
		sbuf_addf(&b, "HTTP/1.1 %d %s%s%d %s", status, st,
			  error_headers, status, st);
	if (!b.oom)
		send_all(c, b.p, b.len);
	sbuf_free(&b);
}

static bool send_chunk(struct conn *c, const char *p, size_t n)
{
	char hdr[24];
	int h;

	if (n == 0)
		return true;
	h = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	return send_all(c, hdr, (size_t)h) && send_all(c, p, n) &&
	       send_all(c, "\r\n", 2);
}

static bool send_body(struct conn *c, bool chunked, bool no_body, const char *p,
		      size_t n)
{
	if (no_body)
		return true;
	return chunked ? send_chunk(c, p, n) : send_all(c, p, n);
}

/* ParseForm's body read: up to ECHO_FORM_MAX + 1 bytes. */
static void read_form_body(struct conn *c, struct echo_form *f,
			   struct sbuf *data, bool discarded)
{
	uint64_t got = 0;

	if (discarded) {
		f->read_err = c->body.err ? c->body.err
					  : "http: invalid Read on closed Body";
		return;
	}
	/* No 100 Continue: the handler wrote before it read, and a write
	 * tells net/http not to send one. */
	read_body(c, data, ECHO_FORM_MAX + 1, &got);
	if (c->body.err)
		f->read_err = c->body.err;
	else if (got > ECHO_FORM_MAX)
		f->too_large = true;
	f->body = (struct span){ data->p ? data->p : "", data->len };
}

/*
 * One request whose head parsed. Returns true to keep the connection.
 */
static bool serve_request(struct conn *c, struct http_request *r)
{
	struct echo_reply rep = { 0 };
	struct echo_form form;
	struct sbuf head = { 0 }, url = { 0 }, data = { 0 }, err = { 0 };
	enum echo_route route = echo_route(r, &url);
	bool chunked, close, no_body, ok = false;

	http_body_init(&c->body, r->body, r->content_length);
	c->expect = r->expect_continue;
	c->wrote_continue = c->head_sent = false;
	echo_reply_for(&rep, route, r, &url);
	echo_form_prepare(&form, r);
	if (route == ROUTE_OPTIONS_STAR && r->body != BODY_NONE) {
		/* Up to 4 KiB of body are read and dropped; past that the
		 * connection is closed (http.MaxBytesReader). */
		uint64_t got = 0;

		send_continue(c);
		read_body(c, NULL, 4097, &got);
		if (got > 4096) {
			rep.close = true;
			rep.hdr[1] = rep.hdr[0];
			rep.hdr[0] =
				(struct echo_field){ "Connection", "close" };
			rep.nhdr = 2;
		}
	}
	if (route != ROUTE_ECHO) {
		rep.handler_done = true;
		goto reply;
	}
	echo_write_prefix(&rep.body, r, c->remote);
	if (rep.body.len > ECHO_CHUNKING_SIZE) {
		/* The buffer overflowed before ParseForm: the head goes out
		 * now, and with it the discard of an unread body. */
		bool discarded;

		rep.close = c->expect && !c->body.done;
		echo_write_head(&head, r, &rep, time(NULL), discard_rest, c,
				&chunked, &close, &no_body);
		c->head_sent = true;
		discarded = c->body.mode != BODY_NONE && c->body.done;
		if (head.oom || rep.body.oom ||
		    !send_all(c, head.p, head.len) ||
		    !send_body(c, chunked, no_body, rep.body.p, rep.body.len))
			goto out;
		rep.body.len = 0;
		if (form.read_body)
			read_form_body(c, &form, &data, discarded);
		echo_write_form(&rep.body, r, &form, &err);
		if (err.len)
			log_print(err.p, err.len);
		if (rep.body.oom ||
		    !send_body(c, chunked, no_body, rep.body.p, rep.body.len) ||
		    (chunked && !no_body && !send_all(c, "0\r\n\r\n", 5)))
			goto out;
		ok = !close;
		goto out;
	}
	if (form.read_body)
		read_form_body(c, &form, &data, false);
	echo_write_form(&rep.body, r, &form, &err);
	if (err.len)
		log_print(err.p, err.len);
	rep.handler_done = rep.body.len <= ECHO_CHUNKING_SIZE;
	rep.close = c->expect && !c->body.done;
reply:
	if (rep.body.oom)
		goto out;
	echo_write_head(&head, r, &rep, time(NULL), discard_rest, c, &chunked,
			&close, &no_body);
	c->head_sent = true;
	if (head.oom || !send_all(c, head.p, head.len) ||
	    !send_body(c, chunked, no_body, rep.body.p, rep.body.len) ||
	    (chunked && !no_body && !send_all(c, "0\r\n\r\n", 5)))
		goto out;
	ok = !close;
out:
	/* net/http's warning, after any handler, for each such request. */
	if (r->url->raw_query && strchr(r->url->raw_query, ';')) {
		static const char semi[] =
			"http: URL query contains semicolon, which is no "
			"longer "
			"a supported separator; parts of the query may be "
			"stripped when parsed; see golang.org/issue/25192";

		log_print(semi, sizeof(semi) - 1);
	}
	echo_reply_free(&rep);
	echo_form_free(&form);
	sbuf_free(&head);
	sbuf_free(&url);
	sbuf_free(&data);
	sbuf_free(&err);
	return ok;
}

/*
 * Read and answer requests until the connection ends. 'post' is whether
 * the last request was a POST: Go then skips up to four CR or LF bytes
 * some old clients send after a body.
 */
static void serve_conn(struct conn *c)
{
	bool post = false;

	for (;;) {
		struct http_parser p;
		struct http_request r;
		struct http_refusal why;
		enum http_head_result res = HTTP_HEAD_MORE;
		int64_t deadline = now_ms() + ECHO_IDLE_TIMEOUT_MS;
		bool started = false, keep;
		size_t skipped = 0;
		char *head = NULL;

		/* The next request's bytes start the buffer. */
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
		http_parser_init(&p);
		for (;;) {
			while (post && skipped < 4 && c->len > 0 &&
			       (c->buf[0] == '\r' || c->buf[0] == '\n')) {
				memmove(c->buf, c->buf + 1, --c->len);
				skipped++;
			}
			if (c->len > 0) {
				if (!started)
					deadline =
						now_ms() + ECHO_READ_TIMEOUT_MS;
				started = true;
				res = http_parse_head(&p, c->buf, c->len);
				if (res != HTTP_HEAD_MORE)
					break;
			}
			int f = fill(c, deadline);

			if (f < 0 || (f == 0 && !started))
				goto out_free; /* timeout, or closed between */
			if (f == 0) {
				res = HTTP_HEAD_BAD; /* unexpected EOF */
				break;
			}
		}
		if (res == HTTP_HEAD_TOO_LARGE) {
			send_refusal(c, 431, NULL);
			goto out_free;
		}
		if (res != HTTP_HEAD_OK) {
			if (res == HTTP_HEAD_BAD)
				send_refusal(c, 400, NULL);
			goto out_free;
		}
		/* The request keeps its own copy of the head: reading the
		 * body reuses the buffer. */
		head = malloc(p.pos);
		if (!head)
			goto out_free;
		memcpy(head, c->buf, p.pos);
		c->off = p.pos;
		if (http_request_check(&r, &p, head, &why) < 0) {
			if (why.status == 417) {
				struct echo_reply rep = {
					.status = 417,
					.hdr = { { "Connection", "close" } },
					.nhdr = 1,
					.handler_done = true,
				};
				struct sbuf head = { 0 };
				bool ch, cl, nb;

				echo_write_head(&head, &r, &rep, time(NULL),
						NULL, NULL, &ch, &cl, &nb);
				if (!head.oom)
					send_all(c, head.p, head.len);
				sbuf_free(&head);
			} else {
				send_refusal(c, why.status, why.text);
			}
			goto out_free;
		}
		post = r.method.n == 4 && memcmp(r.method.p, "POST", 4) == 0;
		keep = serve_request(c, &r);
		http_parser_free(&p);
		free(head);
		if (!keep)
			return;
		continue;
out_free:
		http_parser_free(&p);
		free(head);
		return;
	}
}

/* Close after the reply went out: stop sending, then read (and drop)
 * what the client still sends for a moment, so that unread request bytes
 * do not turn the close into a reset that loses the reply. */
static void close_lingering(struct conn *c)
{
	char sink[4096];
	int64_t deadline = now_ms() + 500;

	shutdown(c->fd, SHUT_WR);
	for (;;) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			break;
		recv_timeout(c, left);
		if (recv(c->fd, sink, sizeof(sink), 0) <= 0)
			break;
	}
	close(c->fd);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;

	serve_conn(c);
	close_lingering(c);
	free(c->buf);
	free(c);
	pthread_mutex_lock(&conns_lock);
	conns_active--;
	pthread_cond_signal(&conns_cond);
	pthread_mutex_unlock(&conns_lock);
	return NULL;
}

int echo_serve(int port)
{
	struct sockaddr_in a = { 0 };
	struct timeval send_tv = { .tv_sec = ECHO_READ_TIMEOUT_MS / 1000 };
	pthread_attr_t attr;
	int ls, one = 1, accept_delay = 0;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return -1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 255) < 0) {
		close(ls);
		return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, ECHO_STACK_SIZE);
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		struct conn *c;
		pthread_t t;
		int fd, err;

		pthread_mutex_lock(&conns_lock);
		while (conns_active >= ECHO_MAX_CONNS)
			pthread_cond_wait(&conns_cond, &conns_lock);
		pthread_mutex_unlock(&conns_lock);
		fd = accept(ls, (struct sockaddr *)&peer, &plen);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of descriptors or memory: as Go's Serve, log and
			 * retry after 5 ms, doubling up to 1 s. */
			accept_delay = accept_delay ? accept_delay * 2 : 5;
			if (accept_delay > 1000)
				accept_delay = 1000;
			log_printf("http: Accept error: accept tcp :%d: %s; "
				   "retrying in %dms",
				   port, strerror(errno), accept_delay);
			usleep((useconds_t)accept_delay * 1000);
			continue;
		}
		accept_delay = 0;
		uint32_t ip = ntohl(peer.sin_addr.s_addr);
		char remote[sizeof(c->remote)];

		snprintf(remote, sizeof(remote), "%u.%u.%u.%u:%u",
			 (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 255),
			 (unsigned)(ip >> 8 & 255), (unsigned)(ip & 255),
			 (unsigned)ntohs(peer.sin_port));
		c = calloc(1, sizeof(*c));
		if (!c) {
			refuse(fd, remote, "out of memory");
			continue;
		}
		c->fd = fd;
		memcpy(c->remote, remote, sizeof(remote));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_tv,
			   sizeof(send_tv));
		pthread_mutex_lock(&conns_lock);
		conns_active++;
		pthread_mutex_unlock(&conns_lock);
		err = pthread_create(&t, &attr, conn_thread, c);
		if (err != 0) {
			pthread_mutex_lock(&conns_lock);
			conns_active--;
			pthread_mutex_unlock(&conns_lock);
			free(c);
			refuse(fd, remote, strerror(err));
		}
	}
}
