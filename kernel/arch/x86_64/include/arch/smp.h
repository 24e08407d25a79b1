/*
 * Starting the application processors listed in the MADT (Intel SDM vol.
 * 3A, 9.4.4: INIT, 10 ms, STARTUP, 200 us, STARTUP). A CPU that does not
 * answer within its time limit is logged and left out; the kernel goes on
 * with the others. APs come up with their own GDT, TSS and IST stacks,
 * the shared IDT, the CPU protections and their local APIC, then idle.
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

/* Called once on the boot CPU after memory, ACPI, the APIC and time are
 * up. Returns the number of CPUs online, the boot CPU included. */
unsigned smp_start_aps(void);

/* CPUs online so far. */
unsigned smp_cpus_online(void);

#endif
