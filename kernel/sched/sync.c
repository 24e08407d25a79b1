/*
 * Wait queues, mutexes, semaphores and condition variables (see
 * kernel/sync.h). Each is a wait queue plus a little state under the
 * queue's lock. A waiter puts itself on the queue and blocks; a waker
 * takes waiters off the queue until one of them actually wakes (one that
 * timed out meanwhile no longer counts), so a wake-up is never lost. A
 * woken waiter re-checks the state and may have to wait again: no
 * ownership is handed over while the new owner is still asleep, which
 * keeps timeouts simple and lets a running thread take a just-released
 * mutex without a switch.
 *
 * An all-zero waitq, kmutex, ksem (count 0) or kcond is valid: the C
 * library's static locks rely on that.
 */
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/sync.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#include "sched_internal.h"

void waitq_init(struct waitq *q)
{
	q->lock = (struct spinlock)SPINLOCK_INIT;
	list_node_init(&q->waiters);
}

/* A queue that was only zeroed (a static object, memset) gets its list
 * head on first use; q->lock held. */
static void waitq_ready(struct waitq *q)
{
	if (!q->waiters.next)
		list_node_init(&q->waiters);
}

static uint64_t waitq_lock(struct waitq *q)
{
	uint64_t flags = spin_lock_irqsave(&q->lock);

	waitq_ready(q);
	return flags;
}

/* Block on q until woken or deadline; q->lock held with flags, dropped
 * on return. 0 or -KERR_ETIMEDOUT. */
static int waitq_sleep(struct waitq *q, uint64_t flags, uint64_t deadline)
{
	struct thread *self = thread_self();
	int rc;

	list_add_tail(&q->waiters, &self->wait_node);
	rc = sched_block(&q->lock, flags, deadline);
	flags = spin_lock_irqsave(&q->lock);
	if (list_on_list(&self->wait_node))
		list_del(&self->wait_node);
	spin_unlock_irqrestore(&q->lock, flags);
	return rc;
}

/* Wake the first waiter that is still waiting; q->lock held. */
static bool waitq_wake_one_locked(struct waitq *q)
{
	struct thread *t;

	while ((t = list_first_entry_or_null(&q->waiters, struct thread,
					     wait_node))) {
		list_del(&t->wait_node);
		if (sched_wake(t))
			return true;
	}
	return false;
}

static void waitq_wake_all_locked(struct waitq *q)
{
	while (waitq_wake_one_locked(q))
		;
}

void kmutex_init(struct kmutex *m)
{
	waitq_init(&m->wq);
	m->owner = NULL;
}

/*
 * While the owner runs on another CPU, it will likely release the mutex
 * sooner than a sleep and a wake-up (an IPI) would take: spin for up to
 * MUTEX_SPIN_NS first, as Linux's mutexes do. The owner's fields are only
 * a hint here: a thread that has since ended may be read (its memory
 * stays mapped), which at worst ends the spin early or late.
 */
#define MUTEX_SPIN_NS (20 * NSEC_PER_USEC)

static void spin_while_owner_runs(struct kmutex *m, struct thread *owner)
{
	uint64_t end = time_ns() + MUTEX_SPIN_NS;

	while (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == owner &&
	       __atomic_load_n(&owner->on_cpu, __ATOMIC_RELAXED) &&
	       time_ns() < end)
		cpu_relax();
}

int kmutex_lock_until(struct kmutex *m, uint64_t deadline)
{
	struct thread *self = thread_self();
	bool spun = false;

	for (;;) {
		uint64_t flags = waitq_lock(&m->wq);
		struct thread *owner = m->owner;

		if (!owner) {
			m->owner = self;
			spin_unlock_irqrestore(&m->wq.lock, flags);
			return 0;
		}
		if (owner == self)
			panic("mutex %p: locked twice by thread %s", (void *)m,
			      self->name);
		if (!spun && owner->on_cpu && owner->cpu != self->cpu) {
			spin_unlock_irqrestore(&m->wq.lock, flags);
			spin_while_owner_runs(m, owner);
			spun = true;
			continue;
		}
		if (waitq_sleep(&m->wq, flags, deadline) < 0) {
			/* The deadline passed; one last try, so that a
			 * release at the same moment is not missed. */
			flags = waitq_lock(&m->wq);
			if (!m->owner)
				m->owner = self;
			spin_unlock_irqrestore(&m->wq.lock, flags);
			return m->owner == self ? 0 : -KERR_ETIMEDOUT;
		}
	}
}

void kmutex_lock(struct kmutex *m)
{
	kmutex_lock_until(m, TIME_FOREVER);
}

bool kmutex_trylock(struct kmutex *m)
{
	uint64_t flags = waitq_lock(&m->wq);
	bool ok = !m->owner;

	if (ok)
		m->owner = thread_self();
	spin_unlock_irqrestore(&m->wq.lock, flags);
	return ok;
}

void kmutex_unlock(struct kmutex *m)
{
	struct thread *self = thread_self();
	uint64_t flags = waitq_lock(&m->wq);

	if (m->owner != self)
		panic("mutex %p: unlocked by thread %s, which does not own it",
		      (void *)m, self->name);
	m->owner = NULL;
	waitq_wake_one_locked(&m->wq);
	spin_unlock_irqrestore(&m->wq.lock, flags);
	sched_preempt_point();
}

bool kmutex_held(const struct kmutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == thread_self();
}

void ksem_init(struct ksem *s, long count)
{
	waitq_init(&s->wq);
	s->count = count;
}

int ksem_wait_until(struct ksem *s, uint64_t deadline)
{
	for (;;) {
		uint64_t flags = waitq_lock(&s->wq);

		if (s->count > 0) {
			s->count--;
			spin_unlock_irqrestore(&s->wq.lock, flags);
			return 0;
		}
		if (waitq_sleep(&s->wq, flags, deadline) < 0) {
			int rc = -KERR_ETIMEDOUT;

			flags = waitq_lock(&s->wq);
			if (s->count > 0) {
				s->count--;
				rc = 0;
			}
			spin_unlock_irqrestore(&s->wq.lock, flags);
			return rc;
		}
	}
}

void ksem_wait(struct ksem *s)
{
	ksem_wait_until(s, TIME_FOREVER);
}

bool ksem_trywait(struct ksem *s)
{
	uint64_t flags = waitq_lock(&s->wq);
	bool ok = s->count > 0;

	if (ok)
		s->count--;
	spin_unlock_irqrestore(&s->wq.lock, flags);
	return ok;
}

void ksem_post(struct ksem *s)
{
	uint64_t flags = waitq_lock(&s->wq);

	s->count++;
	waitq_wake_one_locked(&s->wq);
	spin_unlock_irqrestore(&s->wq.lock, flags);
	sched_preempt_point();
}

long ksem_value(struct ksem *s)
{
	return __atomic_load_n(&s->count, __ATOMIC_RELAXED);
}

void kcond_init(struct kcond *c)
{
	waitq_init(&c->wq);
}

/* The condvar's queue lock is taken before the mutex is released, so a
 * signal sent after the caller's unlock finds it queued. */
int kcond_wait_until(struct kcond *c, struct kmutex *m, uint64_t deadline)
{
	uint64_t flags;
	int rc;

	if (!kmutex_held(m))
		panic("condvar %p: waited on without holding mutex %p",
		      (void *)c, (void *)m);
	flags = waitq_lock(&c->wq);
	kmutex_unlock(m); /* no switch: interrupts are off */
	rc = waitq_sleep(&c->wq, flags, deadline);
	kmutex_lock(m);
	return rc;
}

void kcond_wait(struct kcond *c, struct kmutex *m)
{
	kcond_wait_until(c, m, TIME_FOREVER);
}

void kcond_signal(struct kcond *c)
{
	uint64_t flags = waitq_lock(&c->wq);

	waitq_wake_one_locked(&c->wq);
	spin_unlock_irqrestore(&c->wq.lock, flags);
	sched_preempt_point();
}

void kcond_broadcast(struct kcond *c)
{
	uint64_t flags = waitq_lock(&c->wq);

	waitq_wake_all_locked(&c->wq);
	spin_unlock_irqrestore(&c->wq.lock, flags);
	sched_preempt_point();
}
