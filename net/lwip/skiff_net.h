/*
 * Inside net/lwip/: the per-interface state shared by netif.c and
 * dhcp_cloud.c.
 */
#ifndef SKIFF_NET_H
#define SKIFF_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include <kernel/sync.h>

#define SKIFF_ROUTES_MAX 16

struct netdev;

struct skiff_route {
	ip4_addr_t dest;
	uint8_t prefix;
	ip4_addr_t gw; /* 0: on-link */
};

struct skiff_netif {
	struct netif nif;
	struct netdev *nd;
	struct ksem tx_room;
	uint64_t config_start;
	bool configured, is_static;
	uint64_t rx_dropped, tx_dropped;
	uint64_t rx_csum_bad; /* TCP/UDP checksums found bad (dropped) */
	uint64_t csum_log_at; /* when the next such drop may be logged */
	/* From the last DHCPACK: option 26 and option 121. */
	uint16_t dhcp_mtu;
	bool have_routes;
	unsigned nroutes;
	struct skiff_route routes[SKIFF_ROUTES_MAX];
	struct pbuf *parsing; /* the message the options above came from */
	/* In force (applied at bind). */
	unsigned nactive;
	struct skiff_route active[SKIFF_ROUTES_MAX];
};

struct skiff_netif *skiff_netif_of(struct netif *n);
void skiff_dhcp_apply(struct skiff_netif *sn);
void skiff_routes_log(struct skiff_netif *sn);

void net_start(void);
bool net_configured(void);

#endif
