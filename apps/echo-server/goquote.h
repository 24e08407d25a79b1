/*
 * Go's string quoting as fmt's %q prints it (strconv.Quote): printable
 * UTF-8 is kept, \a \b \f \n \r \t \v and \" \\ are escaped, an invalid
 * byte becomes \xNN, and a non-printable rune \xNN (below U+0080),
 * \uNNNN or \UNNNNNNNN. "Printable" is Go 1.19's unicode.IsPrint: the
 * letters, marks, numbers, punctuation and symbols of Unicode 13.0.0,
 * and U+0020.
 */
#ifndef ECHO_GOQUOTE_H
#define ECHO_GOQUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define GO_RUNE_ERROR 0xFFFDu

/*
 * Decode one rune from s[0..n) (n >= 1) as Go's utf8.DecodeRune does:
 * an invalid, overlong, surrogate or truncated sequence gives
 * GO_RUNE_ERROR and width 1. Returns the width.
 */
size_t go_utf8_decode(const unsigned char *s, size_t n, uint32_t *r);
bool go_isprint(uint32_t r);
/* Append strconv.Quote(s) to b. */
void go_quote(struct sbuf *b, const char *s, size_t n);
/* Append a []string as %q prints it: ["a" "b"]. */
void go_quote_list(struct sbuf *b, const struct span *v, size_t n);

#endif
