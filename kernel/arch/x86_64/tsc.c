/*
 * TSC frequency from the PIT: channel 2, gated through port 0x61, counts
 * down a known interval while we read the TSC before and after (Intel
 * 8254 datasheet, mode 0; the PC wires channel 2's gate to port 0x61 bit
 * 0 and its output to bit 5). The wait is bounded: with no PIT the
 * result is 0 ("unknown"), never a hang.
 */
#include <arch/cpu.h>
#include <arch/platform.h>

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 (1 << 0)
#define PORT_B_SPEAKER (1 << 1)
#define PORT_B_OUT2 (1 << 5)
#define CALIBRATE_MS 5
#define SPIN_LIMIT 50000000

uint64_t tsc_calibrate_pit(void)
{
	uint32_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint8_t b = inb(PORT_B);
	uint64_t t0, t1;
	uint32_t spins = 0;

	/* Gate low, speaker off; channel 2, lobyte/hibyte, mode 0. */
	outb(PORT_B, (b & ~(PORT_B_GATE2 | PORT_B_SPEAKER)));
	outb(PIT_CMD, 0xb0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	/* Raising the gate starts the count; OUT2 goes high at zero. */
	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2) && spins < SPIN_LIMIT)
		spins++;
	t1 = rdtsc();
	outb(PORT_B, b);
	if (spins >= SPIN_LIMIT)
		return 0;
	return (t1 - t0) * 1000 / CALIBRATE_MS;
}
