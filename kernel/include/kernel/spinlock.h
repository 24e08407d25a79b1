/*
 * Ticket spinlocks: FIFO-fair, which matters with several CPUs spinning
 * on one lock. spin_lock_irqsave also disables local interrupts, so that
 * an interrupt handler on the same CPU cannot deadlock on a lock its
 * thread holds. Never held across a sleep.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/cpu.h>
#include <arch/interrupt.h>

struct spinlock {
	volatile uint16_t next;
	volatile uint16_t owner;
};

#define SPINLOCK_INIT                                                          \
	{                                                                      \
		0, 0                                                           \
	}

static inline void spin_lock(struct spinlock *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
}

/* Take the lock only if nobody holds or waits for it. */
static inline bool spin_trylock(struct spinlock *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	uint16_t next = owner;

	return __atomic_compare_exchange_n(&l->next, &next,
					   (uint16_t)(owner + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
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
