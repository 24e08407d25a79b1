/*
 * Deliberate CPU exceptions. They are manual tests: each one stops the
 * VM, so scripts/test boots them one at a time and checks the dump on
 * COM1 (vector, registers, CR2, backtrace) and the failing exit status.
 */
#include "ktest.h"
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/thread.h>

/* 1 TiB: far above the identity-mapped RAM of any test guest. */
#define UNMAPPED_ADDRESS 0x10000000000ULL

KTEST_FLAGS(fault_page_fault, KTEST_MANUAL)
{
	volatile uint64_t *p = (volatile uint64_t *)UNMAPPED_ADDRESS;

	(void)*p;
	ktest_fail(t, __FILE__, __LINE__, "an unmapped read returned");
}

KTEST_FLAGS(fault_divide_error, KTEST_MANUAL)
{
	volatile int zero = 0, one = 1;
	volatile int r = one / zero;

	(void)r;
	ktest_fail(t, __FILE__, __LINE__, "a division by zero returned");
}

/* A fault in a thread other than the one running the tests: the dump
 * names that thread, and the VM still stops with the fatal status. */
static int fault_thread_fn(void *arg)
{
	volatile uint64_t *p = (volatile uint64_t *)UNMAPPED_ADDRESS;

	(void)arg;
	return (int)*p;
}

KTEST_FLAGS(fault_in_thread, KTEST_MANUAL)
{
	struct thread_attr a;
	struct thread *th;

	thread_attr_init(&a);
	a.name = "faulty-app";
	th = thread_create(&a, fault_thread_fn, NULL);
	if (!th) {
		ktest_fail(t, __FILE__, __LINE__, "no thread");
		return;
	}
	thread_join(th, NULL);
	ktest_fail(t, __FILE__, __LINE__, "the faulting thread was joined");
}

/* A thread that runs off the bottom of its stack into the guard page.
 * The #PF cannot push its frame onto that stack, so it becomes a double
 * fault, which has a stack of its own (IST) and names the thread. */
#define OVERFLOW_STACK (16 * 1024)

static volatile unsigned long overflow_limit = ~0UL;

static __attribute__((noinline)) int overflow_fn(void *arg)
{
	volatile char frame[256];
	uintptr_t depth = (uintptr_t)arg;

	frame[0] = (char)depth;
	if (depth >= overflow_limit)
		return 0;
	return overflow_fn((void *)(depth + 1)) + frame[0];
}

static int overflow_warm_up(void *arg)
{
	(void)arg;
	return 0;
}

KTEST_FLAGS(fault_stack_overflow, KTEST_MANUAL)
{
	struct thread_attr a;
	struct thread *th;
	struct kstack_stats ks;

	/* Run one thread with that stack size first, so that the one that
	 * overflows gets its stack from the stack cache: a cached stack
	 * must keep its guard page. */
	thread_attr_init(&a);
	a.stack_size = OVERFLOW_STACK;
	a.name = "warm-up";
	th = thread_create(&a, overflow_warm_up, NULL);
	if (!th || thread_join(th, NULL) < 0) {
		ktest_fail(t, __FILE__, __LINE__, "no warm-up thread");
		return;
	}
	kstack_get_stats(&ks);
	kprintf("# fault_stack_overflow: %u stacks cached\n", ks.cached);
	a.name = "stack-overflow";
	th = thread_create(&a, overflow_fn, NULL);
	if (!th) {
		ktest_fail(t, __FILE__, __LINE__, "no thread");
		return;
	}
	thread_join(th, NULL);
	ktest_fail(t, __FILE__, __LINE__, "the overflowing thread was joined");
}
