/*
 * lwIP hooks (included by lwIP's sources through LWIP_HOOK_FILENAME):
 * DHCP options 26 and 121 (net/lwip/dhcp_cloud.c) and the route lookup
 * that option 121's routes feed.
 */
#ifndef SKIFF_LWIP_HOOKS_H
#define SKIFF_LWIP_HOOKS_H

#include "lwip/arch.h"

struct netif;
struct dhcp;
struct dhcp_msg;
struct pbuf;
struct ip4_addr;

void skiff_dhcp_append_options(struct netif *netif, struct dhcp *dhcp,
			       u8_t state, struct dhcp_msg *msg, u8_t msg_type,
			       u16_t *options_len);
void skiff_dhcp_parse_option(struct netif *netif, struct dhcp *dhcp, u8_t state,
			     struct dhcp_msg *msg, u8_t msg_type, u8_t option,
			     u8_t len, struct pbuf *p, u16_t offset);
const struct ip4_addr *skiff_route_gateway(struct netif *netif,
					   const struct ip4_addr *dest);

#define LWIP_HOOK_DHCP_APPEND_OPTIONS(netif, dhcp, state, msg, msg_type,       \
				      options_len_ptr)                         \
	skiff_dhcp_append_options(netif, dhcp, state, msg, msg_type,           \
				  options_len_ptr)
#define LWIP_HOOK_DHCP_PARSE_OPTION(netif, dhcp, state, msg, msg_type, option, \
				    len, pbuf, offset)                         \
	skiff_dhcp_parse_option(netif, dhcp, state, msg, msg_type, option,     \
				len, pbuf, offset)
#define LWIP_HOOK_ETHARP_GET_GW(netif, dest) skiff_route_gateway(netif, dest)

#endif
