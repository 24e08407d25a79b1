/*
 * C library conformance test: one portable program (C11, POSIX.1-2008,
 * pthreads) that runs as the unikernel's app on newlib and natively on
 * Linux with glibc. It prints one line per check, in a fixed order, and
 * tests/libc/compare.sh diffs the two outputs line by line; every check
 * also has its own expected answer, so a FAIL line is visible in either
 * run alone. Only values that both systems must agree on are printed:
 * addresses, timings and CPU counts appear only as pass or fail.
 *
 * Usage: libc-conformance FILE, where FILE holds exactly the bytes of
 * tests/libc/data.txt, and SKIFF_TEST=hello is in the environment.
 *
 * All output comes from the main thread, between the lines
 * "=== conformance begin ===" and "=== conformance end ===" (printed by
 * an atexit handler, so that exit's handlers and stdio flush are part
 * of the test). Worker threads only record what they saw. The exit
 * status is 0 if every check passed, else 1.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The exact content of tests/libc/data.txt. */
static const char data_txt[] = "hello from the boot disk\n"
			       "line 2: 42 3.5 skiff\n"
			       "numbers: -17 0x1f 2.5e-3 077\n"
			       "the quick brown fox jumps over the lazy dog\n"
			       "tab\tseparated\tfields\n"
			       "last line\n";

static int n_checks, n_failed;

static bool check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One check, one line: "ok   WHAT" or "FAIL WHAT". */
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_checks++;
	if (!ok)
		n_failed++;
	fputs(ok ? "ok   " : "FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

static bool check_str(const char *what, const char *got, const char *want)
{
	if (got && strcmp(got, want) == 0)
		return check(true, "%s: [%s]", what, got);
	return check(false, "%s: [%s], expected [%s]", what,
		     got ? got : "(null)", want);
}

static bool check_long(const char *what, long long got, long long want)
{
	if (got == want)
		return check(true, "%s: %lld", what, got);
	return check(false, "%s: %lld, expected %lld", what, got, want);
}

/* errno values differ between C libraries; their names do not. */
static const char *errname(int e)
{
	static char other[32];

	switch (e) {
	case 0:
		return "0";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EINTR:
		return "EINTR";
	case EBADF:
		return "EBADF";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EACCES:
		return "EACCES";
	case EBUSY:
		return "EBUSY";
	case EEXIST:
		return "EEXIST";
	case ENOTDIR:
		return "ENOTDIR";
	case EISDIR:
		return "EISDIR";
	case EINVAL:
		return "EINVAL";
	case ESPIPE:
		return "ESPIPE";
	case EROFS:
		return "EROFS";
	case ERANGE:
		return "ERANGE";
	case EDEADLK:
		return "EDEADLK";
	case ENOSYS:
		return "ENOSYS";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	}
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

static bool check_err(const char *what, int got, int want)
{
	if (got == want)
		return check(true, "%s: %s", what, errname(got));
	return check(false, "%s: %s, expected %s", what, errname(got),
		     errname(want));
}

/* A deterministic generator (xorshift64*), the same on every libc. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A string the compiler cannot see through (no truncation warnings for
 * calls that truncate on purpose). */
static const char *opaque(const char *s)
{
	const char *volatile v = s;

	return v;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- printf ---------------------------------------------------------- */

static char fbuf[512];

static void check_fmt(const char *want, const char *call, int n)
{
	if (n != (int)strlen(want))
		check(false, "snprintf(%s): returned %d, expected %zu", call, n,
		      strlen(want));
	else
		check_str(call, fbuf, want);
}

#define FMT(want, ...)                                                         \
	check_fmt(want, #__VA_ARGS__, snprintf(fbuf, sizeof(fbuf), __VA_ARGS__))

static void test_printf(void)
{
	char small[8];
	int n;

	printf("-- printf\n");
	FMT("42|-42|0", "%d|%d|%d", 42, -42, 0);
	FMT("-2147483648|2147483647", "%d|%d", INT_MIN, INT_MAX);
	FMT("   42|42   |00042|+42| 42", "%5d|%-5d|%05d|%+d|% d", 42, 42, 42,
	    42, 42);
	FMT("  -042|-42   ", "%6.3d|%-6d", -42, -42);
	FMT("ff|FF|0xff|0XFF|377|0377", "%x|%X|%#x|%#X|%o|%#o", 255u, 255u,
	    255u, 255u, 255u, 255u);
	FMT("4294967295", "%u", UINT_MAX);
	FMT("-9223372036854775808|9223372036854775807", "%lld|%lld", LLONG_MIN,
	    LLONG_MAX);
	FMT("18446744073709551615|ffffffffffffffff", "%llu|%llx", ULLONG_MAX,
	    ULLONG_MAX);
	FMT("-9223372036854775808", "%ld", LONG_MIN);
	FMT("123456789|-5", "%zu|%zd", (size_t)123456789, (ssize_t)-5);
	FMT("-1234567890123|1311768467294899695", "%jd|%ju",
	    (intmax_t)-1234567890123LL, (uintmax_t)0x1234567890abcdefULL);
	FMT("-7|123456789abcdef0", "%" PRId64 "|%" PRIx64, (int64_t)-7,
	    (uint64_t)0x123456789abcdef0ULL);
	/* int arguments converted by the length modifier (C11 7.21.6.1p7);
	 * an opaque format, since compilers warn about exactly this. */
	check_fmt("44|4464|255", "\"%hhd|%hd|%hhu\", 300, 70000, -1",
		  snprintf(fbuf, sizeof(fbuf), opaque("%hhd|%hd|%hhu"), 300,
			   70000, -1));
	FMT("7|    7|7    |00007", "%td|%*d|%-*d|%0*d", (ptrdiff_t)7, 5, 7, 5,
	    7, 5, 7);
	FMT("x|    x|x  |", "%c|%5c|%-3c|", 'x', 'x', 'x');
	FMT("abcdef|abc|  abcdef|abcdef  |", "%s|%.3s|%8s|%-8s|", "abcdef",
	    "abcdef", "abcdef", "abcdef");
	FMT("100%|", "%d%%|", 100);
	FMT("3.141593|3.14159265|3|3.|", "%f|%.8f|%.0f|%#.0f|", M_PI, M_PI,
	    M_PI, M_PI);
	FMT("2|4|-2|0|", "%.0f|%.0f|%.0f|%.0f|", 2.5, 3.5, -2.5, 0.4);
	FMT("1.00|0.001|-0.000000", "%.2f|%.3f|%f", 1.005, 0.0005, -0.0);
	FMT("   -3.1416|-3.14     |+2.718|-00001.500",
	    "%10.4f|%-10.2f|%+.3f|%010.3f", -3.14159265, -3.14159265, 2.71828,
	    -1.5);
	FMT("100000000000000000000.000000", "%f", 1e20);
	FMT("0.000000|0.000001", "%f|%f", 1e-7, 6e-7);
	FMT("1.234568e+04|1.23e-04|1.000000E+100", "%e|%.2e|%E", 12345.678,
	    0.000123, 1e100);
	FMT("0.000000e+00|5e+10|5.e+10|  1.500e-300", "%e|%.0e|%#.0e|%12.3e",
	    0.0, 5e10, 5e10, 1.5e-300);
	FMT("-1.797693e+308|2.225074e-308", "%e|%e", -DBL_MAX, DBL_MIN);
	FMT("100000|1e+06|0.0001|1e-05", "%g|%g|%g|%g", 100000.0, 1000000.0,
	    0.0001, 0.00001);
	FMT("3.14|1.00000|1.5|1E-10|0", "%.3g|%#g|%g|%G|%g", M_PI, 1.0, 1.5,
	    1e-10, 0.0);
	FMT("0.3333333333|1e+02|123456789", "%.10g|%.0g|%.9g", 1.0 / 3, 123.0,
	    123456789.0);
	FMT("  1.23e+05|1.23e+05  ", "%10.3g|%-10.3g", 123456.0, 123456.0);
	FMT("0x1p+0|0x1.8p+1|0x1.999999999999ap-4|-0X1.4P+1", "%a|%a|%a|%A",
	    1.0, 3.0, 0.1, -2.5);
	FMT("0x1.55p-2|0x1.000p+0|0x0p+0|0x1p+10", "%.2a|%.3a|%a|%a", 1.0 / 3,
	    1.0, 0.0, 1024.0);
	FMT("0x1.fffffffffffffp+1023|0x1p-1022", "%a|%a", DBL_MAX, DBL_MIN);
	FMT("inf|-inf|INF|nan|NAN|  inf", "%f|%e|%F|%g|%G|%5.1f", INFINITY,
	    -INFINITY, INFINITY, NAN, NAN, INFINITY);
	FMT("1.500|2.5e+00", "%.3Lf|%.1Le", 1.5L, 2.5L);

	n = snprintf(small, sizeof(small), "%s", opaque("hello world"));
	check(n == 11 && strcmp(small, "hello w") == 0,
	      "snprintf truncation: %d [%s]", n, small);
	n = snprintf(NULL, 0, "%d-%s", 12345, "abc");
	check_long("snprintf(NULL, 0) length", n, 9);
	n = snprintf(small, 1, "%s", opaque("abc"));
	check(n == 3 && small[0] == '\0', "snprintf size 1: %d [%s]", n, small);

	/* Through stdout itself, not only into buffers. */
	n = printf("printf to stdout: %5.2f|%-4s|%03d\n", 2.0 / 3, "ab", 7);
	check_long("printf return value", n, 33);
	fputs("fputs to stdout\n", stdout);
	puts("puts to stdout");
	fwrite("fwrite to stdout\n", 1, 17, stdout);
	fprintf(stdout, "fprintf to stdout: %s\n", "done");
	fflush(stdout);
	n = (int)write(STDOUT_FILENO, "write to fd 1\n", 14);
	check_long("write to fd 1", n, 14);
	for (int i = 0; i < 3; i++)
		putchar('a' + i);
	putchar('\n');
	memset(fbuf, 0, sizeof(fbuf));
	for (int i = 0; i < 300; i++)
		fbuf[i] = (char)('a' + i % 26);
	printf("long line: %s\n", fbuf);
}

/* ---- scanf and string-to-number ----------------------------------- */

static void test_scanf(void)
{
	int a = 0, b = 0, c = 0, d = 0, n;
	unsigned x = 0;
	double f1 = 0, f2 = 0, f3 = 0;
	float ff = 0;
	long long ll = 0;
	unsigned long long ull = 0;
	size_t z = 0;
	signed char hh = 0;
	char s1[16] = "", s2[16] = "";

	printf("-- scanf\n");
	n = sscanf("42 -17 0x1f 077", "%d %d %x %o", &a, &b, &x, &c);
	check(n == 4 && a == 42 && b == -17 && x == 31 && c == 63,
	      "sscanf %%d %%d %%x %%o: %d: %d %d %u %d", n, a, b, x, c);
	n = sscanf("0x1f 010 -9", "%i %i %i", &a, &b, &c);
	check(n == 3 && a == 31 && b == 8 && c == -9,
	      "sscanf %%i: %d: %d %d %d", n, a, b, c);
	n = sscanf("3.25 -1.5e3 2.5e-3 0.5", "%lf %le %lg %f", &f1, &f2, &f3,
		   &ff);
	check(n == 4 && f1 == 3.25 && f2 == -1500.0 && f3 == 2.5e-3 &&
		      ff == 0.5f,
	      "sscanf floats: %d: %g %g %g %g", n, f1, f2, f3, (double)ff);
	n = sscanf("-9223372036854775808 18446744073709551615 4096",
		   "%lld %llu %zu", &ll, &ull, &z);
	check(n == 3 && ll == LLONG_MIN && ull == ULLONG_MAX && z == 4096,
	      "sscanf %%lld %%llu %%zu: %d: %lld %llu %zu", n, ll, ull, z);
	n = sscanf("-3", "%hhd", &hh);
	check(n == 1 && hh == -3, "sscanf %%hhd: %d: %d", n, hh);
	n = sscanf("abcdefgh", "%5s%s", s1, s2);
	check(n == 2 && !strcmp(s1, "abcde") && !strcmp(s2, "fgh"),
	      "sscanf %%5s%%s: %d: [%s] [%s]", n, s1, s2);
	n = sscanf("hello123 rest", "%[a-z]%d", s1, &a);
	check(n == 2 && !strcmp(s1, "hello") && a == 123,
	      "sscanf %%[a-z]%%d: %d: [%s] %d", n, s1, a);
	n = sscanf("name,7", "%[^,],%d", s1, &a);
	check(n == 2 && !strcmp(s1, "name") && a == 7,
	      "sscanf %%[^,],%%d: %d: [%s] %d", n, s1, a);
	n = sscanf("1 2", "%*d %d", &a);
	check(n == 1 && a == 2, "sscanf %%*d %%d: %d: %d", n, a);
	n = sscanf("  x", "%c", s1);
	check(n == 1 && s1[0] == ' ', "sscanf %%c keeps blanks: %d", n);
	n = sscanf("12abc", "%d%n", &a, &d);
	check(n == 1 && a == 12 && d == 2, "sscanf %%d%%n: %d: %d %d", n, a, d);
	n = sscanf("abc", "%d", &a);
	check_long("sscanf no match", n, 0);
	n = sscanf("", "%d", &a);
	check(n == EOF, "sscanf empty input: EOF");
	n = sscanf("inf nan", "%lf %lf", &f1, &f2);
	check(n == 2 && isinf(f1) && isnan(f2), "sscanf inf nan: %d", n);
}

static void test_strto(void)
{
	char *end;
	double v;
	long l;
	unsigned long ul;
	long long ll;

	printf("-- strtod, strtol\n");
	v = strtod("  -1.5e3xyz", &end);
	check(v == -1500.0 && !strcmp(end, "xyz"), "strtod -1.5e3xyz: %g [%s]",
	      v, end);
	v = strtod("0x1.8p3", &end);
	check(v == 12.0 && *end == '\0', "strtod 0x1.8p3: %g", v);
	v = strtod(".5", &end);
	check(v == 0.5 && *end == '\0', "strtod .5: %g", v);
	v = strtod("0.1", NULL);
	check(v == 0.1, "strtod 0.1 is exactly 0.1: %.17g", v);
	v = strtod("1.7976931348623157e308", NULL);
	check(v == DBL_MAX, "strtod DBL_MAX: %.17g", v);
	v = strtod("123456789012345678901234567890", NULL);
	check(v == 1.2345678901234568e29, "strtod 30 digits: %.17g", v);
	v = strtod("inf", &end);
	check(isinf(v) && v > 0 && *end == '\0', "strtod inf: %f", v);
	v = strtod("-Infinity", &end);
	check(isinf(v) && v < 0 && *end == '\0', "strtod -Infinity: %f", v);
	v = strtod("nan", &end);
	check(isnan(v) && *end == '\0', "strtod nan");
	errno = 0;
	v = strtod("1e400", NULL);
	check(v == HUGE_VAL && errno == ERANGE, "strtod 1e400: %f %s", v,
	      errname(errno));
	errno = 0;
	v = strtod("-1e400", NULL);
	check(v == -HUGE_VAL && errno == ERANGE, "strtod -1e400: %f %s", v,
	      errname(errno));
	errno = 0;
	v = strtod("1e-400", NULL);
	check(v == 0.0 && errno == ERANGE, "strtod 1e-400: %g %s", v,
	      errname(errno));
	const char *abc = "abc";
	v = strtod(abc, &end);
	check(v == 0.0 && end == abc, "strtod abc: no conversion");
	check(atof("2.75") == 2.75, "atof 2.75");

	errno = 0;
	l = strtol("9223372036854775807", &end, 10);
	check(l == LONG_MAX && errno == 0 && !*end, "strtol LONG_MAX: %ld", l);
	errno = 0;
	l = strtol("9223372036854775808", NULL, 10);
	check(l == LONG_MAX && errno == ERANGE, "strtol overflow: %ld %s", l,
	      errname(errno));
	errno = 0;
	l = strtol("-9223372036854775809", NULL, 10);
	check(l == LONG_MIN && errno == ERANGE, "strtol underflow: %ld %s", l,
	      errname(errno));
	check_long("strtol 0x7f base 0", strtol("0x7f", NULL, 0), 127);
	check_long("strtol 077 base 0", strtol("077", NULL, 0), 63);
	check_long("strtol 0X1A base 16", strtol("0X1A", NULL, 16), 26);
	check_long("strtol z base 36", strtol("z", NULL, 36), 35);
	check_long("strtol 101 base 2", strtol("101", NULL, 2), 5);
	l = strtol("  +12abc", &end, 10);
	check(l == 12 && !strcmp(end, "abc"), "strtol '  +12abc': %ld [%s]", l,
	      end);
	l = strtol("-", &end, 10);
	check(l == 0 && !strcmp(end, "-"), "strtol '-': no conversion");
	errno = 0;
	l = strtol("12", NULL, 1);
	check_err("strtol base 1", errno, EINVAL);
	ul = strtoul("-1", NULL, 10);
	check(ul == ULONG_MAX, "strtoul -1: %lu", ul);
	errno = 0;
	ul = strtoul("18446744073709551616", NULL, 10);
	check(ul == ULONG_MAX && errno == ERANGE, "strtoul overflow: %lu %s",
	      ul, errname(errno));
	ll = strtoll("-9223372036854775808", NULL, 10);
	check(ll == LLONG_MIN, "strtoll LLONG_MIN: %lld", ll);
	check(strtoull("0xffffffffffffffff", NULL, 16) == ULLONG_MAX,
	      "strtoull 0xffffffffffffffff");
	check_long("atoi -123", atoi("-123"), -123);
	check_long("atol 2147483648", atol("2147483648"), 2147483648L);
}

/* ---- strings ------------------------------------------------------- */

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_strings(void)
{
	char buf[64], *save, *tok, joined[64] = "";
	char *dup;
	const char *hay = "hello world";

	printf("-- strings\n");
	check_long("strlen empty", (long)strlen(""), 0);
	check_long("strlen hello", (long)strlen("hello"), 5);
	check(sign(strcmp("abc", "abd")) == -1 &&
		      sign(strcmp("abd", "abc")) == 1 &&
		      strcmp("abc", "abc") == 0 &&
		      sign(strcmp("ab", "abc")) == -1,
	      "strcmp signs");
	check(sign(strcmp("\xff", "a")) == 1,
	      "strcmp compares as unsigned char");
	check(strncmp("abcX", "abcY", 3) == 0 &&
		      sign(strncmp("abcX", "abcY", 4)) == -1,
	      "strncmp");
	check(strcasecmp("HeLLo", "hello") == 0 &&
		      sign(strncasecmp("ABCz", "abcA", 4)) == 1,
	      "strcasecmp, strncasecmp");

	memset(buf, 'x', sizeof(buf));
	strncpy(buf, "ab", 5);
	check(!memcmp(buf, "ab\0\0\0x", 6), "strncpy pads with NULs");
	memset(buf, 'x', sizeof(buf));
	strncpy(buf, opaque("abcdef"), 3);
	check(!memcmp(buf, "abcx", 4), "strncpy does not terminate");

	check_long("strstr 'o w' offset", strstr(hay, "o w") - hay, 4);
	check(strstr(hay, "xyz") == NULL, "strstr not found");
	check(strstr(hay, "") == hay, "strstr empty needle");
	check_long("strchr 'o'", strchr(hay, 'o') - hay, 4);
	check_long("strrchr 'o'", strrchr(hay, 'o') - hay, 7);
	check(strchr(hay, '\0') == hay + 11, "strchr NUL");
	check_long("strspn", (long)strspn("aabbcd", "ab"), 4);
	check_long("strcspn", (long)strcspn("hello, world", ",;"), 5);
	check_long("strpbrk", strpbrk(hay, "wr") - hay, 6);

	strcpy(buf, "a,b,,c;d;");
	for (tok = strtok_r(buf, ",;", &save); tok;
	     tok = strtok_r(NULL, ",;", &save)) {
		strcat(joined, "[");
		strcat(joined, tok);
		strcat(joined, "]");
	}
	check_str("strtok_r 'a,b,,c;d;'", joined, "[a][b][c][d]");
	strcpy(buf, ",,,");
	check(strtok_r(buf, ",", &save) == NULL, "strtok_r only delimiters");

	strcpy(buf, "0123456789");
	memmove(buf + 2, buf, 6);
	check_str("memmove forward overlap", buf, "0101234589");
	strcpy(buf, "0123456789");
	memmove(buf, buf + 3, 7);
	check_str("memmove backward overlap", buf, "3456789789");
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "abc", 3);
	memset(buf + 3, '-', 4);
	check_str("memcpy, memset", buf, "abc----");
	check(sign(memcmp("ab\x80", "ab\x01", 3)) == 1,
	      "memcmp compares as unsigned char");
	check(memchr("abc\0def", 'e', 7) != NULL &&
		      memchr("abc", 'z', 3) == NULL,
	      "memchr");

	dup = strdup("duplicate me");
	check(dup && !strcmp(dup, "duplicate me"), "strdup");
	free(dup);
	dup = strndup("truncate here", 8);
	check(dup && !strcmp(dup, "truncate"), "strndup");
	free(dup);

	strcpy(buf, "MiXeD 123");
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	check_str("toupper", buf, "MIXED 123");
	check(isdigit('7') && !isdigit('a') && isspace('\t') && isalpha('Q') &&
		      !isalnum('-') && isxdigit('F') && ispunct('!'),
	      "ctype classes");
}

/* ---- math ---------------------------------------------------------- */

/* Ten significant digits for double and six for float: the libraries
 * may differ in the last ulp, not in the digits printed. */
static void check_math(const char *expr, int digits, double v, const char *want)
{
	char got[64];

	snprintf(got, sizeof(got), "%.*g", digits, v);
	check_str(expr, got, want);
}

#define MATH(want, expr) check_math(#expr, 10, (double)(expr), want)
#define MATHF(want, expr) check_math(#expr, 6, (double)(expr), want)

static void test_math(void)
{
	double ip, fr;
	int e;

	printf("-- math\n");
	MATH("1.414213562", sqrt(2.0));
	MATH("1.414213562", pow(2.0, 0.5));
	MATH("1024", pow(2.0, 10.0));
	MATH("0.125", pow(2.0, -3.0));
	MATH("1", pow(0.0, 0.0));
	MATH("2.718281828", exp(1.0));
	MATH("4.539992976e-05", exp(-10.0));
	MATH("2.302585093", log(10.0));
	MATH("3", log10(1000.0));
	MATH("3", log2(8.0));
	MATH("0.8414709848", sin(1.0));
	MATH("0.5403023059", cos(1.0));
	MATH("1.557407725", tan(1.0));
	MATH("-0.3499935022", sin(1e6));
	MATH("2.35619449", atan2(1.0, -1.0));
	MATH("-3.141592654", atan2(-0.0, -1.0));
	MATH("0.7853981634", atan(1.0));
	MATH("1.570796327", asin(1.0));
	MATH("3.626860408", sinh(2.0));
	MATH("0.761594156", tanh(1.0));
	MATH("-3", floor(-2.5));
	MATH("-2", ceil(-2.5));
	MATH("2", floor(2.9));
	MATH("3", ceil(2.1));
	MATH("1.5", fmod(10.5, 3.0));
	MATH("-1.5", fmod(-10.5, 3.0));
	MATH("3", round(2.5));
	MATH("-3", round(-2.5));
	MATH("2", rint(2.5));
	MATH("-2", trunc(-2.7));
	MATH("5", hypot(3.0, 4.0));
	MATH("3", cbrt(27.0));
	MATH("2.5", fabs(-2.5));
	MATH("48", ldexp(3.0, 4));
	MATHF("1.73205", sqrtf(3.0f));
	MATHF("0.479426", sinf(0.5f));
	MATHF("7.38906", expf(2.0f));
	MATH("inf", exp(1000.0));
	MATH("-inf", log(0.0));
	MATH("0", exp(-1000.0));
	check(isnan(sqrt(-1.0)), "sqrt(-1) is NaN");
	check(isnan(log(-1.0)), "log(-1) is NaN");
	check(lround(-2.5) == -3 && lround(2.4) == 2, "lround");
	fr = frexp(48.0, &e);
	check(fr == 0.75 && e == 6, "frexp(48): %g %d", fr, e);
	fr = modf(-3.25, &ip);
	check(fr == -0.25 && ip == -3.0, "modf(-3.25): %g %g", fr, ip);
	check(signbit(-0.0) && !signbit(0.0), "signbit");
	check(fpclassify(DBL_MIN / 2) == FP_SUBNORMAL &&
		      fpclassify(1.0) == FP_NORMAL &&
		      fpclassify(0.0) == FP_ZERO,
	      "fpclassify");
}

/* ---- qsort and bsearch --------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

struct rec {
	char name[8];
	int key;
};

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void test_sort(void)
{
	enum { N = 500 };
	static int v[N];
	static struct rec r[N];
	uint64_t s = 12345, sum = 0, weighted = 0;
	bool sorted = true, found = true;

	printf("-- qsort, bsearch\n");
	/* Distinct keys: multiples of 7 plus a random part, shuffled. */
	for (int i = 0; i < N; i++)
		v[i] = i * 7 - 1000;
	for (int i = N - 1; i > 0; i--) {
		int j = (int)(rng_next(&s) % (uint64_t)(i + 1));
		int t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	qsort(v, N, sizeof(v[0]), cmp_int);
	for (int i = 0; i < N; i++) {
		if (i && v[i - 1] >= v[i])
			sorted = false;
		sum += (uint64_t)(int64_t)v[i];
		weighted += (uint64_t)i * (uint64_t)(int64_t)v[i];
	}
	check(sorted, "qsort 500 ints sorted");
	check(v[0] == -1000 && v[N - 1] == (N - 1) * 7 - 1000 &&
		      weighted == 166042250ULL,
	      "qsort 500 ints: first %d last %d weighted sum %" PRIu64, v[0],
	      v[N - 1], weighted);
	for (int i = 0; i < N; i++) {
		int key = i * 7 - 1000;
		int *p = bsearch(&key, v, N, sizeof(v[0]), cmp_int);
		if (!p || *p != key)
			found = false;
	}
	check(found, "bsearch finds all 500");
	int missing = 3;
	check(bsearch(&missing, v, N, sizeof(v[0]), cmp_int) == NULL,
	      "bsearch missing key");

	for (int i = 0; i < N; i++) {
		uint64_t x = rng_next(&s);
		snprintf(r[i].name, sizeof(r[i].name), "%c%c%03d",
			 'a' + (int)(x % 26), 'a' + (int)(x / 26 % 26), i);
		r[i].key = i;
	}
	qsort(r, N, sizeof(r[0]), cmp_rec);
	sorted = true;
	sum = 0;
	for (int i = 1; i < N; i++)
		if (strcmp(r[i - 1].name, r[i].name) >= 0)
			sorted = false;
	for (int i = 0; i < N; i++)
		sum = sum * 31 + (uint64_t)r[i].key;
	check(sorted,
	      "qsort 500 records by name: %s %s ... %s, order hash "
	      "%016" PRIx64,
	      r[0].name, r[1].name, r[N - 1].name, sum);
}

/* ---- malloc across threads ----------------------------------------- */

enum { MS_THREADS = 4, MS_ROUNDS = 2000, MS_SLOTS = 64 };

struct ms_slot {
	unsigned char *p;
	size_t n;
	unsigned char seed;
};

struct ms_result {
	int id;
	bool ok;
	const char *why;
	unsigned long allocs, frees;
};

static bool ms_verify(const struct ms_slot *sl)
{
	for (size_t j = 0; j < sl->n; j++)
		if (sl->p[j] != (unsigned char)(sl->seed + j * 7))
			return false;
	return true;
}

static void ms_fill(struct ms_slot *sl, size_t from)
{
	for (size_t j = from; j < sl->n; j++)
		sl->p[j] = (unsigned char)(sl->seed + j * 7);
}

static void *malloc_worker(void *arg)
{
	struct ms_result *res = arg;
	struct ms_slot slot[MS_SLOTS] = { 0 };
	uint64_t s = 0x9e3779b97f4a7c15ULL + (uint64_t)res->id * 1000003;
	const uintptr_t align = _Alignof(max_align_t);

	res->ok = true;
	for (int i = 0; i < MS_ROUNDS && res->ok; i++) {
		struct ms_slot *sl = &slot[rng_next(&s) % MS_SLOTS];
		uint64_t r = rng_next(&s);
		/* Mostly small blocks, some up to 64 KiB. */
		size_t n = r % 4 ? 1 + r / 4 % 1024 : 1 + r / 4 % 65536;
		int how = (int)(r >> 40) % 3;

		if (sl->p && !ms_verify(sl)) {
			res->ok = false;
			res->why = "pattern overwritten";
			break;
		}
		if (sl->p && how == 2) {
			/* realloc keeps the old contents up to the new size. */
			size_t keep = n < sl->n ? n : sl->n;
			unsigned char *q = realloc(sl->p, n);
			if (!q) {
				res->ok = false;
				res->why = "realloc failed";
				break;
			}
			sl->p = q;
			sl->n = keep;
			if (!ms_verify(sl)) {
				res->ok = false;
				res->why = "realloc lost contents";
				break;
			}
			sl->n = n;
			ms_fill(sl, keep);
			res->allocs++;
			continue;
		}
		if (sl->p) {
			free(sl->p);
			res->frees++;
		}
		sl->p = how == 1 ? calloc(n, 1) : malloc(n);
		sl->n = n;
		sl->seed = (unsigned char)r;
		if (!sl->p) {
			res->ok = false;
			res->why = "allocation failed";
			break;
		}
		if ((uintptr_t)sl->p % align) {
			res->ok = false;
			res->why = "block not aligned for max_align_t";
			break;
		}
		if (how == 1)
			for (size_t j = 0; j < n; j++)
				if (sl->p[j]) {
					res->ok = false;
					res->why = "calloc block not zero";
					break;
				}
		ms_fill(sl, 0);
		res->allocs++;
	}
	for (int k = 0; k < MS_SLOTS; k++) {
		if (slot[k].p && res->ok && !ms_verify(&slot[k])) {
			res->ok = false;
			res->why = "pattern overwritten at the end";
		}
		free(slot[k].p);
	}
	return NULL;
}

/* Blocks allocated by one thread and freed by another (per-CPU arenas
 * must take back each other's blocks). */
enum { XF_BLOCKS = 2000 };
static unsigned char *xf_blocks[XF_BLOCKS];

static void *xf_alloc_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < XF_BLOCKS; i++) {
		size_t n = 16 + (size_t)(i * 37) % (i % 10 ? 500 : 20000);
		xf_blocks[i] = malloc(n);
		if (!xf_blocks[i])
			return (void *)0;
		memset(xf_blocks[i], (unsigned char)i, n);
	}
	return (void *)1;
}

static void *xf_free_worker(void *arg)
{
	bool ok = true;

	(void)arg;
	for (int i = 0; i < XF_BLOCKS; i++) {
		size_t n = 16 + (size_t)(i * 37) % (i % 10 ? 500 : 20000);
		for (size_t j = 0; j < n; j += 61)
			if (xf_blocks[i][j] != (unsigned char)i)
				ok = false;
		free(xf_blocks[i]);
	}
	return (void *)(intptr_t)ok;
}

/* Results stored here are used, so allocations cannot be elided. */
static void *volatile sink;

/* errno read through an opaque pointer: clang assumes that malloc leaves
 * errno alone and would reuse the value stored before the call. */
static int errno_after_malloc(void)
{
	int *volatile e = &errno;

	return *e;
}

static void test_malloc(void)
{
	pthread_t t[MS_THREADS];
	struct ms_result res[MS_THREADS];
	unsigned long allocs = 0;
	bool ok = true;
	void *p;
	/* Opaque, so that the compiler does not reason about the size. */
	volatile size_t huge = SIZE_MAX;
	int err;

	printf("-- malloc\n");
	for (int i = 0; i < MS_THREADS; i++) {
		res[i] = (struct ms_result){ .id = i };
		if (pthread_create(&t[i], NULL, malloc_worker, &res[i])) {
			res[i].ok = false;
			res[i].why = "pthread_create failed";
			t[i] = pthread_self();
		}
	}
	for (int i = 0; i < MS_THREADS; i++) {
		if (!pthread_equal(t[i], pthread_self()))
			pthread_join(t[i], NULL);
		if (!res[i].ok) {
			ok = false;
			printf("malloc thread %d: %s\n", i, res[i].why);
		}
		allocs += res[i].allocs;
	}
	check(ok,
	      "malloc/calloc/realloc/free, %d threads x %d rounds, "
	      "pattern checks",
	      MS_THREADS, MS_ROUNDS);
	check(allocs > 0 && allocs == (unsigned long)MS_THREADS * MS_ROUNDS,
	      "malloc stress: every round allocated (%lu)", allocs);

	void *ret = NULL;
	pthread_create(&t[0], NULL, xf_alloc_worker, NULL);
	pthread_join(t[0], &ret);
	ok = ret != NULL;
	pthread_create(&t[0], NULL, xf_free_worker, NULL);
	pthread_join(t[0], &ret);
	check(ok && ret, "%d blocks freed by another thread than their own",
	      XF_BLOCKS);

	ok = true;
	for (size_t a = 16; a <= 8192; a *= 2) {
		void *q = NULL;
		if (posix_memalign(&q, a, a * 3 + 1) || (uintptr_t)q % a)
			ok = false;
		else
			memset(q, 1, a * 3 + 1);
		free(q);
	}
	check(ok, "posix_memalign 16 .. 8192");
	p = aligned_alloc(64, 640);
	check(p && (uintptr_t)p % 64 == 0, "aligned_alloc(64, 640)");
	free(p);
	p = NULL;
	check_err("posix_memalign alignment 24", posix_memalign(&p, 24, 100),
		  EINVAL);

	p = malloc(8 << 20);
	if (p)
		memset(p, 0x5a, 8 << 20);
	check(p && ((unsigned char *)p)[(8 << 20) - 1] == 0x5a,
	      "malloc 8 MiB and touch it");
	free(p);
	free(NULL);
	p = realloc(NULL, 100);
	check(p != NULL, "realloc(NULL, 100)");
	free(p);
	errno = 0;
	p = malloc(huge);
	sink = p;
	err = errno_after_malloc();
	check(p == NULL && err == ENOMEM, "malloc(SIZE_MAX): NULL, %s",
	      errname(err));
	free(p);
	errno = 0;
	p = calloc(huge / 2, 4);
	sink = p;
	err = errno_after_malloc();
	check(p == NULL && err == ENOMEM, "calloc overflow: NULL, %s",
	      errname(err));
	free(p);
}

/* ---- time ---------------------------------------------------------- */

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void test_time(void)
{
	struct timespec a, b, rt, req;
	struct timeval tv;
	bool mono_ok = true, ns_ok = true;
	time_t t;
	double d;
	int rc;

	printf("-- time\n");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 2000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000)
			ns_ok = false;
		if (ts_diff(&a, &b) < 0)
			mono_ok = false;
		a = b;
	}
	check(mono_ok, "CLOCK_MONOTONIC never goes back (2000 reads)");
	check(ns_ok, "CLOCK_MONOTONIC tv_nsec in [0, 1e9)");

	clock_gettime(CLOCK_MONOTONIC, &a);
	req = (struct timespec){ 0, 20 * 1000 * 1000 };
	rc = nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	d = ts_diff(&a, &b);
	check(rc == 0 && d >= 0.020 && d < 0.200,
	      "nanosleep 20 ms: returns 0, 20 ms <= elapsed < 200 ms");
	if (d < 0.020 || d >= 0.200)
		printf("  (nanosleep took %.1f ms)\n", d * 1e3);

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = usleep(20000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	d = ts_diff(&a, &b);
	check(rc == 0 && d >= 0.020 && d < 0.200,
	      "usleep 20000: returns 0, 20 ms <= elapsed < 200 ms");
	if (d < 0.020 || d >= 0.200)
		printf("  (usleep took %.1f ms)\n", d * 1e3);

	clock_gettime(CLOCK_MONOTONIC, &a);
	req = a;
	req.tv_nsec += 20 * 1000 * 1000;
	if (req.tv_nsec >= 1000000000) {
		req.tv_sec++;
		req.tv_nsec -= 1000000000;
	}
	rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	d = ts_diff(&req, &b);
	check(rc == 0 && d >= 0 && d < 0.180,
	      "clock_nanosleep TIMER_ABSTIME +20 ms: wakes after the deadline");

	req = (struct timespec){ 0, 1000000000 };
	errno = 0;
	rc = nanosleep(&req, NULL);
	check(rc == -1 && errno == EINVAL, "nanosleep tv_nsec 1e9: -1 %s",
	      errname(errno));

	clock_gettime(CLOCK_REALTIME, &rt);
	t = time(NULL);
	check(rt.tv_sec > 1577836800, "CLOCK_REALTIME after 2020-01-01");
	check(llabs((long long)t - (long long)rt.tv_sec) <= 2,
	      "time() within 2 s of CLOCK_REALTIME");
	rc = gettimeofday(&tv, NULL);
	check(rc == 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000 &&
		      llabs((long long)tv.tv_sec - (long long)rt.tv_sec) <= 2,
	      "gettimeofday within 2 s of CLOCK_REALTIME");
	clock_gettime(CLOCK_REALTIME, &a);
	usleep(20000);
	clock_gettime(CLOCK_REALTIME, &b);
	d = ts_diff(&a, &b);
	check(d >= 0.015 && d < 1.0, "CLOCK_REALTIME advances with sleep");
	rc = clock_getres(CLOCK_MONOTONIC, &a);
	check(rc == 0 && a.tv_sec == 0 && a.tv_nsec > 0 && a.tv_nsec <= 1000000,
	      "clock_getres(CLOCK_MONOTONIC) at most 1 ms");
	errno = 0;
	rc = clock_gettime((clockid_t)12345, &a);
	check(rc == -1 && errno == EINVAL, "clock_gettime bad clock: -1 %s",
	      errname(errno));

	struct tm tm;
	time_t fixed = 1700000000;
	gmtime_r(&fixed, &tm);
	strftime(fbuf, sizeof(fbuf), "%Y-%m-%d %H:%M:%S %a %j", &tm);
	check_str("gmtime_r + strftime 1700000000", fbuf,
		  "2023-11-14 22:13:20 Tue 318");
	tm = (struct tm){ .tm_year = 100, .tm_mon = 1, .tm_mday = 29 };
	mktime(&tm);
	check_long("mktime fills in the weekday of 2000-02-29", tm.tm_wday, 2);
}

/* ---- files --------------------------------------------------------- */

static void test_files(const char *path)
{
	char buf[512], missing[600];
	struct stat st;
	ssize_t n;
	off_t off;
	int fd, rc;
	const size_t len = sizeof(data_txt) - 1;

	printf("-- files\n");
	fd = open(path, O_RDONLY);
	if (!check(fd >= 0, "open data file read-only")) {
		printf("  (open: %s)\n", errname(errno));
		return;
	}
	rc = fstat(fd, &st);
	check(rc == 0 && S_ISREG(st.st_mode), "fstat: regular file");
	check_long("fstat st_size", rc == 0 ? (long long)st.st_size : -1,
		   (long long)len);
	n = read(fd, buf, 5);
	buf[n > 0 ? n : 0] = '\0';
	check(n == 5 && !strcmp(buf, "hello"), "read 5 bytes: [%s]", buf);
	check_long("lseek SEEK_CUR after 5", lseek(fd, 0, SEEK_CUR), 5);
	check_long("lseek 0 SEEK_SET", lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, sizeof(buf));
	check(n == (ssize_t)len && !memcmp(buf, data_txt, len),
	      "read whole file: %zd bytes, content matches", n);
	check_long("read at EOF", read(fd, buf, sizeof(buf)), 0);
	off = lseek(fd, -10, SEEK_END);
	check_long("lseek -10 SEEK_END", off, (long long)len - 10);
	n = read(fd, buf, 100);
	buf[n > 0 ? n : 0] = '\0';
	check(n == 10 && !strcmp(buf, "last line\n"),
	      "read the last 10 bytes: %zd", n);
	check_long("lseek 6 SEEK_SET", lseek(fd, 6, SEEK_SET), 6);
	check_long("lseek 5 SEEK_CUR", lseek(fd, 5, SEEK_CUR), 11);
	n = read(fd, buf, 8);
	buf[n > 0 ? n : 0] = '\0';
	check(n == 8 && !strcmp(buf, "the boot"), "read at 11: [%s]", buf);
	check_long("lseek past the end", lseek(fd, 1000, SEEK_SET), 1000);
	check_long("read past the end", read(fd, buf, 10), 0);
	errno = 0;
	off = lseek(fd, -1, SEEK_SET);
	check(off == -1 && errno == EINVAL, "lseek to -1: %lld %s",
	      (long long)off, errname(errno));
	check_long("close", close(fd), 0);
	errno = 0;
	rc = close(fd);
	check(rc == -1 && errno == EBADF, "close again: %d %s", rc,
	      errname(errno));
	errno = 0;
	n = read(fd, buf, 1);
	check(n == -1 && errno == EBADF, "read on a closed fd: %zd %s", n,
	      errname(errno));
	errno = 0;
	n = read(-1, buf, 1);
	check(n == -1 && errno == EBADF, "read on fd -1: %zd %s", n,
	      errname(errno));

	rc = stat(path, &st);
	check(rc == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)len,
	      "stat: regular file of %lld bytes",
	      rc == 0 ? (long long)st.st_size : -1LL);
	/* The directory holding the file ("." for a relative name). */
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 1;
	const char *dir = slash ? path : ".", *base = slash ? slash + 1 : path;
	if (dirlen > 0) {
		snprintf(missing, sizeof(missing), "%.*s", dirlen, dir);
		rc = stat(missing, &st);
		check(rc == 0 && S_ISDIR(st.st_mode),
		      "stat of the file's directory: a directory");
		/* Equivalent spellings of the same path (POSIX.1-2008 XBD
		 * 4.13: extra slashes and "." are the same directory). */
		const char *forms[] = { "%.*s//%s", "%.*s/./%s" };
		for (int i = 0; i < 2; i++) {
			snprintf(missing, sizeof(missing), forms[i], dirlen,
				 dir, base);
			fd = open(missing, O_RDONLY);
			n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
			check(n == (ssize_t)len,
			      "open and read with '%s' in the path",
			      i ? "/./" : "//");
			if (fd >= 0)
				close(fd);
		}
	} else {
		check(false, "the data file is not in the root directory");
	}
	snprintf(missing, sizeof(missing), "%s/", path);
	errno = 0;
	fd = open(missing, O_RDONLY);
	check(fd == -1 && errno == ENOTDIR, "open FILE/ (trailing slash): %s",
	      errname(errno));
	snprintf(missing, sizeof(missing), "%s/x", path);
	errno = 0;
	fd = open(missing, O_RDONLY);
	check(fd == -1 && errno == ENOTDIR, "open FILE/x: %s", errname(errno));

	fd = open(path, O_RDONLY);
	errno = 0;
	n = write(fd, "x", 1);
	check(n == -1 && errno == EBADF, "write to a read-only fd: %zd %s", n,
	      errname(errno));
	check_long("read of 0 bytes", read(fd, buf, 0), 0);
	check(!isatty(fd), "isatty of a file: 0");
	close(fd);

	snprintf(missing, sizeof(missing), "%s.missing", path);
	errno = 0;
	fd = open(missing, O_RDONLY);
	check(fd == -1 && errno == ENOENT, "open a missing file: %d %s", fd,
	      errname(errno));
	errno = 0;
	fd = open("/no-such-dir/at/all.txt", O_RDONLY);
	check(fd == -1 && errno == ENOENT,
	      "open under a missing directory: %d %s", fd, errname(errno));
	errno = 0;
	rc = stat(missing, &st);
	check(rc == -1 && errno == ENOENT, "stat a missing file: %d %s", rc,
	      errname(errno));

	/* The same file through stdio. */
	FILE *f = fopen(path, "r");
	if (!check(f != NULL, "fopen data file"))
		return;
	int lines = 0, num = 0, hex = 0, oct = 0;
	double fl = 0, fl2 = 0;
	while (fgets(buf, sizeof(buf), f)) {
		lines++;
		buf[strcspn(buf, "\n")] = '\0';
		printf("data line %d: %s\n", lines, buf);
	}
	check(feof(f) && !ferror(f), "fgets to EOF");
	check_long("fgets lines", lines, 6);
	rewind(f);
	rc = fscanf(f, "hello from the boot disk line 2: %d %lf %s", &num, &fl,
		    buf);
	check(rc == 3 && num == 42 && fl == 3.5 && !strcmp(buf, "skiff"),
	      "fscanf line 2: %d: %d %g %s", rc, num, fl, buf);
	rc = fscanf(f, " numbers: %d %x %lf %o", &num, &hex, &fl2, &oct);
	check(rc == 4 && num == -17 && hex == 31 && fl2 == 2.5e-3 && oct == 63,
	      "fscanf line 3: %d: %d %d %g %d", rc, num, hex, fl2, oct);
	check_long("ftell after line 3", ftell(f), 74);
	check_long("fseek 0 SEEK_END", fseek(f, 0, SEEK_END), 0);
	check_long("ftell at end", ftell(f), (long long)len);
	fseek(f, -10, SEEK_END);
	n = (ssize_t)fread(buf, 1, sizeof(buf), f);
	check(n == 10 && !memcmp(buf, "last line\n", 10), "fread tail: %zd", n);
	check(getc(f) == EOF, "getc at EOF");
	check_long("fclose", fclose(f), 0);
	errno = 0;
	f = fopen(missing, "r");
	check(f == NULL && errno == ENOENT, "fopen a missing file: %s",
	      errname(errno));
}

/* ---- environment --------------------------------------------------- */

static void test_env(int argc, char **argv)
{
	const char *v;

	printf("-- environment and arguments\n");
	check_long("argc", argc, 2);
	check(argv[argc] == NULL, "argv[argc] is NULL");
	v = getenv("SKIFF_TEST");
	check_str("getenv SKIFF_TEST", v, "hello");
	v = getenv("SKIFF_NOT_SET_ANYWHERE");
	check(v == NULL, "getenv of an unset variable: NULL");
	check(setenv("SKIFF_SET", "one", 1) == 0, "setenv");
	check_str("getenv after setenv", getenv("SKIFF_SET"), "one");
	setenv("SKIFF_SET", "two", 0);
	check_str("setenv without overwrite", getenv("SKIFF_SET"), "one");
	unsetenv("SKIFF_SET");
	check(getenv("SKIFF_SET") == NULL, "unsetenv");
}

/* ---- pthreads ------------------------------------------------------ */

enum { NT = 4 };

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_worker(void *arg)
{
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&count_lock);
		counter++;
		pthread_mutex_unlock(&count_lock);
		if (i % 1000 == 0)
			sched_yield();
	}
	return (void *)((intptr_t)arg * 10);
}

/* Many threads at once: correctness, not lock throughput. */
static void *light_worker(void *arg)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&count_lock);
		counter++;
		pthread_mutex_unlock(&count_lock);
	}
	return (void *)((intptr_t)arg * 10);
}

static pthread_mutex_t rec_lock;
static pthread_mutex_t err_lock;

static void *trylock_worker(void *arg)
{
	return (void *)(intptr_t)pthread_mutex_trylock(arg);
}

static void *unlock_worker(void *arg)
{
	return (void *)(intptr_t)pthread_mutex_unlock(arg);
}

static void *timedlock_worker(void *arg)
{
	struct timespec dl;
	double t0 = now_mono();
	int rc;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 30 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	rc = pthread_mutex_timedlock(arg, &dl);
	if (rc == 0)
		pthread_mutex_unlock(arg);
	else if (now_mono() - t0 < 0.029)
		rc = -1; /* timed out early */
	return (void *)(intptr_t)rc;
}

static int in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, fn, arg))
		return -1000;
	pthread_join(t, &ret);
	return (int)(intptr_t)ret;
}

/* A bounded queue between producers and consumers. */
enum { PC_CAP = 8, PC_ITEMS = 2000 };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	int buf[PC_CAP];
	int head, len, producers_left;
	long long consumed_sum;
	int consumed_n;
} pc = { .lock = PTHREAD_MUTEX_INITIALIZER,
	 .not_empty = PTHREAD_COND_INITIALIZER,
	 .not_full = PTHREAD_COND_INITIALIZER };

static void *producer(void *arg)
{
	int base = (int)(intptr_t)arg * PC_ITEMS;

	for (int i = 1; i <= PC_ITEMS; i++) {
		pthread_mutex_lock(&pc.lock);
		while (pc.len == PC_CAP)
			pthread_cond_wait(&pc.not_full, &pc.lock);
		pc.buf[(pc.head + pc.len) % PC_CAP] = base + i;
		pc.len++;
		pthread_cond_signal(&pc.not_empty);
		pthread_mutex_unlock(&pc.lock);
	}
	pthread_mutex_lock(&pc.lock);
	if (--pc.producers_left == 0)
		pthread_cond_broadcast(&pc.not_empty);
	pthread_mutex_unlock(&pc.lock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pc.lock);
		while (pc.len == 0 && pc.producers_left > 0)
			pthread_cond_wait(&pc.not_empty, &pc.lock);
		if (pc.len == 0) {
			pthread_mutex_unlock(&pc.lock);
			return NULL;
		}
		int v = pc.buf[pc.head];
		pc.head = (pc.head + 1) % PC_CAP;
		pc.len--;
		pc.consumed_sum += v;
		pc.consumed_n++;
		pthread_cond_signal(&pc.not_full);
		pthread_mutex_unlock(&pc.lock);
	}
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
/* Counters through the compilers' __atomic built-ins (GCC and clang). */
static int once_runs, once_seen_done;

static void atomic_inc(int *p, int v)
{
	__atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

static int atomic_get(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void once_init(void)
{
	atomic_inc(&once_runs, 1);
	usleep(10000); /* the other callers must wait for this */
}

static void *once_worker(void *arg)
{
	(void)arg;
	pthread_once(&once, once_init);
	if (atomic_get(&once_runs) == 1)
		atomic_inc(&once_seen_done, 1);
	return NULL;
}

static pthread_key_t key, key_unset;
static int dtor_calls, dtor_sum;
static int key_vals[NT];

static void key_dtor(void *v)
{
	atomic_inc(&dtor_calls, 1);
	atomic_inc(&dtor_sum, *(int *)v);
}

/* A destructor that stores a value again is called again (POSIX: up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds). */
static pthread_key_t key_again;
static int again_calls;

static void again_dtor(void *v)
{
	if (atomic_get(&again_calls) == 0)
		pthread_setspecific(key_again, v);
	atomic_inc(&again_calls, 1);
}

static void *again_worker(void *arg)
{
	pthread_setspecific(key_again, arg);
	return NULL;
}

static pthread_key_t reuse_key;

static void *reuse_worker(void *arg)
{
	pthread_key_t old;
	bool ok;

	(void)arg;
	if (pthread_key_create(&old, NULL))
		return (void *)0;
	pthread_setspecific(old, &reuse_key);
	pthread_key_delete(old);
	/* A new key starts as NULL in every thread, even in one that had
	 * a value for a deleted key (which may have the same number). */
	if (pthread_key_create(&reuse_key, NULL))
		return (void *)0;
	ok = pthread_getspecific(reuse_key) == NULL;
	pthread_key_delete(reuse_key);
	return (void *)(intptr_t)ok;
}

static void *key_worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	bool ok = pthread_getspecific(key) == NULL;

	key_vals[i] = 100 + i;
	pthread_setspecific(key, &key_vals[i]);
	sched_yield();
	usleep(1000);
	ok = ok && pthread_getspecific(key) == &key_vals[i] &&
	     pthread_getspecific(key_unset) == NULL;
	return (void *)(intptr_t)ok;
}

static __thread int tls_init = 42;
static __thread int tls_zero;
static __thread char tls_buf[64];
static __thread _Alignas(128) char tls_aligned[128];
static __thread char tls_big[16384];
static pthread_barrier_t tls_barrier;

struct tls_result {
	int id;
	bool initial_ok, kept_ok, aligned_ok;
	const int *addr;
};

static void *tls_worker(void *arg)
{
	struct tls_result *r = arg;

	r->initial_ok = tls_init == 42 && tls_zero == 0 && tls_buf[0] == 0 &&
			tls_buf[63] == 0 && tls_big[0] == 0 &&
			tls_big[sizeof(tls_big) - 1] == 0;
	r->aligned_ok = (uintptr_t)tls_aligned % 128 == 0;
	memset(tls_big, r->id, sizeof(tls_big));
	tls_init = r->id;
	tls_zero = r->id * 2;
	snprintf(tls_buf, sizeof(tls_buf), "thread %d", r->id);
	r->addr = &tls_init;
	pthread_barrier_wait(&tls_barrier);
	sched_yield();
	char want[64];
	snprintf(want, sizeof(want), "thread %d", r->id);
	r->kept_ok = tls_init == r->id && tls_zero == r->id * 2 &&
		     !strcmp(tls_buf, want) && tls_big[0] == r->id &&
		     tls_big[sizeof(tls_big) - 1] == r->id;
	return NULL;
}

static pthread_barrier_t errno_barrier;

static void *errno_worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	int want = i ? EBADF : ERANGE;

	if (i)
		close(-1); /* EBADF */
	else
		strtol("99999999999999999999999", NULL, 10); /* ERANGE */
	pthread_barrier_wait(&errno_barrier);
	/* Both have set errno now; each must still see its own. */
	pthread_barrier_wait(&errno_barrier);
	return (void *)(intptr_t)(errno == want);
}

static void *tryrd_worker(void *arg)
{
	int rc = pthread_rwlock_tryrdlock(arg);

	if (rc == 0)
		pthread_rwlock_unlock(arg);
	return (void *)(intptr_t)rc;
}

static void *trywr_worker(void *arg)
{
	int rc = pthread_rwlock_trywrlock(arg);

	if (rc == 0)
		pthread_rwlock_unlock(arg);
	return (void *)(intptr_t)rc;
}

static pthread_spinlock_t spin;
static long spin_counter;

static void *spin_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5000; i++) {
		pthread_spin_lock(&spin);
		spin_counter++;
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
} det = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void *detached_worker(void *arg)
{
	(void)arg;
	usleep(2000);
	pthread_mutex_lock(&det.lock);
	det.done++;
	pthread_cond_signal(&det.cond);
	pthread_mutex_unlock(&det.lock);
	return NULL;
}

static void *exit_worker(void *arg)
{
	pthread_exit((void *)((intptr_t)arg + 1));
	return NULL;
}

static void *big_stack_worker(void *arg)
{
	volatile char big[192 * 1024];

	(void)arg;
	for (size_t i = 0; i < sizeof(big); i += 512)
		big[i] = (char)i;
	return (void *)(intptr_t)(big[512] == (char)512);
}

static void *float_worker(void *arg)
{
	/* printf of floats and libm from a new thread (SSE state, stack). */
	char *out = arg;
	snprintf(out, 64, "%.6f %.10g %e", M_PI * (double)(out[0] - '0'),
		 sqrt(2.0) * 3, 1.5e-7);
	return NULL;
}

static pthread_t self_in_thread;

static void *self_worker(void *arg)
{
	(void)arg;
	self_in_thread = pthread_self();
	return NULL;
}

/* Wait up to 5 s for det.done to reach n. */
static bool wait_detached(int n)
{
	struct timespec dl;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&det.lock);
	while (det.done < n)
		if (pthread_cond_timedwait(&det.cond, &det.lock, &dl) ==
		    ETIMEDOUT)
			break;
	ok = det.done >= n;
	pthread_mutex_unlock(&det.lock);
	return ok;
}

static void test_timedwait(clockid_t clock, const char *name)
{
	pthread_mutex_t m;
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_cond_t c;
	struct timespec dl;
	double t0, d;
	int rc, unlock_rc;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &ma);
	pthread_condattr_init(&ca);
	rc = pthread_condattr_setclock(&ca, clock);
	check(rc == 0, "pthread_condattr_setclock(CLOCK_%s): %s",
	      clock == CLOCK_MONOTONIC ? "MONOTONIC" : "REALTIME", errname(rc));
	pthread_cond_init(&c, &ca);
	pthread_mutex_lock(&m);
	t0 = now_mono();
	clock_gettime(clock, &dl);
	dl.tv_nsec += 50 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	do
		rc = pthread_cond_timedwait(&c, &m, &dl);
	while (rc == 0); /* a spurious wake-up */
	d = now_mono() - t0;
	unlock_rc = pthread_mutex_unlock(&m);
	check_err(name, rc, ETIMEDOUT);
	check(d >= 0.049 && d < 1.0,
	      "%s: 50 ms deadline kept (>= 49 ms, < 1 s)", name);
	if (d < 0.049 || d >= 1.0)
		printf("  (timed wait took %.1f ms)\n", d * 1e3);
	check(unlock_rc == 0, "%s: mutex held again on return", name);
	pthread_cond_destroy(&c);
	pthread_condattr_destroy(&ca);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&ma);

	/* A deadline in the past times out at once. */
	pthread_mutex_init(&m, NULL);
	pthread_cond_init(&c, NULL);
	dl = (struct timespec){ 1, 0 };
	pthread_mutex_lock(&m);
	rc = pthread_cond_timedwait(&c, &m, &dl);
	pthread_mutex_unlock(&m);
	if (clock == CLOCK_REALTIME)
		check_err("pthread_cond_timedwait, deadline in the past", rc,
			  ETIMEDOUT);
	pthread_cond_destroy(&c);
	pthread_mutex_destroy(&m);
}

static void test_pthreads(void)
{
	pthread_t t[NT];
	pthread_attr_t attr;
	pthread_mutexattr_t ma;
	void *ret;
	bool ok;
	int rc;

	printf("-- pthreads\n");
	ok = true;
	for (int i = 0; i < NT; i++)
		if (pthread_create(&t[i], NULL, count_worker,
				   (void *)(intptr_t)i))
			ok = false;
	check(ok, "pthread_create x%d", NT);
	ok = true;
	for (int i = 0; i < NT; i++) {
		if (pthread_join(t[i], &ret) || (intptr_t)ret != i * 10)
			ok = false;
	}
	check(ok, "pthread_join returns each thread's value");
	check_long("mutex-protected counter, 4 threads x 10000", counter,
		   NT * 10000L);
	check_long("pthread_exit value", in_thread(exit_worker, (void *)41),
		   42);
	check(in_thread(self_worker, NULL) == 0 &&
		      !pthread_equal(self_in_thread, pthread_self()) &&
		      pthread_equal(pthread_self(), pthread_self()),
	      "pthread_self, pthread_equal");

	/* Recursive and error-checking mutexes. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec_lock, &ma);
	rc = pthread_mutex_lock(&rec_lock);
	rc |= pthread_mutex_lock(&rec_lock);
	rc |= pthread_mutex_trylock(&rec_lock);
	check(rc == 0, "recursive mutex: locked 3 times by its owner");
	check_err("recursive mutex: trylock from another thread",
		  in_thread(trylock_worker, &rec_lock), EBUSY);
	check_err("recursive mutex: unlock from another thread",
		  in_thread(unlock_worker, &rec_lock), EPERM);
	rc = pthread_mutex_unlock(&rec_lock);
	rc |= pthread_mutex_unlock(&rec_lock);
	check(rc == 0 && in_thread(trylock_worker, &rec_lock) == EBUSY,
	      "recursive mutex: still held after 2 of 3 unlocks");
	rc = pthread_mutex_unlock(&rec_lock);
	check(rc == 0, "recursive mutex: third unlock");
	check_err("recursive mutex: unlock when not held",
		  pthread_mutex_unlock(&rec_lock), EPERM);
	rc = in_thread(trylock_worker, &rec_lock);
	check_err("recursive mutex: free for another thread", rc, 0);
	pthread_mutex_destroy(&rec_lock);

	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&err_lock, &ma);
	pthread_mutex_lock(&err_lock);
	check_err("errorcheck mutex: relock", pthread_mutex_lock(&err_lock),
		  EDEADLK);
	check_err("errorcheck mutex: trylock while held",
		  pthread_mutex_trylock(&err_lock), EBUSY);
	check_err("errorcheck mutex: unlock from another thread",
		  in_thread(unlock_worker, &err_lock), EPERM);
	pthread_mutex_unlock(&err_lock);
	check_err("errorcheck mutex: unlock when not held",
		  pthread_mutex_unlock(&err_lock), EPERM);
	pthread_mutex_destroy(&err_lock);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_lock(&count_lock);
	rc = in_thread(trylock_worker, &count_lock);
	pthread_mutex_unlock(&count_lock);
	check_err("normal mutex: trylock held by another thread", rc, EBUSY);

	pthread_mutex_lock(&count_lock);
	rc = in_thread(timedlock_worker, &count_lock);
	pthread_mutex_unlock(&count_lock);
	check_err("pthread_mutex_timedlock held elsewhere, 30 ms", rc,
		  ETIMEDOUT);
	check_err("pthread_mutex_timedlock free",
		  in_thread(timedlock_worker, &count_lock), 0);

	/* Condition variables: 2 producers, 2 consumers. */
	pc.producers_left = 2;
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, producer, (void *)(intptr_t)i);
	for (int i = 2; i < 4; i++)
		pthread_create(&t[i], NULL, consumer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	long long n = PC_ITEMS;
	check(pc.consumed_n == 2 * PC_ITEMS &&
		      pc.consumed_sum == n * (n + 1) + n * n && pc.len == 0,
	      "condvar producer/consumer: %d items, sum %lld", pc.consumed_n,
	      pc.consumed_sum);

	test_timedwait(CLOCK_REALTIME, "pthread_cond_timedwait REALTIME");
	test_timedwait(CLOCK_MONOTONIC, "pthread_cond_timedwait MONOTONIC");

	/* pthread_once */
	for (int i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, once_worker, NULL);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	pthread_once(&once, once_init);
	check(atomic_get(&once_runs) == 1 && atomic_get(&once_seen_done) == NT,
	      "pthread_once: init ran %d time(s), %d of %d callers saw it done",
	      atomic_get(&once_runs), atomic_get(&once_seen_done), NT);

	/* Thread-specific data with a destructor. */
	check(pthread_key_create(&key, key_dtor) == 0 &&
		      pthread_key_create(&key_unset, key_dtor) == 0,
	      "pthread_key_create");
	ok = true;
	for (int i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, key_worker, (void *)(intptr_t)i);
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], &ret);
		if (!ret)
			ok = false;
	}
	check(ok, "pthread_setspecific/getspecific: per thread");
	check(atomic_get(&dtor_calls) == NT &&
		      atomic_get(&dtor_sum) == 4 * 100 + 0 + 1 + 2 + 3,
	      "key destructors: %d calls, values sum %d",
	      atomic_get(&dtor_calls), atomic_get(&dtor_sum));
	check(pthread_getspecific(key) == NULL,
	      "main thread's value untouched");
	pthread_key_create(&key_again, again_dtor);
	rc = in_thread(again_worker, &key_vals[0]);
	check_long("destructor that sets the value again: calls",
		   atomic_get(&again_calls), 2);
	pthread_key_delete(key_again);
	check(in_thread(reuse_worker, NULL) == 1,
	      "pthread_key_create after pthread_key_delete: value NULL");
	pthread_setspecific(key, &key_vals[0]);
	check(pthread_getspecific(key) == &key_vals[0],
	      "main thread's own value");
	pthread_setspecific(key, NULL);
	check(pthread_key_delete(key) == 0 &&
		      pthread_key_delete(key_unset) == 0,
	      "pthread_key_delete");

	/* __thread variables. */
	struct tls_result tr[NT];
	check(tls_init == 42 && tls_zero == 0 &&
		      (uintptr_t)tls_aligned % 128 == 0,
	      "__thread in the main thread: initial values, alignment");
	pthread_barrier_init(&tls_barrier, NULL, NT);
	tls_init = -1;
	for (int i = 0; i < NT; i++) {
		tr[i] = (struct tls_result){ .id = i + 1 };
		pthread_create(&t[i], NULL, tls_worker, &tr[i]);
	}
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&tls_barrier);
	ok = true;
	bool distinct = true, aligned = true;
	for (int i = 0; i < NT; i++) {
		ok = ok && tr[i].initial_ok && tr[i].kept_ok;
		aligned = aligned && tr[i].aligned_ok;
		for (int j = 0; j < i; j++)
			if (tr[i].addr == tr[j].addr)
				distinct = false;
		if (tr[i].addr == &tls_init)
			distinct = false;
	}
	check(ok, "__thread: initial values (42, 0) in each new thread, own "
		  "values kept");
	check(distinct, "__thread: a distinct address per thread");
	check(aligned, "__thread: _Alignas(128) variable aligned in threads");
	check(tls_init == -1, "__thread: main thread's value untouched");

	/* errno per thread. */
	pthread_barrier_init(&errno_barrier, NULL, 2);
	errno = 0;
	pthread_create(&t[0], NULL, errno_worker, (void *)0);
	pthread_create(&t[1], NULL, errno_worker, (void *)1);
	ok = true;
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], &ret);
		if (!ret)
			ok = false;
	}
	pthread_barrier_destroy(&errno_barrier);
	check(ok, "errno per thread (ERANGE and EBADF across a barrier)");
	check(errno == 0, "main thread's errno untouched: %s", errname(errno));

	/* Read-write and spin locks. */
	pthread_rwlock_t rw;
	pthread_rwlock_init(&rw, NULL);
	pthread_rwlock_rdlock(&rw);
	check_err("rwlock: tryrdlock from another thread while read-held",
		  in_thread(tryrd_worker, &rw), 0);
	check_err("rwlock: trywrlock from another thread while read-held",
		  in_thread(trywr_worker, &rw), EBUSY);
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_wrlock(&rw);
	check_err("rwlock: tryrdlock from another thread while write-held",
		  in_thread(tryrd_worker, &rw), EBUSY);
	pthread_rwlock_unlock(&rw);
	check_err("rwlock: trywrlock when free", in_thread(trywr_worker, &rw),
		  0);
	pthread_rwlock_destroy(&rw);
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, spin_worker, NULL);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	pthread_spin_destroy(&spin);
	check_long("spin-lock-protected counter, 4 threads x 5000",
		   spin_counter, NT * 5000L);

	/* Detached threads, both ways. */
	rc = pthread_create(&t[0], NULL, detached_worker, NULL);
	check(rc == 0 && pthread_detach(t[0]) == 0, "pthread_detach");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t[1], &attr, detached_worker, NULL);
	pthread_attr_destroy(&attr);
	check(rc == 0, "pthread_create with PTHREAD_CREATE_DETACHED");
	check(wait_detached(2), "detached threads ran");
	rc = pthread_create(&t[0], NULL, detached_worker, NULL);
	ok = rc == 0 && wait_detached(3);
	usleep(10000); /* let it finish */
	check(ok && pthread_detach(t[0]) == 0, "pthread_detach after exit");

	/* Many threads at once, and many in turn. */
	enum { MANY = 32 };
	pthread_t many[MANY];
	counter = 0;
	ok = true;
	for (int i = 0; i < MANY; i++)
		if (pthread_create(&many[i], NULL, light_worker,
				   (void *)(intptr_t)i))
			ok = false;
	for (int i = 0; i < MANY && ok; i++)
		if (pthread_join(many[i], &ret) || (intptr_t)ret != i * 10)
			ok = false;
	check(ok && counter == MANY * 500L,
	      "%d threads at once: all joined, counter %ld", MANY, counter);
	ok = true;
	for (int i = 0; i < 300 && ok; i++)
		if (in_thread(exit_worker, (void *)(intptr_t)i) != i + 1)
			ok = false;
	check(ok, "300 threads created and joined in turn");

	/* A thread with a larger stack. */
	pthread_attr_init(&attr);
	rc = pthread_attr_setstacksize(&attr, 512 * 1024);
	size_t ss = 0;
	pthread_attr_getstacksize(&attr, &ss);
	check(rc == 0 && ss == 512 * 1024, "pthread_attr_setstacksize 512 KiB");
	rc = pthread_create(&t[0], &attr, big_stack_worker, NULL);
	pthread_attr_destroy(&attr);
	check(rc == 0 && pthread_join(t[0], &ret) == 0 && ret,
	      "thread uses 192 KiB of its 512 KiB stack");

	/* Floating point in threads. */
	char fout[NT][64];
	for (int i = 0; i < NT; i++) {
		fout[i][0] = (char)('1' + i);
		pthread_create(&t[i], NULL, float_worker, fout[i]);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		printf("float in thread %d: %s\n", i, fout[i]);
	}

	ok = true;
	for (int i = 0; i < 100; i++)
		if (sched_yield() != 0)
			ok = false;
	check(ok, "sched_yield returns 0");
	check(sysconf(_SC_NPROCESSORS_ONLN) >= 1,
	      "sysconf(_SC_NPROCESSORS_ONLN) >= 1");
	check_long("sysconf(_SC_PAGESIZE)", sysconf(_SC_PAGESIZE), 4096);
}

static void at_exit(void)
{
	printf("=== conformance end ===\n");
}

int main(int argc, char **argv)
{
	printf("=== conformance begin ===\n");
	atexit(at_exit);
	test_printf();
	test_scanf();
	test_strto();
	test_strings();
	test_math();
	test_sort();
	test_malloc();
	test_time();
	if (argc >= 2)
		test_files(argv[1]);
	else
		check(false, "a data file is given as argv[1]");
	test_env(argc, argv);
	test_pthreads();
	printf("conformance: %d checks, %d failed\n", n_checks, n_failed);
	/* The end marker comes from an atexit handler, with no explicit
	 * flush: exit must run handlers and flush stdio. */
	return n_failed == 0 ? 0 : 1;
}
