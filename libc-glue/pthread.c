/*
 * POSIX threads on kernel threads (kernel/include/kernel/thread.h) and
 * kernel mutexes and condition variables (kernel/sync.h), which live
 * inside the pthread objects (include/sys/_pthreadtypes.h), so static
 * initialisers are plain zeroes. Timed waits take CLOCK_REALTIME (or the
 * condvar's clock) deadlines and turn them into the kernel's monotonic
 * ones.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "internal.h"
#include <kernel/errno.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#define PTHREAD_STACK_DEFAULT (256 * 1024)
#define DESTRUCTOR_ROUNDS 4

_Static_assert(sizeof(((pthread_mutex_t *)0)->__kmutex) >=
		       sizeof(struct kmutex),
	       "pthread_mutex_t holds a kmutex");
_Static_assert(sizeof(((pthread_cond_t *)0)->__kcond) >= sizeof(struct kcond),
	       "pthread_cond_t holds a kcond");

struct __skiff_pthread {
	struct thread *t;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	bool detached;
	bool is_main; /* not created by pthread_create */
};

static struct {
	struct kmutex lock;
	bool used[LIBC_KEYS_MAX];
	void (*dtor[LIBC_KEYS_MAX])(void *);
	/* Bumped at each create: a thread's value set under an earlier
	 * key in the same slot is stale, read as NULL. */
	unsigned gen[LIBC_KEYS_MAX];
} keys;

static struct kmutex *kmx(pthread_mutex_t *m)
{
	return (struct kmutex *)(void *)m->__kmutex;
}

static struct kcond *kcv(pthread_cond_t *c)
{
	return (struct kcond *)(void *)c->__kcond;
}

/* --- threads --- */

int pthread_attr_init(pthread_attr_t *a)
{
	memset(a, 0, sizeof(*a));
	a->detachstate = PTHREAD_CREATE_JOINABLE;
	a->stacksize = PTHREAD_STACK_DEFAULT;
	a->inheritsched = PTHREAD_INHERIT_SCHED;
	a->contentionscope = PTHREAD_SCOPE_SYSTEM;
	return 0;
}

int pthread_attr_destroy(pthread_attr_t *a)
{
	(void)a;
	return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *a, int state)
{
	if (state != PTHREAD_CREATE_DETACHED &&
	    state != PTHREAD_CREATE_JOINABLE)
		return EINVAL;
	a->detachstate = state;
	return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *state)
{
	*state = a->detachstate;
	return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size)
{
	if (size < PTHREAD_STACK_MIN)
		return EINVAL;
	a->stacksize = size;
	return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *a, size_t *size)
{
	*size = a->stacksize;
	return 0;
}

static void bind_self(struct __skiff_pthread *p);

static int start(void *arg)
{
	struct __skiff_pthread *p = arg;

	bind_self(p);
	pthread_exit(p->fn(p->arg));
}

int pthread_create(pthread_t *out, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg)
{
	struct thread_attr ka;
	struct __skiff_pthread *p;
	struct thread *t;
	pthread_attr_t def;

	if (!attr) {
		pthread_attr_init(&def);
		attr = &def;
	}
	p = kcalloc(1, sizeof(*p));
	if (!p)
		return EAGAIN;
	p->fn = fn;
	p->arg = arg;
	p->detached = attr->detachstate == PTHREAD_CREATE_DETACHED;
	thread_attr_init(&ka);
	ka.name = "pthread";
	ka.stack_size =
		attr->stacksize ? attr->stacksize : PTHREAD_STACK_DEFAULT;
	ka.detached = p->detached;
	*out = p;
	t = thread_create(&ka, start, p);
	if (!t) {
		kfree(p);
		return EAGAIN;
	}
	/* The thread sets p->t itself too (it may run first); a detached
	 * one may even be gone, with p, by now. */
	if (!ka.detached)
		p->t = t;
	return 0;
}

static struct __skiff_pthread *self_pthread(void)
{
	struct libc_thread *lt = libc_self();

	if (!lt)
		return NULL;
	if (!lt->pthread) {
		struct __skiff_pthread *p = kcalloc(1, sizeof(*p));

		if (!p)
			return NULL;
		p->t = thread_self();
		p->is_main = true;
		lt->pthread = p;
	}
	return lt->pthread;
}

pthread_t pthread_self(void)
{
	return self_pthread();
}

int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

/* Key destructors run at a thread's end, while its values are still
 * there (POSIX: up to PTHREAD_DESTRUCTOR_ITERATIONS rounds). */
void libc_pthread_thread_end(struct libc_thread *lt)
{
	for (int round = 0; round < DESTRUCTOR_ROUNDS; round++) {
		bool again = false;

		for (unsigned k = 0; k < LIBC_KEYS_MAX; k++) {
			void (*d)(void *) = keys.dtor[k];
			void *v = (void *)lt->specific[k];

			if (!v || !d || !keys.used[k] ||
			    lt->specific_gen[k] != keys.gen[k])
				continue;
			lt->specific[k] = NULL;
			d(v);
			again = true;
		}
		if (!again)
			break;
	}
}

/* From the thread hooks, when the kernel thread is freed: a detached
 * pthread's record goes with it; a joinable one's is freed by join. */
void libc_pthread_thread_free(struct libc_thread *lt)
{
	struct __skiff_pthread *p = lt->pthread;

	if (p && (p->detached || p->is_main))
		kfree(p);
	lt->pthread = NULL;
}

void pthread_exit(void *ret)
{
	struct libc_thread *lt = libc_self();
	struct __skiff_pthread *p = lt ? lt->pthread : NULL;

	if (lt)
		libc_pthread_thread_end(lt);
	if (p)
		p->ret = ret;
	thread_exit(0);
}

int pthread_join(pthread_t p, void **ret)
{
	if (!p || p->is_main)
		return ESRCH;
	if (p == self_pthread())
		return EDEADLK;
	if (p->detached)
		return EINVAL;
	if (thread_join(p->t, NULL) < 0)
		return EINVAL;
	if (ret)
		*ret = p->ret;
	kfree(p);
	return 0;
}

int pthread_detach(pthread_t p)
{
	if (!p || p->is_main)
		return ESRCH;
	if (p->detached)
		return EINVAL;
	p->detached = true;
	thread_detach(p->t);
	return 0;
}

/* The pthread record of each pthread_create thread is its libc state's:
 * set on first use from inside the thread. */
static void bind_self(struct __skiff_pthread *p)
{
	struct libc_thread *lt = libc_self();

	p->t = thread_self();
	if (lt && !lt->pthread)
		lt->pthread = p;
}

int sched_yield(void)
{
	thread_yield();
	return 0;
}

/* --- mutexes --- */

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
	memset(a, 0, sizeof(*a));
	a->type = PTHREAD_MUTEX_DEFAULT;
	return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
	(void)a;
	return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
	if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_DEFAULT)
		return EINVAL;
	a->type = type;
	return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *a, int *type)
{
	*type = a->type;
	return 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	memset(m, 0, sizeof(*m));
	kmutex_init(kmx(m));
	m->__type = a ? a->type : PTHREAD_MUTEX_DEFAULT;
	return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	return kmx(m)->owner ? EBUSY : 0;
}

static int mutex_lock_until(pthread_mutex_t *m, uint64_t deadline)
{
	struct kmutex *k = kmx(m);

	if (kmutex_held(k)) {
		if (m->__type == PTHREAD_MUTEX_RECURSIVE) {
			if (m->__count == UINT_MAX)
				return EAGAIN;
			m->__count++;
			return 0;
		}
		/* A normal mutex would deadlock here; say so instead. */
		return EDEADLK;
	}
	if (kmutex_lock_until(k, deadline) < 0)
		return ETIMEDOUT;
	m->__count = 1;
	return 0;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	return mutex_lock_until(m, TIME_FOREVER);
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
	if (!abs || abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
		return EINVAL;
	return mutex_lock_until(m, libc_deadline(CLOCK_REALTIME, abs));
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	struct kmutex *k = kmx(m);

	if (kmutex_held(k)) {
		if (m->__type != PTHREAD_MUTEX_RECURSIVE)
			return EBUSY;
		m->__count++;
		return 0;
	}
	if (!kmutex_trylock(k))
		return EBUSY;
	m->__count = 1;
	return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct kmutex *k = kmx(m);

	if (!kmutex_held(k))
		return EPERM;
	if (--m->__count == 0)
		kmutex_unlock(k);
	return 0;
}

/* --- condition variables --- */

int pthread_condattr_init(pthread_condattr_t *a)
{
	memset(a, 0, sizeof(*a));
	a->clock = CLOCK_REALTIME;
	return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a)
{
	(void)a;
	return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	a->clock = (int)clock;
	return 0;
}

int pthread_condattr_getclock(const pthread_condattr_t *a, clockid_t *clock)
{
	*clock = (clockid_t)a->clock;
	return 0;
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	memset(c, 0, sizeof(*c));
	kcond_init(kcv(c));
	c->__clock = a ? a->clock : (int)CLOCK_REALTIME;
	return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	(void)c;
	return 0;
}

static int cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m,
			   uint64_t deadline)
{
	unsigned depth = m->__count;
	int rc;

	if (!kmutex_held(kmx(m)))
		return EPERM;
	rc = kcond_wait_until(kcv(c), kmx(m), deadline);
	m->__count = depth;
	return rc < 0 ? ETIMEDOUT : 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return cond_wait_until(c, m, TIME_FOREVER);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
			   const struct timespec *abs)
{
	if (!abs || abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
		return EINVAL;
	return cond_wait_until(c, m,
			       libc_deadline(c->__clock ? (clockid_t)c->__clock
							: CLOCK_REALTIME,
					     abs));
}

int pthread_cond_signal(pthread_cond_t *c)
{
	kcond_signal(kcv(c));
	return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	kcond_broadcast(kcv(c));
	return 0;
}

/* --- once --- */

int pthread_once(pthread_once_t *o, void (*fn)(void))
{
	struct kmutex *m = (struct kmutex *)(void *)o->__kmutex;
	struct kcond *c = (struct kcond *)(void *)o->__kcond;

	if (__atomic_load_n(&o->__state, __ATOMIC_ACQUIRE) == 2)
		return 0;
	kmutex_lock(m);
	while (o->__state == 1)
		kcond_wait(c, m);
	if (o->__state == 0) {
		o->__state = 1;
		kmutex_unlock(m);
		fn();
		kmutex_lock(m);
		__atomic_store_n(&o->__state, 2, __ATOMIC_RELEASE);
		kcond_broadcast(c);
	}
	kmutex_unlock(m);
	return 0;
}

/* --- thread-specific data --- */

int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	int rc = EAGAIN;

	kmutex_lock(&keys.lock);
	for (unsigned k = 0; k < LIBC_KEYS_MAX; k++) {
		if (!keys.used[k]) {
			keys.used[k] = true;
			keys.dtor[k] = dtor;
			keys.gen[k]++;
			*key = k;
			rc = 0;
			break;
		}
	}
	kmutex_unlock(&keys.lock);
	return rc;
}

int pthread_key_delete(pthread_key_t key)
{
	if (key >= LIBC_KEYS_MAX || !keys.used[key])
		return EINVAL;
	kmutex_lock(&keys.lock);
	keys.used[key] = false;
	keys.dtor[key] = NULL;
	kmutex_unlock(&keys.lock);
	return 0;
}

int pthread_setspecific(pthread_key_t key, const void *v)
{
	struct libc_thread *lt = libc_self();

	if (key >= LIBC_KEYS_MAX || !keys.used[key])
		return EINVAL;
	if (!lt)
		return ENOMEM;
	lt->specific[key] = v;
	lt->specific_gen[key] = keys.gen[key];
	return 0;
}

void *pthread_getspecific(pthread_key_t key)
{
	struct libc_thread *lt = libc_self();

	if (key >= LIBC_KEYS_MAX || !lt || !keys.used[key] ||
	    lt->specific_gen[key] != keys.gen[key])
		return NULL;
	return (void *)lt->specific[key];
}

/* --- barriers, spin locks, read-write locks --- */

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
			 unsigned count)
{
	(void)a;
	if (!count)
		return EINVAL;
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->__m, NULL);
	pthread_cond_init(&b->__c, NULL);
	b->__count = count;
	return 0;
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
	return b->__waiting ? EBUSY : 0;
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
	unsigned cycle;
	int rc = 0;

	pthread_mutex_lock(&b->__m);
	cycle = b->__cycle;
	if (++b->__waiting == b->__count) {
		b->__waiting = 0;
		b->__cycle++;
		pthread_cond_broadcast(&b->__c);
		rc = PTHREAD_BARRIER_SERIAL_THREAD;
	} else {
		while (cycle == b->__cycle)
			pthread_cond_wait(&b->__c, &b->__m);
	}
	pthread_mutex_unlock(&b->__m);
	return rc;
}

int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
	(void)pshared;
	*s = 0;
	return 0;
}

int pthread_spin_destroy(pthread_spinlock_t *s)
{
	(void)s;
	return 0;
}

int pthread_spin_lock(pthread_spinlock_t *s)
{
	while (__atomic_exchange_n(s, 1, __ATOMIC_ACQUIRE)) {
		/* The holder may be preempted: let it run. */
		thread_yield();
	}
	return 0;
}

int pthread_spin_trylock(pthread_spinlock_t *s)
{
	return __atomic_exchange_n(s, 1, __ATOMIC_ACQUIRE) ? EBUSY : 0;
}

int pthread_spin_unlock(pthread_spinlock_t *s)
{
	__atomic_store_n(s, 0, __ATOMIC_RELEASE);
	return 0;
}

int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	(void)a;
	memset(l, 0, sizeof(*l));
	return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	return l->__readers ? EBUSY : 0;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	pthread_mutex_lock(&l->__m);
	while (l->__readers < 0 || l->__writers_waiting)
		pthread_cond_wait(&l->__c, &l->__m);
	l->__readers++;
	pthread_mutex_unlock(&l->__m);
	return 0;
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	int rc = EBUSY;

	pthread_mutex_lock(&l->__m);
	if (l->__readers >= 0 && !l->__writers_waiting) {
		l->__readers++;
		rc = 0;
	}
	pthread_mutex_unlock(&l->__m);
	return rc;
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	pthread_mutex_lock(&l->__m);
	l->__writers_waiting++;
	while (l->__readers != 0)
		pthread_cond_wait(&l->__c, &l->__m);
	l->__writers_waiting--;
	l->__readers = -1;
	pthread_mutex_unlock(&l->__m);
	return 0;
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	int rc = EBUSY;

	pthread_mutex_lock(&l->__m);
	if (l->__readers == 0) {
		l->__readers = -1;
		rc = 0;
	}
	pthread_mutex_unlock(&l->__m);
	return rc;
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	pthread_mutex_lock(&l->__m);
	if (l->__readers < 0)
		l->__readers = 0;
	else if (l->__readers > 0)
		l->__readers--;
	pthread_cond_broadcast(&l->__c);
	pthread_mutex_unlock(&l->__m);
	return 0;
}
