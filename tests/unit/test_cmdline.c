/*
 * The kernel command line: splitting at "--", quoting and escapes, option
 * lookup by name with and without dashes, UART specs, and the errors for
 * bad input.
 */
#include <string.h>

#include "check.h"
#include <kernel/cmdline.h>
#include <kernel/errno.h>

static struct cmdline cl;

static int parse(const char *s)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "%s", s);
	return cmdline_parse(buf, "echo", &cl);
}

static void split(void)
{
	CHECK(parse("-uart=io:0x3f8 loglevel=debug -- -x 1 \"two words\"") ==
	      0);
	CHECK(cl.kargc == 2);
	CHECK_STR_EQ(cl.kargv[0], "-uart=io:0x3f8");
	CHECK_STR_EQ(cl.kargv[1], "loglevel=debug");
	CHECK(cl.argc == 4);
	CHECK_STR_EQ(cl.argv[0], "echo");
	CHECK_STR_EQ(cl.argv[1], "-x");
	CHECK_STR_EQ(cl.argv[2], "1");
	CHECK_STR_EQ(cl.argv[3], "two words");
	CHECK(cl.argv[4] == NULL);

	CHECK(parse("") == 0);
	CHECK(cl.kargc == 0 && cl.argc == 1 && cl.argv[1] == NULL);

	CHECK(parse("   \t ") == 0);
	CHECK(cl.kargc == 0 && cl.argc == 1);

	/* no separator: all kernel options */
	CHECK(parse("a b") == 0);
	CHECK(cl.kargc == 2 && cl.argc == 1);

	/* only the first bare -- separates; a quoted one is an argument */
	CHECK(parse("-- a -- \"--\"") == 0);
	CHECK(cl.kargc == 0 && cl.argc == 4);
	CHECK_STR_EQ(cl.argv[2], "--");
	CHECK_STR_EQ(cl.argv[3], "--");
	CHECK(parse("\"--\" x") == 0);
	CHECK(cl.kargc == 2 && cl.argc == 1);

	/* escapes and quotes inside a word */
	CHECK(parse("-- a\\ b c\"d e\"f \"\"") == 0);
	CHECK(cl.argc == 4);
	CHECK_STR_EQ(cl.argv[1], "a b");
	CHECK_STR_EQ(cl.argv[2], "cd ef");
	CHECK_STR_EQ(cl.argv[3], "");
}

static void errors(void)
{
	char many[4096] = "";

	CHECK(parse("-- \"open") == -KERR_EINVAL);
	CHECK(cl.error && strstr(cl.error, "quote"));

	for (int i = 0; i < CMDLINE_MAX_WORDS + 1; i++)
		strcat(many, "w ");
	CHECK(parse(many) == -KERR_E2BIG);
	CHECK(cl.error != NULL);

	strcpy(many, "-- ");
	for (int i = 0; i < CMDLINE_MAX_WORDS; i++)
		strcat(many, "w ");
	CHECK(parse(many) == -KERR_E2BIG);

	/* exactly at the limit is fine */
	strcpy(many, "-- ");
	for (int i = 0; i < CMDLINE_MAX_WORDS - 1; i++)
		strcat(many, "w ");
	CHECK(parse(many) == 0);
	CHECK(cl.argc == CMDLINE_MAX_WORDS);
}

static void options(void)
{
	char name[8];

	CHECK(parse("-uart=io:0x2f8 --verbose loglevel=2 uartx=1 "
		    "loglevel=3 -- uart=no") == 0);
	CHECK_STR_EQ(cmdline_option(&cl, "uart"), "io:0x2f8");
	CHECK_STR_EQ(cmdline_option(&cl, "verbose"), "");
	CHECK_STR_EQ(cmdline_option(&cl, "loglevel"), "3");
	CHECK(cmdline_option(&cl, "missing") == NULL);
	CHECK(cmdline_option(&cl, "uar") == NULL);

	CHECK(cmdline_word_name("-uart=io:1", name, sizeof(name)));
	CHECK_STR_EQ(name, "uart");
	CHECK(!cmdline_word_name("--averylongname", name, sizeof(name)));
}

static void uart(void)
{
	uint16_t port = 1;

	CHECK(cmdline_parse_uart("io:0x3f8", &port) == 0 && port == 0x3f8);
	CHECK(cmdline_parse_uart("io:0X2F8", &port) == 0 && port == 0x2f8);
	CHECK(cmdline_parse_uart("io:1016", &port) == 0 && port == 1016);
	CHECK(cmdline_parse_uart("ttyS1", &port) == 0 && port == 0x2f8);
	CHECK(cmdline_parse_uart("com4", &port) == 0 && port == 0x2e8);
	CHECK(cmdline_parse_uart("none", &port) == 0 && port == 0);
	port = 7;
	CHECK(cmdline_parse_uart("io:", &port) == -KERR_EINVAL);
	CHECK(cmdline_parse_uart("io:0x", &port) == -KERR_EINVAL);
	CHECK(cmdline_parse_uart("io:0x10000", &port) == -KERR_EINVAL);
	CHECK(cmdline_parse_uart("io:0xfffffffff", &port) == -KERR_EINVAL);
	CHECK(cmdline_parse_uart("io:12z", &port) == -KERR_EINVAL);
	CHECK(cmdline_parse_uart("mmio:0xfe000000", &port) == -KERR_EINVAL);
	CHECK(cmdline_parse_uart("io:0", &port) == -KERR_EINVAL);
	CHECK(port == 7);
}

int main(void)
{
	split();
	errors();
	options();
	uart();
	return check_exit("cmdline");
}
