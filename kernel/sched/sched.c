/*
 * The scheduler: one run queue per CPU (struct runqueue in kernel/percpu.h)
 * with SCHED_PRIORITIES FIFO lists, a sorted list of the deadlines of the
 * threads blocked on that CPU, and the APIC timer armed only for the next
 * deadline or the end of the running thread's slice (no periodic tick).
 * An idle CPU halts; it takes work from another CPU's queue when it is
 * woken. A wake-up stays on the waking CPU unless that one is busy, and
 * then prefers an idle CPU (pick_cpu).
 *
 * Locking: a run queue lock is taken with interrupts off and never
 * together with another run queue lock. A wait-list lock (struct waitq,
 * a thread's join queue) may be held while taking a run queue lock, never
 * the reverse.
 *
 * State changes: only the thread itself moves RUNNING -> BLOCKED or
 * DEAD; BLOCKED -> READY is a compare-and-swap, so of a waker and a
 * timeout exactly one wins. on_cpu is 1 while a CPU runs on the thread's
 * stack, until the switch away from it ends. A woken thread is queued
 * only once on_cpu is 0 (the waker waits for that); a preempted one is
 * queued on its own CPU at once, but no other CPU takes it before its
 * on_cpu is 0. So no CPU ever waits for another one's switch.
 */
#include <arch/apic.h>
#include <arch/context.h>
#include <arch/cpu.h>
#include <arch/interrupt.h>
#include <arch/ipi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#include "sched_internal.h"

#define SLICE_NS (10 * NSEC_PER_MSEC)
#define IDLE_PRIO (-1)
/* Busy fraction in 1/UTIL_ONE, averaged over about UTIL_TAU_NS; a CPU
 * below UTIL_PACK with fewer than PACK_QUEUE threads waiting takes the
 * threads it wakes itself (see pick_cpu). */
#define UTIL_ONE 1024
#define UTIL_TAU_NS (8 * NSEC_PER_MSEC)
#define UTIL_PACK (UTIL_ONE * 15 / 16)
#define PACK_QUEUE 16

static bool running;

bool sched_running(void)
{
	return running;
}

/* --- run queues (lock held) --- */

static void rq_enqueue(struct cpu *c, struct thread *t)
{
	struct runqueue *rq = &c->rq;

	list_add_tail(&rq->ready[t->prio], &t->run_node);
	rq->ready_mask |= 1u << t->prio;
	rq->nr_ready++;
	t->cpu = c;
}

static void rq_remove(struct cpu *c, struct thread *t)
{
	struct runqueue *rq = &c->rq;

	list_del(&t->run_node);
	if (list_empty(&rq->ready[t->prio]))
		rq->ready_mask &= ~(1u << t->prio);
	rq->nr_ready--;
}

/* The first thread of the highest non-empty level that may run here
 * (pinned threads only on their CPU), or NULL. */
static struct thread *rq_first(struct cpu *c, bool stealing)
{
	struct runqueue *rq = &c->rq;
	uint32_t mask = rq->ready_mask;

	while (mask) {
		int p = 31 - __builtin_clz(mask);
		struct list_node *n;

		for (n = rq->ready[p].next; n != &rq->ready[p]; n = n->next) {
			struct thread *t =
				list_entry(n, struct thread, run_node);

			/* Not one that its CPU is still switching away
			 * from (a preempted thread is queued before its
			 * switch ends): only its own CPU may take that. */
			if (!stealing ||
			    (t->pin < 0 &&
			     !__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)))
				return t;
		}
		mask &= ~(1u << p);
	}
	return NULL;
}

/* Arm the APIC timer for the earliest of the next deadline and the slice
 * end, or stop it. */
static void rearm(struct cpu *c)
{
	struct runqueue *rq = &c->rq;
	struct thread *t = list_first_entry_or_null(&rq->timers, struct thread,
						    timer_node);
	uint64_t next = t ? t->deadline : TIME_FOREVER, now;

	if (rq->slice_end && rq->slice_end < next)
		next = rq->slice_end;
	if (next == rq->armed)
		return;
	rq->armed = next;
	if (next == TIME_FOREVER) {
		lapic_timer_cancel();
		return;
	}
	now = time_ns();
	lapic_timer_arm_ns(next > now ? next - now : 1);
}

void sched_timer_resync(void)
{
	struct cpu *c = this_cpu();
	uint64_t flags = spin_lock_irqsave(&c->rq.lock);

	c->rq.armed = 0;
	rearm(c);
	spin_unlock_irqrestore(&c->rq.lock, flags);
}

static void timer_insert(struct cpu *c, struct thread *t)
{
	struct list_node *n;

	for (n = c->rq.timers.next; n != &c->rq.timers; n = n->next) {
		if (list_entry(n, struct thread, timer_node)->deadline >
		    t->deadline)
			break;
	}
	list_add_before(n, &t->timer_node);
	t->timer_cpu = c;
}

/* --- choosing CPUs --- */

/*
 * How busy a CPU has been: an exponential average of its non-idle time,
 * as it would be at now if it has been busy (or idle) since the last
 * update. The step dt / (dt + tau) is the exact one's first-order
 * approximation, and like it never overshoots. Updated by schedule() on
 * the CPU itself; read there and by pick_cpu() on the same CPU, with
 * interrupts off.
 */
static unsigned util_at(const struct runqueue *rq, uint64_t now, bool busy)
{
	uint64_t dt = now > rq->util_stamp ? now - rq->util_stamp : 0;
	int64_t diff = (int64_t)(busy ? UTIL_ONE : 0) - (int64_t)rq->util;

	if (dt > 64 * UTIL_TAU_NS)
		return busy ? UTIL_ONE : 0;
	return (unsigned)((int64_t)rq->util +
			  diff * (int64_t)dt / (int64_t)(dt + UTIL_TAU_NS));
}

static void util_update(struct runqueue *rq, uint64_t now, bool busy)
{
	rq->util = util_at(rq, now, busy);
	rq->util_stamp = now;
}

static void resched_cpu(struct cpu *c)
{
	if (c == this_cpu())
		c->need_resched = true;
	else
		ipi_resched(c);
}

static bool cpu_accepts(const struct cpu *c)
{
	return c && __atomic_load_n(&c->sched_online, __ATOMIC_ACQUIRE);
}

/* An idle CPU other than self, or NULL. */
static struct cpu *find_idle(struct cpu *self)
{
	unsigned n = cpu_count(), start = self ? self->index + 1 : 0;

	for (unsigned i = 0; i < n; i++) {
		struct cpu *c = cpu_get((start + i) % n);

		if (c != self && cpu_accepts(c) &&
		    __atomic_load_n(&c->is_idle, __ATOMIC_RELAXED))
			return c;
	}
	return NULL;
}

/*
 * Where a thread that just became ready should go: its pinned CPU; for a
 * wake-up, the waking CPU itself while that has been under 15/16 busy
 * and has fewer than PACK_QUEUE threads waiting;
 * its last CPU when that is idle; any idle CPU; else its last CPU (the
 * cache may still be warm), or the least loaded one for a new thread.
 *
 * Waking on the waker's CPU keeps a chain of hand-offs (the device
 * thread, the tcpip thread, the thread of a connection, and back) on one
 * CPU: the waker is usually about to block, and a wake-up on another CPU
 * costs an IPI and, in a VM, the exit from HLT of a vCPU that the host
 * may not run at once. Under QEMU/TCG on two host cores that made four
 * vCPUs serve three times fewer HTTP requests than one. A CPU busier than
 * that sends its wake-ups to idle CPUs, so that parallel work still
 * spreads; and threads packed on a CPU that then keep it busy for a whole
 * slice are handed to idle CPUs one per slice (timer_irq). *packed says
 * which of these happened.
 */
static struct cpu *pick_cpu(struct thread *t, bool wake, bool *packed)
{
	struct cpu *c = t->pin >= 0 ? cpu_get((unsigned)t->pin) : NULL, *idle;
	unsigned n, best_load = ~0u;

	*packed = false;
	if (cpu_accepts(c))
		return c;
	if (wake) {
		c = this_cpu();
		if (cpu_accepts(c) && c->rq.nr_ready < PACK_QUEUE &&
		    util_at(&c->rq, time_ns(), !c->is_idle) < UTIL_PACK) {
			*packed = true;
			return c;
		}
	}
	c = t->cpu;
	if (cpu_accepts(c) && __atomic_load_n(&c->is_idle, __ATOMIC_RELAXED))
		return c;
	idle = find_idle(NULL);
	if (idle)
		return idle;
	if (cpu_accepts(c))
		return c;
	n = cpu_count();
	c = this_cpu();
	for (unsigned i = 0; i < n; i++) {
		struct cpu *o = cpu_get(i);
		unsigned load;

		if (!cpu_accepts(o))
			continue;
		load = __atomic_load_n(&o->rq.nr_ready, __ATOMIC_RELAXED);
		if (load < best_load) {
			best_load = load;
			c = o;
		}
	}
	return c;
}

/* Queue a READY thread on c and make c notice; unless packed (see
 * pick_cpu), an idle CPU is asked to take it if c is busy. Interrupts
 * off. */
static void make_ready(struct thread *t, struct cpu *c, bool packed)
{
	struct thread *cur;
	bool kick, spare;

	spin_lock(&c->rq.lock);
	rq_enqueue(c, t);
	cur = c->current;
	/* Preempt for a higher priority; an idle CPU to run it; a lone
	 * runner so that it arms its slice. */
	kick = c->is_idle || !cur || t->prio > cur->prio ||
	       (t->prio == cur->prio && !c->rq.slice_end);
	/*
	 * But a thread of the same priority woken on the waker's own CPU
	 * waits for the waker to block, or for the slice armed here to
	 * end: preempted at once, the waker would often still hold the lock
	 * the woken thread wants first (lwIP's core lock, for one), and the
	 * two would take turns blocking on it.
	 */
	if (kick && c == this_cpu() && !c->is_idle && cur &&
	    t->prio == cur->prio) {
		c->rq.slice_end = time_ns() + SLICE_NS;
		rearm(c);
		kick = false;
	}
	spare = !c->is_idle && t->pin < 0 && !packed;
	spin_unlock(&c->rq.lock);
	if (kick)
		resched_cpu(c);
	else if (spare) {
		struct cpu *idle = find_idle(c);

		if (idle)
			resched_cpu(idle);
	}
}

/* Take a runnable thread from another CPU's queue, or NULL. */
static struct thread *steal(struct cpu *self)
{
	unsigned n = cpu_count();

	for (unsigned i = 1; i < n; i++) {
		struct cpu *o = cpu_get((self->index + i) % n);
		struct thread *t;

		if (!cpu_accepts(o) ||
		    !__atomic_load_n(&o->rq.nr_ready, __ATOMIC_RELAXED))
			continue;
		spin_lock(&o->rq.lock);
		t = rq_first(o, true);
		if (t)
			rq_remove(o, t);
		spin_unlock(&o->rq.lock);
		if (t)
			return t;
	}
	return NULL;
}

/* --- switching --- */

/* The first thing a thread does after a switch to it: let the thread
 * switched away from go (its stack is free now), and queue it for
 * reaping if it ended detached. Interrupts off. */
void sched_finish_switch(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->switch_prev;

	c->switch_prev = NULL;
	if (!prev)
		return;
	if (prev->state == THREAD_DEAD && prev->detached)
		thread_reap_later(prev);
	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
}

/* Pick the next thread for this CPU and switch to it. Interrupts off;
 * no lock held. The current thread, if still RUNNING, goes to the back
 * of its level. */
void schedule(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = c->current, *next;
	uint64_t now;

	spin_lock(&c->rq.lock);
	c->need_resched = false;
	now = time_ns();
	util_update(&c->rq, now, prev != c->idle);
	if (prev->state == THREAD_RUNNING && prev != c->idle) {
		prev->state = THREAD_READY;
		rq_enqueue(c, prev);
	}
	next = rq_first(c, false);
	if (next)
		rq_remove(c, next);
	else if (cpu_count() > 1) {
		spin_unlock(&c->rq.lock);
		next = steal(c);
		spin_lock(&c->rq.lock);
	}
	if (!next)
		next = c->idle;
	next->state = THREAD_RUNNING;
	next->cpu = c;
	c->rq.slice_end =
		next != c->idle && c->rq.nr_ready ? now + SLICE_NS : 0;
	rearm(c);
	__atomic_store_n(&c->is_idle, next == c->idle, __ATOMIC_RELAXED);
	spin_unlock(&c->rq.lock);
	if (next == prev)
		return;
	/* Every queued thread other than this CPU's own prev has left its
	 * last CPU (see sched_wake, rq_first), so this does not wait. */
	while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	next->on_cpu = 1;
	c->current = next;
	c->switch_prev = prev;
	c->switches++;
	arch_switch(prev, next);
	sched_finish_switch();
}

/* Switch if this CPU was asked to, when the caller may sleep. */
void sched_preempt_point(void)
{
	uint64_t flags = irq_save();
	struct cpu *c = this_cpu();

	/* Only where interrupts were on: not inside a spinlock or an
	 * interrupt handler. */
	if (running && c->need_resched && !c->irq_depth && (flags & (1u << 9)))
		schedule();
	irq_restore(flags);
}

void sched_irq_enter(void)
{
	this_cpu()->irq_depth++;
}

/* Preempt on the way out of the outermost interrupt. The handler ran on
 * the interrupted thread's stack, so switching here parks the whole
 * interrupt frame with the thread; it returns through iretq when the
 * thread runs again. */
void sched_irq_exit(void)
{
	struct cpu *c = this_cpu();

	if (--c->irq_depth == 0 && c->need_resched && running)
		schedule();
}

/* --- blocking and waking --- */

int sched_block(struct spinlock *lock, uint64_t flags, uint64_t deadline)
{
	struct cpu *c = this_cpu();
	struct thread *self = c->current;
	struct cpu *tc;

	self->wake_reason = 0;
	if (deadline != TIME_FOREVER && deadline <= time_ns()) {
		if (lock)
			spin_unlock(lock);
		irq_restore(flags);
		return -KERR_ETIMEDOUT;
	}
	self->state = THREAD_BLOCKED;
	self->timer_cpu = NULL;
	if (deadline != TIME_FOREVER) {
		spin_lock(&c->rq.lock);
		self->deadline = deadline;
		timer_insert(c, self);
		rearm(c);
		spin_unlock(&c->rq.lock);
	}
	if (lock)
		spin_unlock(lock);
	schedule();
	/* Woken: take the deadline off its list if the timer did not. */
	tc = self->timer_cpu;
	if (tc) {
		spin_lock(&tc->rq.lock);
		if (list_on_list(&self->timer_node))
			list_del(&self->timer_node);
		spin_unlock(&tc->rq.lock);
		self->timer_cpu = NULL;
	}
	irq_restore(flags);
	return self->wake_reason;
}

bool sched_wake(struct thread *t)
{
	int expect = THREAD_BLOCKED;
	struct cpu *c;
	uint64_t flags;
	bool packed;

	if (!__atomic_compare_exchange_n(&t->state, &expect, THREAD_READY,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return false;
	t->wake_reason = 0;
	flags = irq_save();
	/* It may still be switching away on its CPU: queue it only when
	 * its stack is free, so that no CPU ever waits for a thread whose
	 * CPU in turn waits (two CPUs swapping threads would deadlock). */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();
	c = pick_cpu(t, true, &packed);
	make_ready(t, c, packed);
	irq_restore(flags);
	return true;
}

/* Queue a new thread (state READY) where it should run. */
void sched_add(struct thread *t)
{
	uint64_t flags = irq_save();
	struct cpu *c;
	bool packed;

	c = pick_cpu(t, false, &packed);
	make_ready(t, c, packed);
	irq_restore(flags);
	sched_preempt_point();
}

/* IRQ context: wake the threads whose deadline passed, end the slice. */
static void timer_irq(struct irq_frame *f, void *ctx)
{
	struct cpu *c = this_cpu();
	struct runqueue *rq = &c->rq;
	uint64_t now = time_ns();
	struct thread *t;
	bool woke = false, spread = false;

	(void)f;
	(void)ctx;
	lapic_eoi();
	spin_lock(&rq->lock);
	rq->armed = 0;
	while ((t = list_first_entry_or_null(&rq->timers, struct thread,
					     timer_node)) &&
	       t->deadline <= now) {
		int expect = THREAD_BLOCKED;

		list_del(&t->timer_node);
		if (!__atomic_compare_exchange_n(
			    &t->state, &expect, THREAD_READY, false,
			    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		t->wake_reason = -KERR_ETIMEDOUT;
		rq_enqueue(c, t);
		woke = true;
		if (t->prio > c->current->prio)
			c->need_resched = true;
	}
	if (rq->slice_end && rq->slice_end <= now) {
		rq->slice_end = 0;
		if (rq->nr_ready) {
			c->need_resched = true;
			/* Threads waited a whole slice here: spread them. */
			spread = true;
		}
	}
	if (woke && !c->need_resched && rq->nr_ready && !c->is_idle &&
	    !rq->slice_end)
		rq->slice_end = now + SLICE_NS;
	rearm(c);
	spin_unlock(&rq->lock);
	/* More ready here than this CPU can run: let an idle one help. A
	 * wake-up packed here (pick_cpu) gets that help only once a slice
	 * has passed with threads waiting. */
	if ((woke && rq->nr_ready > 1) || spread) {
		struct cpu *idle = find_idle(c);

		if (idle)
			resched_cpu(idle);
	}
}

static void resched_ipi(struct irq_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	lapic_eoi();
	this_cpu()->need_resched = true;
}

/* --- the idle thread of each CPU --- */

static __attribute__((noreturn)) void idle_loop(void)
{
	struct cpu *c = this_cpu();

	for (;;) {
		thread_reap_dead();
		irq_disable();
		if (c->need_resched || c->rq.nr_ready) {
			schedule();
			irq_enable();
			continue;
		}
		/* sti takes effect after hlt starts, so a wake-up IPI that
		 * comes in between still ends the halt. */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

static void rq_init(struct cpu *c)
{
	struct runqueue *rq = &c->rq;

	rq->lock = (struct spinlock)SPINLOCK_INIT;
	for (unsigned p = 0; p < SCHED_PRIORITIES; p++)
		list_node_init(&rq->ready[p]);
	list_node_init(&rq->timers);
	rq->armed = TIME_FOREVER;
}

/* Make the running context of this CPU its idle thread. */
static void become_idle(struct cpu *c, const char *name)
{
	struct thread *t = thread_alloc_bare(name);

	if (!t)
		panic("sched: no memory for the idle thread of cpu %u",
		      c->index);
	t->prio = IDLE_PRIO;
	t->state = THREAD_RUNNING;
	t->on_cpu = 1;
	t->pin = (int)c->index;
	t->cpu = c;
	c->idle = c->current = t;
	c->is_idle = true;
	rq_init(c);
	__atomic_store_n(&c->sched_online, true, __ATOMIC_RELEASE);
}

void sched_init(void)
{
	fpu_init_cpu();
	if (irq_set_handler(IRQ_VECTOR_TIMER, timer_irq, NULL) < 0 ||
	    ipi_init(resched_ipi) < 0)
		panic("sched: cannot install the timer and IPI handlers");
	/* The APIC's own id (CPUID's initial id may differ in x2APIC). */
	this_cpu()->apic_id = lapic_id();
	become_idle(this_cpu(), "idle0");
	running = true;
	klog(LOG_INFO, "sched: %u priorities, %llu ms slice, FPU state by %s\n",
	     SCHED_PRIORITIES, (unsigned long long)(SLICE_NS / NSEC_PER_MSEC),
	     fpu_describe());
}

void sched_ap_enter(void)
{
	struct cpu *c = this_cpu();
	char name[THREAD_NAME_MAX] = "idle";
	unsigned i = c->index, len = 4;
	char digits[10];
	int nd = 0;

	fpu_init_cpu();
	do {
		digits[nd++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	while (nd)
		name[len++] = digits[--nd];
	name[len] = '\0';
	become_idle(c, name);
	irq_enable();
	idle_loop();
}

void sched_start(thread_fn main_fn, void *arg)
{
	struct thread_attr a;

	thread_attr_init(&a);
	a.name = "main";
	a.stack_size = THREAD_MAIN_STACK;
	if (!thread_create(&a, main_fn, arg))
		kernel_fatal_exit("no memory for the main thread");
	irq_enable();
	idle_loop();
}

uint64_t sched_switches(void)
{
	return this_cpu()->switches;
}
