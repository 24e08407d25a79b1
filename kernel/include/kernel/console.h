/*
 * The kernel console: COM1 by default, or the UART the command line names
 * with uart=. Output only; lines are prefixed by the caller with its
 * subsystem ("pci: ", "virtio-net: ").
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_DEFAULT_PORT 0x3f8

/* Log levels: the console prints messages at or above the level the
 * command line sets with loglevel= (default info); messages below
 * LOG_COMPILED are compiled out altogether. */
enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

#ifndef LOG_COMPILED
#define LOG_COMPILED LOG_DEBUG
#endif

void console_set_level(enum log_level level);
bool console_level_enabled(enum log_level level);

/* "error", "warn", "info", "debug" or 0-3; -KERR_EINVAL otherwise. */
int log_level_parse(const char *s, enum log_level *out);

#define klog(level, ...)                                                       \
	((level) <= LOG_COMPILED && console_level_enabled(level)               \
		 ? (void)kprintf(__VA_ARGS__)                                  \
		 : (void)0)

/* Port 0 turns the console off. Returns false if no UART answered. */
int console_init(uint16_t port);
void console_write(const char *s, size_t n);
/* One byte typed on the console, or -1 when none is waiting (or there is
 * no console). */
int console_getc(void);
/* Fatal path only: print from now on without the console lock (another
 * CPU may have been stopped while holding it). */
void console_break_lock(void);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
