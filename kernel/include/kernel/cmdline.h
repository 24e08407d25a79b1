/*
 * The kernel command line: kernel options first, then "--", then the
 * app's argv. Words are split on blanks; double quotes group blanks into
 * one word and a backslash escapes the next character. Options look like
 * "name=value", "-name=value", "--name=value" or a bare "name" flag, so
 * the tutorial's "-uart=io:0x3f8" is the option "uart". Pure code, also
 * built for the host unit tests.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_WORDS 64

struct cmdline {
	int kargc; /* kernel options */
	char *kargv[CMDLINE_MAX_WORDS];
	int argc; /* the app's argv, argv[argc] == NULL */
	char *argv[CMDLINE_MAX_WORDS + 1];
	const char *error; /* why cmdline_parse failed */
};

/* Split buf in place. Returns 0, -KERR_E2BIG for too many words or
 * -KERR_EINVAL for an unterminated quote (cl->error says which). With no
 * "--", every word is a kernel option and argv holds only app_name. */
int cmdline_parse(char *buf, const char *app_name, struct cmdline *cl);

/* The value of kernel option name: "" for a bare flag, NULL if absent.
 * The last occurrence wins. */
const char *cmdline_option(const struct cmdline *cl, const char *name);

/* The option's name part of a kernel word ("-uart=x" -> "uart"), copied
 * into out; false if it does not fit. */
bool cmdline_word_name(const char *word, char *out, size_t size);

/* Parse a UART spec: "io:0x3f8" (also decimal), "ttyS0".."ttyS3",
 * "com1".."com4", or "none" (port 0). */
int cmdline_parse_uart(const char *spec, uint16_t *port);

#endif
