/*
 * Spinlocks, test-and-test-and-set. Not FIFO on purpose: in a VM a vCPU
 * can be descheduled by the host at any time, and with a fair (ticket)
 * lock every waiter behind a descheduled one waits for it too, even
 * when the lock is free; Linux falls back to the same unfair lock for
 * guests without paravirtual spinlocks (virt_spin_lock). Critical
 * sections here are short, so starvation is not a concern.
 *
 * Always taken with interrupts off (spin_lock_irqsave, or inside code
 * that runs with them off): an interrupt handler on the same CPU cannot
 * deadlock on a lock its thread holds, and a holder is never preempted.
 * Never held across a sleep.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/cpu.h>
#include <arch/interrupt.h>

struct spinlock {
	volatile uint32_t locked;
};

#define SPINLOCK_INIT                                                          \
	{                                                                      \
		0                                                              \
	}

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

#endif
