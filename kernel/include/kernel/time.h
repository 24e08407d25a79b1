/*
 * Time: the TSC's rate, a monotonic clock since boot, the wall clock
 * (the CMOS RTC read once at boot, advanced by the monotonic clock), and
 * busy-wait delays. time_init() runs on the boot CPU after acpi_init()
 * (it reads the FADT's PM timer and RTC century) and before anything
 * asks for time; before it, time_ns() is 0.
 *
 * The TSC is assumed invariant and synchronised across CPUs, as it is on
 * the CPUs clouds run (CPUID 0x80000007 EDX bit 8); time_init says so
 * when the CPU does not promise it.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

/* The longest time_delay_ns() waits; longer requests are a bug. */
#define TIME_DELAY_MAX_NS (10 * NSEC_PER_SEC)

/* Find the TSC rate and read the RTC. 0, or -KERR_EIO when no source
 * gave a TSC rate (then an assumed 1 GHz is used). */
int time_init(void);

/* Nanoseconds since the kernel was entered; never goes backwards. */
uint64_t time_ns(void);

/* Nanoseconds since 1970-01-01 00:00:00 UTC (the RTC is taken to be in
 * UTC, as clouds keep it); 0 if the RTC could not be read. */
uint64_t time_wall_ns(void);

/* Spin for at least ns (at most TIME_DELAY_MAX_NS). */
void time_delay_ns(uint64_t ns);

uint64_t time_tsc_hz(void);
/* Where time_tsc_hz() came from: "CPUID 0x15", "hypervisor", "PIT"... */
const char *time_tsc_source(void);
uint64_t time_ns_to_tsc(uint64_t ns);
uint64_t time_tsc_to_ns(uint64_t ticks);

/* The ACPI PM timer (3.579545 MHz), for cross-checks. */
#define PM_TIMER_HZ 3579545
bool time_pm_timer_present(void);
/* The counter, widened to 32 bits whatever its width; wraps. */
uint32_t time_pm_timer_read(void);
/* Elapsed PM timer ticks between two reads, across one wrap. */
uint32_t time_pm_timer_delta(uint32_t from, uint32_t to);

/* A broken-down UTC time, as the RTC gives it. */
struct time_rtc {
	uint16_t year;
	uint8_t month, day, hour, min, sec;
};

/* Read the CMOS RTC now (bounded wait for an update in progress). */
int time_rtc_read(struct time_rtc *t);
/* Seconds since the epoch of a broken-down UTC time. */
uint64_t time_rtc_to_epoch(const struct time_rtc *t);

/*
 * kvmclock (kernel/time/kvmclock.c): KVM's per-CPU paravirtual clock.
 * time_init() attaches it on the boot CPU when KVM offers it, and then
 * takes the TSC rate from it; time_ns() stays on the TSC unless the
 * host withholds the stable bit, and then reads kvmclock (never going
 * below a value it already returned on any CPU). Each application
 * processor calls kvmclock_init_cpu() for itself, after lapic_init() (a
 * CPU finds its area by its local APIC id) and before it reads
 * time_ns(); it is harmless to call without kvmclock.
 */

/* The system-time MSR KVM offers the clock with (0x4b564d01, or the
 * deprecated 0x12); 0 when CPUID shows no KVM with kvmclock. */
uint32_t kvmclock_probe(void);
/* Register the boot CPU's area. 0; -KERR_ENOENT when kvmclock is not
 * offered; -KERR_EIO when the host did not fill the area. */
int kvmclock_attach(void);
/* Register the calling CPU's area. 0 (also when it already has one);
 * -KERR_ENOENT without an attached kvmclock; -KERR_ENOSPC. */
int kvmclock_init_cpu(void);
/* Nanoseconds since the VM started, from the calling CPU's area; 0
 * without kvmclock or when this CPU has not registered. */
uint64_t kvmclock_ns(void);
/* The TSC rate the host's scale factors give; 0 without kvmclock. */
uint64_t kvmclock_tsc_hz(void);
/* Does the host promise the TSC is stable and the same on every vCPU
 * (PVCLOCK_TSC_STABLE_BIT, with KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)? */
bool kvmclock_tsc_stable(void);
/* The pvclock arithmetic: TSC ticks to ns, and the rate that the scale
 * factors stand for (0 if they are malformed). shift is -31..31. */
uint64_t kvmclock_scale(uint64_t delta, uint32_t mul, int8_t shift);
uint64_t kvmclock_rate_hz(uint32_t mul, int8_t shift);

#endif
