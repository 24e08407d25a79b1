/*
 * The file system calls newlib's reentrant layer ends in (read, write,
 * open, close, lseek, fstat, stat, isatty, and the refusals) over a descriptor
 * table. Descriptors 0-2 are the console (COM1 or uart=); files are the boot
 * modules the loader placed in memory (boot.cfg "module" lines), by the
 * path given there (compared in canonical form: "//" and "/./" collapse),
 * read-only: opening one for writing is EROFS, a path that names no
 * module is ENOENT (ENOTDIR through a file), and a directory (a prefix of
 * module paths, or "/") can be stat()ed but not opened (EISDIR).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <skiff/fd.h>

#define CONSOLE_POLL_NS (5 * 1000 * 1000ULL)

struct fd_slot {
	const struct fd_ops *ops;
	void *priv;
	off_t pos;
};

static struct fd_slot fds[FD_MAX];
static struct kmutex fd_lock;

int libc_fail(int err)
{
	errno = err;
	return -1;
}

/* --- the console --- */

static ssize_t console_read(void *priv, void *buf, size_t n, off_t *pos)
{
	char *p = buf;
	size_t got = 0;
	int c;

	(void)priv;
	(void)pos;
	if (!n)
		return 0;
	/* Block for the first byte, then take what is already there. */
	while ((c = console_getc()) < 0)
		thread_sleep_ns(CONSOLE_POLL_NS);
	do {
		p[got++] = c == '\r' ? '\n' : (char)c; /* Enter sends CR */
	} while (got < n && c != '\r' && c != '\n' &&
		 (c = console_getc()) >= 0);
	return (ssize_t)got;
}

static ssize_t console_write_op(void *priv, const void *buf, size_t n,
				off_t *pos)
{
	(void)priv;
	(void)pos;
	console_write(buf, n);
	return (ssize_t)n;
}

static int console_fstat(void *priv, struct stat *st)
{
	(void)priv;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0620;
	st->st_blksize = 1024;
	st->st_nlink = 1;
	return 0;
}

static const struct fd_ops console_ops = {
	.kind = "console",
	.read = console_read,
	.write = console_write_op,
	.fstat = console_fstat,
	.isatty = 1,
};

/* --- boot modules --- */

struct module_file {
	const char *name;
	const char *data;
	size_t size;
};

#define PATH_MAX_LEN 1024

/*
 * A path in canonical form for comparing with module names: no leading,
 * trailing or repeated slashes, no "." components ("a//b/./c" and
 * "/a/b/c" are the same file; ".." is kept, as nothing here is a real
 * directory to climb out of). Returns false when it does not fit; *dir
 * is set when the path ended in a slash (it must name a directory).
 */
static bool canonical(const char *in, char *out, size_t size, bool *dir)
{
	size_t n = 0;

	*dir = false;
	while (*in) {
		const char *c = in;
		size_t len;

		while (*c == '/')
			c++;
		if (!*c) {
			*dir = n > 0 || in != c;
			break;
		}
		len = strcspn(c, "/");
		in = c + len;
		if (len == 1 && c[0] == '.')
			continue;
		if (n + (n ? 1 : 0) + len + 1 > size)
			return false;
		if (n)
			out[n++] = '/';
		memcpy(out + n, c, len);
		n += len;
	}
	out[n] = '\0';
	return true;
}

/* The module whose (canonical) name is path, or NULL. */
static const struct boot_module *find_canonical(const char *path)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_module *m;
	char name[PATH_MAX_LEN];
	bool dir;

	if (!bi || !bi->module_count)
		return NULL;
	m = (const struct boot_module *)(uintptr_t)bi->modules;
	for (uint32_t i = 0; i < bi->module_count; i++) {
		const char *raw = (const char *)(uintptr_t)m[i].name;

		if (raw && canonical(raw, name, sizeof(name), &dir) &&
		    strcmp(name, path) == 0)
			return &m[i];
	}
	return NULL;
}

/* Is the canonical path "" (the root) or a proper prefix of a module
 * path? */
static bool is_directory(const char *path)
{
	const struct boot_info *bi = kernel_boot_info();
	const struct boot_module *m;
	size_t len = strlen(path);
	char name[PATH_MAX_LEN];
	bool dir;

	if (!len)
		return true;
	if (!bi)
		return false;
	m = (const struct boot_module *)(uintptr_t)bi->modules;
	for (uint32_t i = 0; i < bi->module_count; i++) {
		const char *raw = (const char *)(uintptr_t)m[i].name;

		if (raw && canonical(raw, name, sizeof(name), &dir) &&
		    strncmp(name, path, len) == 0 && name[len] == '/')
			return true;
	}
	return false;
}

/* Does a proper prefix of the canonical path name a file (so the path
 * goes through a file: ENOTDIR)? */
static bool through_file(const char *path)
{
	char prefix[PATH_MAX_LEN];

	for (size_t i = 0; path[i]; i++) {
		if (path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (find_canonical(prefix))
			return true;
	}
	return false;
}

/*
 * Look path up: 0 with *m set for a file, 1 for a directory, or a
 * negative errno: ENOENT, ENOTDIR (through a file, or a file named with
 * a trailing slash), ENAMETOOLONG.
 */
static int lookup(const char *path, const struct boot_module **m)
{
	char canon[PATH_MAX_LEN];
	bool dir;

	*m = NULL;
	if (!canonical(path, canon, sizeof(canon), &dir))
		return -ENAMETOOLONG;
	*m = find_canonical(canon);
	if (*m)
		return dir ? -ENOTDIR : 0;
	if (is_directory(canon))
		return 1;
	return through_file(canon) ? -ENOTDIR : -ENOENT;
}

static ssize_t module_read(void *priv, void *buf, size_t n, off_t *pos)
{
	struct module_file *f = priv;
	size_t left;

	if (*pos < 0 || (size_t)*pos >= f->size)
		return 0;
	left = f->size - (size_t)*pos;
	if (n > left)
		n = left;
	memcpy(buf, f->data + *pos, n);
	*pos += (off_t)n;
	return (ssize_t)n;
}

static ssize_t module_write(void *priv, const void *buf, size_t n, off_t *pos)
{
	(void)priv;
	(void)buf;
	(void)n;
	(void)pos;
	return libc_fail(EBADF); /* opened read-only */
}

static off_t module_lseek(void *priv, off_t *pos, off_t off, int whence)
{
	struct module_file *f = priv;
	off_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = *pos;
		break;
	case SEEK_END:
		base = (off_t)f->size;
		break;
	default:
		return libc_fail(EINVAL);
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return libc_fail(EINVAL);
	*pos = base + off;
	return *pos;
}

static void module_stat(const struct module_file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)f->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((f->size + 511) / 512);
	st->st_nlink = 1;
}

static int module_fstat(void *priv, struct stat *st)
{
	module_stat(priv, st);
	return 0;
}

static int module_close(void *priv)
{
	kfree(priv);
	return 0;
}

static const struct fd_ops module_ops = {
	.kind = "file",
	.read = module_read,
	.write = module_write,
	.lseek = module_lseek,
	.fstat = module_fstat,
	.close = module_close,
};

/* --- the table --- */

void libc_fd_init(void)
{
	for (int i = 0; i < 3; i++)
		fds[i].ops = &console_ops;
}

int fd_install(const struct fd_ops *ops, void *priv)
{
	int fd = -1;

	kmutex_lock(&fd_lock);
	for (int i = 0; i < FD_MAX; i++) {
		if (!fds[i].ops) {
			fds[i].ops = ops;
			fds[i].priv = priv;
			fds[i].pos = 0;
			fd = i;
			break;
		}
	}
	kmutex_unlock(&fd_lock);
	return fd < 0 ? libc_fail(EMFILE) : fd;
}

static struct fd_slot *slot(int fd)
{
	if (fd < 0 || fd >= FD_MAX || !fds[fd].ops) {
		errno = EBADF;
		return NULL;
	}
	return &fds[fd];
}

void *fd_priv(int fd, const struct fd_ops *ops)
{
	struct fd_slot *s = slot(fd);

	if (!s)
		return NULL;
	return s->ops == ops ? s->priv : NULL;
}

int open(const char *path, int flags, ...)
{
	const struct boot_module *m;
	struct module_file *f;
	int fd, kind;

	if (!path)
		return libc_fail(EFAULT);
	if (!*path)
		return libc_fail(ENOENT);
	kind = lookup(path, &m);
	if (kind == 1)
		return libc_fail(EISDIR);
	if (kind == -ENOENT && (flags & O_CREAT))
		return libc_fail(EROFS);
	if (kind < 0)
		return libc_fail(-kind);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND)))
		return libc_fail(EROFS);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return libc_fail(EEXIST);
	f = kmalloc(sizeof(*f));
	if (!f)
		return libc_fail(ENOMEM);
	f->name = (const char *)(uintptr_t)m->name;
	f->data = (const char *)(uintptr_t)m->addr;
	f->size = m->size;
	fd = fd_install(&module_ops, f);
	if (fd < 0)
		kfree(f);
	return fd;
}

int close(int fd)
{
	struct fd_slot *s;
	const struct fd_ops *ops;
	void *priv;

	kmutex_lock(&fd_lock);
	s = slot(fd);
	if (!s) {
		kmutex_unlock(&fd_lock);
		return -1;
	}
	ops = s->ops;
	priv = s->priv;
	s->ops = NULL;
	s->priv = NULL;
	kmutex_unlock(&fd_lock);
	return ops->close ? ops->close(priv) : 0;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
	struct fd_slot *s = slot(fd);

	if (!s)
		return -1;
	if (!s->ops->read)
		return libc_fail(EINVAL);
	return s->ops->read(s->priv, buf, n, &s->pos);
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
	struct fd_slot *s = slot(fd);

	if (!s)
		return -1;
	if (!s->ops->write)
		return libc_fail(EINVAL);
	return s->ops->write(s->priv, buf, n, &s->pos);
}

off_t lseek(int fd, off_t off, int whence)
{
	struct fd_slot *s = slot(fd);

	if (!s)
		return -1;
	if (!s->ops->lseek)
		return libc_fail(ESPIPE);
	return s->ops->lseek(s->priv, &s->pos, off, whence);
}

int fstat(int fd, struct stat *st)
{
	struct fd_slot *s = slot(fd);

	if (!s)
		return -1;
	if (!s->ops->fstat) {
		memset(st, 0, sizeof(*st));
		return 0;
	}
	return s->ops->fstat(s->priv, st);
}

int isatty(int fd)
{
	struct fd_slot *s = slot(fd);

	if (!s)
		return 0;
	if (!s->ops->isatty) {
		errno = ENOTTY;
		return 0;
	}
	return 1;
}

int stat(const char *path, struct stat *st)
{
	const struct boot_module *m;
	struct module_file f;
	int kind;

	if (!path || !st)
		return libc_fail(EFAULT);
	if (!*path)
		return libc_fail(ENOENT);
	kind = lookup(path, &m);
	if (kind < 0)
		return libc_fail(-kind);
	if (kind == 1) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	}
	f.size = m->size;
	module_stat(&f, st);
	return 0;
}

int link(const char *old, const char *new)
{
	(void)old;
	(void)new;
	return libc_fail(EROFS);
}

int unlink(const char *path)
{
	const struct boot_module *m;
	int kind = path ? lookup(path, &m) : -EFAULT;

	if (kind == 1)
		return libc_fail(EISDIR);
	return libc_fail(kind < 0 ? -kind : EROFS);
}
