/*
 * The kernel's entry into generic code and its way out, plus the one
 * symbol every image must provide: app_main, the app's entry point
 * (libc-glue's C start-up, the in-guest test runner, or kernel/noapp.c).
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <skiff/bootinfo.h>

/* Called once by the architecture entry code with a validated boot info. */
__attribute__((noreturn)) void kernel_main(struct boot_info *bi);

/* Stop the VM with an exit status (see docs/boot-protocol.md). */
__attribute__((noreturn)) void kernel_exit(int status);

/* The exit status of a VM stopped by a fatal error (a CPU exception, a
 * broken kernel invariant). */
#define KERNEL_EXIT_FATAL 112

/* Stop the VM after a fatal error, with KERNEL_EXIT_FATAL; why is printed
 * in the last line. */
__attribute__((noreturn)) void kernel_fatal_exit(const char *why);

/* A broken kernel invariant: print the reason and stop. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt,
							   ...);

/* The boot info the kernel started with; valid after kernel_main begins. */
const struct boot_info *kernel_boot_info(void);

/* The parsed command line (kernel options and the app's argv). */
struct cmdline;
const struct cmdline *kernel_cmdline(void);

/* Provided by the app side of the image. argv[argc] is NULL. */
int app_main(int argc, char **argv);

#endif
