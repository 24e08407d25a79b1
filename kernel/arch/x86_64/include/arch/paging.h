/*
 * x86_64 4-level paging for the kernel's identity map (Intel SDM vol. 3A,
 * 4.5 "4-Level Paging", table 4-20 for the entry bits). The kernel owns
 * one PML4 that maps all RAM and the first 4 GiB at their physical
 * addresses; kernel/mm builds on these calls.
 */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/lib.h>
#include <skiff/bootinfo.h>

/* SDM vol. 3A, table 4-20: bits common to every level. */
#define PTE_P BIT(0)   /* present */
#define PTE_W BIT(1)   /* writable */
#define PTE_US BIT(2)  /* user accessible */
#define PTE_PWT BIT(3) /* write-through */
#define PTE_PCD BIT(4) /* cache disabled: with PWT, PAT entry 3 = UC */
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7) /* in a PDPTE or PDE: a 1 GiB or 2 MiB page */
#define PTE_G BIT(8)
#define PTE_NX BIT(63) /* only with EFER.NXE; reserved otherwise */
/* Bits 12..51 of an entry hold the physical address. */
#define PTE_ADDR ((BIT(52) - 1) & ~(BIT(12) - 1))

#define PAGE_SIZE_2M (1ULL << 21)
#define PAGE_SIZE_1G (1ULL << 30)

/*
 * Build the kernel's page tables from the boot memory map and load them:
 * RAM write-back and NX, the kernel image with its sections' permissions
 * (.text RX, .rodata R NX, .data/.bss RW NX), non-RAM in the first 4 GiB
 * uncached, bad memory unmapped. Sets EFER.NXE (when the CPU has NX) and
 * CR0.WP, so read-only pages bind the kernel too. Called once by mm_init,
 * after pmm_init (the tables come from pmm_alloc). 0 or -KERR_ENOMEM.
 */
int paging_init(const struct boot_info *bi);

/* Map [phys, phys + size) uncached where nothing is mapped yet. */
int paging_map_mmio(uint64_t phys, uint64_t size);

/* Unmap (guard) or map back as RAM (!guard) the 4 KiB page of RAM at pa,
 * splitting a 2 MiB page if needed. -KERR_EINVAL if pa is not a
 * (respectively an unmapped) RAM page, -KERR_ENOMEM. Unmapping waits for
 * a TLB shootdown (hold no spinlock); mapping back sends none and is
 * safe in any context. */
int paging_set_guard(uint64_t pa, bool guard);

/* The leaf entry that maps va (0 when unmapped); *size gets the size of
 * the page it maps (4 KiB, 2 MiB or 1 GiB) when size is not NULL. */
uint64_t paging_query(uint64_t va, uint64_t *size);

/* Make one RAM page executable (the SMP start-up code runs from a low
 * page) or no-execute again; both flush the page on every CPU online
 * (a TLB shootdown, so hold no spinlock). */
int paging_set_exec(uint64_t pa, bool exec);

/* Was NX enabled (so that data pages carry PTE_NX)? */
bool paging_nx(void);

struct paging_stats {
	uint64_t tables;   /* page-table pages */
	uint64_t pages_2m; /* leaf entries */
	uint64_t pages_4k;
	uint64_t top; /* everything below is mapped (or deliberately not) */
};
void paging_get_stats(struct paging_stats *s);

#endif
