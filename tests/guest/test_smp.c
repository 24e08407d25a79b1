/*
 * Application processors: every CPU the MADT lists (and the test asks
 * for with ktest.cpus=N) has come online, with the indices and APIC ids
 * arch/smp.h promises (0 the boot CPU, then the APs in MADT order), and
 * each AP takes an interrupt on its own IDT and stacks.
 */
#include "ktest.h"
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/interrupt.h>
#include <arch/smp.h>
#include <kernel/acpi.h>
#include <kernel/lib.h>
#include <kernel/percpu.h>
#include <kernel/time.h>

#define IPI_WAIT_NS (100 * NSEC_PER_MSEC)

KTEST(smp_cpus_online)
{
	const char *want = ktest_option("ktest.cpus");
	unsigned n = 0;

	KT_CHECK(t, smp_cpus_online() >= 1);
	KT_CHECK_EQ(t, smp_cpus_online(), acpi_madt()->cpu_count);
	KT_CHECK_EQ(t, smp_cpu_ids(), smp_cpus_online());
	if (!want)
		return;
	for (; *want >= '0' && *want <= '9'; want++)
		n = n * 10 + (unsigned)(*want - '0');
	KT_CHECK_EQ(t, smp_cpus_online(), n);
}

KTEST(smp_indices_follow_madt)
{
	const struct acpi_madt_info *m = acpi_madt();
	uint32_t self = smp_cpu_apic_id(0); /* the boot CPU */
	unsigned index = 1;
	uint64_t flags = irq_save();

	/* Whichever CPU this thread is on knows its own index. */
	KT_CHECK_EQ(t, smp_cpu_apic_id(this_cpu()->index), lapic_id());
	irq_restore(flags);
	KT_CHECK_EQ(t, self, cpu_get(0)->apic_id);
	KT_CHECK(t, smp_cpu_is_online(0));
	for (unsigned i = 0; i < m->cpu_count; i++) {
		if (m->cpus[i].apic_id == self)
			continue;
		KT_CHECK_EQ(t, smp_cpu_apic_id(index), m->cpus[i].apic_id);
		KT_CHECK(t, smp_cpu_is_online(index));
		index++;
	}
	KT_CHECK_EQ(t, index, smp_cpu_ids());
	KT_CHECK_EQ(t, smp_cpu_apic_id(index), SMP_NO_APIC_ID);
	KT_CHECK(t, !smp_cpu_is_online(index));
}

static volatile uint32_t ipi_count;
static volatile uint32_t ipi_apic_id;

/* Runs on the AP the IPI went to. */
static void note_ipi(struct irq_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	__atomic_store_n(&ipi_apic_id, lapic_id(), __ATOMIC_RELAXED);
	__atomic_fetch_add(&ipi_count, 1, __ATOMIC_RELEASE);
	lapic_eoi();
}

/* Send vec to the CPU with this index; wait for its handler. */
static bool ipi_answered(unsigned index, int vec)
{
	uint32_t before = __atomic_load_n(&ipi_count, __ATOMIC_ACQUIRE);
	uint64_t end = time_ns() + IPI_WAIT_NS;

	ipi_apic_id = SMP_NO_APIC_ID;
	if (lapic_send_ipi(smp_cpu_apic_id(index), (uint8_t)vec) < 0)
		return false;
	while (__atomic_load_n(&ipi_count, __ATOMIC_ACQUIRE) == before) {
		if (time_ns() >= end)
			return false;
		cpu_relax();
	}
	return true;
}

KTEST(smp_aps_take_interrupts)
{
	int vec = irq_alloc_vector();

	if (!KT_CHECK(t, vec >= IRQ_VECTOR_FIRST))
		return;
	KT_CHECK_EQ(t, irq_set_handler((unsigned)vec, note_ipi, NULL), 0);
	for (unsigned i = 1; i < smp_cpu_ids(); i++) {
		if (!smp_cpu_is_online(i))
			continue; /* smp_indices_follow_madt reports it */
		if (KT_CHECK(t, ipi_answered(i, vec)))
			KT_CHECK_EQ(t, ipi_apic_id, smp_cpu_apic_id(i));
	}
}
