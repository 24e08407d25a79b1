/*
 * The network's start and lwIP's network interfaces on our devices
 * (net/netdev.h): one lwIP netif per device, configured by DHCP or by
 * the kernel options ip=, netmask=, gw=, mtu= and dns= (ip= turns DHCP
 * off). Frames go both ways without a copy: each buffer of a received
 * frame becomes a custom pbuf of a chain, which gives it back to the
 * driver when lwIP frees it, and a pbuf chain to send becomes the
 * driver's fragment list, referenced until the device has read it.
 *
 * Received checksums: lwIP checks every one, except the TCP or UDP
 * checksum of a whole (unfragmented) IPv4 packet, which is decided here
 * in the driver's thread: good when the device vouches for it (it checked
 * it, or the frame was made on the host with a partial checksum in the
 * place it should be, as Linux takes CHECKSUM_PARTIAL), else computed
 * here; a bad one is dropped and counted (rx_csum_bad). lwIP's own TCP
 * and UDP checks are then turned off around that one frame, in the
 * tcpip thread. Fragments keep lwIP's checks, which run after reassembly.
 *
 * net_start() runs in the app's main thread before main(): it starts the
 * tcpip thread and the interfaces and returns; DHCP completes in the
 * background and is logged with the time it took.
 */
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"
#include "skiff_net.h"
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/time.h>
#include <net/netdev.h>

#define TX_WAIT_NS (200 * NSEC_PER_MSEC)
#define DHCP_NAG_MS 5000

static struct skiff_netif nifs[NETDEV_MAX];
static unsigned nif_count;

struct skiff_netif *skiff_netif_of(struct netif *n)
{
	for (unsigned i = 0; i < nif_count; i++)
		if (&nifs[i].nif == n)
			return &nifs[i];
	return NULL;
}

/* --- receive --- */

struct rx_pbuf {
	struct pbuf_custom pc;
	struct netdev *nd;
	struct netdev_rxbuf *buf;
	bool l4_good; /* first of a frame: TCP/UDP checksum known good */
};

#define ETH_HLEN 14
#define ETHTYPE_IPV4 0x0800
#define RX_LOG_INTERVAL_NS NSEC_PER_SEC

static void rx_pbuf_free(struct pbuf *p)
{
	struct rx_pbuf *r = (struct rx_pbuf *)p;

	r->nd->ops->rx_release(r->nd, r->buf);
	kfree(r);
}

static u16_t get16(const u8_t *p)
{
	return (u16_t)(p[0] << 8 | p[1]);
}

enum l4_verdict { L4_LWIP, L4_GOOD, L4_BAD };

/*
 * The TCP or UDP checksum of a frame whose pbuf chain is p: L4_LWIP when
 * lwIP is to check as usual (not IPv4, not TCP or UDP, a fragment, a
 * header lwIP will reject, or one not in the first buffer). *proto and
 * *src are set for TCP and UDP.
 */
static enum l4_verdict l4_verdict(const struct netdev_rxframe *f,
				  struct pbuf *p, u8_t *proto, ip4_addr_t *src)
{
	const u8_t *eth = p->payload, *ip = eth + ETH_HLEN;
	u16_t hlen, tot, off, l4len, sum;
	ip4_addr_t dst;

	if (p->len < ETH_HLEN + IP_HLEN || get16(eth + 12) != ETHTYPE_IPV4 ||
	    IPH_V((const struct ip_hdr *)ip) != 4)
		return L4_LWIP;
	hlen = (u16_t)((ip[0] & 0xf) * 4);
	tot = get16(ip + 2);
	if (hlen < IP_HLEN || ETH_HLEN + hlen + 8u > p->len || tot < hlen ||
	    ETH_HLEN + (size_t)tot > p->tot_len)
		return L4_LWIP;
	if (get16(ip + 6) & (IP_MF | IP_OFFMASK))
		return L4_LWIP;
	*proto = ip[9];
	if (*proto != IP_PROTO_TCP && *proto != IP_PROTO_UDP)
		return L4_LWIP;
	l4len = (u16_t)(tot - hlen);
	if (l4len < (*proto == IP_PROTO_TCP ? 20 : 8))
		return L4_LWIP;
	memcpy(&src->addr, ip + 12, 4);
	memcpy(&dst.addr, ip + 16, 4);
	off = (u16_t)(ETH_HLEN + hlen);
	switch (f->csum) {
	case NETDEV_RX_CSUM_VALID:
		return L4_GOOD;
	case NETDEV_RX_CSUM_PARTIAL:
		/* Partial where this packet's checksum is: the device has
		 * validated it (virtio 1.1, 5.1.6.4.1). Anywhere else the
		 * field holds a partial sum, which fails below. */
		if (f->csum_start == off &&
		    f->csum_offset == (*proto == IP_PROTO_TCP ? 16 : 6))
			return L4_GOOD;
		break;
	case NETDEV_RX_CSUM_NONE:
		break;
	}
	/* UDP without a checksum (RFC 768): lwIP does not check either. */
	if (*proto == IP_PROTO_UDP && get16(eth + off + 6) == 0)
		return L4_GOOD;
	pbuf_remove_header(p, off);
	sum = inet_chksum_pseudo_partial(p, *proto, l4len, l4len, src, &dst);
	pbuf_add_header_force(p, off);
	return sum == 0 ? L4_GOOD : L4_BAD;
}

static void log_csum_bad(struct skiff_netif *sn, u8_t proto,
			 const ip4_addr_t *src)
{
	uint64_t now = time_ns();
	char from[16];

	sn->rx_csum_bad++;
	if (now < sn->csum_log_at)
		return;
	sn->csum_log_at = now + RX_LOG_INTERVAL_NS;
	ip4addr_ntoa_r(src, from, sizeof(from));
	kprintf("net: %s: dropped a %s packet from %s with a bad checksum "
		"(%llu so far)\n",
		sn->nd->name, proto == IP_PROTO_TCP ? "TCP" : "UDP", from,
		(unsigned long long)sn->rx_csum_bad);
}

/* Release a frame's buffers from nb on, which no pbuf holds yet. */
static void release_from(struct netdev *nd, struct netdev_rxbuf *nb)
{
	while (nb) {
		struct netdev_rxbuf *next = nb->next;

		nd->ops->rx_release(nd, nb);
		nb = next;
	}
}

/* The driver's thread: the frame's buffers become a pbuf chain. */
static void dev_rx(struct netdev *nd, const struct netdev_rxframe *f)
{
	struct skiff_netif *sn = nd->stack.ctx;
	struct pbuf *head = NULL, *tail = NULL;
	struct netdev_rxbuf *nb = f->bufs;
	u16_t left = (u16_t)f->len;
	enum l4_verdict v;
	ip4_addr_t src;
	u8_t proto = 0;

	if (f->len > 0xffff)
		goto err_release;
	while (nb) {
		struct netdev_rxbuf *next = nb->next;
		struct rx_pbuf *r = kmalloc(sizeof(*r));
		struct pbuf *p;

		if (!r)
			goto err_release;
		r->nd = nd;
		r->buf = nb;
		r->l4_good = false;
		r->pc.custom_free_function = rx_pbuf_free;
		p = pbuf_alloced_custom(PBUF_RAW, (u16_t)nb->len, PBUF_REF,
					&r->pc, nb->data, (u16_t)nb->len);
		if (!p) {
			kfree(r);
			goto err_release;
		}
		p->next = NULL;
		if (tail)
			tail->next = p;
		else
			head = p;
		tail = p;
		nb = next;
	}
	/* A chain's tot_len counts the pbufs after each. */
	for (struct pbuf *q = head; q; q = q->next) {
		q->tot_len = left;
		left = (u16_t)(left - q->len);
	}
	v = l4_verdict(f, head, &proto, &src);
	if (v == L4_BAD) {
		log_csum_bad(sn, proto, &src);
		pbuf_free(head);
		sn->rx_dropped++;
		return;
	}
	((struct rx_pbuf *)head)->l4_good = v == L4_GOOD;
	if (sn->nif.input(head, &sn->nif) != ERR_OK) {
		pbuf_free(head);
		sn->rx_dropped++;
	}
	return;

err_release:
	if (head)
		pbuf_free(head);
	release_from(nd, nb);
	sn->rx_dropped++;
}

/*
 * The tcpip thread, for each received frame: lwIP's TCP and UDP checks
 * are off while it handles a frame whose checksum is known good (no other
 * packet reaches them meanwhile: only a fragment completes a reassembly,
 * and fragments are never marked good), and on for everything else.
 */
static err_t eth_input(struct pbuf *p, struct netif *n)
{
	struct rx_pbuf *r = (struct rx_pbuf *)p;
	err_t err;

	if (!(p->flags & PBUF_FLAG_IS_CUSTOM) ||
	    r->pc.custom_free_function != rx_pbuf_free || !r->l4_good)
		return ethernet_input(p, n);
	NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_ENABLE_ALL &
					   ~(NETIF_CHECKSUM_CHECK_TCP |
					     NETIF_CHECKSUM_CHECK_UDP));
	err = ethernet_input(p, n);
	NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_ENABLE_ALL);
	return err;
}

/* netif->input, in the driver's thread: on to the tcpip thread. */
static err_t nif_input(struct pbuf *p, struct netif *n)
{
	return tcpip_inpkt(p, n, eth_input);
}

/* --- transmit --- */

static void dev_tx_done(struct netdev *nd, void *cookie)
{
	struct skiff_netif *sn = nd->stack.ctx;

	pbuf_free(cookie);
	ksem_post(&sn->tx_room);
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	struct skiff_netif *sn = skiff_netif_of(n);
	struct netdev_frag frags[NETDEV_TX_FRAGS];
	struct pbuf *q, *send = p;
	unsigned nf = 0;
	int rc;

	for (q = p; q && nf < NETDEV_TX_FRAGS; q = q->next)
		nf++;
	if (q) {
		/* Too many pieces for one frame: one copy instead. */
		send = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (!send)
			return ERR_MEM;
	} else {
		pbuf_ref(p);
	}
	nf = 0;
	for (q = send; q; q = q->next) {
		if (!q->len)
			continue;
		frags[nf].data = q->payload;
		frags[nf].len = q->len;
		nf++;
	}
	for (;;) {
		rc = sn->nd->ops->tx(sn->nd, frags, nf, send);
		if (rc != -KERR_EAGAIN)
			break;
		/* The ring is full: wait for the device to take some. */
		if (ksem_wait_until(&sn->tx_room, time_ns() + TX_WAIT_NS) < 0) {
			rc = -KERR_EAGAIN;
			break;
		}
	}
	if (rc < 0) {
		pbuf_free(send);
		sn->tx_dropped++;
		return rc == -KERR_EAGAIN ? ERR_MEM : ERR_IF;
	}
	return ERR_OK;
}

/* --- link state --- */

static void link_changed_cb(void *arg)
{
	struct skiff_netif *sn = arg;

	if (sn->nd->link_up) {
		netif_set_link_up(&sn->nif);
		kprintf("net: %s: link up\n", sn->nd->name);
	} else {
		netif_set_link_down(&sn->nif);
		kprintf("net: %s: link down\n", sn->nd->name);
	}
}

static void dev_link_changed(struct netdev *nd, bool up)
{
	(void)up;
	tcpip_try_callback(link_changed_cb, nd->stack.ctx);
}

/* --- configuration --- */

static err_t netif_init_cb(struct netif *n)
{
	struct skiff_netif *sn = n->state;

	n->name[0] = 'e';
	n->name[1] = 'n';
	n->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(n->hwaddr, sn->nd->mac, ETH_HWADDR_LEN);
	n->mtu = sn->nd->mtu ? sn->nd->mtu : 1500;
	n->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = linkoutput;
	return ERR_OK;
}

static void log_config(struct skiff_netif *sn, const char *how)
{
	char ip[16], mask[16], gw[16];
	uint64_t ms = (time_ns() - sn->config_start) / NSEC_PER_MSEC;

	ip4addr_ntoa_r(netif_ip4_addr(&sn->nif), ip, sizeof(ip));
	ip4addr_ntoa_r(netif_ip4_netmask(&sn->nif), mask, sizeof(mask));
	ip4addr_ntoa_r(netif_ip4_gw(&sn->nif), gw, sizeof(gw));
	kprintf("%s: %s: %s netmask %s gw %s mtu %u", how, sn->nd->name, ip,
		mask, gw, sn->nif.mtu);
	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
		const ip_addr_t *d = dns_getserver(i);
		char ds[16];

		if (ip_addr_isany(d))
			continue;
		ip4addr_ntoa_r(ip_2_ip4(d), ds, sizeof(ds));
		kprintf("%s%s", i ? "," : " dns ", ds);
	}
	kprintf(" in %llu ms\n", (unsigned long long)ms);
	skiff_routes_log(sn);
}

/* lwIP's status callback: the address changed (a DHCP lease bound). */
static void status_cb(struct netif *n)
{
	struct skiff_netif *sn = skiff_netif_of(n);

	if (!sn || sn->is_static || ip4_addr_isany_val(*netif_ip4_addr(n)))
		return;
	skiff_dhcp_apply(sn);
	log_config(sn, "dhcp");
	sn->configured = true;
}

/* Log a DHCP that takes long, every DHCP_NAG_MS, until it binds. */
static void dhcp_nag(void *arg)
{
	struct skiff_netif *sn = arg;

	if (sn->configured)
		return;
	kprintf("dhcp: %s: no lease yet after %llu s; still asking\n",
		sn->nd->name,
		(unsigned long long)((time_ns() - sn->config_start) /
				     NSEC_PER_SEC));
	sys_timeout(DHCP_NAG_MS, dhcp_nag, sn);
}

static bool parse_ip(const char *s, ip4_addr_t *out)
{
	return s && ip4addr_aton(s, out);
}

/* ip=, netmask=, gw=, mtu=, dns= (the first NIC; a bad value is named
 * and DHCP is used instead). */
static bool static_config(struct skiff_netif *sn)
{
	const struct cmdline *cl = kernel_cmdline();
	const char *ip = cmdline_option(cl, "ip"), *v;
	ip4_addr_t a, m, g;

	if (!ip)
		return false;
	if (!parse_ip(ip, &a)) {
		kprintf("net: ip=%s: not an IPv4 address; using DHCP\n", ip);
		return false;
	}
	v = cmdline_option(cl, "netmask");
	if (!v)
		IP4_ADDR(&m, 255, 255, 255, 0);
	else if (!parse_ip(v, &m)) {
		kprintf("net: netmask=%s: not an IPv4 netmask; using DHCP\n",
			v);
		return false;
	}
	v = cmdline_option(cl, "gw");
	ip4_addr_set_zero(&g);
	if (v && !parse_ip(v, &g)) {
		kprintf("net: gw=%s: not an IPv4 address; using DHCP\n", v);
		return false;
	}
	netif_set_addr(&sn->nif, &a, &m, &g);
	v = cmdline_option(cl, "mtu");
	if (v) {
		long mtu = strtol(v, NULL, 10);

		if (mtu >= 576 && mtu <= sn->nif.mtu)
			sn->nif.mtu = (u16_t)mtu;
		else
			kprintf("net: mtu=%s: not between 576 and %u; "
				"ignored\n",
				v, sn->nif.mtu);
	}
	v = cmdline_option(cl, "dns");
	if (v) {
		ip_addr_t d;

		if (ipaddr_aton(v, &d))
			dns_setserver(0, &d);
		else
			kprintf("net: dns=%s: not an IPv4 address; ignored\n",
				v);
	}
	sn->is_static = true;
	return true;
}

static void setup_netif(void *arg)
{
	struct skiff_netif *sn = arg;

	netif_add(&sn->nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, sn,
		  netif_init_cb, nif_input);
	netif_set_status_callback(&sn->nif, status_cb);
	if (netdev_start(sn->nd) < 0)
		kprintf("net: %s: the driver would not start\n", sn->nd->name);
	if (sn == &nifs[0])
		netif_set_default(&sn->nif);
	netif_set_up(&sn->nif);
	if (sn->nd->link_up)
		netif_set_link_up(&sn->nif);
	sn->config_start = time_ns();
	if (sn == &nifs[0] && static_config(sn)) {
		log_config(sn, "net");
		sn->configured = true;
		return;
	}
	dhcp_start(&sn->nif);
	sys_timeout(DHCP_NAG_MS, dhcp_nag, sn);
}

static void tcpip_ready(void *arg)
{
	ksem_post(arg);
}

void net_start(void)
{
	struct ksem ready;

	netdev_probe_all();
	ksem_init(&ready, 0);
	tcpip_init(tcpip_ready, &ready);
	ksem_wait(&ready);
	for (unsigned i = 0; i < netdev_count() && i < NETDEV_MAX; i++) {
		struct skiff_netif *sn = &nifs[nif_count++];
		struct netdev *nd = netdev_get(i);

		sn->nd = nd;
		ksem_init(&sn->tx_room, 0);
		nd->stack.rx = dev_rx;
		nd->stack.tx_done = dev_tx_done;
		nd->stack.link_changed = dev_link_changed;
		nd->stack.ctx = sn;
		tcpip_callback(setup_netif, sn);
	}
	if (!nif_count)
		kprintf("net: no network device; loopback only\n");
}

bool net_configured(void)
{
	for (unsigned i = 0; i < nif_count; i++)
		if (nifs[i].configured)
			return true;
	return false;
}
