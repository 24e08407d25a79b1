/*
 * Sleeping synchronisation for threads (kernel/sched/sync.c): wait
 * queues, mutexes, counting semaphores and condition variables. Every
 * wait can time out: deadlines are absolute time_ns() values and
 * TIME_FOREVER waits without one. A timed-out wait returns
 * -KERR_ETIMEDOUT.
 *
 * These may sleep, so they are for thread context only, with interrupts
 * on (the post/signal/unlock side is also safe in interrupt handlers,
 * except kmutex_unlock, which only the owner calls). Waiters are woken
 * in FIFO order; a woken waiter retries, so a wake-up that races with a
 * timeout is never lost: it passes to the next waiter.
 */
#ifndef KERNEL_SYNC_H
#define KERNEL_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/list.h>
#include <kernel/spinlock.h>

#define TIME_FOREVER UINT64_MAX

struct thread;

struct waitq {
	struct spinlock lock;
	struct list_node waiters;
};

#define WAITQ_INIT(name)                                                       \
	{                                                                      \
		SPINLOCK_INIT, LIST_INIT((name).waiters)                       \
	}

void waitq_init(struct waitq *q);

struct kmutex {
	struct waitq wq;
	struct thread *owner;
};

#define KMUTEX_INIT(name)                                                      \
	{                                                                      \
		WAITQ_INIT((name).wq), NULL                                    \
	}

void kmutex_init(struct kmutex *m);
/* 0, or -KERR_ETIMEDOUT when deadline passed first. Locking a mutex
 * the caller already owns is a bug and panics (the recursive kind lives
 * in the pthread layer). */
int kmutex_lock_until(struct kmutex *m, uint64_t deadline);
void kmutex_lock(struct kmutex *m);
bool kmutex_trylock(struct kmutex *m);
/* Only the owner may unlock; anything else panics. */
void kmutex_unlock(struct kmutex *m);
bool kmutex_held(const struct kmutex *m);

struct ksem {
	struct waitq wq;
	long count;
};

void ksem_init(struct ksem *s, long count);
int ksem_wait_until(struct ksem *s, uint64_t deadline);
void ksem_wait(struct ksem *s);
bool ksem_trywait(struct ksem *s);
void ksem_post(struct ksem *s);
long ksem_value(struct ksem *s);

struct kcond {
	struct waitq wq;
};

void kcond_init(struct kcond *c);
/* Release m, wait for a signal or the deadline, take m again (also on
 * timeout). 0 or -KERR_ETIMEDOUT. Spurious wake-ups are possible, as
 * with pthreads: callers re-check their condition. */
int kcond_wait_until(struct kcond *c, struct kmutex *m, uint64_t deadline);
void kcond_wait(struct kcond *c, struct kmutex *m);
void kcond_signal(struct kcond *c);
void kcond_broadcast(struct kcond *c);

#endif
