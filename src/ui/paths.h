/* SPDX-License-Identifier: MIT */
/*
 * What terminals paste when files are dragged into them, made into paths:
 * single or double quotes, backslash escapes, file:// URIs with
 * percent-encoding, several files at once, a trailing newline; and '~'.
 * No curses here; unit-tested.
 */
#ifndef UI_PATHS_H
#define UI_PATHS_H

#include <stddef.h>

struct ui_paths {
	char **v;
	size_t n;
};

int ui_paths_parse(
    const char *, size_t, const char *, struct ui_paths *, char *, size_t);
void ui_paths_free(struct ui_paths *);
int ui_paths_last(const char *, size_t, size_t *, char *, size_t);
int ui_paths_quote(const char *, char *, size_t);
void ui_paths_home(const char *, char *, size_t, size_t *);
void ui_paths_where(const char *, const char *, const char *, const char *, int,
    char *, size_t);

#endif
