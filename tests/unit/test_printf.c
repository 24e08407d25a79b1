/*
 * kvsnprintf against the host C library's snprintf: every format below
 * must give byte-identical output and the same return value, including
 * when the buffer is too small.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include <kernel/printf.h>

static void same(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void same(const char *fmt, ...)
{
	char want[256], got[256];
	va_list ap, ap2;
	int n_want, n_got;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n_want = vsnprintf(want, sizeof(want), fmt, ap);
	n_got = kvsnprintf(got, sizeof(got), fmt, ap2);
	va_end(ap2);
	va_end(ap);
	if (!CHECK(n_want == n_got))
		fprintf(stderr, "  format \"%s\": length %d, want %d\n", fmt,
			n_got, n_want);
	if (!CHECK(strcmp(want, got) == 0))
		fprintf(stderr, "  format \"%s\": got \"%s\", want \"%s\"\n",
			fmt, got, want);
}

static void truncation(void)
{
	char buf[8];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = ksnprintf(buf, 5, "%s", "abcdefgh");
	CHECK(n == 8);
	CHECK_STR_EQ(buf, "abcd");
	CHECK(buf[5] == 'x');

	n = ksnprintf(buf, 1, "%d", 12345);
	CHECK(n == 5);
	CHECK(buf[0] == '\0');

	/* size 0 writes nothing at all */
	buf[0] = 'q';
	n = ksnprintf(buf, 0, "%d", 7);
	CHECK(n == 1);
	CHECK(buf[0] == 'q');
}

int main(void)
{
	same("plain text");
	same("%d %i %u", 0, -1, 0u);
	same("%d %d", INT_MAX, INT_MIN);
	same("%ld %ld", LONG_MAX, LONG_MIN);
	same("%lld %llu", LLONG_MIN, ULLONG_MAX);
	same("%hhd %hhu %hd %hu", 200, 300, 70000, 70000);
	same("%zu %zd", (size_t)12345, (ssize_t)-42);
	same("%jd %ju", INTMAX_MIN, UINTMAX_MAX);
	same("%td", (ptrdiff_t)-77);
	same("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0777u);
	same("%lx %#lx %#lX", 0x123456789abcdefUL, 0x1UL, 0xabcUL);
	same("%#x %#o %#o", 0u, 0u, 8u);
	same("%#.3o %#5o", 8u, 8u);
	same("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	same("[%+5d] [%-+5d] [% 05d]", -42, 42, 42);
	same("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, 7, 7, 7);
	same("[%.0d] [%.0u] [%.0x] [%5.0d]", 0, 0u, 0u, 0);
	same("[%*d] [%-*d] [%*d]", 6, 1, 6, 1, -6, 1);
	same("[%.*d] [%.*d]", 4, 3, -1, 3);
	same("[%s] [%10s] [%-10s] [%.2s] [%*.*s]", "abc", "abc", "abc", "abc",
	     6, 1, "abc");
	same("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
	same("%%d 100%%");
	same("%p %p", (void *)0x1234, (void *)&truncation);
	same("%#018llx", 0x9fc00ULL);
	truncation();
	return check_exit("printf");
}
