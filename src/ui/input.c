/* SPDX-License-Identifier: MIT */
/*
 * The keyboard: curses' keys translated once into the editor's
 * (ui/editor.h), the input line's own keys, its commands, and sending
 * what was typed. The editing keys themselves are ui_editor_key's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/tui_int.h"
#include "util/xmalloc.h"

#define LONG_PASTE 4096
#define LONG_LINES 20
#define NO_KEY (-2) /* nothing waits */
#define SKIP_KEY (-3) /* something was read, but no key */

/* A curses key (wget_wch's kind and code) as the editor's key. */
int
ui_input_key_of(int kind, wint_t ch)
{
	static const struct {
		int curses, key;
	} keys[] = {
	    {KEY_ENTER, UI_KEY_ENTER},
	    {KEY_BACKSPACE, UI_KEY_BACKSPACE},
	    {KEY_DC, UI_KEY_DELETE},
	    {KEY_LEFT, UI_KEY_LEFT},
	    {KEY_RIGHT, UI_KEY_RIGHT},
	    {KEY_UP, UI_KEY_UP},
	    {KEY_DOWN, UI_KEY_DOWN},
	    {KEY_HOME, UI_KEY_HOME},
	    {KEY_END, UI_KEY_END},
	    {KEY_PPAGE, UI_KEY_PGUP},
	    {KEY_NPAGE, UI_KEY_PGDN},
	    {KEY_BTAB, UI_KEY_BTAB},
	    {KEY_F(1), UI_KEY_F1},
	    {KEY_F(7), UI_KEY_F7},
	    {KEY_MOUSE, UI_KEY_MOUSE},
	    {KEY_RESIZE, UI_KEY_RESIZE},
	    {UI_KEY_PASTE_BEGIN_CURSES, UI_KEY_PASTE_BEGIN},
	    {UI_KEY_PASTE_END_CURSES, UI_KEY_PASTE_END},
	    {UI_KEY_CTRL_UP_CURSES, UI_KEY_CTRL_UP},
	    {UI_KEY_CTRL_DOWN_CURSES, UI_KEY_CTRL_DOWN},
	    {UI_KEY_FOCUS_IN_CURSES, UI_KEY_FOCUS_IN},
	    {UI_KEY_FOCUS_OUT_CURSES, UI_KEY_FOCUS_OUT},
	    {UI_KEY_ALT_R_CURSES, UI_KEY_ALT_R},
	};
	size_t i;

	if (kind == KEY_CODE_YES) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (keys[i].curses == (int)ch)
				return keys[i].key;
		}
		return UI_KEY_NONE;
	}
	if (kind != OK)
		return UI_KEY_NONE;
	if (ch == '\r' || ch == '\n')
		return UI_KEY_ENTER;
	if (ch == 127 || ch == 8)
		return UI_KEY_BACKSPACE;
	return (int)ch;
}

/* Send the line to the selected contact; a long one asks first. */
static void
send_line(struct tui *t)
{
	char id[80], err[256];
	size_t lines = 0, i;

	if (t->ed.len == 0)
		return;
	if (t->sel[0] == '\0') {
		ui_tui_notice(t, true, "Pick a contact first (Up/Down)");
		return;
	}
	for (i = 0; i < t->ed.len; i++)
		lines += t->ed.buf[i] == '\n';
	if (!t->confirm && (t->ed.len > LONG_PASTE || lines > LONG_LINES)) {
		t->confirm = true;
		t->dirty = true;
		return;
	}
	t->confirm = false;
	if (client_session_queue_msg(
	        t->s, t->sel, t->ed.buf, t->ed.len, id, err, sizeof err) != 0) {
		ui_tui_notice(t, true, "Not sent: %s", err);
		return;
	}
	if (t->typing_to[0] != '\0') {
		client_session_typing(t->s, t->typing_to, false);
		t->typing_to[0] = '\0';
	}
	ui_history_add(t->hist, t->ed.buf, t->ed.len);
	ui_editor_clear(&t->ed);
	t->dirty = true;
}

/* A line starting with '/': a command. */
static void
run_command(struct tui *t, char *cmd)
{
	char *arg = strchr(cmd, ' ');

	if (arg != NULL) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	} else
		arg = cmd + strlen(cmd);
	t->dirty = true;
	if (ui_lists_command(t, cmd, arg))
		return; /* /transfers, /find */
	if (ui_members_command(t, cmd, arg))
		return; /* /join, /leave, /members, ... */
	if (strcmp(cmd, "/help") == 0)
		t->help = true;
	else if (strcmp(cmd, "/quit") == 0 || strcmp(cmd, "/exit") == 0)
		t->quit = true;
	else if (strcmp(cmd, "/clear") == 0) {
		if (t->sel[0] != '\0') {
			client_convo_clear(client_convos_get(
			    client_session_convos(t->s), t->sel));
			ui_pane_view(t, t->sel)->follow = true;
		}
	} else if (strcmp(cmd, "/search") == 0)
		ui_pane_search(t, arg);
	else if (strcmp(cmd, "/query") == 0 || strcmp(cmd, "/q") == 0)
		ui_nav_query(t, arg);
	else if (strcmp(cmd, "/reconnect") == 0)
		ui_status_reconnect(t);
	else if (strcmp(cmd, "/reply") == 0)
		ui_reply_start(t, arg);
	else if (strcmp(cmd, "/send") == 0)
		ui_dialog_open(t, arg);
	else if (strcmp(cmd, "/accept") == 0)
		ui_bars_accept(t);
	else if (strcmp(cmd, "/reject") == 0 || strcmp(cmd, "/cancel") == 0)
		ui_bars_stop(t, false);
	else
		ui_tui_notice(
		    t, true, "Unknown command %s: /help lists them", cmd);
	t->dirty = true;
}

/* Enter: a command, or a message. */
static void
enter(struct tui *t)
{
	char *cmd;

	if (t->ed.len > 0 && t->ed.buf[0] == '/' && !t->confirm &&
	    memchr(t->ed.buf, '\n', t->ed.len) == NULL) {
		cmd = xstrndup(t->ed.buf, t->ed.len);
		ui_history_add(t->hist, t->ed.buf, t->ed.len);
		ui_editor_clear(&t->ed);
		run_command(t, cmd);
		free(cmd);
		return;
	}
	send_line(t);
}

/* A character typed: tell an online peer once that we are typing. */
static void
typed(struct tui *t)
{
	long i;

	if (t->typing_to[0] != '\0' || t->sel[0] == '\0' ||
	    (i = ui_sidebar_index(t, t->sel)) < 0 || !t->roster[i].online ||
	    (t->ed.len > 0 && t->ed.buf[0] == '/'))
		return;
	snprintf(t->typing_to, sizeof t->typing_to, "%s", t->sel);
	client_session_typing(t->s, t->sel, true);
}

/* A click picks a contact; the wheel scrolls the pane. */
static void
mouse(struct tui *t)
{
	MEVENT me;

	if (getmouse(&me) != OK || t->too_small)
		return;
	if (me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) {
		if (me.x < t->sw)
			ui_sidebar_click(t, me.y);
		return;
	}
	if (me.bstate & BUTTON4_PRESSED)
		ui_pane_scroll(t, -3);
#ifdef BUTTON5_PRESSED
	else if (me.bstate & BUTTON5_PRESSED)
		ui_pane_scroll(t, 3);
#endif
}

/*
 * The keys of a paste in field e: its brackets, and Enter inside it as a
 * line break. False for any other key.
 */
bool
ui_input_paste_key(struct tui *t, struct ui_editor *e, int key)
{
	switch (key) {
	case UI_KEY_PASTE_BEGIN:
	case UI_KEY_PASTE_END:
		t->paste = key == UI_KEY_PASTE_BEGIN;
		return true;
	case UI_KEY_ENTER:
		if (!t->paste)
			return false;
		ui_editor_insert(e, "\n", 1);
		return true;
	default:
		return false;
	}
}

/* The input line's own keys; false for the editor's. */
static bool
own_key(struct tui *t, int key)
{
	if (ui_input_paste_key(t, &t->ed, key))
		return true;
	if (key == '\t' && t->paste) {
		ui_editor_insert(&t->ed, "    ", 4);
		return true;
	}
	/* Alt-=: joins and leaves hidden or shown (WeeChat's key). */
	if (key == UI_KEY_ALT('=')) {
		ui_members_command(t, "/filter", "");
		return true;
	}
	if (ui_nav_key(t, key))
		return true;
	switch (key) {
	case UI_KEY_F7:
		ui_members_toggle(t);
		break;
	case UI_KEY_UP:
	case UI_KEY_CTRL('P'):
		ui_sidebar_move(t, -1);
		break;
	case UI_KEY_DOWN:
	case UI_KEY_CTRL('N'):
		ui_sidebar_move(t, 1);
		break;
	case UI_KEY_PGUP:
		ui_pane_scroll(t, -ui_pane_page(t));
		break;
	case UI_KEY_PGDN:
		ui_pane_scroll(t, ui_pane_page(t));
		break;
	case UI_KEY_ENTER:
		enter(t);
		break;
	case UI_KEY_F1:
		t->help = true;
		break;
	case UI_KEY_MOUSE:
		mouse(t);
		break;
	case UI_KEY_CTRL('F'):
		ui_dialog_open(t, "");
		break;
	case UI_KEY_CTRL('O'):
		ui_bars_accept(t);
		break;
	case UI_KEY_CTRL('X'):
		ui_bars_stop(t, true);
		break;
	case UI_KEY_ALT_R:
		ui_reply_start(t, "");
		break;
	default:
		return false;
	}
	return true;
}

/* The relay's key is asked about: y pins it and connects, n quits. */
static void
trust_key(struct tui *t, int key)
{
	char err[512];

	if (key == 'n' || key == 'N' || key == UI_KEY_CTRL('C'))
		t->quit = true;
	else if ((key == 'y' || key == 'Y') &&
	    client_session_trust_relay(t->s, err, sizeof err) != 0)
		ui_tui_notice(t, true, "%s", err);
}

/*
 * A key while a list is open that is not one of the list's: the list
 * closes and the key goes on to the input line, kept (so "/q bob" typed
 * over /transfers is a command). An Esc read together with a key the
 * input line has no Alt use for is Esc (closing the list) and that key.
 * Returns the key to go on with.
 */
static int
past_list(struct tui *t, int key)
{
	if (t->list == NULL)
		return key;
	if (key > UI_KEY_ALT(0x1f) && key < UI_KEY_ALT(UI_KEY_BASE)) {
		ui_lists_close(t);
		return ui_nav_is_alt(key) ? key : key - UI_KEY_ALT(0);
	}
	if (key >= 0x20 && key != 0x7f && key < UI_KEY_BASE &&
	    (key >= 0x80 || !ui_lists_owns(t, key)))
		ui_lists_close(t);
	return key;
}

/* One key: help, the dialog and the long-message question come first. */
void
ui_input_key(struct tui *t, int key)
{
	t->dirty = true;
	if (key == UI_KEY_RESIZE)
		return; /* handled through SIGWINCH */
	key = past_list(t, key);
	/* Tab's list of choices goes with the next key that is not Tab. */
	if (t->notice_tab && key != '\t' && key != UI_KEY_FOCUS_IN &&
	    key != UI_KEY_FOCUS_OUT) {
		t->notice_tab = false;
		t->notice_until = 0;
	}
	if (ui_notify_key(t, key) || ui_lists_key(t, key))
		return; /* focus; an open /transfers or /find */
	if (t->help) {
		t->help = false;
		return;
	}
	if (t->dialog) {
		ui_dialog_key(t, key);
		return;
	}
	if (t->jumping) {
		ui_nav_jump_key(t, key);
		return;
	}
	if (t->state == CLIENT_UNTRUSTED) {
		trust_key(t, key);
		return;
	}
	if (t->confirm) {
		if (key == 'y' || key == 'Y')
			send_line(t);
		else
			t->confirm = false;
		return;
	}
	if (ui_bars_stop_key(t, key) || own_key(t, key))
		return;
	/* End at the end of the line also jumps to the newest message. */
	if (key == UI_KEY_END && t->ed.cur == t->ed.len && t->sel[0] != '\0')
		ui_view_follow(ui_pane_view(t, t->sel));
	if (ui_editor_key(&t->ed, key) == UI_EDITOR_TYPED)
		typed(t);
}

/*
 * The rest of a control sequence after ESC [ (or ESC [ <, with the mouse
 * off) that curses did not know, read and dropped (never typed); an SGR
 * mouse report (ESC [ < B ; X ; Y M or m, as tmux sends them) is a
 * click or the wheel, when the mouse is on.
 */
static void
csi_rest(struct tui *t, WINDOW *w)
{
	char p[32];
	size_t n = 0;
	wint_t ch;
	int b, x, y;

	while (wget_wch(w, &ch) == OK && ch >= 0x20 && ch < 0x40) {
		if (n + 1 < sizeof p)
			p[n++] = (char)ch;
	}
	p[n] = '\0';
	if (!t->cfg.mouse || t->too_small || ch != 'M' || p[0] != '<' ||
	    sscanf(p + 1, "%d;%d;%d", &b, &x, &y) != 3)
		return;
	if (b == 0 && x - 1 < t->sw)
		ui_sidebar_click(t, y - 1);
	else if (b == 64 || b == 65)
		ui_pane_scroll(t, b == 64 ? -3 : 3);
	t->dirty = true;
}

/*
 * The next key of window w: an Escape read together with the key after it
 * is Alt and that key; Ctrl-J (a terminal's Enter is Ctrl-M) a new line.
 * NO_KEY when nothing waits.
 */
static int
next_key(struct tui *t, WINDOW *w)
{
	wint_t ch, ch2;
	int kind, kind2;

	kind = wget_wch(w, &ch);
	if (kind == ERR)
		return NO_KEY;
	if (kind == KEY_CODE_YES && ch == KEY_MOUSE && !t->cfg.mouse) {
		/* curses knows ESC [ < but not the report after it. */
		csi_rest(t, w);
		return SKIP_KEY;
	}
	if (kind == OK && ch == '\n' && !t->dialog && !t->paste)
		return UI_KEY_NEWLINE;
	if (kind != OK || ch != UI_KEY_ESC || t->paste || t->dialog)
		return ui_input_key_of(kind, ch);
	kind2 = wget_wch(w, &ch2);
	if (kind2 == OK && ch2 == '[') {
		csi_rest(t, w);
		return SKIP_KEY;
	}
	if (kind2 == OK)
		return UI_KEY_ALT(ch2 == '\n' ? '\r' : (int)ch2);
	if (kind2 == KEY_CODE_YES) {
		ui_input_key(t, UI_KEY_ESC);
		return ui_input_key_of(kind2, ch2);
	}
	return UI_KEY_ESC;
}

/* The keyboard is readable: take every key waiting, then draw once. */
void
ui_input_ready(void *arg)
{
	struct tui *t = arg;
	int key, i;

	/* A paste can be long: take it all now, then draw once. */
	for (i = 0; i < 1 << 20; i++) {
		key = next_key(t, t->input != NULL ? t->input : stdscr);
		if (key == NO_KEY)
			break;
		if (key == SKIP_KEY)
			continue;
		ui_input_key(t, key);
		if (t->quit)
			break;
	}
}

/*
 * The input line's prompt: "[bob] " (a paste going on: "[bob]… "), while
 * jumping "Jump to: ". Returns its columns.
 */
static int
prompt(struct tui *t, WINDOW *w)
{
	int used;

	wmove(w, 0, 0);
	if (t->jumping) {
		waddstr(w, "Jump to: ");
		return 9;
	}
	if (t->sel[0] == '\0') {
		waddstr(w, t->paste ? "\xe2\x80\xa6 " : "> ");
		return 2;
	}
	wattron(w, A_BOLD);
	waddch(w, '[');
	used = ui_tui_put(w, t->sel, strlen(t->sel), t->cols / 3);
	waddch(w, ']');
	wattroff(w, A_BOLD);
	waddstr(w, t->paste ? "\xe2\x80\xa6 " : " ");
	return used + 3 + (t->paste ? 1 : 0);
}

/* The input line, or the long-message question. */
void
ui_input_draw(struct tui *t)
{
	WINDOW *w = t->input;
	struct ui_editor *e = t->jumping ? &t->jump : &t->ed;
	int col, room, pw;

	werase(w);
	if (ui_bars_draw_ask(t))
		return;
	if (t->confirm) {
		wattron(w, A_BOLD);
		mvwprintw(w, 0, 0,
		    "Send this long message (%zu bytes) to %s? y/n", t->ed.len,
		    t->sel);
		wattroff(w, A_BOLD);
		wnoutrefresh(w);
		return;
	}
	pw = prompt(t, w);
	room = t->cols - pw - 1;
	col = ui_editor_scroll(e, room);
	ui_tui_put(
	    w, e->buf != NULL ? e->buf + e->view : "", e->len - e->view, room);
	wmove(w, 0, pw + col);
	wnoutrefresh(w);
}
