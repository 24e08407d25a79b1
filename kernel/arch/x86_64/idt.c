/*
 * The IDT (Intel SDM vol. 3A, 6.10-6.14): 256 interrupt gates pointing at
 * the stubs in idt_stubs.asm, a handler table for allocated vectors, and
 * the fatal path for CPU exceptions: a dump of the vector, error code,
 * registers, CR2 and CR3, the faulting CPU and a frame-pointer backtrace
 * on COM1, then the VM stops with a failing status.
 */
#include <stddef.h>

#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <arch/interrupt.h>
#include <arch/ipi.h>
#include <arch/paging.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/percpu.h>
#include <kernel/spinlock.h>
#include <kernel/thread.h>

#define IDT_ENTRIES 256
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define BACKTRACE_MAX 16

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(offsetof(struct idt_gate, offset_low) == 0, "layout");
_Static_assert(offsetof(struct idt_gate, selector) == 2, "layout");
_Static_assert(offsetof(struct idt_gate, ist) == 4, "layout");
_Static_assert(offsetof(struct idt_gate, type_attr) == 5, "layout");
_Static_assert(offsetof(struct idt_gate, offset_mid) == 6, "layout");
_Static_assert(offsetof(struct idt_gate, offset_high) == 8, "layout");
_Static_assert(sizeof(struct idt_gate) == 16, "layout");

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct irq_slot {
	irq_handler_t handler;
	void *ctx;
};

extern const uint64_t idt_stub_table[IDT_ENTRIES];
extern char __kernel_start[], __kernel_end[];

/* Called from idt_stubs.asm. */
void irq_dispatch(struct irq_frame *f);

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static struct irq_slot slots[IDT_ENTRIES];
static struct spinlock vector_lock = SPINLOCK_INIT;
static unsigned next_vector = IRQ_VECTOR_FIRST;

static const char *const exception_names[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD error",
	[20] = "#VE virtualization",
	[21] = "#CP control protection",
};

static void set_gate(unsigned v, uint64_t addr, uint8_t ist)
{
	idt[v].offset_low = addr & 0xffff;
	idt[v].selector = GDT_KERNEL_CS;
	idt[v].ist = ist;
	idt[v].type_attr = GATE_INTERRUPT;
	idt[v].offset_mid = (addr >> 16) & 0xffff;
	idt[v].offset_high = addr >> 32;
	idt[v].reserved = 0;
}

void idt_init(void)
{
	for (unsigned v = 0; v < IDT_ENTRIES; v++)
		set_gate(v, idt_stub_table[v], 0);
	set_gate(2, idt_stub_table[2], IST_NMI);
	set_gate(8, idt_stub_table[8], IST_DOUBLE_FAULT);
	set_gate(18, idt_stub_table[18], IST_MACHINE_CHECK);
}

void idt_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

int irq_alloc_vector(void)
{
	uint64_t flags = spin_lock_irqsave(&vector_lock);
	int v = -KERR_ENOSPC;

	if (next_vector <= IRQ_VECTOR_LAST)
		v = (int)next_vector++;
	spin_unlock_irqrestore(&vector_lock, flags);
	return v;
}

int irq_set_handler(unsigned vector, irq_handler_t h, void *ctx)
{
	if (vector < 32 || vector >= IDT_ENTRIES)
		return -KERR_EINVAL;
	slots[vector].ctx = ctx;
	__atomic_store_n(&slots[vector].handler, h, __ATOMIC_RELEASE);
	return 0;
}

irq_handler_t irq_get_handler(unsigned vector, void **ctx)
{
	if (vector >= IDT_ENTRIES)
		return NULL;
	if (ctx)
		*ctx = slots[vector].ctx;
	return __atomic_load_n(&slots[vector].handler, __ATOMIC_ACQUIRE);
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Initial APIC id from CPUID: right even when the per-CPU data is not. */
static uint32_t cpuid_apic_id(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

/* Follow saved frame pointers while they stay inside the kernel's
 * memory and go up the stack. */
static void backtrace(uint64_t rip, uint64_t rbp)
{
	kprintf("fault: backtrace: %#llx", (unsigned long long)rip);
	for (int i = 0; i < BACKTRACE_MAX; i++) {
		const uint64_t *frame = (const uint64_t *)rbp;

		if (!rbp || (rbp & 7) || rbp < (uintptr_t)__kernel_start ||
		    rbp >= 0x100000000ULL)
			break;
		if (!frame[1])
			break;
		kprintf(" %#llx", (unsigned long long)frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	kprintf("\n");
}

/* The words at the top of the faulting stack: after a call through a
 * bad pointer (rip 0), the first is the return address into the caller,
 * which the frame-pointer backtrace misses. */
static void stack_words(uint64_t rsp)
{
	const uint64_t *p = (const uint64_t *)rsp;

	if ((rsp & 7) || !paging_query(rsp, NULL) ||
	    !paging_query(rsp + 3 * 8, NULL))
		return;
	kprintf("fault: stack: %#llx %#llx %#llx %#llx\n",
		(unsigned long long)p[0], (unsigned long long)p[1],
		(unsigned long long)p[2], (unsigned long long)p[3]);
}

static __attribute__((noreturn)) void fatal_exception(struct irq_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector]
				   ? exception_names[f->vector]
				   : "unknown exception";

	struct thread *th = percpu_ready() ? this_cpu()->current : NULL;

	/* The first CPU to fail stops the others and reports; one that
	 * fails at the same time just stops. */
	if (!smp_stop_others())
		cpu_halt_forever();
	console_break_lock();
	kprintf("fault: %s (vector %llu, error %#llx) on cpu %u (APIC id "
		"%u), thread %s\n",
		name, (unsigned long long)f->vector,
		(unsigned long long)f->error,
		percpu_ready() ? this_cpu()->index : 0, cpuid_apic_id(),
		th ? th->name : "none");
	kprintf("fault: rip=0x%016llx cs=%#llx rflags=%#llx rsp=0x%016llx "
		"ss=%#llx\n",
		(unsigned long long)f->rip, (unsigned long long)f->cs,
		(unsigned long long)f->rflags, (unsigned long long)f->rsp,
		(unsigned long long)f->ss);
	kprintf("fault: rax=0x%016llx rbx=0x%016llx rcx=0x%016llx "
		"rdx=0x%016llx\n",
		(unsigned long long)f->rax, (unsigned long long)f->rbx,
		(unsigned long long)f->rcx, (unsigned long long)f->rdx);
	kprintf("fault: rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx "
		"r8=0x%016llx\n",
		(unsigned long long)f->rsi, (unsigned long long)f->rdi,
		(unsigned long long)f->rbp, (unsigned long long)f->r8);
	kprintf("fault: r9=0x%016llx r10=0x%016llx r11=0x%016llx "
		"r12=0x%016llx\n",
		(unsigned long long)f->r9, (unsigned long long)f->r10,
		(unsigned long long)f->r11, (unsigned long long)f->r12);
	kprintf("fault: r13=0x%016llx r14=0x%016llx r15=0x%016llx\n",
		(unsigned long long)f->r13, (unsigned long long)f->r14,
		(unsigned long long)f->r15);
	kprintf("fault: cr2=0x%016llx cr3=0x%016llx\n",
		(unsigned long long)read_cr2(), (unsigned long long)read_cr3());
	backtrace(f->rip, f->rbp);
	stack_words(f->rsp);
	kernel_fatal_exit("fatal CPU exception");
}

void irq_dispatch(struct irq_frame *f)
{
	struct irq_slot *s = &slots[f->vector & 0xff];
	irq_handler_t h = __atomic_load_n(&s->handler, __ATOMIC_ACQUIRE);

	/* Exceptions (NMI included) may come at any point, even inside
	 * the scheduler: they never switch threads. */
	if (f->vector < 32) {
		if (f->vector == 2 && smp_stop_requested())
			cpu_halt_forever();
		if (h) {
			h(f, s->ctx);
			return;
		}
		fatal_exception(f);
	}
	if (h) {
		sched_irq_enter();
		h(f, s->ctx);
		sched_irq_exit();
		return;
	}
	if (f->vector == IRQ_VECTOR_SPURIOUS)
		return; /* spurious APIC interrupt: no EOI, nothing to do */
	kprintf("irq: vector %llu with no handler; ignored\n",
		(unsigned long long)f->vector);
}
