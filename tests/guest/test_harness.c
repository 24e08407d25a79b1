/*
 * The harness checks itself: scripts/test boots the test image naming
 * this manual test and expects it to be reported as failed, with a
 * non-zero exit status. If a failure ever went unnoticed, that check
 * fails.
 */
#include "ktest.h"

KTEST_FLAGS(harness_deliberate_failure, KTEST_MANUAL)
{
	volatile int one = 1;

	KT_CHECK(t, one + one == 3);
}
