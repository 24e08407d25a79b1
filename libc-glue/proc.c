/*
 * The process as a whole: exit with a status that reaches QEMU through
 * isa-debug-exit (kernel_exit), signals only as far as raise() and
 * abort() need them, the environment from the kernel command line, and
 * honest refusals (ENOSYS) for what a unikernel has no use for: fork,
 * exec, wait, other processes' signals.
 *
 * The environment: kernel options (before "--") whose name is all upper
 * case letters, digits and underscores, such as "PORT=8080"; the kernel's
 * own options are lower case.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include <arch/smp.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/thread.h>

#define SKIFF_PID 1
#define ENV_MAX CMDLINE_MAX_WORDS

extern char **environ;
static char *env[ENV_MAX + 1];

void _exit(int status)
{
	kernel_exit(status & 0xff);
}

pid_t getpid(void)
{
	return SKIFF_PID;
}

/* Only ourselves to signal; the default action of every signal that
 * gets here (raise() found no handler) ends the program, with the
 * shell's 128 + signal status. */
int kill(pid_t pid, int sig)
{
	if (pid != SKIFF_PID && pid != 0 && pid != -1)
		return libc_fail(ESRCH);
	if (sig < 0 || sig >= NSIG)
		return libc_fail(EINVAL);
	if (sig == 0)
		return 0;
	fflush(NULL);
	kprintf("libc: terminated by signal %d%s\n", sig,
		sig == SIGABRT ? " (abort)" : "");
	kernel_exit(128 + sig);
}

pid_t fork(void)
{
	return libc_fail(ENOSYS);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	(void)path;
	(void)argv;
	(void)envp;
	return libc_fail(ENOSYS);
}

pid_t wait(int *status)
{
	(void)status;
	return libc_fail(ENOSYS);
}

long sysconf(int name)
{
	switch (name) {
	case _SC_NPROCESSORS_ONLN:
	case _SC_NPROCESSORS_CONF:
		return (long)smp_cpus_online();
	case _SC_PAGESIZE:
		return 4096;
	case _SC_CLK_TCK:
		return 1000;
	case _SC_OPEN_MAX:
		return 1024;
	default:
		return libc_fail(EINVAL);
	}
}

int getpagesize(void)
{
	return 4096;
}

static int is_env_word(const char *w)
{
	const char *p = w;

	if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
		return 0;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '_')
		p++;
	return *p == '=';
}

void libc_env_init(void)
{
	const struct cmdline *cl = kernel_cmdline();
	int n = 0;

	for (int i = 0; cl && i < cl->kargc && n < ENV_MAX; i++) {
		if (is_env_word(cl->kargv[i]))
			env[n++] = cl->kargv[i];
	}
	env[n] = NULL;
	environ = env;
}
