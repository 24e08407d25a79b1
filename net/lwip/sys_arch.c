/*
 * lwIP's operating-system layer (lwIP doc/sys_arch.txt) on kernel
 * threads: semaphores and mutexes are the kernel's, mailboxes are rings
 * with two counting semaphores (free slots, full slots) and a mutex, and
 * SYS_ARCH_PROTECT is one spinlock taken with interrupts off that the
 * CPU holding it may take again. Time-outs are in milliseconds, as lwIP
 * counts them.
 */
#include <string.h>

#include "lwip/opt.h"
#include "lwip/sys.h"
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/percpu.h>
#include <kernel/thread.h>
#include <kernel/time.h>

struct sys_mbox_ring {
	struct ksem slots; /* free places */
	struct ksem items; /* messages waiting */
	struct kmutex lock;
	unsigned head, count, size;
	void *msg[];
};

static struct spinlock prot_lock = SPINLOCK_INIT;
static int prot_owner = -1;
static unsigned prot_depth;

void sys_init(void)
{
}

u32_t sys_now(void)
{
	return (u32_t)(time_ns() / NSEC_PER_MSEC);
}

uint32_t skiff_random(void)
{
	/* Not cryptographic: ports, ISNs and DNS ids only need to vary. */
	static uint64_t state;
	uint64_t x = __atomic_add_fetch(&state, 0x9e3779b97f4a7c15ULL,
					__ATOMIC_RELAXED) ^
		     time_ns();

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

static uint64_t deadline_ms(u32_t timeout)
{
	return timeout ? time_ns() + (uint64_t)timeout * NSEC_PER_MSEC
		       : TIME_FOREVER;
}

/* Milliseconds since start, at least 1 when anything was waited for
 * (0 would mean "not waited" to some callers). */
static u32_t waited_ms(uint64_t start)
{
	uint64_t ms = (time_ns() - start) / NSEC_PER_MSEC;

	return (u32_t)(ms ? ms : 0);
}

err_t sys_sem_new(sys_sem_t *s, u8_t count)
{
	ksem_init(&s->sem, count);
	s->valid = true;
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *s)
{
	s->valid = false;
}

void sys_sem_signal(sys_sem_t *s)
{
	ksem_post(&s->sem);
}

u32_t sys_arch_sem_wait(sys_sem_t *s, u32_t timeout)
{
	uint64_t start = time_ns();

	if (ksem_wait_until(&s->sem, deadline_ms(timeout)) < 0)
		return SYS_ARCH_TIMEOUT;
	return waited_ms(start);
}

err_t sys_mutex_new(sys_mutex_t *m)
{
	kmutex_init(&m->mutex);
	m->valid = true;
	return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *m)
{
	m->valid = false;
}

void sys_mutex_lock(sys_mutex_t *m)
{
	kmutex_lock(&m->mutex);
}

void sys_mutex_unlock(sys_mutex_t *m)
{
	kmutex_unlock(&m->mutex);
}

err_t sys_mbox_new(sys_mbox_t *mb, int size)
{
	struct sys_mbox_ring *r;

	if (size <= 0)
		size = 128;
	r = kcalloc(1, sizeof(*r) + (size_t)size * sizeof(void *));
	if (!r)
		return ERR_MEM;
	ksem_init(&r->slots, size);
	ksem_init(&r->items, 0);
	kmutex_init(&r->lock);
	r->size = (unsigned)size;
	mb->ring = r;
	return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mb)
{
	struct sys_mbox_ring *r = mb->ring;

	if (r && r->count)
		kprintf("lwip: mailbox freed with %u messages in it\n",
			r->count);
	kfree(r);
	mb->ring = NULL;
}

static void ring_put(struct sys_mbox_ring *r, void *msg)
{
	kmutex_lock(&r->lock);
	r->msg[(r->head + r->count) % r->size] = msg;
	r->count++;
	kmutex_unlock(&r->lock);
	ksem_post(&r->items);
}

void sys_mbox_post(sys_mbox_t *mb, void *msg)
{
	ksem_wait(&mb->ring->slots);
	ring_put(mb->ring, msg);
}

err_t sys_mbox_trypost(sys_mbox_t *mb, void *msg)
{
	if (!ksem_trywait(&mb->ring->slots))
		return ERR_MEM;
	ring_put(mb->ring, msg);
	return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mb, void *msg)
{
	return sys_mbox_trypost(mb, msg);
}

static void *ring_get(struct sys_mbox_ring *r)
{
	void *msg;

	kmutex_lock(&r->lock);
	msg = r->msg[r->head];
	r->head = (r->head + 1) % r->size;
	r->count--;
	kmutex_unlock(&r->lock);
	ksem_post(&r->slots);
	return msg;
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mb, void **msg, u32_t timeout)
{
	uint64_t start = time_ns();
	void *m;

	if (ksem_wait_until(&mb->ring->items, deadline_ms(timeout)) < 0)
		return SYS_ARCH_TIMEOUT;
	m = ring_get(mb->ring);
	if (msg)
		*msg = m;
	return waited_ms(start);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mb, void **msg)
{
	void *m;

	if (!ksem_trywait(&mb->ring->items))
		return SYS_MBOX_EMPTY;
	m = ring_get(mb->ring);
	if (msg)
		*msg = m;
	return 0;
}

struct lwip_start {
	lwip_thread_fn fn;
	void *arg;
};

static int lwip_thread(void *arg)
{
	struct lwip_start s = *(struct lwip_start *)arg;

	kfree(arg);
	s.fn(s.arg);
	return 0;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg,
			    int stacksize, int prio)
{
	struct lwip_start *s = kmalloc(sizeof(*s));
	struct thread_attr a;
	struct thread *t;

	if (!s)
		panic("lwip: no memory for thread %s", name);
	s->fn = fn;
	s->arg = arg;

	thread_attr_init(&a);
	a.name = name;
	a.stack_size = stacksize > 0 ? (size_t)stacksize : 64 * 1024;
	a.prio = prio >= THREAD_PRIO_MIN && prio <= THREAD_PRIO_MAX
			 ? prio
			 : THREAD_PRIO_DEFAULT;
	a.detached = true;
	t = thread_create(&a, lwip_thread, s);
	if (!t)
		panic("lwip: cannot create thread %s", name);
	return t;
}

sys_prot_t sys_arch_protect(void)
{
	uint64_t flags = irq_save();
	int me = (int)this_cpu()->index;

	if (__atomic_load_n(&prot_owner, __ATOMIC_RELAXED) == me) {
		prot_depth++;
		return flags;
	}
	spin_lock(&prot_lock);
	prot_owner = me;
	prot_depth = 1;
	return flags;
}

void sys_arch_unprotect(sys_prot_t flags)
{
	if (--prot_depth == 0) {
		prot_owner = -1;
		spin_unlock(&prot_lock);
	}
	irq_restore(flags);
}
