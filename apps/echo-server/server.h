/*
 * The echo server's connection handling: a listening TCP socket on all
 * IPv4 addresses, a thread per connection (at most ECHO_MAX_CONNS at
 * once; further connections wait in the listen backlog), HTTP/1.1
 * keep-alive and pipelining, and timeouts so that an idle or slow client
 * holds only its own thread.
 */
#ifndef ECHO_SERVER_H
#define ECHO_SERVER_H

#define ECHO_MAX_CONNS 512
/* A kept-alive connection may wait this long for its next request. */
#define ECHO_IDLE_TIMEOUT_MS (60 * 1000)
/* A request's head must arrive within this time of its first byte, and
 * each read of a body and each write may wait this long. */
#define ECHO_READ_TIMEOUT_MS (30 * 1000)

/* Listen on port and serve forever; returns only on a listen error. */
int echo_serve(int port);

#endif
