/*
 * DHCP as clouds serve it, through lwIP's hooks: request and apply the
 * interface MTU (option 26, RFC 2132 §5.1; GCE gives 1460) and classless
 * static routes (option 121, RFC 3442; GCE leases a /32 address and
 * reaches its gateway through a host route). lwIP's client knows neither.
 * As RFC 3442 requires, when option 121 is present the router option (3)
 * is ignored: the default gateway is the 0.0.0.0/0 route's.
 *
 * For troubleshooting, the kernel options dhcp.routes=off and dhcp.mtu=off
 * make the client ignore option 121 or 26, as a client that knows neither
 * would; both are still requested, and the bind says what was ignored.
 */
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/dhcp.h"
#include "skiff_lwip_hooks.h"
#include "skiff_net.h"
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <net/netdev.h>

#define OPT_PAD 0
#define OPT_END 255
#define OPT_PRL 55
#define OPT_MTU 26
#define OPT_ROUTES 121
#define MTU_MIN 576

static const u8_t wanted[] = { OPT_MTU, OPT_ROUTES };

/*
 * Add our codes to the parameter request list. lwIP writes the list last
 * (with no hostname option configured), so it can grow in place; if it
 * is not last, a second list follows, which RFC 3396 says a server
 * concatenates with the first.
 */
void skiff_dhcp_append_options(struct netif *netif, struct dhcp *dhcp,
			       u8_t state, struct dhcp_msg *msg, u8_t msg_type,
			       u16_t *len)
{
	u8_t *o = msg->options;
	u16_t i = 0, prl = 0xffff;

	(void)netif;
	(void)dhcp;
	(void)state;
	if (msg_type != DHCP_DISCOVER && msg_type != DHCP_REQUEST &&
	    msg_type != DHCP_INFORM)
		return;
	if (*len + 2 + sizeof(wanted) > DHCP_OPTIONS_LEN)
		return;
	while (i < *len) {
		if (o[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 1 >= *len)
			break;
		if (o[i] == OPT_PRL)
			prl = i;
		i += 2 + o[i + 1];
	}
	if (prl != 0xffff && prl + 2 + o[prl + 1] == *len &&
	    o[prl + 1] + sizeof(wanted) <= 255) {
		o[prl + 1] += sizeof(wanted);
	} else {
		o[(*len)++] = OPT_PRL;
		o[(*len)++] = sizeof(wanted);
	}
	memcpy(o + *len, wanted, sizeof(wanted));
	*len += sizeof(wanted);
}

/* RFC 3442 §2: width, then the significant octets of the destination,
 * then the router. Returns false for a malformed list (then the whole
 * option is ignored, as the RFC asks). */
static bool parse_routes(struct skiff_netif *sn, const u8_t *b, u8_t len)
{
	unsigned i = 0, n = 0;

	while (i < len) {
		u8_t width = b[i++];
		unsigned octets = (width + 7u) / 8u;
		u8_t dst[4] = { 0 };
		struct skiff_route *r;

		if (width > 32 || i + octets + 4 > len)
			return false;
		memcpy(dst, b + i, octets);
		i += octets;
		if (n < SKIFF_ROUTES_MAX) {
			r = &sn->routes[n++];
			IP4_ADDR(&r->dest, dst[0], dst[1], dst[2], dst[3]);
			r->prefix = width;
			IP4_ADDR(&r->gw, b[i], b[i + 1], b[i + 2], b[i + 3]);
		}
		i += 4;
	}
	sn->nroutes = n;
	return true;
}

void skiff_dhcp_parse_option(struct netif *netif, struct dhcp *dhcp, u8_t state,
			     struct dhcp_msg *msg, u8_t msg_type, u8_t option,
			     u8_t len, struct pbuf *p, u16_t offset)
{
	struct skiff_netif *sn = skiff_netif_of(netif);
	u8_t buf[255];

	(void)dhcp;
	(void)state;
	(void)msg;
	if (!sn || msg_type != DHCP_ACK)
		return;
	/* A new message: forget what the last one said. */
	if (sn->parsing != p) {
		sn->parsing = p;
		sn->dhcp_mtu = 0;
		sn->have_routes = false;
		sn->nroutes = 0;
	}
	if (option != OPT_MTU && option != OPT_ROUTES)
		return;
	if (pbuf_copy_partial(p, buf, len, offset) != len)
		return;
	if (option == OPT_MTU) {
		u16_t mtu = (u16_t)((buf[0] << 8) | buf[1]);

		if (len != 2 || mtu < MTU_MIN) {
			kprintf("dhcp: %s: option 26 (MTU) malformed or below "
				"%d; ignored\n",
				sn->nd->name, MTU_MIN);
			return;
		}
		sn->dhcp_mtu = mtu;
		return;
	}
	if (parse_routes(sn, buf, len))
		sn->have_routes = true;
	else
		kprintf("dhcp: %s: option 121 (classless routes) malformed; "
			"ignored\n",
			sn->nd->name);
}

static u32_t prefix_mask(u8_t prefix)
{
	return prefix ? lwip_htonl(0xffffffffu << (32 - prefix)) : 0;
}

/* Is the knob dhcp.NAME set to off? Anything but on or off is named in
 * the log and taken as on, the default. */
static bool knob_off(const char *name)
{
	const char *v = cmdline_option(kernel_cmdline(), name);

	if (!v || strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return false;
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return true;
	kprintf("dhcp: %s=%s: not on or off; on\n", name, v);
	return false;
}

/* At bind, from lwIP's status callback (tcpip thread). */
void skiff_dhcp_apply(struct skiff_netif *sn)
{
	const char *dev = sn->nd->name;
	ip4_addr_t gw;

	if (sn->dhcp_mtu && knob_off("dhcp.mtu")) {
		kprintf("dhcp: %s: dhcp.mtu=off: option 26 (mtu %u) ignored\n",
			dev, sn->dhcp_mtu);
	} else if (sn->dhcp_mtu) {
		u16_t limit = sn->nif.mtu;

		/* Never above what the device takes. */
		sn->nif.mtu = sn->dhcp_mtu < limit ? sn->dhcp_mtu : limit;
	}
	sn->nactive = 0;
	if (!sn->have_routes)
		return;
	if (knob_off("dhcp.routes")) {
		/* The router option (3), if any, stays lwIP's gateway. */
		kprintf("dhcp: %s: dhcp.routes=off: option 121 (%u routes) "
			"ignored\n",
			dev, sn->nroutes);
		return;
	}
	memcpy(sn->active, sn->routes, sizeof(sn->routes));
	sn->nactive = sn->nroutes;
	ip4_addr_set_zero(&gw);
	for (unsigned i = 0; i < sn->nactive; i++)
		if (sn->active[i].prefix == 0)
			gw = sn->active[i].gw;
	netif_set_gw(&sn->nif, &gw);
}

/* lwIP's ETHARP_GET_GW hook: for a destination off the interface's
 * subnet, the next hop by longest prefix among the option 121 routes
 * (the destination itself when the route is on-link); NULL lets lwIP use
 * the interface's gateway. */
const struct ip4_addr *skiff_route_gateway(struct netif *netif,
					   const struct ip4_addr *dest)
{
	struct skiff_netif *sn = skiff_netif_of(netif);
	const struct skiff_route *best = NULL;

	if (!sn)
		return NULL;
	for (unsigned i = 0; i < sn->nactive; i++) {
		const struct skiff_route *r = &sn->active[i];
		u32_t m = prefix_mask(r->prefix);

		if ((ip4_addr_get_u32(dest) & m) !=
		    (ip4_addr_get_u32(&r->dest) & m))
			continue;
		if (!best || r->prefix > best->prefix)
			best = r;
	}
	if (!best)
		return NULL;
	return ip4_addr_isany_val(best->gw) ? dest : &best->gw;
}

void skiff_routes_log(struct skiff_netif *sn)
{
	if (!sn->nactive)
		return;
	kprintf("dhcp: %s: routes", sn->nd->name);
	for (unsigned i = 0; i < sn->nactive; i++) {
		char d[16], g[16];

		ip4addr_ntoa_r(&sn->active[i].dest, d, sizeof(d));
		ip4addr_ntoa_r(&sn->active[i].gw, g, sizeof(g));
		if (ip4_addr_isany_val(sn->active[i].gw))
			kprintf("%s %s/%u on-link", i ? "," : "", d,
				sn->active[i].prefix);
		else
			kprintf("%s %s/%u via %s", i ? "," : "", d,
				sn->active[i].prefix, g);
	}
	kprintf("\n");
}
