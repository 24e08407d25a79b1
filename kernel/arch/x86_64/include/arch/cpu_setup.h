/*
 * Per-CPU descriptor tables and CPU features: the GDT with a TSS (IST
 * stacks for NMI, double fault and machine check), the IDT, and the
 * protections the CPU offers (SMEP, SMAP; NX is enabled with the page
 * tables). cpu_setup_boot() runs once on the boot CPU, early in
 * kernel_main; application processors will call cpu_setup_ap().
 */
#ifndef ARCH_CPU_SETUP_H
#define ARCH_CPU_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

void cpu_setup_boot(void);

/* Load the boot CPU's GDT and TSS. */
void gdt_load(void);

/* Give an application processor its own GDT, TSS and IST stacks (from
 * the heap) and load them. */
int gdt_load_ap(void);

/* CR4 protections (SMEP, SMAP) on the calling CPU; quiet on APs. */
void cpu_enable_protections(bool log);
void idt_init(void);
void idt_load(void);

/* CPUID leaf/subleaf. */
void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
	   uint32_t *d);

#endif
