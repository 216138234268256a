/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui/editor.h"
#include "ui/text.h"
#include "util/xmalloc.h"

/* An empty editor. */
void
ui_editor_init(struct ui_editor *e)
{
	memset(e, 0, sizeof *e);
}

/* Free its text. */
void
ui_editor_fini(struct ui_editor *e)
{
	free(e->buf);
	ui_editor_init(e);
}

/* Empty the line. */
void
ui_editor_clear(struct ui_editor *e)
{
	e->len = e->cur = e->view = 0;
}

/* Replace the line; the cursor goes to the end. */
void
ui_editor_set(struct ui_editor *e, const char *s, size_t n)
{
	ui_editor_clear(e);
	ui_editor_insert(e, s, n);
}

/* Whether the line is empty. */
bool
ui_editor_is_empty(const struct ui_editor *e)
{
	return e->len == 0;
}

/* Insert n bytes of UTF-8 at the cursor and move past them. */
void
ui_editor_insert(struct ui_editor *e, const char *s, size_t n)
{
	if (e->len + n + 1 > e->cap) {
		while (e->len + n + 1 > e->cap)
			e->cap = e->cap ? e->cap * 2 : 256;
		e->buf = xrealloc(e->buf, e->cap);
	}
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur);
	memcpy(e->buf + e->cur, s, n);
	e->len += n;
	e->cur += n;
	e->buf[e->len] = '\0';
}

static void
cut(struct ui_editor *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to);
	e->len -= to - from;
	if (e->cur > to)
		e->cur -= to - from;
	else if (e->cur > from)
		e->cur = from;
	if (e->view > e->cur)
		e->view = e->cur;
	if (e->buf != NULL)
		e->buf[e->len] = '\0';
}

/* One character left. */
void
ui_editor_left(struct ui_editor *e)
{
	if (e->cur > 0)
		e->cur = ui_text_prev(e->buf, e->cur);
}

/* One character right. */
void
ui_editor_right(struct ui_editor *e)
{
	int w;

	if (e->cur < e->len)
		e->cur = ui_text_next(e->buf, e->len, e->cur, &w);
}

/* To the start of the line. */
void
ui_editor_home(struct ui_editor *e)
{
	e->cur = 0;
}

/* To the end of the line. */
void
ui_editor_end(struct ui_editor *e)
{
	e->cur = e->len;
}

/* Delete the character before the cursor. */
void
ui_editor_backspace(struct ui_editor *e)
{
	size_t p;

	if (e->cur == 0)
		return;
	p = ui_text_prev(e->buf, e->cur);
	cut(e, p, e->cur);
}

/* Delete the character under the cursor. */
void
ui_editor_delete(struct ui_editor *e)
{
	int w;

	if (e->cur < e->len)
		cut(e, e->cur, ui_text_next(e->buf, e->len, e->cur, &w));
}

/* Ctrl-W: delete the word before the cursor and the spaces after it. */
void
ui_editor_kill_word(struct ui_editor *e)
{
	size_t p = e->cur;

	while (p > 0 && (e->buf[p - 1] == ' ' || e->buf[p - 1] == '\n'))
		p--;
	while (p > 0 && e->buf[p - 1] != ' ' && e->buf[p - 1] != '\n')
		p = ui_text_prev(e->buf, p);
	cut(e, p, e->cur);
}

/* Ctrl-U: delete from the start to the cursor. */
void
ui_editor_kill_start(struct ui_editor *e)
{
	cut(e, 0, e->cur);
}

/* Ctrl-K: delete from the cursor to the end. */
void
ui_editor_kill_end(struct ui_editor *e)
{
	cut(e, e->cur, e->len);
}

/* Display columns before the cursor. */
int
ui_editor_cursor_col(const struct ui_editor *e)
{
	return ui_text_width(e->buf, e->cur);
}

/*
 * Scroll so the cursor shows in a field cols wide, keeping a margin; the
 * first byte shown is e->view. Returns the cursor's column in the field.
 */
int
ui_editor_scroll(struct ui_editor *e, int cols)
{
	size_t p, q;
	int acc, w;

	if (cols < 4)
		cols = 4;
	if (e->view > e->cur)
		e->view = e->cur;
	/* Walk back from the cursor: as much as fits, with a column left
	 * for the cursor itself. */
	acc = 0;
	p = e->cur;
	while (p > e->view) {
		q = ui_text_prev(e->buf, p);
		w = ui_text_width(e->buf + q, p - q);
		if (acc + w > cols - 2)
			break;
		acc += w;
		p = q;
	}
	if (p > e->view) {
		e->view = p;
		return acc;
	}
	/* Room on the left: show more of what comes before. */
	while (e->view > 0) {
		q = ui_text_prev(e->buf, e->view);
		w = ui_text_width(e->buf + q, e->view - q);
		if (acc + w > cols * 3 / 4)
			break;
		acc += w;
		e->view = q;
	}
	return acc;
}

/* Insert the character c as UTF-8; false if it has no encoding. */
static bool
insert_char(struct ui_editor *e, int c)
{
	char u[8];
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	n = wcrtomb(u, (wchar_t)c, &st);
	if (n == (size_t)-1)
		return false;
	ui_editor_insert(e, u, n);
	return true;
}

/*
 * The one key path of every field: the input line, the file dialog and
 * the login form hand each key here first and act on it themselves only
 * when it comes back unused (Enter, Tab, Esc, Up/Down, their own keys).
 */
enum ui_editor_result
ui_editor_key(struct ui_editor *e, int key)
{
	switch (key) {
	case UI_KEY_LEFT:
		ui_editor_left(e);
		break;
	case UI_KEY_RIGHT:
		ui_editor_right(e);
		break;
	case UI_KEY_HOME:
	case UI_KEY_CTRL('A'):
		ui_editor_home(e);
		break;
	case UI_KEY_END:
	case UI_KEY_CTRL('E'):
		ui_editor_end(e);
		break;
	case UI_KEY_BACKSPACE:
		ui_editor_backspace(e);
		break;
	case UI_KEY_DELETE:
		ui_editor_delete(e);
		break;
	case UI_KEY_CTRL('K'):
		ui_editor_kill_end(e);
		break;
	case UI_KEY_CTRL('U'):
		ui_editor_kill_start(e);
		break;
	case UI_KEY_CTRL('W'):
		ui_editor_kill_word(e);
		break;
	default:
		if (key < 0x20 || key >= UI_KEY_BASE)
			return UI_EDITOR_UNUSED;
		return insert_char(e, key) ? UI_EDITOR_TYPED : UI_EDITOR_EDITED;
	}
	return UI_EDITOR_EDITED;
}
