/* SPDX-License-Identifier: MIT */
/*
 * Lists drawn in place of the conversation, like WeeChat's xfer buffer:
 * /transfers (every transfer on three rows: its state, rate, time left
 * and file; a accepts an offer, c cancels after a y/n, o puts the file's
 * folder in the input line) and /find TEXT
 * (the messages of every conversation that contain TEXT, newest first;
 * Enter opens one at that message) and /devices (the devices of the
 * user, as the relay lists them; d drops one after a y/n). Up/Down pick a
 * row, Esc closes. While a list is open it takes every key.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/text.h"
#include "ui/tui_int.h"
#include "util/xmalloc.h"

#define FIND_MAX 500 /* hits a /find lists */
#define XFER_ROWS 3 /* screen rows of a transfer */

enum list_kind { LIST_XFERS, LIST_FIND, LIST_DEVICES };

/* A device of the user, a row of /devices (the relay's ACTIVE line). */
struct dev_row {
	char dev[80];
	uint64_t added, seen, behind;
	bool online, mine;
};

struct find_hit {
	char peer[34];
	char id[65];
	uint64_t ts;
	char *text; /* "sender: body", for the row */
	size_t len;
};

struct ui_list {
	enum list_kind kind;
	long sel;
	bool confirm; /* "cancel this transfer? y/n" */
	char text[128]; /* what /find looks for */
	struct find_hit *hits;
	size_t nhits, caphits;
	struct dev_row *devs;
	size_t ndevs, capdevs;
	bool fresh; /* /devices: its next row starts the list anew */
	bool dropped; /* a drop's answer comes; then the list again */
};

/* Close the open list. */
void
ui_lists_close(struct tui *t)
{
	struct ui_list *l = t->list;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nhits; i++)
		free(l->hits[i].text);
	free(l->hits);
	free(l->devs);
	free(l);
	t->list = NULL;
	t->dirty = true;
}

/* A new list of kind, in place of any open one. */
static struct ui_list *
open_list(struct tui *t, enum list_kind kind)
{
	ui_lists_close(t);
	t->list = xcalloc(1, sizeof *t->list);
	t->list->kind = kind;
	t->dirty = true;
	return t->list;
}

/* Rows of the list: transfers newest first, or the hits. */
static long
list_len(struct tui *t)
{
	if (t->list->kind == LIST_FIND)
		return (long)t->list->nhits;
	if (t->list->kind == LIST_DEVICES)
		return (long)t->list->ndevs;
	return (long)client_xfers_count(client_session_xfers(t->s));
}

/* The transfer of row i (newest first). */
static const struct client_xfer *
xfer_at(struct tui *t, long i)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	size_t n = client_xfers_count(xs);

	return i >= 0 && (size_t)i < n ? client_xfers_at(xs, n - 1 - (size_t)i)
	                               : NULL;
}

/* Newest first: hits are kept in that order. */
static int
hit_cmp(const void *a, const void *b)
{
	const struct find_hit *x = a, *y = b;

	return x->ts < y->ts ? 1 : x->ts > y->ts ? -1 : 0;
}

/* The hits of TEXT in one conversation, added to the list. */
static void
find_in(struct tui *t, struct ui_list *l, struct client_convo *c)
{
	struct client_convos *cs = client_session_convos(t->s);
	struct find_hit *h;
	const struct client_entry *e;
	size_t sl;
	long i = (long)c->n;

	while (l->nhits < FIND_MAX &&
	    (i = client_convo_search(cs, c, l->text, i, -1)) >= 0) {
		e = &c->e[i];
		XGROW(l->hits, l->caphits, l->nhits + 1, 16);
		h = &l->hits[l->nhits++];
		snprintf(h->peer, sizeof h->peer, "%s", c->peer);
		snprintf(h->id, sizeof h->id, "%s", e->id);
		h->ts = e->ts;
		sl = strlen(e->sender);
		h->len = sl + 2 + e->len;
		h->text = xmalloc(h->len + 1);
		memcpy(h->text, e->sender, sl);
		memcpy(h->text + sl, ": ", 2);
		memcpy(h->text + sl + 2, e->body, e->len);
		h->text[h->len] = '\0';
	}
}

/* /find TEXT: every conversation searched, the list of hits opened. */
static void
find(struct tui *t, const char *text)
{
	struct client_convos *cs = client_session_convos(t->s);
	const struct client_contact *c;
	struct ui_list *l;
	size_t i, n;

	if (*text == '\0') {
		ui_tui_notice(
		    t, false, "/find TEXT lists TEXT in every conversation");
		return;
	}
	l = open_list(t, LIST_FIND);
	snprintf(l->text, sizeof l->text, "%s", text);
	c = client_session_contacts(t->s, &n);
	for (i = 0; i < n && l->nhits < FIND_MAX; i++)
		find_in(t, l, client_convos_get(cs, c[i].name));
	if (l->nhits > 1)
		qsort(l->hits, l->nhits, sizeof *l->hits, hit_cmp);
}

/* Enter on a hit: its conversation, scrolled to it and highlighted. */
static void
jump(struct tui *t)
{
	struct ui_list *l = t->list;
	struct find_hit *h;
	struct client_convo *c;
	struct ui_view *v;
	char peer[34], id[65];
	size_t i;

	if (l->sel < 0 || (size_t)l->sel >= l->nhits)
		return;
	h = &l->hits[l->sel];
	snprintf(peer, sizeof peer, "%s", h->peer);
	snprintf(id, sizeof id, "%s", h->id);
	snprintf(t->search, sizeof t->search, "%s", l->text);
	ui_lists_close(t);
	ui_sidebar_select(t, peer);
	c = client_convos_get(client_session_convos(t->s), peer);
	v = ui_pane_view(t, peer);
	for (i = c->n; i > 0; i--) {
		if (strcmp(c->e[i - 1].id, id) == 0) {
			ui_view_jump(v, (long)i - 1);
			ui_tui_notice(t, false,
			    "Found \"%s\": /search for older here, End to go "
			    "back",
			    t->search);
			return;
		}
	}
}

/*
 * o: the folder of the selected transfer's file (where it was saved, or
 * where a file sent is) goes into the input line, to copy or to edit;
 * a terminal has no desktop to open it in.
 */
static void
xfer_folder(struct tui *t, const struct client_xfer *x)
{
	const char *slash = strrchr(x->path, '/');
	size_t n;

	if ((!x->outgoing && x->state != CLIENT_XFER_DONE) || slash == NULL) {
		ui_tui_notice(t, false, "%s is not saved yet", x->name);
		return;
	}
	n = slash == x->path ? 1 : (size_t)(slash - x->path);
	ui_editor_insert(&t->ed, x->path, n);
	ui_tui_notice(
	    t, false, "The folder of %s is in the input line", x->name);
}

/* a: accept the selected offer; c: ask, then cancel or reject; o: the
 * file's folder. */
static void
xfer_action(struct tui *t, int key)
{
	const struct client_xfer *x = xfer_at(t, t->list->sel);
	struct client_xfers *xs = client_session_xfers(t->s);
	char err[256];

	if (x == NULL)
		return;
	if (key == 'o') {
		xfer_folder(t, x);
		return;
	}
	if (key == 'a' || key == UI_KEY_ENTER) {
		if (x->state != CLIENT_XFER_INCOMING)
			ui_tui_notice(t, false, "%s is not an offer", x->name);
		else if (client_xfers_accept(xs, x->id, err, sizeof err) != 0)
			ui_tui_notice(t, true, "%s", err);
		return;
	}
	if (x->state == CLIENT_XFER_DONE || x->state == CLIENT_XFER_FAILED) {
		ui_tui_notice(t, false, "%s has ended", x->name);
		return;
	}
	if (!t->list->confirm) {
		t->list->confirm = true;
		return;
	}
	t->list->confirm = false;
	if (x->state == CLIENT_XFER_INCOMING)
		client_xfers_reject(xs, x->id, "declined");
	else
		client_xfers_cancel(xs, x->id, "cancelled by the user");
}

/* /devices: ask the relay for the user's devices. */
static void
devices(struct tui *t)
{
	struct ui_list *l;

	if (client_session_state(t->s) != CLIENT_ONLINE ||
	    client_session_devices(t->s, "active", NULL) != 0) {
		ui_tui_notice(t, true, "/devices needs the relay: not online");
		return;
	}
	l = open_list(t, LIST_DEVICES);
	l->fresh = true;
}

/* An ACTIVE line (dev), or the DEVCOUNT that ends the answer: into the
 * open /devices; after a drop, the list is asked for again. */
void
ui_lists_active(void *arg, const char *dev, uint64_t added, uint64_t seen,
    bool online, uint64_t behind)
{
	struct tui *t = arg;
	struct ui_list *l = t->list;
	struct dev_row *r;

	if (l == NULL || l->kind != LIST_DEVICES)
		return;
	t->dirty = true;
	if (dev == NULL) {
		if (l->dropped &&
		    client_session_devices(t->s, "active", NULL) == 0)
			l->fresh = true;
		l->dropped = false;
		return;
	}
	if (l->fresh)
		l->ndevs = 0;
	l->fresh = false;
	XGROW(l->devs, l->capdevs, l->ndevs + 1, 8);
	r = &l->devs[l->ndevs++];
	snprintf(r->dev, sizeof r->dev, "%s", dev);
	r->added = added;
	r->seen = seen;
	r->online = online;
	r->behind = behind;
	r->mine = client_session_is_this_device(t->s, dev);
}

/* y after d: drop the selected device; its sessions end. */
static void
devices_drop(struct tui *t)
{
	struct ui_list *l = t->list;

	if (l->sel < 0 || (size_t)l->sel >= l->ndevs)
		return;
	if (client_session_devices_drop(t->s, l->devs[l->sel].dev) != 0) {
		ui_tui_notice(t, true, "Not dropped: not online");
		return;
	}
	ui_tui_log(t, "device %s dropped", l->devs[l->sel].dev);
	l->dropped = true;
}

/* y or n to the open list's question. */
static void
answer(struct tui *t, int key)
{
	bool yes = key == 'y' || key == 'Y';

	if (yes && t->list->kind == LIST_DEVICES)
		devices_drop(t);
	else if (yes)
		xfer_action(t, 'c'); /* while confirm is still set */
	t->list->confirm = false;
}

/* Whether a printable key is one of the open list's own (not the first
 * key of the input line). */
bool
ui_lists_owns(struct tui *t, int key)
{
	if (t->list == NULL)
		return false;
	if (t->list->kind == LIST_DEVICES && key == 'd')
		return true;
	return strchr("qacoyYnN", key) != NULL;
}

/* A key while a list is open: every key is the list's. */
bool
ui_lists_key(struct tui *t, int key)
{
	struct ui_list *l = t->list;
	long n;

	if (l == NULL)
		return false;
	if (l->confirm) {
		answer(t, key);
		return true;
	}
	n = list_len(t);
	switch (key) {
	case UI_KEY_ESC:
	case 'q':
		ui_lists_close(t);
		return true;
	case UI_KEY_UP:
		l->sel = l->sel > 0 ? l->sel - 1 : 0;
		break;
	case UI_KEY_DOWN:
		l->sel = l->sel + 1 < n ? l->sel + 1 : l->sel;
		break;
	case UI_KEY_ENTER:
		if (l->kind == LIST_FIND)
			jump(t);
		else
			xfer_action(t, key);
		break;
	case 'a':
	case 'c':
	case 'o':
	case UI_KEY_CTRL('X'):
		if (l->kind == LIST_XFERS)
			xfer_action(t, key == UI_KEY_CTRL('X') ? 'c' : key);
		else if (l->kind == LIST_DEVICES && key == UI_KEY_CTRL('X'))
			l->confirm = l->sel < n;
		break;
	case 'd':
		if (l->kind == LIST_DEVICES)
			l->confirm = l->sel < n;
		break;
	default:
		break;
	}
	return true;
}

/* /transfers, /find TEXT (also /search -a TEXT), /devices; false for
 * others. */
bool
ui_lists_command(struct tui *t, const char *cmd, const char *arg)
{
	if (strcmp(cmd, "/transfers") == 0 || strcmp(cmd, "/xfer") == 0)
		open_list(t, LIST_XFERS);
	else if (strcmp(cmd, "/find") == 0)
		find(t, arg);
	else if (strcmp(cmd, "/devices") == 0)
		devices(t);
	else if (strcmp(cmd, "/search") == 0 && strncmp(arg, "-a ", 3) == 0)
		find(t, arg + 3);
	else
		return false;
	return true;
}

/* A device's name for a row or a question: a key's fingerprint cut to
 * its first 16 digits when cols is narrow. */
static const char *
dev_name(const struct dev_row *r, int cols, char *buf, size_t len)
{
	if ((int)strlen(r->dev) <= cols)
		return r->dev;
	snprintf(buf, len, "%.16s\xe2\x80\xa6", r->dev);
	return buf;
}

/* /devices' title: its keys, or the question about the selected one. */
static void
devices_title(struct tui *t, long n, char *line, size_t len, int cols)
{
	struct ui_list *l = t->list;
	char name[80];

	if (l->confirm && l->sel < n) {
		snprintf(line, len, "Drop %s%s? It is signed out. y/n",
		    dev_name(&l->devs[l->sel], 20, name, sizeof name),
		    l->devs[l->sel].mine ? " (this device)" : "");
		if (ui_text_width(line, strlen(line)) > cols)
			snprintf(line, len, "Drop %s%s? y/n",
			    dev_name(&l->devs[l->sel], 20, name, sizeof name),
			    l->devs[l->sel].mine ? " (this one)" : "");
		return;
	}
	snprintf(line, len, "Devices of %s (%ld): d drop, Esc close",
	    client_session_me(t->s), n);
	if (ui_text_width(line, strlen(line)) > cols)
		snprintf(line, len, "%ld devices: d drop, Esc", n);
}

/* Device i of /devices at screen row y: who, presence, what it lacks. */
static void
draw_dev(struct tui *t, WINDOW *w, long i, int y)
{
	const struct dev_row *r = &t->list->devs[i];
	char line[400], name[80], seen[80];
	int width = getmaxx(w) - 2;

	ui_format_presence(r->online, r->seen, seen, sizeof seen);
	snprintf(line, sizeof line, "%s%s%s",
	    dev_name(r, width - 40, name, sizeof name),
	    r->mine ? "  this device" : "", seen);
	if (r->behind > 0)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    ", %llu to fetch", (unsigned long long)r->behind);
	wmove(w, y, 1);
	if (r->mine)
		wattron(w, A_BOLD);
	ui_tui_put(w, line, strlen(line), width);
	if (r->mine)
		wattroff(w, A_BOLD);
}

/* The list's title row: what it is and its keys, or the question. */
static void
draw_title(struct tui *t, WINDOW *w, long n)
{
	const struct client_xfer *x;
	char line[512];

	if (t->list->kind == LIST_XFERS && t->list->confirm &&
	    (x = xfer_at(t, t->list->sel)) != NULL)
		ui_format_xfer_ask(x, getmaxx(w) - 2, line, sizeof line);
	else if (t->list->kind == LIST_XFERS) {
		snprintf(line, sizeof line,
		    "Transfers (%ld): a accept, c cancel, o folder, Esc close",
		    n);
		if (ui_text_width(line, strlen(line)) > getmaxx(w) - 2)
			snprintf(line, sizeof line,
			    "%ld transfers: a accept, c cancel, o folder, Esc",
			    n);
	} else if (t->list->kind == LIST_DEVICES)
		devices_title(t, n, line, sizeof line, getmaxx(w) - 2);
	else
		snprintf(line, sizeof line,
		    "Found \"%s\" %ld %s: Enter opens, Esc closes",
		    t->list->text, n, n == 1 ? "time" : "times");
	wattron(w, A_BOLD);
	wmove(w, 0, 1);
	ui_tui_put(w, line, strlen(line), getmaxx(w) - 2);
	wattroff(w, A_BOLD);
}

/* Put s in at most cols columns; when too long, what comes before its
 * path, then "…" and the path's end (the file's name is what matters). */
static void
put_tail(WINDOW *w, const char *s, int cols)
{
	size_t len = strlen(s), i;
	const char *slash = strchr(s, '/');
	int cw, head;

	if (ui_text_width(s, len) <= cols) {
		ui_tui_put(w, s, len, cols);
		return;
	}
	i = slash != NULL ? (size_t)(slash - s) : 0;
	head = ui_tui_put(w, s, i, cols / 2);
	while (i < len && ui_text_width(s + i, len - i) > cols - head - 1)
		i = ui_text_next(s, len, i, &cw);
	waddstr(w, "\xe2\x80\xa6");
	ui_tui_put(w, s + i, len - i, cols - head - 1);
}

/* Hit i of /find at screen row y: contact, time, "sender: text". */
static void
draw_hit(struct tui *t, WINDOW *w, long i, int y)
{
	struct find_hit *h = &t->list->hits[i];
	char head[64], when[64];
	int width = getmaxx(w);

	snprintf(head, sizeof head, "%s %s", h->peer,
	    ui_format_clock(h->ts, when, sizeof when));
	wmove(w, y, 1);
	wattron(w, A_BOLD);
	ui_tui_put(w, head, strlen(head), width - 2);
	wattroff(w, A_BOLD);
	waddstr(w, "  ");
	ui_tui_put(w, h->text, h->len, width - 4 - (int)strlen(head));
}

/* Transfer i at screen rows y on: its three lines (the last dim). */
static void
draw_xfer(struct tui *t, WINDOW *w, long i, int y)
{
	const struct client_xfer *x = xfer_at(t, i);
	char line[4200];
	int width = getmaxx(w), n;

	for (n = 0; n < XFER_ROWS && y + n < getmaxy(w); n++) {
		ui_format_xfer_row(
		    x, n, width - (n == 0 ? 2 : 5), line, sizeof line);
		mvwhline(w, y + n, 0, ' ', width);
		wmove(w, y + n, n == 0 ? 1 : 4);
		if (n == 2)
			wattron(w, A_DIM);
		put_tail(w, line, width - (n == 0 ? 2 : 5));
		if (n == 2)
			wattroff(w, A_DIM);
	}
}

/* Row i of the list at screen row y, reversed if selected. */
static void
draw_row(struct tui *t, WINDOW *w, long i, int y, bool sel)
{
	int n, per = t->list->kind == LIST_XFERS ? XFER_ROWS : 1;

	if (sel)
		wattron(w, A_REVERSE);
	for (n = 0; n < per && y + n < getmaxy(w); n++)
		mvwhline(w, y + n, 0, ' ', getmaxx(w));
	if (t->list->kind == LIST_FIND)
		draw_hit(t, w, i, y);
	else if (t->list->kind == LIST_DEVICES)
		draw_dev(t, w, i, y);
	else
		draw_xfer(t, w, i, y);
	if (sel)
		wattroff(w, A_REVERSE);
}

/* The open list in the pane's place; false if none is open. */
bool
ui_lists_draw(struct tui *t)
{
	WINDOW *w = t->conv;
	long n, i, first;
	int per, rows, y;

	if (t->list == NULL)
		return false;
	werase(w);
	n = list_len(t);
	if (t->list->sel >= n)
		t->list->sel = n > 0 ? n - 1 : 0;
	draw_title(t, w, n);
	per = t->list->kind == LIST_XFERS ? XFER_ROWS : 1;
	rows = (getmaxy(w) - 2) / per;
	first = ui_view_list_first(t->list->sel, rows + 1);
	for (i = first, y = 2; i < n && y + per - 1 < getmaxy(w); i++, y += per)
		draw_row(t, w, i, y, i == t->list->sel);
	if (n == 0) {
		wattron(w, A_DIM);
		mvwaddstr(w, 2, 2,
		    t->list->kind == LIST_XFERS ? "No transfers yet."
		        : t->list->kind == LIST_DEVICES
		        ? "Asking the relay\xe2\x80\xa6"
		        : "No message has it.");
		wattroff(w, A_DIM);
	}
	wnoutrefresh(w);
	return true;
}
