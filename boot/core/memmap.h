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

/* UEFI 2.10, 7.2.3: EFI_MEMORY_DESCRIPTOR as GetMemoryMap returns it.
 * Descriptors are desc_size apart, which may exceed this struct. */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t pages; /* 4 KiB each */
	uint64_t attribute;
} __attribute__((packed));
_Static_assert(__builtin_offsetof(struct efi_mem_desc, type) == 0, "layout");
_Static_assert(__builtin_offsetof(struct efi_mem_desc, phys_start) == 8,
	       "layout");
_Static_assert(__builtin_offsetof(struct efi_mem_desc, virt_start) == 16,
	       "layout");
_Static_assert(__builtin_offsetof(struct efi_mem_desc, pages) == 24, "layout");
_Static_assert(__builtin_offsetof(struct efi_mem_desc, attribute) == 32,
	       "layout");

/* The boot type of a UEFI memory type, as the kernel sees memory after
 * ExitBootServices: boot services code and data are free again, loader
 * code and data are ours (bootloader), runtime services stay reserved. */
uint32_t memmap_efi_type(uint32_t efi_type);

/* Convert a GetMemoryMap buffer into a normalised boot map. Needs no
 * allocation, so it can run after ExitBootServices. Returns the count or
 * -KERR_EINVAL (bad desc_size) / -KERR_ENOSPC. */
int memmap_from_efi(const void *descs, uint64_t map_size, uint64_t desc_size,
		    struct boot_mem_range *out, uint32_t cap);

#endif
