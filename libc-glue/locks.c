/*
 * newlib's retargetable locks (newlib/libc/misc/lock.c's interface,
 * configured with --enable-newlib-retargetable-locking) on kernel
 * mutexes: stdio streams, atexit, the environment, time zones. Every
 * newlib lock may be taken recursively through these, so each records
 * its owner and depth. The static locks are all zero, which a kernel
 * mutex accepts as initialised.
 */
#include <sys/lock.h>

#include "internal.h"
#include <kernel/mm.h>
#include <kernel/sync.h>

struct __lock {
	struct kmutex m;
	unsigned depth;
};

struct __lock __lock___sinit_recursive_mutex;
struct __lock __lock___sfp_recursive_mutex;
struct __lock __lock___atexit_recursive_mutex;
struct __lock __lock___at_quick_exit_mutex;
struct __lock __lock___malloc_recursive_mutex;
struct __lock __lock___env_recursive_mutex;
struct __lock __lock___tz_mutex;
struct __lock __lock___dd_hash_mutex;
struct __lock __lock___arc4random_mutex;

void __retarget_lock_init(_LOCK_T *lock)
{
	*lock = kcalloc(1, sizeof(**lock));
}

void __retarget_lock_init_recursive(_LOCK_T *lock)
{
	__retarget_lock_init(lock);
}

void __retarget_lock_close(_LOCK_T lock)
{
	kfree(lock);
}

void __retarget_lock_close_recursive(_LOCK_T lock)
{
	kfree(lock);
}

/* A lock that could not be allocated (NULL) protects nothing; newlib
 * goes on without it, as it does on single-threaded systems. */
void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
	if (!lock)
		return;
	if (kmutex_held(&lock->m)) {
		lock->depth++;
		return;
	}
	kmutex_lock(&lock->m);
	lock->depth = 1;
}

void __retarget_lock_acquire(_LOCK_T lock)
{
	__retarget_lock_acquire_recursive(lock);
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	if (!lock)
		return 1;
	if (kmutex_held(&lock->m)) {
		lock->depth++;
		return 1;
	}
	if (!kmutex_trylock(&lock->m))
		return 0;
	lock->depth = 1;
	return 1;
}

int __retarget_lock_try_acquire(_LOCK_T lock)
{
	return __retarget_lock_try_acquire_recursive(lock);
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
	if (!lock || !kmutex_held(&lock->m))
		return;
	if (--lock->depth == 0)
		kmutex_unlock(&lock->m);
}

void __retarget_lock_release(_LOCK_T lock)
{
	__retarget_lock_release_recursive(lock);
}
