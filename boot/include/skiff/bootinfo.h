/*
 * The boot info: the one structure every loader hands to the kernel (our
 * BIOS stage 2, our UEFI loader, and the kernel's own PVH entry, which
 * builds one from Xen's hvm_start_info). docs/boot-protocol.md describes
 * the machine state at entry; this header is the layout.
 *
 * Every address is a 64-bit physical address, identity-mapped at entry, so
 * that 32-bit loader code can fill it in. The layout only grows: fields are
 * appended and 'version' raised, and 'size' tells the kernel how much a
 * loader filled in.
 */
#ifndef SKIFF_BOOTINFO_H
#define SKIFF_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>

/* RSI at the 64-bit entry point; the boot info's first field as well. */
#define BOOT_INFO_MAGIC 0x544f4f4246494b53ULL /* "SKIFBOOT" */
#define BOOT_INFO_VERSION 1

enum boot_firmware {
	BOOT_FW_UNKNOWN = 0,
	BOOT_FW_PVH = 1,  /* qemu -kernel, Firecracker, Xen PVH */
	BOOT_FW_BIOS = 2, /* our MBR and stage 2 */
	BOOT_FW_UEFI = 3, /* our BOOTX64.EFI */
};

/* Memory types after normalisation; E820 and UEFI both map onto these. */
enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI_RECLAIMABLE = 3,
	BOOT_MEM_ACPI_NVS = 4,
	BOOT_MEM_BAD = 5,
	/* Loader data the kernel still needs at entry (boot info, command
	 * line, module images, page tables). Usable once consumed. */
	BOOT_MEM_BOOTLOADER = 6,
	BOOT_MEM_KERNEL = 7, /* the kernel's own PT_LOAD segments */
};

struct boot_mem_range {
	uint64_t base;
	uint64_t length;
	uint32_t type; /* enum boot_mem_type */
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct boot_mem_range, base) == 0, "layout");
_Static_assert(offsetof(struct boot_mem_range, length) == 8, "layout");
_Static_assert(offsetof(struct boot_mem_range, type) == 16, "layout");
_Static_assert(offsetof(struct boot_mem_range, reserved) == 20, "layout");
_Static_assert(sizeof(struct boot_mem_range) == 24, "layout");

/* An extra file from boot.cfg, loaded whole into memory. */
struct boot_module {
	uint64_t addr;
	uint64_t size;
	uint64_t name; /* NUL-terminated path as written in boot.cfg */
	uint64_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct boot_module, addr) == 0, "layout");
_Static_assert(offsetof(struct boot_module, size) == 8, "layout");
_Static_assert(offsetof(struct boot_module, name) == 16, "layout");
_Static_assert(offsetof(struct boot_module, reserved) == 24, "layout");
_Static_assert(sizeof(struct boot_module) == 32, "layout");

/* A linear framebuffer, when the firmware set one up (addr 0: none). */
struct boot_framebuffer {
	uint64_t addr;
	uint32_t width;
	uint32_t height;
	uint32_t pitch; /* bytes per scan line */
	uint8_t bpp;
	uint8_t red_shift, green_shift, blue_shift;
} __attribute__((packed));
_Static_assert(offsetof(struct boot_framebuffer, addr) == 0, "layout");
_Static_assert(offsetof(struct boot_framebuffer, width) == 8, "layout");
_Static_assert(offsetof(struct boot_framebuffer, height) == 12, "layout");
_Static_assert(offsetof(struct boot_framebuffer, pitch) == 16, "layout");
_Static_assert(offsetof(struct boot_framebuffer, bpp) == 20, "layout");
_Static_assert(offsetof(struct boot_framebuffer, red_shift) == 21, "layout");
_Static_assert(offsetof(struct boot_framebuffer, green_shift) == 22, "layout");
_Static_assert(offsetof(struct boot_framebuffer, blue_shift) == 23, "layout");
_Static_assert(sizeof(struct boot_framebuffer) == 24, "layout");

/* The disk and partition the kernel was read from. */
struct boot_disk {
	uint32_t bios_drive;	/* DL at MBR entry; 0xffffffff if none */
	uint32_t partition;	/* 1-based partition number; 0 if none */
	uint64_t partition_lba; /* first sector of the ext2 partition */
	uint8_t disk_id[16];	/* GPT disk GUID, or MBR signature in [0..3] */
} __attribute__((packed));
_Static_assert(offsetof(struct boot_disk, bios_drive) == 0, "layout");
_Static_assert(offsetof(struct boot_disk, partition) == 4, "layout");
_Static_assert(offsetof(struct boot_disk, partition_lba) == 8, "layout");
_Static_assert(offsetof(struct boot_disk, disk_id) == 16, "layout");
_Static_assert(sizeof(struct boot_disk) == 32, "layout");

/* TSC stamps, one per boot phase; 0 where a path has no such phase. */
enum boot_stamp {
	BOOT_TS_LOADER_ENTRY = 0,  /* MBR first instruction / efi_main */
	BOOT_TS_STAGE2_ENTRY = 1,  /* BIOS stage 2 started */
	BOOT_TS_FS_READY = 2,	   /* partition and ext2 found */
	BOOT_TS_KERNEL_LOADED = 3, /* kernel ELF and modules in memory */
	BOOT_TS_EXIT_FIRMWARE = 4, /* ExitBootServices / last BIOS call */
	BOOT_TS_KERNEL_ENTRY = 5,  /* first kernel instruction */
	BOOT_TS_COUNT = 8,
};

struct boot_info {
	uint64_t magic;	   /* BOOT_INFO_MAGIC */
	uint32_t version;  /* BOOT_INFO_VERSION the loader was built for */
	uint32_t size;	   /* sizeof(struct boot_info) as the loader knew it */
	uint32_t firmware; /* enum boot_firmware */
	uint32_t flags;	   /* none defined yet; must be 0 */
	uint64_t cmdline;  /* NUL-terminated kernel command line, or 0 */
	uint64_t rsdp;	   /* ACPI RSDP (2.0 when available), or 0 */
	uint64_t mmap;	   /* struct boot_mem_range[mmap_count], sorted */
	uint32_t mmap_count;
	uint32_t module_count;
	uint64_t modules; /* struct boot_module[module_count] */
	struct boot_disk disk;
	struct boot_framebuffer fb;
	uint64_t tsc[BOOT_TS_COUNT];
	uint64_t loader_name; /* NUL-terminated, e.g. "skiff-bios 0.1.0" */
} __attribute__((packed));
_Static_assert(offsetof(struct boot_info, magic) == 0, "layout");
_Static_assert(offsetof(struct boot_info, version) == 8, "layout");
_Static_assert(offsetof(struct boot_info, size) == 12, "layout");
_Static_assert(offsetof(struct boot_info, firmware) == 16, "layout");
_Static_assert(offsetof(struct boot_info, flags) == 20, "layout");
_Static_assert(offsetof(struct boot_info, cmdline) == 24, "layout");
_Static_assert(offsetof(struct boot_info, rsdp) == 32, "layout");
_Static_assert(offsetof(struct boot_info, mmap) == 40, "layout");
_Static_assert(offsetof(struct boot_info, mmap_count) == 48, "layout");
_Static_assert(offsetof(struct boot_info, module_count) == 52, "layout");
_Static_assert(offsetof(struct boot_info, modules) == 56, "layout");
_Static_assert(offsetof(struct boot_info, disk) == 64, "layout");
_Static_assert(offsetof(struct boot_info, fb) == 96, "layout");
_Static_assert(offsetof(struct boot_info, tsc) == 120, "layout");
_Static_assert(offsetof(struct boot_info, loader_name) == 184, "layout");
_Static_assert(sizeof(struct boot_info) == 192, "layout");

#endif
