/*
 * GDT and TSS for long mode (Intel SDM vol. 3A, 3.4.5 and 7.7). The GDT
 * holds the kernel's code and data segments and the 16-byte TSS
 * descriptor; the TSS exists only for its interrupt stack table, which
 * gives NMI, double fault and machine check their own known-good stacks
 * (a fault on a broken stack must still be able to print its dump).
 * Each CPU has its own GDT, TSS and IST stacks: ltr marks the TSS busy,
 * so no two CPUs can share one.
 */
#include <stddef.h>

#include <arch/cpu_setup.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/mm.h>

#define IST_STACK_SIZE 8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7]; /* ist[0] is IST1 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(offsetof(struct tss, rsp) == 4, "layout");
_Static_assert(offsetof(struct tss, ist) == 36, "layout");
_Static_assert(offsetof(struct tss, iomap_base) == 102, "layout");
_Static_assert(sizeof(struct tss) == 104, "layout");

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct cpu_tables {
	uint64_t gdt[5];
	struct tss tss;
	uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* Access bytes: present, DPL 0, code (exec/read) or data (read/write),
 * long-mode code flag. Slots 3-4 take the 64-bit TSS descriptor. */
static const uint64_t gdt_template[5] = {
	0,
	0x00af9a000000ffffULL, /* GDT_KERNEL_CS */
	0x00cf92000000ffffULL, /* GDT_KERNEL_DS */
	0,
	0,
};

static struct cpu_tables boot_tables;

/* The 16-byte available-TSS descriptor (type 9). */
static void set_tss_descriptor(uint64_t *gdt, const struct tss *tss)
{
	uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

static void load_tables(struct cpu_tables *t)
{
	struct gdt_ptr p = { sizeof(t->gdt) - 1, (uintptr_t)t->gdt };

	memcpy(t->gdt, gdt_template, sizeof(t->gdt));
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (uintptr_t)t->ist_stacks[i] + IST_STACK_SIZE;
	t->tss.iomap_base = sizeof(t->tss); /* no I/O bitmap */
	set_tss_descriptor(t->gdt, &t->tss);
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(p), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS),
			   "r"((uint16_t)GDT_TSS)
			 : "rax", "memory");
}

void gdt_load(void)
{
	load_tables(&boot_tables);
}

int gdt_load_ap(void)
{
	struct cpu_tables *t = kcalloc(1, sizeof(*t));

	if (!t)
		return -KERR_ENOMEM;
	load_tables(t);
	return 0;
}
