/*
 * 16550A UART, polled (the console): transmit, and receive for the app's
 * stdin. Register map from the
 * PC16550D datasheet; QEMU creates COM1 at 0x3f8 with '-serial', and GCE
 * reads COM1 for 'gcloud compute instances get-serial-port-output'.
 *
 * Transmit waits for THR-empty with a bound: a missing or wedged UART
 * drops characters instead of hanging the kernel.
 */
#include <arch/cpu.h>
#include <arch/platform.h>

#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_SCR 7 /* scratch */

#define LCR_8N1 0x03
#define LCR_DLAB (1 << 7)
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear RX and TX */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR (1 << 0) /* data ready */
#define LSR_THRE (1 << 5)
#define UART_RBR 0 /* receive buffer (DLAB=0) */

#define UART_CLOCK 115200
#define UART_BAUD 115200
#define TX_SPIN_LIMIT 100000

bool uart_init(uint16_t port)
{
	uint16_t divisor = UART_CLOCK / UART_BAUD;

	/* A UART keeps what is written to its scratch register. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, divisor & 0xff);
	outb(port + UART_DLM, divisor >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
	return true;
}

void uart_putc(uint16_t port, char c)
{
	for (int i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(port + UART_LSR) & LSR_THRE) {
			outb(port + UART_THR, (uint8_t)c);
			return;
		}
		__asm__ volatile("" ::: "memory"); /* the port read paces it */
	}
}

int uart_getc(uint16_t port)
{
	if (!(inb(port + UART_LSR) & LSR_DR))
		return -1;
	return inb(port + UART_RBR);
}
