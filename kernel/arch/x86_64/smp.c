/*
 * Application-processor start-up, all APs at once (Intel SDM vol. 3A,
 * 9.4.4.1; see arch/smp.h for the protocol). The trampoline
 * (smp_trampoline.asm) is copied to a page below 1 MiB from
 * pmm_alloc_low_page(); its data block carries CR3, the EFER bits, the
 * 64-bit entry and the address of the slot table: one struct
 * smp_ap_slot per AP, in MADT order, with its APIC id, its index and its
 * stack. Every AP reads its own APIC id and finds its slot, so the boot
 * CPU sends INIT to all, prepares the slots and the page, waits once if
 * the CPU needs it, and sends STARTUP to all.
 *
 * Ordering: a slot is SENT (boot CPU, before the first STARTUP) ->
 * STARTED (the AP, on its stack in ap_entry) -> ONLINE (the AP, after its
 * set-up). A slot still SENT at the time limit goes to ABANDONED instead;
 * both sides use compare-and-swap, so an AP that arrives too late sees
 * that and halts. No AP ever waits for another or for the boot CPU.
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
#include <kernel/percpu.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#define AP_STACK_SIZE (16 * 1024)
#define INIT_DELAY_NS (10 * 1000 * 1000ULL)  /* SDM: 10 ms after INIT */
#define SIPI_DELAY_NS (200 * 1000ULL)	     /* SDM: 200 us per STARTUP */
#define AP_TIMEOUT_NS (100 * 1000 * 1000ULL) /* after the first STARTUP */
#define MSR_EFER 0xc0000080
#define EFER_LME BIT(8)
#define EFER_NXE BIT(11)

/* The trampoline's data block, filled in before the first STARTUP. */
struct smp_tramp_data {
	uint64_t cr3;
	uint64_t efer_bits;
	uint64_t entry;
	uint64_t slots; /* struct smp_ap_slot[slot_count] */
	uint64_t slot_count;
} __attribute__((packed));
_Static_assert(offsetof(struct smp_tramp_data, cr3) == 0, "layout");
_Static_assert(offsetof(struct smp_tramp_data, efer_bits) == 8, "layout");
_Static_assert(offsetof(struct smp_tramp_data, entry) == 16, "layout");
_Static_assert(offsetof(struct smp_tramp_data, slots) == 24, "layout");
_Static_assert(offsetof(struct smp_tramp_data, slot_count) == 32, "layout");

enum ap_state {
	AP_SENT = 1,
	AP_STARTED,
	AP_ONLINE,
	AP_ABANDONED,
};

/* One AP being started. apic_id and stack_top are read by the
 * trampoline (SLOT_* there). */
struct smp_ap_slot {
	uint32_t apic_id;
	uint32_t state; /* enum ap_state */
	uint64_t stack_top;
	uint32_t index;
	uint32_t reserved;
};
_Static_assert(offsetof(struct smp_ap_slot, apic_id) == 0, "layout");
_Static_assert(offsetof(struct smp_ap_slot, state) == 4, "layout");
_Static_assert(offsetof(struct smp_ap_slot, stack_top) == 8, "layout");
_Static_assert(offsetof(struct smp_ap_slot, index) == 16, "layout");
_Static_assert(sizeof(struct smp_ap_slot) == 24, "layout");

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

/* slots[i] is the AP with index i + 1; ap_cpu[i] its per-CPU data. */
static struct smp_ap_slot slots[ACPI_MAX_CPUS];
static struct cpu *ap_cpu[ACPI_MAX_CPUS];
static unsigned slot_count;
static uint32_t boot_apic_id;
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

static uint32_t slot_state(const struct smp_ap_slot *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

/* An AP's own start-up, on its own stack, with its index (1, 2, ...; 0
 * is the boot CPU) and APIC id: its tables, its local APIC, then report
 * in and idle. */
static __attribute__((noreturn)) void ap_main(unsigned index, uint32_t apic_id)
{
	/* First: the heap and the console need this_cpu(). */
	percpu_enter_ap(ap_cpu[index - 1]);
	if (gdt_load_ap() < 0) {
		kprintf("smp: CPU %u (APIC id %u): no memory for its GDT and "
			"TSS\n",
			index, apic_id);
		cpu_halt_forever();
	}
	idt_load();
	cpu_enable_protections(false);
	lapic_init();
	kvmclock_init_cpu();
	__atomic_store_n(&slots[index - 1].state, AP_ONLINE, __ATOMIC_RELEASE);
	sched_ap_enter();
}

/* The trampoline's jump target, on the slot's stack. */
static __attribute__((noreturn)) void ap_entry(struct smp_ap_slot *s)
{
	uint32_t expect = AP_SENT;

	if (!__atomic_compare_exchange_n(&s->state, &expect, AP_STARTED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		cpu_halt_forever(); /* too late: the boot CPU went on */
	ap_main(s->index, s->apic_id);
}

/*
 * Whether INIT needs its 10 ms before the STARTUP. The wait is in the
 * SDM's and the MP specification's example sequence, which were written
 * for much older systems; Linux (smpboot.c, init_udelay) skips it on
 * Intel family 6 and later, AMD family 0xF and later and Hygon family
 * 0x18 and later, as these do not need it, and so do we. Anything else,
 * or a CPU that does not say, gets the full wait. family is the displayed
 * family (base, plus extended when the base is 0xF).
 */
static bool init_delay_needed(char vendor[13], uint32_t *family)
{
	uint32_t max, a, b, c, d;

	cpuid(0, 0, &max, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = '\0';
	*family = 0;
	if (max < 1)
		return true;
	cpuid(1, 0, &a, &b, &c, &d);
	*family = (a >> 8) & 0xf;
	if (*family == 0xf)
		*family += (a >> 20) & 0xff;
	if (!memcmp(vendor, "GenuineIntel", 12))
		return *family < 6;
	if (!memcmp(vendor, "AuthenticAMD", 12))
		return *family < 0xf;
	if (!memcmp(vendor, "HygonGenuine", 12))
		return *family < 0x18;
	return true;
}

/*
 * Poll until none of the n slots is in a state of mask (BIT(state)), or
 * until deadline; returns how many still are. There is no PAUSE in this
 * loop on purpose: under QEMU's TCG each PAUSE leaves translated code for
 * QEMU's main loop and its global lock, which the starting APs need for
 * every access to their APIC; with PAUSE here a 4-CPU start-up took 6 ms
 * longer. Reading the TSC each round paces the loop anyway, and the wait
 * is short.
 */
static unsigned wait_slots(uint32_t mask, unsigned n, uint64_t deadline)
{
	for (;;) {
		unsigned left = 0;

		for (unsigned i = 0; i < n; i++)
			left += !!(mask & BIT(slot_state(&slots[i])));
		if (!left || time_ns() >= deadline)
			return left;
	}
}

/* INIT to every MADT CPU but this one, each getting a slot; returns how
 * many. A CPU the APIC cannot address is left out. */
static unsigned send_inits(const struct acpi_madt_info *m, uint32_t self)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->cpu_count; i++) {
		uint32_t id = m->cpus[i].apic_id;
		int rc;

		if (id == self)
			continue;
		rc = lapic_send_init(id);
		if (rc < 0) {
			kprintf("smp: APIC id %u: INIT not sent (error %d); "
				"going on without it\n",
				id, rc);
			continue;
		}
		slots[n++].apic_id = id;
	}
	return n;
}

/* A stack for each of the n slots, and its index: 1, 2, ... in slot
 * order. A CPU without a stack is left out (it stays in wait-for-SIPI).
 * Returns how many slots remain. */
static unsigned give_stacks(unsigned n)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < n; i++) {
		void *stack = kstack_alloc(AP_STACK_SIZE);
		struct cpu *c =
			stack ? percpu_alloc_ap(kept + 1, slots[i].apic_id)
			      : NULL;

		if (!c) {
			kprintf("smp: APIC id %u: no memory for its stack and "
				"per-CPU data; going on without it\n",
				slots[i].apic_id);
			if (stack)
				kstack_free(stack, AP_STACK_SIZE);
			continue;
		}
		ap_cpu[kept] = c;
		slots[kept].apic_id = slots[i].apic_id;
		slots[kept].index = kept + 1;
		slots[kept].state = AP_SENT;
		slots[kept].stack_top = (uintptr_t)stack;
		kept++;
	}
	return kept;
}

static void free_stacks(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		kstack_free((void *)(uintptr_t)slots[i].stack_top,
			    AP_STACK_SIZE);
		kfree(ap_cpu[i]);
		ap_cpu[i] = NULL;
	}
}

/* Copy the trampoline to a page below 1 MiB and fill in its data; 0 if
 * there is none to be had. */
static uint64_t tramp_install(uint64_t cr3, unsigned n)
{
	size_t len = (size_t)(smp_tramp_end - smp_tramp_start);
	struct smp_tramp_data *d;
	uint64_t page_pa = pmm_alloc_low_page();
	uint8_t *page;

	if (!page_pa) {
		kprintf("smp: no free page below 1 MiB for the start-up code; "
			"staying on one CPU\n");
		return 0;
	}
	if (paging_set_exec(page_pa, true) < 0) {
		kprintf("smp: cannot make the start-up page executable; "
			"staying on one CPU\n");
		pmm_free(page_pa, 1);
		return 0;
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
	d->entry = (uintptr_t)ap_entry;
	d->slots = (uintptr_t)slots;
	d->slot_count = n;
	return page_pa;
}

/* STARTUP to all, then, 200 us later, a second STARTUP only to those
 * that have not started (one already running would ignore it anyway:
 * a STARTUP counts only in wait-for-SIPI). */
static void send_startups(unsigned n, uint8_t vector)
{
	/* Slots and page must be visible before an AP can look: an x2APIC
	 * ICR write is not serialising (SDM 11.12.3). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < n; i++)
		lapic_send_startup(slots[i].apic_id, vector);
	if (!wait_slots(BIT(AP_SENT), n, time_ns() + SIPI_DELAY_NS))
		return;
	for (unsigned i = 0; i < n; i++) {
		if (slot_state(&slots[i]) == AP_SENT)
			lapic_send_startup(slots[i].apic_id, vector);
	}
}

/* Once every AP has reported or the time limit has passed: count the
 * APs online and log the others. A CPU that never started may still be
 * about to run the start-up code, so its slot is marked abandoned (it
 * halts if it comes) and its stack stays allocated. Returns whether any
 * was abandoned: then the page must stay too. */
static bool collect(unsigned n)
{
	bool abandoned = false;

	for (unsigned i = 0; i < n; i++) {
		struct smp_ap_slot *s = &slots[i];
		uint32_t state = AP_SENT;

		if (__atomic_compare_exchange_n(&s->state, &state, AP_ABANDONED,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			abandoned = true;
			kprintf("smp: CPU %u (APIC id %u) did not start within "
				"%llu ms; going on without it\n",
				s->index, s->apic_id,
				(unsigned long long)(AP_TIMEOUT_NS / 1000000));
		} else if (state == AP_ONLINE) {
			cpus_online++;
		} else {
			kprintf("smp: CPU %u (APIC id %u) started but did not "
				"finish its set-up within %llu ms\n",
				s->index, s->apic_id,
				(unsigned long long)(AP_TIMEOUT_NS / 1000000));
		}
	}
	return abandoned;
}

unsigned smp_start_aps(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	uint64_t cr3, page_pa, t0 = time_ns(), now;
	uint32_t family;
	char vendor[13];
	unsigned n;
	bool init_wait;

	boot_apic_id = lapic_id();
	if (!m || m->cpu_count <= 1)
		goto done;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	if (cr3 >= 0x100000000ULL) {
		kprintf("smp: page tables above 4 GiB; staying on one CPU\n");
		goto done;
	}
	init_wait = init_delay_needed(vendor, &family);
	/* The preparation after the INITs counts toward their wait. */
	n = give_stacks(send_inits(m, boot_apic_id));
	if (!n)
		goto done;
	page_pa = tramp_install(cr3, n);
	if (!page_pa) {
		free_stacks(n);
		goto done;
	}
	now = time_ns();
	if (init_wait && now < t0 + INIT_DELAY_NS)
		time_delay_ns(t0 + INIT_DELAY_NS - now);
	slot_count = n;
	now = time_ns();
	send_startups(n, (uint8_t)(page_pa >> 12));
	wait_slots(BIT(AP_SENT) | BIT(AP_STARTED), n, now + AP_TIMEOUT_NS);
	if (!collect(n)) {
		paging_set_exec(page_pa, false);
		pmm_free(page_pa, 1);
	}
	now = (time_ns() - t0) / 1000;
	kprintf("smp: %u of %u CPUs online in %llu.%llu ms (%s INIT wait: "
		"%s family 0x%x)\n",
		cpus_online, n + 1, (unsigned long long)(now / 1000),
		(unsigned long long)(now % 1000 / 100),
		init_wait ? "10 ms" : "no", vendor, family);
	return cpus_online;
done:
	kprintf("smp: 1 CPU online\n");
	return cpus_online;
}

unsigned smp_cpus_online(void)
{
	return cpus_online;
}

unsigned smp_cpu_ids(void)
{
	return slot_count + 1;
}

bool smp_cpu_is_online(unsigned index)
{
	if (index == 0)
		return true;
	return index <= slot_count &&
	       slot_state(&slots[index - 1]) == AP_ONLINE;
}

uint32_t smp_cpu_apic_id(unsigned index)
{
	if (index == 0)
		return boot_apic_id;
	return index <= slot_count ? slots[index - 1].apic_id : SMP_NO_APIC_ID;
}
