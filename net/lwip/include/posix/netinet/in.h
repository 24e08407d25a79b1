/* IPv4 addresses and ports for apps: lwIP's definitions. */
#ifndef SKIFF_NETINET_IN_H
#define SKIFF_NETINET_IN_H

#include <sys/socket.h>

#endif
