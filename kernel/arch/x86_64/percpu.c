/*
 * Per-CPU data on x86_64 (see kernel/percpu.h): the GS base MSR
 * (IA32_GS_BASE, Intel SDM vol. 3A, 3.4.4) points at the CPU's struct cpu.
 */
#include <arch/cpu_setup.h>
#include <kernel/mm.h>
#include <kernel/percpu.h>

#define MSR_GS_BASE 0xc0000101

static struct cpu boot_cpu;
static struct cpu *cpus[CPU_MAX];
static unsigned cpus_registered;
static bool ready;

void arch_set_this_cpu(struct cpu *c)
{
	uint64_t v = (uintptr_t)c;

	__asm__ volatile("wrmsr"
			 :
			 : "c"(MSR_GS_BASE), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32))
			 : "memory");
}

static void register_cpu(struct cpu *c, unsigned index, uint32_t apic_id)
{
	c->self = c;
	c->index = index;
	c->apic_id = apic_id;
	arch_set_this_cpu(c);
	__atomic_store_n(&cpus[index], c, __ATOMIC_RELEASE);
	for (;;) {
		unsigned n =
			__atomic_load_n(&cpus_registered, __ATOMIC_RELAXED);

		if (n > index)
			break;
		if (__atomic_compare_exchange_n(&cpus_registered, &n, index + 1,
						false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			break;
	}
}

void percpu_init_boot(void)
{
	uint32_t a, b, c, d;

	/* The initial APIC id: the local APIC is not set up yet. */
	cpuid(1, 0, &a, &b, &c, &d);
	register_cpu(&boot_cpu, 0, b >> 24);
	ready = true;
}

bool percpu_ready(void)
{
	return ready;
}

struct cpu *percpu_alloc_ap(unsigned index, uint32_t apic_id)
{
	struct cpu *c;

	if (index == 0 || index >= CPU_MAX)
		return NULL;
	c = kcalloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->self = c;
	c->index = index;
	c->apic_id = apic_id;
	return c;
}

void percpu_enter_ap(struct cpu *c)
{
	register_cpu(c, c->index, c->apic_id);
}

struct cpu *cpu_get(unsigned index)
{
	if (index >= CPU_MAX)
		return NULL;
	return __atomic_load_n(&cpus[index], __ATOMIC_ACQUIRE);
}

unsigned cpu_count(void)
{
	return __atomic_load_n(&cpus_registered, __ATOMIC_ACQUIRE);
}
