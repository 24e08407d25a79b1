/*
 * The few FADT fields the kernel uses (ACPI 6.5 §5.2.9, table 5.9): the
 * ACPI PM timer (§4.8.3.3, a 3.579545 MHz counter, 24 or 32 bits wide)
 * for calibrating the TSC, and the CMOS register holding the RTC century.
 * QEMU: both -M pc (PIIX4 PM) and -M q35 (ICH9 LPC) have a PM timer.
 *
 * Old FADTs are shorter than today's, so each field is read only when
 * the table's length covers it; X_PM_TMR_BLK wins over PM_TMR_BLK when it
 * is a system I/O address.
 */
#include <kernel/acpi.h>
#include <kernel/lib.h>

#include "acpi_tables.h"

static uint16_t pm_timer_port;
static bool pm_timer_32;
static uint8_t century_reg;

static bool covers(const struct acpi_header *h, size_t off, size_t n)
{
	return h->length >= off + n;
}

void acpi_fadt_parse(const struct acpi_header *fadt)
{
	const uint8_t *b = (const uint8_t *)fadt;
	uint32_t blk = 0, flags = 0;
	struct acpi_gas gas;

	pm_timer_port = 0;
	pm_timer_32 = false;
	century_reg = 0;
	if (!fadt)
		return;
	if (covers(fadt, FADT_PM_TMR_LEN, 1) && b[FADT_PM_TMR_LEN] == 4)
		memcpy(&blk, b + FADT_PM_TMR_BLK, sizeof(blk));
	if (covers(fadt, FADT_X_PM_TMR_BLK, sizeof(gas))) {
		memcpy(&gas, b + FADT_X_PM_TMR_BLK, sizeof(gas));
		if (gas.space_id == ACPI_GAS_SYSTEM_IO && gas.address &&
		    gas.address <= 0xfffc)
			blk = (uint32_t)gas.address;
	}
	if (covers(fadt, FADT_FLAGS, sizeof(flags)))
		memcpy(&flags, b + FADT_FLAGS, sizeof(flags));
	if (covers(fadt, FADT_CENTURY, 1))
		century_reg = b[FADT_CENTURY];
	if (blk && blk <= 0xfffc) {
		pm_timer_port = (uint16_t)blk;
		pm_timer_32 = flags & FADT_TMR_VAL_EXT;
	}
}

uint16_t acpi_pm_timer_port(bool *is32)
{
	if (is32)
		*is32 = pm_timer_32;
	return pm_timer_port;
}

uint8_t acpi_rtc_century_reg(void)
{
	return century_reg;
}
