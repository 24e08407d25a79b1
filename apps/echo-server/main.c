/*
 * echo-server: the HTTP "echo" server of the tutorial, a port of the Go
 * program (gopl.io's echo server) that answers every request with its
 * method, URL, protocol, header fields, host, remote address and form
 * values, as the Go program prints them.
 *
 *   echo-server [-port N | --port N | N]      (default: $PORT, else 8000)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static int parse_port(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

static void usage(void)
{
	fprintf(stderr, "usage: echo-server [-port N | N]   (or PORT=N; "
			"default 8000)\n");
}

int main(int argc, char **argv)
{
	const char *arg = NULL;
	int port = 8000;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-port") || !strcmp(argv[i], "--port")) {
			if (i + 1 >= argc) {
				usage();
				return 2;
			}
			arg = argv[++i];
		} else if (!strncmp(argv[i], "-port=", 6) ||
			   !strncmp(argv[i], "--port=", 7)) {
			arg = strchr(argv[i], '=') + 1;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage();
			return 0;
		} else {
			arg = argv[i];
		}
	}
	if (!arg)
		arg = getenv("PORT");
	if (arg) {
		port = parse_port(arg);
		if (port < 0) {
			fprintf(stderr, "echo-server: bad port '%s'\n", arg);
			usage();
			return 2;
		}
	}
	/* A client that goes away mid-reply must not end the server. */
	signal(SIGPIPE, SIG_IGN);
	printf("This is an \"echo\" server that displays request parameters.\n"
	       "Start the server and send a http request to it (e.g.\n"
	       "curl http://localhost:%d/help). The server uses port %d.\n"
	       "In a VM with QEMU's user network, forward the port to reach "
	       "it, e.g.\n"
	       "-netdev user,id=n0,hostfwd=tcp:127.0.0.1:%d-:%d\n",
	       port, port, port, port);
	fflush(stdout);
	if (echo_serve(port) < 0) {
		perror("echo-server: listen");
		return 1;
	}
	return 0;
}
