/*
 * The full-screen client: curses windows drawn from the client core's
 * state. Layout:
 *
 *   +-----------+--------------------------------------+
 *   | Contacts  | header: name, presence, typing       |
 *   | sidebar   | conversation                         |
 *   +-----------+--------------------------------------+
 *   | status: who, relay, connection, pending           |
 *   | > input line                                      |
 *   +---------------------------------------------------+
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <dirent.h>

#include "client/convo.h"
#include "client/session.h"
#include "client/runtime.h"
#include "ui/config.h"
#include "ui/editor.h"
#include "ui/paths.h"
#include "ui/text.h"
#include "ui/tui.h"
#include "util/map.h"
#include "util/xmalloc.h"

#define MIN_COLS 60
#define MIN_ROWS 12
#define SIDE_COLS 22
#define TIME_COLS 6
#define LONG_PASTE 4096
#define LONG_LINES 20
#define KEY_PASTE_BEGIN (KEY_MAX + 1)
#define KEY_PASTE_END (KEY_MAX + 2)

enum {
	PAIR_OWN = 1,
	PAIR_PEER,
	PAIR_ONLINE,
	PAIR_UNREAD,
	PAIR_STATUS,
	PAIR_ERROR,
	PAIR_DIM,
	PAIR_MARK
};

/* Where a conversation is scrolled to: view state, kept per peer. */
struct view {
	bool follow; /* stuck to the newest message */
	size_t top; /* entry at the top of the pane */
	int top_line; /* lines of it above the pane */
	bool news; /* something new below while scrolled up */
	long hit; /* last search hit, or -1 */
};

struct tui {
	struct client_rt *rt;
	struct client_session *s;
	struct ui_config cfg;
	char relay[300];
	FILE *log;

	WINDOW *side, *head, *conv, *status, *input, *bars;
	int rows, cols, sw;
	bool too_small;

	struct ui_editor ed;
	struct client_contact *roster;
	size_t nroster;
	char sel[33];
	struct util_map *views;

	bool paste;
	bool confirm; /* long paste: asking */
	bool help;
	bool quit;
	bool dialog; /* the send-a-file dialog is open */
	struct ui_editor path; /* its path field */
	bool xfer_moved; /* progress to show at the next tick */
	int nbars; /* transfer lines above the status line */
	unsigned ticks;
	bool dirty;
	char search[128];

	enum client_conn_state state;
	char detail[160];
	uint64_t retry_at; /* monotonic ms */
	char notice[256];
	bool notice_error;
	uint64_t notice_until;
	char typing_peer[33];
	uint64_t typing_until;
	char typing_to[33];
};

static struct tui *the_tui; /* for the crash handler */

static void tui_draw(struct tui *);

static void tui_log(struct tui *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void notice(struct tui *, bool, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
tui_log(struct tui *t, const char *fmt, ...)
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

static void
notice(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->notice, sizeof t->notice, fmt, ap);
	va_end(ap);
	t->notice_error = error;
	t->notice_until = client_rt_now_ms() + 6000;
	t->dirty = true;
	if (error)
		tui_log(t, "%s", t->notice);
}

/* --- terminal modes -------------------------------------------------- */

static void
modes_on(void)
{
	/* Bracketed paste: a paste arrives between ESC[200~ and ESC[201~. */
	fputs("\033[?2004h", stdout);
	fflush(stdout);
}

static void
modes_off(void)
{
	fputs("\033[?2004l\033[?1000l\033[?1002l\033[?1006l", stdout);
	fflush(stdout);
}

static void
crash_handler(int sig)
{
	static const char off[] = "\033[?2004l\033[?1000l\033[?1006l";

	/* Give the terminal back before dying. */
	if (the_tui != NULL)
		endwin();
	(void)!write(STDOUT_FILENO, off, sizeof off - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* --- roster and views -------------------------------------------------- */

static void
roster_refresh(struct tui *t)
{
	const struct client_contact *c;
	size_t n;

	c = client_session_contacts(t->s, &n);
	t->roster = xreallocarray(t->roster, n + 1, sizeof *t->roster);
	if (n > 0)
		memcpy(t->roster, c, n * sizeof *c);
	t->nroster = n;
	client_roster_sort(t->roster, n);
}

static long
roster_index(struct tui *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nroster; i++) {
		if (strcasecmp(t->roster[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

static struct view *
view_of(struct tui *t, const char *peer)
{
	struct view *v;
	char key[33];
	size_t i;

	for (i = 0; peer[i] != '\0' && i < 32; i++)
		key[i] = (char)(peer[i] >= 'A' && peer[i] <= 'Z'
		        ? peer[i] - 'A' + 'a'
		        : peer[i]);
	if ((v = util_map_get(t->views, key, i)) == NULL) {
		v = xcalloc(1, sizeof *v);
		v->follow = true;
		v->hit = -1;
		util_map_set(t->views, key, i, v);
	}
	return v;
}

static void
select_contact(struct tui *t, const char *name)
{
	if (t->sel[0] != '\0' && strcasecmp(t->sel, name) != 0 &&
	    t->typing_to[0] != '\0') {
		client_session_typing(t->s, t->typing_to, false);
		t->typing_to[0] = '\0';
	}
	snprintf(t->sel, sizeof t->sel, "%s", name);
	client_convos_get(client_session_convos(t->s), name);
	client_session_set_active(t->s, name);
	t->dirty = true;
}

static void
move_selection(struct tui *t, int delta)
{
	long i;

	roster_refresh(t);
	if (t->nroster == 0)
		return;
	i = roster_index(t, t->sel);
	if (i < 0)
		i = 0;
	else {
		i += delta;
		if (i < 0)
			i = 0;
		if (i >= (long)t->nroster)
			i = (long)t->nroster - 1;
	}
	select_contact(t, t->roster[i].name);
}

/* --- transfers ------------------------------------------------------ */

static bool
xfer_moving(const struct client_xfer *x)
{
	return x->state == CLIENT_XFER_ACTIVE ||
	    x->state == CLIENT_XFER_HASHING ||
	    x->state == CLIENT_XFER_VERIFYING ||
	    x->state == CLIENT_XFER_OFFERED || x->state == CLIENT_XFER_PAUSED;
}

/* Transfer lines above the status line: the moving ones, three at most. */
static int
active_bars(struct tui *t)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	size_t i;
	int n = 0;

	for (i = 0; i < client_xfers_count(xs) && n < 3; i++)
		n += xfer_moving(client_xfers_at(xs, i));
	return n;
}

static void
human(double v, char *out, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

/*
 * One line about a transfer: bar, percentage, bytes, rate, ETA. It starts
 * with its direction, ↑ or ↓, then ⇄ when it goes over a direct
 * connection (P2P), as messages do.
 */
static void
xfer_line(const struct client_xfer *x, int width, char *out, size_t len)
{
	char done[24], total[24], rate[24], bar[64 * 3 + 1], eta[32] = "";
	double f = x->size > 0 ? (double)x->done / (double)x->size : 1;
	int bw = width / 5, i, k, o = 0;
	const char *arrow = x->outgoing
	    ? (x->direct ? "\xe2\x86\x91\xe2\x87\x84" : "\xe2\x86\x91")
	    : (x->direct ? "\xe2\x86\x93\xe2\x87\x84" : "\xe2\x86\x93");

	if (bw > 30)
		bw = 30;
	if (bw < 6)
		bw = 6;
	human((double)x->done, done, sizeof done);
	human((double)x->size, total, sizeof total);
	human(x->rate, rate, sizeof rate);
	k = (int)(f * bw + 0.5);
	for (i = 0; i < bw; i++) {
		const char *g = i < k ? "\xe2\x96\x88" : "\xe2\x96\x91";
		memcpy(bar + o, g, 3); /* █ or ░ */
		o += 3;
	}
	bar[o] = '\0';
	if (x->rate > 1 && x->size > x->done)
		snprintf(eta, sizeof eta, ", %.0f s left",
		    (double)(x->size - x->done) / x->rate);
	switch (x->state) {
	case CLIENT_XFER_DONE:
		snprintf(out, len, "%s %s %s: verified, %s%s", arrow, x->name,
		    total, x->outgoing ? "saved by " : "saved as ",
		    x->outgoing ? x->peer : x->path);
		return;
	case CLIENT_XFER_FAILED:
		snprintf(
		    out, len, "%s %s: %s", "\xe2\x9c\x97", x->name, x->reason);
		return;
	case CLIENT_XFER_INCOMING:
		snprintf(out, len,
		    "%s %s offers %s (%s): Ctrl-O "
		    "accept, Ctrl-X reject",
		    arrow, x->peer, x->name, total);
		return;
	case CLIENT_XFER_HASHING:
		snprintf(out, len,
		    "\xe2\x86\x91 %s (%s): computing its "
		    "SHA-256\xe2\x80\xa6",
		    x->name, total);
		return;
	case CLIENT_XFER_OFFERED:
		snprintf(out, len,
		    "%s %s (%s): offered to %s, "
		    "waiting for an answer (Ctrl-X cancels)",
		    arrow, x->name, total, x->peer);
		return;
	case CLIENT_XFER_PAUSED:
		snprintf(out, len, "%s %s %s %3.0f%%: paused%s%s", arrow,
		    x->name, bar, f * 100, x->reason[0] != '\0' ? ", " : "",
		    x->reason);
		return;
	default:
		snprintf(out, len, "%s %s %s %3.0f%% %s of %s, %s/s%s%s", arrow,
		    x->name, bar, f * 100, done, total, rate, eta,
		    x->state == CLIENT_XFER_VERIFYING ? ", verifying" : "");
	}
}

/* The transfer with peer that wants an answer or can be cancelled. */
static const struct client_xfer *
xfer_for(struct tui *t, const char *peer, bool offers_only)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	const struct client_xfer *x;
	size_t i;

	for (i = 0; i < client_xfers_count(xs); i++) {
		x = client_xfers_at(xs, i);
		if (strcasecmp(x->peer, peer) != 0)
			continue;
		if (x->state == CLIENT_XFER_INCOMING ||
		    (!offers_only && xfer_moving(x)))
			return x;
	}
	return NULL;
}

/* Transfers shown at the bottom of the selected conversation. */
static size_t
conv_xfers(struct tui *t, const struct client_xfer **out, size_t max)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	const struct client_xfer *x;
	size_t i, n = 0, ended = 0;

	if (t->sel[0] == '\0')
		return 0;
	/* Newest first: every live one, and the two last that ended. */
	for (i = client_xfers_count(xs); i > 0 && n < max; i--) {
		x = client_xfers_at(xs, i - 1);
		if (strcasecmp(x->peer, t->sel) != 0)
			continue;
		if (x->state == CLIENT_XFER_DONE ||
		    x->state == CLIENT_XFER_FAILED) {
			if (ended++ >= 2)
				continue;
		}
		out[n++] = x;
	}
	return n;
}

/* Rows of the conversation pane left for messages. */
static int
conv_rows(struct tui *t)
{
	const struct client_xfer *x[4];
	int h = getmaxy(t->conv), k = (int)conv_xfers(t, x, 4);

	return h - k > 3 ? h - k : 3;
}

/* --- layout ---------------------------------------------------------- */

static void
layout(struct tui *t)
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
		t->side = t->head = t->conv = t->status = t->input = NULL;
		t->bars = NULL;
	}
	getmaxyx(stdscr, t->rows, t->cols);
	t->too_small = t->cols < MIN_COLS || t->rows < MIN_ROWS;
	/* The column between sidebar and pane belongs to no window: clear
	 * what an old layout left there. */
	erase();
	wnoutrefresh(stdscr);
	clearok(curscr, TRUE);
	t->dirty = true;
	if (t->too_small)
		return;
	t->sw = t->cols >= 100 ? SIDE_COLS + 4 : SIDE_COLS;
	convw = t->cols - t->sw - 1;
	t->side = newwin(t->rows - 2, t->sw, 0, 0);
	t->head = newwin(1, convw, 0, t->sw + 1);
	t->nbars = active_bars(t);
	t->conv = newwin(t->rows - 3 - t->nbars, convw, 1, t->sw + 1);
	t->bars = t->nbars > 0
	    ? newwin(t->nbars, t->cols, t->rows - 2 - t->nbars, 0)
	    : NULL;
	t->status = newwin(1, t->cols, t->rows - 2, 0);
	t->input = newwin(1, t->cols, t->rows - 1, 0);
	keypad(t->input, TRUE);
	nodelay(t->input, TRUE);
}

/* --- drawing ------------------------------------------------------------ */

static attr_t
pair(struct tui *t, short p)
{
	return t->cfg.color ? COLOR_PAIR(p) : 0;
}

/* Write at most cols columns of s (whole characters), no control bytes. */
static int
put_text(WINDOW *w, const char *s, size_t len, int cols)
{
	size_t i = 0, j;
	int used = 0, cw;

	while (i < len) {
		j = ui_text_next(s, len, i, &cw);
		if (used + cw > cols)
			break;
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			waddstr(w, s[i] == '\n' ? "\xe2\x86\xb5" : "?");
		} else
			waddnstr(w, s + i, (int)(j - i));
		used += cw;
		i = j;
	}
	return used;
}

static void
draw_sidebar(struct tui *t)
{
	WINDOW *w = t->side;
	int h, i, first = 0, row;
	long sel;
	char num[16];
	struct client_contact *c;

	werase(w);
	h = getmaxy(w);
	wattron(w, A_BOLD);
	mvwaddstr(w, 0, 1, "Contacts");
	wattroff(w, A_BOLD);
	mvwvline_set(w, 0, t->sw - 1, WACS_VLINE, h);
	roster_refresh(t);
	sel = roster_index(t, t->sel);
	if (sel >= h - 1)
		first = (int)sel - (h - 2);
	for (i = first, row = 1; i < (int)t->nroster && row < h; i++, row++) {
		c = &t->roster[i];
		if (i == sel)
			wattron(w, A_REVERSE);
		mvwhline(w, row, 0, ' ', t->sw - 1);
		wmove(w, row, 1);
		if (c->online) {
			wattron(w, pair(t, PAIR_ONLINE) | A_BOLD);
			waddstr(w, "\xe2\x97\x8f"); /* ● */
			wattroff(w, pair(t, PAIR_ONLINE) | A_BOLD);
		} else {
			wattron(w, pair(t, PAIR_DIM) | A_DIM);
			waddstr(w, "\xe2\x97\x8b"); /* ○ */
			wattroff(w, pair(t, PAIR_DIM) | A_DIM);
		}
		waddch(w, ' ');
		num[0] = '\0';
		{
			const struct client_xfer *x =
			    xfer_for(t, c->name, false);
			if (x != NULL && x->state == CLIENT_XFER_ACTIVE &&
			    c->unread == 0)
				snprintf(num, sizeof num, "%d%%",
				    (int)(x->size > 0 ? 100 * x->done / x->size
				                      : 100));
		}
		if (c->unread > 0) {
			snprintf(num, sizeof num, "%s%u",
			    c->unread > 999 ? ">" : "",
			    c->unread > 999 ? 999 : c->unread);
			wattron(w, A_BOLD | pair(t, PAIR_UNREAD));
		}
		put_text(
		    w, c->name, strlen(c->name), t->sw - 5 - (int)strlen(num));
		if (num[0] != '\0')
			mvwaddstr(w, row, t->sw - 2 - (int)strlen(num), num);
		if (c->unread > 0)
			wattroff(w, A_BOLD | pair(t, PAIR_UNREAD));
		if (i == sel)
			wattroff(w, A_REVERSE);
	}
	if (t->nroster == 0)
		mvwaddstr(w, 2, 1, "(nobody yet)");
	wnoutrefresh(w);
}

static const char *
when_text(uint64_t ms, char *buf, size_t len)
{
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%H:%M", &tm);
	return buf;
}

static void
draw_header(struct tui *t)
{
	WINDOW *w = t->head;
	long i = roster_index(t, t->sel);
	struct view *v;
	char buf[64], line[256];
	int n;

	werase(w);
	if (t->sel[0] == '\0') {
		mvwaddstr(w, 0, 1,
		    "No conversation: pick a contact with "
		    "Up/Down");
		wnoutrefresh(w);
		return;
	}
	wattron(w, A_BOLD);
	mvwaddstr(w, 0, 1, t->sel);
	wattroff(w, A_BOLD);
	if (i >= 0 && t->roster[i].online) {
		wattron(w, pair(t, PAIR_ONLINE));
		waddstr(w, "  online");
		wattroff(w, pair(t, PAIR_ONLINE));
	} else if (i >= 0) {
		wattron(w, A_DIM);
		if (t->roster[i].last_seen > 0)
			n = snprintf(line, sizeof line,
			    "  offline, last seen %s",
			    when_text(t->roster[i].last_seen, buf, sizeof buf));
		else
			n = snprintf(line, sizeof line, "  offline");
		waddnstr(w, line, n);
		wattroff(w, A_DIM);
	}
	if (strcasecmp(t->typing_peer, t->sel) == 0 &&
	    client_rt_now_ms() < t->typing_until) {
		wattron(w, A_DIM);
		waddstr(w, "  typing\xe2\x80\xa6");
		wattroff(w, A_DIM);
	}
	v = view_of(t, t->sel);
	if (!v->follow) {
		wattron(w, A_BOLD | pair(t, PAIR_UNREAD));
		mvwaddstr(w, 0, getmaxx(w) - (v->news ? 22 : 14),
		    v->news ? "\xe2\x86\x93 new below (End)"
		            : "scrolled (End)");
		wattroff(w, A_BOLD | pair(t, PAIR_UNREAD));
	}
	wnoutrefresh(w);
}

/* One rendered line of a message. */
struct rline {
	int kind; /* 0 date, 1 first, 2 more */
	size_t off, len;
};

#define MAX_RLINES 4096

static char rbuf[32768 + 64];

/*
 * The lines of entry i: a date line when the day changes, then its text
 * ("name: body") wrapped to the pane. The text is composed in rbuf.
 */
static int
entry_lines(
    struct tui *t, struct client_convo *c, size_t i, struct rline *out, int max)
{
	struct client_entry *e = &c->e[i];
	static struct ui_span spans[MAX_RLINES];
	time_t a, b;
	struct tm ta, tb;
	size_t n, k, namelen;
	int width = getmaxx(t->conv) - TIME_COLS - 3, count = 0;

	if (i == 0 ||
	    (a = (time_t)(c->e[i - 1].ts / 1000), b = (time_t)(e->ts / 1000),
	        localtime_r(&a, &ta), localtime_r(&b, &tb),
	        ta.tm_yday != tb.tm_yday || ta.tm_year != tb.tm_year)) {
		if (out != NULL && count < max)
			out[count].kind = 0;
		count++;
	}
	namelen = strlen(e->sender);
	memcpy(rbuf, e->sender, namelen);
	memcpy(rbuf + namelen, ": ", 2);
	n = e->len < 32768 ? e->len : 32768;
	memcpy(rbuf + namelen + 2, e->body, n);
	n += namelen + 2;
	k = ui_wrap(rbuf, n, width, spans, MAX_RLINES);
	if (k > MAX_RLINES)
		k = MAX_RLINES;
	for (size_t j = 0; j < k; j++) {
		if (out != NULL && count < max) {
			out[count].kind = j == 0 ? 1 : 2;
			out[count].off = spans[j].off;
			out[count].len = spans[j].len;
		}
		count++;
	}
	return count;
}

static const char *
mark_of(const struct client_entry *e, short *p)
{
	*p = PAIR_MARK;
	switch (e->state) {
	case CLIENT_MSG_PENDING:
		*p = PAIR_DIM;
		return "\xe2\x80\xa6"; /* … */
	case CLIENT_MSG_STORED:
		*p = PAIR_DIM;
		return "\xe2\x9c\x93"; /* ✓ */
	case CLIENT_MSG_DELIVERED:
		*p = PAIR_DIM;
		return "\xe2\x9c\x93\xe2\x9c\x93"; /* ✓✓ */
	case CLIENT_MSG_READ:
		return "\xe2\x9c\x93\xe2\x9c\x93";
	case CLIENT_MSG_FAILED:
		*p = PAIR_ERROR;
		return "\xe2\x9c\x97"; /* ✗ */
	default:
		return "";
	}
}

/* Put the anchor of v where the newest message ends at the bottom. */
static void
anchor_bottom(struct tui *t, struct client_convo *c, struct view *v)
{
	int h = conv_rows(t), total = 0, n;
	size_t i = c->n;

	v->top = 0;
	v->top_line = 0;
	while (i > 0) {
		i--;
		n = entry_lines(t, c, i, NULL, 0);
		if (total + n >= h) {
			v->top = i;
			v->top_line = total + n - h;
			return;
		}
		total += n;
	}
}

static void
scroll_up(struct tui *t, struct client_convo *c, struct view *v, int k)
{
	size_t more;

	if (c->n == 0)
		return;
	if (v->follow)
		anchor_bottom(t, c, v);
	v->follow = false;
	while (k > 0) {
		if (v->top_line >= k) {
			v->top_line -= k;
			break;
		}
		k -= v->top_line;
		v->top_line = 0;
		if (v->top == 0) {
			/* Pages grow with the history: loading stays linear
			 * all the way up a long conversation. */
			more =
			    client_convo_load_older(client_session_convos(t->s),
			        c, c->n > 200 ? c->n : 200);
			if (more == 0)
				break;
			v->top += more;
			if (v->hit >= 0)
				v->hit += (long)more;
		}
		v->top--;
		v->top_line = entry_lines(t, c, v->top, NULL, 0);
	}
	t->dirty = true;
}

static void
scroll_down(struct tui *t, struct client_convo *c, struct view *v, int k)
{
	int h = conv_rows(t), below = 0, n;
	size_t i;

	if (v->follow)
		return;
	v->top_line += k;
	while (v->top < c->n &&
	    v->top_line >= (n = entry_lines(t, c, v->top, NULL, 0))) {
		v->top_line -= n;
		v->top++;
	}
	/* At the bottom again: follow new messages. */
	for (i = v->top; i < c->n && below <= h; i++)
		below += entry_lines(t, c, i, NULL, 0);
	below -= v->top_line;
	if (v->top >= c->n || below <= h) {
		v->follow = true;
		v->news = false;
	}
	t->dirty = true;
}

static void
draw_conv_messages(struct tui *t)
{
	static struct rline lines[MAX_RLINES];
	WINDOW *w = t->conv;
	struct client_convo *c;
	struct client_entry *e;
	struct view *v;
	int h = conv_rows(t), width = getmaxx(w), row = 0, n, j, skip;
	size_t i;
	char buf[64];
	const char *mark;
	short mp;
	time_t tt;
	struct tm tm;

	werase(w);
	if (t->sel[0] == '\0') {
		wnoutrefresh(w);
		return;
	}
	c = client_convos_get(client_session_convos(t->s), t->sel);
	v = view_of(t, t->sel);
	if (c->n == 0) {
		wattron(w, A_DIM);
		mvwprintw(w, 1, 2,
		    "No messages with %s yet. Type below and "
		    "press Enter.",
		    t->sel);
		wattroff(w, A_DIM);
		wnoutrefresh(w);
		return;
	}
	if (v->follow)
		anchor_bottom(t, c, v);
	if (v->top >= c->n)
		v->top = c->n - 1;
	skip = v->top_line;
	for (i = v->top; i < c->n && row < h; i++) {
		e = &c->e[i];
		n = entry_lines(t, c, i, lines, MAX_RLINES);
		if (n > MAX_RLINES)
			n = MAX_RLINES;
		for (j = skip; j < n && row < h; j++, row++) {
			wmove(w, row, 0);
			if (lines[j].kind == 0) {
				tt = (time_t)(e->ts / 1000);
				localtime_r(&tt, &tm);
				strftime(buf, sizeof buf, " %A %d %B %Y ", &tm);
				wattron(w, A_DIM | pair(t, PAIR_DIM));
				mvwhline_set(w, row, 0, WACS_HLINE, width);
				mvwaddstr(w, row,
				    (width - (int)strlen(buf)) / 2, buf);
				wattroff(w, A_DIM | pair(t, PAIR_DIM));
				continue;
			}
			if (lines[j].kind == 1) {
				wattron(w, A_DIM);
				waddstr(w, when_text(e->ts, buf, sizeof buf));
				wattroff(w, A_DIM);
			}
			wmove(w, row, TIME_COLS);
			if (lines[j].kind == 1) {
				size_t nl = strlen(e->sender);
				attr_t a = A_BOLD |
				    pair(t, e->outgoing ? PAIR_OWN : PAIR_PEER);
				wattron(w, a);
				put_text(w, rbuf + lines[j].off, nl, width);
				wattroff(w, a);
				if (e->outgoing)
					wattron(w, pair(t, PAIR_OWN));
				put_text(w, rbuf + lines[j].off + nl,
				    lines[j].len - nl, width - TIME_COLS - 3);
				if (e->outgoing)
					wattroff(w, pair(t, PAIR_OWN));
			} else {
				if (e->outgoing)
					wattron(w, pair(t, PAIR_OWN));
				put_text(w, rbuf + lines[j].off, lines[j].len,
				    width - TIME_COLS - 3);
				if (e->outgoing)
					wattroff(w, pair(t, PAIR_OWN));
			}
			if (e->outgoing && j == n - 1) {
				mark = mark_of(e, &mp);
				wattron(w,
				    pair(t, mp) |
				        (e->state == CLIENT_MSG_READ ? A_BOLD
				                                     : 0));
				mvwaddstr(w, row, width - 2, mark);
				/* ⇄: it went straight to the peer (P2P). */
				if (e->direct)
					mvwaddstr(
					    w, row, width - 3, "\xe2\x87\x84");
				wattroff(w, pair(t, mp) | A_BOLD);
			}
			if (v->hit == (long)i)
				mvwchgat(w, row, TIME_COLS,
				    width - TIME_COLS - 3, A_REVERSE, 0, NULL);
		}
		skip = 0;
	}
	wnoutrefresh(w);
}

/* The conversation, with its transfers pinned at the bottom. */
static void
draw_conv(struct tui *t)
{
	const struct client_xfer *x[4];
	WINDOW *w = t->conv;
	char line[5200];
	size_t n, i;
	int h = getmaxy(w), width = getmaxx(w), row;

	draw_conv_messages(t);
	n = conv_xfers(t, x, 4);
	for (i = 0; i < n; i++) {
		row = h - 1 - (int)i;
		if (row < 0)
			break;
		xfer_line(x[i], width, line, sizeof line);
		wmove(w, row, 0);
		wclrtoeol(w);
		if (x[i]->state == CLIENT_XFER_FAILED)
			wattron(w, pair(t, PAIR_ERROR));
		else if (x[i]->state == CLIENT_XFER_INCOMING)
			wattron(w, A_BOLD | pair(t, PAIR_UNREAD));
		else
			wattron(w, pair(t, PAIR_MARK));
		wmove(w, row, 1);
		put_text(w, line, strlen(line), width - 2);
		wattroff(w,
		    A_BOLD | pair(t, PAIR_ERROR) | pair(t, PAIR_UNREAD) |
		        pair(t, PAIR_MARK));
	}
	wnoutrefresh(w);
}

/* Every moving transfer, above the status line. */
static void
draw_bars(struct tui *t)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	const struct client_xfer *x;
	char line[5200], who[48];
	size_t i;
	int row = 0;

	if (t->bars == NULL)
		return;
	werase(t->bars);
	for (i = 0; i < client_xfers_count(xs) && row < t->nbars; i++) {
		x = client_xfers_at(xs, i);
		if (!xfer_moving(x))
			continue;
		snprintf(who, sizeof who, " %s %s ",
		    x->outgoing ? "to" : "from", x->peer);
		wmove(t->bars, row, 0);
		wattron(t->bars, A_DIM);
		waddstr(t->bars, who);
		wattroff(t->bars, A_DIM);
		xfer_line(x, t->cols - (int)strlen(who), line, sizeof line);
		put_text(t->bars, line, strlen(line),
		    t->cols - 1 - (int)strlen(who));
		row++;
	}
	wnoutrefresh(t->bars);
}

static void
draw_status(struct tui *t)
{
	WINDOW *w = t->status;
	char line[512], st[200];
	uint64_t now = client_rt_now_ms();
	size_t pending = client_session_outbox_len(t->s);
	int n;

	werase(w);
	wbkgd(w, A_REVERSE | pair(t, PAIR_STATUS));
	if (now < t->notice_until) {
		if (t->notice_error)
			wattron(w, A_BOLD);
		mvwaddch(w, 0, 0, ' ');
		put_text(w, t->notice, strlen(t->notice), t->cols - 2);
		wattroff(w, A_BOLD);
		wnoutrefresh(w);
		return;
	}
	switch (t->state) {
	case CLIENT_WAITING:
		snprintf(st, sizeof st, "reconnecting in %llu s\xe2\x80\xa6",
		    (unsigned long long)(t->retry_at > now
		            ? (t->retry_at - now + 999) / 1000
		            : 0));
		break;
	case CLIENT_FAILED:
		snprintf(st, sizeof st, "refused: %s", t->detail);
		break;
	default:
		snprintf(st, sizeof st, "%s", client_state_name(t->state));
	}
	n = snprintf(line, sizeof line, " %s @ %s \xc2\xb7 %s",
	    client_session_me(t->s), t->relay, st);
	if (pending > 0 && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n,
		    " \xc2\xb7 %zu pending", pending);
	put_text(w, line, strlen(line), t->cols - 14);
	mvwaddstr(w, 0, t->cols - 12, "F1 help");
	wnoutrefresh(w);
}

static void
draw_input(struct tui *t)
{
	WINDOW *w = t->input;
	int col, room;

	werase(w);
	if (t->confirm) {
		wattron(w, A_BOLD);
		mvwprintw(w, 0, 0,
		    "Send this long message (%zu bytes) to %s? "
		    "y/n",
		    t->ed.len, t->sel);
		wattroff(w, A_BOLD);
		wnoutrefresh(w);
		return;
	}
	mvwaddstr(w, 0, 0, t->paste ? "\xe2\x80\xa6 " : "> ");
	room = t->cols - 3;
	col = ui_editor_scroll(&t->ed, room);
	put_text(w, t->ed.buf != NULL ? t->ed.buf + t->ed.view : "",
	    t->ed.len - t->ed.view, room);
	wmove(w, 0, 2 + col);
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

static void
draw_help(struct tui *t)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);
	int w = 66, h = n + 2, y, x, i;
	WINDOW *win;

	if (w > t->cols - 2)
		w = t->cols - 2;
	if (h > t->rows - 2)
		h = t->rows - 2;
	y = (t->rows - h) / 2;
	x = (t->cols - w) / 2;
	win = newwin(h, w, y, x);
	werase(win);
	box_set(win, WACS_VLINE, WACS_HLINE);
	for (i = 0; i < n && i < h - 2; i++) {
		if (i == 0)
			wattron(win, A_BOLD);
		wmove(win, i + 1, 2);
		put_text(win, help_lines[i], strlen(help_lines[i]), w - 4);
		if (i == 0)
			wattroff(win, A_BOLD);
	}
	wnoutrefresh(win);
	delwin(win);
}

/* What the dialog's field holds: paths, and what is wrong with them. */
static int
dialog_check(struct tui *t, struct ui_paths *p, char *info, size_t len)
{
	char err[256], a[24];
	uint64_t size, total = 0;
	const char *slash;
	size_t i;
	int n;

	n = ui_paths_parse(t->path.buf != NULL ? t->path.buf : "", t->path.len,
	    getenv("HOME"), p, err, sizeof err);
	if (n < 0) {
		snprintf(info, len, "%s", err);
		return -1;
	}
	if (n == 0) {
		snprintf(info, len, "Type a path, or drag files here");
		return -1;
	}
	for (i = 0; i < p->n; i++) {
		if (client_xfer_check_path(p->v[i], &size, err, sizeof err) !=
		    0) {
			slash = strrchr(p->v[i], '/');
			snprintf(info, len, "%s: %s",
			    slash != NULL ? slash + 1 : p->v[i], err);
			ui_paths_free(p);
			return -1;
		}
		total += size;
	}
	human((double)total, a, sizeof a);
	slash = strrchr(p->v[0], '/');
	if (p->n == 1)
		snprintf(info, len, "%s \xe2\x80\x94 %s%s",
		    slash != NULL ? slash + 1 : p->v[0], a,
		    total == 0 ? " (an empty file)" : "");
	else
		snprintf(info, len, "%zu files, %s in all", p->n, a);
	return 0;
}

static void
draw_dialog(struct tui *t)
{
	struct ui_paths p;
	char info[512], title[80];
	int w = t->cols - 10 > 90 ? 90 : t->cols - 10, h = 7, y, x, col;
	bool ok;
	WINDOW *win;

	y = (t->rows - h) / 2;
	x = (t->cols - w) / 2;
	win = newwin(h, w, y, x);
	werase(win);
	box_set(win, WACS_VLINE, WACS_HLINE);
	snprintf(title, sizeof title, " Send a file to %s ", t->sel);
	wattron(win, A_BOLD);
	mvwaddstr(win, 0, 2, title);
	wattroff(win, A_BOLD);
	ok = dialog_check(t, &p, info, sizeof info) == 0;
	if (ok)
		ui_paths_free(&p);
	mvwaddstr(win, 2, 2, "Path: ");
	col = ui_editor_scroll(&t->path, w - 10);
	put_text(win, t->path.buf != NULL ? t->path.buf + t->path.view : "",
	    t->path.len - t->path.view, w - 10);
	wattron(win, ok ? pair(t, PAIR_ONLINE) : pair(t, PAIR_ERROR));
	wmove(win, 4, 2);
	put_text(win, info, strlen(info), w - 4);
	wattroff(win, pair(t, PAIR_ONLINE) | pair(t, PAIR_ERROR));
	wattron(win, A_DIM);
	mvwaddstr(
	    win, 5, 2, "Enter send \xc2\xb7 Tab complete \xc2\xb7 Esc close");
	wattroff(win, A_DIM);
	wmove(win, 2, 8 + col);
	wnoutrefresh(win);
	delwin(win);
}

static void
dialog_open(struct tui *t, const char *text)
{
	if (t->sel[0] == '\0') {
		notice(t, true, "Pick a contact first (Up/Down)");
		return;
	}
	if (strcasecmp(t->sel, client_session_me(t->s)) == 0) {
		notice(t, true, "A file to yourself: it is here already");
		return;
	}
	t->dialog = true;
	ui_editor_set(&t->path, text, strlen(text));
	t->dirty = true;
}

/* Send every path in the dialog's field. */
static void
dialog_send(struct tui *t)
{
	struct ui_paths p;
	char info[512], id[80], err[256];
	size_t i;

	if (dialog_check(t, &p, info, sizeof info) != 0) {
		notice(t, true, "%s", info);
		return;
	}
	for (i = 0; i < p.n; i++) {
		if (client_session_send_file(
		        t->s, t->sel, p.v[i], id, err, sizeof err) != 0)
			notice(t, true, "%s: %s", p.v[i], err);
	}
	ui_paths_free(&p);
	t->dialog = false;
	ui_editor_clear(&t->path);
}

/* Tab: complete the path being typed from the folder it names. */
static void
dialog_complete(struct tui *t)
{
	char typed[4096], dirpath[4096], best[512], *slash;
	const char *home = getenv("HOME"), *base;
	struct dirent *de;
	size_t blen = 0, plen, k;
	int matches = 0;
	DIR *d;

	if (t->path.len == 0 || t->path.len >= sizeof typed - 1 ||
	    memchr(t->path.buf, '\'', t->path.len) != NULL ||
	    memchr(t->path.buf, '"', t->path.len) != NULL ||
	    memchr(t->path.buf, ' ', t->path.len) != NULL)
		return;
	if (t->path.buf[0] == '~' && home != NULL)
		snprintf(typed, sizeof typed, "%s%.*s", home,
		    (int)t->path.len - 1, t->path.buf + 1);
	else
		snprintf(
		    typed, sizeof typed, "%.*s", (int)t->path.len, t->path.buf);
	slash = strrchr(typed, '/');
	if (slash == NULL) {
		snprintf(dirpath, sizeof dirpath, ".");
		base = typed;
	} else {
		snprintf(dirpath, sizeof dirpath, "%.*s",
		    (int)(slash - typed + 1), typed);
		base = slash + 1;
	}
	plen = strlen(base);
	if ((d = opendir(dirpath)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, plen) != 0 ||
		    strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (plen == 0 && de->d_name[0] == '.'))
			continue;
		if (matches++ == 0) {
			snprintf(best, sizeof best, "%s", de->d_name);
			blen = strlen(best);
		} else {
			for (k = 0; k < blen && best[k] == de->d_name[k]; k++)
				;
			blen = k;
		}
	}
	closedir(d);
	if (matches == 0 || blen < plen)
		return;
	best[blen] = '\0';
	ui_editor_end(&t->path);
	ui_editor_insert(&t->path, best + plen, blen - plen);
	if (matches == 1) {
		struct stat st;
		char full[4096 + 520];
		snprintf(full, sizeof full, "%s%s",
		    slash != NULL ? dirpath : "", best);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
			ui_editor_insert(&t->path, "/", 1);
	}
}

/* Keys while the dialog is open. */
static void
dialog_key(struct tui *t, int kind, wint_t ch)
{
	char u[8];
	mbstate_t st;
	size_t n;

	if (kind == KEY_CODE_YES) {
		switch (ch) {
		case KEY_PASTE_BEGIN:
			t->paste = true;
			break;
		case KEY_PASTE_END:
			t->paste = false;
			break;
		case KEY_BACKSPACE:
			ui_editor_backspace(&t->path);
			break;
		case KEY_DC:
			ui_editor_delete(&t->path);
			break;
		case KEY_LEFT:
			ui_editor_left(&t->path);
			break;
		case KEY_RIGHT:
			ui_editor_right(&t->path);
			break;
		case KEY_HOME:
			ui_editor_home(&t->path);
			break;
		case KEY_END:
			ui_editor_end(&t->path);
			break;
		case KEY_ENTER:
			dialog_send(t);
			break;
		default:
			break;
		}
		return;
	}
	switch (ch) {
	case 27:
		t->dialog = false;
		return;
	case '\t':
		if (!t->paste) {
			dialog_complete(t);
			return;
		}
		break;
	case '\r':
	case '\n':
		if (t->paste)
			ui_editor_insert(&t->path, "\n", 1);
		else
			dialog_send(t);
		return;
	case 127:
	case 8:
		ui_editor_backspace(&t->path);
		return;
	case 21:
		ui_editor_kill_start(&t->path);
		return;
	case 23:
		ui_editor_kill_word(&t->path);
		return;
	default:
		break;
	}
	if (ch < 0x20 && ch != '\t')
		return;
	memset(&st, 0, sizeof st);
	n = wcrtomb(u, (wchar_t)ch, &st);
	if (n != (size_t)-1)
		ui_editor_insert(&t->path, u, n);
}

/* Ctrl-O: accept the offer waiting in this conversation. */
static void
accept_offer(struct tui *t)
{
	const struct client_xfer *x = xfer_for(t, t->sel, true);
	char err[256];

	if (x == NULL) {
		notice(t, false, "No file offer waits here");
		return;
	}
	if (client_xfers_accept(
	        client_session_xfers(t->s), x->id, err, sizeof err) != 0)
		notice(t, true, "%s", err);
}

/* Ctrl-X: reject the offer, or cancel the transfer, of this conversation. */
static void
stop_xfer(struct tui *t)
{
	const struct client_xfer *x = xfer_for(t, t->sel, false);

	if (x == NULL) {
		notice(t, false, "No transfer to stop here");
		return;
	}
	if (x->state == CLIENT_XFER_INCOMING)
		client_xfers_reject(
		    client_session_xfers(t->s), x->id, "declined");
	else
		client_xfers_cancel(
		    client_session_xfers(t->s), x->id, "cancelled by the user");
}

/* Draw what changed: windows are redrawn in memory, doupdate sends the
 * difference. */
static void
tui_draw(struct tui *t)
{
	char msg[80];

	t->dirty = false;
	if (t->too_small) {
		erase();
		snprintf(msg, sizeof msg,
		    "Terminal too small: %dx%d, "
		    "termgram needs %dx%d.",
		    t->cols, t->rows, MIN_COLS, MIN_ROWS);
		mvaddnstr(t->rows / 2, 0, msg, t->cols);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (active_bars(t) != t->nbars)
		layout(t);
	if (t->too_small) {
		tui_draw(t);
		return;
	}
	draw_sidebar(t);
	draw_header(t);
	draw_conv(t);
	draw_bars(t);
	draw_status(t);
	if (t->help)
		draw_help(t);
	draw_input(t);
	if (t->dialog)
		draw_dialog(t); /* last: the cursor goes to its field */
	curs_set(t->help ? 0 : 1);
	doupdate();
}

/* --- events from the client core ----------------------------------------- */

static void
ev_state(
    void *arg, enum client_conn_state st, const char *detail, uint64_t retry)
{
	struct tui *t = arg;

	t->state = st;
	snprintf(
	    t->detail, sizeof t->detail, "%s", detail != NULL ? detail : "");
	t->retry_at = client_rt_now_ms() + retry;
	if (detail != NULL)
		tui_log(t, "%s: %s", client_state_name(st), detail);
	t->dirty = true;
}

static void
ev_contact(void *arg, const struct client_contact *c)
{
	struct tui *t = arg;

	(void)c;
	t->dirty = true;
}

static void
ev_message(void *arg, const struct client_msg *m, bool fresh)
{
	struct tui *t = arg;
	struct view *v;

	if (!fresh)
		return;
	if (m->outgoing) {
		view_of(t, m->peer)->follow = true;
		t->dirty = true;
		return;
	}
	if (strcasecmp(m->sender, t->sel) == 0) {
		v = view_of(t, t->sel);
		if (!v->follow)
			v->news = true;
	} else if (t->cfg.bell)
		beep();
	if (strcasecmp(m->sender, t->typing_peer) == 0)
		t->typing_until = 0;
	t->dirty = true;
}

static void
ev_msg_state(void *arg, const char *id, enum client_msg_state st)
{
	struct tui *t = arg;

	(void)id;
	if (st == CLIENT_MSG_FAILED)
		notice(t, true,
		    "A message could not be delivered (marked "
		    "\xe2\x9c\x97); see the log");
	t->dirty = true;
}

static void
ev_error(void *arg, const char *code, const char *ref, const char *text)
{
	struct tui *t = arg;

	tui_log(t, "relay error %s (%s): %s", code, ref, text);
	notice(t, true, "%s: %s", code, text);
}

static void
ev_typing(void *arg, const char *from, bool on)
{
	struct tui *t = arg;

	snprintf(t->typing_peer, sizeof t->typing_peer, "%s", from);
	t->typing_until = on ? client_rt_now_ms() + 6000 : 0;
	t->dirty = true;
}

static void
ev_xfer(void *arg, const struct client_xfer *x)
{
	struct tui *t = arg;

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
			notice(t, false,
			    "%s offers a file: %s (open their "
			    "conversation, Ctrl-O to accept)",
			    x->peer, x->name);
		}
		break;
	case CLIENT_XFER_DONE:
		notice(t, false, "%s: verified, %s %s", x->name,
		    x->outgoing ? "saved by" : "saved as",
		    x->outgoing ? x->peer : x->path);
		tui_log(t, "transfer %s %s %s: done, %s", x->id,
		    x->outgoing ? "to" : "from", x->peer, x->path);
		break;
	case CLIENT_XFER_FAILED:
		notice(t, true, "%s: %s", x->name, x->reason);
		break;
	default:
		break;
	}
	t->dirty = true;
}

static void
ev_synced(void *arg)
{
	struct tui *t = arg;

	size_t i;

	/* First time: open the first conversation with someone else. */
	if (t->sel[0] == '\0') {
		roster_refresh(t);
		for (i = 0; i < t->nroster; i++) {
			if (strcasecmp(t->roster[i].name,
			        client_session_me(t->s)) != 0) {
				select_contact(t, t->roster[i].name);
				break;
			}
		}
	} else
		client_session_set_active(t->s, t->sel);
	t->dirty = true;
}

static const struct client_events tui_events = {
    .on_state = ev_state,
    .on_contact = ev_contact,
    .on_synced = ev_synced,
    .on_message = ev_message,
    .on_msg_state = ev_msg_state,
    .on_error = ev_error,
    .on_typing = ev_typing,
    .on_xfer = ev_xfer,
};

/* --- input ------------------------------------------------------------- */

static void
send_line(struct tui *t)
{
	char id[80], err[256];
	size_t lines = 0, i;

	if (t->ed.len == 0)
		return;
	if (t->sel[0] == '\0') {
		notice(t, true, "Pick a contact first (Up/Down)");
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
		notice(t, true, "Not sent: %s", err);
		return;
	}
	if (t->typing_to[0] != '\0') {
		client_session_typing(t->s, t->typing_to, false);
		t->typing_to[0] = '\0';
	}
	ui_editor_clear(&t->ed);
	t->dirty = true;
}

static void
run_search(struct tui *t, const char *text)
{
	struct client_convo *c;
	struct view *v;
	long from, hit;

	if (t->sel[0] == '\0')
		return;
	c = client_convos_get(client_session_convos(t->s), t->sel);
	v = view_of(t, t->sel);
	if (*text != '\0' && strcmp(text, t->search) != 0) {
		snprintf(t->search, sizeof t->search, "%s", text);
		v->hit = -1;
	}
	if (t->search[0] == '\0') {
		notice(
		    t, false, "/search TEXT finds TEXT in this conversation");
		return;
	}
	from = v->hit >= 0 ? v->hit : (long)c->n;
	hit = client_convo_search(
	    client_session_convos(t->s), c, t->search, from, -1);
	if (hit < 0) {
		notice(t, false, "No %s \"%s\" in this conversation",
		    v->hit >= 0 ? "older" : "", t->search);
		return;
	}
	/* Loading older pages shifted indices; the search returns the new. */
	v->hit = hit;
	v->follow = false;
	v->top = (size_t)hit;
	v->top_line = 0;
	notice(t, false, "Found \"%s\": /search for older, End to go back",
	    t->search);
}

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
	if (strcmp(cmd, "/help") == 0)
		t->help = true;
	else if (strcmp(cmd, "/quit") == 0 || strcmp(cmd, "/exit") == 0)
		t->quit = true;
	else if (strcmp(cmd, "/clear") == 0) {
		if (t->sel[0] != '\0') {
			client_convo_clear(client_convos_get(
			    client_session_convos(t->s), t->sel));
			view_of(t, t->sel)->follow = true;
		}
	} else if (strcmp(cmd, "/search") == 0)
		run_search(t, arg);
	else if (strcmp(cmd, "/send") == 0)
		dialog_open(t, arg);
	else if (strcmp(cmd, "/accept") == 0)
		accept_offer(t);
	else if (strcmp(cmd, "/reject") == 0 || strcmp(cmd, "/cancel") == 0)
		stop_xfer(t);
	else
		notice(t, true, "Unknown command %s: /help lists them", cmd);
	t->dirty = true;
}

static void
enter(struct tui *t)
{
	char *cmd;

	if (t->ed.len > 0 && t->ed.buf[0] == '/' && !t->confirm &&
	    memchr(t->ed.buf, '\n', t->ed.len) == NULL) {
		cmd = xstrndup(t->ed.buf, t->ed.len);
		ui_editor_clear(&t->ed);
		run_command(t, cmd);
		free(cmd);
		return;
	}
	send_line(t);
}

static void
typed(struct tui *t)
{
	long i;

	if (t->typing_to[0] != '\0' || t->sel[0] == '\0' ||
	    (i = roster_index(t, t->sel)) < 0 || !t->roster[i].online ||
	    (t->ed.len > 0 && t->ed.buf[0] == '/'))
		return;
	snprintf(t->typing_to, sizeof t->typing_to, "%s", t->sel);
	client_session_typing(t->s, t->sel, true);
}

static void
mouse(struct tui *t)
{
	MEVENT me;
	struct client_convo *c;
	int row;

	if (getmouse(&me) != OK || t->too_small)
		return;
	if (me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) {
		if (me.x < t->sw && me.y >= 1 && me.y < t->rows - 2) {
			roster_refresh(t);
			row = me.y - 1;
			long sel = roster_index(t, t->sel), first = 0;
			if (sel >= t->rows - 3)
				first = sel - (t->rows - 4);
			if (first + row < (long)t->nroster)
				select_contact(t, t->roster[first + row].name);
		}
		return;
	}
	if (t->sel[0] == '\0')
		return;
	c = client_convos_get(client_session_convos(t->s), t->sel);
	if (me.bstate & BUTTON4_PRESSED)
		scroll_up(t, c, view_of(t, t->sel), 3);
#ifdef BUTTON5_PRESSED
	else if (me.bstate & BUTTON5_PRESSED)
		scroll_down(t, c, view_of(t, t->sel), 3);
#endif
}

static void
key(struct tui *t, int kind, wint_t ch)
{
	struct client_convo *c = NULL;
	char u[8];
	mbstate_t st;
	size_t n;
	int h = t->conv != NULL ? conv_rows(t) : 10;

	t->dirty = true;
	if (kind == KEY_CODE_YES && ch == KEY_RESIZE)
		return; /* handled through SIGWINCH */
	if (t->help) {
		t->help = false;
		return;
	}
	if (t->dialog) {
		dialog_key(t, kind, ch);
		return;
	}
	if (t->confirm) {
		if (kind == OK && (ch == 'y' || ch == 'Y'))
			send_line(t);
		else
			t->confirm = false;
		return;
	}
	if (t->sel[0] != '\0')
		c = client_convos_get(client_session_convos(t->s), t->sel);
	if (kind == KEY_CODE_YES) {
		switch (ch) {
		case KEY_PASTE_BEGIN:
			t->paste = true;
			return;
		case KEY_PASTE_END:
			t->paste = false;
			return;
		case KEY_UP:
			move_selection(t, -1);
			return;
		case KEY_DOWN:
			move_selection(t, 1);
			return;
		case KEY_PPAGE:
			if (c != NULL)
				scroll_up(t, c, view_of(t, t->sel), h - 1);
			return;
		case KEY_NPAGE:
			if (c != NULL)
				scroll_down(t, c, view_of(t, t->sel), h - 1);
			return;
		case KEY_LEFT:
			ui_editor_left(&t->ed);
			return;
		case KEY_RIGHT:
			ui_editor_right(&t->ed);
			return;
		case KEY_HOME:
			ui_editor_home(&t->ed);
			return;
		case KEY_END:
			if (t->ed.cur == t->ed.len && c != NULL) {
				struct view *v = view_of(t, t->sel);
				v->follow = true;
				v->news = false;
				v->hit = -1;
			}
			ui_editor_end(&t->ed);
			return;
		case KEY_BACKSPACE:
			ui_editor_backspace(&t->ed);
			return;
		case KEY_DC:
			ui_editor_delete(&t->ed);
			return;
		case KEY_ENTER:
			enter(t);
			return;
		case KEY_F(1):
			t->help = true;
			return;
		case KEY_MOUSE:
			mouse(t);
			return;
		default:
			return;
		}
	}
	switch (ch) {
	case '\r':
	case '\n':
		if (t->paste) {
			ui_editor_insert(&t->ed, "\n", 1);
			return;
		}
		enter(t);
		return;
	case 127:
	case 8:
		ui_editor_backspace(&t->ed);
		return;
	case 1: /* Ctrl-A */
		ui_editor_home(&t->ed);
		return;
	case 5: /* Ctrl-E */
		ui_editor_end(&t->ed);
		return;
	case 11: /* Ctrl-K */
		ui_editor_kill_end(&t->ed);
		return;
	case 14: /* Ctrl-N */
		move_selection(t, 1);
		return;
	case 16: /* Ctrl-P */
		move_selection(t, -1);
		return;
	case 21: /* Ctrl-U */
		ui_editor_kill_start(&t->ed);
		return;
	case 6: /* Ctrl-F */
		dialog_open(t, "");
		return;
	case 15: /* Ctrl-O */
		accept_offer(t);
		return;
	case 24: /* Ctrl-X */
		stop_xfer(t);
		return;
	case 23: /* Ctrl-W */
		ui_editor_kill_word(&t->ed);
		return;
	case 27: /* Esc: nothing, it only ends sequences */
		return;
	case '\t':
		ui_editor_insert(&t->ed, "    ", 4);
		return;
	default:
		break;
	}
	if (ch < 0x20)
		return;
	memset(&st, 0, sizeof st);
	n = wcrtomb(u, (wchar_t)ch, &st);
	if (n == (size_t)-1)
		return;
	ui_editor_insert(&t->ed, u, n);
	typed(t);
}

static void
kbd_ready(void *arg)
{
	struct tui *t = arg;
	wint_t ch;
	int kind, i;

	/* A paste can be long: take it all now, then draw once. */
	for (i = 0; i < 1 << 20; i++) {
		kind = wget_wch(t->input != NULL ? t->input : stdscr, &ch);
		if (kind == ERR)
			break;
		key(t, kind, ch);
		if (t->quit)
			break;
	}
}

/* --- signals and timers ---------------------------------------------- */

static void
on_quit_signal(int sig, void *arg)
{
	struct tui *t = arg;

	(void)sig;
	t->quit = true;
}

static void
on_winch(int sig, void *arg)
{
	struct tui *t = arg;
	struct winsize ws;

	(void)sig;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	layout(t);
}

static void
on_tstp(int sig, void *arg)
{
	struct tui *t = arg;

	(void)sig;
	/* Give the terminal back, stop, and take it again on fg. */
	modes_off();
	endwin();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	client_rt_signal(t->rt, SIGTSTP, on_tstp, t);
	modes_on();
	refresh();
	layout(t);
}

static void
on_tick(void *arg)
{
	struct tui *t = arg;

	/* Transfer bars move four times a second; countdowns, typing and
	 * notices expire by the clock. */
	if (t->xfer_moved || ++t->ticks % 4 == 0)
		t->dirty = true;
	t->xfer_moved = false;
}

/* --- start -------------------------------------------------------------- */

static void
colors(struct tui *t)
{
	if (!t->cfg.color || !has_colors()) {
		t->cfg.color = false;
		return;
	}
	start_color();
	use_default_colors();
	init_pair(PAIR_OWN, COLOR_CYAN, -1);
	init_pair(PAIR_PEER, COLOR_GREEN, -1);
	init_pair(PAIR_ONLINE, COLOR_GREEN, -1);
	init_pair(PAIR_UNREAD, COLOR_YELLOW, -1);
	init_pair(PAIR_STATUS, COLOR_BLUE, -1);
	init_pair(PAIR_ERROR, COLOR_RED, -1);
	init_pair(PAIR_DIM, -1, -1);
	init_pair(PAIR_MARK, COLOR_CYAN, -1);
}

/* The login form: name, password, relay. Returns -1 if the user quit. */
static int
login_form(struct ui_config *cfg, char *password, size_t pwlen)
{
	struct ui_editor f[3];
	static const char *const label[3] = {"Name", "Password", "Relay"};
	char relay[300], *colon, err[128] = "";
	wint_t ch;
	int kind, cur = 0, i, y, x, rc = -1;
	size_t k;

	for (i = 0; i < 3; i++)
		ui_editor_init(&f[i]);
	ui_editor_set(&f[0], cfg->user, strlen(cfg->user));
	snprintf(relay, sizeof relay, "%s:%u", cfg->host, cfg->port);
	ui_editor_set(&f[2], relay, strlen(relay));
	keypad(stdscr, TRUE);
	for (;;) {
		erase();
		y = LINES / 2 - 5;
		x = COLS / 2 - 25;
		if (x < 0)
			x = 0;
		attron(A_BOLD);
		mvaddstr(y, x, "termgram \xe2\x80\x94 log in");
		attroff(A_BOLD);
		for (i = 0; i < 3; i++) {
			mvaddstr(y + 2 + i * 2, x, label[i]);
			if (i == cur)
				attron(A_REVERSE);
			mvhline(y + 2 + i * 2, x + 10, ' ', 36);
			move(y + 2 + i * 2, x + 10);
			if (i == 1)
				for (k = 0; k < f[1].len && k < 35; k++)
					addch('*');
			else
				addnstr(f[i].buf != NULL ? f[i].buf : "",
				    (int)f[i].len);
			if (i == cur)
				attroff(A_REVERSE);
		}
		mvaddstr(y + 9, x,
		    "Tab: next field  Enter: log in  "
		    "Esc: quit");
		mvaddstr(y + 10, x, "An empty password makes an open name.");
		if (err[0] != '\0') {
			attron(A_BOLD);
			mvaddstr(y + 12, x, err);
			attroff(A_BOLD);
		}
		move(y + 2 + cur * 2,
		    x + 10 +
		        (cur == 1 ? (int)(f[1].len < 35 ? f[1].len : 35)
		                  : ui_text_width(
		                        f[cur].buf != NULL ? f[cur].buf : "",
		                        f[cur].cur)));
		refresh();
		kind = get_wch(&ch);
		if (kind == ERR)
			continue;
		if (kind == KEY_CODE_YES) {
			if (ch == KEY_BACKSPACE)
				ui_editor_backspace(&f[cur]);
			else if (ch == KEY_UP || ch == KEY_BTAB)
				cur = (cur + 2) % 3;
			else if (ch == KEY_DOWN)
				cur = (cur + 1) % 3;
			else if (ch == KEY_LEFT)
				ui_editor_left(&f[cur]);
			else if (ch == KEY_RIGHT)
				ui_editor_right(&f[cur]);
			else if (ch == KEY_ENTER)
				goto submit;
			continue;
		}
		if (ch == 27 || ch == 3)
			goto out;
		if (ch == '\t') {
			cur = (cur + 1) % 3;
			continue;
		}
		if (ch == 127 || ch == 8) {
			ui_editor_backspace(&f[cur]);
			continue;
		}
		if (ch == '\r' || ch == '\n')
			goto submit;
		if (ch >= 0x20) {
			char u[8];
			mbstate_t st;
			memset(&st, 0, sizeof st);
			k = wcrtomb(u, (wchar_t)ch, &st);
			if (k != (size_t)-1)
				ui_editor_insert(&f[cur], u, k);
		}
		continue;
	submit:
		snprintf(cfg->user, sizeof cfg->user, "%.*s", (int)f[0].len,
		    f[0].buf != NULL ? f[0].buf : "");
		snprintf(password, pwlen, "%.*s", (int)f[1].len,
		    f[1].buf != NULL ? f[1].buf : "");
		snprintf(relay, sizeof relay, "%.*s", (int)f[2].len,
		    f[2].buf != NULL ? f[2].buf : "");
		colon = strrchr(relay, ':');
		if (cfg->user[0] == '\0') {
			snprintf(err, sizeof err, "A name, please.");
			cur = 0;
			continue;
		}
		if (colon != NULL && strchr(relay, ']') < colon) {
			*colon = '\0';
			cfg->port = (unsigned)atoi(colon + 1);
		}
		if (cfg->port == 0 || cfg->port > 65535 || relay[0] == '\0') {
			snprintf(err, sizeof err, "Relay: HOST:PORT, please.");
			cur = 2;
			continue;
		}
		snprintf(cfg->host, sizeof cfg->host, "%s", relay);
		rc = 0;
		break;
	}
out:
	for (i = 0; i < 3; i++) {
		if (f[i].buf != NULL)
			memset(f[i].buf, 0, f[i].cap);
		ui_editor_fini(&f[i]);
	}
	return rc;
}

static void
free_view(const void *k, size_t len, void *v, void *arg)
{
	(void)k;
	(void)len;
	(void)arg;
	free(v);
}

/* Run the full-screen client until the user quits. Returns the status. */
int
ui_tui_main(const struct ui_options *o)
{
	struct tui t;
	struct client_config cc;
	char cfgpath[1024], err[512] = "", data[1024], logpath[1100];
	char password[256] = "";
	const char *pw = getenv("TERMGRAM_PASSWORD");
	int i, status = 0;
	bool cfg_bad;

	memset(&t, 0, sizeof t);
	setlocale(LC_ALL, "");
	ui_config_defaults(&t.cfg);
	cfg_bad = ui_config_path(cfgpath, sizeof cfgpath) == 0 &&
	    ui_config_load(&t.cfg, cfgpath, err, sizeof err) != 0;
	if (o->host != NULL)
		snprintf(t.cfg.host, sizeof t.cfg.host, "%s", o->host);
	if (o->port != 0)
		t.cfg.port = o->port;
	if (o->p2p)
		t.cfg.p2p = true;
	if (o->light)
		t.cfg.light = true;
	if (o->p2p_port != 0)
		t.cfg.p2p_port = o->p2p_port;
	if (o->user != NULL)
		snprintf(t.cfg.user, sizeof t.cfg.user, "%s", o->user);
	if (pw != NULL)
		snprintf(password, sizeof password, "%s", pw);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		    "termgram: the full-screen client needs a "
		    "terminal (or use send, recv, who)\n");
		return 2;
	}

	initscr();
	the_tui = &t;
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
	define_key("\033[200~", KEY_PASTE_BEGIN);
	define_key("\033[201~", KEY_PASTE_END);
	colors(&t);
	if (t.cfg.user[0] == '\0' &&
	    login_form(&t.cfg, password, sizeof password) != 0) {
		endwin();
		the_tui = NULL;
		return 0;
	}
	if (o->data_dir != NULL)
		snprintf(data, sizeof data, "%s", o->data_dir);
	else if (client_default_data_dir(
	             t.cfg.user, t.cfg.host, data, sizeof data) != 0)
		snprintf(data, sizeof data, "./termgram-%s@%s", t.cfg.user,
		    t.cfg.host);
	snprintf(t.relay, sizeof t.relay, "%s:%u", t.cfg.host, t.cfg.port);

	t.rt = client_rt_new();
	client_config_defaults(&cc);
	cc.host = t.cfg.host;
	cc.port = t.cfg.port;
	cc.p2p = t.cfg.p2p || t.cfg.light;
	cc.p2p_port = t.cfg.p2p_port;
	cc.light = t.cfg.light;
	cc.user = t.cfg.user;
	cc.password = password;
	cc.data_dir = data;
	if (t.cfg.download_dir[0] != '\0')
		cc.download_dir = t.cfg.download_dir;
	cc.max_file_size = t.cfg.max_file_size;
	t.s = client_session_new(
	    client_rt_loop(t.rt), &cc, &tui_events, &t, err + 0, sizeof err);
	memset(password, 0, sizeof password);
	if (t.s == NULL) {
		endwin();
		the_tui = NULL;
		fprintf(stderr, "termgram: %s\n", err);
		client_rt_free(t.rt);
		return 1;
	}
	snprintf(logpath, sizeof logpath, "%s/termgram.log", data);
	t.log = fopen(logpath, "a");
	tui_log(&t, "started as %s on %s", t.cfg.user, t.relay);
	if (cfg_bad)
		notice(&t, true, "%s", err);

	t.views = util_map_new();
	ui_editor_init(&t.ed);
	ui_editor_init(&t.path);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	        | BUTTON5_PRESSED
#endif
	    ,
	    NULL);
	mouseinterval(0);
	modes_on();
	layout(&t);
	client_rt_watch_input(t.rt, STDIN_FILENO, kbd_ready, &t);
	client_rt_signal(t.rt, SIGINT, on_quit_signal, &t);
	client_rt_signal(t.rt, SIGTERM, on_quit_signal, &t);
	client_rt_signal(t.rt, SIGHUP, on_quit_signal, &t);
	client_rt_signal(t.rt, SIGWINCH, on_winch, &t);
	client_rt_signal(t.rt, SIGTSTP, on_tstp, &t);
	client_rt_every(t.rt, 250, on_tick, &t);
	signal(SIGPIPE, SIG_IGN);
	client_session_start(t.s);
	tui_draw(&t);

	while (!t.quit) {
		if (client_rt_run_once(t.rt, -1) < 0 && errno != EINTR) {
			status = 1;
			break;
		}
		if (t.dirty)
			tui_draw(&t);
	}

	/* Say goodbye; what is unsent stays in the outbox on disk. */
	client_session_stop(t.s);
	for (i = 0; i < 3; i++)
		client_rt_run_once(t.rt, 10);
	modes_off();
	endwin();
	the_tui = NULL;
	tui_log(&t, "quit");
	client_session_free(t.s);
	ui_editor_fini(&t.ed);
	ui_editor_fini(&t.path);
	util_map_each(t.views, free_view, NULL);
	util_map_free(t.views);
	free(t.roster);
	if (t.log != NULL)
		fclose(t.log);
	client_rt_free(t.rt);
	return status;
}
