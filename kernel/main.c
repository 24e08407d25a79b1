/*
 * Generic kernel start-up: parse the command line, bring up the console,
 * print the banner and the boot info summary, run the app, exit with its
 * status. Later subsystems (memory, interrupts, SMP) are brought up here,
 * in dependency order, before the app.
 */
#include <stdarg.h>

#include <arch/cpu.h>
#include <arch/cpu_setup.h>
#include <arch/apic.h>
#include <arch/interrupt.h>
#include <arch/ipi.h>
#include <arch/platform.h>
#include <arch/smp.h>
#include <kernel/acpi.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/kernel.h>
#include <kernel/lib.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include <kernel/percpu.h>
#include <kernel/printf.h>
#include <kernel/thread.h>
#include <kernel/time.h>

#define CMDLINE_MAX 4096

static struct boot_info *boot_info;
static char cmdline_buf[CMDLINE_MAX];
static struct cmdline cmdline;

const struct boot_info *kernel_boot_info(void)
{
	return boot_info;
}

const struct cmdline *kernel_cmdline(void)
{
	return &cmdline;
}

static const char *firmware_name(uint32_t fw)
{
	switch (fw) {
	case BOOT_FW_PVH:
		return "PVH";
	case BOOT_FW_BIOS:
		return "BIOS";
	case BOOT_FW_UEFI:
		return "UEFI";
	default:
		return "unknown firmware";
	}
}

static const char *mem_type_name(uint32_t type)
{
	static const char *const names[] = {
		[BOOT_MEM_USABLE] = "usable",
		[BOOT_MEM_RESERVED] = "reserved",
		[BOOT_MEM_ACPI_RECLAIMABLE] = "ACPI data",
		[BOOT_MEM_ACPI_NVS] = "ACPI NVS",
		[BOOT_MEM_BAD] = "bad",
		[BOOT_MEM_BOOTLOADER] = "loader",
		[BOOT_MEM_KERNEL] = "kernel",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}

static void print_memory_map(const struct boot_info *bi)
{
	const struct boot_mem_range *r =
		(const struct boot_mem_range *)(uintptr_t)bi->mmap;
	uint64_t usable = 0;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		klog(LOG_INFO, "mem: [0x%016llx-0x%016llx] %s\n",
		     (unsigned long long)r[i].base,
		     (unsigned long long)(r[i].base + r[i].length - 1),
		     mem_type_name(r[i].type));
		if (r[i].type == BOOT_MEM_USABLE)
			usable += r[i].length;
	}
	kprintf("mem: %llu KiB usable in %u ranges\n",
		(unsigned long long)(usable >> 10), bi->mmap_count);
}

/* Microseconds between two TSC stamps, for the boot time line. */
static uint64_t tsc_us(uint64_t from, uint64_t to, uint64_t hz)
{
	if (!to || to < from || !hz)
		return 0;
	return (to - from) * 1000000 / hz;
}

static void print_us(const char *what, uint64_t us)
{
	kprintf("%s %llu.%03llu ms", what, (unsigned long long)(us / 1000),
		(unsigned long long)(us % 1000));
}

/* One line per boot: where the time went, from the loader's stamps (a
 * path leaves out the phases it does not have). The TSC starts at 0 at
 * CPU reset, so the first stamp is also the firmware's time. */
static uint64_t boot_tsc_hz;
static void print_summary(void);

static void print_boot_times(const struct boot_info *bi)
{
	static const char *const phase[BOOT_TS_COUNT] = {
		[BOOT_TS_STAGE2_ENTRY] = "stage 2",
		[BOOT_TS_FS_READY] = "fs",
		[BOOT_TS_KERNEL_LOADED] = "load",
		[BOOT_TS_EXIT_FIRMWARE] = "exit",
		[BOOT_TS_KERNEL_ENTRY] = "enter",
	};
	uint64_t ts[BOOT_TS_COUNT], hz = boot_tsc_hz = time_tsc_hz(), prev;
	const char *sep = " (";

	memcpy(ts, (const void *)bi->tsc, sizeof(ts));
	if (!hz) {
		kprintf("boot: TSC rate unknown; no boot times\n");
		return;
	}
	kprintf("boot: tsc %llu MHz;", (unsigned long long)(hz / 1000000));
	if (!ts[BOOT_TS_LOADER_ENTRY]) {
		print_us(" reset to kernel",
			 tsc_us(0, ts[BOOT_TS_KERNEL_ENTRY], hz));
		kprintf("\n");
		return;
	}
	print_us(" reset to loader", tsc_us(0, ts[BOOT_TS_LOADER_ENTRY], hz));
	print_us(", loader to kernel", tsc_us(ts[BOOT_TS_LOADER_ENTRY],
					      ts[BOOT_TS_KERNEL_ENTRY], hz));
	prev = ts[BOOT_TS_LOADER_ENTRY];
	for (int i = BOOT_TS_STAGE2_ENTRY; i <= BOOT_TS_KERNEL_ENTRY; i++) {
		if (!ts[i])
			continue;
		kprintf("%s", sep);
		print_us(phase[i], tsc_us(prev, ts[i], hz));
		prev = ts[i];
		sep = ", ";
	}
	kprintf(")\n");
}

/* The kernel's subsystems, in dependency order: descriptor tables first
 * (so that a fault is reported), then memory, then the interrupt
 * controllers described by ACPI, then time (calibrated against the ACPI
 * PM timer), then the local APIC timer (calibrated against time). */
static void bring_up(const struct boot_info *bi)
{
	cpu_setup_boot();
	if (mm_init(bi) < 0)
		kernel_fatal_exit("no usable memory");
	pic_disable();
	acpi_init(bi->rsdp);
	lapic_init();
	ioapic_init();
	time_init();
	lapic_timer_init();
	sched_init();
	smp_start_aps();
	pci_init();
}

/* The app's main thread. */
static int main_thread(void *arg)
{
	const struct boot_info *bi = arg;

	/* The kernel's own start-up time, for bench/boot-kernel.sh. */
	if (boot_tsc_hz) {
		print_us("boot: kernel entry to app",
			 tsc_us(bi->tsc[BOOT_TS_KERNEL_ENTRY], rdtsc(),
				boot_tsc_hz));
		kprintf("\n");
	}
	kernel_exit(app_main(cmdline.argc, cmdline.argv));
}

void kernel_main(struct boot_info *bi)
{
	const char *raw = (const char *)(uintptr_t)bi->cmdline;
	const char *uart, *level, *app_name = "app";
	enum log_level log_level;
	uint16_t port = CONSOLE_DEFAULT_PORT;
	int parse_err, uart_err = 0;
	size_t len = raw ? strlen(raw) : 0;

	percpu_init_boot();
	boot_info = bi;
	/* Keep our own copy: the loader's memory is reclaimable later. */
	if (len >= sizeof(cmdline_buf))
		len = sizeof(cmdline_buf) - 1;
	memcpy(cmdline_buf, raw ? raw : "", len);
	cmdline_buf[len] = '\0';
	parse_err = cmdline_parse(cmdline_buf, app_name, &cmdline);

	uart = parse_err ? NULL : cmdline_option(&cmdline, "uart");
	if (uart)
		uart_err = cmdline_parse_uart(uart, &port);
	if (uart_err)
		port = CONSOLE_DEFAULT_PORT;
	console_init(port);

	level = parse_err ? NULL : cmdline_option(&cmdline, "loglevel");
	if (level && log_level_parse(level, &log_level) == 0)
		console_set_level(log_level);
	kprintf("skiff " SKIFF_VERSION ": x86_64 unikernel, booted by %s\n",
		firmware_name(bi->firmware));
	if (level && log_level_parse(level, &log_level) < 0)
		kprintf("cmdline: loglevel=%s: not a level (error, warn, info, "
			"debug or 0-3); using info\n",
			level);
	bring_up(bi);
	if (uart_err)
		kprintf("cmdline: uart=%s: not a UART (io:PORT, ttySn, comN or "
			"none); using COM1\n",
			uart);
	if (raw && raw[len])
		kprintf("cmdline: longer than %d bytes; truncated\n",
			CMDLINE_MAX - 1);
	if (parse_err) {
		kprintf("cmdline: %s; ignoring the command line\n",
			cmdline.error);
		cmdline_parse(NULL, app_name, &cmdline);
	}
	kprintf("cmdline: \"%s\"\n", raw ? raw : "");
	print_memory_map(bi);
	print_boot_times(bi);

	print_summary();
	sched_start(main_thread, bi);
}

/* One line with what the app gets. */
static void print_summary(void)
{
	uint64_t total, free;

	pmm_stats(&total, &free);
	kprintf("boot: ready: %u CPU%s online, %llu MiB of %llu MiB free\n",
		smp_cpus_online(), smp_cpus_online() == 1 ? "" : "s",
		(unsigned long long)(free >> 20),
		(unsigned long long)(total >> 20));
}

void kernel_fatal_exit(const char *why)
{
	irq_disable();
	/* Another CPU is already on its way out: leave the report to it. */
	if (!smp_stop_others())
		cpu_halt_forever();
	console_break_lock();
	kprintf("kernel: %s; stopping (exit status %d)\n", why,
		KERNEL_EXIT_FATAL);
	platform_debug_exit(KERNEL_EXIT_FATAL);
	kprintf("kernel: halted\n");
	cpu_halt_forever();
}

static void emit_console(void *ctx, char c)
{
	(void)ctx;
	console_write(&c, 1);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	kprintf("panic: ");
	va_start(ap, fmt);
	kvformat(emit_console, NULL, fmt, ap);
	va_end(ap);
	kprintf("\n");
	kernel_fatal_exit("kernel panic");
}

void kernel_exit(int status)
{
	smp_stop_others();
	kprintf("kernel: exit status %d\n", status);
	platform_debug_exit((uint32_t)status);
	kprintf("kernel: halted\n");
	cpu_halt_forever();
}
