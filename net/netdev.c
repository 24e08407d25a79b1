/*
 * The registry of network devices (net/include/net/netdev.h). Drivers
 * register what they attach at boot, in PCI order, and get the names
 * net0, net1, ...; the stack's port (net/lwip/netif.c) takes them in
 * order. netdev_probe_all() offers every virtio function on the PCI bus
 * to the virtio-net driver. Devices are never removed.
 */
#include <net/netdev.h>

#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/pci.h>
#include <kernel/printf.h>
#include <kernel/spinlock.h>

/* Red Hat's PCI vendor id, which every virtio device has. */
#define PCI_VENDOR_VIRTIO 0x1af4

static struct spinlock registry_lock = SPINLOCK_INIT;
static struct netdev *devs[NETDEV_MAX];
static unsigned ndevs;

int netdev_register(struct netdev *nd)
{
	uint64_t flags = spin_lock_irqsave(&registry_lock);
	unsigned i = ndevs;

	if (i >= NETDEV_MAX) {
		spin_unlock_irqrestore(&registry_lock, flags);
		kprintf("net: more than %d devices; "
			"%02x:%02x:%02x:%02x:%02x:%02x ignored\n",
			NETDEV_MAX, nd->mac[0], nd->mac[1], nd->mac[2],
			nd->mac[3], nd->mac[4], nd->mac[5]);
		return -KERR_ENOSPC;
	}
	ksnprintf(nd->name, sizeof(nd->name), "net%u", i);
	__atomic_store_n(&devs[i], nd, __ATOMIC_RELEASE);
	__atomic_store_n(&ndevs, i + 1, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&registry_lock, flags);
	return 0;
}

unsigned netdev_count(void)
{
	return __atomic_load_n(&ndevs, __ATOMIC_ACQUIRE);
}

struct netdev *netdev_get(unsigned index)
{
	if (index >= netdev_count())
		return NULL;
	return __atomic_load_n(&devs[index], __ATOMIC_ACQUIRE);
}

int netdev_start(struct netdev *nd)
{
	if (!nd || !nd->stack.rx)
		return -KERR_EINVAL;
	return nd->ops->start(nd);
}

void netdev_probe_all(void)
{
	struct pci_dev *d = NULL;

	while ((d = pci_find(PCI_VENDOR_VIRTIO, 0xffff, d)) != NULL)
		if (virtio_net_probe(d))
			virtio_net_attach(d);
}
