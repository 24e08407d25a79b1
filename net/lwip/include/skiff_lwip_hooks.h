/*
 * lwIP hooks (included by lwIP's sources through LWIP_HOOK_FILENAME):
 * DHCP options 26 and 121 (net/lwip/dhcp_cloud.c) and the route lookup
 * that option 121's routes feed; a SYN that reopens a connection in
 * TIME-WAIT, and its initial sequence number (net/lwip/tcp_reuse.c).
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

/* The addresses are ip_addr_t, which is struct ip4_addr (LWIP_IPV6 is 0)
 * but not yet declared where some lwIP sources include this file. */
int skiff_tcp_timewait_syn(struct pbuf *p, struct netif *inp);
u32_t skiff_tcp_isn(const struct ip4_addr *local, u16_t lport,
		    const struct ip4_addr *remote, u16_t rport);

#define LWIP_HOOK_IP4_INPUT(p, inp) skiff_tcp_timewait_syn(p, inp)
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port)        \
	skiff_tcp_isn(local_ip, local_port, remote_ip, remote_port)

#endif
