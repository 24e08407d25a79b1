/*
 * IPIs between CPUs (Intel SDM vol. 3A, 11.6): the reschedule vector
 * (the handler only sets need_resched; the switch happens on the way out
 * of the interrupt), TLB shootdown, and stop-by-NMI for fatal errors.
 *
 * TLB shootdown: one request at a time under shootdown_lock. The sender
 * publishes the page and a new generation, sends the vector to every
 * other CPU online and waits for their acknowledgements. A CPU that
 * waits for shootdown_lock with interrupts off serves the request in
 * flight meanwhile, so two senders cannot wait on each other. Every CPU
 * is asked, not only those that ran something near the page: the kernel
 * has one address space, and any CPU may hold the page's translation
 * (a 2 MiB one from any access nearby). The sender waits for every
 * answer however long it takes, since the caller is about to rely on the
 * access being gone (a guard page that must fault, memory that must not
 * be executed); a CPU still silent after SHOOTDOWN_REPORT_NS is named in
 * the log once a second. Under a hypervisor a descheduled vCPU answers
 * late but does answer; a CPU that never does has interrupts off for
 * good, which is a bug of its own. Only a stop for a fatal error ends
 * the wait early, as nothing will run on the stale entry afterwards.
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/ipi.h>
#include <kernel/console.h>
#include <kernel/percpu.h>
#include <kernel/time.h>

#define SHOOTDOWN_REPORT_NS NSEC_PER_SEC

static struct spinlock shootdown_lock = SPINLOCK_INIT;
static volatile uint64_t shootdown_gen;
static volatile uint64_t shootdown_va;
static volatile unsigned shootdown_acks;
static uint64_t shootdowns;
static int stopper = -1; /* index of the CPU stopping the others */

static void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Serve the request in flight if this CPU has not yet. */
static void shootdown_serve(void)
{
	struct cpu *c = this_cpu();
	uint64_t gen = __atomic_load_n(&shootdown_gen, __ATOMIC_ACQUIRE);

	if (c->tlb_flush_seen == gen)
		return;
	invlpg(shootdown_va);
	c->tlb_flush_seen = gen;
	__atomic_fetch_add(&shootdown_acks, 1, __ATOMIC_RELEASE);
}

static void tlb_ipi(struct irq_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	shootdown_serve();
	lapic_eoi();
}

int ipi_init(irq_handler_t resched)
{
	if (irq_set_handler(IRQ_VECTOR_RESCHED, resched, NULL) < 0)
		return -1;
	return irq_set_handler(IRQ_VECTOR_TLB, tlb_ipi, NULL);
}

void ipi_resched(struct cpu *c)
{
	lapic_send_ipi(c->apic_id, IRQ_VECTOR_RESCHED);
}

static bool other_online(const struct cpu *self, const struct cpu *o)
{
	return o && o != self &&
	       __atomic_load_n(&o->sched_online, __ATOMIC_ACQUIRE);
}

/* Name each CPU that has not flushed yet. */
static void shootdown_report(const struct cpu *self, uint64_t va, uint64_t gen,
			     uint64_t waited)
{
	for (unsigned i = 0; i < cpu_count(); i++) {
		struct cpu *o = cpu_get(i);

		if (other_online(self, o) &&
		    __atomic_load_n(&o->tlb_flush_seen, __ATOMIC_ACQUIRE) !=
			    gen)
			kprintf("tlb: cpu %u has not flushed %#llx for cpu "
				"%u after %llu ms; still waiting\n",
				o->index, (unsigned long long)va, self->index,
				(unsigned long long)(waited / NSEC_PER_MSEC));
	}
}

void tlb_shootdown_page(uint64_t va)
{
	struct cpu *self = this_cpu();
	unsigned n = cpu_count(), want = 0;
	uint64_t flags, gen, start, next_report;
	bool reported = false;

	if (n <= 1)
		return;
	flags = irq_save();
	while (!spin_trylock(&shootdown_lock)) {
		shootdown_serve();
		cpu_relax();
	}
	__atomic_fetch_add(&shootdowns, 1, __ATOMIC_RELAXED);
	shootdown_va = va;
	shootdown_acks = 0;
	gen = shootdown_gen + 1;
	/* Not a request for ourselves. */
	self->tlb_flush_seen = gen;
	__atomic_store_n(&shootdown_gen, gen, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++) {
		struct cpu *o = cpu_get(i);

		if (!other_online(self, o))
			continue;
		want++;
		lapic_send_ipi(o->apic_id, IRQ_VECTOR_TLB);
	}
	start = time_ns();
	next_report = start + SHOOTDOWN_REPORT_NS;
	while (__atomic_load_n(&shootdown_acks, __ATOMIC_ACQUIRE) < want) {
		uint64_t now;

		if (smp_stop_requested())
			break;
		cpu_relax();
		now = time_ns();
		if (now >= next_report) {
			shootdown_report(self, va, gen, now - start);
			next_report = now + SHOOTDOWN_REPORT_NS;
			reported = true;
		}
	}
	if (reported)
		kprintf("tlb: %#llx flushed on every CPU for cpu %u after "
			"%llu ms\n",
			(unsigned long long)va, self->index,
			(unsigned long long)((time_ns() - start) /
					     NSEC_PER_MSEC));
	spin_unlock(&shootdown_lock);
	irq_restore(flags);
}

uint64_t tlb_shootdown_count(void)
{
	return __atomic_load_n(&shootdowns, __ATOMIC_RELAXED);
}

bool smp_stop_requested(void)
{
	return __atomic_load_n(&stopper, __ATOMIC_ACQUIRE) >= 0;
}

bool smp_stop_others(void)
{
	struct cpu *self;
	unsigned n = cpu_count();
	int expect = -1;

	if (!percpu_ready())
		return true; /* so early that no other CPU runs */
	self = this_cpu();

	if (!__atomic_compare_exchange_n(&stopper, &expect, (int)self->index,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return expect == (int)self->index;
	for (unsigned i = 0; i < n; i++) {
		struct cpu *o = cpu_get(i);

		if (o && o != self)
			lapic_send_nmi(o->apic_id);
	}
	return true;
}
