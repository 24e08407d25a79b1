/*
 * The network benchmark's server: one program, built as the unikernel's
 * app and natively as a static Linux binary for the Linux guest, so that
 * both guests run the same code. bench/net.sh drives it from the host
 * with bench/netclient.c.
 *
 *   sink PORT  for each connection, count bytes until EOF, then reply
 *              with the count as a decimal line and close (throughput)
 *   rr PORT    for each connection, read one request line (at most
 *              1 KiB), write a fixed small reply and close (connection
 *              rate)
 *
 * One thread per connection. Once listening it prints
 * "netbench: MODE ready on port PORT". A connection whose first bytes
 * are "quit\n" (and nothing else) makes the program exit with status 0,
 * which ends the VM (isa-debug-exit, or the Linux guest's poweroff).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQUEST_MAX 1024
#define SINK_BUF (64 * 1024)

static const char reply[] =
	"netbench: 64-byte reply for the connection-rate test...........\n";
_Static_assert(sizeof(reply) - 1 == 64, "the rr reply is 64 bytes");

static void quit_if_asked(const char *buf, ssize_t n)
{
	if (n == 5 && memcmp(buf, "quit\n", 5) == 0) {
		printf("netbench: quit\n");
		fflush(stdout);
		exit(0);
	}
}

static int write_all(int c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(c, buf, len);

		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static void *sink_conn(void *arg)
{
	int c = (int)(long)arg;
	char *buf = malloc(SINK_BUF);
	unsigned long long total = 0;
	char line[32];
	ssize_t n;

	if (!buf)
		goto out;
	while ((n = read(c, buf, SINK_BUF)) > 0) {
		if (total == 0)
			quit_if_asked(buf, n);
		total += (unsigned long long)n;
	}
	if (n == 0) {
		snprintf(line, sizeof(line), "%llu\n", total);
		write_all(c, line, strlen(line));
	}
	free(buf);
out:
	close(c);
	return NULL;
}

static void *rr_conn(void *arg)
{
	int c = (int)(long)arg;
	char req[REQUEST_MAX];
	size_t have = 0;
	ssize_t n;

	/* The request is complete at its newline, at EOF or at 1 KiB. */
	while (have < sizeof(req)) {
		n = read(c, req + have, sizeof(req) - have);
		if (n <= 0)
			break;
		if (have == 0)
			quit_if_asked(req, n);
		have += (size_t)n;
		if (memchr(req + have - n, '\n', (size_t)n))
			break;
	}
	if (have > 0)
		write_all(c, reply, sizeof(reply) - 1);
	close(c);
	return NULL;
}

static int serve(void *(*conn)(void *), const char *mode, int port)
{
	struct sockaddr_in a = { 0 };
	pthread_attr_t at;
	int one = 1, ls;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0) {
		printf("netbench: socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 128) < 0) {
		printf("netbench: bind/listen on port %d: %s\n", port,
		       strerror(errno));
		return 1;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 64 * 1024);
	printf("netbench: %s ready on port %d\n", mode, port);
	fflush(stdout);

	for (;;) {
		pthread_t t;
		int c = accept(ls, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			printf("netbench: accept: %s\n", strerror(errno));
			return 1;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, &at, conn, (void *)(long)c) != 0) {
			printf("netbench: pthread_create failed; connection "
			       "dropped\n");
			close(c);
		}
	}
}

int main(int argc, char **argv)
{
	int port = argc > 2 ? atoi(argv[2]) : 0;

	if (argc != 3 || port <= 0 || port > 65535) {
		printf("usage: netbench sink|rr PORT\n");
		return 2;
	}
	if (strcmp(argv[1], "sink") == 0)
		return serve(sink_conn, "sink", port);
	if (strcmp(argv[1], "rr") == 0)
		return serve(rr_conn, "rr", port);
	printf("netbench: unknown mode '%s' (sink or rr)\n", argv[1]);
	return 2;
}
