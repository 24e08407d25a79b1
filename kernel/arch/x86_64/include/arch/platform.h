/*
 * PC platform services the generic kernel calls: the serial console and
 * leaving the VM. Implemented in kernel/arch/x86_64/.
 */
#ifndef ARCH_PLATFORM_H
#define ARCH_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

/* 16550 UART at an I/O port; false if nothing answers there. */
bool uart_init(uint16_t port);
void uart_putc(uint16_t port, char c);
/* The next received byte, or -1 when none is waiting. */
int uart_getc(uint16_t port);

/* Leave the VM with status through QEMU's isa-debug-exit (iobase 0xf4),
 * which makes QEMU exit with (status << 1) | 1. Returns if no such device
 * took the write, so that the caller can halt instead. */
void platform_debug_exit(uint32_t status);

/* TSC ticks per second measured against the PIT; 0 if no PIT answered. */
uint64_t tsc_calibrate_pit(void);

#endif
