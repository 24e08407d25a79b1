/*
 * Application-processor start-up (see arch/smp.h for the protocol). The
 * trampoline (smp_trampoline.asm) is copied to a page below 1 MiB from
 * pmm_alloc_low_page(); its data block carries CR3, the EFER bits, and
 * for each AP in turn its stack, its index and the 64-bit entry. APs are
 * started one at a time, so one data block serves them all: the boot CPU
 * waits for each AP to report in (or for its time limit) before it
 * rewrites the block for the next. All APs get their INIT first and
 * share one 10 ms wait; the STARTUPs then go one AP at a time.
 */
#include <stddef.h>

#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <arch/interrupt.h>
#include <arch/paging.h>
#include <arch/smp.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/time.h>

#define AP_STACK_SIZE (16 * 1024)
#define INIT_DELAY_NS (10 * 1000 * 1000ULL)  /* SDM: 10 ms after INIT */
#define SIPI_DELAY_NS (200 * 1000ULL)	     /* SDM: 200 us per STARTUP */
#define AP_TIMEOUT_NS (100 * 1000 * 1000ULL) /* then give up on the AP */
#define MSR_EFER 0xc0000080
#define EFER_LME BIT(8)
#define EFER_NXE BIT(11)

/* The trampoline's data block, filled in before each STARTUP. */
struct smp_tramp_data {
	uint64_t cr3;
	uint64_t efer_bits;
	uint64_t stack_top;
	uint64_t arg;
	uint64_t entry;
} __attribute__((packed));
_Static_assert(offsetof(struct smp_tramp_data, cr3) == 0, "layout");
_Static_assert(offsetof(struct smp_tramp_data, efer_bits) == 8, "layout");
_Static_assert(offsetof(struct smp_tramp_data, stack_top) == 16, "layout");
_Static_assert(offsetof(struct smp_tramp_data, arg) == 24, "layout");
_Static_assert(offsetof(struct smp_tramp_data, entry) == 32, "layout");

/* Offsets exported by smp_trampoline.asm. */
enum {
	TR_GDT,
	TR_GDT_PTR,
	TR_PM32,
	TR_PM32_PTR,
	TR_LM64,
	TR_LM64_PTR,
	TR_DATA,
};

extern const char smp_tramp_start[], smp_tramp_end[];
extern const uint64_t smp_tramp_offsets[];

static volatile uint32_t ap_reported;
static unsigned cpus_online = 1;

static uint64_t read_msr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static void put32(uint8_t *page, uint64_t off, uint32_t v)
{
	memcpy(page + off, &v, sizeof(v));
}

/* First code on an AP in long mode, on its own stack. */
static __attribute__((noreturn)) void ap_main(uint64_t index)
{
	if (gdt_load_ap() < 0) {
		kprintf("smp: CPU %llu: no memory for its GDT and TSS\n",
			(unsigned long long)index);
		cpu_halt_forever();
	}
	idt_load();
	cpu_enable_protections(false);
	lapic_init();
	__atomic_store_n(&ap_reported, (uint32_t)index, __ATOMIC_RELEASE);
	/* Idle until there is work for it (the scheduler comes later). */
	for (;;)
		__asm__ volatile("sti; hlt; cli");
}

static bool wait_report(uint32_t index, uint64_t ns)
{
	uint64_t end = time_ns() + ns;

	while (time_ns() < end) {
		if (__atomic_load_n(&ap_reported, __ATOMIC_ACQUIRE) == index)
			return true;
		cpu_relax();
	}
	return __atomic_load_n(&ap_reported, __ATOMIC_ACQUIRE) == index;
}

static bool start_one(uint8_t *page, uint32_t apic_id, uint32_t index)
{
	struct smp_tramp_data *d =
		(struct smp_tramp_data *)(page + smp_tramp_offsets[TR_DATA]);
	void *stack = kstack_alloc(AP_STACK_SIZE);

	if (!stack) {
		kprintf("smp: no memory for the stack of APIC id %u\n",
			apic_id);
		return false;
	}
	d->stack_top = (uintptr_t)stack;
	d->arg = index;
	d->entry = (uintptr_t)ap_main;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	for (int sipi = 0; sipi < 2; sipi++) {
		lapic_send_startup(apic_id, (uint8_t)((uintptr_t)page >> 12));
		if (wait_report(index, SIPI_DELAY_NS))
			return true;
	}
	if (wait_report(index, AP_TIMEOUT_NS))
		return true;
	/* The stack stays allocated: a late AP might still run on it. */
	return false;
}

unsigned smp_start_aps(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	uint32_t self = lapic_id();
	uint64_t cr3, page_pa;
	uint8_t *page;
	struct smp_tramp_data *d;
	size_t len = (size_t)(smp_tramp_end - smp_tramp_start);
	unsigned failed = 0;

	if (!m || m->cpu_count <= 1)
		goto done;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	if (cr3 >= 0x100000000ULL) {
		kprintf("smp: page tables above 4 GiB; staying on one CPU\n");
		goto done;
	}
	page_pa = pmm_alloc_low_page();
	if (!page_pa) {
		kprintf("smp: no free page below 1 MiB for the start-up code; "
			"staying on one CPU\n");
		goto done;
	}
	if (paging_set_exec(page_pa, true) < 0) {
		kprintf("smp: cannot make the start-up page executable; "
			"staying on one CPU\n");
		pmm_free(page_pa, 1);
		goto done;
	}
	page = (uint8_t *)(uintptr_t)page_pa;
	memcpy(page, smp_tramp_start, len);
	put32(page, smp_tramp_offsets[TR_GDT_PTR] + 2,
	      (uint32_t)(page_pa + smp_tramp_offsets[TR_GDT]));
	put32(page, smp_tramp_offsets[TR_PM32_PTR],
	      (uint32_t)(page_pa + smp_tramp_offsets[TR_PM32]));
	put32(page, smp_tramp_offsets[TR_LM64_PTR],
	      (uint32_t)(page_pa + smp_tramp_offsets[TR_LM64]));
	d = (struct smp_tramp_data *)(page + smp_tramp_offsets[TR_DATA]);
	d->cr3 = cr3;
	d->efer_bits = read_msr(MSR_EFER) & (EFER_LME | EFER_NXE);

	/* INIT every AP, then one 10 ms wait for all: each sits in
	 * wait-for-SIPI until its STARTUP comes. */
	for (unsigned i = 0; i < m->cpu_count; i++) {
		if (m->cpus[i].apic_id != self)
			lapic_send_init(m->cpus[i].apic_id);
	}
	time_delay_ns(INIT_DELAY_NS);
	for (unsigned i = 0; i < m->cpu_count; i++) {
		uint32_t id = m->cpus[i].apic_id;

		if (id == self)
			continue;
		if (start_one(page, id, cpus_online))
			cpus_online++;
		else {
			failed++;
			kprintf("smp: CPU with APIC id %u did not start within "
				"%llu ms; going on without it\n",
				id,
				(unsigned long long)(AP_TIMEOUT_NS / 1000000));
		}
	}
	/* A CPU that timed out may still be about to run it: keep the
	 * page then. */
	if (!failed) {
		paging_set_exec(page_pa, false);
		pmm_free(page_pa, 1);
	}
done:
	kprintf("smp: %u CPU%s online%s\n", cpus_online,
		cpus_online == 1 ? "" : "s", failed ? " (some failed)" : "");
	return cpus_online;
}

unsigned smp_cpus_online(void)
{
	return cpus_online;
}
