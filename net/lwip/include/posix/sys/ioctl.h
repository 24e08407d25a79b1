/* ioctl() on sockets (FIONBIO, FIONREAD), net/lwip/sockets.c. */
#ifndef SKIFF_SYS_IOCTL_H
#define SKIFF_SYS_IOCTL_H

#include <sys/socket.h>

int ioctl(int fd, unsigned long req, ...);

#endif
