/*
 * Console output on top of the platform UART. kprintf formats straight to
 * the UART, with no buffer, so that it works in fault handlers and before
 * memory is set up. "\n" goes out as "\r\n" for serial terminals.
 */
#include <stdarg.h>

#include <arch/platform.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/printf.h>

static uint16_t console_port = CONSOLE_DEFAULT_PORT;
static enum log_level console_level = LOG_INFO;

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
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
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

	va_start(ap, fmt);
	n = kvformat(emit_console, NULL, fmt, ap);
	va_end(ap);
	return n;
}
