/*
 * The input line's editor, without curses: UTF-8 text with a cursor that
 * moves by whole characters (a code point and its combining marks), the
 * usual kill keys, and the arithmetic of horizontal scrolling by display
 * width.
 */
#ifndef UI_EDITOR_H
#define UI_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

struct ui_editor {
	char *buf;
	size_t len, cap;
	size_t cur; /* byte offset of the cursor */
	size_t view; /* byte offset of the first column shown */
};

void ui_editor_init(struct ui_editor *);
void ui_editor_fini(struct ui_editor *);
void ui_editor_clear(struct ui_editor *);
void ui_editor_set(struct ui_editor *, const char *, size_t);
void ui_editor_insert(struct ui_editor *, const char *, size_t);
void ui_editor_left(struct ui_editor *);
void ui_editor_right(struct ui_editor *);
void ui_editor_home(struct ui_editor *);
void ui_editor_end(struct ui_editor *);
void ui_editor_backspace(struct ui_editor *);
void ui_editor_delete(struct ui_editor *);
void ui_editor_kill_word(struct ui_editor *);
void ui_editor_kill_start(struct ui_editor *);
void ui_editor_kill_end(struct ui_editor *);
int ui_editor_cursor_col(const struct ui_editor *);
int ui_editor_scroll(struct ui_editor *, int);
bool ui_editor_is_empty(const struct ui_editor *);

#endif
