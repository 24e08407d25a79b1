/*
 * The TSC as the kernel's clock. Its rate comes, in order of trust, from
 * kvmclock when KVM offers it (the host's own scale factors for this
 * vCPU's TSC, kvmclock.c), from the hypervisor's timing leaf (CPUID
 * 0x40000010, EAX = TSC kHz; VMware's convention, also offered by
 * KVM/QEMU with -cpu ...,+invtsc and vmware-cpuid-freq), from CPUID 0x15
 * (TSC/crystal ratio times the crystal, Intel SDM vol. 2A) or 0x16 (base
 * MHz), else measured against the ACPI PM timer (FADT) or the PIT
 * (kernel/arch/x86_64/tsc.c). QEMU/TCG offers none of these, so the PM
 * timer is used.
 *
 * time_init() runs after acpi_init() and lapic_init() (kvmclock finds a
 * CPU's area by its APIC id) on the boot CPU. The wall clock is the RTC
 * read once there, advanced by the monotonic clock.
 */
#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <arch/platform.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/time.h>

#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_TIMING 0x40000010
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_POWER 0x80000007
#define CPUID_POWER_EDX_INVTSC BIT(8)

#define PM_CALIBRATE_TICKS (PM_TIMER_HZ / 200) /* 5 ms */
#define PM_CALIBRATE_SPINS 100000000
#define PM_SAMPLE_TRIES 1000
#define ASSUMED_HZ 1000000000ULL
/* Before time_init: no TSC faster than this, so delays are long enough. */
#define MAX_PLAUSIBLE_HZ 8000000000ULL

static uint64_t tsc_hz;
static const char *tsc_source = "nothing";
static uint64_t tsc_base;	   /* TSC at time 0 */
static uint64_t ns_per_tick_mult;  /* ns per tick, 32.32 fixed point */
static uint64_t ticks_per_ns_mult; /* ticks per ns, 40.24 fixed point */
static uint64_t wall_base_ns;	   /* wall clock at time_ns() == 0 */

/* time_ns() from kvmclock rather than the TSC (see time_init). */
static bool ns_from_kvmclock;
static uint64_t kvmclock_base_ns; /* kvmclock at time_ns() == 0 */
static uint64_t kvmclock_last_ns; /* the latest time_ns() handed out */

static uint64_t hz_from_cpuid(const char **src)
{
	uint32_t a, b, c, d, max;

	cpuid(1, 0, &a, &b, &c, &d);
	if (c & CPUID1_ECX_HYPERVISOR) {
		cpuid(CPUID_HV_BASE, 0, &max, &b, &c, &d);
		if (max >= CPUID_HV_TIMING && max < CPUID_HV_BASE + 0x10000) {
			cpuid(CPUID_HV_TIMING, 0, &a, &b, &c, &d);
			if (a) {
				*src = "hypervisor CPUID";
				return (uint64_t)a * 1000;
			}
		}
	}
	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c) {
			*src = "CPUID 0x15";
			return (uint64_t)c * b / a;
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		if (a & 0xffff) {
			*src = "CPUID 0x16";
			return (uint64_t)(a & 0xffff) * 1000000;
		}
	}
	return 0;
}

/*
 * One PM timer reading with the TSC at its middle. A reading whose two
 * TSC reads lie further apart than max_width is retried: under a
 * hypervisor the vCPU can be descheduled between the port read and the
 * RDTSC, and a millisecond lost there is 20% of a 5 ms calibration.
 */
static bool pm_sample(uint32_t *pm, uint64_t *tsc, uint64_t max_width)
{
	for (int i = 0; i < PM_SAMPLE_TRIES; i++) {
		uint64_t a = rdtsc(), b;
		uint32_t p = time_pm_timer_read();

		b = rdtsc();
		if (b - a <= max_width) {
			*pm = p;
			*tsc = a + (b - a) / 2;
			return true;
		}
	}
	return false;
}

static uint64_t hz_from_pm_timer(void)
{
	uint64_t t0, t1, width = UINT64_MAX;
	uint32_t p0, p1, dp, spins = 0;

	if (!time_pm_timer_present())
		return 0;
	/* What an undisturbed reading costs: the least of a few. */
	for (int i = 0; i < 8; i++) {
		uint64_t a = rdtsc();

		(void)time_pm_timer_read();
		a = rdtsc() - a;
		if (a < width)
			width = a;
	}
	width = width * 4 + 64;
	if (!pm_sample(&p0, &t0, width))
		return 0;
	do {
		if (++spins == PM_CALIBRATE_SPINS)
			return 0;
		dp = time_pm_timer_delta(p0, time_pm_timer_read());
	} while (dp < PM_CALIBRATE_TICKS);
	if (!pm_sample(&p1, &t1, width))
		return 0;
	dp = time_pm_timer_delta(p0, p1);
	return (t1 - t0) * PM_TIMER_HZ / dp;
}

static void set_rate(uint64_t hz)
{
	tsc_hz = hz;
	ns_per_tick_mult = (NSEC_PER_SEC << 32) / hz;
	ticks_per_ns_mult = (hz << 24) / NSEC_PER_SEC;
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}

const char *time_tsc_source(void)
{
	return tsc_source;
}

uint64_t time_tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_mult) >> 32);
}

uint64_t time_ns_to_tsc(uint64_t ns)
{
	if (!ticks_per_ns_mult) /* before time_init: err on the long side */
		return ns * (MAX_PLAUSIBLE_HZ / NSEC_PER_SEC);
	return (uint64_t)(((unsigned __int128)ns * ticks_per_ns_mult) >> 24);
}

static uint64_t tsc_ns(void)
{
	uint64_t now = rdtsc();

	if (!tsc_hz || now < tsc_base)
		return 0;
	return time_tsc_to_ns(now - tsc_base);
}

/*
 * Each CPU's kvmclock is monotonic on its own, but two CPUs' areas need
 * not agree to the nanosecond, so a reading never goes below the latest
 * one handed out on any CPU. A CPU without an area yet (an AP before
 * kvmclock_init_cpu) falls back to the TSC.
 */
static uint64_t kvmclock_time_ns(void)
{
	uint64_t kc = kvmclock_ns(), now, last;

	if (kc)
		now = kc > kvmclock_base_ns ? kc - kvmclock_base_ns : 0;
	else
		now = tsc_ns();
	last = __atomic_load_n(&kvmclock_last_ns, __ATOMIC_RELAXED);
	do {
		if (now <= last)
			return last;
	} while (!__atomic_compare_exchange_n(&kvmclock_last_ns, &last, now,
					      false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return now;
}

uint64_t time_ns(void)
{
	return ns_from_kvmclock ? kvmclock_time_ns() : tsc_ns();
}

uint64_t time_wall_ns(void)
{
	return wall_base_ns ? wall_base_ns + time_ns() : 0;
}

void time_delay_ns(uint64_t ns)
{
	uint64_t end;

	if (ns > TIME_DELAY_MAX_NS)
		ns = TIME_DELAY_MAX_NS;
	end = rdtsc() + time_ns_to_tsc(ns);
	while (rdtsc() < end)
		cpu_relax();
}

static bool tsc_invariant(void)
{
	uint32_t a, b, c, d, max;

	cpuid(CPUID_EXT_MAX, 0, &max, &b, &c, &d);
	if (max < CPUID_EXT_POWER)
		return false;
	cpuid(CPUID_EXT_POWER, 0, &a, &b, &c, &d);
	return d & CPUID_POWER_EDX_INVTSC;
}

/* What the time line says after the rate's source. */
static const char *rate_note(bool kvm)
{
	if (kvm)
		return ns_from_kvmclock
			       ? " (no stable bit: the clock reads kvmclock)"
			       : " (stable)";
	return tsc_invariant() ? "" : " (not invariant)";
}

int time_init(void)
{
	const struct boot_info *bi = kernel_boot_info();
	const char *src = NULL;
	struct time_rtc rtc;
	uint64_t hz, now;
	bool kvm;
	int err = 0;

	kvm = kvmclock_attach() == 0;
	if (kvm) {
		hz = kvmclock_tsc_hz();
		src = "kvmclock";
	} else {
		hz = hz_from_cpuid(&src);
	}
	if (!hz && (hz = hz_from_pm_timer()))
		src = "ACPI PM timer";
	if (!hz && (hz = tsc_calibrate_pit()))
		src = "PIT";
	if (!hz) {
		kprintf("time: no source for the TSC rate; assuming 1 GHz\n");
		hz = ASSUMED_HZ;
		src = "a guess";
		err = -KERR_EIO;
	}
	tsc_source = src;
	now = rdtsc();
	tsc_base = bi && bi->tsc[BOOT_TS_KERNEL_ENTRY] &&
				   bi->tsc[BOOT_TS_KERNEL_ENTRY] <= now
			   ? bi->tsc[BOOT_TS_KERNEL_ENTRY]
			   : now;
	set_rate(hz);

	/*
	 * With the stable bit, KVM keeps one (tsc_timestamp, system_time)
	 * pair for every vCPU and their TSCs in step, so kvmclock is one
	 * fixed linear function of the TSC: time_ns() reads the TSC alone
	 * and gets the same clock (from another origin) for one RDTSC, with
	 * no version loop and no search for this CPU's area. Without the
	 * bit the host corrects each vCPU's area on its own for a TSC it
	 * does not trust, and only the areas are right.
	 */
	if (kvm && !kvmclock_tsc_stable()) {
		uint64_t kc = kvmclock_ns(), ns = tsc_ns();

		/* kvmclock counts from the VM's start, before ours. */
		kvmclock_base_ns = kc > ns ? kc - ns : kc;
		ns_from_kvmclock = true;
	}

	kprintf("time: TSC %llu.%02llu GHz from %s%s; ",
		(unsigned long long)(hz / NSEC_PER_SEC),
		(unsigned long long)(hz % NSEC_PER_SEC / 10000000), src,
		rate_note(kvm));
	if (time_rtc_read(&rtc) == 0) {
		wall_base_ns =
			time_rtc_to_epoch(&rtc) * NSEC_PER_SEC - time_ns();
		kprintf("RTC %04u-%02u-%02u %02u:%02u:%02u UTC\n", rtc.year,
			rtc.month, rtc.day, rtc.hour, rtc.min, rtc.sec);
	} else {
		kprintf("RTC unreadable; no wall clock\n");
	}
	return err;
}
