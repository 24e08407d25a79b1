/*
 * The network device interface between drivers (net/virtio/) and the
 * TCP/IP stack's port (net/lwip/): the stack never sees a virtio
 * structure, and a driver never sees lwIP. Modelled on Unikraft's
 * uk_netdev: a device is a fixed set of verbs plus callbacks into the
 * stack.
 *
 * Buffers: frames cross this interface as scatter lists of plain memory,
 * without the virtio-net header. On receive, the driver lends the stack
 * a filled buffer (struct netdev_rxbuf) and gets it back through
 * netdev_rx_release(); on transmit, the stack lends the driver the
 * fragments of one frame and gets tx_done(cookie) once the device has
 * read them. Both directions can thus be zero-copy.
 *
 * Context: rx and tx_done are called from the driver's own thread (not
 * from interrupt handlers), never concurrently for one device.
 */
#ifndef NET_NETDEV_H
#define NET_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_MAX 8
#define NETDEV_TX_FRAGS 16

struct netdev;

struct netdev_frag {
	const void *data;
	size_t len;
};

struct netdev_rxbuf {
	void *data; /* the Ethernet frame */
	size_t len;
	void *driver; /* the driver's own reference */
};

struct netdev_ops {
	/* Queue one frame (nfrags fragments, at most NETDEV_TX_FRAGS, the
	 * Ethernet header first) for transmission. 0, or -KERR_EAGAIN when
	 * the ring is full (the stack retries after a tx_done), or
	 * -KERR_EINVAL for a frame the device cannot take (too long). */
	int (*tx)(struct netdev *nd, const struct netdev_frag *frags,
		  unsigned nfrags, void *cookie);
	/* Give a received buffer back to the driver for refilling. */
	void (*rx_release)(struct netdev *nd, struct netdev_rxbuf *buf);
};

/* Set by the stack before netdev_start(). */
struct netdev_stack {
	void (*rx)(struct netdev *nd, struct netdev_rxbuf *buf);
	void (*tx_done)(struct netdev *nd, void *cookie);
	void (*link_changed)(struct netdev *nd, bool up);
	void *ctx;
};

struct netdev {
	char name[8]; /* "net0" ... */
	uint8_t mac[6];
	uint16_t mtu; /* the device's limit for the IP MTU (1500 default) */
	bool link_up;
	const char *mode; /* "legacy", "modern": for the log */
	const struct netdev_ops *ops;
	struct netdev_stack stack;
	void *priv;
};

/* Drivers: register a device found at boot (name assigned). */
int netdev_register(struct netdev *nd);
unsigned netdev_count(void);
struct netdev *netdev_get(unsigned index);

/* Probe every driver on the PCI devices found (net/netdev.c). */
void netdev_probe_all(void);

#endif
