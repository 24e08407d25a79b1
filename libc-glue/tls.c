/*
 * Thread-local storage (__thread) in the x86_64 variant II layout of the
 * ELF TLS ABI ("ELF Handling For Thread-Local Storage", Drepper, 4.1.2):
 * the FS base points at a thread control block whose first word points
 * at itself, and the TLS block (.tdata copied, .tbss zeroed) ends right
 * below it, at the offset the linker used for local-exec accesses:
 * the block size rounded up to the segment's alignment.
 */
#include <string.h>

#include "internal.h"
#include <kernel/mm.h>

#define TCB_SIZE 64 /* self pointer, and room for what compilers put there */

extern char __tdata_start[], __tdata_end[], __tbss_start[], __tbss_end[];
extern char __tls_align[]; /* its address is the alignment */

/* The PT_TLS segment's alignment: the linker rounds the block up to it
 * when it computes the variables' offsets from the thread pointer. */
static size_t tls_align(void)
{
	size_t a = (size_t)(uintptr_t)__tls_align;

	return a ? a : 1;
}

int libc_tls_setup(struct thread *t, struct libc_thread *lt)
{
	size_t data = (size_t)(__tdata_end - __tdata_start);
	size_t mem = (size_t)(__tbss_end - __tdata_start);
	size_t align = tls_align();
	size_t off = (mem + align - 1) & ~(align - 1);

	/* The thread pointer itself: aligned for the block and the TCB. */
	if (align < 16)
		align = 16;
	char *raw, *tp;

	if ((uintptr_t)__tbss_end < (uintptr_t)__tbss_start || mem < data)
		return -1;
	raw = kmalloc(off + TCB_SIZE + align);
	if (!raw)
		return -1;
	tp = (char *)(((uintptr_t)raw + off + align - 1) &
		      ~(uintptr_t)(align - 1));
	memcpy(tp - off, __tdata_start, data);
	memset(tp - off + data, 0, off - data);
	memset(tp, 0, TCB_SIZE);
	*(char **)tp = tp;
	lt->tls_alloc = raw;
	t->fs_base = (uintptr_t)tp;
	return 0;
}

void libc_tls_free(struct libc_thread *lt)
{
	kfree(lt->tls_alloc);
	lt->tls_alloc = NULL;
}
