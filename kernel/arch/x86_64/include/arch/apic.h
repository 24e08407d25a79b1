/*
 * Interrupt controllers of the PC: the legacy 8259 pair (masked for good
 * at boot), the local APIC of each CPU (xAPIC or x2APIC mode), the
 * IOAPICs, and the MSI message format (Intel SDM vol. 3A chapter 11;
 * 82093AA IOAPIC datasheet).
 *
 * Boot order: pic_disable(), acpi_init(), lapic_init(), ioapic_init(),
 * time_init(), lapic_timer_init(). Application processors call
 * lapic_init() and lapic_timer_init() again on themselves.
 */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include <kernel/lib.h>

/* 8259A pair: remap to vectors 32-47 and mask every line. */
void pic_disable(void);

/* Enable this CPU's local APIC: x2APIC when CPUID offers it, spurious
 * vector 255, TPR 0, LINT0 masked, LINT1 as the MADT's NMI entries say,
 * error and timer LVTs masked. The first call (the boot CPU) chooses the
 * mode and logs it; the APs' calls are quiet. */
int lapic_init(void);
bool lapic_is_x2apic(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

/* Fixed interrupt to one CPU; -KERR_EIO if the APIC never accepted it. */
int lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* A non-maskable interrupt to one CPU (used to stop CPUs on a fatal
 * error: it gets through even with interrupts off). */
int lapic_send_nmi(uint32_t apic_id);
/* The INIT and STARTUP IPIs of the SDM's MP start-up (§9.4.4.1). The
 * delays between them are the caller's; page is the 4 KiB page number
 * (below 1 MiB) where the AP starts in real mode. */
int lapic_send_init(uint32_t apic_id);
int lapic_send_startup(uint32_t apic_id, uint8_t page);

/* Measure the timer against the TSC (needs time_init) and program it
 * masked. Call on each CPU. */
int lapic_timer_init(void);
bool lapic_timer_has_deadline(void);
uint64_t lapic_timer_hz(void);
/* One interrupt on IRQ_VECTOR_TIMER ns from now (TSC-deadline mode when
 * the CPU has it, else one-shot; a one-shot longer than the counter
 * fires early and the handler re-arms). Replaces any earlier arming. */
int lapic_timer_arm_ns(uint64_t ns);
void lapic_timer_cancel(void);
/* One-shot mode with a raw count; deliver false keeps the LVT masked so
 * the count runs without raising an interrupt (tests, calibration). */
void lapic_timer_oneshot(uint32_t count, bool deliver);
uint32_t lapic_timer_current(void);

/* IOAPIC redirection entries at phys (0 if nothing answers there). */
unsigned ioapic_probe_entries(uint64_t phys);
/* Mask every entry of every IOAPIC in the MADT. */
int ioapic_init(void);

#define IOAPIC_LEVEL BIT(0)
#define IOAPIC_ACTIVE_LOW BIT(1)

/* Deliver gsi as vector to the CPU apic_id, unmasked: install the
 * handler first. flags: IOAPIC_LEVEL, IOAPIC_ACTIVE_LOW. */
int ioapic_route_gsi(uint32_t gsi, uint8_t vector, uint32_t apic_id,
		     unsigned flags);
/* The same for an ISA IRQ, through the MADT's overrides. */
int ioapic_route_isa_irq(unsigned irq, uint8_t vector, uint32_t apic_id);
int ioapic_mask(uint32_t gsi);
int ioapic_unmask(uint32_t gsi);

/* MSI address and data for a fixed, edge interrupt to one CPU (SDM vol.
 * 3A §11.11). msi_address is 0 for an APIC id above 255, which MSI
 * cannot name without interrupt remapping. */
uint32_t msi_address(uint32_t apic_id);
uint32_t msi_data(uint8_t vector);

#endif
