/*
 * The CMOS real-time clock (Motorola MC146818A; ACPI 6.5 §5.2.9 for the
 * FADT's century register): seconds to year in CMOS registers 0-9, BCD
 * or binary and 12- or 24-hour as status register B says. A read during
 * the once-a-second update can mix two seconds, so we wait (bounded) for
 * the update-in-progress flag to clear and read until two passes agree.
 * QEMU: mc146818rtc on every PC machine, in UTC unless -rtc base=localtime.
 */
#include <arch/cpu.h>
#include <kernel/acpi.h>
#include <kernel/errno.h>
#include <kernel/lib.h>
#include <kernel/time.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b

#define RTC_A_UIP BIT(7) /* update in progress */
#define RTC_B_24H BIT(1)
#define RTC_B_BINARY BIT(2)
#define RTC_HOUR_PM BIT(7) /* 12-hour mode */

/* An update lasts under 2 ms (MC146818A); allow ten times that. */
#define RTC_UIP_WAIT_NS (20 * NSEC_PER_MSEC)
#define RTC_READ_TRIES 5

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static uint8_t bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static int wait_not_updating(void)
{
	uint64_t start = time_ns();
	uint32_t spins = 0;

	/* Before time_init the clock stands still: count spins as well. */
	while (cmos_read(RTC_STATUS_A) & RTC_A_UIP) {
		if (time_ns() - start > RTC_UIP_WAIT_NS || ++spins > 2000000)
			return -KERR_EIO;
		cpu_relax();
	}
	return 0;
}

struct rtc_raw {
	uint8_t sec, min, hour, day, month, year, century;
};

static int read_raw(struct rtc_raw *r, uint8_t century_reg)
{
	int err = wait_not_updating();

	if (err)
		return err;
	r->sec = cmos_read(RTC_SEC);
	r->min = cmos_read(RTC_MIN);
	r->hour = cmos_read(RTC_HOUR);
	r->day = cmos_read(RTC_DAY);
	r->month = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = century_reg ? cmos_read(century_reg) : 0;
	return 0;
}

int time_rtc_read(struct time_rtc *t)
{
	uint8_t century_reg = acpi_rtc_century_reg(), b;
	struct rtc_raw r, again;
	unsigned century = 20;
	bool pm;
	int tries = 0, err;

	/* The century register, when named, is a CMOS byte past 0x0d. */
	if (century_reg < 0x0e || century_reg > 0x7f)
		century_reg = 0;
	err = read_raw(&r, century_reg);
	while (!err) {
		err = read_raw(&again, century_reg);
		if (err || memcmp(&r, &again, sizeof(r)) == 0)
			break;
		r = again;
		if (++tries == RTC_READ_TRIES)
			err = -KERR_EIO;
	}
	if (err)
		return err;
	b = cmos_read(RTC_STATUS_B);
	pm = !(b & RTC_B_24H) && (r.hour & RTC_HOUR_PM);
	r.hour &= ~RTC_HOUR_PM;
	if (!(b & RTC_B_BINARY)) {
		r.sec = bcd(r.sec);
		r.min = bcd(r.min);
		r.hour = bcd(r.hour);
		r.day = bcd(r.day);
		r.month = bcd(r.month);
		r.year = bcd(r.year);
		r.century = bcd(r.century);
	}
	if (!(b & RTC_B_24H)) /* 12 AM is 0 h, 12 PM is 12 h */
		r.hour = (r.hour % 12) + (pm ? 12 : 0);
	if (century_reg && r.century >= 19 && r.century <= 99)
		century = r.century;
	if (r.sec > 59 || r.min > 59 || r.hour > 23 || r.day < 1 ||
	    r.day > 31 || r.month < 1 || r.month > 12 || r.year > 99)
		return -KERR_EIO;
	t->year = century * 100 + r.year;
	t->month = r.month;
	t->day = r.day;
	t->hour = r.hour;
	t->min = r.min;
	t->sec = r.sec;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date: count from March
 * so that the leap day is the last day of a year. */
static uint64_t days_since_epoch(unsigned y, unsigned m, unsigned d)
{
	unsigned yy = m <= 2 ? y - 1 : y;
	unsigned era = yy / 400, yoe = yy % 400;
	unsigned mp = m > 2 ? m - 3 : m + 9;
	unsigned doy = (153 * mp + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	/* 719468: days from 0000-03-01 to 1970-01-01 */
	return (uint64_t)era * 146097 + doe - 719468;
}

uint64_t time_rtc_to_epoch(const struct time_rtc *t)
{
	return days_since_epoch(t->year, t->month, t->day) * 86400 +
	       t->hour * 3600 + t->min * 60 + t->sec;
}
