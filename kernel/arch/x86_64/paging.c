/*
 * The kernel's page tables (Intel SDM vol. 3A, 4.5 "4-Level Paging";
 * 4.1.4 for CPUID's NX bit; 2.2.1 for EFER.NXE; 2.5 for CR0.WP).
 *
 * One identity map, built once from the boot memory map: every RAM range
 * plus the first 4 GiB (where the LAPIC, IOAPIC, HPET and 32-bit PCI BARs
 * live). RAM is write-back and no-execute; everything else below 4 GiB is
 * uncached (PCD|PWT selects PAT entry 3, UC, with the power-on PAT, which
 * we leave alone); bad memory is not mapped at all. 2 MiB pages are used
 * wherever a 2 MiB-aligned block has one kind of memory throughout, 4 KiB
 * pages elsewhere, which includes the kernel image so that .text is RX,
 * .rodata R NX and .data/.bss RW NX (symbols from kernel.ld).
 *
 * The tables are built while the loader's tables are live, which map at
 * least the first 4 GiB: every table page must come from below 4 GiB
 * until the switch (pmm_alloc gives the lowest pages first).
 *
 * Later changes (device mappings, guard pages) take pt_lock with
 * interrupts off. A change that takes access away (a guard page, NX) is
 * then flushed on every other CPU too, and waited for (tlb_shootdown_page,
 * after pt_lock is dropped): the map is shared, and any CPU may hold the
 * old 4 KiB or 2 MiB translation. A change from not present to present
 * (mapping new device ranges, a guard page mapped back) needs no flush
 * anywhere: no TLB or paging-structure cache holds a not-present entry
 * (SDM vol. 3A, 4.10.4.3), and the last present-to-not-present change of
 * that page was flushed everywhere. Clearing NX still takes a shootdown,
 * as a stale NX entry would give a spurious #PF, which we do not retry.
 */
#include <stdbool.h>
#include <stdint.h>

#include <arch/ipi.h>
#include <arch/paging.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/spinlock.h>

#define LEVEL_BITS 9
#define ENTRIES (1u << LEVEL_BITS)
#define INDEX_MASK (ENTRIES - 1)
#define PML4_SHIFT 39
#define PDPT_SHIFT 30
#define PD_SHIFT 21
#define PT_SHIFT 12
#define PHYS_LIMIT (1ULL << 52)

#define LOADER_MAP_LIMIT 0x100000000ULL /* what the loader maps, at least */
#define MMIO_COMPAT_TOP 0x100000000ULL	/* always mapped: the PC's holes */

/* SDM vol. 2A, CPUID leaf 80000001h: EDX bit 20 is NX. */
#define CPUID_EXT_MAX 0x80000000u
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_EDX_NX BIT(20)
#define MSR_EFER 0xc0000080u
#define EFER_NXE BIT(11)
#define CR0_WP BIT(16)

/* The kinds of memory the map distinguishes. */
#define FL_TEXT PTE_P
#define FL_RODATA (PTE_P | nx_bit)
#define FL_RAM (PTE_P | PTE_W | nx_bit)
#define FL_DEVICE (PTE_P | PTE_W | PTE_PCD | PTE_PWT | nx_bit)

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

static uint64_t *pml4;
static uint64_t nx_bit;
static bool active; /* our tables are in CR3 */
static struct paging_stats stats;
static struct spinlock pt_lock = SPINLOCK_INIT;
static const struct boot_info *boot_map;

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
		  uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

static void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static bool cpu_has_nx(void)
{
	uint32_t a, b, c, d;

	cpuid(CPUID_EXT_MAX, &a, &b, &c, &d);
	if (a < CPUID_EXT_FEATURES)
		return false;
	cpuid(CPUID_EXT_FEATURES, &a, &b, &c, &d);
	return d & CPUID_EXT_EDX_NX;
}

static uint64_t *table_alloc(void)
{
	uint64_t pa = pmm_alloc(1);

	if (!pa)
		return NULL;
	if (!active && pa + PAGE_SIZE > LOADER_MAP_LIMIT) {
		pmm_free(pa, 1);
		return NULL;
	}
	memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	stats.tables++;
	return (uint64_t *)(uintptr_t)pa;
}

/* Replace the large page in *e (mapping 1 << shift bytes) by a table of
 * entries one level down with the same attributes. */
static int split(uint64_t *e, unsigned shift)
{
	uint64_t *t = table_alloc(), base = *e & PTE_ADDR;
	uint64_t flags = *e & ~PTE_ADDR, step = 1ULL << (shift - LEVEL_BITS);

	if (!t)
		return -KERR_ENOMEM;
	if (shift - LEVEL_BITS == PT_SHIFT)
		flags &= ~PTE_PS;
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = (base + i * step) | flags;
	*e = (uintptr_t)t | PTE_P | PTE_W;
	if (shift == PD_SHIFT)
		stats.pages_2m--;
	stats.pages_4k += shift - LEVEL_BITS == PT_SHIFT ? ENTRIES : 0;
	if (active)
		invlpg(base);
	return 0;
}

/* The entry for va at the level whose pages are 1 << leaf_shift bytes,
 * creating tables and splitting large pages on the way; NULL when a
 * table cannot be allocated. */
static uint64_t *walk(uint64_t va, unsigned leaf_shift)
{
	uint64_t *table = pml4;

	for (unsigned shift = PML4_SHIFT; shift > leaf_shift;
	     shift -= LEVEL_BITS) {
		uint64_t *e = &table[(va >> shift) & INDEX_MASK];

		if (!(*e & PTE_P)) {
			uint64_t *t = table_alloc();

			if (!t)
				return NULL;
			*e = (uintptr_t)t | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			if (split(e, shift) < 0)
				return NULL;
		}
		table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	return &table[(va >> leaf_shift) & INDEX_MASK];
}

uint64_t paging_query(uint64_t va, uint64_t *size)
{
	uint64_t *table = pml4;

	if (!table)
		return 0;
	for (unsigned shift = PML4_SHIFT;; shift -= LEVEL_BITS) {
		uint64_t e = table[(va >> shift) & INDEX_MASK];

		if (!(e & PTE_P))
			return 0;
		if (shift == PT_SHIFT || (e & PTE_PS)) {
			if (size)
				*size = 1ULL << shift;
			return e;
		}
		table = (uint64_t *)(uintptr_t)(e & PTE_ADDR);
	}
}

bool paging_nx(void)
{
	return nx_bit != 0;
}

void paging_get_stats(struct paging_stats *s)
{
	uint64_t flags = spin_lock_irqsave(&pt_lock);

	*s = stats;
	spin_unlock_irqrestore(&pt_lock, flags);
}

static bool type_is_ram(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE:
	case BOOT_MEM_BOOTLOADER:
	case BOOT_MEM_KERNEL:
	case BOOT_MEM_ACPI_RECLAIMABLE:
	case BOOT_MEM_ACPI_NVS:
		return true;
	default:
		return false;
	}
}

static uint64_t range_end(const struct boot_mem_range *r)
{
	return r->length > UINT64_MAX - r->base ? UINT64_MAX
						: r->base + r->length;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * The entry flags for the page at pa (page aligned), and in *end the
 * first address where they may change (> pa, page aligned). A page that
 * is only partly RAM is treated as device memory.
 */
static uint64_t region_flags(uint64_t pa, uint64_t *end)
{
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)boot_map->mmap;
	uint64_t kstart = (uintptr_t)__kernel_start;
	uint64_t kend =
		(((uintptr_t)__kernel_end) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t limit = pa < kstart ? kstart : UINT64_MAX;
	uint64_t next = UINT64_MAX;

	if (pa >= kstart && pa < kend) {
		if (pa < (uintptr_t)__text_end) {
			*end = (uintptr_t)__text_end;
			return FL_TEXT;
		}
		if (pa < (uintptr_t)__rodata_end) {
			*end = (uintptr_t)__rodata_end;
			return FL_RODATA;
		}
		*end = kend;
		return FL_RAM;
	}
	for (uint32_t i = 0; i < boot_map->mmap_count; i++) {
		uint64_t rend = range_end(&r[i]);

		if (r[i].base > pa) {
			next = r[i].base;
			break;
		}
		if (rend <= pa)
			continue;
		if (rend - pa < PAGE_SIZE) {
			*end = pa + PAGE_SIZE;
			return r[i].type == BOOT_MEM_BAD ? 0 : FL_DEVICE;
		}
		*end = min_u64(rend & ~(PAGE_SIZE - 1), limit);
		if (r[i].type == BOOT_MEM_BAD)
			return 0;
		return type_is_ram(r[i].type) ? FL_RAM : FL_DEVICE;
	}
	/* A hole; a page it shares with the next range counts as hole. */
	next = next > UINT64_MAX - PAGE_SIZE
		       ? UINT64_MAX & ~(PAGE_SIZE - 1)
		       : (next + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	*end = min_u64(next, limit);
	return FL_DEVICE;
}

/* Map [pa, end) with flags into empty slots, 2 MiB at a time where the
 * alignment allows. Before the switch only; no locking. */
static int map_fresh(uint64_t pa, uint64_t end, uint64_t flags)
{
	while (pa < end) {
		uint64_t *e;

		if (!(pa & (PAGE_SIZE_2M - 1)) && end - pa >= PAGE_SIZE_2M) {
			e = walk(pa, PD_SHIFT);
			if (!e)
				return -KERR_ENOMEM;
			*e = pa | flags | PTE_PS;
			stats.pages_2m++;
			pa += PAGE_SIZE_2M;
			continue;
		}
		e = walk(pa, PT_SHIFT);
		if (!e)
			return -KERR_ENOMEM;
		*e = pa | flags;
		stats.pages_4k++;
		pa += PAGE_SIZE;
	}
	return 0;
}

static uint64_t map_top(const struct boot_info *bi)
{
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)bi->mmap;
	uint64_t top = MMIO_COMPAT_TOP;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		uint64_t end = range_end(&r[i]);

		if (type_is_ram(r[i].type) && end > top)
			top = end;
	}
	if (top > PHYS_LIMIT)
		top = PHYS_LIMIT;
	return (top + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static void load_cr3(uint64_t pa)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(pa) : "memory");
}

static void set_cr0_wp(void)
{
	uint64_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_WP) : "memory");
}

int paging_init(const struct boot_info *bi)
{
	uint64_t pa = 0, top = map_top(bi), end, flags;
	int rc;

	if (cpu_has_nx()) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		nx_bit = PTE_NX;
	}
	boot_map = bi;
	pml4 = table_alloc();
	if (!pml4)
		goto err_nomem;
	while (pa < top) {
		flags = region_flags(pa, &end);
		end = min_u64(end, top);
		if (flags) {
			rc = map_fresh(pa, end, flags);
			if (rc < 0)
				goto err_nomem;
		}
		pa = end;
	}
	stats.top = top;
	boot_map = NULL;
	load_cr3((uintptr_t)pml4);
	active = true;
	set_cr0_wp();
	return 0;

err_nomem:
	/* The pages already taken stay allocated: the kernel cannot go on
	 * without its tables anyway. */
	kprintf("mm: out of memory below 4 GiB for the page tables "
		"(%llu pages so far)\n",
		(unsigned long long)stats.tables);
	pml4 = NULL;
	boot_map = NULL;
	return -KERR_ENOMEM;
}

int paging_map_mmio(uint64_t phys, uint64_t size)
{
	uint64_t pa, end, flags, fl, sz;
	int rc = 0;

	if (!size)
		return 0;
	if (!active || size > PHYS_LIMIT || phys > PHYS_LIMIT - size)
		return -KERR_EINVAL;
	pa = phys & ~(PAGE_SIZE - 1);
	end = (phys + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	flags = spin_lock_irqsave(&pt_lock);
	while (pa < end) {
		uint64_t *e;

		if (paging_query(pa, &sz)) {
			pa = (pa & ~(sz - 1)) + sz;
			continue;
		}
		fl = FL_DEVICE;
		if (!(pa & (PAGE_SIZE_2M - 1)) && end - pa >= PAGE_SIZE_2M) {
			e = walk(pa, PD_SHIFT);
			if (e && !*e) {
				*e = pa | fl | PTE_PS;
				stats.pages_2m++;
				pa += PAGE_SIZE_2M;
				continue;
			}
		}
		e = walk(pa, PT_SHIFT);
		if (!e) {
			rc = -KERR_ENOMEM;
			break;
		}
		*e = pa | fl;
		stats.pages_4k++;
		pa += PAGE_SIZE;
	}
	spin_unlock_irqrestore(&pt_lock, flags);
	return rc;
}

enum page_change { PAGE_GUARD, PAGE_UNGUARD, PAGE_EXEC, PAGE_NOEXEC };

/* Change one 4 KiB RAM page's entry, splitting a large page if needed.
 * The entry must be in the state the change expects: a plain RAM page
 * becomes a guard or changes NX; only a guard comes back. */
static int change_page(uint64_t pa, enum page_change how)
{
	uint64_t flags, cur, *e;
	bool ok;
	int rc = 0;

	if (!active || (pa & (PAGE_SIZE - 1)) || pa >= stats.top)
		return -KERR_EINVAL;
	flags = spin_lock_irqsave(&pt_lock);
	cur = paging_query(pa, NULL);
	switch (how) {
	case PAGE_GUARD:
		ok = (cur & (PTE_P | PTE_W | PTE_PCD | nx_bit)) == FL_RAM;
		break;
	case PAGE_UNGUARD:
		ok = cur == 0;
		break;
	default:
		ok = (cur & (PTE_P | PTE_W | PTE_PCD)) == (PTE_P | PTE_W);
		break;
	}
	if (!ok) {
		rc = -KERR_EINVAL;
		goto out;
	}
	e = walk(pa, PT_SHIFT);
	if (!e) {
		rc = -KERR_ENOMEM;
		goto out;
	}
	switch (how) {
	case PAGE_GUARD:
		*e = 0;
		break;
	case PAGE_UNGUARD:
		*e = pa | FL_RAM;
		break;
	case PAGE_EXEC:
		*e &= ~nx_bit;
		break;
	case PAGE_NOEXEC:
		*e |= nx_bit;
		break;
	}
	if (how != PAGE_UNGUARD)
		invlpg(pa);
out:
	spin_unlock_irqrestore(&pt_lock, flags);
	if (rc == 0 && how != PAGE_UNGUARD)
		tlb_shootdown_page(pa);
	return rc;
}

int paging_set_guard(uint64_t pa, bool guard)
{
	return change_page(pa, guard ? PAGE_GUARD : PAGE_UNGUARD);
}

int paging_set_exec(uint64_t pa, bool exec)
{
	return change_page(pa, exec ? PAGE_EXEC : PAGE_NOEXEC);
}
