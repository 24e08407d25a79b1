/*
 * Starting the application processors listed in the MADT (Intel SDM vol.
 * 3A, 9.4.4.1: INIT, 10 ms, STARTUP, 200 us, STARTUP), all at once: INIT
 * to every AP, the 10 ms only on CPUs that need it (see smp.c), STARTUP
 * to every AP, and a second STARTUP 200 us later only to those that have
 * not started. The boot CPU then waits for all of them together, with
 * one time limit; a CPU that has not reported by then is logged with its
 * index and APIC id and left out, and the kernel goes on with the others.
 * APs come up with their own GDT, TSS and IST stacks, the shared IDT, the
 * CPU protections and their local APIC, then idle.
 *
 * CPU indices: 0 is the boot CPU; the APs get 1, 2, ... in MADT order,
 * fixed before they start, so every AP knows its index and APIC id from
 * its first instruction in C (ap_main in smp.c) without waiting for the
 * others. They are dense when every CPU comes up, which is the rule; a
 * CPU that does not leaves its index unused, and smp_cpu_is_online()
 * says which are.
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <stdbool.h>
#include <stdint.h>

#define SMP_NO_APIC_ID 0xffffffffu

/* Called once on the boot CPU after memory, ACPI, the APIC and time are
 * up. Returns the number of CPUs online, the boot CPU included. */
unsigned smp_start_aps(void);

/* CPUs online so far. */
unsigned smp_cpus_online(void);

/* CPU indices handed out, 0 to smp_cpu_ids() - 1: as many as CPUs
 * online unless one failed to start. */
unsigned smp_cpu_ids(void);
bool smp_cpu_is_online(unsigned index);

/* The APIC id of the CPU with this index, or SMP_NO_APIC_ID if no CPU
 * has it. */
uint32_t smp_cpu_apic_id(unsigned index);

#endif
