/*
 * The ACPI power management timer (ACPI 6.5 §4.8.3.3): a free-running
 * 3.579545 MHz counter in an I/O port that the FADT names, 24 bits wide
 * or 32 with TMR_VAL_EXT. It needs no set-up, so it is the reference the
 * TSC is measured against when CPUID does not give the TSC's rate.
 * QEMU: -M pc (PIIX4, port 0xb008) and -M q35 (ICH9, port 0x608).
 */
#include <stddef.h>

#include <kernel/acpi.h>
#include <kernel/time.h>

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

bool time_pm_timer_present(void)
{
	return acpi_pm_timer_port(NULL) != 0;
}

uint32_t time_pm_timer_read(void)
{
	uint16_t port = acpi_pm_timer_port(NULL);

	return port ? inl(port) : 0;
}

uint32_t time_pm_timer_delta(uint32_t from, uint32_t to)
{
	bool is32;

	acpi_pm_timer_port(&is32);
	return is32 ? to - from : (to - from) & 0xffffff;
}
