/*
 * The network test app: argv is a list of steps, run in order until one
 * fails; each prints one result line that tests/net/run.sh checks.
 *   loopback            1 MiB through a TCP connection to itself, UDP too
 *   ping IP N           N ICMP echo requests (raw socket), all answered
 *   connect IP PORT N [S]
 *                       send N bytes to a host TCP sink and read back its
 *                       count (the host side answers a byte count); the
 *                       connection is retried for S seconds (default 30)
 *                       while DHCP runs
 *   churn N             N connections in turn to a local server that
 *                       closes first (N >= 2000), the rate of the first
 *                       and the last thousand
 *   serve PORT          a TCP echo server, one thread per connection,
 *                       until a client sends "quit\n" as a whole message
 *   reuse               on 127.0.0.1: a server closes first (its side
 *                       stays in TIME-WAIT), a client on the same source
 *                       port connects again within 2 s; a connect to a
 *                       port nobody listens on fails with ECONNREFUSED;
 *                       and a server side in TIME-WAIT whose socket is
 *                       still open (shut with SHUT_WR) when the port is
 *                       reused: that socket closes, and the new
 *                       connection is unharmed
 *   lastack             on 127.0.0.1, 1 vCPU: a server side that reaches
 *                       LAST-ACK with its socket open and reads the end
 *                       of file before the final ACK; its close() must
 *                       not touch the connection opened after it
 * The exit status is 0 when every step passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BYTES (1 << 20)

static int fail(const char *what)
{
	printf("nettest: %s: %s\n", what, strerror(errno));
	return 1;
}

static void *echo_conn(void *arg)
{
	int c = (int)(long)arg;
	char buf[16384];
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (n == 5 && memcmp(buf, "quit\n", 5) == 0) {
			printf("nettest: quit received\n");
			fflush(stdout);
			exit(0);
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));

			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	close(c);
	return NULL;
}

static int listen_on(uint32_t addr, int port)
{
	struct sockaddr_in a = { 0 };
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (ls < 0)
		return -1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(addr);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 255) < 0)
		return -1;
	return ls;
}

static int serve(int port)
{
	int ls = listen_on(INADDR_ANY, port);

	if (ls < 0)
		return fail("listen");
	printf("nettest: serving on port %d\n", port);
	fflush(stdout);
	for (;;) {
		pthread_t t;
		pthread_attr_t at;
		int c = accept(ls, NULL, NULL), one = 1;

		if (c < 0)
			return fail("accept");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 64 * 1024);
		if (pthread_create(&t, &at, echo_conn, (void *)(long)c) != 0) {
			printf("nettest: no thread for a connection\n");
			close(c);
		}
	}
}

static void *loop_server(void *arg)
{
	int c = accept(*(int *)arg, NULL, NULL);

	if (c >= 0)
		echo_conn((void *)(long)c);
	return NULL;
}

static int loopback(void)
{
	static char out[LOOP_BYTES], in[LOOP_BYTES];
	struct sockaddr_in a = { 0 };
	int ls = listen_on(INADDR_LOOPBACK, 7777), c, u1, u2;
	size_t got = 0, sent = 0;
	char dg[64];
	pthread_t t;

	if (ls < 0)
		return fail("loopback listen");
	pthread_create(&t, NULL, loop_server, &ls);
	a.sin_family = AF_INET;
	a.sin_port = htons(7777);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("loopback connect");
	for (size_t i = 0; i < LOOP_BYTES; i++)
		out[i] = (char)(i * 7 + (i >> 9));
	while (got < LOOP_BYTES) {
		struct pollfd p = { c, POLLIN, 0 };

		if (sent < LOOP_BYTES)
			p.events |= POLLOUT;
		if (poll(&p, 1, 5000) <= 0)
			return fail("loopback poll");
		if ((p.revents & POLLOUT) && sent < LOOP_BYTES) {
			size_t want = LOOP_BYTES - sent;
			ssize_t n =
				write(c, out + sent, want > 8192 ? 8192 : want);

			if (n > 0)
				sent += (size_t)n;
		}
		if (p.revents & POLLIN) {
			ssize_t n = read(c, in + got, LOOP_BYTES - got);

			if (n <= 0)
				return fail("loopback read");
			got += (size_t)n;
		}
	}
	close(c);
	pthread_join(t, NULL);
	/* UDP to itself. */
	u1 = socket(AF_INET, SOCK_DGRAM, 0);
	u2 = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons(7778);
	if (bind(u1, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("udp bind");
	if (sendto(u2, "datagram", 8, 0, (struct sockaddr *)&a, sizeof(a)) != 8)
		return fail("udp sendto");
	if (recv(u1, dg, sizeof(dg), 0) != 8 || memcmp(dg, "datagram", 8))
		return fail("udp recv");
	printf("nettest: loopback tcp %zu bytes %s, udp ok\n", got,
	       memcmp(in, out, LOOP_BYTES) ? "MISMATCH" : "identical");
	return memcmp(in, out, LOOP_BYTES) != 0;
}

#define REUSE_SERVER 7779
#define REUSE_CLIENT 7780
#define REUSE_CLOSED 7781
#define LASTACK_PORT 7782

/* The kernel's own calls, for "lastack": POSIX has no way to put a thread
 * above the network stack's. */
struct thread;
struct thread *thread_self(void);
int thread_set_priority(struct thread *t, int prio);
#define PRIO_ABOVE_TCPIP 28 /* lwipopts.h: TCPIP_THREAD_PRIO 16 */
#define PRIO_DEFAULT 16

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A client socket on 127.0.0.1:from connected to 127.0.0.1:to, or -1. */
static int connect_from(int from, int to)
{
	struct sockaddr_in a = { 0 };
	int c = socket(AF_INET, SOCK_STREAM, 0), one = 1, err;

	if (c < 0)
		return -1;
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)from);
	if (from && bind(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto err_close;
	a.sin_port = htons((uint16_t)to);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto err_close;
	return c;
err_close:
	err = errno;
	close(c);
	errno = err;
	return -1;
}

/*
 * what: a second connection from port from (0: any) to the listener ls,
 * then the close of the old server socket, then a byte each way on the
 * second connection (5 s timeouts), which must still work.
 */
static int close_old_then_exchange(const char *what, int ls, int from, int to,
				   int old)
{
	struct timeval tv = { .tv_sec = 5 };
	int c2 = connect_from(from, to), s2;
	char b;

	s2 = c2 < 0 ? -1 : accept(ls, NULL, NULL);
	if (c2 < 0 || s2 < 0) {
		printf("nettest: %s: second connection: %s\n", what,
		       strerror(errno));
		return 1;
	}
	if (close(old) != 0) {
		printf("nettest: %s: close of the old server socket: %s\n",
		       what, strerror(errno));
		return 1;
	}
	setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(s2, "y", 1) != 1 || read(c2, &b, 1) != 1 || b != 'y' ||
	    write(c2, "z", 1) != 1 || read(s2, &b, 1) != 1 || b != 'z') {
		printf("nettest: %s: the second connection after the old "
		       "socket's close: %s\n",
		       what, strerror(errno));
		return 1;
	}
	close(c2);
	close(s2);
	return 0;
}

/*
 * The server's side gets the client's data and FIN, then shuts its own
 * side (CLOSE-WAIT to LAST-ACK) and reads the data and the end of file
 * before the client's ACK of its FIN comes back. lwIP 2.1.3 freed the pcb
 * at that ACK without telling the socket, because reading the end of file
 * had set TF_RXCLOSED (net/lwip/patches/tcp_in-closed-err.patch), and the
 * socket's close() then closed whatever had the memory next: here, the
 * connection opened just before it. The order needs one vCPU: above the
 * tcpip thread's priority, this thread runs until it sleeps, so the FIN
 * that shutdown() queues on the loopback interface goes out only then.
 */
static int lastack(void)
{
	struct timeval tv = { .tv_sec = 5 };
	int ls = listen_on(INADDR_LOOPBACK, LASTACK_PORT), c, s, n;
	char b[4];

	if (ls < 0)
		return fail("lastack: listen");
	c = connect_from(0, LASTACK_PORT);
	s = c < 0 ? -1 : accept(ls, NULL, NULL);
	if (c < 0 || s < 0)
		return fail("lastack: first connection");
	if (write(c, "q", 1) != 1 || shutdown(c, SHUT_WR) != 0)
		return fail("lastack: the client's data and FIN");
	usleep(200 * 1000);
	thread_set_priority(thread_self(), PRIO_ABOVE_TCPIP);
	n = shutdown(s, SHUT_WR) == 0 && read(s, b, 1) == 1 && b[0] == 'q' &&
	    read(s, b, 1) == 0;
	thread_set_priority(thread_self(), PRIO_DEFAULT);
	if (!n)
		return fail("lastack: shutdown, then the data and end of file");
	usleep(200 * 1000);
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read(c, b, 1) != 0)
		return fail("lastack: the server's FIN");
	if (close_old_then_exchange("lastack", ls, 0, LASTACK_PORT, s))
		return 1;
	close(c);
	close(ls);
	printf("nettest: lastack: a socket closed after LAST-ACK ended left "
	       "the next connection alone\n");
	return 0;
}

/*
 * The server shuts its side with shutdown(SHUT_WR) and reads the client's
 * FIN, which puts its connection in TIME-WAIT while its socket is still
 * open; the client comes back from the same port; only then does the
 * server close the old socket. lwIP frees TIME-WAIT pcbs without telling
 * the socket (net/lwip/tcp_reuse.c), and the close used to land on the
 * freed pcb, which by then was the new connection's.
 */
static int reuse_half_closed(int ls)
{
	struct timeval tv = { .tv_sec = 5 };
	int c, s;
	char b;

	c = connect_from(REUSE_CLIENT, REUSE_SERVER);
	s = c < 0 ? -1 : accept(ls, NULL, NULL);
	if (c < 0 || s < 0)
		return fail("reuse: half-closed: first connection");
	if (write(s, "x", 1) != 1 || read(c, &b, 1) != 1 || b != 'x' ||
	    shutdown(s, SHUT_WR) != 0 || read(c, &b, 1) != 0)
		return fail("reuse: half-closed: exchange");
	close(c);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (read(s, &b, 1) != 0)
		return fail("reuse: half-closed: the client's end of file");
	usleep(1500 * 1000);
	return close_old_then_exchange("reuse: half-closed", ls, REUSE_CLIENT,
				       REUSE_SERVER, s);
}

/*
 * The same 4-tuple twice, the server closing first each time: the second
 * SYN finds the server's side in TIME-WAIT. lwIP alone answers it with a
 * RST (the client's new sequence number is inside the old window) or,
 * for a client like Linux whose number is farther on, with an ACK that
 * stalls the client until TIME-WAIT ends; net/lwip/tcp_reuse.c lets it
 * through to the listener.
 */
static int reuse(void)
{
	int ls = listen_on(INADDR_LOOPBACK, REUSE_SERVER), c, s;
	struct timespec t0;
	double ms = 0;
	char b;

	if (ls < 0)
		return fail("reuse: listen");
	for (int round = 0; round < 2; round++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		c = connect_from(REUSE_CLIENT, REUSE_SERVER);
		if (c < 0) {
			printf("nettest: reuse: connect %d from port %d "
			       "(round %d, %.0f ms): %s\n",
			       REUSE_SERVER, REUSE_CLIENT, round + 1,
			       ms_since(&t0), strerror(errno));
			return 1;
		}
		s = accept(ls, NULL, NULL);
		if (s < 0)
			return fail("reuse: accept");
		ms = ms_since(&t0);
		/* The server speaks and closes first; the client closes on
		 * end of file, which puts the server's side in TIME-WAIT. */
		if (write(s, "x", 1) != 1 || read(c, &b, 1) != 1 || b != 'x')
			return fail("reuse: exchange");
		close(s);
		if (read(c, &b, 1) != 0)
			return fail("reuse: end of file");
		close(c);
		/* The client's side goes away with the server's last ACK,
		 * and the next SYN's sequence number must be beyond the old
		 * connection's FIN: initial sequence numbers follow a 4 us
		 * clock (RFC 6528), so 1.5 s puts it 375,000 further. */
		usleep(1500 * 1000);
	}
	if (reuse_half_closed(ls))
		return 1;
	close(ls);
	if (ms > 2000) {
		printf("nettest: reuse: the second connection took %.0f ms\n",
		       ms);
		return 1;
	}
	c = connect_from(0, REUSE_CLOSED);
	if (c >= 0 || errno != ECONNREFUSED) {
		printf("nettest: reuse: connect to closed port %d: %s, not "
		       "ECONNREFUSED\n",
		       REUSE_CLOSED, c >= 0 ? "connected" : strerror(errno));
		return 1;
	}
	printf("nettest: reuse: port %d again to %d past TIME-WAIT in %.0f ms, "
	       "also with the old socket open; closed port: %s\n",
	       REUSE_CLIENT, REUSE_SERVER, ms, strerror(errno));
	return 0;
}

static int connect_to(const char *ip, int port, long bytes, int tries_s)
{
	struct sockaddr_in a = { 0 };
	static char buf[65536];
	char reply[64];
	long sent = 0;
	ssize_t n;
	int c = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		printf("nettest: %s: not an address\n", ip);
		return 1;
	}
	for (time_t end = time(NULL) + tries_s;;) {
		int err;

		if (connect(c, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		err = errno; /* time() may change it */
		if (time(NULL) > end) {
			errno = err;
			return fail("connect");
		}
		close(c);
		usleep(200 * 1000);
		c = socket(AF_INET, SOCK_STREAM, 0);
	}
	memset(buf, 'x', sizeof(buf));
	while (sent < bytes) {
		long want = bytes - sent;

		n = write(c, buf,
			  want > (long)sizeof(buf) ? sizeof(buf)
						   : (size_t)want);
		if (n <= 0)
			return fail("write");
		sent += n;
	}
	shutdown(c, SHUT_WR);
	n = read(c, reply, sizeof(reply) - 1);
	if (n <= 0)
		return fail("read reply");
	reply[n] = '\0';
	printf("nettest: sent %ld bytes, host counted %s", sent, reply);
	close(c);
	return 0;
}

/* The Internet checksum (RFC 1071) of an ICMP message. */
static uint16_t icmp_sum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* N echo requests to IP, one at a time, each given 2 s for its reply;
 * waits up to 30 s for the first, while DHCP may still run. */
static int ping(const char *ip, int count)
{
	struct sockaddr_in a = { 0 };
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), got = 0;
	struct timespec t0, t1;
	double worst = 0;
	ssize_t send_rc = 0;
	int send_errno = 0;

	a.sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		printf("nettest: %s: not an address\n", ip);
		return 1;
	}
	if (s < 0)
		return fail("raw socket");
	for (int seq = 1; seq <= count; seq++) {
		uint8_t req[64] = { 8 }; /* type 8: echo request */
		uint8_t rep[128];
		time_t end = time(NULL) + (got ? 2 : 30);
		bool answered = false;
		uint16_t sum;

		req[4] = 0x5f;
		req[5] = 0x1a;
		req[6] = (uint8_t)(seq >> 8);
		req[7] = (uint8_t)seq;
		for (size_t i = 8; i < sizeof(req); i++)
			req[i] = (uint8_t)i;
		sum = icmp_sum(req, sizeof(req));
		req[2] = (uint8_t)(sum >> 8);
		req[3] = (uint8_t)sum;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!answered && time(NULL) <= end) {
			struct pollfd p = { s, POLLIN, 0 };
			ssize_t n;

			n = sendto(s, req, sizeof(req), 0,
				   (struct sockaddr *)&a, sizeof(a));
			if (n != (ssize_t)sizeof(req)) {
				/* No route yet while DHCP runs: try again. */
				send_rc = n;
				send_errno = errno;
				usleep(200 * 1000);
				continue;
			}
			while (!answered && poll(&p, 1, 1000) > 0) {
				size_t hl;

				n = recv(s, rep, sizeof(rep), 0);
				if (n < 20)
					break;
				/* A raw IPv4 socket gets the IP header too. */
				hl = (size_t)(rep[0] & 15) * 4;
				answered = (size_t)n >= hl + 8 &&
					   rep[hl] == 0 &&
					   rep[hl + 4] == 0x5f &&
					   rep[hl + 5] == 0x1a &&
					   rep[hl + 6] == req[6] &&
					   rep[hl + 7] == req[7];
			}
		}
		if (!answered) {
			printf("nettest: ping %s: no reply to request %d "
			       "(the last failed sendto gave %zd, %s)\n",
			       ip, seq, send_rc,
			       send_rc ? strerror(send_errno) : "none");
			close(s);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		got++;
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ms > worst)
			worst = ms;
	}
	close(s);
	printf("nettest: ping %s: %d of %d answered, slowest %.1f ms\n", ip,
	       got, count, worst);
	return 0;
}

/* The server side of churn: accept, read the request, answer, close
 * first (the server's side of each connection goes to TIME-WAIT). */
static void *churn_server(void *arg)
{
	int ls = *(int *)arg;
	char buf[64];

	for (;;) {
		int c = accept(ls, NULL, NULL);

		if (c < 0)
			return NULL;
		if (read(c, buf, sizeof(buf)) > 0)
			write(c, "ok\n", 3);
		close(c);
	}
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* N connections one after another to a local server that closes first:
 * the rate of the first and the last thousand shows whether the pile of
 * TIME-WAIT connections slows the stack down. */
static int churn(int n)
{
	struct sockaddr_in a = { 0 };
	int ls = listen_on(INADDR_LOOPBACK, 7790);
	double first = 0, last = 0;
	struct timespec t0, t1;
	pthread_t t;

	if (n < 2000) {
		printf("nettest: churn: at least 2000 connections\n");
		return 1;
	}
	if (ls < 0)
		return fail("churn listen");
	pthread_create(&t, NULL, churn_server, &ls);
	a.sin_family = AF_INET;
	a.sin_port = htons(7790);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		char buf[8];

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    write(c, "hi\n", 3) != 3 ||
		    read(c, buf, sizeof(buf)) != 3) {
			printf("nettest: churn: connection %d of %d: %s\n", i,
			       n, strerror(errno));
			return 1;
		}
		close(c);
		if (i == 999)
			first = 1000 / secs_since(&t0);
		if (i == n - 1001)
			clock_gettime(CLOCK_MONOTONIC, &t1);
	}
	last = 1000 / secs_since(&t1);
	printf("nettest: churn: %d connections closed by the server first; "
	       "%.0f/s for the first thousand, %.0f/s for the last\n",
	       n, first, last);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	while (i < argc) {
		const char *step = argv[i];
		int left = argc - i - 1, rc;

		if (strcmp(step, "loopback") == 0) {
			rc = loopback();
			i += 1;
		} else if (strcmp(step, "ping") == 0 && left >= 2) {
			rc = ping(argv[i + 1], atoi(argv[i + 2]));
			i += 3;
		} else if (strcmp(step, "connect") == 0 && left >= 3) {
			/* An optional fourth number: the seconds to retry. */
			bool secs = left >= 4 && argv[i + 4][0] >= '0' &&
				    argv[i + 4][0] <= '9';

			rc = connect_to(argv[i + 1], atoi(argv[i + 2]),
					atol(argv[i + 3]),
					secs ? atoi(argv[i + 4]) : 30);
			i += secs ? 5 : 4;
		} else if (strcmp(step, "churn") == 0 && left >= 1) {
			rc = churn(atoi(argv[i + 1]));
			i += 2;
		} else if (strcmp(step, "reuse") == 0) {
			rc = reuse();
			i += 1;
		} else if (strcmp(step, "lastack") == 0) {
			rc = lastack();
			i += 1;
		} else if (strcmp(step, "serve") == 0 && left >= 1) {
			rc = serve(atoi(argv[i + 1]));
			i += 2;
		} else {
			goto usage;
		}
		if (rc)
			return rc;
	}
	return 0;
usage:
	printf("nettest: usage: steps of loopback | reuse | lastack | churn N "
	       "| ping IP "
	       "N | "
	       "connect IP PORT BYTES [SECONDS] | churn N | serve PORT\n");
	return 1;
}
