/*
 * The boot.cfg parser (docs/boot-cfg.md is the reference for the format).
 * The file comes from the disk and is untrusted: the whole text is
 * bounded (CFG_FILE_MAX), every line is bounded (CFG_LINE_MAX) before it
 * is looked at, and every value is checked against the size of the field
 * it is copied into. Control characters are refused so that an error
 * message quoting a line cannot drive the serial console.
 *
 * Called once per boot, on a stack that may be small (BIOS stage 2): the
 * parser keeps no copy of the text and writes straight into *cfg, whose
 * contents are unspecified when it fails.
 */
#include <kernel/lib.h>

#include "cfg.h"

#define CFG_FILE_MAX 65536
#define CFG_LINE_MAX 1024
#define CFG_SHA256_HEX 64
/* How much of an unknown key an error message quotes. */
#define CFG_QUOTE_MAX 40

_Static_assert(CFG_LINE_MAX < CFG_CMDLINE_MAX,
	       "a cmdline line always fits the cmdline field");

/* Which keys have been seen, for the "given twice" errors. */
struct cfg_seen {
	uint32_t kernel_line;
	uint32_t cmdline_line;
	uint32_t sha256_line;
};

/* A line with its terminator and its surrounding blanks removed. */
struct cfg_line {
	const char *s;
	size_t len;
	uint32_t no; /* 1-based */
};

static bool cfg_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Copy at most CFG_QUOTE_MAX bytes of s into q for an error message. The
 * text is not NUL-terminated, so it is never handed to "%.*s": a printf
 * may look at the byte after the precision.
 */
static const char *cfg_quote(char q[CFG_QUOTE_MAX + 1], const char *s,
			     size_t len)
{
	if (len > CFG_QUOTE_MAX)
		len = CFG_QUOTE_MAX;
	memcpy(q, s, len);
	q[len] = '\0';
	return q;
}

/* Does the key [key, key + len) spell the NUL-terminated word? */
static bool cfg_key_is(const char *key, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (word[i] != key[i])
			return false;
	}
	return word[len] == '\0';
}

static int cfg_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copy a path value into dst (CFG_PATH_MAX bytes) after checking it. */
static int cfg_set_path(struct loader *ld, const struct cfg_line *ln,
			const char *key, const char *val, size_t len, char *dst)
{
	char q[CFG_QUOTE_MAX + 1];
	size_t i;

	if (val[0] != '/')
		return loader_fail(ld, -KERR_EINVAL,
				   "boot.cfg:%u: %s path '%s' is not absolute",
				   ln->no, key, cfg_quote(q, val, len));
	/* A blank inside a path is almost always a trailing comment,
	 * which the format does not have. */
	for (i = 0; i < len; i++) {
		if (cfg_is_blank(val[i]))
			return loader_fail(ld, -KERR_EINVAL,
					   "boot.cfg:%u: %s path contains a "
					   "blank (comments need their own "
					   "line)",
					   ln->no, key);
	}
	if (len >= CFG_PATH_MAX)
		return loader_fail(ld, -KERR_E2BIG,
				   "boot.cfg:%u: %s path too long (%zu bytes, "
				   "limit %u)",
				   ln->no, key, len, CFG_PATH_MAX - 1);
	memcpy(dst, val, len);
	dst[len] = '\0';
	return 0;
}

static int cfg_set_sha256(struct loader *ld, const struct cfg_line *ln,
			  const char *val, size_t len, struct boot_cfg *cfg)
{
	size_t i;

	if (len != CFG_SHA256_HEX)
		return loader_fail(ld, -KERR_EINVAL,
				   "boot.cfg:%u: sha256 needs %u hex digits, "
				   "got %zu characters",
				   ln->no, CFG_SHA256_HEX, len);
	for (i = 0; i < len; i++) {
		if (cfg_hex_digit(val[i]) < 0)
			return loader_fail(ld, -KERR_EINVAL,
					   "boot.cfg:%u: sha256: '%c' at "
					   "position %zu is not a hex digit",
					   ln->no, val[i], i + 1);
	}
	for (i = 0; i < 32; i++)
		cfg->kernel_sha256[i] =
			(uint8_t)(cfg_hex_digit(val[2 * i]) << 4 |
				  cfg_hex_digit(val[2 * i + 1]));
	cfg->has_kernel_sha256 = true;
	return 0;
}

/* "kernel given twice (first on line 2)" */
static int cfg_once(struct loader *ld, const struct cfg_line *ln,
		    const char *key, uint32_t *seen)
{
	if (*seen)
		return loader_fail(ld, -KERR_EINVAL,
				   "boot.cfg:%u: %s given twice (first on "
				   "line %u)",
				   ln->no, key, *seen);
	*seen = ln->no;
	return 0;
}

/* One non-empty, non-comment line: a key, blanks, a value. */
static int cfg_parse_line(struct loader *ld, const struct cfg_line *ln,
			  struct cfg_seen *seen, struct boot_cfg *cfg)
{
	const char *key = ln->s, *val;
	char q[CFG_QUOTE_MAX + 1];
	size_t key_len = 0, val_len;
	int rc;

	while (key_len < ln->len && !cfg_is_blank(key[key_len]))
		key_len++;
	val = key + key_len;
	val_len = ln->len - key_len;
	while (val_len && cfg_is_blank(*val)) {
		val++;
		val_len--;
	}

	if (!cfg_key_is(key, key_len, "kernel") &&
	    !cfg_key_is(key, key_len, "cmdline") &&
	    !cfg_key_is(key, key_len, "module") &&
	    !cfg_key_is(key, key_len, "sha256"))
		return loader_fail(ld, -KERR_EINVAL,
				   "boot.cfg:%u: unknown key '%s'", ln->no,
				   cfg_quote(q, key, key_len));
	if (!val_len)
		return loader_fail(ld, -KERR_EINVAL,
				   "boot.cfg:%u: missing value for '%s'",
				   ln->no, cfg_quote(q, key, key_len));

	if (cfg_key_is(key, key_len, "kernel")) {
		rc = cfg_once(ld, ln, "kernel", &seen->kernel_line);
		if (rc < 0)
			return rc;
		return cfg_set_path(ld, ln, "kernel", val, val_len,
				    cfg->kernel);
	}
	if (cfg_key_is(key, key_len, "module")) {
		if (cfg->module_count >= CFG_MODULES_MAX)
			return loader_fail(ld, -KERR_E2BIG,
					   "boot.cfg:%u: too many modules "
					   "(limit %u)",
					   ln->no, CFG_MODULES_MAX);
		rc = cfg_set_path(ld, ln, "module", val, val_len,
				  cfg->modules[cfg->module_count]);
		if (rc < 0)
			return rc;
		cfg->module_count++;
		return 0;
	}
	if (cfg_key_is(key, key_len, "sha256")) {
		rc = cfg_once(ld, ln, "sha256", &seen->sha256_line);
		if (rc < 0)
			return rc;
		return cfg_set_sha256(ld, ln, val, val_len, cfg);
	}

	/* cmdline: the rest of the line, verbatim. */
	rc = cfg_once(ld, ln, "cmdline", &seen->cmdline_line);
	if (rc < 0)
		return rc;
	if (val_len >= CFG_CMDLINE_MAX)
		return loader_fail(ld, -KERR_E2BIG,
				   "boot.cfg:%u: cmdline too long (%zu bytes, "
				   "limit %u)",
				   ln->no, val_len, CFG_CMDLINE_MAX - 1);
	memcpy(cfg->cmdline, val, val_len);
	cfg->cmdline[val_len] = '\0';
	return 0;
}

/* Refuse NUL and control characters other than tab in a raw line. */
static int cfg_check_chars(struct loader *ld, const char *s, size_t len,
			   uint32_t no)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0')
			return loader_fail(ld, -KERR_EINVAL,
					   "boot.cfg:%u: NUL byte at column "
					   "%zu",
					   no, i + 1);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return loader_fail(ld, -KERR_EINVAL,
					   "boot.cfg:%u: control character "
					   "0x%02x at column %zu",
					   no, c, i + 1);
	}
	return 0;
}

int cfg_parse(struct loader *ld, const char *text, size_t len,
	      struct boot_cfg *cfg)
{
	struct cfg_seen seen = { 0 };
	struct cfg_line ln;
	size_t pos = 0, end, raw_len;
	uint32_t no = 0;
	int rc;

	if (len > CFG_FILE_MAX)
		return loader_fail(ld, -KERR_E2BIG,
				   "boot.cfg: file too large (%zu bytes, "
				   "limit %u)",
				   len, CFG_FILE_MAX);

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->kernel, CFG_DEFAULT_KERNEL, sizeof(CFG_DEFAULT_KERNEL));

	while (pos < len) {
		no++;
		end = pos;
		while (end < len && text[end] != '\n')
			end++;
		/* [pos, end) is the line without '\n'; a '\r' just before
		 * the '\n' (or the end of the file) belongs to the ending. */
		raw_len = end - pos;
		if (raw_len && text[end - 1] == '\r')
			raw_len--;
		if (raw_len > CFG_LINE_MAX)
			return loader_fail(ld, -KERR_E2BIG,
					   "boot.cfg:%u: line too long (%zu "
					   "bytes, limit %u)",
					   no, raw_len, CFG_LINE_MAX);
		rc = cfg_check_chars(ld, text + pos, raw_len, no);
		if (rc < 0)
			return rc;

		ln.s = text + pos;
		ln.len = raw_len;
		ln.no = no;
		while (ln.len && cfg_is_blank(ln.s[0])) {
			ln.s++;
			ln.len--;
		}
		while (ln.len && cfg_is_blank(ln.s[ln.len - 1]))
			ln.len--;
		if (ln.len && ln.s[0] != '#') {
			rc = cfg_parse_line(ld, &ln, &seen, cfg);
			if (rc < 0)
				return rc;
		}
		pos = end + 1;
	}
	return 0;
}
