/* SPDX-License-Identifier: MIT */
/*
 * The status line (who, relay, connection, pending, or a notice for a
 * few seconds) and the help over everything. Their text is ui/format.c's.
 */
#include <stdio.h>
#include <string.h>

#include "ui/text.h"
#include "ui/tui_int.h"

/* The hotlist, bold, from column col (nothing when it is empty). */
static void
draw_hotlist(WINDOW *w, const char *hot, int col)
{
	if (hot[0] == '\0')
		return;
	wattron(w, A_BOLD);
	mvwaddch(w, 0, col - 1, ' ');
	ui_tui_put(w, hot, strlen(hot), (int)strlen(hot));
	wattroff(w, A_BOLD);
}

/*
 * A notice, in the form that fits (ui_format_notice), with the connection
 * state kept at the right where "F1 help" is otherwise.
 */
static void
draw_notice(struct tui *t, const char *hot, int hw)
{
	WINDOW *w = t->status;
	const char *state = client_state_name(t->state);
	size_t len;
	const char *form = ui_format_notice(t->notice, t->cols - 15 - hw, &len);

	if (t->notice_error)
		wattron(w, A_BOLD);
	mvwaddch(w, 0, 0, ' ');
	ui_tui_put(w, form, len, t->cols - 15 - hw);
	wattroff(w, A_BOLD);
	draw_hotlist(w, hot, t->cols - 13 - hw);
	wmove(w, 0, t->cols - 13);
	waddch(w, ' ');
	ui_tui_put(w, state, strlen(state), 12);
}

/*
 * The status line: a notice while one is up, else the connection; the
 * hotlist of unread conversations at its right.
 */
void
ui_status_draw(struct tui *t)
{
	WINDOW *w = t->status;
	char line[512];
	struct ui_status_info si = {
	    .me = client_session_me(t->s),
	    .relay = t->relay,
	    .state = t->state,
	    .detail = t->detail,
	    .retry_at = t->retry_at,
	    .now = client_rt_now_ms(),
	    .pending = client_session_outbox_len(t->s),
	    .devices = client_session_devcount(t->s),
	    .width = t->cols - 14,
	};
	bool notice = si.now < t->notice_until;
	char hot[256] = "";
	const char *text = line;
	size_t len;
	int hw, room;

	werase(w);
	wbkgd(w, A_REVERSE | ui_tui_pair(t, UI_COLOR_STATUS));
	if (notice)
		text = ui_format_notice(t->notice, t->cols - 15, &len);
	else
		ui_format_status(&si, line, sizeof line);
	len = notice ? len : strlen(line);
	/* The connection or the notice first; the hotlist gets what is
	 * left, and nothing when that is too little to name anyone. */
	room = t->cols - 14 - ui_text_width(text, len) - 2;
	if (room >= 12)
		ui_nav_hotlist(t, room < t->cols / 2 ? room : t->cols / 2, hot,
		    sizeof hot);
	hw = hot[0] != '\0' ? (int)strlen(hot) + 1 : 0;
	if (notice) {
		draw_notice(t, hot, hw);
		wnoutrefresh(w);
		return;
	}
	ui_tui_put(w, line, strlen(line), t->cols - 14 - hw);
	draw_hotlist(w, hot, t->cols - 13 - hw);
	mvwaddstr(w, 0, t->cols - 12, "F1 help");
	wnoutrefresh(w);
}

static const char *const help_lines[] = {
    "termgram keys",
    "Up/Down, Ctrl-P/N        choose a conversation (or click it)",
    "Alt-1..9, Alt-0 / Alt-A  conversation 1..10 / the next unread",
    "Ctrl-G, /query NAME      jump to a contact by name",
    "PgUp/PgDn, wheel, End    scroll; End at the line's end: newest",
    "Enter / Alt-Enter        send / a new line (also Ctrl-J)",
    "Ctrl-Up/Down, Alt-P/N    what you sent before; Tab completes",
    "Ctrl-W / Ctrl-U / Ctrl-K delete word / to start / to end",
    "F1 / Ctrl-L / Ctrl-C     this help / redraw / quit (Ctrl-Z stops)",
    "Ctrl-F, /send [PATH]     send a file (paste or drag paths in)",
    "Ctrl-O, /accept          accept the file offered here",
    "Ctrl-X, /reject, /cancel reject or cancel a transfer (Ctrl-X asks)",
    "/transfers, /find TEXT   transfers (o: folder) / search everywhere",
    "Alt-R, /reply [TEXT]     reply quoting the last or found message",
    "/clear, /search TEXT     clear the view; find (again: older hits)",
    "/reconnect, /devices     log in again now; your devices (d: drop)",
    "/join #x, /create #x     rooms: F7 members, /leave, /rooms, /filter",
    ("Marks: \xe2\x80\xa6 pending   \xe2\x9c\x93 stored on the relay   "
     "\xe2\x9c\x93\xe2\x9c\x93 delivered"),
    ("       \xe2\x9c\x93\xe2\x9c\x93 green (mono: underlined): read   "
     "\xe2\x9c\x97 failed   \xe2\x87\x84 P2P"),
    "Any key closes this help.",
};

/* n lines in a box w wide in the middle of the screen, the first bold. */
static void
status_box(struct tui *t, const char *const *lines, int n, int w)
{
	int h = n + 2, i;
	WINDOW *win;

	if (w > t->cols - 2)
		w = t->cols - 2;
	if (h > t->rows - 2)
		h = t->rows - 2;
	win = newwin(h, w, (t->rows - h) / 2, (t->cols - w) / 2);
	werase(win);
	box_set(win, WACS_VLINE, WACS_HLINE);
	for (i = 0; i < n && i < h - 2; i++) {
		if (i == 0)
			wattron(win, A_BOLD);
		wmove(win, i + 1, 2);
		ui_tui_put(win, lines[i], strlen(lines[i]), w - 4);
		if (i == 0)
			wattroff(win, A_BOLD);
	}
	wnoutrefresh(win);
	delwin(win);
}

/*
 * The question at the first connection to a relay (the state's detail
 * says "first connection to HOST:PORT; its key is KEY"), boxed in the
 * middle of the screen.
 */
void
ui_status_draw_trust(struct tui *t)
{
	const char *key = strstr(t->detail, "; its key is ");
	char first[200], half1[40], half2[40];
	const char *lines[7];

	if (key == NULL)
		return;
	snprintf(first, sizeof first, "This is the %.*s. Its key is",
	    (int)(key - t->detail), t->detail);
	key += strlen("; its key is ");
	snprintf(half1, sizeof half1, "  %.32s", key);
	snprintf(
	    half2, sizeof half2, "  %.32s", strlen(key) > 32 ? key + 32 : "");
	lines[0] = "A relay not met before";
	lines[1] = first;
	lines[2] = half1;
	lines[3] = half2;
	lines[4] = "Compare it with `termgramd --fingerprint` on the relay.";
	lines[5] = "";
	lines[6] = "y: trust it (pinned for next time)   n: quit";
	status_box(t, lines, 7, 70);
}

/* The help, boxed in the middle of the screen, as wide as its lines. */
void
ui_status_draw_help(struct tui *t)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]), i, w = 0, k;

	for (i = 0; i < n; i++) {
		k = ui_text_width(help_lines[i], strlen(help_lines[i]));
		if (k > w)
			w = k;
	}
	status_box(t, help_lines, n, w + 4);
}

/*
 * Replaced by another login as us (detail says from where, when the
 * relay told): the status line says by whom, and a notice how to take
 * the name back.
 */
void
ui_status_replaced(struct tui *t, const char *detail)
{
	const char *from = strstr(detail, " from "), *end = NULL;
	char where[80] = "elsewhere";

	if (from != NULL && (end = strstr(from, " and replaced")) != NULL)
		snprintf(where, sizeof where, "from %.*s",
		    (int)(end - from - 6), from + 6);
	snprintf(t->detail, sizeof t->detail, "replaced by a login %s", where);
	ui_tui_notice(t, true,
	    "%s signed in %s; /reconnect takes the name back" UI_NOTICE_OR
	    "/reconnect takes %s back: it signed in %s" UI_NOTICE_OR
	    "/reconnect takes the name back",
	    t->cfg.user, where, t->cfg.user, where);
}

/* /reconnect: log in again now; a replaced client takes its name back. */
void
ui_status_reconnect(struct tui *t)
{
	ui_tui_notice(
	    t, false, "Logging in again as %s on %s", t->cfg.user, t->relay);
	client_session_reconnect(t->s);
}

/* DEVCOUNT: the user's devices, on the status line when more than one. */
void
ui_status_devcount(void *arg, uint64_t n)
{
	(void)n;
	((struct tui *)arg)->dirty = true;
}
