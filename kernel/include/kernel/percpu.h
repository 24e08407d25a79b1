/*
 * Per-CPU data: one struct cpu for each CPU online, reached on the CPU
 * itself through this_cpu() (the GS base, see arch/percpu.h) and from
 * other CPUs through cpu_get(index). The boot CPU's is static and set up
 * first thing in kernel_main (percpu_init_boot), so this_cpu() is valid
 * everywhere after that, fault handlers included; an AP enters its own
 * (percpu_enter_ap) before anything else.
 *
 * Fields other CPUs read or write are marked; the run queue has its own
 * lock (kernel/sched/sched.c).
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/list.h>
#include <kernel/spinlock.h>

#define CPU_MAX 256
/* Thread priorities: higher runs first; idle threads run below 0. */
#define SCHED_PRIORITIES 32

struct thread;

struct runqueue {
	struct spinlock lock;
	uint32_t ready_mask; /* bit p: ready[p] is not empty */
	unsigned nr_ready;   /* read unlocked by other CPUs (load hints) */
	struct list_node ready[SCHED_PRIORITIES];
	struct list_node timers; /* blocked threads with a deadline, sorted */
	uint64_t slice_end;	 /* time_ns() when current's slice ends, or 0 */
	uint64_t armed;	     /* deadline the APIC timer is armed for, or 0 */
	unsigned util;	     /* busy fraction, 1/1024ths (sched.c) */
	uint64_t util_stamp; /* time_ns() of its last update */
};

struct cpu {
	struct cpu *self; /* at offset 0: this_cpu() reads %gs:0 */
	struct thread *current;
	struct thread *idle;
	struct thread *switch_prev; /* handed from schedule() to the next */
	unsigned index;		    /* 0 = boot CPU */
	uint32_t apic_id;
	unsigned irq_depth;
	bool need_resched;
	bool is_idle;	   /* read by other CPUs to pick a target */
	bool sched_online; /* its run queue takes threads */
	struct runqueue rq;
	uint64_t switches;
	uint64_t tlb_flush_seen; /* the TLB shootdown generation done here */
};

#include <arch/percpu.h>

/* The thread running on this CPU, safe against preemption in between. */
static inline struct thread *this_cpu_current(void)
{
	return (struct thread *)(uintptr_t)this_cpu_read64(
		offsetof(struct cpu, current));
}

/* Called first thing on the boot CPU. */
void percpu_init_boot(void);
/* this_cpu() works (the boot CPU's is set up). */
bool percpu_ready(void);
/* The boot CPU allocates an AP's struct cpu before starting it (NULL
 * when memory is exhausted); the AP's first act is percpu_enter_ap(),
 * which points its GS base there and makes it visible to cpu_get(). */
struct cpu *percpu_alloc_ap(unsigned index, uint32_t apic_id);
void percpu_enter_ap(struct cpu *c);

/* The CPU with this index, or NULL if it is not (yet) online. */
struct cpu *cpu_get(unsigned index);
/* One more than the highest index online. */
unsigned cpu_count(void);

#endif
