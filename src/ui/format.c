/* SPDX-License-Identifier: MIT */
/*
 * The UI's text without curses. The drawing files only place what these
 * functions compose; the tests read it here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui/format.h"
#include "ui/paths.h"
#include "ui/room.h"

static char clock_format[32] = "%H:%M"; /* ui_format_set_clock */
/* A byte count for people: "512 B", "1.5 MiB". */
void
ui_format_size(double v, char *out, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
}

/* Whether a transfer is under way (it gets a bar above the status). */
bool
ui_format_xfer_is_moving(const struct client_xfer *x)
{
	return x->state == CLIENT_XFER_ACTIVE ||
	    x->state == CLIENT_XFER_HASHING ||
	    x->state == CLIENT_XFER_VERIFYING ||
	    x->state == CLIENT_XFER_OFFERED || x->state == CLIENT_XFER_PAUSED;
}

/* How much of x is done, in whole percent rounded down (100 only when
 * all is there): the same figure in the sidebar and the bars. */
int
ui_format_percent(const struct client_xfer *x)
{
	if (x->size == 0 || x->done >= x->size)
		return 100;
	return (int)(100 * x->done / x->size);
}

/*
 * s in at most cols columns: whole when it fits, else with "…" for what
 * is left out: its middle, or its start when keep_end (a path, whose end
 * is the file's name).
 */
void
ui_format_fit(const char *s, int cols, bool keep_end, char *out, size_t len)
{
	size_t n = strlen(s), head, tail;
	int w, used = 0;

	if (cols < 1)
		cols = 1;
	if (ui_text_width(s, n) <= cols) {
		snprintf(out, len, "%s", s);
		return;
	}
	head = keep_end ? 0 : ui_text_fit(s, n, (cols - 1) / 2, &used);
	for (tail = n; tail > head; tail = ui_text_prev(s, tail)) {
		w = ui_text_width(
		    s + ui_text_prev(s, tail), n - ui_text_prev(s, tail));
		if (used + 1 + w > cols)
			break;
	}
	snprintf(out, len, "%.*s\xe2\x80\xa6%s", (int)head, s, s + tail);
}

/* A bar of bw cells, f of it full: █ and ░. */
static void
xfer_bar(double f, int bw, char *bar)
{
	int i, k, o = 0;

	k = (int)(f * bw + 0.5);
	for (i = 0; i < bw; i++) {
		memcpy(bar + o, i < k ? "\xe2\x96\x88" : "\xe2\x96\x91", 3);
		o += 3;
	}
	bar[o] = '\0';
}

/* The columns of a line that are not the name (or path) put in it. */
static int
xfer_room(int width, const char *rest)
{
	int room = width - ui_text_width(rest, strlen(rest));

	return room < 8 ? 8 : room;
}

/*
 * A finished transfer: "saved as PATH" (or "saved by PEER"); when room is
 * short, the name before it shortened first, then the folder ("saved in
 * FOLDER", the name it was saved under first), from the left.
 */
static void
xfer_done(const struct client_xfer *x, const char *arrow, const char *total,
    int width, char *out, size_t len)
{
	char name[300], path[4200], rest[4600], home[4200];
	const char *where = x->outgoing ? x->peer : x->path;
	size_t b;
	int avail, pw, nw, proom;

	if (!x->outgoing) {
		ui_paths_home(x->path, home, sizeof home, &b);
		snprintf(rest, sizeof rest, "%s %s %s: verified, saved as %s",
		    arrow, x->name, total, home);
		if (ui_text_width(rest, strlen(rest)) > width && b > 0) {
			snprintf(rest, sizeof rest,
			    "%s  %s: verified, saved in ", arrow, total);
			avail = width - ui_text_width(rest, strlen(rest));
			nw = ui_text_width(home + b, strlen(home + b));
			pw = ui_text_width(home, b - 1);
			pw = pw < 14 ? pw : avail - nw > 14 ? avail - nw : 14;
			nw = avail - pw < nw ? avail - pw : nw;
			ui_format_fit(home + b, nw < 6 ? 6 : nw, false, name,
			    sizeof name);
			home[b > 1 ? b - 1 : b] = '\0';
			ui_format_fit(home, avail - nw < 8 ? 8 : avail - nw,
			    true, rest, sizeof rest);
			snprintf(out, len, "%s %s %s: verified, saved in %s",
			    arrow, name, total, rest);
			return;
		}
		where = home;
	}
	snprintf(rest, sizeof rest, "%s  %s: verified, saved %s ", arrow, total,
	    x->outgoing ? "by" : "as");
	avail = width - ui_text_width(rest, strlen(rest));
	pw = ui_text_width(where, strlen(where));
	nw = ui_text_width(x->name, strlen(x->name));
	proom = avail - nw > avail / 2 ? avail - nw : avail / 2;
	if (proom > pw)
		proom = pw;
	ui_format_fit(x->name, avail - proom < 6 ? 6 : avail - proom, false,
	    name, sizeof name);
	ui_format_fit(where, proom < 8 ? 8 : proom, true, path, sizeof path);
	snprintf(out, len, "%s %s %s: verified, saved %s %s", arrow, name,
	    total, x->outgoing ? "by" : "as", path);
}

/*
 * The first of n forms of a line ("before NAME after", pairs in f, from
 * the longest: the keys last, then first, then shorter; the first nfull
 * with the keys' names in full) that keeps the name whole, among the
 * first nfull; when none does, the first after the first that leaves the
 * name min(its width, 12) columns, its middle left out; else the last.
 */
static void
xfer_forms(const char *name, const char (*f)[2][200], size_t n, size_t nfull,
    int width, char *out, size_t len)
{
	char fit[300];
	int nw = ui_text_width(name, strlen(name)), room = 0;
	size_t i;

	for (i = 0; i < nfull; i++) {
		room = width - ui_text_width(f[i][0], strlen(f[i][0])) -
		    ui_text_width(f[i][1], strlen(f[i][1]));
		if (room >= nw)
			break;
	}
	for (i = i < nfull ? i : 1; i < n; i++) {
		room = width - ui_text_width(f[i][0], strlen(f[i][0])) -
		    ui_text_width(f[i][1], strlen(f[i][1]));
		if (room >= (nw < 12 ? nw : 12) || i == n - 1)
			break;
	}
	ui_format_fit(name, room < 4 ? 4 : room, false, fit, sizeof fit);
	snprintf(out, len, "%s%s%s", f[i][0], fit, f[i][1]);
}

/* An offer waiting for this user: its keys first when room is short. */
static void
xfer_incoming(const struct client_xfer *x, const char *arrow, const char *total,
    int width, char *out, size_t len)
{
	char f[5][2][200];

	snprintf(f[0][0], 200, "%s %s offers ", arrow, x->peer);
	snprintf(f[0][1], 200, " (%s): Ctrl-O accept, Ctrl-X reject", total);
	snprintf(f[1][0], 200, "Ctrl-O accept, Ctrl-X reject: %s %s offers ",
	    arrow, x->peer);
	snprintf(f[1][1], 200, " (%s)", total);
	snprintf(f[2][0], 200, "Ctrl-O accept, Ctrl-X reject: %s ", arrow);
	snprintf(f[2][1], 200, " (%s)", total);
	snprintf(f[3][0], 200, "^O accept ^X reject: %s ", arrow);
	snprintf(f[3][1], 200, " (%s)", total);
	snprintf(f[4][0], 200, "^O accept ^X reject %s ", arrow);
	snprintf(f[4][1], 200, " %s", total);
	xfer_forms(x->name, (const char(*)[2][200])f, 5, 3, width, out, len);
}

/* A file offered by this user, waiting for the answer. */
static void
xfer_offered(const struct client_xfer *x, const char *arrow, const char *total,
    int width, char *out, size_t len)
{
	char f[4][2][200];

	snprintf(f[0][0], 200, "%s ", arrow);
	snprintf(f[0][1], 200, " (%s): offered to %s, waiting (Ctrl-X cancels)",
	    total, x->peer);
	snprintf(f[1][0], 200, "Ctrl-X cancel: %s ", arrow);
	snprintf(f[1][1], 200, " (%s) offered to %s, waiting", total, x->peer);
	snprintf(f[2][0], 200, "Ctrl-X cancel: %s ", arrow);
	snprintf(f[2][1], 200, " (%s) waiting", total);
	snprintf(f[3][0], 200, "^X cancel %s ", arrow);
	snprintf(f[3][1], 200, " %s waiting", total);
	xfer_forms(x->name, (const char(*)[2][200])f, 4, 3, width, out, len);
}

/* The line of a transfer that is not moving, or false. */
static bool
xfer_still(const struct client_xfer *x, const char *arrow, const char *total,
    int width, char *out, size_t len)
{
	char name[300], rest[400];

	switch (x->state) {
	case CLIENT_XFER_DONE:
		xfer_done(x, arrow, total, width, out, len);
		return true;
	case CLIENT_XFER_FAILED:
		ui_format_fit(x->name, width / 3, false, name, sizeof name);
		snprintf(
		    out, len, "%s %s: %s", "\xe2\x9c\x97", name, x->reason);
		return true;
	case CLIENT_XFER_INCOMING:
		xfer_incoming(x, arrow, total, width, out, len);
		return true;
	case CLIENT_XFER_HASHING:
		snprintf(rest, sizeof rest,
		    "\xe2\x86\x91  (%s): computing its SHA-256\xe2\x80\xa6",
		    total);
		ui_format_fit(
		    x->name, xfer_room(width, rest), false, name, sizeof name);
		snprintf(out, len,
		    "\xe2\x86\x91 %s (%s): computing its SHA-256\xe2\x80\xa6",
		    name, total);
		return true;
	case CLIENT_XFER_OFFERED:
		xfer_offered(x, arrow, total, width, out, len);
		return true;
	default:
		return false;
	}
}

/*
 * The numbers after a moving transfer's bar, shorter as level goes up
 * (0 to 2): percentage, bytes done and in all, rate (or "stalled" when
 * nothing moved for a while), time left.
 */
static void
xfer_numbers(const struct client_xfer *x, int level, char *out, size_t len)
{
	char done[24], total[24], r[24], rate[40] = "", eta[32] = "";
	char bytes[64];

	if (x->state == CLIENT_XFER_PAUSED) {
		snprintf(out, len, " %3d%%: paused%s%s", ui_format_percent(x),
		    x->reason[0] != '\0' ? ", " : "", x->reason);
		return;
	}
	ui_format_size((double)x->done, done, sizeof done);
	ui_format_size((double)x->size, total, sizeof total);
	if (x->stalled)
		snprintf(rate, sizeof rate, ", stalled");
	else if (x->rate >= 1) {
		ui_format_size(x->rate, r, sizeof r);
		snprintf(rate, sizeof rate, ", %s/s", r);
	}
	if (!x->stalled && x->rate >= 1 && x->size > x->done)
		snprintf(eta, sizeof eta, ", %.0f s left",
		    (double)(x->size - x->done) / x->rate);
	if (level == 0)
		snprintf(bytes, sizeof bytes, " %s of %s", done, total);
	else if (level == 1)
		snprintf(bytes, sizeof bytes, " of %s", total);
	else
		bytes[0] = '\0';
	snprintf(out, len, " %3d%%%s%s%s%s", ui_format_percent(x), bytes, rate,
	    eta,
	    x->state != CLIENT_XFER_VERIFYING ? ""
	        : x->stored                   ? ", stored on the relay"
	                                      : ", verifying");
}

/*
 * One line about a transfer, at most width columns: bar, percentage,
 * bytes, rate, ETA. It starts with its direction, ↑ or ↓, then ⇄ when it
 * goes over a direct connection (P2P), as messages do. The bar is a fifth
 * of the width (6 to 30 cells); short of room it shrinks or goes, the
 * numbers say less (not the bytes done, then not the size), then the name
 * loses its middle, so that rate and time left stay.
 */
void
ui_format_xfer(const struct client_xfer *x, int width, char *out, size_t len)
{
	char total[24], nums[400], bar[64 * 3 + 1], name[300];
	double f = x->size > 0 ? (double)x->done / (double)x->size : 1;
	const char *arrow = x->outgoing
	    ? (x->direct ? "\xe2\x86\x91\xe2\x87\x84" : "\xe2\x86\x91")
	    : (x->direct ? "\xe2\x86\x93\xe2\x87\x84" : "\xe2\x86\x93");
	int room, nw, level, bw = width / 5 > 30 ? 30 : width / 5;

	ui_format_size((double)x->size, total, sizeof total);
	if (xfer_still(x, arrow, total, width, out, len))
		return;
	nw = ui_text_width(x->name, strlen(x->name));
	for (level = 0; level < 3; level++) {
		xfer_numbers(x, level, nums, sizeof nums);
		room = width - ui_text_width(arrow, strlen(arrow)) - 1 -
		    ui_text_width(nums, strlen(nums));
		if (room >= (nw < 12 ? nw : 12))
			break;
	}
	if (bw < 6)
		bw = 6;
	if (nw + 1 + bw > room)
		bw = room - nw - 1;
	if (bw < 6)
		bw = 0;
	ui_format_fit(
	    x->name, room - (bw > 0 ? bw + 1 : 0), false, name, sizeof name);
	xfer_bar(f, bw, bar);
	snprintf(
	    out, len, "%s %s%s%s%s", arrow, name, bw > 0 ? " " : "", bar, nums);
}

/* A transfer's state in words, for the transfer list. */
static const char *
xfer_state(const struct client_xfer *x)
{
	static const char *const names[] = {
	    [CLIENT_XFER_HASHING] = "hashing",
	    [CLIENT_XFER_OFFERED] = "offered, waiting",
	    [CLIENT_XFER_INCOMING] = "offered to you (a: accept)",
	    [CLIENT_XFER_ACTIVE] = "active",
	    [CLIENT_XFER_PAUSED] = "paused",
	    [CLIENT_XFER_VERIFYING] = "verifying",
	    [CLIENT_XFER_DONE] = "done",
	    [CLIENT_XFER_FAILED] = "failed",
	};

	if (x->state == CLIENT_XFER_VERIFYING && x->stored)
		return "stored on the relay";
	return (size_t)x->state < sizeof names / sizeof names[0]
	    ? names[x->state]
	    : "?";
}

/*
 * Line n (0 to 2) of a transfer in the transfer list: "↓ from bob ·
 * x.bin"; "45% of 12.0 MiB · active · 3.2 MiB/s · 4 s left"; where the
 * file is ("saved to PATH", "saving to PATH", "from PATH") or why it
 * failed. Three short lines, so that 80 columns lose nothing.
 */
void
ui_format_xfer_row(
    const struct client_xfer *x, int n, int cols, char *out, size_t len)
{
	char r[24], total[24], rate[40] = "", eta[32] = "", name[1200];
	char head[80];
	double f = x->size > 0 ? (double)x->done / (double)x->size : 1;

	out[0] = '\0';
	if (n == 0) { /* the name shortened, never who and which way */
		snprintf(head, sizeof head, "%s %s \xc2\xb7 ",
		    x->outgoing ? "\xe2\x86\x91 to" : "\xe2\x86\x93 from",
		    x->peer);
		ui_format_fit(x->name, cols - ui_text_width(head, strlen(head)),
		    false, name, sizeof name);
		snprintf(out, len, "%s%s", head, name);
	} else if (n == 1) {
		ui_format_size((double)x->size, total, sizeof total);
		if ((x->state == CLIENT_XFER_ACTIVE ||
		        x->state == CLIENT_XFER_VERIFYING) &&
		    x->stalled)
			snprintf(rate, sizeof rate, " \xc2\xb7 stalled");
		else if ((x->state == CLIENT_XFER_ACTIVE ||
		             x->state == CLIENT_XFER_VERIFYING) &&
		    x->rate >= 1) {
			ui_format_size(x->rate, r, sizeof r);
			snprintf(rate, sizeof rate, " \xc2\xb7 %s/s", r);
		}
		if (rate[0] != '\0' && !x->stalled && x->size > x->done)
			snprintf(eta, sizeof eta, " \xc2\xb7 %.0f s left",
			    (double)(x->size - x->done) / x->rate);
		snprintf(out, len, "%.0f%% of %s \xc2\xb7 %s%s%s", f * 100,
		    total, xfer_state(x), rate, eta);
	} else if (x->state == CLIENT_XFER_FAILED)
		snprintf(out, len, "%s", x->reason);
	else if (x->outgoing)
		ui_paths_where(
		    "from", "from", "\xc2\xb7", x->path, cols, out, len);
	else if (x->state == CLIENT_XFER_DONE)
		ui_paths_where(
		    "saved to", "saved in", "as", x->path, cols, out, len);
	else if (x->path[0] != '\0')
		ui_paths_where(
		    "saving to", "saving in", "as", x->path, cols, out, len);
}

/* What a transfer that ended left: "file x.bin (12.0 MiB) saved to
 * PATH" (sent to PEER; or why it failed). */
void
ui_format_xfer_note(const struct client_xfer *x, char *out, size_t len)
{
	char size[24];

	ui_format_size((double)x->size, size, sizeof size);
	if (x->state == CLIENT_XFER_FAILED)
		snprintf(out, len, "file %s (%s) %s: %s", x->name, size,
		    x->outgoing ? "not sent" : "not saved", x->reason);
	else if (x->outgoing)
		snprintf(out, len, "file %s (%s) sent to %s", x->name, size,
		    x->peer);
	else
		snprintf(out, len, "file %s (%s) saved to %s", x->name, size,
		    x->path);
}

/* The question before a transfer is stopped, in width columns: "Cancel
 * x.bin to bob? y/n" ("Reject x.bin from bob? y/n" for an offer), a long
 * name shortened in its middle. */
void
ui_format_xfer_ask(
    const struct client_xfer *x, int width, char *out, size_t len)
{
	char rest[200], name[300];
	const char *verb =
	    x->state == CLIENT_XFER_INCOMING ? "Reject" : "Cancel";
	const char *dir = x->outgoing ? "to" : "from";

	snprintf(rest, sizeof rest, "%s  %s %s? y/n", verb, dir, x->peer);
	ui_format_fit(
	    x->name, xfer_room(width, rest), false, name, sizeof name);
	snprintf(out, len, "%s %s %s %s? y/n", verb, name, dir, x->peer);
}

/*
 * A transfer's entry in its conversation, where it was offered, as it is
 * now: "*: " and its progress line while it lives, its note once it has
 * ended, wrapped. Fills out (no date line); returns its lines.
 */
int
ui_format_xfer_entry(
    const struct client_xfer *x, int width, struct ui_entry_text *out)
{
	char line[5200];
	size_t n;

	if (x->state == CLIENT_XFER_DONE || x->state == CLIENT_XFER_FAILED)
		ui_format_xfer_note(x, line, sizeof line);
	else /* wrapped below: two lines' room, so the name stays whole */
		ui_format_xfer(x, 2 * (width - 3), line, sizeof line);
	n = strlen(line);
	out->namelen = 1;
	out->quote_off = out->quote_len = 0;
	memcpy(out->text, "*: ", 3);
	memcpy(out->text + 3, line, n);
	out->nline =
	    ui_wrap(out->text, n + 3, width, out->line, UI_ENTRY_LINES);
	if (out->nline > UI_ENTRY_LINES)
		out->nline = UI_ENTRY_LINES;
	return (int)out->nline;
}

/*
 * The number at the end of a sidebar row: ↓ when x (may be NULL) is a
 * file offered and waiting, unread messages (">999" past that), else the
 * percentage of an active transfer x, else nothing.
 */
void
ui_format_badge(
    unsigned unread, const struct client_xfer *x, char *out, size_t len)
{
	const char *offer =
	    x != NULL && x->state == CLIENT_XFER_INCOMING ? "\xe2\x86\x93" : "";

	out[0] = '\0';
	if (unread > 0)
		snprintf(out, len, "%s%s%u", offer, unread > 999 ? ">" : "",
		    unread > 999 ? 999 : unread);
	else if (offer[0] != '\0')
		snprintf(out, len, "%s", offer);
	else if (x != NULL && x->state == CLIENT_XFER_ACTIVE)
		snprintf(out, len, "%d%%", ui_format_percent(x));
}

/* The delivery mark of an outgoing message, and its colour. */
const char *
ui_format_mark(const struct client_entry *e, enum ui_color *color)
{
	*color = UI_COLOR_MARK;
	switch (e->state) {
	case CLIENT_MSG_PENDING:
		*color = UI_COLOR_DIM;
		return "\xe2\x80\xa6"; /* … */
	case CLIENT_MSG_STORED:
		*color = UI_COLOR_DIM;
		return "\xe2\x9c\x93"; /* ✓ */
	case CLIENT_MSG_DELIVERED:
		*color = UI_COLOR_DIM;
		return "\xe2\x9c\x93\xe2\x9c\x93"; /* ✓✓ */
	case CLIENT_MSG_READ:
		*color = UI_COLOR_READ;
		return "\xe2\x9c\x93\xe2\x9c\x93";
	case CLIENT_MSG_FAILED:
		*color = UI_COLOR_ERROR;
		return "\xe2\x9c\x97"; /* ✗ */
	default:
		return "";
	}
}

/*
 * The status line: " me @ relay · connection · N pending". Waiting to
 * reconnect, it says why and when, "retry in" for "reconnecting in" when
 * the line would not fit in s->width.
 */
void
ui_format_status(const struct ui_status_info *s, char *out, size_t len)
{
	char st[200];
	int n, pass;

	switch (s->state) {
	case CLIENT_WAITING:
		for (pass = 0; pass < 2; pass++) {
			snprintf(st, sizeof st, "%s%s%s %llu s\xe2\x80\xa6",
			    s->detail, s->detail[0] != '\0' ? " \xc2\xb7 " : "",
			    pass == 0 ? "reconnecting in" : "retry in",
			    (unsigned long long)(s->retry_at > s->now
			            ? (s->retry_at - s->now + 999) / 1000
			            : 0));
			snprintf(out, len, " %s @ %s \xc2\xb7 %s", s->me,
			    s->relay, st);
			if (s->width == 0 ||
			    ui_text_width(out, strlen(out)) <= s->width)
				break;
		}
		break;
	case CLIENT_FAILED:
		snprintf(st, sizeof st, "refused: %s", s->detail);
		break;
	case CLIENT_REPLACED:
		/* How to take the name back, shorter if it would not fit. */
		for (pass = 0; pass < 2; pass++) {
			snprintf(st, sizeof st, "%s \xc2\xb7 /reconnect%s",
			    s->detail, pass == 0 ? " takes the name back" : "");
			snprintf(out, len, " %s @ %s \xc2\xb7 %s", s->me,
			    s->relay, st);
			if (s->width == 0 ||
			    ui_text_width(out, strlen(out)) <= s->width)
				break;
		}
		break;
	default:
		n = snprintf(st, sizeof st, "%s", client_state_name(s->state));
		if (s->state == CLIENT_ONLINE && s->devices > 1)
			snprintf(st + n, sizeof st - (size_t)n,
			    " \xc2\xb7 %llu devices",
			    (unsigned long long)s->devices);
	}
	n = snprintf(out, len, " %s @ %s \xc2\xb7 %s", s->me, s->relay, st);
	if (s->pending > 0 && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, " \xc2\xb7 %zu pending",
		    s->pending);
}

/*
 * Of a notice's forms (separated by UI_NOTICE_OR, longest first), the
 * first that fits in width columns, else the last; its length in *len.
 */
const char *
ui_format_notice(const char *s, int width, size_t *len)
{
	size_t n;

	for (;;) {
		n = strcspn(s, UI_NOTICE_OR);
		if (s[n] == '\0' || ui_text_width(s, n) <= width)
			break;
		s += n + 1;
	}
	*len = n;
	return s;
}

/* strftime with the user's format (config time_format, checked by
 * ui_format_clock_width before it is taken); 0 if it makes nothing. */
static size_t
clock_in(const char *fmt, const struct tm *tm, char *buf, size_t len)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return strftime(buf, len, fmt, tm);
#pragma GCC diagnostic pop
}

/* A wall-clock time of day, "HH:MM" (time_format), in local time. */
const char *
ui_format_clock(uint64_t ms, char *buf, size_t len)
{
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&tt, &tm);
	if (clock_in(clock_format, &tm, buf, len) == 0 && len > 0)
		buf[0] = '\0';
	return buf;
}

/* The clock's strftime format (config time_format); NULL: %H:%M. */
void
ui_format_set_clock(const char *fmt)
{
	snprintf(clock_format, sizeof clock_format, "%s",
	    fmt != NULL && *fmt != '\0' ? fmt : "%H:%M");
}

/* Columns (bytes: formats are ASCII) of a time in format fmt, tried on
 * a long one; 0 if it makes nothing. */
int
ui_format_clock_width(const char *fmt)
{
	struct tm tm = {.tm_year = 126,
	    .tm_mon = 11,
	    .tm_mday = 30,
	    .tm_hour = 23,
	    .tm_min = 59,
	    .tm_sec = 59,
	    .tm_wday = 3};
	char buf[64];

	return (int)clock_in(fmt, &tm, buf, sizeof buf);
}

/* Columns of the time before a message, the gap after it included. */
int
ui_format_clock_cols(void)
{
	return ui_format_clock_width(clock_format) + 1;
}

/* The date line above a new day's first message. */
void
ui_format_day(uint64_t ms, char *buf, size_t len)
{
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, " %A %d %B %Y ", &tm);
}

/* After a contact's name in the header: online, or when last seen. */
void
ui_format_presence(bool online, uint64_t last_seen, char *out, size_t len)
{
	char at[64];

	if (online)
		snprintf(out, len, "  online");
	else if (last_seen > 0)
		snprintf(out, len, "  offline, last seen %s",
		    ui_format_clock(last_seen, at, sizeof at));
	else
		snprintf(out, len, "  offline");
}

/*
 * The quote a reply starts with, in text convention: the body's first
 * line is "> NAME: FIRST LINE OF THE QUOTED MESSAGE" and the reply
 * follows on the next. True if body has one; qlen is the quote's bytes
 * after "> ", rest where the reply starts.
 */
bool
ui_format_quoted(const char *body, size_t len, size_t *qlen, size_t *rest)
{
	const char *nl, *colon;

	if (len < 5 || body[0] != '>' || body[1] != ' ' ||
	    (nl = memchr(body, '\n', len)) == NULL)
		return false;
	colon = memchr(body + 2, ':', (size_t)(nl - body - 2));
	if (colon == NULL || colon == body + 2 || colon - body - 2 > 32 ||
	    colon + 1 >= nl || colon[1] != ' ' ||
	    memchr(body + 2, ' ', (size_t)(colon - body - 2)) != NULL)
		return false;
	*qlen = (size_t)(nl - body - 2);
	*rest = (size_t)(nl - body) + 1;
	return true;
}

/*
 * The first line of a reply to sender's body as the reply's own first
 * line, "> NAME: TEXT\n", TEXT cut to 60 columns (with …). Returns its
 * bytes in out (0 if out is too small).
 */
size_t
ui_format_quote(
    const char *sender, const char *body, size_t len, char *out, size_t outlen)
{
	size_t cut, line, q, rest;
	int cols;

	/* A reply quotes the reply, not what it quoted. */
	if (ui_format_quoted(body, len, &q, &rest)) {
		body += rest;
		len -= rest;
	}
	for (line = 0; line < len && body[line] != '\n'; line++)
		;
	cut = ui_text_fit(body, line, 60, &cols);
	if (strlen(sender) + cut + 12 > outlen)
		return 0;
	return (size_t)snprintf(out, outlen, "> %s: %.*s%s\n", sender, (int)cut,
	    body, cut < line ? "\xe2\x80\xa6" : "");
}

/* A reply's quote as one line of at most cols columns: ↪ and the quote,
 * cut with …. Returns its bytes in out. */
static size_t
quote_line(const char *q, size_t len, int cols, char *out)
{
	size_t cut;
	int used;

	memcpy(out, "\xe2\x86\xaa ", 4); /* ↪ */
	cut = ui_text_fit(q, len, cols > 4 ? cols - 3 : 1, &used);
	memcpy(out + 4, q, cut);
	if (cut < len) {
		memcpy(out + 4 + cut, "\xe2\x80\xa6", 3);
		return cut + 7;
	}
	return cut + 4;
}

/* Whether entry i is on another day than the one before it. */
static bool
new_day(const struct client_convo *c, size_t i)
{
	time_t a, b;
	struct tm ta, tb;

	if (i == 0)
		return true;
	a = (time_t)(c->e[i - 1].ts / 1000);
	b = (time_t)(c->e[i].ts / 1000);
	localtime_r(&a, &ta);
	localtime_r(&b, &tb);
	return ta.tm_yday != tb.tm_yday || ta.tm_year != tb.tm_year;
}

/*
 * Entry i of c as the pane shows it at width columns of text: a date line
 * when the day changes, then "name: body" wrapped. Fills out; returns its
 * screen lines.
 */
int
ui_format_entry(const struct client_convo *c, size_t i, int width,
    struct ui_entry_text *out)
{
	const struct client_entry *e = &c->e[i];
	size_t n, at, qlen, rest;

	out->date = new_day(c, i);
	out->quote_off = out->quote_len = 0;
	if (ui_room_is_event(e)) {
		/* A room's event, compact: "· bob joined". */
		out->namelen = 2;
		memcpy(out->text, "\xc2\xb7 ", 3);
		n = e->len < UI_ENTRY_BODY ? e->len : UI_ENTRY_BODY;
		memcpy(out->text + 3, e->body, n);
		out->nline =
		    ui_wrap(out->text, n + 3, width, out->line, UI_ENTRY_LINES);
		if (out->nline > UI_ENTRY_LINES)
			out->nline = UI_ENTRY_LINES;
		return (int)out->nline + out->date;
	}
	out->namelen = strlen(e->sender);
	memcpy(out->text, e->sender, out->namelen);
	memcpy(out->text + out->namelen, ": ", 2);
	at = out->namelen + 2;
	n = e->len < UI_ENTRY_BODY ? e->len : UI_ENTRY_BODY;
	if (ui_format_quoted(e->body, n, &qlen, &rest)) {
		out->quote_off = at;
		out->quote_len = quote_line(
		    e->body + 2, qlen, width - (int)at, out->text + at);
		at += out->quote_len;
		out->text[at++] = '\n';
		memcpy(out->text + at, e->body + rest, n - rest);
		n = at + n - rest;
	} else {
		memcpy(out->text + at, e->body, n);
		n += at;
	}
	out->nline = ui_wrap(out->text, n, width, out->line, UI_ENTRY_LINES);
	if (out->nline > UI_ENTRY_LINES)
		out->nline = UI_ENTRY_LINES;
	return (int)out->nline + out->date;
}
