/*
 * Thread context on x86_64 (kernel/arch/x86_64/context.c): the saved
 * stack pointer (callee-saved registers live on the thread's stack), the
 * FPU/SSE/AVX state in an XSAVE area (FXSAVE on CPUs without XSAVE), and
 * the FS base that the app's thread-local storage uses. The scheduler
 * calls these and knows no register.
 *
 * fpu_init_cpu() runs on every CPU before its first thread switch: it
 * enables XSAVE (CR4.OSXSAVE) and the state components the CPU has
 * (XCR0: x87, SSE, AVX, and AVX-512 when offered).
 */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

struct thread;

void fpu_init_cpu(void);
/* Bytes of an FPU area (64-byte aligned by the caller). */
size_t fpu_area_size(void);
/* Fill a new thread's area with the initial state (FCW 0x37f, MXCSR
 * 0x1f80, everything else clear). */
void fpu_area_init(void *area);
/* "XSAVE (x87 SSE AVX)" or "FXSAVE", for the boot log. */
const char *fpu_describe(void);

/* Prepare t's stack so that the first switch to it calls entry(), which
 * must not return. */
void arch_thread_init(struct thread *t, void (*entry)(void));

/* Load the calling CPU's FS base (the running thread's TLS pointer). */
void arch_load_fs_base(uint64_t base);

/* Save prev's FPU state, load next's state and FS base, switch stacks.
 * Returns when prev is switched back to, on whichever CPU. Interrupts
 * are off throughout. */
void arch_switch(struct thread *prev, struct thread *next);

#endif
