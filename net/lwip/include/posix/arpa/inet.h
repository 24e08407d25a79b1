/*
 * Address conversion for apps. inet_addr, inet_aton and inet_ntoa are
 * lwIP's (macros in lwip/inet.h); inet_ntop and inet_pton are functions
 * (net/lwip/sockets.c).
 */
#ifndef SKIFF_ARPA_INET_H
#define SKIFF_ARPA_INET_H

#include <netinet/in.h>

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);
int inet_pton(int af, const char *src, void *dst);

#endif
