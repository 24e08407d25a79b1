/*
 * The local APIC (Intel SDM vol. 3A chapter 11): enabling it in xAPIC
 * (memory-mapped, §11.4) or x2APIC (MSR, §11.12) mode, EOI, IPIs through
 * the ICR (§11.6), and the timer (§11.5.4) in one-shot or TSC-deadline
 * mode. QEMU: every x86 machine; x2APIC with -cpu host under KVM (TCG
 * before QEMU 8.0 has none), TSC-deadline likewise.
 *
 * The mode is chosen once, by the boot CPU, and every CPU uses the same.
 * Register offsets are the xAPIC ones; in x2APIC mode register off is
 * MSR 0x800 + off / 16.
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <arch/interrupt.h>
#include <arch/mmio.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/time.h>

/* Register offsets, SDM vol. 3A table 11-1. */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LAPIC_MMIO_SIZE 0x1000

#define SVR_ENABLE BIT(8)

/* LVT and ICR fields (figures 11-8 and 11-12). */
#define LVT_DELIVERY_NMI (4u << 8)
#define LVT_ACTIVE_LOW BIT(13)
#define LVT_MASKED BIT(16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_DEADLINE (2u << 17)
#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_BUSY BIT(12) /* delivery status, xAPIC only */
#define ICR_ASSERT BIT(14)
#define TIMER_DIV_16 0x3 /* divide configuration, figure 11-10 */
#define TIMER_DIVISOR 16

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ULL
#define MSR_X2APIC_BASE 0x800
#define MSR_X2APIC_ICR 0x830
#define MSR_TSC_DEADLINE 0x6e0

#define CPUID1_EDX_APIC BIT(9)
#define CPUID1_ECX_X2APIC BIT(21)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)

/* Reads of a device register take microseconds at most; far more than
 * this many means the APIC is wedged. */
#define ICR_SPIN_LIMIT 1000000

#define TIMER_CALIBRATE_NS (2 * NSEC_PER_MSEC)

static bool x2apic;
static bool tsc_deadline;
static volatile void *lapic_base;
static uint64_t timer_hz;
static uint64_t timer_mult; /* ticks per ns, 40.24 fixed point */

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32))
			 : "memory");
}

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return mmio_read32(lapic_base, reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
	else
		mmio_write32(lapic_base, reg, v);
}

bool lapic_is_x2apic(void)
{
	return x2apic;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* LINT0/1: NMI where the MADT says so for this CPU, otherwise masked
 * (LINT0 is the 8259's ExtINT line, which stays unused). */
static void lapic_setup_lint(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	uint32_t id = lapic_id(), uid = ACPI_NMI_ALL_CPUS;
	uint32_t lint[2] = { LVT_MASKED, LVT_MASKED };

	for (unsigned i = 0; i < m->cpu_count; i++)
		if (m->cpus[i].apic_id == id)
			uid = m->cpus[i].uid;
	for (unsigned i = 0; i < m->nmi_count; i++) {
		const struct acpi_lapic_nmi *n = &m->nmis[i];

		if (n->uid != ACPI_NMI_ALL_CPUS && n->uid != uid)
			continue;
		/* NMI is always edge triggered (§11.5.1). */
		lint[n->lint] = LVT_DELIVERY_NMI;
		if ((n->flags & ACPI_INTI_POLARITY_MASK) ==
		    ACPI_INTI_POLARITY_LOW)
			lint[n->lint] |= LVT_ACTIVE_LOW;
	}
	lapic_write(LAPIC_LVT_LINT0, lint[0]);
	lapic_write(LAPIC_LVT_LINT1, lint[1]);
}

int lapic_init(void)
{
	static bool mode_chosen;
	bool first = !mode_chosen;
	uint32_t a, b, c, d;
	uint64_t base;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC)) {
		kprintf("apic: CPU has no local APIC\n");
		return -KERR_ENOSYS;
	}
	base = rdmsr(MSR_APIC_BASE);
	if (!mode_chosen) {
		uint64_t phys = base & APIC_BASE_ADDR_MASK;

		x2apic = c & CPUID1_ECX_X2APIC;
		tsc_deadline = c & CPUID1_ECX_TSC_DEADLINE;
		if (phys != acpi_madt()->lapic_addr)
			kprintf("apic: MSR says 0x%llx, MADT 0x%llx; using "
				"the MSR\n",
				(unsigned long long)phys,
				(unsigned long long)acpi_madt()->lapic_addr);
		if (!x2apic) {
			lapic_base = mmio_map(phys, LAPIC_MMIO_SIZE);
			if (!lapic_base) {
				kprintf("apic: registers at 0x%llx not "
					"mapped\n",
					(unsigned long long)phys);
				return -KERR_ENOMEM;
			}
		}
		mode_chosen = true;
	}
	/* xAPIC must be enabled before x2APIC mode is entered (§11.12.5). */
	base |= APIC_BASE_ENABLE;
	wrmsr(MSR_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);

	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_setup_lint();
	/* Writing the ESR latches and clears the errors seen so far. */
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	lapic_eoi();
	/* Only the boot CPU's line: the APs start together, and theirs
	 * would say the same thing (smp.c reports them). */
	if (first)
		kprintf("apic: CPU %u local APIC version 0x%x, %s mode%s\n",
			lapic_id(), lapic_read(LAPIC_VERSION) & 0xff,
			x2apic ? "x2APIC" : "xAPIC",
			tsc_deadline ? ", TSC-deadline timer" : "");
	return 0;
}

/* Send one IPI; in xAPIC mode wait (bounded) until the APIC has taken it
 * so that the next ICR write does not clobber it. x2APIC has no
 * delivery status: the MSR write is the hand-over (§11.12.9). */
static int lapic_send(uint32_t apic_id, uint32_t icr)
{
	uint32_t spins = 0;
	uint64_t flags;
	int rc = 0;

	if (x2apic) {
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)apic_id << 32) | icr);
		return 0;
	}
	if (apic_id > 0xff)
		return -KERR_EINVAL;
	/* Two register writes: an interrupt handler sending its own IPI
	 * in between would redirect this one. */
	flags = irq_save();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr);
	while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY) {
		if (++spins == ICR_SPIN_LIMIT) {
			rc = -KERR_EIO;
			break;
		}
		cpu_relax();
	}
	irq_restore(flags);
	if (rc)
		kprintf("apic: IPI 0x%x to CPU %u never delivered\n", icr,
			apic_id);
	return rc;
}

int lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	return lapic_send(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

int lapic_send_nmi(uint32_t apic_id)
{
	return lapic_send(apic_id, ICR_NMI | ICR_ASSERT);
}

int lapic_send_init(uint32_t apic_id)
{
	return lapic_send(apic_id, ICR_INIT | ICR_ASSERT);
}

int lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	return lapic_send(apic_id, ICR_STARTUP | ICR_ASSERT | page);
}

void lapic_timer_oneshot(uint32_t count, bool deliver)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | IRQ_VECTOR_TIMER |
					     (deliver ? 0 : LVT_MASKED));
	lapic_write(LAPIC_TIMER_INIT, count);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}

bool lapic_timer_has_deadline(void)
{
	return tsc_deadline;
}

uint64_t lapic_timer_hz(void)
{
	return timer_hz;
}

/*
 * Timer ticks per second over one TIMER_CALIBRATE_NS window. The ACPI PM
 * timer is the reference when there is one: in a VM it runs on the same
 * clock as the emulated APIC timer, while the TSC can drift against both
 * when the vCPU is descheduled (TCG especially). Otherwise the TSC.
 */
static uint64_t timer_measure(void)
{
	const uint32_t pm_ticks =
		PM_TIMER_HZ / (NSEC_PER_SEC / TIMER_CALIBRATE_NS);
	uint32_t c0, c1, p0, dp = 0;
	uint64_t t0, dt;

	lapic_timer_oneshot(UINT32_MAX, false);
	if (time_pm_timer_present()) {
		uint64_t end = time_ns() + 10 * TIMER_CALIBRATE_NS;

		c0 = lapic_timer_current();
		p0 = time_pm_timer_read();
		while (dp < pm_ticks && time_ns() < end)
			dp = time_pm_timer_delta(p0, time_pm_timer_read());
		c1 = lapic_timer_current();
		lapic_timer_cancel();
		if (dp < pm_ticks)
			return 0;
		return (uint64_t)(c0 - c1) * PM_TIMER_HZ / dp;
	}
	c0 = lapic_timer_current();
	t0 = time_ns();
	time_delay_ns(TIMER_CALIBRATE_NS);
	c1 = lapic_timer_current();
	dt = time_ns() - t0;
	lapic_timer_cancel();
	return dt ? (uint64_t)(c0 - c1) * NSEC_PER_SEC / dt : 0;
}

int lapic_timer_init(void)
{
	uint64_t m[3], t;

	if (!time_tsc_hz())
		return -KERR_EIO;
	/* The median of three: a vCPU preempted during one measurement
	 * (routine under TCG, possible under KVM) does not skew it. */
	for (unsigned i = 0; i < ARRAY_SIZE(m); i++)
		m[i] = timer_measure();
	if (m[0] > m[1]) {
		t = m[0];
		m[0] = m[1];
		m[1] = t;
	}
	if (m[1] > m[2])
		m[1] = m[2] > m[0] ? m[2] : m[0];
	timer_hz = m[1];
	if (!timer_hz) {
		kprintf("apic: timer did not count\n");
		return -KERR_EIO;
	}
	timer_mult = (timer_hz << 24) / NSEC_PER_SEC;
	kprintf("apic: timer %llu kHz (bus / %d)%s\n",
		(unsigned long long)(timer_hz / 1000), TIMER_DIVISOR,
		tsc_deadline ? "; using TSC-deadline mode" : "");
	return 0;
}

int lapic_timer_arm_ns(uint64_t ns)
{
	uint64_t ticks;

	if (tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER,
			    LVT_TIMER_DEADLINE | IRQ_VECTOR_TIMER);
		/* The LVT write must reach the APIC before the MSR write
		 * (SDM §11.5.4.1; Linux fences the same way). */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(MSR_TSC_DEADLINE, rdtsc() + time_ns_to_tsc(ns) + 1);
		return 0;
	}
	if (!timer_mult)
		return -KERR_EIO;
	ticks = (uint64_t)(((unsigned __int128)ns * timer_mult) >> 24);
	if (ticks == 0)
		ticks = 1;
	if (ticks > UINT32_MAX)
		ticks = UINT32_MAX;
	lapic_timer_oneshot((uint32_t)ticks, true);
	return 0;
}

void lapic_timer_cancel(void)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
}

/* MSI address register (§11.11.1): 0xFEE, destination id in 19:12,
 * redirection hint and destination mode 0 (physical). */
uint32_t msi_address(uint32_t apic_id)
{
	if (apic_id > 0xff)
		return 0;
	return 0xfee00000u | (apic_id << 12);
}

/* MSI data register (§11.11.2): vector, fixed delivery, edge. */
uint32_t msi_data(uint8_t vector)
{
	return vector;
}
