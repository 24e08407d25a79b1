/*
 * Growable byte buffer (see sbuf.h). Capacity doubles; the contents are
 * not NUL-terminated unless a caller adds the NUL.
 */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

bool sbuf_reserve(struct sbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= more)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < more) {
		if (cap > ((size_t)-1) / 2)
			goto err_oom;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		goto err_oom;
	b->p = p;
	b->cap = cap;
	return true;
err_oom:
	b->oom = true;
	return false;
}

void sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (n == 0 || !sbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sbuf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
