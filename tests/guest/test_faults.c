/*
 * Deliberate CPU exceptions. They are manual tests: each one stops the
 * VM, so scripts/test boots them one at a time and checks the dump on
 * COM1 (vector, registers, CR2, backtrace) and the failing exit status.
 */
#include "ktest.h"
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
