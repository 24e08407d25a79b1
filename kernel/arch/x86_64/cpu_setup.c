/*
 * Boot-CPU set-up: descriptor tables, then the protections the CPU has
 * (Intel SDM vol. 3A, 2.5: CR4.SMEP bit 20 and CR4.SMAP bit 21, from
 * CPUID.(EAX=7,ECX=0):EBX bits 7 and 20). The kernel has no user pages,
 * so SMEP and SMAP cost nothing and catch stray jumps and accesses.
 */
#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <kernel/console.h>
#include <kernel/lib.h>

#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CPUID7_EBX_SMEP BIT(7)
#define CPUID7_EBX_SMAP BIT(20)

void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
	   uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(sub));
}

void cpu_enable_protections(bool log)
{
	uint32_t a, b, c, d, max;
	uint64_t cr4;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max < 7)
		return;
	cpuid(7, 0, &a, &b, &c, &d);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (b & CPUID7_EBX_SMEP)
		cr4 |= CR4_SMEP;
	if (b & CPUID7_EBX_SMAP)
		cr4 |= CR4_SMAP;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	if (!log)
		return;
	kprintf("cpu: SMEP %s, SMAP %s\n",
		(b & CPUID7_EBX_SMEP) ? "on" : "not available",
		(b & CPUID7_EBX_SMAP) ? "on" : "not available");
}

bool cpu_spin_pause = true;

/* QEMU's TCG says so in the hypervisor leaf. */
static bool under_tcg(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & BIT(31)))
		return false;
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	return b == 0x54474354 && c == 0x43544743 && d == 0x47435447;
}

void cpu_setup_boot(void)
{
	cpu_spin_pause = !under_tcg();
	gdt_load();
	idt_init();
	idt_load();
	cpu_enable_protections(true);
}
