/*
 * File descriptors of the unikernel's C library (libc-glue/fd.c): 0, 1
 * and 2 are the console, open() gives read-only files from the boot
 * modules, and other layers (the network's sockets) add their own kinds
 * through fd_install. Each kind is a fixed set of verbs; a missing verb
 * answers with the errno POSIX gives for it.
 */
#ifndef SKIFF_FD_H
#define SKIFF_FD_H

#include <sys/stat.h>
#include <sys/types.h>

struct fd_ops {
	const char *kind;
	ssize_t (*read)(void *priv, void *buf, size_t n, off_t *pos);
	ssize_t (*write)(void *priv, const void *buf, size_t n, off_t *pos);
	off_t (*lseek)(void *priv, off_t *pos, off_t off, int whence);
	int (*fstat)(void *priv, struct stat *st);
	int (*close)(void *priv);
	int isatty;
};

#define FD_MAX 1024

/* A new descriptor (the lowest free) for priv, or -1 with errno EMFILE. */
int fd_install(const struct fd_ops *ops, void *priv);
/* The private data of fd if it is of kind ops, else NULL with errno
 * EBADF (no such descriptor) or ENOTSOCK-like mismatch left to the
 * caller (errno untouched then). */
void *fd_priv(int fd, const struct fd_ops *ops);

#endif
