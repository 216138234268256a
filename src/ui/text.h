/* SPDX-License-Identifier: MIT */
/*
 * Text by display width, without curses: UTF-8 stepping, column widths
 * (CJK and emoji two, combining marks zero) and wrapping. What must not
 * reach the terminal (controls, C1, bidi controls, bytes that are not
 * UTF-8) is measured as the visible escape it is drawn as.
 */
#ifndef UI_TEXT_H
#define UI_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct ui_span {
	size_t off; /* byte offset of the line */
	size_t len; /* bytes on it (without the break) */
	int cols; /* its display width */
};

#define UI_TEXT_ESC 12 /* an escape and its NUL: "\\u10ffff" */

bool ui_text_is_escaped(const char *, size_t, size_t, char *, size_t *);
size_t ui_text_next(const char *, size_t, size_t, int *);
size_t ui_text_prev(const char *, size_t);
int ui_text_width(const char *, size_t);
size_t ui_text_fit(const char *, size_t, int, int *);
size_t ui_wrap(const char *, size_t, int, struct ui_span *, size_t);

#endif
