/* SPDX-License-Identifier: MIT */
/* Visible escapes for what a terminal must not be sent raw. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/esc.h"
#include "util/xmalloc.h"

/*
 * The code point of the well-formed UTF-8 sequence at s[0] in *cp and its
 * length, or 0 (overlong, surrogate, past U+10FFFF, cut short).
 */
static size_t
util_esc_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, k;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Whether cp is a bidi control: it reorders what follows it. */
static bool
util_esc_is_bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
	    cp == 0x061c;
}

/* The escape of an ASCII byte under flags into esc, or "" to keep it. */
static void
util_esc_ascii(unsigned char c, unsigned flags, char *esc)
{
	const char *named = NULL;

	esc[0] = '\0';
	switch (c) {
	case '\n':
		named = flags & UTIL_ESC_LINE ? "\\n" : NULL;
		break;
	case '\\':
		named = flags & UTIL_ESC_LINE ? "\\\\" : NULL;
		break;
	case '\t':
		named = "\\t";
		break;
	case '\r':
		named = "\\r";
		break;
	case '\0':
		named = "\\0";
		break;
	default:
		if ((flags & UTIL_ESC_TERM) && (c < 0x20 || c == 0x7f))
			snprintf(esc, UTIL_ESC_MAX, "\\x%02x", c);
		return;
	}
	/* \t \r \0 break a line as much as they drive a terminal. */
	if (named != NULL && (flags & (UTIL_ESC_LINE | UTIL_ESC_TERM)))
		snprintf(esc, UTIL_ESC_MAX, "%s", named);
}

/*
 * The end of the character at s[i] (one code point, or one byte that is
 * not UTF-8); esc gets its escape under flags (UTIL_ESC_*), or "" when the
 * bytes are shown as they are. esc holds UTIL_ESC_MAX bytes.
 */
size_t
util_esc_next(const char *s, size_t len, size_t i, unsigned flags, char *esc)
{
	const unsigned char *u = (const unsigned char *)s + i;
	uint32_t cp;
	size_t n;

	esc[0] = '\0';
	if (i >= len)
		return len;
	if (u[0] < 0x80) {
		util_esc_ascii(u[0], flags, esc);
		return i + 1;
	}
	n = util_esc_utf8(u, len - i, &cp);
	if (n == 0) {
		if (flags & UTIL_ESC_TERM)
			snprintf(esc, UTIL_ESC_MAX, "\\x%02x", u[0]);
		return i + 1;
	}
	if ((flags & UTIL_ESC_TERM) &&
	    ((cp >= 0x80 && cp <= 0x9f) || util_esc_is_bidi(cp)))
		snprintf(esc, UTIL_ESC_MAX, "\\u%04x", (unsigned)cp);
	return i + n;
}

/* s escaped under flags, as a new string. */
char *
util_esc_dup(const char *s, size_t len, unsigned flags)
{
	char esc[UTIL_ESC_MAX], *out;
	size_t i, j, o = 0, n;
	int pass;

	out = NULL;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			out = xmalloc(o + 1);
		for (i = 0, o = 0; i < len; i = j) {
			j = util_esc_next(s, len, i, flags, esc);
			n = esc[0] != '\0' ? strlen(esc) : j - i;
			if (out != NULL)
				memcpy(
				    out + o, esc[0] != '\0' ? esc : s + i, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}

/* Write s escaped under flags to f. */
void
util_esc_write(FILE *f, const char *s, size_t len, unsigned flags)
{
	char esc[UTIL_ESC_MAX];
	size_t i = 0, j;

	while (i < len) {
		j = util_esc_next(s, len, i, flags, esc);
		if (esc[0] != '\0')
			fputs(esc, f);
		else
			fwrite(s + i, 1, j - i, f);
		i = j;
	}
}
