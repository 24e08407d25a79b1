/*
 * The C start-up of an app image: app_main (called by the kernel in the
 * app's main thread) sets up the C library for this thread and for every
 * thread created later, the standard streams, the environment and the
 * constructors, then calls main() and exit()s with its result, so that
 * atexit handlers run and stdio is flushed before the VM stops.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include <kernel/console.h>
#include <kernel/kernel.h>

int main(int argc, char **argv);
/* The network (net/lwip/netif.c), when the image has it. */
void net_start(void) __attribute__((weak));
int libc_thread_init(void);
void libc_env_init(void);
/* The constructor and destructor arrays (kernel.ld). */
extern void (*__preinit_array_start[])(void), (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);
extern void (*__fini_array_start[])(void), (*__fini_array_end[])(void);

static void run_init_arrays(void)
{
	for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end;
	     f++)
		(*f)();
	for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();
}

/* Destructors run in reverse order, at exit. */
static void run_fini_array(void)
{
	for (void (**f)(void) = __fini_array_end; f > __fini_array_start;)
		(*--f)();
}

int app_main(int argc, char **argv)
{
	if (libc_thread_init() < 0) {
		kprintf("libc: no memory for the main thread's C library "
			"state\n");
		return 1;
	}
	libc_fd_init();
	libc_env_init();
	if (net_start)
		net_start();
	atexit(run_fini_array);
	run_init_arrays();
	exit(main(argc, argv));
}
