/*
 * The network device interface between drivers (net/virtio/) and the
 * TCP/IP stack's port (net/lwip/): the stack never sees a virtio
 * structure, and a driver never sees lwIP. Modelled on Unikraft's
 * uk_netdev: a device is a fixed set of verbs plus callbacks into the
 * stack.
 *
 * Buffers: frames cross this interface as scatter lists of plain memory,
 * without the virtio-net header. On receive, the driver lends the stack
 * a frame (struct netdev_rxframe): one or more filled buffers (struct
 * netdev_rxbuf), each of which comes back through ops->rx_release on its
 * own; on transmit, the stack lends the driver the fragments of one frame
 * and gets tx_done(cookie) once the device has read them. Both directions
 * can thus be zero-copy.
 *
 * Receive offloads: a device may hand over a TCP/IPv4 segment of up to
 * NETDEV_RX_FRAME_MAX bytes (the host's segments merged into one, each
 * of them at most the MTU on the wire), and may say that a frame's TCP or
 * UDP checksum needs no checking (netdev_rx_csum). Anything else is
 * checked by the stack.
 *
 * Context: rx, tx_done and link_changed are called from the driver's own
 * thread (not from interrupt handlers), never concurrently for one device
 * and never before netdev_start(). ops->tx and ops->rx_release may be
 * called from any thread; the stack may release a buffer from inside its
 * rx callback.
 */
#ifndef NET_NETDEV_H
#define NET_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_MAX 8
#define NETDEV_TX_FRAGS 16

struct netdev;
struct pci_dev;

struct netdev_frag {
	const void *data;
	size_t len;
};

/* The largest received frame: lwIP's packet buffers count in 16 bits. */
#define NETDEV_RX_FRAME_MAX 65535u

/* One buffer of a received frame. In a frame's first buffer, data is 2
 * bytes past a 4-byte boundary, so that the IP header after a 14-byte
 * Ethernet header is 4-byte aligned, and holds at least the Ethernet
 * header. */
struct netdev_rxbuf {
	void *data; /* this buffer's part of the Ethernet frame */
	size_t len;
	struct netdev_rxbuf *next; /* the frame's next buffer, or NULL */
	void *driver;		   /* the driver's own reference */
};

/* What the device says of a frame's TCP or UDP checksum. */
enum netdev_rx_csum {
	/* Nothing: the stack checks every checksum. */
	NETDEV_RX_CSUM_NONE,
	/* The device checked the outermost TCP or UDP checksum. */
	NETDEV_RX_CSUM_VALID,
	/* The frame was made on the host and never crossed a wire: the
	 * device vouches for it, but the checksum from csum_start (an
	 * offset into the frame) to the end is not summed; the field at
	 * csum_start + csum_offset holds the pseudo-header's sum only. */
	NETDEV_RX_CSUM_PARTIAL,
};

/* A received frame, valid during the rx callback only; its buffers stay
 * the stack's until each is released. */
struct netdev_rxframe {
	struct netdev_rxbuf *bufs; /* the first, linked by next */
	size_t len;		   /* of all buffers, at most
				      NETDEV_RX_FRAME_MAX */
	unsigned nbufs;
	enum netdev_rx_csum csum;
	uint16_t csum_start, csum_offset; /* NETDEV_RX_CSUM_PARTIAL */
	/* Non-zero for a TCP segment longer than the MTU allows: the
	 * segment size the host's segments had. */
	uint16_t gso_size;
};

struct netdev_ops {
	/* Queue one frame (nfrags fragments, at most NETDEV_TX_FRAGS, the
	 * Ethernet header first) for transmission. 0, or -KERR_EAGAIN when
	 * the ring is full (the stack retries after a tx_done), or
	 * -KERR_EINVAL for a frame the device cannot take (shorter than an
	 * Ethernet header, longer than mtu + 18, too many fragments), or
	 * -KERR_EIO once the device has failed. */
	int (*tx)(struct netdev *nd, const struct netdev_frag *frags,
		  unsigned nfrags, void *cookie);
	/* Give a received buffer (any one of a frame's) back to the
	 * driver for refilling. */
	void (*rx_release)(struct netdev *nd, struct netdev_rxbuf *buf);
	/* Start calling the stack's callbacks (see netdev_start). */
	int (*start)(struct netdev *nd);
};

/* Set by the stack before netdev_start(). */
struct netdev_stack {
	void (*rx)(struct netdev *nd, const struct netdev_rxframe *f);
	void (*tx_done)(struct netdev *nd, void *cookie);
	void (*link_changed)(struct netdev *nd, bool up);
	void *ctx;
};

/* Counters kept by the driver (read without locking: each is exact, a
 * set of them is not a snapshot). */
struct netdev_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_malformed;	  /* too short, too long, bad header */
	uint64_t rx_gso;	  /* TCP segments longer than the MTU */
	uint64_t rx_csum_valid;	  /* frames with NETDEV_RX_CSUM_VALID */
	uint64_t rx_csum_partial; /* with NETDEV_RX_CSUM_PARTIAL */
	uint64_t rx_dropped;	  /* arrived before netdev_start */
	uint64_t rx_ring_empty;	  /* times the receive ring ran dry */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_rejected; /* frames refused with -KERR_EINVAL */
	uint64_t tx_stalls;   /* times the device sat on frames for 1 s */
};

struct netdev {
	char name[8]; /* "net0" ... */
	uint8_t mac[6];
	uint16_t mtu; /* the device's limit for the IP MTU (1500 default) */
	bool link_up;
	const char *mode; /* "legacy", "modern": for the log */
	/* Receive offloads in use (for the log): NETDEV_RX_CSUM_* other
	 * than NONE may come, and segments over the MTU. */
	bool rx_csum, rx_gso;
	const struct netdev_ops *ops;
	struct netdev_stack stack;
	struct netdev_stats stats;
	void *priv;
};

/* Drivers: register a device found at boot (name assigned). */
int netdev_register(struct netdev *nd);
unsigned netdev_count(void);
struct netdev *netdev_get(unsigned index);

/* Probe every driver on the PCI devices found (net/netdev.c); devices
 * already taken are skipped, so a second call finds only new ones. */
void netdev_probe_all(void);

/* The stack has set nd->stack: from now on the driver delivers frames
 * and completions. Frames that arrive earlier are dropped (and counted
 * in stats.rx_dropped). 0, -KERR_EINVAL without an rx callback, or
 * -KERR_EBUSY when already started. */
int netdev_start(struct netdev *nd);

/* Drivers (net/virtio/virtio_net.c). probe only identifies; attach
 * brings the device up and registers it, or logs why not. */
bool virtio_net_probe(const struct pci_dev *d);
int virtio_net_attach(struct pci_dev *d);

#endif
