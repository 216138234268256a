/* SPDX-License-Identifier: MIT */
/*
 * The sidebar: the contacts, online first, and which one is selected. The
 * contacts are the core's; the UI keeps a sorted copy to draw and the
 * selected name (so a re-sort keeps the selection).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/history.h"
#include "ui/text.h"
#include "ui/tui_int.h"
#include "util/xmalloc.h"

/*
 * The rooms after the contacts, in the order the relay first told them:
 * the ones joined ("online") and the ones we are invited to; each with
 * its unread count and, in t->mentions, its unread mentions.
 */
static void
add_rooms(struct tui *t)
{
	size_t nr, i, k = t->nroster;
	const struct client_room *r = client_session_rooms(t->s, &nr);
	t->roster = xreallocarray(t->roster, k + nr + 1, sizeof *t->roster);
	t->mentions =
	    xreallocarray(t->mentions, k + nr + 1, sizeof *t->mentions);
	memset(t->mentions, 0, (k + nr + 1) * sizeof *t->mentions);
	t->nroom_at = k;
	for (i = 0; i < nr; i++) {
		struct client_contact *c = &t->roster[k];

		if (r[i].role == CLIENT_ROOM_NONE)
			continue;
		memset(c, 0, sizeof *c);
		snprintf(c->name, sizeof c->name, "%s", r[i].name);
		c->online = r[i].role >= CLIENT_ROOM_MEMBER;
		c->unread = r[i].unread;
		if (r[i].unread > 0)
			t->mentions[k] = ui_room_mentions(
			    client_convos_get(
			        client_session_convos(t->s), r[i].name),
			    client_session_me(t->s), t->wordp);
		k++;
	}
	t->nroster = k;
}

/* Whether roster entry i is a room we are invited to, not in yet. */
static bool
invited(struct tui *t, size_t i)
{
	return i >= t->nroom_at && !t->roster[i].online;
}

/* Copy the core's contacts but the user, and sort them. */
void
ui_sidebar_refresh(struct tui *t)
{
	const struct client_contact *c;
	const char *me = client_session_me(t->s);
	size_t n, i, k = 0;

	c = client_session_contacts(t->s, &n);
	t->roster = xreallocarray(t->roster, n + 1, sizeof *t->roster);
	/* Yourself is no one to talk to: left out. */
	for (i = 0; i < n; i++) {
		if (strcasecmp(c[i].name, me) != 0)
			t->roster[k++] = c[i];
	}
	n = k;
	t->nroster = n;
	/* Away from the relay nobody's presence is known: none is shown
	 * online. */
	for (i = 0; t->state != CLIENT_ONLINE && i < n; i++)
		t->roster[i].online = false;
	client_roster_sort(t->roster, n);
	add_rooms(t);
}

/* Where name is in the sorted copy, or -1. */
long
ui_sidebar_index(struct tui *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nroster; i++) {
		if (strcasecmp(t->roster[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

/*
 * Open the conversation with name: typing stops, and the input line keeps
 * the draft of the one left and shows the draft of this one. It is not
 * read yet: ui_sidebar_read_check marks it once it has been shown for a
 * moment.
 */
void
ui_sidebar_select(struct tui *t, const char *name)
{
	bool other = strcasecmp(t->sel, name) != 0;
	const char *d;

	if (other) {
		if (t->typing_to[0] != '\0') {
			client_session_typing(t->s, t->typing_to, false);
			t->typing_to[0] = '\0';
		}
		/* The first one opened keeps what was typed before. */
		if (t->sel[0] != '\0') {
			ui_history_save_draft(
			    t->hist, t->sel, t->ed.buf, t->ed.len);
			d = ui_history_draft(t->hist, name);
			ui_editor_set(&t->ed, d, strlen(d));
		}
		ui_history_reset(t->hist);
	}
	snprintf(t->sel, sizeof t->sel, "%s", name);
	client_convos_get(client_session_convos(t->s), name);
	if (other || t->shown_at == 0) {
		t->shown_at = client_rt_now_ms();
		t->place = true;
		t->seen_id[0] = '\0';
		if (t->reading)
			client_session_set_active(t->s, NULL);
		t->reading = false;
		ui_members_fetch(t); /* the member list follows */
	}
	t->dirty = true;
}

/*
 * Reading: the selected conversation is read, and what arrives there is
 * read at once, while it has been on screen for UI_READ_MS and its view
 * is at the newest message. Scrolled up (to a /find hit, or to the first
 * of more unread messages than fit), what has been wholly on screen for
 * UI_READ_MS is read, up to the last message shown; the rest keeps its
 * marker and count. Covered (help, dialog, a list), too small or with the
 * terminal not focused, nothing is.
 */
void
ui_sidebar_read_check(struct tui *t)
{
	uint64_t now = client_rt_now_ms();
	bool shown, on, seen;

	if (t->sel[0] == '\0')
		return;
	shown = !t->too_small && !t->help && !t->dialog && !t->away &&
	    t->list == NULL;
	if (!shown && t->seen_at != 0)
		t->seen_at = now; /* covered: the moment starts again */
	on = shown && now >= t->shown_at + UI_READ_MS;
	seen = on && ui_pane_view(t, t->sel)->follow;
	if (on && !seen && t->seen_id[0] != '\0' && t->seen_at != 0 &&
	    now >= t->seen_at + UI_READ_MS) {
		client_session_mark_read_upto(t->s, t->sel, t->seen_id);
		t->seen_at = 0;
		t->dirty = true;
	}
	if (seen == t->reading)
		return;
	t->reading = seen;
	client_session_set_active(t->s, seen ? t->sel : NULL);
	t->dirty = true;
}

/* Up/Down: the contact delta rows away, kept in the list. */
void
ui_sidebar_move(struct tui *t, int delta)
{
	long i;

	ui_sidebar_refresh(t);
	if (t->nroster == 0)
		return;
	i = ui_sidebar_index(t, t->sel);
	if (i < 0)
		i = 0;
	else {
		i += delta;
		if (i < 0)
			i = 0;
		if (i >= (long)t->nroster)
			i = (long)t->nroster - 1;
	}
	ui_sidebar_select(t, t->roster[i].name);
}

/*
 * The rows of the sidebar under its title that show contacts: all but
 * the last (which counts what is below) when they do not all fit.
 */
static int
list_rows(struct tui *t, size_t n)
{
	int h = getmaxy(t->side);

	return (long)n <= h - 1 ? h - 1 : h - 2;
}

/* Whether name holds want, ignoring ASCII case. */
static bool
holds(const char *name, const char *want, size_t wlen)
{
	size_t i;

	if (wlen == 0)
		return true;
	for (i = 0; strlen(name + i) >= wlen; i++) {
		if (strncasecmp(name + i, want, wlen) == 0)
			return true;
	}
	return false;
}

/*
 * The contacts shown, as indices of the sorted copy, into idx (room for
 * all and one more): every one, the rooms under a heading
 * (UI_SIDE_HEADING), or while jumping (Ctrl-G) the ones whose name holds
 * what is typed. Returns how many.
 */
size_t
ui_sidebar_visible(struct tui *t, size_t *idx)
{
	size_t i, k = 0;

	for (i = 0; i < t->nroster; i++) {
		/* The rooms' heading: a row of its own, before the first. */
		if (!t->jumping && i == t->nroom_at)
			idx[k++] = UI_SIDE_HEADING;
		if (!t->jumping ||
		    holds(t->roster[i].name, t->jump.buf, t->jump.len))
			idx[k++] = i;
	}
	return k;
}

/* Where the selection is among the n shown (idx), or -1. */
static long
shown_sel(struct tui *t, const size_t *idx, size_t n)
{
	long sel = ui_sidebar_index(t, t->sel);
	size_t i;

	if (t->jumping)
		return n > 0 ? t->jump_pos : -1;
	for (i = 0; i < n; i++) {
		if ((long)idx[i] == sel)
			return (long)i;
	}
	return -1;
}

/* The first of the n shown contacts in sight, the selection kept in. */
static long
shown_first(struct tui *t, const size_t *idx, size_t n)
{
	return ui_view_list_first(shown_sel(t, idx, n), list_rows(t, n) + 1);
}

/* A click on row y of the screen, inside the sidebar. */
void
ui_sidebar_click(struct tui *t, int y)
{
	size_t *idx, n;
	long first;

	if (y < 1 || y >= getmaxy(t->side))
		return;
	ui_sidebar_refresh(t);
	idx = xreallocarray(NULL, t->nroster + 1, sizeof *idx);
	n = ui_sidebar_visible(t, idx);
	first = shown_first(t, idx, n);
	if (y - 1 < list_rows(t, n) && first + y - 1 < (long)n &&
	    idx[first + y - 1] != UI_SIDE_HEADING) {
		t->jumping = false;
		ui_sidebar_select(t, t->roster[idx[first + y - 1]].name);
	}
	free(idx);
}

/* Whether c has a file offered to the user, waiting for an answer. */
static bool
offers(struct tui *t, const struct client_contact *c)
{
	const struct client_xfer *x = ui_bars_xfer_for(t, c->name, false);

	return x != NULL && x->state == CLIENT_XFER_INCOMING;
}

/*
 * Row row: the contact (or room) at roster index k: presence dot (a room:
 * "#"), name, unread count or percentage; a room's unread mentions
 * first, highlighted, "@2"; a room we are invited to, "invited".
 */
static void
draw_row(struct tui *t, int row, size_t k, bool sel)
{
	const struct client_contact *c = &t->roster[k];
	WINDOW *w = t->side;
	char num[16], at[16] = "";
	const struct client_xfer *x = ui_bars_xfer_for(t, c->name, false);
	bool room = k >= t->nroom_at;
	bool hot = c->unread > 0 || offers(t, c) || invited(t, k);
	int nw, aw;
	attr_t dot = c->online ? ui_tui_pair(t, UI_COLOR_ONLINE) | A_BOLD
	                       : ui_tui_pair(t, UI_COLOR_DIM) | A_DIM;
	attr_t hi = t->cfg.color ? ui_tui_pair(t, UI_COLOR_HIGHLIGHT) | A_BOLD
	                         : A_REVERSE | A_BOLD;

	if (sel)
		wattron(w, A_REVERSE);
	mvwhline(w, row, 0, ' ', t->sw - 1);
	wmove(w, row, 1);
	if (!room) {
		wattron(w, dot);
		waddstr(
		    w, c->online ? "\xe2\x97\x8f" : "\xe2\x97\x8b"); /* ● ○ */
		wattroff(w, dot);
		waddch(w, ' ');
	}
	if (invited(t, k))
		snprintf(num, sizeof num, "invited");
	else
		ui_format_badge(c->unread, x, num, sizeof num);
	if (room && t->mentions[k] > 0)
		snprintf(at, sizeof at, "@%u", t->mentions[k]);
	nw = ui_text_width(num, strlen(num));
	aw = at[0] != '\0' ? (int)strlen(at) + 1 : 0;
	if (hot)
		wattron(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
	ui_tui_put(
	    w, c->name, strlen(c->name), t->sw - (room ? 3 : 5) - nw - aw);
	if (num[0] != '\0')
		mvwaddstr(w, row, t->sw - 2 - nw, num);
	if (hot)
		wattroff(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
	if (aw > 0) {
		wattron(w, hi);
		mvwaddstr(w, row, t->sw - 2 - nw - aw, at);
		wattroff(w, hi);
	}
	if (sel)
		wattroff(w, A_REVERSE);
}

/*
 * Row row: how many of the shown contacts idx[from..to) are unread, as
 * "▲ 2 unread above", or else how many there are, "▼ 5 more below"; and
 * the files offered among them, "▲ 4 more above, 1 offer" (without the
 * "above", then the "more", where the row is too narrow).
 */
static void
draw_more(struct tui *t, int row, const size_t *idx, long from, long to,
    const char *arrow)
{
	WINDOW *w = t->side;
	unsigned unread = 0, offer = 0;
	char line[96], tail[32] = "";
	const char *where = row == 0 ? " above" : " below";
	long i;

	for (i = from; i < to; i++) {
		if (idx[i] == UI_SIDE_HEADING)
			continue;
		unread += t->roster[idx[i]].unread > 0;
		offer += offers(t, &t->roster[idx[i]]);
	}
	if (offer > 0)
		snprintf(tail, sizeof tail, ", %u offer%s", offer,
		    offer == 1 ? "" : "s");
	for (i = 0; i < 3; i++, where = "") {
		if (unread > 0)
			snprintf(line, sizeof line, "%s %u%s%s%s", arrow,
			    unread, i < 2 ? " unread" : "", where, tail);
		else
			snprintf(line, sizeof line, "%s %ld%s%s%s", arrow,
			    to - from, i < 2 ? " more" : "", where, tail);
		if (ui_text_width(line, strlen(line)) <= t->sw - 2)
			break;
	}
	mvwhline(w, row, 0, ' ', t->sw - 1);
	if (unread > 0 || offer > 0)
		wattron(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
	wmove(w, row, 1);
	ui_tui_put(w, line, strlen(line), t->sw - 2);
	if (unread > 0 || offer > 0)
		wattroff(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
}

/*
 * The sidebar, scrolled to keep the selected contact in sight, with what
 * is above and below out of sight counted in its first and last rows.
 */
void
ui_sidebar_draw(struct tui *t)
{
	WINDOW *w = t->side;
	size_t *idx, n;
	int h, row, rows;
	long i, sel, first;

	werase(w);
	h = getmaxy(w);
	wattron(w, A_BOLD);
	mvwaddstr(w, 0, 1, t->jumping ? "Jump to" : "Contacts");
	wattroff(w, A_BOLD);
	mvwvline_set(w, 0, t->sw - 1, WACS_VLINE, h);
	ui_sidebar_refresh(t);
	idx = xreallocarray(NULL, t->nroster + 1, sizeof *idx);
	n = ui_sidebar_visible(t, idx);
	sel = shown_sel(t, idx, n);
	first = shown_first(t, idx, n);
	rows = list_rows(t, n);
	for (i = first, row = 1; i < (long)n && row <= rows; i++, row++) {
		if (idx[i] == UI_SIDE_HEADING) {
			wattron(w, A_BOLD);
			mvwaddstr(w, row, 1, "Rooms");
			wattroff(w, A_BOLD);
		} else
			draw_row(t, row, idx[i], i == sel);
	}
	if (first > 0)
		draw_more(t, 0, idx, 0, first, "\xe2\x96\xb2"); /* ▲ */
	if (first + rows < (long)n)
		draw_more(t, h - 1, idx, first + rows, (long)n,
		    "\xe2\x96\xbc"); /* ▼ */
	if (n == 0)
		mvwaddstr(w, 2, 1, t->jumping ? "(no match)" : "(nobody yet)");
	free(idx);
	wnoutrefresh(w);
}
