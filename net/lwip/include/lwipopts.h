/*
 * lwIP 2.1.3 configuration for skiff (lwIP's src/include/lwip/opt.h has
 * every option and its default). Threaded mode: a tcpip thread, the
 * netconn and socket APIs on kernel threads (sys_arch.c). Memory comes
 * from the C library's malloc, which is the kernel's per-CPU heap, so no
 * static pool runs out before memory does; the counts below only bound
 * how many of each object may exist.
 *
 * Sized for a busy HTTP server: hundreds of connections, a 64 KiB window
 * with window scaling, and checksums checked in software on receive
 * unless the device vouches for them (net/lwip/netif.c).
 */
#ifndef SKIFF_LWIPOPTS_H
#define SKIFF_LWIPOPTS_H

#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0

/* Memory: malloc for the heap and for every pool. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 16

/* errno is the C library's (newlib: per thread, through __errno()) and so
 * are the E* values: lwip/errno.h includes <errno.h>. LWIP_PROVIDE_ERRNO
 * must stay undefined, not 0: lwIP tests it with #ifdef, and when it is
 * defined at all lwIP defines Linux's E* numbers (EINPROGRESS 115, where
 * newlib has 119) and stores socket errors in a global int errno that no
 * app reads. */
#define LWIP_ERRNO_STDINCLUDE 1

#define MEMP_NUM_TCP_PCB 1000
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_NETCONN 1000 /* under FD_SETSIZE (1024) */
#define MEMP_NUM_TCP_SEG 4096
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_NETBUF 256
#define MEMP_NUM_TCPIP_MSG_INPKT 1024
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define PBUF_POOL_SIZE 1024
#define PBUF_POOL_BUFSIZE 1536
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 1

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 1
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_BROADCAST_PING 1
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1
#define ETH_PAD_SIZE 0
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 64
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 0
#define LWIP_SINGLE_NETIF 0
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0
#define DNS_MAX_SERVERS 3
#define LWIP_DNS_SUPPORT_MDNS_QUERIES 0

/* TCP: a 64 KiB window, scaled, and as much in flight. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_WND (64 * 1024)
#define TCP_SND_BUF (64 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_OVERSIZE TCP_MSS
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 255
#define LWIP_TCP_KEEPALIVE 1
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
/* TIME-WAIT lasts 2 * TCP_MSL: 60 s, as on Linux, not lwIP's 120 s (RFC
 * 793's 2-minute MSL). A server that closes first keeps a TIME-WAIT pcb
 * per connection, on the heap (MEMP_MEM_MALLOC: no pool bounds them):
 * at 1000 connections a second, 60000 of them instead of 120000. A SYN
 * beyond the old connection reopens its 4-tuple at once anyway
 * (net/lwip/tcp_reuse.c). LAST-ACK's limit is 2 * TCP_MSL too. */
#define TCP_MSL 30000UL

/* Threads and mailboxes. */
#define TCPIP_THREAD_NAME "tcpip"
#define TCPIP_THREAD_STACKSIZE (64 * 1024)
#define TCPIP_THREAD_PRIO 16
#define TCPIP_MBOX_SIZE 1024
#define DEFAULT_THREAD_STACKSIZE (64 * 1024)
#define DEFAULT_THREAD_PRIO 16
#define DEFAULT_RAW_RECVMBOX_SIZE 64
#define DEFAULT_UDP_RECVMBOX_SIZE 256
#define DEFAULT_TCP_RECVMBOX_SIZE 256
#define DEFAULT_ACCEPTMBOX_SIZE 256

/* The APIs: netconn and BSD sockets (libc-glue's file descriptors map to
 * them; the names without lwip_ are ours, net/lwip/sockets.c). */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVBUF 1
#define LWIP_SO_LINGER 1
#define SO_REUSE 1
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_NETCONN_FULLDUPLEX 0
#define LWIP_NETCONN_SEM_PER_THREAD 0
#define LWIP_TCPIP_TIMEOUT 1
#define LWIP_FIONREAD_LINUXMODE 1

/* Checksums: generated in software, and checked in software unless the
 * device vouches for a frame's: netif.c then turns the TCP and UDP checks
 * off around that one frame, through the per-netif control. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1

/* lwIP's hooks: cloud DHCP, the interface MTU (option 26) and classless
 * static routes (option 121), net/lwip/dhcp_cloud.c; a SYN that reopens a
 * connection in TIME-WAIT, net/lwip/tcp_reuse.c. */
#define LWIP_HOOK_FILENAME "skiff_lwip_hooks.h"

/* Debian's lwIP source (its "port" patch) reads and writes the socket
 * address length through these; lwIP's own struct sockaddr has the BSD
 * length byte, which lwIP fills in on output. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin)                                          \
	((sin)->sin_len = (u8_t)sizeof(struct sockaddr_in))
#define IP6ADDR_SOCKADDR_SET_LEN(sin6)                                         \
	((sin6)->sin6_len = (u8_t)sizeof(struct sockaddr_in6))
#define IPADDR_SOCKADDR_GET_LEN(addr) ((addr)->sa.sa_len)

#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG 0
#define LWIP_RAND() ((u32_t)skiff_random())

#endif
