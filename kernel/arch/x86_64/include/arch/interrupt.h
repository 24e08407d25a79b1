/*
 * Interrupts and exceptions on x86_64: the frame every handler sees, the
 * vector allocator and handler table (kernel/arch/x86_64/idt.c), and the
 * interrupt flag. Vectors 0-31 are CPU exceptions, 32-47 stay unused (the
 * masked legacy PIC is remapped there), 48-239 are handed out by
 * irq_alloc_vector, 240-255 are fixed system vectors.
 */
#ifndef ARCH_INTERRUPT_H
#define ARCH_INTERRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IRQ_VECTOR_FIRST 48
#define IRQ_VECTOR_LAST 239
#define IRQ_VECTOR_SPURIOUS 255
#define IRQ_VECTOR_TIMER 254	/* local APIC timer */
#define IRQ_VECTOR_IPI_BASE 240 /* 240-247: inter-processor interrupts */

/* Saved by the entry stubs, lowest address first. */
struct irq_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
_Static_assert(offsetof(struct irq_frame, rax) == 112, "layout");
_Static_assert(offsetof(struct irq_frame, vector) == 120, "layout");
_Static_assert(offsetof(struct irq_frame, rip) == 136, "layout");
_Static_assert(sizeof(struct irq_frame) == 176, "layout");

/* Called with interrupts off, on the interrupted stack (or an IST stack
 * for NMI, double fault and machine check). */
typedef void (*irq_handler_t)(struct irq_frame *f, void *ctx);

/* A free vector in 48-239, or -KERR_ENOSPC. */
int irq_alloc_vector(void);

/* Route vector to h. A handler of an external interrupt must end with
 * the controller's EOI (lapic_eoi()). */
int irq_set_handler(unsigned vector, irq_handler_t h, void *ctx);
/* The handler of vector (and its ctx), or NULL: to put it back after a
 * test borrowed the vector. */
irq_handler_t irq_get_handler(unsigned vector, void **ctx);

static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* Disable interrupts and return the previous RFLAGS, for irq_restore. */
static inline uint64_t irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & (1u << 9))
		irq_enable();
}

#endif
