/*
 * A minimal check framework for the host unit tests: CHECK records a
 * failure with its location and goes on; check_exit() prints the count
 * and returns the process status meson test reads.
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) check_one((cond), __FILE__, __LINE__, #cond)

#define CHECK_STR_EQ(a, b) check_str_eq((a), (b), __FILE__, __LINE__, #a)

static inline int check_one(int ok, const char *file, int line,
			    const char *what)
{
	check_count++;
	if (!ok) {
		check_failures++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	}
	return ok;
}

static inline int check_str_eq(const char *a, const char *b, const char *file,
			       int line, const char *what)
{
	int ok = a && b && strcmp(a, b) == 0;

	check_count++;
	if (!ok) {
		check_failures++;
		fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", file,
			line, what, a ? a : "(null)", b ? b : "(null)");
	}
	return ok;
}

static inline int check_exit(const char *suite)
{
	printf("%s: %d checks, %d failed\n", suite, check_count,
	       check_failures);
	return check_failures ? 1 : 0;
}

#endif
