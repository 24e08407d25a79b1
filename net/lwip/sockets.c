/*
 * BSD sockets on file descriptors: each socket is a descriptor of the C
 * library (libc-glue/include/skiff/fd.h) whose private data is the lwIP
 * socket number, so read, write, close and fstat work on it like on any
 * file, and poll and select take sockets and files alike (files are
 * always ready). The calls themselves are lwIP's (lwip_socket...), which
 * set errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "lwip/netdb.h"
#include "lwip/sockets.h"
#include <kernel/mm.h>
#include <poll.h>
#include <skiff/fd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#define POLL_STACK 64

static int sock_of(void *priv)
{
	return (int)(intptr_t)priv - 1;
}

static ssize_t sock_read(void *priv, void *buf, size_t n, off_t *pos)
{
	(void)pos;
	return lwip_read(sock_of(priv), buf, n);
}

static ssize_t sock_write(void *priv, const void *buf, size_t n, off_t *pos)
{
	(void)pos;
	return lwip_write(sock_of(priv), buf, n);
}

static int sock_fstat(void *priv, struct stat *st)
{
	(void)priv;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	return 0;
}

static int sock_close(void *priv)
{
	return lwip_close(sock_of(priv));
}

static const struct fd_ops sock_ops = {
	.kind = "socket",
	.read = sock_read,
	.write = sock_write,
	.fstat = sock_fstat,
	.close = sock_close,
};

/* The lwIP socket behind fd, or -1 with errno EBADF or ENOTSOCK. */
static int sock(int fd)
{
	void *priv = fd_priv(fd, &sock_ops);

	if (priv)
		return sock_of(priv);
	if (errno != EBADF)
		errno = ENOTSOCK;
	return -1;
}

static int wrap(int s)
{
	int fd;

	if (s < 0)
		return -1;
	fd = fd_install(&sock_ops, (void *)(intptr_t)(s + 1));
	if (fd < 0)
		lwip_close(s);
	return fd;
}

int socket(int domain, int type, int protocol)
{
	return wrap(lwip_socket(domain, type, protocol));
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int s = sock(fd);

	return s < 0 ? -1 : wrap(lwip_accept(s, addr, len));
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_bind(s, addr, len);
}

int listen(int fd, int backlog)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_listen(s, backlog);
}

/* lwIP reports a RST in answer to the SYN as ECONNRESET; POSIX and Linux
 * say ECONNREFUSED, which is what apps test for. While connect() blocks,
 * that RST is the only way to lwIP's ERR_RST. (A non-blocking connect's
 * SO_ERROR still says ECONNRESET.) */
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int s = sock(fd), rc;

	if (s < 0)
		return -1;
	rc = lwip_connect(s, addr, len);
	if (rc < 0 && errno == ECONNRESET)
		errno = ECONNREFUSED;
	return rc;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_send(s, buf, len, flags);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_recv(s, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_sendto(s, buf, len, flags, to, tolen);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 struct sockaddr *from, socklen_t *fromlen)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_recvfrom(s, buf, len, flags, from, fromlen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_sendmsg(s, msg, flags);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_recvmsg(s, msg, flags);
}

int shutdown(int fd, int how)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_shutdown(s, how);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_setsockopt(s, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_getsockopt(s, level, name, val, len);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_getsockname(s, addr, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	int s = sock(fd);

	return s < 0 ? -1 : lwip_getpeername(s, addr, len);
}

int ioctl(int fd, unsigned long req, ...)
{
	__builtin_va_list ap;
	void *arg;
	int s = sock(fd);

	if (s < 0)
		return -1;
	__builtin_va_start(ap, req);
	arg = __builtin_va_arg(ap, void *);
	__builtin_va_end(ap);
	return lwip_ioctl(s, (long)req, arg);
}

int fcntl(int fd, int cmd, ...)
{
	__builtin_va_list ap;
	int arg, s;

	__builtin_va_start(ap, cmd);
	arg = __builtin_va_arg(ap, int);
	__builtin_va_end(ap);
	s = sock(fd);
	if (s < 0) {
		/* Files: no flags to change. */
		if (errno == ENOTSOCK && (cmd == F_GETFL || cmd == F_GETFD))
			return 0;
		return -1;
	}
	return lwip_fcntl(s, cmd, arg);
}

/*
 * poll and select: sockets go to lwip_poll in one call; other
 * descriptors (files, the console) are reported ready at once, as
 * regular files are, so a mixed set never blocks on them.
 */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd stack[POLL_STACK], *lp = stack;
	nfds_t ns = 0;
	int ready = 0, rc;

	if (n > POLL_STACK) {
		lp = kmalloc(n * sizeof(*lp));
		if (!lp) {
			errno = ENOMEM;
			return -1;
		}
	}
	for (nfds_t i = 0; i < n; i++) {
		int s;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		s = sock(fds[i].fd);
		if (s < 0) {
			if (errno == EBADF)
				fds[i].revents = POLLNVAL;
			else
				fds[i].revents =
					fds[i].events & (POLLIN | POLLOUT);
			ready++;
			continue;
		}
		lp[ns].fd = s;
		lp[ns].events = fds[i].events;
		lp[ns].revents = 0;
		ns++;
	}
	rc = 0;
	if (ns)
		rc = lwip_poll(lp, ns, ready ? 0 : timeout);
	if (rc < 0) {
		if (lp != stack)
			kfree(lp);
		return -1;
	}
	for (nfds_t i = 0, j = 0; i < n && j < ns; i++) {
		if (fds[i].fd < 0 || fds[i].revents)
			continue;
		fds[i].revents = lp[j++].revents;
		if (fds[i].revents)
			ready++;
	}
	if (lp != stack)
		kfree(lp);
	return ready;
}

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct pollfd *pfd;
	int n = 0, rc, timeout = -1;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	pfd = kmalloc((size_t)(nfds ? nfds : 1) * sizeof(*pfd));
	if (!pfd) {
		errno = ENOMEM;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (rd && FD_ISSET(fd, rd))
			ev |= POLLIN;
		if (wr && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (ex && FD_ISSET(fd, ex))
			ev |= POLLPRI;
		if (!ev)
			continue;
		pfd[n].fd = fd;
		pfd[n].events = ev;
		n++;
	}
	if (tv)
		timeout = (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000);
	rc = poll(pfd, (nfds_t)n, timeout);
	if (rc < 0) {
		kfree(pfd);
		return -1;
	}
	if (rd)
		FD_ZERO(rd);
	if (wr)
		FD_ZERO(wr);
	if (ex)
		FD_ZERO(ex);
	rc = 0;
	for (int i = 0; i < n; i++) {
		short r = pfd[i].revents;

		if (r & POLLNVAL) {
			kfree(pfd);
			errno = EBADF;
			return -1;
		}
		if (rd && (r & (POLLIN | POLLHUP | POLLERR)) &&
		    (pfd[i].events & POLLIN)) {
			FD_SET(pfd[i].fd, rd);
			rc++;
		}
		if (wr && (r & (POLLOUT | POLLERR)) &&
		    (pfd[i].events & POLLOUT)) {
			FD_SET(pfd[i].fd, wr);
			rc++;
		}
		if (ex && (r & POLLPRI) && (pfd[i].events & POLLPRI)) {
			FD_SET(pfd[i].fd, ex);
			rc++;
		}
	}
	kfree(pfd);
	return rc;
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	return lwip_inet_ntop(af, src, dst, size);
}

int inet_pton(int af, const char *src, void *dst)
{
	return lwip_inet_pton(af, src, dst);
}

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	return lwip_getaddrinfo(node, service, hints, res);
}

void freeaddrinfo(struct addrinfo *ai)
{
	lwip_freeaddrinfo(ai);
}

struct hostent *gethostbyname(const char *name)
{
	return lwip_gethostbyname(name);
}

const char *gai_strerror(int err)
{
	switch (err) {
	case 0:
		return "Success";
	case EAI_NONAME:
		return "Name or service not known";
	case EAI_SERVICE:
		return "Servname not supported";
	case EAI_FAIL:
		return "Non-recoverable failure in name resolution";
	case EAI_MEMORY:
		return "Memory allocation failure";
	case EAI_FAMILY:
		return "ai_family not supported";
	default:
		return "Unknown error";
	}
}
