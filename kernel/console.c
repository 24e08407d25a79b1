/*
 * Console output on top of the platform UART. kprintf formats straight to
 * the UART, with no buffer, so that it works in fault handlers and before
 * memory is set up. "\n" goes out as "\r\n" for serial terminals.
 *
 * One kprintf is one unit on SMP: the console lock is taken with
 * interrupts off and may be taken again by the CPU that holds it (a
 * fault while printing). console_break_lock() is for the fatal path,
 * after the other CPUs were stopped, perhaps while one held the lock.
 */
#include <stdarg.h>

#include <arch/platform.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/percpu.h>
#include <kernel/printf.h>

static uint16_t console_port = CONSOLE_DEFAULT_PORT;
static enum log_level console_level = LOG_INFO;
static int lock_owner = -1; /* CPU index */
static unsigned lock_depth;
static bool lock_broken;

void console_break_lock(void)
{
	__atomic_store_n(&lock_broken, true, __ATOMIC_RELEASE);
}

static uint64_t console_lock(void)
{
	uint64_t flags = irq_save();
	int me, expect;

	if (!percpu_ready() || __atomic_load_n(&lock_broken, __ATOMIC_ACQUIRE))
		return flags;
	me = (int)this_cpu()->index;
	if (__atomic_load_n(&lock_owner, __ATOMIC_RELAXED) == me) {
		lock_depth++;
		return flags;
	}
	for (;;) {
		expect = -1;
		if (__atomic_compare_exchange_n(&lock_owner, &expect, me, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (__atomic_load_n(&lock_broken, __ATOMIC_ACQUIRE))
			return flags;
		cpu_relax();
	}
	lock_depth = 1;
	return flags;
}

static void console_unlock(uint64_t flags)
{
	if (percpu_ready() &&
	    __atomic_load_n(&lock_owner, __ATOMIC_RELAXED) ==
		    (int)this_cpu()->index &&
	    --lock_depth == 0)
		__atomic_store_n(&lock_owner, -1, __ATOMIC_RELEASE);
	irq_restore(flags);
}

void console_set_level(enum log_level level)
{
	console_level = level;
}

bool console_level_enabled(enum log_level level)
{
	return level <= console_level;
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++) {
		const char *a = names[i], *b = s;

		while (*a && *a == *b) {
			a++;
			b++;
		}
		if ((!*a && !*b) || (s[0] == '0' + i && !s[1])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -KERR_EINVAL;
}

int console_init(uint16_t port)
{
	console_port = 0;
	if (port == 0)
		return 0;
	if (!uart_init(port))
		return -KERR_ENOENT;
	console_port = port;
	return 0;
}

static void console_putc(char c)
{
	if (!console_port)
		return;
	if (c == '\n')
		uart_putc(console_port, '\r');
	uart_putc(console_port, c);
}

void console_write(const char *s, size_t n)
{
	uint64_t flags = console_lock();

	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
	console_unlock(flags);
}

static void emit_console(void *ctx, char c)
{
	(void)ctx;
	console_putc(c);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	uint64_t flags = console_lock();

	va_start(ap, fmt);
	n = kvformat(emit_console, NULL, fmt, ap);
	va_end(ap);
	console_unlock(flags);
	return n;
}

int console_getc(void)
{
	if (!console_port)
		return -1;
	return uart_getc(console_port);
}
