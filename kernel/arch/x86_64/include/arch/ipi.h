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

/* After taking access to the page at va away: flush it on every other
 * CPU online and wait until they have (however long: a line on the
 * console each second names the laggards). The caller flushed its own
 * TLB and holds no spinlock. A page going from not present to present
 * needs no shootdown. */
void tlb_shootdown_page(uint64_t va);
/* Shootdowns sent since boot (requests, not IPIs), for tests and
 * statistics. */
uint64_t tlb_shootdown_count(void);

/* Stop all other CPUs (they halt with interrupts off). True when the
 * caller is the CPU that stops the others (now or earlier); false if
 * another CPU got there first, and then the caller should halt too. Any
 * context. */
bool smp_stop_others(void);
/* Called first by the NMI handler: true when this NMI is a stop request. */
bool smp_stop_requested(void);

#endif
