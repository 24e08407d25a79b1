/*
 * Clocks and sleeping: CLOCK_MONOTONIC is the kernel's time since boot,
 * CLOCK_REALTIME the RTC read at boot advanced by it (kernel/time/).
 * Sleeps block the thread on the scheduler's timer, so other threads
 * (and idle CPUs) run meanwhile.
 */
#include <errno.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include <kernel/time.h>

#define TICKS_PER_SEC 1000 /* clock_t for times() and clock() */

static uint64_t clock_ns(clockid_t clock, int *ok)
{
	*ok = 1;
	switch (clock) {
	case CLOCK_REALTIME:
		return time_wall_ns();
	case CLOCK_MONOTONIC:
#ifdef CLOCK_PROCESS_CPUTIME_ID
	case CLOCK_PROCESS_CPUTIME_ID:
#endif
#ifdef CLOCK_THREAD_CPUTIME_ID
	case CLOCK_THREAD_CPUTIME_ID:
#endif
		/* One process that has run since boot: its CPU time is at
		 * most this; close enough for timing code. */
		return time_ns();
	default:
		*ok = 0;
		return 0;
	}
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
	int ok;
	uint64_t ns = clock_ns(clock, &ok);

	if (!ok)
		return libc_fail(EINVAL);
	if (!ts)
		return libc_fail(EFAULT);
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
	return 0;
}

int clock_getres(clockid_t clock, struct timespec *res)
{
	int ok;

	clock_ns(clock, &ok);
	if (!ok)
		return libc_fail(EINVAL);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

int clock_settime(clockid_t clock, const struct timespec *ts)
{
	(void)clock;
	(void)ts;
	return libc_fail(EPERM);
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	uint64_t ns = time_wall_ns();

	(void)tz;
	if (tv) {
		tv->tv_sec = (time_t)(ns / NSEC_PER_SEC);
		tv->tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / 1000);
	}
	return 0;
}

uint64_t libc_deadline(clockid_t clock, const struct timespec *abstime)
{
	uint64_t want, now_mono = time_ns(), now;

	if (abstime->tv_sec < 0)
		return now_mono;
	if ((uint64_t)abstime->tv_sec > (TIME_FOREVER - 1) / NSEC_PER_SEC - 1)
		return TIME_FOREVER;
	want = (uint64_t)abstime->tv_sec * NSEC_PER_SEC +
	       (uint64_t)abstime->tv_nsec;
	if (clock == CLOCK_MONOTONIC)
		return want;
	now = time_wall_ns();
	if (want <= now)
		return now_mono;
	if (want - now > TIME_FOREVER - now_mono - 1)
		return TIME_FOREVER - 1;
	return now_mono + (want - now);
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	uint64_t ns;

	if (!req)
		return libc_fail(EFAULT);
	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
		return libc_fail(EINVAL);
	if ((uint64_t)req->tv_sec > (TIME_FOREVER >> 1) / NSEC_PER_SEC)
		ns = TIME_FOREVER >> 1;
	else
		ns = (uint64_t)req->tv_sec * NSEC_PER_SEC +
		     (uint64_t)req->tv_nsec;
	thread_sleep_ns(ns);
	if (rem) {
		rem->tv_sec = 0; /* no signals interrupt a sleep here */
		rem->tv_nsec = 0;
	}
	return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
		    struct timespec *rem)
{
	int ok;

	clock_ns(clock, &ok);
	if (!ok)
		return EINVAL;
	if (!req || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
		return EINVAL;
	if (flags & TIMER_ABSTIME) {
		thread_sleep_until(libc_deadline(clock, req));
		return 0;
	}
	return nanosleep(req, rem) < 0 ? errno : 0;
}

int usleep(useconds_t us)
{
	thread_sleep_ns((uint64_t)us * 1000);
	return 0;
}

unsigned sleep(unsigned s)
{
	thread_sleep_ns((uint64_t)s * NSEC_PER_SEC);
	return 0;
}

clock_t times(struct tms *t)
{
	clock_t now = (clock_t)(time_ns() / (NSEC_PER_SEC / TICKS_PER_SEC));

	if (t) {
		t->tms_utime = now;
		t->tms_stime = 0;
		t->tms_cutime = 0;
		t->tms_cstime = 0;
	}
	return now;
}
