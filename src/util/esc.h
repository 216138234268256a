/* SPDX-License-Identifier: MIT */
/*
 * Text a peer wrote, made safe to show on a terminal: what would drive the
 * terminal (control characters, bidi controls) or break a line-based
 * output becomes a visible escape. docs/protocol.md, "What reaches the
 * terminal", lists the rules.
 */
#ifndef UTIL_ESC_H
#define UTIL_ESC_H

#include <stddef.h>
#include <stdio.h>

/*
 * C0 controls but the line feed, DEL, C1 controls (U+0080-U+009F), the
 * bidi controls and bytes that are not UTF-8: \t \r \0 by name, other
 * bytes as \xNN, code points as \uNNNN.
 */
#define UTIL_ESC_TERM 0x1
/* One line per text: the line feed as \n, and \ itself as \\. */
#define UTIL_ESC_LINE 0x2

#define UTIL_ESC_MAX 12 /* an escape and its NUL, with room */

size_t util_esc_next(const char *, size_t, size_t, unsigned, char *);
char *util_esc_dup(const char *, size_t, unsigned);
void util_esc_write(FILE *, const char *, size_t, unsigned);

#endif
