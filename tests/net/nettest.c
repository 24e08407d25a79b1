/*
 * The network test app: one program, modes chosen by argv, each printing
 * one result line that tests/net/run.sh checks.
 *   loopback            1 MiB through a TCP connection to itself, UDP too
 *   connect IP PORT N [S]
 *                       send N bytes to a host TCP sink and read back its
 *                       count (the host side answers a byte count); the
 *                       connection is retried for S seconds (default 30)
 *                       while DHCP runs
 *   serve PORT          a TCP echo server, one thread per connection,
 *                       until a client sends "quit\n" as a whole message
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
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

int main(int argc, char **argv)
{
	int rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "loopback") == 0)
		rc = loopback();
	else if (argc >= 5 && strcmp(argv[1], "connect") == 0)
		rc = connect_to(argv[2], atoi(argv[3]), atol(argv[4]),
				argc >= 6 ? atoi(argv[5]) : 30);
	else if (argc >= 3 && strcmp(argv[1], "serve") == 0)
		rc = serve(atoi(argv[2]));
	else
		printf("nettest: usage: loopback | connect IP PORT BYTES "
		       "[SECONDS] | serve PORT\n");
	return rc;
}
