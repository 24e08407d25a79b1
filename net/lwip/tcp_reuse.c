/*
 * A new connection may reuse the 4-tuple of one in TIME-WAIT, as on Linux
 * and the BSDs: a SYN (without ACK or RST) for a TIME-WAIT connection
 * whose sequence number is beyond what that connection received
 * (SEG.SEQ > RCV.NXT) ends the TIME-WAIT state and goes to the listener
 * like any SYN. This is RFC 1122 §4.2.2.13 and RFC 6191 §2 for a host
 * without timestamps (lwIP sends none): a sequence number past the old
 * connection's cannot be taken for one of its old duplicates.
 *
 * lwIP 2.1.3 has no such rule. Its tcp_timewait_input() answers a SYN
 * outside the old window with an ACK for the old connection, and since
 * it ignores RST in TIME-WAIT (RFC 1337), the client's RST to that ACK
 * does nothing: a client that picks the same source port again (Linux
 * does, under load) stalls until TIME-WAIT ends (2 * TCP_MSL). A SYN
 * inside the old window gets a RST instead: the connect fails.
 *
 * lwIP's source stays untouched: this is its LWIP_HOOK_IP4_INPUT, called
 * in the tcpip thread (core lock held) for every IPv4 packet before lwIP
 * has looked at it. It never eats the packet; it only removes the
 * TIME-WAIT pcb, and then only for a packet that lwIP goes on to give to
 * tcp_input() and that passes tcp_input()'s checks (IP and TCP checksums,
 * lengths, a local destination, no fragment), so that a corrupt or stray
 * packet cannot end a TIME-WAIT. Fragments are left alone: their TCP
 * checksum cannot be checked before reassembly, and a fragmented SYN
 * gets lwIP's usual treatment.
 *
 * RFC 1122 also asks that the new connection's initial sequence number
 * be above any the old one used, so that the peer cannot take the old
 * connection's delayed segments for new ones. As Linux does, the new
 * connection starts 64 KiB + 2 past the old one's SND.NXT: the IP hook
 * notes that number for the 4-tuple, and lwIP's LWIP_HOOK_TCP_ISN, called
 * by tcp_listen_input() for the same packet, takes it. Every other
 * connection's comes from RFC 6528's generator (below), not lwIP's
 * global counter, whose next value anyone can guess.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "skiff_lwip_hooks.h"
#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <kernel/time.h>

/* Would ip4_input() take a unicast packet for dest? (TCP ignores
 * broadcast and multicast.) */
static bool is_local(const ip4_addr_t *dest)
{
	struct netif *n;

	NETIF_FOREACH(n)
	{
		if (netif_is_up(n) && ip4_addr_cmp(dest, netif_ip4_addr(n)))
			return true;
	}
	return false;
}

/* The TCP checksum over the segment's tcplen bytes (not any link-layer
 * padding past the IP total length), as tcp_input() checks it. */
static bool tcp_sum_ok(struct pbuf *p, u16_t hlen, u16_t tcplen,
		       const ip4_addr_t *src, const ip4_addr_t *dest)
{
	bool ok;

	if (pbuf_remove_header(p, hlen))
		return false;
	ok = inet_chksum_pseudo_partial(p, IP_PROTO_TCP, tcplen, tcplen, src,
					dest) == 0;
	pbuf_add_header_force(p, hlen);
	return ok;
}

/* The initial sequence number for the connection that replaces a
 * TIME-WAIT one; valid only while lwIP handles the SYN that ended it. */
static struct {
	bool set;
	ip4_addr_t local, remote;
	u16_t lport, rport;
	u32_t iss;
} reopen;

static struct tcp_pcb *timewait_pcb(struct netif *inp, const ip4_addr_t *src,
				    u16_t sport, const ip4_addr_t *dest,
				    u16_t dport)
{
	struct tcp_pcb *pcb;

	/* The same match as tcp_input()'s, netif binding included. */
	for (pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (pcb->netif_idx != NETIF_NO_INDEX &&
		    pcb->netif_idx != netif_get_index(inp))
			continue;
		if (pcb->remote_port == sport && pcb->local_port == dport &&
		    ip4_addr_cmp(ip_2_ip4(&pcb->remote_ip), src) &&
		    ip4_addr_cmp(ip_2_ip4(&pcb->local_ip), dest))
			return pcb;
	}
	return NULL;
}

/*
 * A TIME-WAIT pcb can still belong to a socket: one whose application
 * shut its sending side (shutdown(SHUT_WR), as an HTTP server does before
 * it drains and closes) and then got the peer's FIN, until it closes the
 * socket. lwIP frees TIME-WAIT pcbs without telling their netconn (2 MSL
 * in tcp_slowtmr, tcp_kill_timewait, and the trim and reopen here), and
 * the close that follows then works on freed memory: a double free, or
 * the close of the connection that got the memory next, which for a
 * reopened 4-tuple is at once the new one on the same ports. Linux hands
 * a connection to a separate TIME-WAIT object when it gets there and the
 * socket just sees the connection closed. Here the netconn is told, as
 * tcp_abandon() tells one in any other state, but with ERR_CLSD, the
 * "closed" end: a later recv() gets end of file and close() succeeds.
 * The pcb stays in TIME-WAIT, lwIP's alone.
 *
 * It is done before the trim and the reopen free a pcb, and within a
 * second of any connection's entering TIME-WAIT by a sweep (long before
 * tcp_slowtmr's 2 MSL): a one-second lwIP timeout, armed by the input
 * hook while TCP has any connection and re-armed while it still does.
 */
static void timewait_detach(struct tcp_pcb *pcb)
{
	tcp_err_fn errf = pcb->errf;
	void *arg = pcb->callback_arg;

	if (!arg && !errf)
		return;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	tcp_err(pcb, NULL);
	if (errf)
		errf(arg, ERR_CLSD);
}

#define SWEEP_MS 1000
static bool sweep_armed;

static void timewait_sweep(void *unused)
{
	(void)unused;
	for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next)
		timewait_detach(pcb);
	sweep_armed = tcp_active_pcbs || tcp_tw_pcbs;
	if (sweep_armed)
		sys_timeout(SWEEP_MS, timewait_sweep, NULL);
}

static void sweep_arm(void)
{
	if (!sweep_armed && (tcp_active_pcbs || tcp_tw_pcbs)) {
		sweep_armed = true;
		sys_timeout(SWEEP_MS, timewait_sweep, NULL);
	}
}

/*
 * At most TW_MAX connections in TIME-WAIT, as Linux's tcp_max_tw_buckets:
 * the pools come from the heap (MEMP_MEM_MALLOC), so nothing else bounds
 * them, and lwIP walks the whole list for every segment that matches no
 * open connection, each new SYN among them. A server that closes first
 * at 1,000 connections a second would hold 60,000, and slow down as it
 * went. The list is newest first: past TW_MAX, the oldest are ended.
 */
#define TW_MAX 1024

static void timewait_trim(void)
{
	static bool said;
	struct tcp_pcb *pcb = tcp_tw_pcbs;
	unsigned n = 1;

	while (pcb && n < TW_MAX) {
		pcb = pcb->next;
		n++;
	}
	if (!pcb || !pcb->next)
		return;
	if (!said) {
		said = true;
		LWIP_PLATFORM_DIAG(("tcp: more than %d connections in "
				    "TIME-WAIT; the oldest end early\n",
				    TW_MAX));
	}
	while (pcb->next) {
		timewait_detach(pcb->next);
		tcp_abort(pcb->next);
	}
}

int skiff_tcp_timewait_syn(struct pbuf *p, struct netif *inp)
{
	const struct ip_hdr *iph = (const struct ip_hdr *)p->payload;
	struct tcp_hdr th;
	struct tcp_pcb *pcb;
	ip4_addr_t src, dest;
	u16_t hlen, len, tcplen;

	/* Cheap tests first: this runs for every IPv4 packet. */
	reopen.set = false;
	sweep_arm();
	if (p->len < IP_HLEN || IPH_PROTO(iph) != IP_PROTO_TCP)
		return 0;
	hlen = IPH_HL_BYTES(iph);
	len = lwip_ntohs(IPH_LEN(iph));
	if (hlen < IP_HLEN || hlen > p->len || len > p->tot_len ||
	    len < hlen + TCP_HLEN)
		return 0;
	if (IPH_OFFSET(iph) & PP_HTONS(IP_MF | IP_OFFMASK))
		return 0;
	if (pbuf_copy_partial(p, &th, TCP_HLEN, hlen) != TCP_HLEN)
		return 0;
	if ((TCPH_FLAGS(&th) & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return 0;
	timewait_trim();
	tcplen = (u16_t)(len - hlen);
	if (TCPH_HDRLEN_BYTES(&th) < TCP_HLEN ||
	    TCPH_HDRLEN_BYTES(&th) > tcplen)
		return 0;
	ip4_addr_copy(src, iph->src);
	ip4_addr_copy(dest, iph->dest);
	pcb = timewait_pcb(inp, &src, lwip_ntohs(th.src), &dest,
			   lwip_ntohs(th.dest));
	if (!pcb || !TCP_SEQ_GT(lwip_ntohl(th.seqno), pcb->rcv_nxt))
		return 0;
	/* Only now, for the rare packet that would end a TIME-WAIT, what
	 * lwIP checks after this hook. */
	if (!is_local(&dest))
		return 0;
	/* The checksums as lwIP checks them on this interface: the
	 * loopback interface checks none, and the virtio glue turns the TCP
	 * check off for a frame it has already verified. */
	IF__NETIF_CHECKSUM_ENABLED(inp, NETIF_CHECKSUM_CHECK_IP)
	{
		if (inet_chksum(iph, hlen) != 0)
			return 0;
	}
	IF__NETIF_CHECKSUM_ENABLED(inp, NETIF_CHECKSUM_CHECK_TCP)
	{
		if (!tcp_sum_ok(p, hlen, tcplen, &src, &dest))
			return 0;
	}
	reopen.local = dest;
	reopen.remote = src;
	reopen.lport = pcb->local_port;
	reopen.rport = pcb->remote_port;
	reopen.iss = pcb->snd_nxt + 0xffff + 2;
	reopen.set = true;
	/* tcp_abort() of a TIME-WAIT pcb unlinks and frees it, no RST. */
	timewait_detach(pcb);
	tcp_abort(pcb);
	return 0;
}

/*
 * Initial sequence numbers as RFC 6528 §3 asks: ISN = M + F(4-tuple,
 * secret), M a clock of 4 µs ticks and F a keyed hash (SipHash-2-4,
 * Aumasson and Bernstein), so that numbers grow with time on one 4-tuple
 * and cannot be guessed for another. The 128-bit key is drawn once, from
 * RDRAND when the CPU has it, and is mixed with the TSC either way.
 */
static uint64_t isn_key[2];
static bool isn_keyed;

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = rotl(v1, 13) ^ v0;                                        \
		v0 = rotl(v0, 32);                                             \
		v2 += v3;                                                      \
		v3 = rotl(v3, 16) ^ v2;                                        \
		v0 += v3;                                                      \
		v3 = rotl(v3, 21) ^ v0;                                        \
		v2 += v1;                                                      \
		v1 = rotl(v1, 17) ^ v2;                                        \
		v2 = rotl(v2, 32);                                             \
	} while (0)

/* SipHash-2-4 of two 64-bit words (16 bytes, little-endian). */
static uint64_t siphash_2w(const uint64_t k[2], uint64_t m0, uint64_t m1)
{
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k[1] ^ 0x7465646279746573ULL;
	const uint64_t m[3] = { m0, m1, (uint64_t)16 << 56 };

	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static bool rdrand64(uint64_t *out)
{
	uint32_t a, b, c, d;
	unsigned char ok;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 30)))
		return false;
	for (int i = 0; i < 10; i++) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

static void isn_key_init(void)
{
	for (int i = 0; i < 2; i++) {
		uint64_t r = 0;

		rdrand64(&r);
		isn_key[i] = r ^ rotl(rdtsc(), 17 * i + 7) ^ skiff_random();
	}
	isn_keyed = true;
}

/* LWIP_HOOK_TCP_ISN (core lock held). A reopened TIME-WAIT connection
 * starts past the old one, as above; every other as RFC 6528 says. */
u32_t skiff_tcp_isn(const ip_addr_t *local, u16_t lport,
		    const ip_addr_t *remote, u16_t rport)
{
	uint64_t m0, m1;

	if (reopen.set && reopen.lport == lport && reopen.rport == rport &&
	    ip4_addr_cmp(&reopen.local, ip_2_ip4(local)) &&
	    ip4_addr_cmp(&reopen.remote, ip_2_ip4(remote))) {
		reopen.set = false;
		return reopen.iss;
	}
	if (!isn_keyed)
		isn_key_init();
	m0 = (uint64_t)ip4_addr_get_u32(ip_2_ip4(local)) |
	     (uint64_t)ip4_addr_get_u32(ip_2_ip4(remote)) << 32;
	m1 = (uint64_t)lport | (uint64_t)rport << 16;
	return (u32_t)(time_ns() / 4000) + (u32_t)siphash_2w(isn_key, m0, m1);
}
