/* TCP socket options (TCP_NODELAY, keep-alive): lwIP's definitions. */
#ifndef SKIFF_NETINET_TCP_H
#define SKIFF_NETINET_TCP_H

#include <sys/socket.h>

#endif
