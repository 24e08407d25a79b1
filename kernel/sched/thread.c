/*
 * Thread life cycle: create, start, exit, join, detach and reaping, plus
 * yield, sleep and priorities on top of the scheduler (sched.c). A
 * thread's stack has a guard page (kstack_alloc); its FPU area is
 * allocated with it. Stacks are freed only once on_cpu says no CPU runs
 * on them any more: by the joiner, or for detached threads by the reaper
 * (an idle thread or the next thread_create), never by the dying thread.
 */
#include <arch/context.h>
#include <arch/cpu.h>
#include <arch/interrupt.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#include "sched_internal.h"

#define FPU_ALIGN 64

static struct spinlock threads_lock = SPINLOCK_INIT;
static const struct thread_hooks *hooks;
static struct list_node all_threads = LIST_INIT(all_threads);
static struct list_node reap_list = LIST_INIT(reap_list);
static unsigned nr_threads;
static uint64_t next_id;

void thread_attr_init(struct thread_attr *a)
{
	a->name = "thread";
	a->stack_size = 0;
	a->prio = THREAD_PRIO_DEFAULT;
	a->cpu = -1;
	a->detached = false;
}

static void set_name(struct thread *t, const char *name)
{
	size_t i = 0;

	for (; name && name[i] && i < THREAD_NAME_MAX - 1; i++)
		t->name[i] = name[i];
	t->name[i] = '\0';
}

struct thread *thread_alloc_bare(const char *name)
{
	struct thread *t = kcalloc(1, sizeof(*t));
	uint64_t flags;

	if (!t)
		return NULL;
	t->fpu_alloc = kmalloc(fpu_area_size() + FPU_ALIGN);
	if (!t->fpu_alloc) {
		kfree(t);
		return NULL;
	}
	t->fpu_area = (void *)(((uintptr_t)t->fpu_alloc + FPU_ALIGN - 1) &
			       ~(uintptr_t)(FPU_ALIGN - 1));
	fpu_area_init(t->fpu_area);
	list_node_init(&t->run_node);
	list_node_init(&t->wait_node);
	list_node_init(&t->timer_node);
	waitq_init(&t->join_wq);
	t->pin = -1;
	t->prio = THREAD_PRIO_DEFAULT;
	set_name(t, name);
	flags = spin_lock_irqsave(&threads_lock);
	t->id = ++next_id;
	list_add_tail(&all_threads, &t->all_node);
	nr_threads++;
	spin_unlock_irqrestore(&threads_lock, flags);
	return t;
}

void thread_set_hooks(const struct thread_hooks *h)
{
	__atomic_store_n(&hooks, h, __ATOMIC_RELEASE);
}

void thread_set_fs_base(uint64_t base)
{
	uint64_t flags = irq_save();

	thread_self()->fs_base = base;
	arch_load_fs_base(base);
	irq_restore(flags);
}

static void thread_free(struct thread *t)
{
	const struct thread_hooks *h =
		__atomic_load_n(&hooks, __ATOMIC_ACQUIRE);
	uint64_t flags;

	if (h && h->destroy && t->libc)
		h->destroy(t);
	flags = spin_lock_irqsave(&threads_lock);

	list_del(&t->all_node);
	nr_threads--;
	spin_unlock_irqrestore(&threads_lock, flags);
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (t->stack_top)
		kstack_free(t->stack_top, t->stack_size);
	kfree(t->fpu_alloc);
	kfree(t);
}

/* Interrupts off (from sched_finish_switch). */
void thread_reap_later(struct thread *t)
{
	spin_lock(&threads_lock);
	list_add_tail(&reap_list, &t->run_node);
	spin_unlock(&threads_lock);
}

void thread_reap_dead(void)
{
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&threads_lock);
		struct thread *t = list_first_entry_or_null(
			&reap_list, struct thread, run_node);

		if (t)
			list_del(&t->run_node);
		spin_unlock_irqrestore(&threads_lock, flags);
		if (!t)
			return;
		thread_free(t);
	}
}

/* Where every new thread starts (arch_thread_init): interrupts are off
 * and the switch away from the previous thread is not finished yet. */
static __attribute__((noreturn)) void thread_start(void)
{
	struct thread *self = thread_self();

	sched_finish_switch();
	irq_enable();
	thread_exit(self->fn(self->arg));
}

struct thread *thread_create(const struct thread_attr *a, thread_fn fn,
			     void *arg)
{
	struct thread_attr def;
	struct thread *t;

	if (!a) {
		thread_attr_init(&def);
		a = &def;
	}
	if (!fn || a->prio < THREAD_PRIO_MIN || a->prio > THREAD_PRIO_MAX)
		return NULL;
	thread_reap_dead();
	t = thread_alloc_bare(a->name);
	if (!t)
		return NULL;
	t->stack_size = a->stack_size ? a->stack_size : THREAD_STACK_DEFAULT;
	t->stack_top = kstack_alloc(t->stack_size);
	if (!t->stack_top) {
		thread_free(t);
		return NULL;
	}
	t->fn = fn;
	t->arg = arg;
	t->prio = a->prio;
	t->pin = a->cpu;
	t->detached = a->detached;
	arch_thread_init(t, thread_start);
	{
		const struct thread_hooks *h =
			__atomic_load_n(&hooks, __ATOMIC_ACQUIRE);

		if (h && h->create && h->create(t) < 0) {
			thread_free(t);
			return NULL;
		}
	}
	t->state = THREAD_READY;
	sched_add(t);
	return t;
}

void thread_exit(int code)
{
	struct thread *self = thread_self();
	uint64_t flags = spin_lock_irqsave(&self->join_wq.lock);
	struct thread *w;

	(void)flags;
	self->exit_code = code;
	self->state = THREAD_DEAD;
	while ((w = list_first_entry_or_null(&self->join_wq.waiters,
					     struct thread, wait_node))) {
		list_del(&w->wait_node);
		sched_wake(w);
	}
	spin_unlock(&self->join_wq.lock);
	schedule();
	panic("thread %s: ran after its exit", self->name);
}

int thread_join(struct thread *t, int *ret)
{
	struct thread *self = thread_self();
	uint64_t flags;

	if (!t || t == self)
		return -KERR_EINVAL;
	flags = spin_lock_irqsave(&t->join_wq.lock);
	if (t->detached) {
		spin_unlock_irqrestore(&t->join_wq.lock, flags);
		return -KERR_EINVAL;
	}
	while (t->state != THREAD_DEAD) {
		list_add_tail(&t->join_wq.waiters, &self->wait_node);
		sched_block(&t->join_wq.lock, flags, TIME_FOREVER);
		flags = spin_lock_irqsave(&t->join_wq.lock);
		if (list_on_list(&self->wait_node))
			list_del(&self->wait_node);
	}
	spin_unlock_irqrestore(&t->join_wq.lock, flags);
	if (ret)
		*ret = t->exit_code;
	thread_free(t);
	return 0;
}

void thread_detach(struct thread *t)
{
	uint64_t flags = spin_lock_irqsave(&t->join_wq.lock);
	bool dead = t->state == THREAD_DEAD;

	if (!dead)
		t->detached = true;
	spin_unlock_irqrestore(&t->join_wq.lock, flags);
	/* Ended before it was detached: nobody else will free it. */
	if (dead)
		thread_free(t);
}

struct thread *thread_self(void)
{
	return this_cpu_current();
}

void thread_yield(void)
{
	uint64_t flags = irq_save();

	schedule();
	irq_restore(flags);
}

void thread_sleep_until(uint64_t deadline)
{
	while (time_ns() < deadline)
		sched_block(NULL, irq_save(), deadline);
}

void thread_sleep_ns(uint64_t ns)
{
	uint64_t now = time_ns();

	thread_sleep_until(ns > TIME_FOREVER - now ? TIME_FOREVER : now + ns);
}

int thread_set_priority(struct thread *t, int prio)
{
	if (prio < THREAD_PRIO_MIN || prio > THREAD_PRIO_MAX)
		return -KERR_EINVAL;
	if (t != thread_self())
		return -KERR_EINVAL;
	t->prio = prio;
	/* A lower priority may let a waiting thread run now. */
	thread_yield();
	return 0;
}

unsigned thread_count(void)
{
	return __atomic_load_n(&nr_threads, __ATOMIC_RELAXED);
}
