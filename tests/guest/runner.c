/*
 * The in-guest test runner: the app of the test image. With no arguments
 * it runs every registered test except the manual ones; arguments select
 * tests by exact name or by a prefix ending in '*' (manual tests only by
 * exact name). Output, one line per test, TAP style:
 *
 *   ok 1 - printf_formats (12 kcycles)
 *   not ok 2 - harness_deliberate_failure (0 kcycles)
 *   #   tests/guest/test_harness.c:9: check failed: 1 + 1 == 3
 *   guest: 1 passed, 1 failed
 *
 * The exit status is 0 if all passed, 1 if any failed, 2 if none ran.
 */
#include <stdarg.h>

#include "ktest.h"
#include <arch/cpu.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/printf.h>

extern const struct ktest_case __ktests_start[], __ktests_end[];

static char opt_buf[4096];
static struct cmdline opt_cl;
static bool opt_parsed;

const char *ktest_option(const char *name)
{
	const struct boot_info *bi = kernel_boot_info();
	const char *raw = (const char *)(uintptr_t)bi->cmdline;

	if (!opt_parsed) {
		size_t n = raw ? strlen(raw) : 0;

		if (n >= sizeof(opt_buf))
			n = sizeof(opt_buf) - 1;
		memcpy(opt_buf, raw ? raw : "", n);
		opt_buf[n] = '\0';
		if (cmdline_parse(opt_buf, "tests", &opt_cl) < 0)
			cmdline_parse(NULL, "tests", &opt_cl);
		opt_parsed = true;
	}
	return cmdline_option(&opt_cl, name);
}

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt,
		...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failures++;
	kprintf("#   %s:%d: %s\n", file, line, msg);
}

static bool selected(const struct ktest_case *c, int argc, char **argv)
{
	if (argc <= 1)
		return !(c->flags & KTEST_MANUAL);
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (strcmp(argv[i], c->name) == 0)
			return true;
		if (n && argv[i][n - 1] == '*' && !(c->flags & KTEST_MANUAL) &&
		    strncmp(argv[i], c->name, n - 1) == 0)
			return true;
	}
	return false;
}

/* The TSC rate is not known yet (the time subsystem calibrates it), so
 * durations are reported in TSC kilo-cycles. */
int app_main(int argc, char **argv)
{
	int passed = 0, failed = 0, n = 0;

	for (const struct ktest_case *c = __ktests_start; c < __ktests_end;
	     c++) {
		struct ktest t = { .name = c->name };
		uint64_t t0;

		if (!selected(c, argc, argv))
			continue;
		n++;
		t0 = rdtsc();
		c->fn(&t);
		kprintf("%s %d - %s (%llu kcycles)\n",
			t.failures ? "not ok" : "ok", n, c->name,
			(unsigned long long)((rdtsc() - t0) / 1000));
		if (t.failures)
			failed++;
		else
			passed++;
	}
	kprintf("guest: %d passed, %d failed\n", passed, failed);
	if (n == 0) {
		kprintf("guest: no test matched the arguments\n");
		return 2;
	}
	return failed ? 1 : 0;
}
