/*
 * this_cpu() on x86_64: the GS base holds the address of the CPU's struct
 * cpu, whose first field points at itself, so one %gs-relative load
 * gives it (the kernel never runs user code, so GS is never swapped).
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdint.h>

struct cpu;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/* One 64-bit field of the calling CPU's struct cpu, read in a single
 * instruction: a thread that is preempted and moves to another CPU gets
 * the value of one CPU or the other, never a mix of the two (this_cpu()
 * followed by a load could read the old CPU's field after the move). */
static inline uint64_t this_cpu_read64(unsigned long offset)
{
	uint64_t v;

	__asm__ volatile("movq %%gs:(%1), %0" : "=r"(v) : "r"(offset));
	return v;
}

/* Point the GS base of the calling CPU at c. */
void arch_set_this_cpu(struct cpu *c);

#endif
