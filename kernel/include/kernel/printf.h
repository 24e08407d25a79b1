/*
 * Formatted output for the kernel: a freestanding subset of C99 printf
 * (flags - + space 0 #, width and precision including *, length hh h l ll
 * z j t, conversions d i u o x X c s p %). No floating point: the kernel
 * is built without SSE. Pure code, also built for the host unit tests.
 */
#ifndef KERNEL_PRINTF_H
#define KERNEL_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf: writes at most size bytes including the NUL, returns the
 * length the whole output would have had. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The engine under both: each output byte goes to emit(ctx, c). */
int kvformat(void (*emit)(void *ctx, char c), void *ctx, const char *fmt,
	     va_list ap) __attribute__((format(printf, 3, 0)));

#endif
