/*
 * BIOS stage 2, in 32-bit protected mode: the firmware side of the BIOS
 * boot path. It collects what only the BIOS knows (E820 memory map, boot
 * drive geometry, the ACPI RSDP), then lets the shared loader core find
 * the ext2 partition, read /boot/boot.cfg, and load the kernel ELF and
 * its modules, and finally enters the kernel in long mode with a boot
 * info (docs/boot-protocol.md).
 *
 * Low memory while stage 2 runs:
 *   0x00500  TSC stamp taken by the MBR (8 bytes)
 *   0x00600  stack, growing down from 0x7c00
 *   0x08000  stage 2 code, data and bss (stage2.ld keeps it below 0x20000)
 *   0x20000  disk bounce buffer, 64 KiB (INT 13h reaches < 1 MiB)
 * All of [0, 0x80000) is reported to the kernel as bootloader memory, and
 * so is the loader heap (1 MiB for buffers, the boot info and the page
 * tables), which goes at the top of the highest usable RAM below 4 GiB,
 * out of the way of the kernel at 1 MiB.
 *
 * Disk reads: under emulation every INT 13h call costs a millisecond or
 * more whatever its size, so reads are few and large: 64 KiB per call
 * (SeaBIOS's limit; 127 sectors if a BIOS refuses that, as old ones do),
 * and small reads (file system metadata) fetch a 32 KiB window that
 * later small reads are served from.
 *
 * Any error ends in one line on the screen and on COM1, then a halt. The
 * disk is only ever read.
 */
#include <stdarg.h>

#include "bios.h"
#include <arch/cpu.h>
#include <arch/platform.h>
#include <kernel/lib.h>
#include <kernel/printf.h>
#include <load.h>
#include <loader.h>
#include <memcheck.h>
#include <memmap.h>
#include <skiff/bootinfo.h>

#define MBR_TSC_STAMP 0x500
#define BOUNCE_BUF 0x20000
#define BOUNCE_SECTORS 768   /* 0x20000-0x80000 */
#define EDD_SAFE_SECTORS 127 /* what every EDD BIOS accepts */
#define HEAP_SIZE (1024 * 1024)
#define RA_SECTORS 64 /* read-ahead window for small reads */
#define RA_WINDOWS 4
#define LOADER_AREA_END 0x80000
#define COM1 0x3f8
#define E820_MAX 128
#define PAGE_SIZE 4096

struct e820_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t attr; /* ACPI 3.0 extended attributes */
} __attribute__((packed));
_Static_assert(sizeof(struct e820_entry) == 24, "layout");

/* INT 13h AH=42h disk address packet (EDD 3.0). */
struct edd_dap {
	uint8_t size;
	uint8_t reserved;
	uint16_t count;
	uint16_t offset;
	uint16_t segment;
	uint64_t lba;
} __attribute__((packed));
_Static_assert(offsetof(struct edd_dap, count) == 2, "layout");
_Static_assert(offsetof(struct edd_dap, offset) == 4, "layout");
_Static_assert(offsetof(struct edd_dap, segment) == 6, "layout");
_Static_assert(offsetof(struct edd_dap, lba) == 8, "layout");
_Static_assert(sizeof(struct edd_dap) == 16, "layout");

/* INT 13h AH=48h drive parameters (EDD 1.1 part). */
struct edd_params {
	uint16_t size;
	uint16_t flags;
	uint32_t cylinders;
	uint32_t heads;
	uint32_t sectors_per_track;
	uint64_t sectors;
	uint16_t bytes_per_sector;
} __attribute__((packed));
_Static_assert(offsetof(struct edd_params, sectors) == 16, "layout");
_Static_assert(offsetof(struct edd_params, bytes_per_sector) == 24, "layout");

struct ra_window {
	uint64_t lba; /* first sector; valid if count > 0 */
	uint32_t count;
	uint32_t last_use;
	uint8_t *buf;
};

struct stage2 {
	uint8_t drive;
	uint32_t max_sectors; /* per INT 13h call */
	uint64_t disk_sectors;
	uintptr_t heap, heap_start, heap_end;
	struct ra_window ra[RA_WINDOWS];
	uint32_t ra_clock;
	uint32_t bios_reads; /* INT 13h calls, for the log line */
	struct boot_mem_range map[MEMMAP_MAX];
	uint32_t map_count;
};

static struct stage2 s2;
static struct loader ld;
static struct e820_entry e820_buf;
static struct edd_dap dap;
static struct edd_params edd;
static struct part_table parts;

/* Called from the exception stubs with interrupts off: w1 and w2 are the
 * error code and EIP for the vectors that push an error code, otherwise
 * EIP and CS. */
void stage2_exception(uint32_t vector, uint32_t w1, uint32_t w2);
void stage2_main(uint32_t drive);

/* Read fixed low-memory locations (BDA, the MBR's stamp). The empty asm
 * hides the constant address from gcc, which otherwise takes a pointer
 * below 4 KiB for a null-pointer offset. */
static uint64_t peek64(uintptr_t addr)
{
	const volatile uint64_t *p;

	__asm__("" : "=r"(p) : "0"(addr));
	return *p;
}

static uint16_t peek16(uintptr_t addr)
{
	const volatile uint16_t *p;

	__asm__("" : "=r"(p) : "0"(addr));
	return *p;
}

static void screen_putc(char c)
{
	struct bios_regs r = { 0 };

	r.eax = 0x0e00 | (uint8_t)c;
	bios_call(0x10, &r);
}

static void emit_both(void *ctx, char c)
{
	(void)ctx;
	if (c == '\n') {
		uart_putc(COM1, '\r');
		screen_putc('\r');
	}
	uart_putc(COM1, c);
	screen_putc(c);
}

static void emit_serial(void *ctx, char c)
{
	(void)ctx;
	if (c == '\n')
		uart_putc(COM1, '\r');
	uart_putc(COM1, c);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvformat(emit_serial, NULL, fmt, ap);
	va_end(ap);
}

static void put_both(const char *str)
{
	while (*str)
		emit_both(NULL, *str++);
}

static __attribute__((noreturn, format(printf, 1, 2))) void
fail(const char *fmt, ...)
{
	va_list ap;

	put_both("skiff: ");
	va_start(ap, fmt);
	kvformat(emit_both, NULL, fmt, ap);
	va_end(ap);
	put_both("\nskiff: boot stopped; the system is halted\n");
	cpu_halt_forever();
}

void stage2_exception(uint32_t vector, uint32_t w1, uint32_t w2)
{
	bool has_error = vector == 8 || (vector >= 10 && vector <= 14) ||
			 vector == 17 || vector == 21;

	fail("stage 2: CPU exception %u (error code %#x) at %#x", vector,
	     has_error ? w1 : 0, has_error ? w2 : w1);
}

static void *heap_alloc(void *ctx, size_t size, size_t align)
{
	struct stage2 *s = ctx;
	uintptr_t p = (s->heap + align - 1) & ~(uintptr_t)(align - 1);

	if (p > s->heap_end || size > s->heap_end - p)
		return NULL;
	s->heap = p + size;
	return (void *)p;
}

/* One INT 13h extended read of n sectors into the bounce buffer. */
static int bios_read_bounce(struct stage2 *s, uint64_t lba, uint32_t n)
{
	for (int tries = 0; tries < 3; tries++) {
		struct bios_regs r = { 0 };

		dap.size = sizeof(dap);
		dap.reserved = 0;
		dap.count = (uint16_t)n;
		dap.offset = 0;
		dap.segment = BOUNCE_BUF >> 4;
		dap.lba = lba;
		r.eax = 0x4200;
		r.edx = s->drive;
		r.ds = rm_seg(&dap);
		r.esi = rm_off(&dap);
		bios_call(0x13, &r);
		s->bios_reads++;
		if (!(r.eflags & EFLAGS_CF) && dap.count == n)
			return 0;
		/* Old BIOSes refuse more than 127 sectors: fall back. */
		if (n > EDD_SAFE_SECTORS) {
			s->max_sectors = EDD_SAFE_SECTORS;
			return -KERR_E2BIG;
		}
		/* Reset the drive before trying again. */
		r = (struct bios_regs){ .eax = 0, .edx = s->drive };
		bios_call(0x13, &r);
	}
	return -KERR_EIO;
}

static int bios_read_direct(struct stage2 *s, uint64_t lba, uint32_t count,
			    uint8_t *out)
{
	while (count) {
		uint32_t n = count > s->max_sectors ? s->max_sectors : count;
		int rc = bios_read_bounce(s, lba, n);

		if (rc == -KERR_E2BIG)
			continue; /* again, with the smaller limit */
		if (rc < 0)
			return rc;
		memcpy(out, (void *)BOUNCE_BUF, n * SECTOR_SIZE);
		out += n * SECTOR_SIZE;
		lba += n;
		count -= n;
	}
	return 0;
}

/* The loader core's block reader. Small reads go through read-ahead
 * windows; large ones straight through the bounce buffer. */
static int bios_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	struct stage2 *s = ctx;
	struct ra_window *w, *victim;
	uint32_t n;
	int rc;

	if (count >= RA_SECTORS || !s->ra[0].buf)
		return bios_read_direct(s, lba, count, buf);
	victim = &s->ra[0];
	for (int i = 0; i < RA_WINDOWS; i++) {
		w = &s->ra[i];
		if (w->count && lba >= w->lba &&
		    lba + count <= w->lba + w->count) {
			w->last_use = ++s->ra_clock;
			memcpy(buf, w->buf + (lba - w->lba) * SECTOR_SIZE,
			       count * SECTOR_SIZE);
			return 0;
		}
		if (w->last_use < victim->last_use)
			victim = w;
	}
	n = RA_SECTORS;
	if (s->disk_sectors && lba + n > s->disk_sectors)
		n = (uint32_t)(s->disk_sectors - lba);
	if (n < count)
		return bios_read_direct(s, lba, count, buf);
	victim->count = 0;
	rc = bios_read_direct(s, lba, n, victim->buf);
	if (rc < 0)
		return rc;
	victim->lba = lba;
	victim->count = n;
	victim->last_use = ++s->ra_clock;
	memcpy(buf, victim->buf, count * SECTOR_SIZE);
	return 0;
}

static uint64_t disk_sectors(uint8_t drive)
{
	struct bios_regs r = { 0 };

	edd.size = sizeof(edd);
	r.eax = 0x4800;
	r.edx = drive;
	r.ds = rm_seg(&edd);
	r.esi = rm_off(&edd);
	bios_call(0x13, &r);
	if (r.eflags & EFLAGS_CF)
		return 0; /* unknown: reads are then not bounded by size */
	if (edd.bytes_per_sector != SECTOR_SIZE)
		fail("disk: drive %#x has %u-byte sectors; only 512 is "
		     "supported",
		     drive, edd.bytes_per_sector);
	return edd.sectors;
}

/* INT 15h EAX=E820h (ACPI 6.5, section 15.1). */
static void read_e820(struct stage2 *s)
{
	uint32_t cont = 0, n = 0;
	int rc;

	do {
		struct bios_regs r = { 0 };

		e820_buf.attr = 1; /* valid, if the BIOS leaves it alone */
		r.eax = 0xe820;
		r.edx = 0x534d4150; /* "SMAP" */
		r.ecx = sizeof(e820_buf);
		r.ebx = cont;
		r.es = rm_seg(&e820_buf);
		r.edi = rm_off(&e820_buf);
		bios_call(0x15, &r);
		if ((r.eflags & EFLAGS_CF) || r.eax != 0x534d4150)
			break;
		cont = r.ebx;
		if (r.ecx < 20)
			continue;
		if (r.ecx >= 24 && !(e820_buf.attr & 1))
			continue; /* ACPI 3.0: entry to be ignored */
		if (n == E820_MAX)
			break;
		s->map[n].base = e820_buf.base;
		s->map[n].length = e820_buf.length;
		s->map[n].type = memmap_e820_type(e820_buf.type);
		s->map[n].reserved = 0;
		n++;
	} while (cont != 0);
	if (n == 0)
		fail("memory: the BIOS gave no E820 memory map");
	rc = memmap_normalize(s->map, n, MEMMAP_MAX);
	if (rc <= 0)
		fail("memory: the E820 map could not be normalised");
	s->map_count = (uint32_t)rc;
}

/* The heap goes at the top of the highest usable range below 4 GiB. */
static void place_heap(struct stage2 *s)
{
	uint64_t best_end = 0;

	for (uint32_t i = 0; i < s->map_count; i++) {
		const struct boot_mem_range *r = &s->map[i];
		uint64_t end = r->base + r->length;

		if (r->type != BOOT_MEM_USABLE || r->base < 0x100000)
			continue;
		if (end > 0x100000000ULL)
			end = 0x100000000ULL;
		end &= ~(uint64_t)(PAGE_SIZE - 1);
		if (end > r->base && end - r->base >= 2 * HEAP_SIZE &&
		    end > best_end)
			best_end = end;
	}
	if (!best_end)
		fail("memory: no usable RAM above 1 MiB for the loader's "
		     "%u KiB heap",
		     HEAP_SIZE / 1024);
	s->heap_start = s->heap = (uintptr_t)(best_end - HEAP_SIZE);
	s->heap_end = (uintptr_t)best_end;
}

static bool a20_enabled(void)
{
	volatile uint32_t *low = (volatile uint32_t *)0x7dfc;
	volatile uint32_t *high = (volatile uint32_t *)0x107dfc;
	uint32_t saved = *low;
	bool on;

	*low = 0x12345678;
	*high = 0x87654321;
	on = *low == 0x12345678;
	*low = saved;
	return on;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

/* ACPI 6.5, 5.2.5.1: the RSDP is on a 16-byte boundary in the first KiB
 * of the EBDA or in 0xE0000-0xFFFFF. */
static uint64_t find_rsdp(void)
{
	uint32_t ebda = (uint32_t)peek16(0x40e) << 4;
	struct {
		uint32_t start, end;
	} areas[] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };

	for (uint32_t a = 0; a < ARRAY_SIZE(areas); a++) {
		if (areas[a].start < 0x400 || areas[a].start >= 0x100000)
			continue;
		for (uint32_t p = areas[a].start; p + 36 <= areas[a].end;
		     p += 16) {
			const uint8_t *r = (const uint8_t *)p;

			if (memcmp(r, "RSD PTR ", 8) != 0 ||
			    !checksum_ok(r, 20))
				continue;
			if (r[15] >= 2 && !checksum_ok(r, 36))
				continue;
			return p;
		}
	}
	return 0;
}

static void mark(struct stage2 *s, uint64_t base, uint64_t len, uint32_t type)
{
	int rc = memmap_mark(s->map, s->map_count, MEMMAP_MAX, base, len, type);

	if (rc < 0)
		fail("memory: too many memory map entries");
	s->map_count = (uint32_t)rc;
}

/* What the kernel and modules must not overlap: low memory and the heap
 * (filled in by place_heap's caller). */
static struct boot_mem_range loader_areas[2] = {
	{ .base = 0, .length = LOADER_AREA_END, .type = BOOT_MEM_BOOTLOADER },
	{ .type = BOOT_MEM_BOOTLOADER },
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* load_ops: the kernel and modules go where the E820 map has usable RAM
 * and the loader is not. */
static int bios_claim(void *ctx, struct loader *l, const char *what,
		      uint64_t base, uint64_t size, uint32_t type)
{
	struct stage2 *s = ctx;
	int rc = mem_check_range(l, what, s->map, s->map_count, loader_areas,
				 ARRAY_SIZE(loader_areas), base, size);

	if (rc < 0)
		return rc;
	if (size)
		mark(s, base, size, type);
	return 0;
}

static int bios_place(void *ctx, struct loader *l, const char *what,
		      uint64_t hint, uint64_t size, uint64_t *addr)
{
	*addr = align_up(hint, PAGE_SIZE);
	return bios_claim(ctx, l, what, *addr, align_up(size, PAGE_SIZE),
			  BOOT_MEM_BOOTLOADER);
}

/* Identity map of the first 4 GiB with 2 MiB pages: all the loader ever
 * placed anything in (docs/boot-protocol.md asks for no more). */
static uint32_t build_page_tables(void)
{
	uint64_t *pml4 = loader_alloc(&ld, 6 * PAGE_SIZE, PAGE_SIZE);
	uint64_t *pdpt, *pd;

	if (!pml4)
		fail("%s", ld.error);
	memset(pml4, 0, 6 * PAGE_SIZE);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (uintptr_t)pdpt | 0x3;
	for (uint32_t i = 0; i < 4; i++)
		pdpt[i] = (uintptr_t)(pd + 512 * i) | 0x3;
	for (uint32_t i = 0; i < 2048; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* present, writable, 2M */
	return (uint32_t)(uintptr_t)pml4;
}

void stage2_main(uint32_t drive)
{
	uint64_t t_stage2 = rdtsc();
	struct boot_info *bi;
	struct ext2_fs *fs;
	const struct part *root;
	struct boot_files files;
	const struct load_ops ops = { .claim = bios_claim,
				      .place = bios_place,
				      .ctx = &s2 };
	uint64_t t_fs;

	uart_init(COM1);
	s2.drive = (uint8_t)drive;
	s2.max_sectors = BOUNCE_SECTORS;
	if (!a20_enabled())
		fail("the A20 line could not be enabled");
	read_e820(&s2);
	place_heap(&s2);
	loader_areas[1].base = s2.heap_start;
	loader_areas[1].length = HEAP_SIZE;

	ld.read = bios_read;
	ld.alloc = heap_alloc;
	ld.ctx = &s2;
	ld.disk_sectors = disk_sectors(s2.drive);
	s2.disk_sectors = ld.disk_sectors;
	for (int i = 0; i < RA_WINDOWS; i++) {
		s2.ra[i].buf = loader_alloc(&ld, RA_SECTORS * SECTOR_SIZE, 16);
		if (!s2.ra[i].buf)
			fail("%s", ld.error);
	}

	if (load_mount_root(&ld, &parts, &root, &fs) < 0)
		fail("%s", ld.error);
	t_fs = rdtsc();
	if (load_boot_files(&ld, fs, &ops, &files) < 0)
		fail("%s", ld.error);

	bi = loader_alloc(&ld, sizeof(*bi), 8);
	if (!bi)
		fail("%s", ld.error);
	load_boot_info_init(bi, &files, &parts, root, BOOT_FW_BIOS,
			    "skiff-bios " SKIFF_VERSION);
	bi->rsdp = find_rsdp();
	bi->disk.bios_drive = s2.drive;
	bi->tsc[BOOT_TS_LOADER_ENTRY] = peek64(MBR_TSC_STAMP);
	bi->tsc[BOOT_TS_STAGE2_ENTRY] = t_stage2;
	bi->tsc[BOOT_TS_FS_READY] = t_fs;

	uint32_t pml4 = build_page_tables();
	struct boot_mem_range *map;

	mark(&s2, loader_areas[0].base, loader_areas[0].length,
	     BOOT_MEM_BOOTLOADER);
	mark(&s2, loader_areas[1].base, loader_areas[1].length,
	     BOOT_MEM_BOOTLOADER);
	map = loader_alloc(&ld, s2.map_count * sizeof(*map), 8);
	if (!map)
		fail("%s", ld.error);
	memcpy(map, s2.map, s2.map_count * sizeof(*map));
	bi->mmap = (uintptr_t)map;
	bi->mmap_count = s2.map_count;

	bi->tsc[BOOT_TS_KERNEL_LOADED] = rdtsc();
	say("skiff-bios: %s: %llu KiB, %u segments, entry %#llx; %u modules; "
	    "partition %u; %u disk reads\n",
	    files.cfg->kernel, (unsigned long long)(files.kernel_size >> 10),
	    files.img.count, (unsigned long long)files.img.entry,
	    files.cfg->module_count, root->index, s2.bios_reads);
	bi->tsc[BOOT_TS_EXIT_FIRMWARE] = rdtsc();
	enter_kernel(pml4, (uint32_t)(uintptr_t)bi, files.img.entry);
}
