/*
 * Copying the hand-off stub (handoff.asm) into its page.
 */
#include <kernel/lib.h>

#include "handoff.h"

extern const char handoff_stub[], handoff_stub_end[];

void handoff_install(void *page)
{
	memcpy(page, handoff_stub, (size_t)(handoff_stub_end - handoff_stub));
}
