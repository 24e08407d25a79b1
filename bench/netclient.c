/*
 * The network benchmark's host side (bench/net.sh builds it with the
 * host's gcc and runs it in the benchmark's network namespace); the
 * guest side is bench/netbench.c.
 *
 *   send IP PORT BYTES          one connection: send BYTES, shut down
 *                               the sending side, read the server's count
 *                               and check it
 *       -> "netclient: send N bytes in S s, X MB/s, counted N"
 *   rr IP PORT WORKERS SECONDS [FROM]
 *                               WORKERS threads, each doing connect, one
 *                               request line, read the reply to EOF,
 *                               close, for SECONDS; with FROM, from that
 *                               local address and ports 10000, 10001 ...
 *                               in turn (each used once), instead of the
 *                               ports the host's kernel picks
 *       -> "netclient: rr W workers, S s: N connections, X conn/s, E errors"
 *   quit IP PORT [FROM]         ask the server to exit (from FROM, a
 *                               port the host's kernel picks)
 *
 * Why FROM: the guest closes first, so the guest holds each connection
 * in TIME_WAIT and the host keeps nothing; the host's kernel then picks
 * ports that may still be in TIME_WAIT in the guest. Linux as the guest
 * takes a new SYN on such a port; a stack that does not stalls that
 * connect. A fresh address per run and ports used once measure the
 * connection rate without that case.
 *
 * Every socket has 10 s send and receive timeouts (connect included), so
 * a stalled guest ends a run with an error instead of hanging it. Exits
 * non-zero if a run had no success or a count did not match. MB is 10^6
 * bytes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 10
#define MAX_WORKERS 256

static struct sockaddr_in server;
static double rr_deadline;
static atomic_long rr_done, rr_errors;
static atomic_int rr_next_port = 10000;
static struct sockaddr_in rr_from;
static char rr_first_error[128];
static pthread_mutex_t rr_error_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connected socket, or -1 with errno set; from is NULL or the local
 * address and port to bind first. */
static int dial(const struct sockaddr_in *from)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((from &&
	     bind(s, (const struct sockaddr *)from, sizeof(*from)) < 0) ||
	    connect(s, (struct sockaddr *)&server, sizeof(server)) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static int write_all(int s, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(s, buf, len);

		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read to EOF into buf (at most len - 1 bytes, NUL-terminated). */
static ssize_t read_to_eof(int s, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	while ((n = read(s, buf + have, len - 1 - have)) > 0) {
		have += (size_t)n;
		if (have == len - 1)
			break;
	}
	buf[have] = '\0';
	return n < 0 ? -1 : (ssize_t)have;
}

static int do_send(long long bytes)
{
	static char buf[256 * 1024];
	char answer[64];
	long long left = bytes;
	double t0, t1;
	int s;

	memset(buf, 0xa5, sizeof(buf));
	t0 = now();
	s = dial(NULL);
	if (s < 0) {
		printf("netclient: send: connect: %s\n", strerror(errno));
		return 1;
	}
	while (left > 0) {
		size_t chunk = left < (long long)sizeof(buf) ? (size_t)left
							     : sizeof(buf);

		if (write_all(s, buf, chunk) < 0) {
			printf("netclient: send: write after %lld of %lld "
			       "bytes: %s\n",
			       bytes - left, bytes, strerror(errno));
			close(s);
			return 1;
		}
		left -= (long long)chunk;
	}
	shutdown(s, SHUT_WR);
	if (read_to_eof(s, answer, sizeof(answer)) < 0) {
		printf("netclient: send: reading the count: %s\n",
		       strerror(errno));
		close(s);
		return 1;
	}
	t1 = now();
	close(s);
	printf("netclient: send %lld bytes in %.3f s, %.2f MB/s, counted "
	       "%lld\n",
	       bytes, t1 - t0, (double)bytes / (t1 - t0) / 1e6, atoll(answer));
	return atoll(answer) == bytes ? 0 : 1;
}

static void rr_error(const char *what)
{
	atomic_fetch_add(&rr_errors, 1);
	pthread_mutex_lock(&rr_error_lock);
	if (!rr_first_error[0])
		snprintf(rr_first_error, sizeof(rr_first_error), "%s: %s", what,
			 strerror(errno));
	pthread_mutex_unlock(&rr_error_lock);
}

static void *rr_worker(void *arg)
{
	static const char request[] = "GET / netbench\n";
	char answer[256];

	(void)arg;
	while (now() < rr_deadline) {
		struct sockaddr_in from = rr_from;
		int s;

		if (from.sin_family) {
			int port = atomic_fetch_add(&rr_next_port, 1);

			if (port > 65535) {
				errno = EADDRINUSE;
				rr_error("out of local ports");
				break;
			}
			from.sin_port = htons((unsigned short)port);
		}
		s = dial(from.sin_family ? &from : NULL);
		if (s < 0) {
			rr_error("connect");
			usleep(10000);
			continue;
		}
		if (write_all(s, request, sizeof(request) - 1) < 0)
			rr_error("write");
		else if (read_to_eof(s, answer, sizeof(answer)) != 64)
			rr_error("reply");
		else
			atomic_fetch_add(&rr_done, 1);
		close(s);
	}
	return NULL;
}

static int do_rr(int workers, int seconds)
{
	pthread_t t[MAX_WORKERS];
	double t0;

	t0 = now();
	rr_deadline = t0 + seconds;
	for (int i = 0; i < workers; i++)
		if (pthread_create(&t[i], NULL, rr_worker, NULL) != 0) {
			printf("netclient: rr: pthread_create failed\n");
			exit(1);
		}
	for (int i = 0; i < workers; i++)
		pthread_join(t[i], NULL);
	printf("netclient: rr %d workers, %.1f s: %ld connections, %.0f "
	       "conn/s, %ld errors%s%s\n",
	       workers, now() - t0, atomic_load(&rr_done),
	       (double)atomic_load(&rr_done) / (now() - t0),
	       atomic_load(&rr_errors), rr_first_error[0] ? "; first: " : "",
	       rr_first_error);
	return atomic_load(&rr_done) > 0 ? 0 : 1;
}

static int do_quit(const struct sockaddr_in *from)
{
	int s = dial(from);

	if (s < 0) {
		printf("netclient: quit: connect: %s\n", strerror(errno));
		return 1;
	}
	write_all(s, "quit\n", 5);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
usage:
		fprintf(stderr,
			"usage: netclient send IP PORT BYTES | rr IP "
			"PORT WORKERS SECONDS [FROM] | quit IP PORT [FROM]\n");
		return 2;
	}
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1)
		goto usage;
	if (strcmp(argv[1], "send") == 0 && argc == 5)
		return do_send(atoll(argv[4]));
	if (strcmp(argv[1], "rr") == 0 && (argc == 6 || argc == 7)) {
		int w = atoi(argv[4]), sec = atoi(argv[5]);

		if (w < 1 || w > MAX_WORKERS || sec < 1 || sec > 600)
			goto usage;
		if (argc == 7) {
			rr_from.sin_family = AF_INET;
			if (inet_pton(AF_INET, argv[6], &rr_from.sin_addr) != 1)
				goto usage;
		}
		return do_rr(w, sec);
	}
	if (strcmp(argv[1], "quit") == 0 && (argc == 4 || argc == 5)) {
		struct sockaddr_in from = { .sin_family = AF_INET };

		if (argc == 5 &&
		    inet_pton(AF_INET, argv[4], &from.sin_addr) != 1)
			goto usage;
		return do_quit(argc == 5 ? &from : NULL);
	}
	goto usage;
}
