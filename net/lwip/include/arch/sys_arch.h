/*
 * lwIP's operating-system layer types (doc/sys_arch.txt) on the kernel's
 * semaphores, mutexes and threads (kernel/sync.h, kernel/thread.h). The
 * objects are embedded, with a flag for lwIP's valid/invalid protocol.
 */
#ifndef SKIFF_ARCH_SYS_ARCH_H
#define SKIFF_ARCH_SYS_ARCH_H

#include <stdbool.h>

#include <kernel/sync.h>

struct thread;

typedef struct {
	struct ksem sem;
	bool valid;
} sys_sem_t;

typedef struct {
	struct kmutex mutex;
	bool valid;
} sys_mutex_t;

struct sys_mbox_ring;
typedef struct {
	struct sys_mbox_ring *ring;
} sys_mbox_t;

typedef struct thread *sys_thread_t;
typedef unsigned long sys_prot_t;

#define sys_sem_valid(s) ((s)->valid)
#define sys_sem_set_invalid(s) ((s)->valid = false)
#define sys_mutex_valid(m) ((m)->valid)
#define sys_mutex_set_invalid(m) ((m)->valid = false)
#define sys_mbox_valid(m) ((m)->ring != NULL)
#define sys_mbox_set_invalid(m) ((m)->ring = NULL)

#endif
