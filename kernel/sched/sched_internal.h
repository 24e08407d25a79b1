/*
 * Between the scheduler (sched.c), threads (thread.c) and the wait
 * primitives (sync.c); not for the rest of the kernel.
 */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

#include <kernel/thread.h>

/* The app's main thread: newlib's printf with floats and deep app call
 * chains want more than a pthread's default. */
#define THREAD_MAIN_STACK (256 * 1024)

bool sched_running(void);
void schedule(void);
void sched_finish_switch(void);
void sched_add(struct thread *t);
void sched_preempt_point(void);

/* A thread struct with its FPU area but no stack (idle threads run on
 * the stack they were started on). */
struct thread *thread_alloc_bare(const char *name);
/* A detached thread ended: free it from a context that may sleep. */
void thread_reap_later(struct thread *t);
void thread_reap_dead(void);

#endif
