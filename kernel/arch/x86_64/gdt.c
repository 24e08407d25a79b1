/*
 * GDT and TSS for long mode (Intel SDM vol. 3A, 3.4.5 and 7.7). The GDT
 * holds the kernel's code and data segments and the 16-byte TSS
 * descriptor; the TSS exists only for its interrupt stack table, which
 * gives NMI, double fault and machine check their own known-good stacks
 * (a fault on a broken stack must still be able to print its dump).
 * Boot CPU only for now: the SMP work gives each CPU its own TSS.
 */
#include <stddef.h>

#include <arch/cpu_setup.h>
#include <kernel/lib.h>

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

static struct tss boot_tss;
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* Access bytes: present, DPL 0, code (exec/read) or data (read/write),
 * long-mode code flag; and the 64-bit available TSS type (9). */
static uint64_t gdt[5] = {
	0,
	0x00af9a000000ffffULL, /* GDT_KERNEL_CS */
	0x00cf92000000ffffULL, /* GDT_KERNEL_DS */
	0,		       /* GDT_TSS, low half */
	0,		       /* GDT_TSS, high half */
};

static void set_tss_descriptor(const struct tss *tss)
{
	uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

void gdt_load(void)
{
	struct gdt_ptr p = { sizeof(gdt) - 1, (uintptr_t)gdt };

	for (int i = 0; i < 3; i++)
		boot_tss.ist[i] = (uintptr_t)ist_stacks[i] + IST_STACK_SIZE;
	boot_tss.iomap_base = sizeof(boot_tss); /* no I/O bitmap */
	set_tss_descriptor(&boot_tss);
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
