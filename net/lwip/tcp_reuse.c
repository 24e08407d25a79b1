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
 * connection gets lwIP's own initial sequence number.
 */
#include <stdbool.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "skiff_lwip_hooks.h"

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

int skiff_tcp_timewait_syn(struct pbuf *p, struct netif *inp)
{
	const struct ip_hdr *iph = (const struct ip_hdr *)p->payload;
	struct tcp_hdr th;
	struct tcp_pcb *pcb;
	ip4_addr_t src, dest;
	u16_t hlen, len, tcplen;

	/* Cheap tests first: this runs for every IPv4 packet. */
	reopen.set = false;
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
	if (inet_chksum(iph, hlen) != 0 || !is_local(&dest) ||
	    !tcp_sum_ok(p, hlen, tcplen, &src, &dest))
		return 0;
	reopen.local = dest;
	reopen.remote = src;
	reopen.lport = pcb->local_port;
	reopen.rport = pcb->remote_port;
	reopen.iss = pcb->snd_nxt + 0xffff + 2;
	reopen.set = true;
	/* tcp_abort() of a TIME-WAIT pcb unlinks and frees it, no RST. */
	tcp_abort(pcb);
	return 0;
}

/* LWIP_HOOK_TCP_ISN (core lock held). Without a reopened connection, the
 * same as lwIP's tcp_next_iss() without the hook: a global counter that
 * grows by tcp_ticks (500 ms ticks since start) at each connection. */
u32_t skiff_tcp_isn(const ip_addr_t *local, u16_t lport,
		    const ip_addr_t *remote, u16_t rport)
{
	static u32_t iss = 6510;

	if (reopen.set && reopen.lport == lport && reopen.rport == rport &&
	    ip4_addr_cmp(&reopen.local, ip_2_ip4(local)) &&
	    ip4_addr_cmp(&reopen.remote, ip_2_ip4(remote))) {
		reopen.set = false;
		return reopen.iss;
	}
	iss += tcp_ticks;
	return iss;
}
