/*
 * In-guest tests: each KTEST is registered in the .ktests section and run
 * by tests/guest/runner.c inside the unikernel, which prints one line per
 * test on COM1 and exits through isa-debug-exit with the failure count.
 *
 * KT_CHECK records a failure with its location and lets the test go on;
 * it never returns from the test behind the caller's back.
 */
#ifndef TESTS_KTEST_H
#define TESTS_KTEST_H

#include <stdbool.h>
#include <stdint.h>

struct ktest {
	const char *name;
	int failures;
};

/* KTEST_MANUAL: run only when named on the command line (the harness's
 * own failure check uses this). */
#define KTEST_MANUAL (1u << 0)

struct ktest_case {
	const char *name;
	void (*fn)(struct ktest *t);
	uint32_t flags;
};

#define KTEST_FLAGS(name_, flags_)                                             \
	static void ktest_fn_##name_(struct ktest *t);                         \
	static const struct ktest_case ktest_case_##name_                      \
		__attribute__((section(".ktests"), used, aligned(8))) = {      \
			#name_, ktest_fn_##name_, (flags_)                     \
		};                                                             \
	static void ktest_fn_##name_(struct ktest *t)

#define KTEST(name_) KTEST_FLAGS(name_, 0)

/* A kernel option from the boot command line ("ktest.firmware=bios"), or
 * NULL: how a boot tells its tests what to expect. */
const char *ktest_option(const char *name);

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

/* Evaluates to cond, so a test can skip follow-up checks explicitly. */
#define KT_CHECK(t, cond)                                                      \
	((cond) ? true                                                         \
		: (ktest_fail((t), __FILE__, __LINE__, "check failed: %s",     \
			      #cond),                                          \
		   false))

#define KT_CHECK_EQ(t, a, b)                                                   \
	(((uint64_t)(a) == (uint64_t)(b))                                      \
		 ? true                                                        \
		 : (ktest_fail((t), __FILE__, __LINE__,                        \
			       "%s == %s: %#llx != %#llx", #a, #b,             \
			       (unsigned long long)(a),                        \
			       (unsigned long long)(b)),                       \
		    false))

#endif
