/*
 * virtio-net in the guest, against QEMU's user network, which answers
 * ARP for its gateway 10.0.2.2 (MAC 52:55:0a:00:02:02):
 *
 *   -netdev user,id=n0 -device virtio-net-pci,netdev=n0[,disable-modern=on
 *   | ,disable-legacy=on][,vectors=0]
 *
 * The boot says what to expect: ktest.net=legacy,modern (one mode per
 * device, in PCI order) or ktest.nic=1 (at least one device, any mode),
 * ktest.mac=52:54:00:12:34:56 for net0, and ktest.mtu. Without either,
 * the tests only list what they find and send nothing. The tests play the
 * stack: they start each device with their own callbacks, send ARP requests
 * (three fragments: Ethernet header, ARP body, padding) and count the replies.
 */
#include "ktest.h"
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/printf.h>
#include <kernel/sync.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <net/netdev.h>

#define GATEWAY_IP 0x0a000202u /* 10.0.2.2 */
#define GUEST_IP 0x0a00020fu   /* 10.0.2.15 */
static const uint8_t gateway_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

#define ARP_LEN 28
#define PAD_LEN 18 /* to the 60-byte minimum frame */
#define HOLD_MAX 1024

struct arp_req {
	uint8_t eth[14];
	uint8_t arp[ARP_LEN];
};

/* What the test "stack" knows of each device. */
struct tnet {
	struct netdev *nd;
	bool started;
	unsigned long rx_frames, arp_replies, tx_done, link_changes;
	size_t rx_max;
	uint8_t reply_mac[6];
	bool reply_bad;
	struct ksem reply;
	/* Hold received buffers instead of releasing them. */
	bool hold;
	unsigned held;
	struct netdev_rxbuf *held_bufs[HOLD_MAX];
};

static struct tnet tnets[NETDEV_MAX];
static const uint8_t zero_pad[PAD_LEN];
static bool probed;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void make_arp_request(struct arp_req *r, const uint8_t mac[6])
{
	memset(r->eth, 0xff, 6);
	memcpy(r->eth + 6, mac, 6);
	put16(r->eth + 12, 0x0806);
	put16(r->arp + 0, 1);	   /* Ethernet */
	put16(r->arp + 2, 0x0800); /* IPv4 */
	r->arp[4] = 6;
	r->arp[5] = 4;
	put16(r->arp + 6, 1); /* request */
	memcpy(r->arp + 8, mac, 6);
	put32(r->arp + 14, GUEST_IP);
	memset(r->arp + 18, 0, 6);
	put32(r->arp + 24, GATEWAY_IP);
}

/* The driver's thread. */
static void t_rx(struct netdev *nd, const struct netdev_rxframe *fr)
{
	struct tnet *tn = nd->stack.ctx;
	struct netdev_rxbuf *buf = fr->bufs, *next;
	const uint8_t *f = buf->data;

	tn->rx_frames++;
	if (fr->len > tn->rx_max)
		tn->rx_max = fr->len;
	if (buf->len >= 14 + ARP_LEN && get16(f + 12) == 0x0806 &&
	    get16(f + 14 + 6) == 2 && get32(f + 14 + 14) == GATEWAY_IP) {
		if (memcmp(f, nd->mac, 6) != 0 ||
		    memcmp(f + 14 + 18, nd->mac, 6) != 0 ||
		    get32(f + 14 + 24) != GUEST_IP)
			tn->reply_bad = true;
		memcpy(tn->reply_mac, f + 14 + 8, 6);
		__atomic_fetch_add(&tn->arp_replies, 1, __ATOMIC_RELEASE);
		ksem_post(&tn->reply);
	}
	for (; buf; buf = next) {
		next = buf->next;
		if (tn->hold && tn->held < HOLD_MAX)
			tn->held_bufs[tn->held++] = buf;
		else
			nd->ops->rx_release(nd, buf);
	}
}

static void t_tx_done(struct netdev *nd, void *cookie)
{
	struct tnet *tn = nd->stack.ctx;

	(void)cookie;
	__atomic_fetch_add(&tn->tx_done, 1, __ATOMIC_RELEASE);
}

static void t_link_changed(struct netdev *nd, bool up)
{
	struct tnet *tn = nd->stack.ctx;

	(void)up;
	tn->link_changes++;
}

static unsigned devices(void)
{
	if (!probed) {
		netdev_probe_all();
		probed = true;
	}
	return netdev_count();
}

/* Is a connected device promised? */
static bool nic_expected(void)
{
	return ktest_option("ktest.net") || ktest_option("ktest.nic");
}

/* Devices to send on: only when the boot says they are connected. */
static unsigned traffic_devices(void)
{
	unsigned n = devices();

	if (n && !nic_expected()) {
		kprintf("# neither ktest.net nor ktest.nic: no traffic on %u "
			"device%s\n",
			n, n == 1 ? "" : "s");
		return 0;
	}
	return n;
}

static struct tnet *tnet_start(struct ktest *t, unsigned i)
{
	struct tnet *tn = &tnets[i];
	struct netdev *nd = netdev_get(i);

	if (tn->started)
		return tn;
	tn->nd = nd;
	ksem_init(&tn->reply, 0);
	nd->stack.rx = t_rx;
	nd->stack.tx_done = t_tx_done;
	nd->stack.link_changed = t_link_changed;
	nd->stack.ctx = tn;
	if (!KT_CHECK_EQ(t, netdev_start(nd), 0))
		return NULL;
	KT_CHECK_EQ(t, netdev_start(nd), -KERR_EBUSY);
	tn->started = true;
	return tn;
}

/* The expected mode of device i from ktest.net, or NULL. */
static bool expected_mode(unsigned i, char *out, size_t size)
{
	const char *s = ktest_option("ktest.net");

	if (!s)
		return false;
	for (unsigned k = 0; k < i; k++) {
		while (*s && *s != ',')
			s++;
		if (!*s)
			return false;
		s++;
	}
	size_t n = 0;
	while (s[n] && s[n] != ',' && n + 1 < size) {
		out[n] = s[n];
		n++;
	}
	out[n] = '\0';
	return n > 0;
}

static unsigned expected_count(void)
{
	const char *s = ktest_option("ktest.net");
	unsigned n = 1;

	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s == ',')
			n++;
	return n;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	for (unsigned i = 0; i < 6; i++) {
		unsigned v = 0;

		for (unsigned k = 0; k < 2; k++, s++) {
			char c = *s;

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return 0;
}

KTEST(virtio_net_devices)
{
	unsigned want = expected_count(), n = devices();
	const char *mac_opt = ktest_option("ktest.mac");
	const char *mtu_opt = ktest_option("ktest.mtu");
	unsigned mtu = 1500;

	if (!nic_expected()) {
		kprintf("# %u virtio-net device%s, none expected: nothing to "
			"check\n",
			n, n == 1 ? "" : "s");
		return;
	}
	if (want)
		KT_CHECK_EQ(t, n, want);
	else
		KT_CHECK(t, n >= 1);
	if (mtu_opt) {
		mtu = 0;
		for (const char *p = mtu_opt; *p >= '0' && *p <= '9'; p++)
			mtu = mtu * 10 + (unsigned)(*p - '0');
	}
	for (unsigned i = 0; i < n; i++) {
		struct netdev *nd = netdev_get(i);
		char mode[16], name[8];

		ksnprintf(name, sizeof(name), "net%u", i);
		KT_CHECK(t, strcmp(nd->name, name) == 0);
		if (expected_mode(i, mode, sizeof(mode)) &&
		    !KT_CHECK(t, strcmp(nd->mode, mode) == 0))
			kprintf("#   %s is %s, expected %s\n", nd->name,
				nd->mode, mode);
		KT_CHECK(t, !(nd->mac[0] & 1));
		KT_CHECK_EQ(t, nd->mtu, mtu);
		KT_CHECK(t, nd->link_up);
		KT_CHECK(t, nd->ops && nd->ops->tx && nd->ops->rx_release);
	}
	if (mac_opt && n) {
		uint8_t mac[6];

		if (KT_CHECK_EQ(t, parse_mac(mac_opt, mac), 0))
			KT_CHECK(t, memcmp(netdev_get(0)->mac, mac, 6) == 0);
	}
}

/* Send one ARP request in three fragments. */
static int send_arp(struct netdev *nd, struct arp_req *r)
{
	struct netdev_frag frags[3] = {
		{ r->eth, sizeof(r->eth) },
		{ r->arp, sizeof(r->arp) },
		{ zero_pad, sizeof(zero_pad) },
	};

	return nd->ops->tx(nd, frags, 3, r);
}

KTEST(virtio_net_arp)
{
	static struct arp_req req[NETDEV_MAX];
	unsigned n = traffic_devices();

	for (unsigned i = 0; i < n; i++) {
		struct tnet *tn = tnet_start(t, i);
		struct netdev *nd = netdev_get(i);
		unsigned long done0;
		uint64_t t0, t1;
		int err;

		if (!tn)
			return;
		while (ksem_trywait(&tn->reply))
			;
		done0 = __atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE);
		make_arp_request(&req[i], nd->mac);
		t0 = time_ns();
		err = send_arp(nd, &req[i]);
		if (!KT_CHECK_EQ(t, err, 0))
			continue;
		err = ksem_wait_until(&tn->reply, t0 + NSEC_PER_SEC);
		t1 = time_ns();
		if (!KT_CHECK_EQ(t, err, 0)) {
			kprintf("#   %s: no ARP reply within 1 s\n", nd->name);
			continue;
		}
		KT_CHECK(t, !tn->reply_bad);
		KT_CHECK(t, memcmp(tn->reply_mac, gateway_mac, 6) == 0);
		/* The request's buffers come back too. */
		while (__atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE) ==
			       done0 &&
		       time_ns() < t0 + NSEC_PER_SEC)
			thread_sleep_ns(NSEC_PER_MSEC);
		KT_CHECK_EQ(t, __atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE),
			    done0 + 1);
		kprintf("# %s (%s): 10.0.2.2 is at "
			"%02x:%02x:%02x:%02x:%02x:%02x, %llu us\n",
			nd->name, nd->mode, tn->reply_mac[0], tn->reply_mac[1],
			tn->reply_mac[2], tn->reply_mac[3], tn->reply_mac[4],
			tn->reply_mac[5],
			(unsigned long long)((t1 - t0) / NSEC_PER_USEC));
	}
}

KTEST(virtio_net_tx_rejects)
{
	static struct arp_req r;
	static uint8_t big[9100];
	unsigned n = traffic_devices();

	for (unsigned i = 0; i < n; i++) {
		struct netdev *nd = netdev_get(i);
		struct netdev_frag f[NETDEV_TX_FRAGS + 1];
		uint64_t rej0 = nd->stats.tx_rejected;

		make_arp_request(&r, nd->mac);
		f[0].data = r.eth;
		f[0].len = 10; /* shorter than an Ethernet header */
		KT_CHECK_EQ(t, nd->ops->tx(nd, f, 1, &r), -KERR_EINVAL);
		f[0].data = big;
		f[0].len = nd->mtu + 19u;
		KT_CHECK_EQ(t, nd->ops->tx(nd, f, 1, &r), -KERR_EINVAL);
		for (unsigned k = 0; k < NETDEV_TX_FRAGS + 1; k++) {
			f[k].data = r.eth;
			f[k].len = 14;
		}
		KT_CHECK_EQ(t, nd->ops->tx(nd, f, NETDEV_TX_FRAGS + 1, &r),
			    -KERR_EINVAL);
		KT_CHECK_EQ(t, nd->ops->tx(nd, f, 0, &r), -KERR_EINVAL);
		f[0].data = NULL;
		KT_CHECK_EQ(t, nd->ops->tx(nd, f, 1, &r), -KERR_EINVAL);
		KT_CHECK_EQ(t, nd->stats.tx_rejected, rej0 + 5);
	}
}

/*
 * Send count requests as fast as the ring takes them (waiting on
 * tx_done when it is full) and wait for every reply and completion.
 */
static void burst(struct ktest *t, struct tnet *tn, unsigned count,
		  struct arp_req *reqs, unsigned nreqs, bool wait_replies)
{
	struct netdev *nd = tn->nd;
	unsigned long done0 = __atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE);
	unsigned long rep0 =
		__atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE);
	uint64_t deadline = time_ns() + 20 * NSEC_PER_SEC;
	unsigned sent = 0, again = 0;

	for (unsigned i = 0; i < nreqs; i++)
		make_arp_request(&reqs[i], nd->mac);
	while (sent < count && time_ns() < deadline) {
		/* Never reuse a request still in flight. */
		unsigned long inflight =
			sent -
			(__atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE) -
			 done0);
		int err = -KERR_EAGAIN;

		if (inflight < nreqs)
			err = send_arp(nd, &reqs[sent % nreqs]);
		if (err == 0) {
			sent++;
		} else if (err == -KERR_EAGAIN) {
			again++;
			thread_sleep_ns(100 * NSEC_PER_USEC);
		} else {
			KT_CHECK_EQ(t, err, 0);
			return;
		}
	}
	while (time_ns() < deadline &&
	       (__atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE) - done0 <
			count ||
		(wait_replies &&
		 __atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE) - rep0 <
			 count)))
		thread_sleep_ns(NSEC_PER_MSEC);
	KT_CHECK_EQ(t, sent, count);
	KT_CHECK_EQ(t, __atomic_load_n(&tn->tx_done, __ATOMIC_ACQUIRE) - done0,
		    count);
	if (wait_replies)
		KT_CHECK_EQ(
			t,
			__atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE) -
				rep0,
			count);
	kprintf("# %s: %u requests (%u times the ring was full), %lu "
		"replies\n",
		nd->name, sent, again,
		__atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE) - rep0);
}

KTEST(virtio_net_burst)
{
	static struct arp_req reqs[2048];
	unsigned n = traffic_devices();

	for (unsigned i = 0; i < n; i++) {
		struct tnet *tn = tnet_start(t, i);
		uint64_t rx0, bad0;

		if (!tn)
			return;
		rx0 = tn->nd->stats.rx_packets;
		bad0 = tn->nd->stats.rx_malformed;
		burst(t, tn, 3000, reqs, ARRAY_SIZE(reqs), true);
		KT_CHECK_EQ(t, tn->nd->stats.rx_malformed, bad0);
		KT_CHECK(t, tn->nd->stats.rx_packets - rx0 >= 3000);
	}
}

/*
 * The stack keeps every buffer: the ring runs dry, the driver says so,
 * the device holds the rest of the replies, and once the buffers come
 * back everything arrives.
 */
KTEST(virtio_net_rx_starved)
{
	static struct arp_req reqs[128];
	unsigned n = traffic_devices();

	for (unsigned i = 0; i < n; i++) {
		struct tnet *tn = tnet_start(t, i);
		struct netdev *nd;
		unsigned long rep0;
		uint64_t empty0, deadline;
		unsigned held;

		if (!tn)
			return;
		nd = tn->nd;
		empty0 = nd->stats.rx_ring_empty;
		rep0 = __atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE);
		tn->held = 0;
		__atomic_store_n(&tn->hold, true, __ATOMIC_RELEASE);
		/* More than the pool can hold, so some must wait. */
		burst(t, tn, HOLD_MAX - 24, reqs, ARRAY_SIZE(reqs), false);
		deadline = time_ns() + 2 * NSEC_PER_SEC;
		while (nd->stats.rx_ring_empty == empty0 &&
		       time_ns() < deadline)
			thread_sleep_ns(NSEC_PER_MSEC);
		KT_CHECK(t, nd->stats.rx_ring_empty > empty0);
		/* Nothing moves while the stack holds every buffer. */
		held = __atomic_load_n(&tn->held, __ATOMIC_ACQUIRE);
		thread_sleep_ns(50 * NSEC_PER_MSEC);
		KT_CHECK_EQ(t, __atomic_load_n(&tn->held, __ATOMIC_ACQUIRE),
			    held);
		kprintf("# %s: ring ran dry with %u buffers held\n", nd->name,
			held);
		/* Give them back; the driver thread stops holding first. */
		__atomic_store_n(&tn->hold, false, __ATOMIC_RELEASE);
		thread_sleep_ns(10 * NSEC_PER_MSEC);
		held = __atomic_load_n(&tn->held, __ATOMIC_ACQUIRE);
		for (unsigned k = 0; k < held; k++)
			nd->ops->rx_release(nd, tn->held_bufs[k]);
		deadline = time_ns() + 5 * NSEC_PER_SEC;
		while (__atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE) -
				       rep0 <
			       HOLD_MAX - 24 &&
		       time_ns() < deadline)
			thread_sleep_ns(NSEC_PER_MSEC);
		KT_CHECK_EQ(
			t,
			__atomic_load_n(&tn->arp_replies, __ATOMIC_ACQUIRE) -
				rep0,
			HOLD_MAX - 24);
	}
}

/* --- a frame longer than the MTU (boot with host_mtu below 1400) --- */

#define PING_DATA 1400
#define FRAG1 800 /* bytes of the ICMP message in the first fragment */

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void make_ip(uint8_t *ip, size_t payload, uint16_t frag)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + payload));
	put16(ip + 4, 0x5151); /* id */
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = 1; /* ICMP */
	put32(ip + 12, GUEST_IP);
	put32(ip + 16, GATEWAY_IP);
	put16(ip + 10, csum(ip, 20));
}

/*
 * An echo request in two IP fragments, each within the MTU: the gateway
 * reassembles it and answers with one frame of 1442 bytes, which the
 * driver must drop, count and report, and then go on receiving.
 */
KTEST(virtio_net_rx_too_long)
{
	static uint8_t icmp[8 + PING_DATA];
	static uint8_t eth[14], ip1[20], ip2[20];
	static struct arp_req req;
	unsigned n = traffic_devices();

	for (unsigned i = 0; i < n; i++) {
		struct tnet *tn = tnet_start(t, i);
		struct netdev *nd;
		struct netdev_frag f1[3], f2[3];
		uint64_t bad0, deadline;

		if (!tn)
			return;
		nd = tn->nd;
		if (nd->mtu + 18u >= 14 + 20 + sizeof(icmp)) {
			kprintf("# %s: mtu %u takes the reply; nothing to "
				"check\n",
				nd->name, nd->mtu);
			continue;
		}
		/* The gateway learns our address from the request. */
		while (ksem_trywait(&tn->reply))
			;
		make_arp_request(&req, nd->mac);
		KT_CHECK_EQ(t, send_arp(nd, &req), 0);
		KT_CHECK_EQ(
			t,
			ksem_wait_until(&tn->reply, time_ns() + NSEC_PER_SEC),
			0);

		memcpy(eth, gateway_mac, 6);
		memcpy(eth + 6, nd->mac, 6);
		put16(eth + 12, 0x0800);
		memset(icmp, 0, sizeof(icmp));
		icmp[0] = 8; /* echo request */
		put16(icmp + 4, 0x1234);
		for (unsigned k = 0; k < PING_DATA; k++)
			icmp[8 + k] = (uint8_t)k;
		put16(icmp + 2, csum(icmp, sizeof(icmp)));
		make_ip(ip1, FRAG1, 0x2000); /* more fragments */
		make_ip(ip2, sizeof(icmp) - FRAG1, FRAG1 / 8);
		f1[0] = (struct netdev_frag){ eth, sizeof(eth) };
		f1[1] = (struct netdev_frag){ ip1, sizeof(ip1) };
		f1[2] = (struct netdev_frag){ icmp, FRAG1 };
		f2[0] = (struct netdev_frag){ eth, sizeof(eth) };
		f2[1] = (struct netdev_frag){ ip2, sizeof(ip2) };
		f2[2] = (struct netdev_frag){ icmp + FRAG1,
					      sizeof(icmp) - FRAG1 };

		bad0 = nd->stats.rx_malformed;
		KT_CHECK_EQ(t, nd->ops->tx(nd, f1, 3, f1), 0);
		KT_CHECK_EQ(t, nd->ops->tx(nd, f2, 3, f2), 0);
		deadline = time_ns() + NSEC_PER_SEC;
		while (nd->stats.rx_malformed == bad0 && time_ns() < deadline)
			thread_sleep_ns(NSEC_PER_MSEC);
		/* With mergeable buffers the device hands it over in pieces
		 * and the driver drops it; without, the device cannot place
		 * it and drops it itself. The stack never sees it. */
		KT_CHECK(t, nd->stats.rx_malformed - bad0 <= 1);
		KT_CHECK(t, tn->rx_max <= nd->mtu + 18u);
		kprintf("# %s: reply longer than mtu %u dropped by the %s\n",
			nd->name, nd->mtu,
			nd->stats.rx_malformed > bad0 ? "driver" : "device");

		/* And the next frame gets through. */
		KT_CHECK_EQ(t, send_arp(nd, &req), 0);
		KT_CHECK_EQ(
			t,
			ksem_wait_until(&tn->reply, time_ns() + NSEC_PER_SEC),
			0);
	}
}

/* --- link changes (the host toggles the link: ktest.link=toggle) --- */

static bool wait_link(struct tnet *tn, unsigned long changes, bool up,
		      uint64_t deadline)
{
	while (time_ns() < deadline) {
		if (__atomic_load_n(&tn->link_changes, __ATOMIC_ACQUIRE) >=
			    changes &&
		    tn->nd->link_up == up)
			return true;
		thread_sleep_ns(NSEC_PER_MSEC);
	}
	return false;
}

/*
 * The boot's script watches for the "waiting" line and runs set_link
 * off, then on, in the QEMU monitor: each is a configuration change
 * interrupt, and the stack hears of it through link_changed.
 */
KTEST(virtio_net_link)
{
	const char *opt = ktest_option("ktest.link");
	struct tnet *tn;
	unsigned long c0;

	if (!opt || strcmp(opt, "toggle") != 0 || traffic_devices() == 0) {
		kprintf("# no link toggling asked for (ktest.link=toggle)\n");
		return;
	}
	tn = tnet_start(t, 0);
	if (!tn)
		return;
	c0 = __atomic_load_n(&tn->link_changes, __ATOMIC_ACQUIRE);
	KT_CHECK(t, tn->nd->link_up);
	kprintf("# virtio_net_link: waiting for link down\n");
	if (!KT_CHECK(t, wait_link(tn, c0 + 1, false,
				   time_ns() + 20 * NSEC_PER_SEC)))
		return;
	kprintf("# virtio_net_link: waiting for link up\n");
	KT_CHECK(t, wait_link(tn, c0 + 2, true, time_ns() + 20 * NSEC_PER_SEC));
}
