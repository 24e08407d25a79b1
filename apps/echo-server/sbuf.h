/*
 * A growable byte buffer for building responses. An allocation failure
 * is remembered in 'oom' and makes later appends no-ops, so callers check
 * once at the end instead of after every append.
 */
#ifndef ECHO_SBUF_H
#define ECHO_SBUF_H

#include <stdbool.h>
#include <stddef.h>

/* A byte string that does not own its bytes. */
struct span {
	const char *p;
	size_t n;
};

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void sbuf_free(struct sbuf *b);
bool sbuf_reserve(struct sbuf *b, size_t more);
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_addf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
