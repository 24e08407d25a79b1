/*
 * lwIP's compiler and platform glue (lwIP doc/sys_arch.txt, "cc.h"): the
 * C library's types and byte order, diagnostics on the kernel console,
 * and a failed assertion stops the VM.
 */
#ifndef SKIFF_ARCH_CC_H
#define SKIFF_ARCH_CC_H

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/types.h>

/* newlib's ssize_t is long; lwIP defines its own unless told. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

#define LWIP_NO_INTTYPES_H 0
#define BYTE_ORDER LITTLE_ENDIAN

/* The kernel console, without including kernel headers here. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void panic(const char *fmt, ...);
uint32_t skiff_random(void);

#define LWIP_PLATFORM_DIAG(x)                                                  \
	do {                                                                   \
		kprintf x;                                                     \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                \
	panic("lwip: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

#endif
