/*
 * Per-thread C library state: newlib's struct _reent (errno, stdio's
 * per-thread scratch, strtok's state...) reached through __getreent(),
 * the TLS block behind the FS base, and the pthread layer's data. Every
 * thread created once the C library is up gets it from the kernel's
 * thread hooks; a thread created earlier gets it on its first call into
 * the library.
 *
 * All threads share newlib's global stdin, stdout and stderr (and their
 * locks), so that exit() flushes what any thread wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <kernel/mm.h>

/* newlib: set up the global reent's standard streams. */
void __sinit(struct _reent *r);

static void reent_init(struct libc_thread *lt)
{
	struct _reent *g = _GLOBAL_REENT;

	_REENT_INIT_PTR(&lt->own_reent);
	lt->own_reent._stdin = g->_stdin;
	lt->own_reent._stdout = g->_stdout;
	lt->own_reent._stderr = g->_stderr;
	/* Its own streams are never used: take stdio as set up. */
	lt->own_reent.__sdidinit = 1;
	lt->reent = &lt->own_reent;
}

static struct libc_thread *libc_alloc(struct thread *t)
{
	struct libc_thread *lt = kcalloc(1, sizeof(*lt));

	if (!lt)
		return NULL;
	reent_init(lt);
	if (libc_tls_setup(t, lt) < 0) {
		kfree(lt);
		return NULL;
	}
	return lt;
}

static int hook_create(struct thread *t)
{
	struct libc_thread *lt = libc_alloc(t);

	if (!lt)
		return -1;
	t->libc = lt;
	return 0;
}

static void hook_destroy(struct thread *t)
{
	struct libc_thread *lt = t->libc;

	t->libc = NULL;
	if (lt->reent == &lt->own_reent) {
		/* Free its scratch (strtok, asctime...), not the shared
		 * streams: with __sdidinit clear, newlib skips them. */
		lt->own_reent.__sdidinit = 0;
		_reclaim_reent(&lt->own_reent);
	}
	libc_pthread_thread_free(lt);
	libc_tls_free(lt);
	kfree(lt);
}

static const struct thread_hooks hooks = { hook_create, hook_destroy };

struct libc_thread *libc_self(void)
{
	struct thread *t = thread_self();
	struct libc_thread *lt = t->libc;

	if (lt)
		return lt;
	lt = libc_alloc(t);
	if (!lt)
		return NULL;
	if (lt->tls_alloc)
		thread_set_fs_base(t->fs_base);
	t->libc = lt;
	return lt;
}

struct _reent *__getreent(void)
{
	struct thread *t = thread_self();
	struct libc_thread *lt = t->libc;

	if (__builtin_expect(lt != NULL, 1))
		return lt->reent;
	lt = libc_self();
	/* Out of memory this early: share the global state, still safe for
	 * errno-only use. */
	return lt ? lt->reent : _GLOBAL_REENT;
}

/* The main thread: it owns newlib's global reent, and it is the first
 * user of the library. */
int libc_thread_init(void)
{
	struct thread *t = thread_self();
	struct libc_thread *lt = kcalloc(1, sizeof(*lt));

	if (!lt)
		return -1;
	lt->reent = _GLOBAL_REENT;
	if (libc_tls_setup(t, lt) < 0) {
		kfree(lt);
		return -1;
	}
	thread_set_fs_base(t->fs_base);
	t->libc = lt;
	__sinit(_GLOBAL_REENT);
	thread_set_hooks(&hooks);
	return 0;
}
