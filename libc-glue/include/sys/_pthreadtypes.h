/*
 * pthread types for this system (libc-glue/pthread.c), in place of
 * newlib's, which name objects by 32-bit handles. Here the objects hold
 * the kernel's own mutex and condition variable, so that all-zero
 * (static) initialisers work without a table.
 */
#ifndef _SYS__PTHREADTYPES_H_
#define _SYS__PTHREADTYPES_H_

#include <sys/sched.h>
#include <sys/_types.h>

struct __skiff_pthread;
typedef struct __skiff_pthread *pthread_t;

#define PTHREAD_SCOPE_PROCESS 0
#define PTHREAD_SCOPE_SYSTEM 1
#define PTHREAD_INHERIT_SCHED 1
#define PTHREAD_EXPLICIT_SCHED 2
#define PTHREAD_CREATE_DETACHED 0
#define PTHREAD_CREATE_JOINABLE 1
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1
#define PTHREAD_PRIO_NONE 0
#define PTHREAD_PRIO_INHERIT 1
#define PTHREAD_PRIO_PROTECT 2
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT 3
#define PTHREAD_STACK_MIN 16384

typedef struct {
	int contentionscope;
	struct sched_param schedparam;
	int inheritsched;
	int detachstate;
	void *stackaddr;
	__size_t stacksize;
} pthread_attr_t;

/* The kernel's struct kmutex, then the pthread type and recursion. */
typedef struct {
	unsigned long __kmutex[4];
	int __type;
	unsigned int __count;
} pthread_mutex_t;

typedef struct {
	int type;
	int process_shared;
	int protocol;
} pthread_mutexattr_t;

typedef struct {
	unsigned long __kcond[3];
	int __clock;
} pthread_cond_t;

typedef struct {
	int clock;
	int process_shared;
} pthread_condattr_t;

typedef unsigned int pthread_key_t;

typedef struct {
	int __state; /* 0: not run, 1: running, 2: done */
	unsigned long __kmutex[4];
	unsigned long __kcond[3];
} pthread_once_t;

typedef struct {
	pthread_mutex_t __m;
	pthread_cond_t __c;
	unsigned int __count, __waiting, __cycle;
} pthread_barrier_t;

typedef struct {
	int process_shared;
} pthread_barrierattr_t;

typedef volatile int pthread_spinlock_t;

typedef struct {
	pthread_mutex_t __m;
	pthread_cond_t __c;
	int __readers; /* -1: a writer holds it */
	unsigned int __writers_waiting;
} pthread_rwlock_t;

typedef struct {
	int process_shared;
} pthread_rwlockattr_t;

#define _PTHREAD_MUTEX_INITIALIZER                                             \
	{                                                                      \
		{ 0 }, PTHREAD_MUTEX_DEFAULT, 0                                \
	}
#define _PTHREAD_COND_INITIALIZER                                              \
	{                                                                      \
		{ 0 }, 0                                                       \
	}
#define _PTHREAD_ONCE_INIT                                                     \
	{                                                                      \
		0, { 0 },                                                      \
		{                                                              \
			0                                                      \
		}                                                              \
	}
#define _PTHREAD_RWLOCK_INITIALIZER                                            \
	{                                                                      \
		_PTHREAD_MUTEX_INITIALIZER, _PTHREAD_COND_INITIALIZER, 0, 0    \
	}

#endif
