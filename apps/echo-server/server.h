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
/*
 * Each connection thread's stack. The deepest a connection went under
 * tests/echo/check.py (all its cases, console logging included) was under
 * 3 KiB below the thread's first frame; 32 KiB leaves room for interrupt
 * frames and libc paths the checks miss, and a guard page below faults on
 * overflow. On skiff stacks are real memory: 100 connections take
 * 100 x 36 KiB with the guard, where 128 KiB stacks took 13 MiB.
 */
#define ECHO_STACK_SIZE (32 * 1024)
/* A kept-alive connection may wait this long for its next request. */
#define ECHO_IDLE_TIMEOUT_MS (60 * 1000)
/* A request's head must arrive within this time of its first byte, and
 * each read of a body and each write may wait this long. */
#define ECHO_READ_TIMEOUT_MS (30 * 1000)

/* Listen on port and serve forever; returns only on a listen error. */
int echo_serve(int port);

#endif
