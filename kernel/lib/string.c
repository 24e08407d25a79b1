/*
 * Memory and string primitives for the kernel and the BIOS stage 2.
 * memcpy and memset use the string instructions on whole words, then
 * bytes for the tail: fast on hardware, and under QEMU's TCG, which runs
 * a 'rep' string instruction one element per step, 4 or 8 times fewer
 * steps than byte moves.
 */
#include <stdint.h>

#include <kernel/lib.h>

#ifdef __x86_64__
#define REP_MOVS_WORD "rep movsq"
#define REP_STOS_WORD "rep stosq"
#else
#define REP_MOVS_WORD "rep movsl"
#define REP_STOS_WORD "rep stosl"
#endif

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;
	size_t words = n / sizeof(long), tail = n % sizeof(long);

	__asm__ volatile(REP_MOVS_WORD "\n\tmov %3, %2\n\trep movsb"
			 : "+D"(dst), "+S"(src), "+c"(words)
			 : "r"(tail)
			 : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if ((uintptr_t)d < (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n)
		return memcpy(dst, src, n);
	/* Overlap with dst above src: copy backwards. */
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;

	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}
