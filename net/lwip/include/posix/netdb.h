/* Name resolution for apps: lwIP's DNS client with the servers from the
 * DHCP lease or dns=. */
#ifndef SKIFF_NETDB_H
#define SKIFF_NETDB_H

#include <sys/socket.h>

#include "lwip/netdb.h"

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res);
void freeaddrinfo(struct addrinfo *ai);
struct hostent *gethostbyname(const char *name);
const char *gai_strerror(int err);

#endif
