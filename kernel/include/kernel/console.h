/*
 * The kernel console: COM1 by default, or the UART the command line names
 * with uart=. Output only; lines are prefixed by the caller with its
 * subsystem ("pci: ", "virtio-net: ").
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_DEFAULT_PORT 0x3f8

/* Port 0 turns the console off. Returns false if no UART answered. */
int console_init(uint16_t port);
void console_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
