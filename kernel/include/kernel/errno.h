/*
 * Error numbers for kernel code: an action returns 0 or a negative one of
 * these. The values are newlib's (EDEADLK, ENOSYS and ETIMEDOUT differ
 * from Linux's), so they pass to apps as they are.
 */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define KERR_ENOENT 2
#define KERR_EIO 5
#define KERR_E2BIG 7
#define KERR_EAGAIN 11
#define KERR_ENOMEM 12
#define KERR_EBUSY 16
#define KERR_EINVAL 22
#define KERR_ENOSPC 28
#define KERR_ERANGE 34
#define KERR_EDEADLK 45
#define KERR_ENOSYS 88
#define KERR_ETIMEDOUT 116

#endif
