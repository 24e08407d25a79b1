/*
 * Host tests of the boot.cfg parser (boot/core/cfg.c): the happy paths,
 * defaults, comments and CRLF endings, and every error with its exact
 * message and line number as docs/boot-cfg.md lists them.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "check.h"

static struct loader ld;
static struct boot_cfg cfg;

static int parse_n(const char *text, size_t len)
{
	memset(&ld, 0, sizeof(ld));
	return cfg_parse(&ld, text, len, &cfg);
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Parsing text must fail with rc and exactly this message. */
static void expect_err(const char *text, int rc, const char *msg)
{
	CHECK(parse(text) == rc);
	CHECK_STR_EQ(ld.error, msg);
}

static void test_happy(void)
{
	static const char text[] = "# skiff boot configuration\n"
				   "kernel /boot/app.elf\n"
				   "cmdline -uart=io:0x3f8 -- arg1 arg2\n"
				   "module /boot/data.txt\n"
				   "module /boot/more.bin\n"
				   "sha256 "
				   "BA7816BF8F01CFEA414140DE5DAE2223b00361a3961"
				   "77a9cb410ff61f20015ad"
				   "\n";
	static const uint8_t want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};

	CHECK(parse(text) == 0);
	CHECK_STR_EQ(cfg.kernel, "/boot/app.elf");
	CHECK_STR_EQ(cfg.cmdline, "-uart=io:0x3f8 -- arg1 arg2");
	CHECK(cfg.module_count == 2);
	CHECK_STR_EQ(cfg.modules[0], "/boot/data.txt");
	CHECK_STR_EQ(cfg.modules[1], "/boot/more.bin");
	CHECK(cfg.has_kernel_sha256);
	CHECK(memcmp(cfg.kernel_sha256, want, 32) == 0);
}

static void test_defaults(void)
{
	CHECK(parse("") == 0);
	CHECK_STR_EQ(cfg.kernel, CFG_DEFAULT_KERNEL);
	CHECK_STR_EQ(cfg.kernel, "/boot/kernel.elf");
	CHECK_STR_EQ(cfg.cmdline, "");
	CHECK(cfg.module_count == 0);
	CHECK(!cfg.has_kernel_sha256);

	/* Only comments and blanks: still the defaults. */
	CHECK(parse("# nothing\n\n   \n\t# indented comment\n \t \r\n") == 0);
	CHECK_STR_EQ(cfg.kernel, CFG_DEFAULT_KERNEL);
	CHECK_STR_EQ(cfg.cmdline, "");

	/* A cmdline alone keeps the default kernel. */
	CHECK(parse("cmdline quiet\n") == 0);
	CHECK_STR_EQ(cfg.kernel, CFG_DEFAULT_KERNEL);
	CHECK_STR_EQ(cfg.cmdline, "quiet");
}

static void test_layout(void)
{
	/* CRLF endings, and no ending on the last line. */
	CHECK(parse("kernel /k\r\ncmdline a b\r\nmodule /m") == 0);
	CHECK_STR_EQ(cfg.kernel, "/k");
	CHECK_STR_EQ(cfg.cmdline, "a b");
	CHECK_STR_EQ(cfg.modules[0], "/m");
	CHECK(parse("cmdline x\r") == 0);
	CHECK_STR_EQ(cfg.cmdline, "x");

	/* Blanks around the line and between key and value are trimmed,
	 * blanks inside the cmdline kept; '#' inside a value is text. */
	CHECK(parse("  \tkernel \t /k  \n"
		    "\tcmdline   a  b\tc # not a comment \t\n") == 0);
	CHECK_STR_EQ(cfg.kernel, "/k");
	CHECK_STR_EQ(cfg.cmdline, "a  b\tc # not a comment");

	/* UTF-8 passes through. */
	CHECK(parse("cmdline gr\xc3\xbc\xc3\x9f dich\n") == 0);
	CHECK_STR_EQ(cfg.cmdline, "gr\xc3\xbc\xc3\x9f dich");

	/* Exactly CFG_MODULES_MAX modules. */
	{
		char text[CFG_MODULES_MAX * 16];
		size_t n = 0;
		int i;

		for (i = 0; i < CFG_MODULES_MAX; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "module /m%d\n", i);
		CHECK(parse(text) == 0);
		CHECK(cfg.module_count == CFG_MODULES_MAX);
		CHECK_STR_EQ(cfg.modules[15], "/m15");
	}
}

static void test_key_errors(void)
{
	expect_err("kernal /boot/app.elf\n", -KERR_EINVAL,
		   "boot.cfg:1: unknown key 'kernal'");
	expect_err("# c\n\nKernel /k\n", -KERR_EINVAL,
		   "boot.cfg:3: unknown key 'Kernel'");
	expect_err("kernel=/k\n", -KERR_EINVAL,
		   "boot.cfg:1: unknown key 'kernel=/k'");
	expect_err("x123456789x123456789x123456789x123456789TAIL /k\n",
		   -KERR_EINVAL,
		   "boot.cfg:1: unknown key "
		   "'x123456789x123456789x123456789x123456789'");

	expect_err("kernel\n", -KERR_EINVAL,
		   "boot.cfg:1: missing value for 'kernel'");
	expect_err("kernel /k\ncmdline \t \r\n", -KERR_EINVAL,
		   "boot.cfg:2: missing value for 'cmdline'");
	expect_err("module\n", -KERR_EINVAL,
		   "boot.cfg:1: missing value for 'module'");
	expect_err("sha256\n", -KERR_EINVAL,
		   "boot.cfg:1: missing value for 'sha256'");

	expect_err("kernel /a\n# c\nkernel /b\n", -KERR_EINVAL,
		   "boot.cfg:3: kernel given twice (first on line 1)");
	expect_err("\ncmdline a\ncmdline a\n", -KERR_EINVAL,
		   "boot.cfg:3: cmdline given twice (first on line 2)");
	expect_err("sha256 "
		   "0000000000000000000000000000000000000000000000000000000000"
		   "000000\nsha256 "
		   "0000000000000000000000000000000000000000000000000000000000"
		   "000000\n",
		   -KERR_EINVAL,
		   "boot.cfg:2: sha256 given twice (first on line 1)");
}

static void test_value_errors(void)
{
	char text[400];
	int i;

	expect_err("kernel boot/app.elf\n", -KERR_EINVAL,
		   "boot.cfg:1: kernel path 'boot/app.elf' is not absolute");
	expect_err("module /a\nmodule data.txt\n", -KERR_EINVAL,
		   "boot.cfg:2: module path 'data.txt' is not absolute");
	expect_err("kernel /boot/app.elf # the app\n", -KERR_EINVAL,
		   "boot.cfg:1: kernel path contains a blank (comments need "
		   "their own line)");

	/* 255 bytes fit CFG_PATH_MAX with its NUL; 256 do not. */
	memcpy(text, "kernel /", 8);
	memset(text + 8, 'a', 254);
	text[262] = '\0';
	CHECK(parse(text) == 0);
	CHECK(strlen(cfg.kernel) == 255);
	strcpy(text + 262, "a\n");
	expect_err(text, -KERR_E2BIG,
		   "boot.cfg:1: kernel path too long (256 bytes, limit 255)");
	memcpy(text, "module", 6);
	expect_err(text, -KERR_E2BIG,
		   "boot.cfg:1: module path too long (256 bytes, limit 255)");

	text[0] = '\0';
	for (i = 0; i <= CFG_MODULES_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "module /m%d\n", i);
	expect_err(text, -KERR_E2BIG,
		   "boot.cfg:17: too many modules (limit 16)");

	expect_err("sha256 abc\n", -KERR_EINVAL,
		   "boot.cfg:1: sha256 needs 64 hex digits, got 3 characters");
	expect_err(
		"sha256 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
		"cde\n",
		-KERR_EINVAL,
		"boot.cfg:1: sha256 needs 64 hex digits, got 63 characters");
	expect_err(
		"sha256 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
		"cdef0\n",
		-KERR_EINVAL,
		"boot.cfg:1: sha256 needs 64 hex digits, got 65 characters");
	expect_err(
		"sha256 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
		"cdeg\n",
		-KERR_EINVAL,
		"boot.cfg:1: sha256: 'g' at position 64 is not a hex digit");
	expect_err(
		"sha256 "
		"0123456789abcdef0123456789abcdef 123456789abcdef0123456789ab"
		"cdef\n",
		-KERR_EINVAL,
		"boot.cfg:1: sha256: ' ' at position 33 is not a hex digit");
}

static void test_byte_errors(void)
{
	static char big[65537 + 1];
	char line[1100];

	CHECK(parse_n("kernel /a\0b\n", 12) == -KERR_EINVAL);
	CHECK_STR_EQ(ld.error, "boot.cfg:1: NUL byte at column 10");
	CHECK(parse_n("# fine\n\0", 8) == -KERR_EINVAL);
	CHECK_STR_EQ(ld.error, "boot.cfg:2: NUL byte at column 1");
	expect_err("cmdline \x1b[2J\n", -KERR_EINVAL,
		   "boot.cfg:1: control character 0x1b at column 9");
	expect_err("# a comment with a DEL \x7f\n", -KERR_EINVAL,
		   "boot.cfg:1: control character 0x7f at column 24");
	expect_err("kernel /a\rmodule /b\n", -KERR_EINVAL,
		   "boot.cfg:1: control character 0x0d at column 10");
	expect_err("kernel /a\r\r\n", -KERR_EINVAL,
		   "boot.cfg:1: control character 0x0d at column 10");
	expect_err("\n\n\f\n", -KERR_EINVAL,
		   "boot.cfg:3: control character 0x0c at column 1");

	/* 1024 bytes are a line (CRLF not counted); 1025 are too many. */
	memset(line, '#', 1024);
	strcpy(line + 1024, "\r\n");
	CHECK(parse(line) == 0);
	memset(line, ' ', 1024);
	strcpy(line + 1024, "\n");
	CHECK(parse(line) == 0);
	line[0] = '\n';
	memset(line + 1, '#', 1025);
	strcpy(line + 1026, "\n");
	expect_err(line, -KERR_E2BIG,
		   "boot.cfg:2: line too long (1025 bytes, limit 1024)");

	/* 64 KiB of blank lines are fine; one byte more is not. */
	memset(big, '\n', 65537);
	CHECK(parse_n(big, 65536) == 0);
	CHECK(parse_n(big, 65537) == -KERR_E2BIG);
	CHECK_STR_EQ(ld.error,
		     "boot.cfg: file too large (65537 bytes, limit 65536)");
}

int main(void)
{
	test_happy();
	test_defaults();
	test_layout();
	test_key_errors();
	test_value_errors();
	test_byte_errors();
	return check_exit("loader-cfg");
}
