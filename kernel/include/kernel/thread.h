/*
 * Kernel threads (kernel/sched/): every thread of the unikernel, the
 * app's main() and its pthreads included, is one of these. They run on
 * all CPUs, from a run queue per CPU with SCHED_PRIORITIES levels
 * (higher first, round robin with a time slice within a level).
 * Threads are preempted when a higher-priority thread wakes or their
 * slice ends; the APIC timer is armed only for the next deadline or slice
 * end (tickless), and an idle CPU halts.
 *
 * Ordering: sched_init() on the boot CPU after time and the APIC timer
 * are up and before smp_start_aps(); each AP then calls sched_ap_enter().
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kernel/list.h>
#include <kernel/percpu.h>
#include <kernel/sync.h>

#define THREAD_PRIO_MIN 0
#define THREAD_PRIO_DEFAULT 16
#define THREAD_PRIO_MAX (SCHED_PRIORITIES - 1)
#define THREAD_STACK_DEFAULT (64 * 1024)
#define THREAD_NAME_MAX 24

enum thread_state {
	THREAD_READY,
	THREAD_RUNNING,
	THREAD_BLOCKED,
	THREAD_DEAD,
};

typedef int (*thread_fn)(void *arg);

struct thread {
	uint64_t saved_sp; /* the architecture's switch code keeps it */
	int state;	   /* enum thread_state; BLOCKED->READY by CAS */
	int on_cpu;	   /* 1 until a switch away has left its stack */
	int prio;
	int wake_reason; /* 0, or -KERR_ETIMEDOUT */
	uint64_t deadline;
	struct cpu *cpu;       /* where it runs or last ran */
	struct cpu *timer_cpu; /* whose timer list holds it */
	struct list_node run_node, wait_node, timer_node, all_node;
	void *stack_top;
	size_t stack_size;
	void *fpu_area; /* XSAVE/FXSAVE image (arch), 64-byte aligned */
	void *fpu_alloc;
	uint64_t fs_base; /* thread-local storage base for the app's TLS */
	void *libc;	  /* the C library's per-thread data */
	thread_fn fn;
	void *arg;
	int exit_code;
	bool detached;
	struct waitq join_wq;
	uint64_t id;
	int pin; /* CPU index it must run on, or -1 */
	char name[THREAD_NAME_MAX];
};

struct thread_attr {
	const char *name;
	size_t stack_size; /* 0: THREAD_STACK_DEFAULT */
	int prio;	   /* THREAD_PRIO_* */
	int cpu;	   /* pin to this CPU index; -1 for any */
	bool detached;
};

void thread_attr_init(struct thread_attr *a);

/* Create a thread that runs fn(arg) and is ready at once. NULL when
 * memory is exhausted. */
struct thread *thread_create(const struct thread_attr *a, thread_fn fn,
			     void *arg);
/* Wait for t to end; its return value goes to *ret. Frees t. Joining a
 * detached thread or oneself is -KERR_EINVAL. */
int thread_join(struct thread *t, int *ret);
/* t's resources are freed when it ends. */
void thread_detach(struct thread *t);
__attribute__((noreturn)) void thread_exit(int code);
struct thread *thread_self(void);
void thread_yield(void);
/* Sleep until time_ns() >= deadline. */
void thread_sleep_until(uint64_t deadline);
void thread_sleep_ns(uint64_t ns);
int thread_set_priority(struct thread *t, int prio);
/* Threads alive (created and not yet reaped). */
unsigned thread_count(void);

/* The C library's per-thread state: create runs in thread_create before
 * the new thread can run (it may fill t->libc and t->fs_base; a negative
 * return fails the creation), destroy when the thread is freed. */
struct thread_hooks {
	int (*create)(struct thread *t);
	void (*destroy)(struct thread *t);
};
void thread_set_hooks(const struct thread_hooks *h);

/* Set the calling thread's FS base (the app's TLS pointer). */
void thread_set_fs_base(uint64_t base);

/* --- for the scheduler's users in the kernel --- */

void sched_init(void);
/* An AP's entry into the scheduler, after its descriptor tables, local
 * APIC and struct cpu are set up: it becomes that CPU's idle thread. */
__attribute__((noreturn)) void sched_ap_enter(void);
/* The boot CPU's: run the app's main thread and idle. */
__attribute__((noreturn)) void sched_start(thread_fn main_fn, void *arg);

/* Interrupt entry and exit (arch code, around every handler). */
void sched_irq_enter(void);
void sched_irq_exit(void);

/* Block the calling thread. Called with lock held and interrupts off
 * (flags from spin_lock_irqsave), after putting the thread on a wait
 * list that a waker finds under lock. Sets the thread BLOCKED, drops
 * lock, sleeps until sched_wake() or deadline, restores flags. Returns
 * 0 or -KERR_ETIMEDOUT. The caller then takes lock again to take itself
 * off its wait list if the waker did not. */
int sched_block(struct spinlock *lock, uint64_t flags, uint64_t deadline);
/* Make a blocked thread ready. False if it was not blocked (it already
 * woke up, by another waker or its timeout). Any context. */
bool sched_wake(struct thread *t);

/* Re-arm this CPU's timer from the scheduler's state, after code that
 * programmed the APIC timer directly (calibration, tests). */
void sched_timer_resync(void);

/* Context switches on the calling CPU (tests, statistics). */
uint64_t sched_switches(void);

#endif
