/*
 * kvmclock, KVM's paravirtual clock (Linux Documentation/virt/kvm/x86/
 * cpuid.rst for the leaves and feature bits, msr.rst for the MSRs and the
 * pvclock_vcpu_time_info area). A KVM guest finds "KVMKVMKVM\0\0\0" in a
 * hypervisor CPUID leaf and the clock's feature bits in the leaf after
 * it; each vCPU then writes the guest-physical address of a 32-byte area
 * to MSR_KVM_SYSTEM_TIME_NEW (or the deprecated 0x12), and the host keeps
 * that area filled with what turns the vCPU's TSC into nanoseconds since
 * the VM started:
 *
 *   ns = system_time + ((tsc - tsc_timestamp) << tsc_shift) * mul >> 32
 *
 * (a negative tsc_shift shifts right). QEMU offers it under -accel kvm
 * (on by default; -cpu ...,-kvmclock hides it); TCG does not.
 *
 * kvmclock_attach() runs on the boot CPU from time_init(). Each AP calls
 * kvmclock_init_cpu() for itself after lapic_init(): a CPU finds its own
 * area by its local APIC id. The rate and the stable bit are taken once,
 * at attach; a live migration that changes them is not followed.
 */
#include <stddef.h>

#include <arch/apic.h>
#include <arch/cpu_setup.h>
#include <kernel/acpi.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/time.h>

#define CPUID1_ECX_HYPERVISOR BIT(31)

/* cpuid.rst: KVM_CPUID_SIGNATURE is 0x40000000, or a later multiple of
 * 0x100 when another interface (Hyper-V's) comes first; the features
 * leaf (KVM_CPUID_FEATURES) is the one after it. */
#define CPUID_HV_FIRST 0x40000000u
#define CPUID_HV_LAST 0x4000ff00u
#define CPUID_HV_STEP 0x100u
#define KVM_SIGNATURE "KVMKVMKVM\0\0\0"
#define KVM_FEATURE_CLOCKSOURCE 0	      /* MSR 0x12 */
#define KVM_FEATURE_CLOCKSOURCE2 3	      /* MSR 0x4b564d01 */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24 /* the flag below means it */

/* msr.rst: the area's address, 4-byte aligned, with the enable bit. */
#define MSR_KVM_SYSTEM_TIME 0x12
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_SYSTEM_TIME_ENABLE BIT(0)

/* pvclock_vcpu_time_info.flags */
#define PVCLOCK_TSC_STABLE_BIT 0

/* A shift beyond this would make the scaling undefined; KVM's are -4..3
 * for any TSC between 100 MHz and 10 GHz. */
#define PVCLOCK_SHIFT_MAX 31

/* Written by the host, read by the guest under the version protocol:
 * the host makes version odd before an update and even after it. */
struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));
_Static_assert(offsetof(struct pvclock_vcpu_time_info, version) == 0, "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, pad0) == 4, "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, tsc_timestamp) == 8,
	       "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, system_time) == 16,
	       "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, tsc_to_system_mul) == 24,
	       "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, tsc_shift) == 28, "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, flags) == 29, "abi");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, pad) == 30, "abi");
/* With 32-byte alignment no area crosses a page, as KVM requires. */
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "abi");

/* One consistent reading of an area. */
struct pvclock_reading {
	uint64_t ns;
	uint32_t version;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
};

#define KVMCLOCK_MAX_CPUS ACPI_MAX_CPUS
#define NO_CPU UINT32_MAX /* never a local APIC id (x2APIC broadcast) */

/*
 * One area per CPU, handed out in the order CPUs register. The kernel's
 * identity map makes an area's address its guest-physical address.
 * area_owner[] holds the APIC id of the CPU each slot belongs to; a slot
 * is claimed before its owner is written, hence NO_CPU until then.
 */
static struct pvclock_vcpu_time_info areas[KVMCLOCK_MAX_CPUS]
	__attribute__((aligned(32)));
static uint32_t area_owner[KVMCLOCK_MAX_CPUS] = {
	[0 ... KVMCLOCK_MAX_CPUS - 1] = NO_CPU,
};
static unsigned areas_claimed;

static uint32_t system_time_msr; /* 0 until kvmclock_attach succeeds */
static bool tsc_stable;
static uint64_t tsc_hz;

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}

/* RDTSC only after the loads before it have completed (SDM vol. 2B,
 * RDTSC: LFENCE orders it), so the TSC belongs to the version read just
 * before; the clobber keeps the compiler from moving the loads. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

uint64_t kvmclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/*
 * One tick is mul * 2^shift / 2^32 ns, so the rate is 10^9 * 2^(32 -
 * shift) / mul Hz, rounded down. 10^9 * 2^32 fits in 64 bits with 32
 * low zero bits, so a right shift loses nothing; a left shift is done
 * on quotient and remainder apart (r < 2^32, so r << 31 fits), which
 * needs no 128-bit division.
 */
uint64_t kvmclock_rate_hz(uint32_t mul, int8_t shift)
{
	const uint64_t n = NSEC_PER_SEC << 32;
	uint64_t q, r;
	unsigned k;

	if (!mul || shift < -PVCLOCK_SHIFT_MAX || shift > PVCLOCK_SHIFT_MAX)
		return 0;
	if (shift >= 0)
		return (n >> shift) / mul;
	k = (unsigned)-shift;
	q = n / mul;
	r = n % mul;
	if (q > UINT64_MAX >> k)
		return 0;
	return (q << k) + (r << k) / mul;
}

/*
 * Retries only while the host is between the two version bumps. KVM
 * rewrites an area from the vCPU's own thread before it enters the
 * guest, so the CPU that owns the area never sees that; the check is for
 * the protocol's sake and for a reader on another CPU.
 */
static void area_read(const volatile struct pvclock_vcpu_time_info *ti,
		      struct pvclock_reading *r)
{
	uint64_t tsc, stamp, system_time;
	uint32_t version;

	do {
		version = ti->version;
		tsc = rdtsc_ordered();
		stamp = ti->tsc_timestamp;
		system_time = ti->system_time;
		r->mul = ti->tsc_to_system_mul;
		r->shift = ti->tsc_shift;
		r->flags = ti->flags;
	} while ((version & 1) || version != ti->version);
	r->version = version;
	r->ns = system_time + kvmclock_scale(tsc - stamp, r->mul, r->shift);
}

static uint32_t kvm_cpuid_base(void)
{
	uint32_t a, b, c, d, sig[3];

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_HYPERVISOR))
		return 0;
	for (uint32_t base = CPUID_HV_FIRST; base <= CPUID_HV_LAST;
	     base += CPUID_HV_STEP) {
		cpuid(base, 0, &a, &sig[0], &sig[1], &sig[2]);
		if (memcmp(sig, KVM_SIGNATURE, sizeof(sig)) == 0)
			return base;
	}
	return 0;
}

static uint32_t probe(uint32_t *features)
{
	uint32_t base = kvm_cpuid_base(), b, c, d;

	*features = 0;
	if (!base)
		return 0;
	cpuid(base + 1, 0, features, &b, &c, &d);
	if (*features & BIT(KVM_FEATURE_CLOCKSOURCE2))
		return MSR_KVM_SYSTEM_TIME_NEW;
	if (*features & BIT(KVM_FEATURE_CLOCKSOURCE))
		return MSR_KVM_SYSTEM_TIME;
	return 0;
}

uint32_t kvmclock_probe(void)
{
	uint32_t features;

	return probe(&features);
}

/* The calling CPU's slot, or -1 if it has not registered. */
static int this_cpu_slot(void)
{
	unsigned n = __atomic_load_n(&areas_claimed, __ATOMIC_ACQUIRE);
	uint32_t id;

	if (!system_time_msr)
		return -1;
	id = lapic_id();
	if (n > KVMCLOCK_MAX_CPUS)
		n = KVMCLOCK_MAX_CPUS;
	for (unsigned i = 0; i < n; i++)
		if (__atomic_load_n(&area_owner[i], __ATOMIC_RELAXED) == id)
			return (int)i;
	return -1;
}

/* Give the calling CPU an area and hand it to the host. */
static int register_cpu(uint32_t msr)
{
	unsigned slot = __atomic_fetch_add(&areas_claimed, 1, __ATOMIC_ACQ_REL);

	if (slot >= KVMCLOCK_MAX_CPUS) {
		kprintf("time: kvmclock: CPU %u: all %u time areas taken\n",
			lapic_id(), KVMCLOCK_MAX_CPUS);
		return -KERR_ENOSPC;
	}
	__atomic_store_n(&area_owner[slot], lapic_id(), __ATOMIC_RELAXED);
	wrmsr(msr, (uintptr_t)&areas[slot] | KVM_SYSTEM_TIME_ENABLE);
	return (int)slot;
}

int kvmclock_init_cpu(void)
{
	int slot;

	if (!system_time_msr)
		return -KERR_ENOENT;
	if (this_cpu_slot() >= 0)
		return 0;
	slot = register_cpu(system_time_msr);
	return slot < 0 ? slot : 0;
}

int kvmclock_attach(void)
{
	struct pvclock_reading r;
	uint32_t features, msr = probe(&features);
	int slot;

	if (!msr)
		return -KERR_ENOENT;
	if (system_time_msr)
		return 0;
	slot = register_cpu(msr);
	if (slot < 0)
		return slot;
	/* The host fills the area before the vCPU runs again. */
	area_read(&areas[slot], &r);
	tsc_hz = kvmclock_rate_hz(r.mul, r.shift);
	if (!r.version || !tsc_hz) {
		kprintf("time: kvmclock: MSR %#x: the host left the time area "
			"%s (mul %#x, shift %d); not using it\n",
			msr, r.mul ? "malformed" : "empty", r.mul, r.shift);
		wrmsr(msr, 0);
		__atomic_store_n(&area_owner[slot], NO_CPU, __ATOMIC_RELAXED);
		tsc_hz = 0;
		return -KERR_EIO;
	}
	/* The flag counts only when the features leaf says it means
	 * something (cpuid.rst, KVM_FEATURE_CLOCKSOURCE_STABLE_BIT). */
	tsc_stable = (features & BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)) &&
		     (r.flags & BIT(PVCLOCK_TSC_STABLE_BIT));
	__atomic_store_n(&system_time_msr, msr, __ATOMIC_RELEASE);
	return 0;
}

uint64_t kvmclock_ns(void)
{
	struct pvclock_reading r;
	int slot = this_cpu_slot();

	if (slot < 0)
		return 0;
	area_read(&areas[slot], &r);
	return r.ns;
}

uint64_t kvmclock_tsc_hz(void)
{
	return system_time_msr ? tsc_hz : 0;
}

bool kvmclock_tsc_stable(void)
{
	return system_time_msr && tsc_stable;
}
