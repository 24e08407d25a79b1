/*
 * The boot memory map: turning what the firmware reports (E820 on BIOS,
 * GetMemoryMap on UEFI, the PVH start info) into the sorted, disjoint
 * list that the boot info promises (docs/boot-protocol.md), and carving
 * the kernel and the loader's data out of it.
 */
#ifndef BOOT_MEMMAP_H
#define BOOT_MEMMAP_H

#include <stdint.h>

#include <skiff/bootinfo.h>

#define MEMMAP_MAX 256

/* ACPI 6.5, table 15.1: E820 address range types. Unknown types (and
 * persistent memory) become reserved. */
uint32_t memmap_e820_type(uint32_t e820_type);

/* Sort by base, resolve overlaps and merge neighbours of the same type,
 * in place. Where ranges overlap, the more restrictive type wins:
 * usable < bootloader < kernel < reserved < ACPI data < ACPI NVS < bad.
 * Empty ranges and ranges that wrap past 2^64 are dropped (clipped).
 * Returns the new count, or -KERR_ENOSPC if the result would need more
 * than cap entries (count and cap at most MEMMAP_MAX). */
int memmap_normalize(struct boot_mem_range *r, uint32_t count, uint32_t cap);

/* Mark [base, base + length) as type (BOOT_MEM_KERNEL or
 * BOOT_MEM_BOOTLOADER over usable RAM), keeping the map normalised.
 * Returns the new count or -KERR_ENOSPC. */
int memmap_mark(struct boot_mem_range *r, uint32_t count, uint32_t cap,
		uint64_t base, uint64_t length, uint32_t type);

#endif
