/*
 * Where the loader may put things: a range must lie inside usable RAM of
 * the boot memory map and outside every range the loader has reserved for
 * itself (its code, stack, buffers, page tables).
 */
#ifndef BOOT_MEMCHECK_H
#define BOOT_MEMCHECK_H

#include "loader.h"
#include <skiff/bootinfo.h>

/* 0 if [base, base + size) is inside one usable range of map and
 * overlaps none of reserved[]; otherwise an error naming what is in the
 * way ("elf: /boot/app.elf: segment 0x7000-0x9000 overlaps the loader
 * (0x8000-0x10000)"). 'what' is the message up to the addresses. Usable
 * entries that touch count as one range; size 0 always passes; a
 * reserved entry is named by its type (BOOT_MEM_BOOTLOADER: "the
 * loader", BOOT_MEM_KERNEL: "the kernel"). */
int mem_check_range(struct loader *ld, const char *what,
		    const struct boot_mem_range *map, uint32_t count,
		    const struct boot_mem_range *reserved,
		    uint32_t reserved_count, uint64_t base, uint64_t size);

#endif
