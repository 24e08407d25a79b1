/*
 * Kernel command line parsing (format in kernel/cmdline.h and
 * docs/boot-protocol.md). Works in place on the loader's copy, so it
 * needs no allocator and runs before the console is up.
 */
#include <kernel/cmdline.h>
#include <kernel/errno.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_parse(char *buf, const char *app_name, struct cmdline *cl)
{
	char *words[2 * CMDLINE_MAX_WORDS + 1];
	int nwords = 0, sep = -1;
	char *r = buf, *w = buf;

	cl->kargc = 0;
	cl->argc = 0;
	cl->error = NULL;
	cl->argv[0] = NULL;

	while (buf) {
		bool quoted = false, any = false;
		char *word;

		while (is_blank(*r))
			r++;
		if (!*r)
			break;
		word = w;
		while (*r && (quoted || !is_blank(*r))) {
			if (*r == '"') {
				quoted = !quoted;
				any = true;
				r++;
			} else if (*r == '\\' && r[1]) {
				*w++ = r[1];
				r += 2;
			} else {
				*w++ = *r++;
			}
		}
		if (quoted) {
			cl->error = "unterminated double quote";
			return -KERR_EINVAL;
		}
		if (*r)
			r++;
		*w++ = '\0';
		if (nwords == (int)(sizeof(words) / sizeof(words[0]))) {
			cl->error = "too many words";
			return -KERR_E2BIG;
		}
		/* A quoted "--" is an argument, not the separator. */
		if (sep < 0 && !any && word[0] == '-' && word[1] == '-' &&
		    !word[2])
			sep = nwords;
		words[nwords++] = word;
	}

	int nk = sep < 0 ? nwords : sep;
	int na = sep < 0 ? 0 : nwords - sep - 1;

	if (nk > CMDLINE_MAX_WORDS) {
		cl->error = "too many kernel options";
		return -KERR_E2BIG;
	}
	if (na + 1 > CMDLINE_MAX_WORDS) {
		cl->error = "too many app arguments";
		return -KERR_E2BIG;
	}
	for (int i = 0; i < nk; i++)
		cl->kargv[cl->kargc++] = words[i];
	cl->argv[cl->argc++] = (char *)app_name;
	for (int i = 0; i < na; i++)
		cl->argv[cl->argc++] = words[sep + 1 + i];
	cl->argv[cl->argc] = NULL;
	return 0;
}

/* Skip the one or two leading dashes an option may carry. */
static const char *strip_dashes(const char *word)
{
	if (word[0] == '-')
		word++;
	if (word[0] == '-')
		word++;
	return word;
}

bool cmdline_word_name(const char *word, char *out, size_t size)
{
	const char *p = strip_dashes(word);
	size_t n = 0;

	while (p[n] && p[n] != '=')
		n++;
	if (n + 1 > size)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = p[i];
	out[n] = '\0';
	return true;
}

const char *cmdline_option(const struct cmdline *cl, const char *name)
{
	const char *found = NULL;

	for (int i = 0; i < cl->kargc; i++) {
		const char *p = strip_dashes(cl->kargv[i]);
		const char *n = name;

		while (*n && *p == *n) {
			p++;
			n++;
		}
		if (*n)
			continue;
		if (*p == '=')
			found = p + 1;
		else if (!*p)
			found = p;
	}
	return found;
}

static int parse_number(const char *s, uint32_t *out)
{
	uint32_t v = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -KERR_EINVAL;
	for (; *s; s++) {
		uint32_t d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -KERR_EINVAL;
		if (v > (UINT32_MAX - d) / base)
			return -KERR_ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int cmdline_parse_uart(const char *spec, uint16_t *port)
{
	static const uint16_t pc_ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	static const char *const names[][2] = {
		{ "ttyS0", "com1" },
		{ "ttyS1", "com2" },
		{ "ttyS2", "com3" },
		{ "ttyS3", "com4" },
	};
	uint32_t v;

	if (str_eq(spec, "none")) {
		*port = 0;
		return 0;
	}
	for (int i = 0; i < 4; i++) {
		if (str_eq(spec, names[i][0]) || str_eq(spec, names[i][1])) {
			*port = pc_ports[i];
			return 0;
		}
	}
	if (!(spec[0] == 'i' && spec[1] == 'o' && spec[2] == ':'))
		return -KERR_EINVAL;
	if (parse_number(spec + 3, &v) < 0 || v == 0 || v > 0xfff8)
		return -KERR_EINVAL;
	*port = (uint16_t)v;
	return 0;
}
