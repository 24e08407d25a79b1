/*
 * The kernel's own string functions and printf, run in the guest with the
 * kernel's compiler flags (no SSE, no red zone), where the host unit
 * tests cannot reach.
 */
#include "ktest.h"
#include <kernel/lib.h>
#include <kernel/printf.h>

KTEST(lib_memmove_overlap)
{
	char buf[32];

	for (int i = 0; i < 32; i++)
		buf[i] = (char)i;
	memmove(buf + 3, buf, 20);
	for (int i = 0; i < 20; i++)
		KT_CHECK_EQ(t, buf[3 + i], i);
	for (int i = 0; i < 32; i++)
		buf[i] = (char)i;
	memmove(buf, buf + 5, 20);
	for (int i = 0; i < 20; i++)
		KT_CHECK_EQ(t, buf[i], i + 5);
}

KTEST(lib_memset_memcmp)
{
	unsigned char a[100], b[100];

	memset(a, 0xab, sizeof(a));
	memset(b, 0xab, sizeof(b));
	KT_CHECK(t, memcmp(a, b, sizeof(a)) == 0);
	b[99] = 0xac;
	KT_CHECK(t, memcmp(a, b, sizeof(a)) < 0);
	KT_CHECK(t, memcmp(b, a, sizeof(a)) > 0);
	KT_CHECK(t, memcmp(a, b, 99) == 0);
	KT_CHECK(t, strcmp("abc", "abd") < 0);
	KT_CHECK(t, strncmp("abc", "abd", 2) == 0);
	KT_CHECK_EQ(t, strlen("unikernel"), 9);
}

KTEST(lib_printf_formats)
{
	char buf[64];

	ksnprintf(buf, sizeof(buf), "%d|%5u|%-4x|%#llx|%s", -12, 34u, 0xabu,
		  0x1234567890ULL, "ok");
	KT_CHECK(t, strcmp(buf, "-12|   34|ab  |0x1234567890|ok") == 0);
	KT_CHECK_EQ(t, ksnprintf(buf, 4, "%s", "truncated"), 9);
	KT_CHECK(t, strcmp(buf, "tru") == 0);
}
