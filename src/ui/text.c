/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "ui/text.h"
#include "util/esc.h"

static_assert(UI_TEXT_ESC >= UTIL_ESC_MAX, "an escape of util/esc.h fits");

/* Decode one code point at s[i]; invalid bytes count as U+FFFD. */
static size_t
decode(const char *s, size_t len, size_t i, wchar_t *wc)
{
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	n = mbrtowc(wc, s + i, len - i, &st);
	if (n == (size_t)-1 || n == (size_t)-2) {
		*wc = 0xfffd;
		return 1;
	}
	if (n == 0) {
		*wc = 0;
		return 1;
	}
	return n;
}

/* The columns of a code point drawn as it is. */
static int
cp_width(wchar_t wc)
{
	int w;

	if (wc == '\n')
		return 1; /* shown as a symbol */
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

/*
 * Whether the character at s[i] is drawn as a visible escape rather than
 * sent to the terminal: what util/esc.h escapes (controls, C1, bidi,
 * bytes that are not UTF-8) and any code point the locale cannot print.
 * esc (UI_TEXT_ESC bytes) gets the escape, *end where the character ends.
 */
bool
ui_text_is_escaped(const char *s, size_t len, size_t i, char *esc, size_t *end)
{
	wchar_t wc;
	size_t n;

	*end = util_esc_next(s, len, i, UTIL_ESC_TERM, esc);
	if (esc[0] != '\0')
		return true;
	if (i >= len || (unsigned char)s[i] < 0x80)
		return false;
	n = decode(s, len, i, &wc);
	if (wc == 0xfffd || wcwidth(wc) >= 0)
		return false;
	snprintf(esc, UI_TEXT_ESC, "\\u%04x", (unsigned)wc);
	*end = i + n;
	return true;
}

/*
 * Whether the code point at s[i] is a zero-width mark that belongs to the
 * character before it (a combining accent), never a line break or an
 * escaped one (a bidi control has no width either).
 */
static bool
is_mark(const char *s, size_t len, size_t i, size_t *end)
{
	char esc[UI_TEXT_ESC];
	wchar_t wc;

	if (ui_text_is_escaped(s, len, i, esc, end))
		return false;
	*end = i + decode(s, len, i, &wc);
	return wc != '\n' && wcwidth(wc) == 0;
}

/*
 * The end of the character at s[i] (a code point and the zero-width marks
 * that follow it) and its width in *cols.
 */
size_t
ui_text_next(const char *s, size_t len, size_t i, int *cols)
{
	char esc[UI_TEXT_ESC];
	wchar_t wc;
	size_t j, k;

	if (i >= len) {
		*cols = 0;
		return len;
	}
	if (ui_text_is_escaped(s, len, i, esc, &j)) {
		*cols = (int)strlen(esc);
		return j;
	}
	j = i + decode(s, len, i, &wc);
	*cols = cp_width(wc);
	if (wc == '\n')
		return j;
	while (j < len && is_mark(s, len, j, &k))
		j = k;
	return j;
}

/* The start of the character that ends at s[i]. */
size_t
ui_text_prev(const char *s, size_t i)
{
	char none[UTIL_ESC_MAX];
	size_t e = i, j, k;

	while (e > 0) {
		j = e - 1;
		while (
		    j > 0 && e - j < 4 && ((unsigned char)s[j] & 0xc0) == 0x80)
			j--;
		/* A byte that is not UTF-8 is a character of its own, as
		 * ui_text_next steps. */
		if (util_esc_next(s, i, j, 0, none) != e)
			j = e - 1;
		/* A zero-width mark belongs to the character before it. */
		if (!is_mark(s, i, j, &k))
			return j;
		e = j;
	}
	return 0;
}

/* The display width of len bytes. */
int
ui_text_width(const char *s, size_t len)
{
	size_t i = 0;
	int w, total = 0;

	while (i < len) {
		i = ui_text_next(s, len, i, &w);
		total += w;
	}
	return total;
}

/* How many bytes of s fit in cols columns, whole characters only. */
size_t
ui_text_fit(const char *s, size_t len, int cols, int *used)
{
	size_t i = 0, j;
	int w, total = 0;

	while (i < len) {
		j = ui_text_next(s, len, i, &w);
		if (s[i] == '\n' || total + w > cols)
			break;
		total += w;
		i = j;
	}
	if (used != NULL)
		*used = total;
	return i;
}

/*
 * Break text into lines of at most width columns: at a newline, else at
 * the last space that fits in the second half of the line, else between
 * characters. Fills up to max
 * spans (out may be NULL to count) and returns the number of lines.
 */
size_t
ui_wrap(const char *s, size_t len, int width, struct ui_span *out, size_t max)
{
	size_t i = 0, n = 0, start, j, brk, brk_next;
	int w, cols, brk_cols;

	if (width < 2)
		width = 2;
	do {
		start = i;
		cols = 0;
		brk = 0;
		brk_next = 0;
		brk_cols = 0;
		while (i < len && s[i] != '\n') {
			j = ui_text_next(s, len, i, &w);
			if (cols + w > width)
				break;
			cols += w;
			i = j;
			if (s[i - 1] == ' ') {
				brk = i - 1;
				brk_next = i;
				brk_cols = cols - 1;
			}
		}
		if (i < len && s[i] != '\n' && brk > start &&
		    brk_cols >= width / 2) {
			/* Break at the last space, unless that wastes more
			 * than half the line (text without spaces, such as
			 * Chinese, breaks between characters); drop it. */
			if (out != NULL && n < max) {
				out[n].off = start;
				out[n].len = brk - start;
				out[n].cols = brk_cols;
			}
			i = brk_next;
		} else {
			if (i == start && i < len && s[i] != '\n') {
				/* A character wider than the line. */
				i = ui_text_next(s, len, i, &w);
				cols = w;
			}
			if (out != NULL && n < max) {
				out[n].off = start;
				out[n].len = i - start;
				out[n].cols = cols;
			}
			if (i < len && s[i] == '\n')
				i++;
		}
		n++;
	} while (i < len);
	return n;
}
