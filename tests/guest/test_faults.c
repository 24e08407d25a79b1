/*
 * Deliberate CPU exceptions. They are manual tests: each one stops the
 * VM, so scripts/test boots them one at a time and checks the dump on
 * COM1 (vector, registers, CR2, backtrace) and the failing exit status.
 */
#include "ktest.h"

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
