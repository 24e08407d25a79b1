/*
 * The kernel's printf engine (see kernel/printf.h for what it accepts).
 * It never allocates and never touches floating-point state, so it is
 * safe in interrupt and fault handlers. An unknown conversion is printed
 * as it stands rather than guessed at.
 */
#include <stdbool.h>
#include <stdint.h>

#include <kernel/printf.h>

struct spec {
	bool left, plus, space, zero, alt;
	int width;
	int prec; /* -1: none given */
};

struct out {
	void (*emit)(void *ctx, char c);
	void *ctx;
	int count;
};

static void put(struct out *o, char c)
{
	o->emit(o->ctx, c);
	o->count++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *s, const char *str)
{
	int len = 0;

	if (!str)
		str = "(null)";
	/* Check the precision first: with one, str need not be terminated. */
	while ((s->prec < 0 || len < s->prec) && str[len])
		len++;
	if (!s->left)
		pad(o, ' ', s->width - len);
	for (int i = 0; i < len; i++)
		put(o, str[i]);
	if (s->left)
		pad(o, ' ', s->width - len);
}

/* Print an integer already split into sign and magnitude. */
static void put_int(struct out *o, const struct spec *s, uintmax_t v,
		    bool negative, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24]; /* 2^64 in octal is 22 digits */
	int n = 0;
	const char *prefix = "";
	int prefix_len, zeros, total;

	while (v) {
		buf[n++] = digits[v % base];
		v /= base;
	}
	/* Precision 0 with value 0 prints no digits, as C requires. */
	zeros = s->prec > n ? s->prec - n : 0;
	if (n == 0 && s->prec != 0 && !(s->alt && base == 8))
		zeros = zeros ? zeros : 1;
	if (negative)
		prefix = "-";
	else if (s->plus && base == 10)
		prefix = "+";
	else if (s->space && base == 10)
		prefix = " ";
	else if (s->alt && base == 16 && n)
		prefix = upper ? "0X" : "0x";
	else if (s->alt && base == 8 && zeros == 0)
		prefix = "0";
	prefix_len = prefix[0] ? (prefix[1] ? 2 : 1) : 0;

	total = prefix_len + zeros + n;
	if (s->zero && !s->left && s->prec < 0 && s->width > total) {
		zeros += s->width - total;
		total = s->width;
	}
	if (!s->left)
		pad(o, ' ', s->width - total);
	for (int i = 0; i < prefix_len; i++)
		put(o, prefix[i]);
	pad(o, '0', zeros);
	while (n)
		put(o, buf[--n]);
	if (s->left)
		pad(o, ' ', s->width - total);
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

static uintmax_t get_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	case LEN_T:
		return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static intmax_t get_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
		return (intmax_t)va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

int kvformat(void (*emit)(void *ctx, char c), void *ctx, const char *fmt,
	     va_list ap_in)
{
	struct out o = { emit, ctx, 0 };
	va_list ap;

	/* Work on a copy so that helpers can take a va_list pointer. */
	va_copy(ap, ap_in);
	while (*fmt) {
		struct spec s = { .prec = -1 };
		enum length len = LEN_NONE;
		const char *start = fmt;

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				s.left = true;
			else if (*fmt == '+')
				s.plus = true;
			else if (*fmt == ' ')
				s.space = true;
			else if (*fmt == '0')
				s.zero = true;
			else if (*fmt == '#')
				s.alt = true;
			else
				break;
		}
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) {
				s.left = true;
				s.width = -s.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				s.width = s.width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			s.prec = 0;
			if (*fmt == '*') {
				s.prec = va_arg(ap, int);
				if (s.prec < 0)
					s.prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					s.prec = s.prec * 10 + (*fmt++ - '0');
			}
		}
		switch (*fmt) {
		case 'h':
			len = fmt[1] == 'h' ? LEN_HH : LEN_H;
			fmt += len == LEN_HH ? 2 : 1;
			break;
		case 'l':
			len = fmt[1] == 'l' ? LEN_LL : LEN_L;
			fmt += len == LEN_LL ? 2 : 1;
			break;
		case 'z':
			len = LEN_Z;
			fmt++;
			break;
		case 'j':
			len = LEN_J;
			fmt++;
			break;
		case 't':
			len = LEN_T;
			fmt++;
			break;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			intmax_t v = get_signed(&ap, len);
			uintmax_t mag = v < 0 ? -(uintmax_t)v : (uintmax_t)v;

			put_int(&o, &s, mag, v < 0, 10, false);
			break;
		}
		case 'u':
			put_int(&o, &s, get_unsigned(&ap, len), false, 10,
				false);
			break;
		case 'o':
			put_int(&o, &s, get_unsigned(&ap, len), false, 8,
				false);
			break;
		case 'x':
		case 'X':
			put_int(&o, &s, get_unsigned(&ap, len), false, 16,
				*fmt == 'X');
			break;
		case 'p':
			s.alt = true;
			put_int(&o, &s, (uintptr_t)va_arg(ap, void *), false,
				16, false);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			if (!s.left)
				pad(&o, ' ', s.width - 1);
			put(&o, c);
			if (s.left)
				pad(&o, ' ', s.width - 1);
			break;
		}
		case 's':
			put_str(&o, &s, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown or truncated: show the directive as is. */
			while (start < fmt)
				put(&o, *start++);
			if (!*fmt)
				continue;
			put(&o, *fmt);
			break;
		}
		fmt++;
	}
	va_end(ap);
	return o.count;
}

struct buf_ctx {
	char *buf;
	size_t size;
	size_t pos;
};

static void emit_buf(void *ctx, char c)
{
	struct buf_ctx *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = { buf, size, 0 };
	int n = kvformat(emit_buf, &b, fmt, ap);

	if (size)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
