/*
 * The few C library functions the kernel uses (and that gcc may emit calls
 * to for struct copies). Standard names and semantics, so that a newlib
 * linked into the same image simply finds them already defined.
 */
#ifndef KERNEL_LIB_H
#define KERNEL_LIB_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ULL << (n))

#endif
