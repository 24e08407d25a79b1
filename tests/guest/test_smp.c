/*
 * Application processors: every CPU the MADT lists (and the test asks
 * for with ktest.cpus=N) has come online.
 */
#include "ktest.h"
#include <arch/smp.h>
#include <kernel/acpi.h>

KTEST(smp_cpus_online)
{
	const char *want = ktest_option("ktest.cpus");
	unsigned n = 0;

	KT_CHECK(t, smp_cpus_online() >= 1);
	KT_CHECK_EQ(t, smp_cpus_online(), acpi_madt()->cpu_count);
	if (!want)
		return;
	for (; *want >= '0' && *want <= '9'; want++)
		n = n * 10 + (unsigned)(*want - '0');
	KT_CHECK_EQ(t, smp_cpus_online(), n);
}
