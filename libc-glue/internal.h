/*
 * Between the files of libc-glue: the per-thread C library state that
 * hangs off struct thread's libc pointer, and the helpers the system-call
 * files share. Included after newlib's headers, then the kernel's.
 */
#ifndef LIBC_GLUE_INTERNAL_H
#define LIBC_GLUE_INTERNAL_H

#include <reent.h>
#include <stdint.h>
#include <time.h>

#include <kernel/thread.h>

#define LIBC_KEYS_MAX 64

struct __skiff_pthread;

struct libc_thread {
	struct _reent *reent; /* the main thread uses newlib's global one */
	struct _reent own_reent;
	void *tls_alloc;
	const void *specific[LIBC_KEYS_MAX];
	unsigned specific_gen[LIBC_KEYS_MAX];
	struct __skiff_pthread *pthread;
};

/* The calling thread's state, created on first use for threads that the
 * C library did not see being created (NULL only if memory ran out). */
struct libc_thread *libc_self(void);

/* tls.c: a TLS block for t from the image's PT_TLS template; its address
 * becomes t's FS base. 0 or a negative errno. */
int libc_tls_setup(struct thread *t, struct libc_thread *lt);
void libc_tls_free(struct libc_thread *lt);

/* pthread.c: run key destructors, free what the pthread layer holds for
 * a thread that ends. */
void libc_pthread_thread_end(struct libc_thread *lt);
void libc_pthread_thread_free(struct libc_thread *lt);

/* fd.c */
void libc_fd_init(void);

/* time.c: an absolute CLOCK_REALTIME or CLOCK_MONOTONIC time as a kernel
 * deadline (time_ns() scale). */
uint64_t libc_deadline(clockid_t clock, const struct timespec *abstime);

/* Set errno and return -1, the system-call convention. */
int libc_fail(int err);

#endif
