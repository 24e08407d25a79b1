/*
 * BOOTX64.EFI: the UEFI side of the boot path (UEFI 2.10; gnu-efi). It
 * finds the disk it was loaded from, reads the ext2 partition on it
 * through EFI_BLOCK_IO with the same loader core as the BIOS stage 2
 * (partition table, ext2, boot.cfg, ELF), loads the kernel and modules
 * into pages allocated from the firmware, takes the memory map, exits
 * boot services and enters the kernel in the state docs/boot-protocol.md
 * gives, with its own identity page tables.
 *
 * Order matters at the end: every allocation (boot info, map buffers,
 * page tables, the hand-off stub and stack) happens before
 * ExitBootServices, which is retried while the map key changes; after
 * it nothing calls the firmware again and only COM1 can report.
 *
 * On bad input: one line on ConOut and COM1, a pause so that a person at
 * a screen can read it, then EFI_LOAD_ERROR back to the firmware, which
 * goes on to its next boot option (docs/uefi.md).
 */
#include <efi.h>

#include <arch/cpu.h>
#include <arch/platform.h>
#include <kernel/lib.h>
#include <kernel/printf.h>
#include <load.h>
#include <memmap.h>
#include <skiff/bootinfo.h>

#include "handoff.h"
#include "trust.h"

#define COM1 0x3f8
#define PAGE_SIZE 4096
#define ARENA_SIZE (2 * 1024 * 1024)
#define BELOW_4G 0xffffffffULL
#define BELOW_1M 0xfffffULL
#define FAIL_PAUSE_US (5 * 1000 * 1000)
#define EBS_TRIES 8
#define HANDOFF_STACK 16384
#define BOUNCE_BYTES (64 * 1024)

/* Our own copies of what we need from the firmware: no libefi helpers,
 * which would double the size of the binary. */
static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;
static EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID device_path_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
static EFI_GUID block_io_guid = EFI_BLOCK_IO_PROTOCOL_GUID;
static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static EFI_SYSTEM_TABLE *ST;
static EFI_BOOT_SERVICES *BS;

struct efi_boot {
	EFI_HANDLE image;
	EFI_BLOCK_IO *bio;
	UINT32 media_id;
	UINT32 block_size;
	UINT32 io_align;
	uint8_t *bounce; /* BOUNCE_BYTES, aligned for the device */
	uint8_t *arena;	 /* loader_alloc's pool */
	size_t arena_used;
	uint64_t kernel_lo[ELF_MAX_SEGMENTS], kernel_len[ELF_MAX_SEGMENTS];
	uint32_t kernel_count;
};

static struct efi_boot eb;
static struct loader ld;

static void emit_serial(void *ctx, char c)
{
	(void)ctx;
	if (c == '\n')
		uart_putc(COM1, '\r');
	uart_putc(COM1, c);
}

static void serial_line(const char *s)
{
	while (*s)
		emit_serial(NULL, *s++);
}

static void log_serial(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void log_serial(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvformat(emit_serial, NULL, fmt, ap);
	va_end(ap);
}

/* Console output: COM1 directly (the log a cloud keeps) and ConOut (a
 * screen, or the firmware's own serial console). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[320];
	CHAR16 wide[2 * ARRAY_SIZE(line)];
	size_t w = 0;
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	serial_line(line);
	for (size_t i = 0; line[i]; i++) {
		if (line[i] == '\n')
			wide[w++] = L'\r';
		wide[w++] = (unsigned char)line[i];
	}
	wide[w] = 0;
	uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
}

/* Report, pause, and give control back to the firmware. */
static EFI_STATUS fail(const char *why)
{
	say("skiff: %s\n", why);
	say("skiff: boot failed; returning to the firmware in %u s\n",
	    FAIL_PAUSE_US / 1000000);
	uefi_call_wrapper(BS->Stall, 1, FAIL_PAUSE_US);
	return EFI_LOAD_ERROR;
}

static EFI_STATUS fail_status(const char *what, EFI_STATUS st)
{
	char buf[160];

	ksnprintf(buf, sizeof(buf), "uefi: %s failed (EFI status %#llx)", what,
		  (unsigned long long)st);
	return fail(buf);
}

static void *arena_alloc(void *ctx, size_t size, size_t align)
{
	struct efi_boot *b = ctx;
	size_t p = (b->arena_used + align - 1) & ~(align - 1);

	if (p > ARENA_SIZE || size > ARENA_SIZE - p)
		return NULL;
	b->arena_used = p + size;
	return b->arena + p;
}

/* Read through the bounce buffer: the loader core reads 512-byte sectors
 * into buffers of any alignment; the device has its own block size and
 * may want aligned buffers. */
static int efi_read_bounced(struct efi_boot *b, uint64_t lba, uint32_t count,
			    uint8_t *out)
{
	uint64_t byte = lba * SECTOR_SIZE, end = byte + count * SECTOR_SIZE;

	while (byte < end) {
		uint64_t blk = byte / b->block_size;
		uint64_t off = byte - blk * b->block_size;
		uint64_t nblk = BOUNCE_BYTES / b->block_size;
		uint64_t avail, n;
		EFI_STATUS st;

		if (blk + nblk > b->bio->Media->LastBlock + 1)
			nblk = b->bio->Media->LastBlock + 1 - blk;
		if (nblk == 0)
			return -KERR_EIO;
		st = uefi_call_wrapper(b->bio->ReadBlocks, 5, b->bio,
				       b->media_id, blk, nblk * b->block_size,
				       b->bounce);
		if (EFI_ERROR(st))
			return -KERR_EIO;
		avail = nblk * b->block_size - off;
		n = end - byte < avail ? end - byte : avail;
		memcpy(out, b->bounce + off, n);
		out += n;
		byte += n;
	}
	return 0;
}

static int efi_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct efi_boot *b = ctx;
	EFI_STATUS st;

	if (b->block_size != SECTOR_SIZE ||
	    (b->io_align > 1 && (uintptr_t)buf % b->io_align))
		return efi_read_bounced(b, lba, count, buf);
	st = uefi_call_wrapper(b->bio->ReadBlocks, 5, b->bio, b->media_id, lba,
			       (UINTN)count * SECTOR_SIZE, buf);
	return EFI_ERROR(st) ? -KERR_EIO : 0;
}

static uint64_t pages_of(uint64_t bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* load_ops: the kernel's segments must be free memory at exactly their
 * addresses; the firmware says which is free by granting the pages. */
static int efi_claim(void *ctx, struct loader *l, const char *what,
		     uint64_t base, uint64_t size, uint32_t type)
{
	struct efi_boot *b = ctx;
	EFI_PHYSICAL_ADDRESS addr = base;
	EFI_STATUS st;

	if (size == 0)
		return 0;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress,
			       EfiLoaderData, pages_of(size), &addr);
	if (EFI_ERROR(st))
		return loader_fail(l, -KERR_ENOMEM,
				   "%s %#llx-%#llx is not free memory (the "
				   "firmware owns it or it is not RAM)",
				   what, (unsigned long long)base,
				   (unsigned long long)(base + size));
	if (type == BOOT_MEM_KERNEL && b->kernel_count < ELF_MAX_SEGMENTS) {
		b->kernel_lo[b->kernel_count] = base;
		b->kernel_len[b->kernel_count++] = size;
	}
	return 0;
}

static int efi_place(void *ctx, struct loader *l, const char *what,
		     uint64_t hint, uint64_t size, uint64_t *addr)
{
	EFI_PHYSICAL_ADDRESS a = BELOW_4G;
	EFI_STATUS st;

	(void)ctx;
	(void)hint;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
			       EfiLoaderData, pages_of(size ? size : 1), &a);
	if (EFI_ERROR(st))
		return loader_fail(l, -KERR_ENOMEM,
				   "%s: no room for %llu bytes below 4 GiB",
				   what, (unsigned long long)size);
	*addr = a;
	return 0;
}

static void *alloc_pages_below(uint64_t limit, uint64_t bytes,
			       EFI_MEMORY_TYPE type)
{
	EFI_PHYSICAL_ADDRESS a = limit;
	EFI_STATUS st =
		uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
				  type, pages_of(bytes), &a);

	return EFI_ERROR(st) ? NULL : (void *)(uintptr_t)a;
}

/* A device path is a list of variable-length nodes ending in an end
 * node (UEFI 2.10, 10.3); copy it whole, so that it can be cut. */
static EFI_DEVICE_PATH *copy_device_path(EFI_DEVICE_PATH *path)
{
	EFI_DEVICE_PATH *node = path, *copy;
	UINTN size;

	for (int i = 0; !IsDevicePathEnd(node); i++) {
		if (DevicePathNodeLength(node) < (int)sizeof(*node) || i > 64)
			return NULL;
		node = NextDevicePathNode(node);
	}
	size = (UINTN)((uint8_t *)node - (uint8_t *)path) + sizeof(*node);
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData,
					size, (void **)&copy)))
		return NULL;
	memcpy(copy, path, size);
	return copy;
}

static bool guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The whole disk under the partition this image was loaded from: the
 * image's device path without its last (hard drive) node. */
static EFI_STATUS open_boot_disk(struct efi_boot *b)
{
	EFI_LOADED_IMAGE *li;
	EFI_DEVICE_PATH *path, *node, *rest;
	EFI_HANDLE disk;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, b->image,
			       &loaded_image_guid, (void **)&li);
	if (EFI_ERROR(st))
		return fail_status("LoadedImage protocol", st);
	st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle,
			       &device_path_guid, (void **)&path);
	if (EFI_ERROR(st))
		return fail_status("the boot device's device path", st);
	path = copy_device_path(path);
	if (!path)
		return fail("uefi: out of memory copying a device path");
	for (node = path; !IsDevicePathEnd(node);
	     node = NextDevicePathNode(node)) {
		if (DevicePathType(node) == MEDIA_DEVICE_PATH &&
		    DevicePathSubType(node) == MEDIA_HARDDRIVE_DP) {
			SetDevicePathEndNode(node);
			break;
		}
	}
	rest = path;
	st = uefi_call_wrapper(BS->LocateDevicePath, 3, &block_io_guid, &rest,
			       &disk);
	if (EFI_ERROR(st))
		return fail_status("finding the boot disk's BlockIo", st);
	st = uefi_call_wrapper(BS->HandleProtocol, 3, disk, &block_io_guid,
			       (void **)&b->bio);
	if (EFI_ERROR(st))
		return fail_status("BlockIo protocol", st);
	if (b->bio->Media->LogicalPartition)
		return fail("uefi: the boot device is a partition, not a disk; "
			    "cannot read the partition table");
	b->media_id = b->bio->Media->MediaId;
	b->block_size = b->bio->Media->BlockSize;
	b->io_align = b->bio->Media->IoAlign;
	if (b->block_size < SECTOR_SIZE || b->block_size > BOUNCE_BYTES ||
	    (b->block_size & (b->block_size - 1)))
		return fail("uefi: the boot disk's block size is not a power "
			    "of two between 512 and 65536");
	return EFI_SUCCESS;
}

static uint64_t find_rsdp(void)
{
	uint64_t v1 = 0;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (guid_eq(&t->VendorGuid, &acpi20_guid))
			return (uintptr_t)t->VendorTable;
		if (guid_eq(&t->VendorGuid, &acpi10_guid))
			v1 = (uintptr_t)t->VendorTable;
	}
	return v1;
}

static unsigned mask_shift(UINT32 mask)
{
	unsigned s = 0;

	while (mask && !(mask & 1)) {
		mask >>= 1;
		s++;
	}
	return s;
}

static void find_framebuffer(struct boot_framebuffer *fb)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
	EFI_STATUS st = uefi_call_wrapper(BS->LocateProtocol, 3, &gop_guid,
					  NULL, (void **)&gop);

	if (EFI_ERROR(st) || !gop->Mode || !gop->Mode->Info)
		return;
	info = gop->Mode->Info;
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		fb->red_shift = 0;
		fb->green_shift = 8;
		fb->blue_shift = 16;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		fb->red_shift = 16;
		fb->green_shift = 8;
		fb->blue_shift = 0;
		break;
	case PixelBitMask:
		fb->red_shift = mask_shift(info->PixelInformation.RedMask);
		fb->green_shift = mask_shift(info->PixelInformation.GreenMask);
		fb->blue_shift = mask_shift(info->PixelInformation.BlueMask);
		break;
	default:
		return; /* BltOnly: no linear framebuffer */
	}
	fb->addr = gop->Mode->FrameBufferBase;
	fb->width = info->HorizontalResolution;
	fb->height = info->VerticalResolution;
	fb->pitch = info->PixelsPerScanLine * 4;
	fb->bpp = 32;
}

/* Identity map of the first 4 GiB with 2 MiB pages, in loader memory the
 * kernel is told about (the firmware's own tables sit in boot services
 * memory, which becomes free). */
static uint64_t build_page_tables(void)
{
	uint64_t *pml4 =
		alloc_pages_below(BELOW_4G, 6 * PAGE_SIZE, EfiLoaderData);
	uint64_t *pdpt, *pd;

	if (!pml4)
		return 0;
	memset(pml4, 0, 6 * PAGE_SIZE);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (uintptr_t)pdpt | 0x3;
	for (uint32_t i = 0; i < 4; i++)
		pdpt[i] = (uintptr_t)(pd + 512 * i) | 0x3;
	for (uint32_t i = 0; i < 2048; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	return (uintptr_t)pml4;
}

/* Only COM1 is left once boot services are gone. */
static __attribute__((noreturn)) void fail_after_exit(const char *why)
{
	serial_line("skiff: ");
	serial_line(why);
	serial_line("\nskiff: boot stopped after leaving the firmware; "
		    "halted\n");
	cpu_halt_forever();
}

/* Called by gnu-efi's crt0, which passes the arguments System V style. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	uint64_t t_entry = rdtsc(), t_fs, t_loaded;
	struct part_table *parts;
	const struct part *root;
	struct ext2_fs *fs;
	struct boot_files files;
	struct load_ops ops = { .claim = efi_claim, .place = efi_place };
	struct boot_info *bi;
	struct boot_mem_range *map;
	uint8_t *efi_map, *stub, *stack;
	UINTN map_size = 0, map_alloc, map_key, desc_size;
	UINT32 desc_version;
	uint64_t pml4, trampoline;
	EFI_STATUS st;
	int n;

	ST = systab;
	BS = systab->BootServices;
	uart_init(COM1);
	eb.image = image;
	ops.ctx = &eb;
	st = open_boot_disk(&eb);
	if (EFI_ERROR(st))
		return st;
	eb.arena = alloc_pages_below(BELOW_4G, ARENA_SIZE, EfiLoaderData);
	eb.bounce = alloc_pages_below(BELOW_4G, BOUNCE_BYTES, EfiLoaderData);
	if (!eb.arena || !eb.bounce)
		return fail("uefi: no memory below 4 GiB for the loader");

	ld.read = efi_read;
	ld.alloc = arena_alloc;
	ld.ctx = &eb;
	ld.disk_sectors =
		(eb.bio->Media->LastBlock + 1) * (eb.block_size / SECTOR_SIZE);
	if (trust_locked()) {
		ops.cfg_sha256 = trust_cfg_sha256();
	}

	parts = loader_alloc(&ld, sizeof(*parts), 8);
	if (!parts || load_mount_root(&ld, parts, &root, &fs) < 0)
		return fail(ld.error);
	t_fs = rdtsc();
	if (load_boot_files(&ld, fs, &ops, &files) < 0)
		return fail(ld.error);
	if (trust_locked() && !files.cfg->has_kernel_sha256)
		return fail("boot.cfg: this loader is signed, so boot.cfg must "
			    "give the kernel's sha256");
	if (trust_locked() && files.cfg->module_count)
		return fail("boot.cfg: modules are not covered by the "
			    "signature of this loader; refusing them");
	t_loaded = rdtsc();

	/* Everything the hand-off needs, allocated now. */
	bi = loader_alloc(&ld, sizeof(*bi), 8);
	map = loader_alloc(&ld, MEMMAP_MAX * sizeof(*map), 8);
	pml4 = build_page_tables();
	stub = alloc_pages_below(BELOW_4G, PAGE_SIZE, EfiLoaderCode);
	stack = alloc_pages_below(BELOW_4G, HANDOFF_STACK, EfiLoaderData);
	trampoline = (uintptr_t)alloc_pages_below(BELOW_1M, PAGE_SIZE,
						  EfiLoaderData);
	if (!bi || !map || !pml4 || !stub || !stack)
		return fail("uefi: out of memory below 4 GiB for the hand-off");
	load_boot_info_init(bi, &files, parts, root, BOOT_FW_UEFI,
			    "skiff-uefi " SKIFF_VERSION);
	bi->rsdp = find_rsdp();
	bi->tsc[BOOT_TS_LOADER_ENTRY] = t_entry;
	bi->tsc[BOOT_TS_FS_READY] = t_fs;
	bi->tsc[BOOT_TS_KERNEL_LOADED] = t_loaded;
	find_framebuffer(&bi->fb);
	handoff_install(stub);

	/* The success line goes to COM1 only: under OVMF, ConOut is the
	 * same serial port again, and slow. */
	log_serial("skiff-uefi: %s: %llu KiB, %u segments, entry %#llx; "
		   "%u modules; partition %u; low page %#llx%s\n",
		   files.cfg->kernel,
		   (unsigned long long)(files.kernel_size >> 10),
		   files.img.count, (unsigned long long)files.img.entry,
		   files.cfg->module_count, root->index,
		   (unsigned long long)trampoline,
		   trust_locked() ? "; signed boot.cfg" : "");

	/* The map grows while we allocate for it: leave room. */
	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &map_key,
			       &desc_size, &desc_version);
	if (st != EFI_BUFFER_TOO_SMALL)
		return fail_status("GetMemoryMap (size)", st);
	map_alloc = map_size + 16 * desc_size;
	efi_map = alloc_pages_below(BELOW_4G, map_alloc, EfiLoaderData);
	if (!efi_map)
		return fail("uefi: no memory for the memory map");
	for (int tries = 0;; tries++) {
		map_size = map_alloc;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size,
				       (EFI_MEMORY_DESCRIPTOR *)efi_map,
				       &map_key, &desc_size, &desc_version);
		if (EFI_ERROR(st))
			return fail_status("GetMemoryMap", st);
		if (tries == 0 && memmap_from_efi(efi_map, map_size, desc_size,
						  map, MEMMAP_MAX) < 0)
			return fail("uefi: the firmware's memory map does not "
				    "fit the boot info");
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, map_key);
		if (!EFI_ERROR(st))
			break;
		if (tries == EBS_TRIES)
			return fail_status("ExitBootServices", st);
	}

	/* Boot services are gone from here on. */
	n = memmap_from_efi(efi_map, map_size, desc_size, map, MEMMAP_MAX);
	if (n < 0)
		fail_after_exit("memory: the final memory map does not fit");
	for (uint32_t i = 0; i < eb.kernel_count; i++) {
		n = memmap_mark(map, (uint32_t)n, MEMMAP_MAX, eb.kernel_lo[i],
				eb.kernel_len[i], BOOT_MEM_KERNEL);
		if (n < 0)
			fail_after_exit("memory: too many memory map entries");
	}
	bi->mmap = (uintptr_t)map;
	bi->mmap_count = (uint32_t)n;
	bi->tsc[BOOT_TS_EXIT_FIRMWARE] = rdtsc();
	handoff_jump(stub, pml4, (uintptr_t)(stack + HANDOFF_STACK),
		     (uintptr_t)bi, files.img.entry);
}
