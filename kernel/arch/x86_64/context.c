/*
 * Thread context switch and FPU state on x86_64 (Intel SDM vol. 1,
 * chapter 13, "Managing state using the XSAVE feature set"). The state
 * is switched eagerly: the kernel itself is built without SSE, so only
 * threads own vector registers, and interrupt handlers never touch them.
 * XCR0 enables x87, SSE and AVX (and the AVX-512 components when the
 * CPU has them); the area size comes from CPUID 0xD for that XCR0.
 */
#include <stdbool.h>

#include <arch/context.h>
#include <arch/cpu_setup.h>
#include <kernel/lib.h>
#include <kernel/thread.h>

#define CPUID1_ECX_XSAVE BIT(26)
#define CPUID1_ECX_AVX BIT(28)
#define CR4_OSXSAVE BIT(18)
#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)
#define XCR0_AVX512 (BIT(5) | BIT(6) | BIT(7))
#define FXSAVE_SIZE 512
#define MSR_FS_BASE 0xc0000100
#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x37f

void switch_stacks(uint64_t *save_sp, uint64_t new_sp);

static bool use_xsave;
static uint64_t xcr0;
static size_t area_size = FXSAVE_SIZE;
static uint8_t init_area[4096] __attribute__((aligned(64)));

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv"
			 :
			 : "c"(reg), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

static void save(void *area)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xcr0),
				   "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void restore(const void *area)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xcr0),
				   "d"((uint32_t)(xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* The first CPU decides the features; every CPU then enables the same,
 * as clouds give all vCPUs of a VM the same model. */
void fpu_init_cpu(void)
{
	static bool probed;
	uint32_t a, b, c, d;
	uint64_t cr4;

	if (!probed) {
		cpuid(1, 0, &a, &b, &c, &d);
		use_xsave = c & CPUID1_ECX_XSAVE;
		if (use_xsave) {
			cpuid(0xd, 0, &a, &b, &c, &d);
			xcr0 = XCR0_X87 | XCR0_SSE;
			xcr0 |= (((uint64_t)d << 32) | a) &
				(XCR0_AVX | XCR0_AVX512);
			if (!(xcr0 & XCR0_AVX))
				xcr0 &= ~XCR0_AVX512;
		}
	}
	if (use_xsave) {
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
		xsetbv(0, xcr0);
	}
	if (probed)
		return;
	probed = true;
	if (use_xsave) {
		cpuid(0xd, 0, &a, &b, &c, &d);
		area_size = b; /* for the components enabled in XCR0 */
		if (area_size > sizeof(init_area)) {
			use_xsave = false;
			area_size = FXSAVE_SIZE;
		}
	}
	/* The initial state: what FNINIT and the default MXCSR give. */
	{
		uint32_t mxcsr = MXCSR_DEFAULT;
		uint16_t fcw = FCW_DEFAULT;

		__asm__ volatile("fninit; fldcw %0; ldmxcsr %1"
				 :
				 : "m"(fcw), "m"(mxcsr));
	}
	save(init_area);
}

size_t fpu_area_size(void)
{
	return area_size;
}

void fpu_area_init(void *area)
{
	memcpy(area, init_area, area_size);
}

const char *fpu_describe(void)
{
	if (!use_xsave)
		return "FXSAVE (x87 SSE)";
	if (xcr0 & XCR0_AVX512)
		return "XSAVE (x87 SSE AVX AVX-512)";
	if (xcr0 & XCR0_AVX)
		return "XSAVE (x87 SSE AVX)";
	return "XSAVE (x87 SSE)";
}

/* The frame switch_stacks pops: r15 r14 r13 r12 rbx rbp, then the return
 * address (entry), then a zero return address for entry itself, so that
 * it starts with the stack aligned as after a call and backtraces end. */
void arch_thread_init(struct thread *t, void (*entry)(void))
{
	uint64_t *sp = (uint64_t *)t->stack_top;

	*--sp = 0;
	*--sp = (uintptr_t)entry;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->saved_sp = (uintptr_t)sp;
	fpu_area_init(t->fpu_area);
}

static void write_fs_base(uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(MSR_FS_BASE), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

void arch_load_fs_base(uint64_t base)
{
	write_fs_base(base);
}

void arch_switch(struct thread *prev, struct thread *next)
{
	save(prev->fpu_area);
	restore(next->fpu_area);
	if (prev->fs_base != next->fs_base)
		write_fs_base(next->fs_base);
	switch_stacks(&prev->saved_sp, next->saved_sp);
}
