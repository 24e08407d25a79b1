/*
 * The legacy 8259A interrupt controller pair (Intel 8259A datasheet,
 * ICW1-ICW4), present on every PC and on QEMU's -M pc and -M q35. The
 * kernel uses the IOAPIC instead; here the pair is remapped away from
 * the CPU exception vectors (to 32-47, so a stray interrupt lands on a
 * known unused vector) and every line is masked. Call once on the boot
 * CPU, with interrupts off, before the local APIC is enabled.
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <kernel/lib.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_VECTOR_BASE 32

#define ICW1_ICW4 BIT(0) /* ICW4 follows */
#define ICW1_INIT BIT(4)
#define ICW4_8086 BIT(0)
#define PIC2_CASCADE_IRQ 2

/* The 8259A needs a little time between commands on real hardware;
 * a write to the POST port 0x80 is the customary delay. */
static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(0x80, 0);
}

void pic_disable(void)
{
	pic_out(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	pic_out(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	pic_out(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector base */
	pic_out(PIC2_DATA, PIC_VECTOR_BASE + 8);
	pic_out(PIC1_DATA, BIT(PIC2_CASCADE_IRQ)); /* ICW3: slave on IRQ2 */
	pic_out(PIC2_DATA, PIC2_CASCADE_IRQ);
	pic_out(PIC1_DATA, ICW4_8086);
	pic_out(PIC2_DATA, ICW4_8086);
	pic_out(PIC1_DATA, 0xff); /* OCW1: mask all */
	pic_out(PIC2_DATA, 0xff);
}
