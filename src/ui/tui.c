/* SPDX-License-Identifier: MIT */
/*
 * The full-screen client: curses windows drawn from the client core's
 * state. Layout:
 *
 *   +-----------+--------------------------------------+
 *   | Contacts  | header: name, presence, typing       |
 *   | sidebar   | conversation                         |
 *   +-----------+--------------------------------------+
 *   | transfer bars, when any moves                     |
 *   | status: who, relay, connection, pending           |
 *   | > input line                                      |
 *   +---------------------------------------------------+
 *
 * This file holds what ties the parts together: the terminal's modes,
 * the layout, the order of drawing, the core's events, the signals and
 * the main loop. The parts are sidebar.c, pane.c, bars.c, status.c,
 * input.c, dialog.c and login.c; their text and arithmetic, without
 * curses, are format.c, view.c and editor.c.
 */
#include <sys/file.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ui/paths.h"
#include "ui/text.h"
#include "ui/tui.h"
#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* Bracketed paste and mouse reporting off: the terminal as we found it. */
static const char modes_reset[] =
    "\033[?2004l\033[?1000l\033[?1002l\033[?1006l\033[?1004l";

static struct tui *the_tui; /* for the crash handler */

/* A line in the log file, with the time. */
void
ui_tui_log(struct tui *t, const char *fmt, ...)
{
	va_list ap;
	time_t now = time(NULL);
	char when[32];

	if (t->log == NULL)
		return;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
	fprintf(t->log, "%s ", when);
	va_start(ap, fmt);
	vfprintf(t->log, fmt, ap);
	va_end(ap);
	fputc('\n', t->log);
	fflush(t->log);
}

/* A notice on the status line for six seconds; errors also go the log. */
void
ui_tui_notice(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->notice, sizeof t->notice, fmt, ap);
	va_end(ap);
	t->notice_error = error;
	t->notice_tab = false;
	t->notice_until = client_rt_now_ms() + 6000;
	t->dirty = true;
	if (error) /* its longest form */
		ui_tui_log(t, "%.*s", (int)strcspn(t->notice, UI_NOTICE_OR),
		    t->notice);
}

/* --- terminal modes -------------------------------------------------- */

/* Bracketed paste: a paste arrives between ESC[200~ and ESC[201~; focus
 * reporting: ESC[I and ESC[O when the terminal gains or loses focus. */
void
ui_tui_modes_on(void)
{
	fputs("\033[?2004h\033[?1004h", stdout);
	fflush(stdout);
}

/* Give the terminal its modes back. */
void
ui_tui_modes_off(void)
{
	fputs(modes_reset, stdout);
	fflush(stdout);
}

/* A crash: give the terminal back before dying. */
static void
crash_handler(int sig)
{
	if (the_tui != NULL)
		endwin();
	(void)!write(STDOUT_FILENO, modes_reset, sizeof modes_reset - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --- drawing helpers ---------------------------------------------------- */

/* The attribute of a colour, or none without colours. */
attr_t
ui_tui_pair(struct tui *t, enum ui_color c)
{
	return t->cfg.color ? COLOR_PAIR(c) : 0;
}

/*
 * Write at most cols columns of s (whole characters): a line break as ↵,
 * what must not reach the terminal as its visible escape (ui/text.h).
 */
int
ui_tui_put(WINDOW *w, const char *s, size_t len, int cols)
{
	char esc[UI_TEXT_ESC];
	size_t i = 0, j, k;
	int used = 0, cw;

	while (i < len) {
		j = ui_text_next(s, len, i, &cw);
		if (used + cw > cols)
			break;
		if (s[i] == '\n')
			waddstr(w, "\xe2\x86\xb5");
		else if (ui_text_is_escaped(s, len, i, esc, &k))
			waddstr(w, esc);
		else if (cw == 1 && j - i > 3 &&
		    memcmp(s + j - 3, "\xef\xb8\x8f", 3) == 0)
			/* VS16 after a narrow character (U+1F3D4 U+FE0F):
			 * terminals disagree on its width, curses counts one
			 * column; without it every terminal draws one. */
			waddnstr(w, s + i, (int)(j - i - 3));
		else
			waddnstr(w, s + i, (int)(j - i));
		used += cw;
		i = j;
	}
	return used;
}

/* --- layout ---------------------------------------------------------- */

/* Make the windows again for the terminal's size. */
void
ui_tui_layout(struct tui *t)
{
	int convw;

	if (t->side != NULL) {
		delwin(t->side);
		delwin(t->head);
		delwin(t->conv);
		delwin(t->status);
		delwin(t->input);
		if (t->bars != NULL)
			delwin(t->bars);
		if (t->memw != NULL)
			delwin(t->memw);
		t->side = t->head = t->conv = t->status = t->input = NULL;
		t->bars = t->memw = NULL;
	}
	getmaxyx(stdscr, t->rows, t->cols);
	t->too_small = t->cols < UI_MIN_COLS || t->rows < UI_MIN_ROWS;
	/* The column between sidebar and pane belongs to no window: clear
	 * what an old layout left there. */
	erase();
	wnoutrefresh(stdscr);
	clearok(curscr, TRUE);
	t->dirty = true;
	if (t->too_small)
		return;
	t->sw = t->cols >= 100 ? UI_SIDE_COLS + 4 : UI_SIDE_COLS;
	convw = t->cols - t->sw - 1;
	t->nbars = ui_bars_count(t);
	/* The transfer lines take the sidebar's last rows, not its "▼". */
	t->side = newwin(t->rows - 2 - t->nbars, t->sw, 0, 0);
	t->head = newwin(1, convw, 0, t->sw + 1);
	/* F7 in a room: the member list takes the pane's right side. */
	t->members_laid = ui_members_shown(t);
	if (t->members_laid)
		t->memw = newwin(t->rows - 3 - t->nbars, ui_members_header(t),
		    1, t->cols - ui_members_header(t));
	t->conv = newwin(
	    t->rows - 3 - t->nbars, convw - ui_members_header(t), 1, t->sw + 1);
	t->bars = t->nbars > 0
	    ? newwin(t->nbars, t->cols, t->rows - 2 - t->nbars, 0)
	    : NULL;
	t->status = newwin(1, t->cols, t->rows - 2, 0);
	t->input = newwin(1, t->cols, t->rows - 1, 0);
	keypad(t->input, TRUE);
	nodelay(t->input, TRUE);
}

/* Draw what changed: windows are redrawn in memory, doupdate sends the
 * difference. */
static void
tui_draw(struct tui *t)
{
	char msg[80];

	t->dirty = false;
	if (t->too_small) {
		/* Two short lines, so that the sizes fit a narrow terminal. */
		erase();
		snprintf(msg, sizeof msg, "Terminal too small: %dx%d", t->cols,
		    t->rows);
		mvaddnstr(t->rows / 2 - 1, 0, msg, t->cols);
		snprintf(msg, sizeof msg, "termgram needs %dx%d.", UI_MIN_COLS,
		    UI_MIN_ROWS);
		mvaddnstr(t->rows / 2, 0, msg, t->cols);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (ui_bars_count(t) != t->nbars ||
	    ui_members_shown(t) != t->members_laid)
		ui_tui_layout(t);
	if (t->too_small) {
		tui_draw(t);
		return;
	}
	/* The column between sidebar and pane is no window's: blank it, and
	 * with it what a closed box left there. */
	werase(stdscr);
	wnoutrefresh(stdscr);
	ui_marker_scan(t);
	ui_sidebar_draw(t);
	ui_pane_draw_header(t);
	ui_pane_draw(t);
	ui_members_draw(t);
	ui_bars_draw(t);
	ui_status_draw(t);
	if (t->help)
		ui_status_draw_help(t);
	else if (t->state == CLIENT_UNTRUSTED)
		ui_status_draw_trust(t);
	ui_input_draw(t);
	if (t->dialog)
		ui_dialog_draw(t); /* last: the cursor goes to its field */
	curs_set(t->help ? 0 : 1);
	doupdate();
}
/* --- events from the client core ----------------------------------------- */

/* The connection changed: its state, why, and when it retries. */
static void
ev_state(
    void *arg, enum client_conn_state st, const char *detail, uint64_t retry)
{
	struct tui *t = arg;

	if (t->back_to_form)
		return; /* keep the reason for the form */
	t->state = st;
	snprintf(
	    t->detail, sizeof t->detail, "%s", detail != NULL ? detail : "");
	if (st == CLIENT_WAITING && t->name_in_use)
		snprintf(t->detail, sizeof t->detail,
		    "the name is in use by another session");
	t->name_in_use = false;
	t->retry_at = client_rt_now_ms() + retry;
	if (detail != NULL)
		ui_tui_log(t, "%s: %s", client_state_name(st), detail);
	if (st == CLIENT_ONLINE)
		t->was_online = true;
	if (st == CLIENT_REPLACED)
		ui_status_replaced(t, detail != NULL ? detail : "");
	/* Refused before ever getting in from the form (a wrong password, a
	 * bad name): back to the form with the reason. */
	if (st == CLIENT_FAILED && t->form && !t->was_online)
		t->quit = t->back_to_form = true;
	t->dirty = true;
}

/* A contact changed: the sidebar redraws from the core. */
static void
ev_contact(void *arg, const struct client_contact *c)
{
	struct tui *t = arg;

	(void)c;
	t->dirty = true;
}

/* A message came or went: "new below" if scrolled up, else a bell. */
static void
ev_message(void *arg, const struct client_msg *m, bool fresh)
{
	struct tui *t = arg;
	struct ui_view *v;

	if (!fresh)
		return;
	ui_notify_message(t, m);
	if (m->outgoing) {
		/* Our own message: the view follows to show it. */
		ui_pane_view(t, m->peer)->follow = true;
		t->dirty = true;
		return;
	}
	/* A room's message is the room's conversation, not its author's. */
	if (strcasecmp(ui_members_is_room(m->peer) ? m->peer : m->sender,
	        t->sel) == 0) {
		v = ui_pane_view(t, t->sel);
		if (!v->follow)
			v->news = true;
	}
	if (strcasecmp(m->sender, t->typing_peer) == 0)
		t->typing_until = 0;
	t->dirty = true;
}

/* A delivery state changed; a failure gets a notice. */
static void
ev_msg_state(void *arg, const char *id, enum client_msg_state st)
{
	struct tui *t = arg;

	(void)id;
	if (st == CLIENT_MSG_FAILED)
		ui_tui_notice(t, true,
		    "A message could not be delivered (marked "
		    "\xe2\x9c\x97); see the log");
	t->dirty = true;
}

/* The relay refused something. */
static void
ev_error(void *arg, const char *code, const char *ref, const char *text)
{
	struct tui *t = arg;

	ui_tui_log(t, "relay error %s (%s): %s", code, ref, text);
	if (ui_members_error(t, ref, text))
		return; /* /receipts: what is known said instead */
	if (strcmp(code, "NAME_IN_USE") == 0)
		t->name_in_use = true; /* said by the state that follows */
	else if (strcmp(code, "AUTH_FAILED") == 0)
		ui_tui_notice(t, true, "Login refused: %s", text);
	else if (text[0] != '\0') /* in words; the code is in the log */
		ui_tui_notice(t, true, "%s", text);
	else
		ui_tui_notice(t, true, "The relay refused it (%s)", code);
}

/* A line for the log file only. */
static void
ev_log(void *arg, const char *line)
{
	ui_tui_log(arg, "%s", line);
}

/* A peer started or stopped typing. */
static void
ev_typing(void *arg, const char *from, bool on)
{
	struct tui *t = arg;

	snprintf(t->typing_peer, sizeof t->typing_peer, "%s", from);
	t->typing_until = on ? client_rt_now_ms() + 6000 : 0;
	t->dirty = true;
}

/* A transfer changed; progress waits for the next tick. */
static void
ev_xfer(void *arg, const struct client_xfer *x)
{
	struct tui *t = arg;
	char where[4400];

	if (x->state != CLIENT_XFER_ACTIVE && x->state != CLIENT_XFER_HASHING)
		ui_notify_xfer(t, x); /* its entry where it was offered */
	switch (x->state) {
	case CLIENT_XFER_ACTIVE:
	case CLIENT_XFER_HASHING:
		/* Progress: drawn by the next tick, a few times a second. */
		t->xfer_moved = true;
		return;
	case CLIENT_XFER_INCOMING:
		if (strcasecmp(x->peer, t->sel) != 0) {
			if (t->cfg.bell)
				beep();
			ui_bars_notice_offer(t, x);
		}
		break;
	case CLIENT_XFER_DONE:
		if (x->outgoing)
			ui_tui_notice(t, false, "%s: verified, saved by %s",
			    x->name, x->peer);
		else {
			/* Narrow: the folder and the name's end, apart. */
			ui_paths_where("saved as", "saved in", "as", x->path,
			    t->cols - 30, where, sizeof where);
			ui_tui_notice(t, false,
			    "%s: verified, saved as %s" UI_NOTICE_OR
			    "verified, %s",
			    x->name, x->path, where);
		}
		ui_tui_log(t, "transfer %s %s %s: done, %s", x->id,
		    x->outgoing ? "to" : "from", x->peer, x->path);
		break;
	case CLIENT_XFER_FAILED:
		ui_tui_notice(t, true, "%s: %s", x->name, x->reason);
		break;
	default:
		break;
	}
	t->dirty = true;
}

/* Caught up with the relay: open a first conversation. */
static void
ev_synced(void *arg)
{
	struct tui *t = arg;
	size_t i;

	ui_marker_scan(t); /* before opening one reads it */
	/* First time: the conversation open at the last quit, else the
	 * first one with someone else. */
	if (t->sel[0] == '\0') {
		ui_sidebar_refresh(t);
		i = ui_nav_restore(t) ? t->nroster : 0;
		for (; i < t->nroster; i++) {
			if (strcasecmp(t->roster[i].name,
			        client_session_me(t->s)) != 0) {
				ui_sidebar_select(t, t->roster[i].name);
				break;
			}
		}
	}
	t->dirty = true;
}

static struct client_events tui_events = {
    .on_state = ev_state,
    .on_contact = ev_contact,
    .on_synced = ev_synced,
    .on_message = ev_message,
    .on_msg_state = ev_msg_state,
    .on_error = ev_error,
    .on_typing = ev_typing,
    .on_xfer = ev_xfer,
    .on_log = ev_log,
    .on_active = ui_lists_active,
    .on_devcount = ui_status_devcount,
};

/* --- signals and timers ---------------------------------------------- */

/* SIGINT, SIGTERM, SIGHUP: quit at the end of the turn. */
static void
on_quit_signal(int sig, void *arg)
{
	struct tui *t = arg;

	(void)sig;
	t->quit = true;
}

/* The terminal was resized: lay the windows out again. */
static void
on_winch(int sig, void *arg)
{
	struct tui *t = arg;
	struct winsize ws;

	(void)sig;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui_tui_layout(t);
}

/* Ctrl-Z: give the terminal back, stop, take it again on fg. */
static void
on_tstp(int sig, void *arg)
{
	struct tui *t = arg;

	(void)sig;
	/* Give the terminal back, stop, and take it again on fg. */
	ui_tui_modes_off();
	endwin();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	client_rt_signal(t->rt, SIGTSTP, on_tstp, t);
	ui_tui_modes_on();
	refresh();
	ui_tui_layout(t);
}

/* Every 250 ms: move the bars, count down, expire notices. */
static void
on_tick(void *arg)
{
	struct tui *t = arg;

	/* Transfer bars move four times a second; countdowns, typing and
	 * notices expire by the clock. */
	if (t->xfer_moved || ++t->ticks % 4 == 0)
		t->dirty = true;
	t->xfer_moved = false;
	ui_sidebar_read_check(t);
}

/* --- start -------------------------------------------------------------- */

/* The colour pairs, unless colour is off or missing: the default theme
 * (for dark backgrounds) or light. */
static void
colors(struct tui *t)
{
	static const short palette[2][UI_COLOR_NEW + 1] = {
	    {-1, COLOR_CYAN, COLOR_GREEN, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE,
	        COLOR_RED, -1, COLOR_CYAN, COLOR_GREEN, COLOR_MAGENTA},
	    {-1, COLOR_BLUE, COLOR_MAGENTA, COLOR_GREEN, COLOR_RED, COLOR_CYAN,
	        COLOR_RED, -1, COLOR_BLUE, COLOR_GREEN, COLOR_MAGENTA},
	};
	static const short nicks[2][UI_ROOM_NICK_COLORS] = {
	    {COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA, COLOR_RED},
	    {COLOR_GREEN, COLOR_RED, COLOR_CYAN, COLOR_MAGENTA, COLOR_YELLOW},
	};
	int c, light = t->cfg.theme == UI_THEME_LIGHT;

	if (!t->cfg.color || !has_colors()) {
		t->cfg.color = false;
		return;
	}
	start_color();
	use_default_colors();
	for (c = UI_COLOR_OWN; c <= UI_COLOR_NEW; c++)
		init_pair((short)c, palette[light][c], -1);
	/* Members' names: never the colour of our own messages. */
	for (c = 0; c < UI_ROOM_NICK_COLORS; c++)
		init_pair((short)(UI_COLOR_NICK + c), nicks[light][c], -1);
	init_pair(UI_COLOR_HIGHLIGHT, COLOR_BLACK, COLOR_YELLOW);
}

/* The config file, then the options over it; false if the file is bad. */
static bool
configure(struct tui *t, const struct ui_options *o, char *err, size_t len)
{
	char cfgpath[1024];
	bool bad;

	ui_config_defaults(&t->cfg);
	bad = ui_config_path(cfgpath, sizeof cfgpath) == 0 &&
	    ui_config_load(&t->cfg, cfgpath, err, (int)len) != 0;
	if (o->host != NULL)
		snprintf(t->cfg.host, sizeof t->cfg.host, "%s", o->host);
	if (o->port != 0)
		t->cfg.port = o->port;
	if (o->host != NULL || o->port != 0)
		t->cfg.relay_set = true;
	if (o->p2p)
		t->cfg.p2p = true;
	if (o->light)
		t->cfg.light = true;
	if (o->tls >= 0)
		t->cfg.tls = o->tls == 1;
	if (o->p2p_port != 0)
		t->cfg.p2p_port = o->p2p_port;
	if (o->user != NULL)
		snprintf(t->cfg.user, sizeof t->cfg.user, "%s", o->user);
	return bad;
}

/* Take the terminal: curses, the crash handlers, keys, colours. */
static void
start_curses(struct tui *t)
{
	initscr();
	the_tui = t;
	signal(SIGSEGV, crash_handler);
	signal(SIGBUS, crash_handler);
	signal(SIGFPE, crash_handler);
	signal(SIGILL, crash_handler);
	signal(SIGABRT, crash_handler);
	cbreak();
	noecho();
	nonl();
	set_escdelay(25);
	keypad(stdscr, TRUE);
	define_key("\033[200~", UI_KEY_PASTE_BEGIN_CURSES);
	define_key("\033[201~", UI_KEY_PASTE_END_CURSES);
	define_key("\033[1;5A", UI_KEY_CTRL_UP_CURSES);
	define_key("\033[1;5B", UI_KEY_CTRL_DOWN_CURSES);
	ui_notify_keys();
	colors(t);
}

/* The session, from the config; NULL with err set if it cannot start. */
static struct client_session *
start_session(struct tui *t, const char *data, const char *password, char *err,
    size_t len)
{
	struct client_config cc;

	client_config_defaults(&cc);
	cc.host = t->cfg.host;
	cc.port = t->cfg.port;
	cc.p2p = t->cfg.p2p || t->cfg.light;
	cc.p2p_port = t->cfg.p2p_port;
	cc.light = t->cfg.light;
	cc.tls = t->cfg.tls;
	cc.trust = CLIENT_TRUST_ASK;
	cc.user = t->cfg.user;
	cc.password = password;
	cc.data_dir = data;
	if (t->cfg.download_dir[0] != '\0')
		cc.download_dir = t->cfg.download_dir;
	cc.max_file_size = t->cfg.max_file_size;
	cc.part_max_age = t->cfg.part_max_age;
	ui_members_events(&tui_events);
	return client_session_new(
	    client_rt_loop(t->rt), &cc, &tui_events, t, err, len);
}

/* The screen's own state, the mouse, and what the loop watches. */
static void
start_screen(struct tui *t)
{
	t->views = util_map_new();
	t->lines = xmalloc(sizeof *t->lines);
	ui_editor_init(&t->ed);
	ui_editor_init(&t->path);
	ui_editor_init(&t->jump);
	t->hist = ui_history_new();
	ui_format_set_clock(t->cfg.time_format);
	t->time_cols = ui_format_clock_cols();
	mousemask(!t->cfg.mouse
	        ? 0
	        : BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	            | BUTTON5_PRESSED
#endif
	    ,
	    NULL);
	mouseinterval(0);
	/* Keys are read from stdscr while the terminal is too small: never
	 * wait there, or the loop (signals, resizes) stops. */
	nodelay(stdscr, TRUE);
	ui_tui_modes_on();
	ui_members_start(t);
	ui_tui_layout(t);
	client_rt_watch_input(t->rt, STDIN_FILENO, ui_input_ready, t);
	client_rt_signal(t->rt, SIGINT, on_quit_signal, t);
	client_rt_signal(t->rt, SIGTERM, on_quit_signal, t);
	client_rt_signal(t->rt, SIGHUP, on_quit_signal, t);
	client_rt_signal(t->rt, SIGWINCH, on_winch, t);
	client_rt_signal(t->rt, SIGTSTP, on_tstp, t);
	client_rt_every(t->rt, 250, on_tick, t);
	signal(SIGPIPE, SIG_IGN);
}

/* Say goodbye, give the terminal back, free everything. */
static void
finish(struct tui *t)
{
	int i;

	/* What is unsent stays in the outbox on disk. */
	ui_nav_remember(t);
	client_session_stop(t->s);
	for (i = 0; i < 3; i++)
		client_rt_run_once(t->rt, 10);
	ui_notify_stop(t);
	ui_tui_modes_off();
	endwin();
	the_tui = NULL;
	ui_tui_log(t, "quit");
	client_session_free(t->s);
	ui_editor_fini(&t->ed);
	ui_editor_fini(&t->path);
	ui_editor_fini(&t->jump);
	ui_history_free(t->hist);
	ui_pane_free_views(t);
	ui_lists_close(t);
	ui_marker_free(t);
	ui_members_free(t);
	free(t->lines);
	free(t->roster);
	if (t->log != NULL)
		fclose(t->log);
	if (t->lockfd >= 0)
		close(t->lockfd);
	client_rt_free(t->rt);
}

/* Where the user's data lives: --data, or the default for user@host. */
static void
data_dir(struct tui *t, const struct ui_options *o, char *data, size_t len)
{
	if (o->data_dir != NULL)
		snprintf(data, len, "%s", o->data_dir);
	else if (client_default_data_dir(t->cfg.user, t->cfg.host, data, len) !=
	    0)
		snprintf(
		    data, len, "./termgram-%s@%s", t->cfg.user, t->cfg.host);
}

/*
 * One session, from the config and password, until the user quits or
 * (from the form) the relay refuses the login. Returns the status.
 */
static int
tui_run(struct tui *t, const struct ui_options *o, char *password, size_t pwlen,
    const char *cfg_err)
{
	char err[512] = "", data[1024], logpath[1100];
	int status = 0;

	data_dir(t, o, data, sizeof data);
	snprintf(t->relay, sizeof t->relay, "%s:%u", t->cfg.host, t->cfg.port);
	t->rt = client_rt_new();
	t->s = start_session(t, data, password, err, sizeof err);
	memset(password, 0, pwlen);
	if (t->s == NULL) {
		endwin();
		the_tui = NULL;
		fprintf(stderr, "termgram: %s\n", err);
		client_rt_free(t->rt);
		return 1;
	}
	snprintf(logpath, sizeof logpath, "%s/termgram.log", data);
	t->log = fopen(logpath, "a");
	/* Headless commands with this folder see it and leave us be. */
	snprintf(logpath, sizeof logpath, "%s/%s", data, CLIENT_LOCK_FILE);
	if ((t->lockfd = open(logpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >=
	    0)
		(void)flock(t->lockfd, LOCK_EX | LOCK_NB);
	ui_tui_log(t, "started as %s on %s", t->cfg.user, t->relay);
	if (cfg_err != NULL)
		ui_tui_notice(t, true, "%s", cfg_err);
	start_screen(t);
	ui_notify_start(t, data);
	client_session_start(t->s);
	tui_draw(t);
	while (!t->quit) {
		if (client_rt_run_once(t->rt, -1) < 0 && errno != EINTR) {
			status = 1;
			break;
		}
		if (t->dirty)
			tui_draw(t);
	}
	finish(t);
	return status;
}

/* Run the full-screen client until the user quits. Returns the status. */
int
ui_tui_main(const struct ui_options *o)
{
	struct tui t;
	struct ui_config cfg;
	char err[512] = "", password[256] = "", formerr[128] = "";
	const char *pw = getenv("TERMGRAM_PASSWORD");
	int status;
	bool cfg_bad;

	memset(&t, 0, sizeof t);
	t.lockfd = -1;
	/* Text is UTF-8: with no multibyte locale (LANG unset), C.UTF-8. */
	if (setlocale(LC_ALL, "") == NULL || MB_CUR_MAX == 1)
		setlocale(LC_CTYPE, "C.UTF-8");
	cfg_bad = configure(&t, o, err, sizeof err);
	if (pw != NULL)
		snprintf(password, sizeof password, "%s", pw);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		    "termgram: the full-screen client needs a "
		    "terminal (or use send, recv, who)\n");
		return 2;
	}
	start_curses(&t);
	/* No relay given: the form, with the relays found on the LAN. */
	t.form = t.cfg.user[0] == '\0' || !t.cfg.relay_set;
	for (;;) {
		if (t.form &&
		    ui_login_form(&t.cfg, password, sizeof password, formerr) !=
		        0) {
			endwin();
			the_tui = NULL;
			return 0;
		}
		status = tui_run(
		    &t, o, password, sizeof password, cfg_bad ? err : NULL);
		if (!t.back_to_form)
			return status;
		/* Refused: the form again, saying why, with a fresh screen. */
		snprintf(formerr, sizeof formerr, "Refused: %.100s", t.detail);
		cfg = t.cfg;
		memset(&t, 0, sizeof t);
		t.lockfd = -1;
		t.cfg = cfg;
		t.form = true;
		the_tui = &t;
		cfg_bad = false;
	}
}
