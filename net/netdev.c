/*
 * The registry of network devices (net/netdev.h). Drivers register what
 * they attach at boot; the stack's port (net/lwip/netif.c) takes them in
 * order. netdev_probe_all() runs each driver's probe over the PCI
 * functions; the drivers are listed in probes[].
 */
#include <kernel/console.h>
#include <kernel/errno.h>
#include <net/netdev.h>

static struct netdev *devs[NETDEV_MAX];
static unsigned ndevs;

/* Each driver's probe: attach every device it handles. */
static void (*const probes[])(void) = { 0 };

int netdev_register(struct netdev *nd)
{
	unsigned i = ndevs;

	if (i >= NETDEV_MAX) {
		kprintf("net: more than %d devices; %02x:%02x:... ignored\n",
			NETDEV_MAX, nd->mac[0], nd->mac[1]);
		return -KERR_ENOSPC;
	}
	nd->name[0] = 'n';
	nd->name[1] = 'e';
	nd->name[2] = 't';
	nd->name[3] = (char)('0' + i);
	nd->name[4] = '\0';
	devs[ndevs++] = nd;
	return 0;
}

unsigned netdev_count(void)
{
	return ndevs;
}

struct netdev *netdev_get(unsigned index)
{
	return index < ndevs ? devs[index] : 0;
}

void netdev_probe_all(void)
{
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (probes[i])
			probes[i]();
}
