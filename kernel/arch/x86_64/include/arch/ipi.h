/*
 * Inter-processor interrupts (kernel/arch/x86_64/ipi.c): reschedule, TLB
 * shootdown, and stopping every other CPU on a fatal error (by NMI, so
 * that a CPU spinning with interrupts off stops too).
 */
#ifndef ARCH_IPI_H
#define ARCH_IPI_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/interrupt.h>

#define IRQ_VECTOR_RESCHED (IRQ_VECTOR_IPI_BASE + 0)
#define IRQ_VECTOR_TLB (IRQ_VECTOR_IPI_BASE + 1)

struct cpu;

/* Install the IPI handlers; resched is the scheduler's. */
int ipi_init(irq_handler_t resched);
void ipi_resched(struct cpu *c);

/* After changing the mapping of the page at va: flush it on every other
 * CPU online and wait (bounded) until they have. The caller flushed its
 * own TLB and holds no spinlock. */
void tlb_shootdown_page(uint64_t va);

/* Stop all other CPUs (they halt with interrupts off). True when the
 * caller is the CPU that stops the others (now or earlier); false if
 * another CPU got there first, and then the caller should halt too. Any
 * context. */
bool smp_stop_others(void);
/* Called first by the NMI handler: true when this NMI is a stop request. */
bool smp_stop_requested(void);

#endif
