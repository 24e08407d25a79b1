/*
 * The last step of the UEFI loader: switch to our page tables and stack
 * and jump to the kernel (docs/boot-protocol.md). The code doing it is
 * copied into a page below 4 GiB first, because after the CR3 switch
 * only the first 4 GiB are mapped and the firmware may have loaded this
 * image anywhere.
 */
#ifndef UEFI_HANDOFF_H
#define UEFI_HANDOFF_H

#include <stdint.h>

/* Copy the hand-off code into page (allocated as loader code). */
void handoff_install(void *page);

__attribute__((noreturn)) void handoff_jump(void *page, uint64_t pml4,
					    uint64_t stack_top,
					    uint64_t boot_info, uint64_t entry);

#endif
