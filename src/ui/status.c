/*
 * The status line (who, relay, connection, pending, or a notice for a
 * few seconds) and the help over everything. Their text is ui/format.c's.
 */
#include <string.h>

#include "ui/tui_int.h"

/* The status line: a notice while one is up, else the connection. */
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
	};

	werase(w);
	wbkgd(w, A_REVERSE | ui_tui_pair(t, UI_COLOR_STATUS));
	if (si.now < t->notice_until) {
		if (t->notice_error)
			wattron(w, A_BOLD);
		mvwaddch(w, 0, 0, ' ');
		ui_tui_put(w, t->notice, strlen(t->notice), t->cols - 2);
		wattroff(w, A_BOLD);
		wnoutrefresh(w);
		return;
	}
	ui_format_status(&si, line, sizeof line);
	ui_tui_put(w, line, strlen(line), t->cols - 14);
	mvwaddstr(w, 0, t->cols - 12, "F1 help");
	wnoutrefresh(w);
}

static const char *const help_lines[] = {
    "termgram keys",
    "",
    "Up/Down, Ctrl-P/Ctrl-N   choose a conversation (or click it)",
    "PgUp/PgDn, mouse wheel   scroll; End (at the end of the line)",
    "                         jumps back to the newest",
    "Enter                    send to the selected contact",
    "Left/Right, Home/End     move in the line",
    "Backspace/Delete         delete a character",
    "Ctrl-W / Ctrl-U / Ctrl-K delete word / to start / to end",
    "F1                       this help",
    "Ctrl-C, /quit            quit; Ctrl-Z suspends",
    "",
    "Ctrl-F, /send [PATH]     send a file (paste or drag paths in)",
    "Ctrl-O / Ctrl-X          accept an offer / reject or cancel",
    "/help  /quit  /clear  /search TEXT (again: older hits)",
    "",
    ("Marks: \xe2\x80\xa6 pending   \xe2\x9c\x93 stored on the relay   "
     "\xe2\x9c\x93\xe2\x9c\x93 delivered (bold: read)"),
    "",
    "Any key closes this help.",
};

/*
 * The question at the first connection to a relay (the state's detail
 * says "first connection to HOST:PORT; its key is KEY"), boxed in the
 * middle of the screen.
 */
void
ui_status_draw_trust(struct tui *t)
{
	const char *key = strstr(t->detail, "; its key is ");
	char lines[7][160];
	int w = 70, h = 9, i;
	WINDOW *win;

	if (key == NULL)
		return;
	snprintf(lines[0], sizeof lines[0], "%s", "A relay not met before");
	snprintf(lines[1], sizeof lines[1], "This is the %.*s. Its key is",
	    (int)(key - t->detail), t->detail);
	key += strlen("; its key is ");
	snprintf(lines[2], sizeof lines[2], "  %.32s", key);
	snprintf(lines[3], sizeof lines[3], "  %s",
	    strlen(key) > 32 ? key + 32 : "");
	snprintf(lines[4], sizeof lines[4], "%s",
	    "Compare it with `termgramd --fingerprint` on the relay.");
	snprintf(lines[5], sizeof lines[5], "%s", "");
	snprintf(lines[6], sizeof lines[6], "%s",
	    "y: trust it (pinned for next time)   n: quit");
	if (w > t->cols - 2)
		w = t->cols - 2;
	win = newwin(h, w, (t->rows - h) / 2, (t->cols - w) / 2);
	werase(win);
	box_set(win, WACS_VLINE, WACS_HLINE);
	for (i = 0; i < 7; i++) {
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

/* The help, boxed in the middle of the screen. */
void
ui_status_draw_help(struct tui *t)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);
	int w = 66, h = n + 2, i;
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
		ui_tui_put(win, help_lines[i], strlen(help_lines[i]), w - 4);
		if (i == 0)
			wattroff(win, A_BOLD);
	}
	wnoutrefresh(win);
	delwin(win);
}
