/* poll() on sockets (net/lwip/sockets.c); struct pollfd is lwIP's. */
#ifndef SKIFF_POLL_H
#define SKIFF_POLL_H

#include <sys/socket.h>

int poll(struct pollfd *fds, nfds_t nfds, int timeout);

#endif
