/*
 * The loader core's own helpers: error reporting and checked disk reads.
 */
#include <stdarg.h>

#include "loader.h"
#include <kernel/printf.h>

int loader_fail(struct loader *ld, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(ld->error, sizeof(ld->error), fmt, ap);
	va_end(ap);
	return err;
}

int loader_read(struct loader *ld, uint64_t lba, uint32_t count, void *buf)
{
	int rc;

	if (ld->disk_sectors &&
	    (lba >= ld->disk_sectors || count > ld->disk_sectors - lba))
		return loader_fail(
			ld, -KERR_EIO,
			"disk: read of %u sectors at LBA %llu beyond "
			"end of disk (%llu sectors)",
			count, (unsigned long long)lba,
			(unsigned long long)ld->disk_sectors);
	rc = ld->read(ld->ctx, lba, count, buf);
	if (rc < 0)
		return loader_fail(ld, rc,
				   "disk: read error at LBA %llu (%u "
				   "sectors)",
				   (unsigned long long)lba, count);
	return 0;
}

void *loader_alloc(struct loader *ld, size_t size, size_t align)
{
	void *p = ld->alloc(ld->ctx, size, align);

	if (!p)
		loader_fail(ld, -KERR_ENOMEM,
			    "loader: out of memory allocating %zu bytes", size);
	return p;
}
