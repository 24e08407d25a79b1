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

#endif
