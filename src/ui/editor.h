/* SPDX-License-Identifier: MIT */
/*
 * The editor of every text field (the input line, the file dialog, the
 * login form), without curses: UTF-8 text with a cursor that moves by
 * whole characters (a code point and its combining marks), the usual kill
 * keys, one key path for all fields, and the arithmetic of horizontal
 * scrolling by display width.
 */
#ifndef UI_EDITOR_H
#define UI_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Keys as every field sees them, without curses: a character is its code
 * point (control characters included, so Ctrl-A is 1), the other keys are
 * above the last code point. ui/input.c translates curses' keys once.
 */
#define UI_KEY_CTRL(c) ((c)&0x1f)
enum ui_key {
	UI_KEY_NONE = -1,
	UI_KEY_ESC = 27,
	UI_KEY_BASE = 0x110000,
	UI_KEY_ENTER,
	UI_KEY_BACKSPACE,
	UI_KEY_DELETE,
	UI_KEY_LEFT,
	UI_KEY_RIGHT,
	UI_KEY_UP,
	UI_KEY_DOWN,
	UI_KEY_HOME,
	UI_KEY_END,
	UI_KEY_PGUP,
	UI_KEY_PGDN,
	UI_KEY_BTAB,
	UI_KEY_F1,
	UI_KEY_MOUSE,
	UI_KEY_RESIZE,
	UI_KEY_PASTE_BEGIN,
	UI_KEY_PASTE_END
};

/* What ui_editor_key did with a key. */
enum ui_editor_result {
	UI_EDITOR_UNUSED, /* not an editing key: the field's own */
	UI_EDITOR_EDITED, /* moved or deleted */
	UI_EDITOR_TYPED /* inserted a character */
};

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
enum ui_editor_result ui_editor_key(struct ui_editor *, int);

#endif
