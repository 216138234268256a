/*
 * The sidebar: the contacts, online first, and which one is selected. The
 * contacts are the core's; the UI keeps a sorted copy to draw and the
 * selected name (so a re-sort keeps the selection).
 */
#include <string.h>
#include <strings.h>

#include "ui/text.h"
#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* Copy and sort the core's contacts. */
void
ui_sidebar_refresh(struct tui *t)
{
	const struct client_contact *c;
	size_t n, i;

	c = client_session_contacts(t->s, &n);
	t->roster = xreallocarray(t->roster, n + 1, sizeof *t->roster);
	if (n > 0)
		memcpy(t->roster, c, n * sizeof *c);
	t->nroster = n;
	/* Away from the relay nobody's presence is known: none is shown
	 * online. */
	for (i = 0; t->state != CLIENT_ONLINE && i < n; i++)
		t->roster[i].online = false;
	client_roster_sort(t->roster, n);
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
 * Open the conversation with name: typing stops. It is not read yet:
 * ui_sidebar_read_check marks it once it has been shown for a moment.
 */
void
ui_sidebar_select(struct tui *t, const char *name)
{
	bool other = strcasecmp(t->sel, name) != 0;

	if (t->sel[0] != '\0' && other && t->typing_to[0] != '\0') {
		client_session_typing(t->s, t->typing_to, false);
		t->typing_to[0] = '\0';
	}
	snprintf(t->sel, sizeof t->sel, "%s", name);
	client_convos_get(client_session_convos(t->s), name);
	if (other || t->shown_at == 0) {
		t->shown_at = client_rt_now_ms();
		if (t->reading)
			client_session_set_active(t->s, NULL);
		t->reading = false;
	}
	t->dirty = true;
}

/*
 * The selected conversation is read, and what arrives there is read at
 * once, while it has been on screen for UI_READ_MS and its view is at the
 * newest message; scrolled up, covered or too small, it is not.
 */
void
ui_sidebar_read_check(struct tui *t)
{
	bool seen;

	if (t->sel[0] == '\0')
		return;
	seen = !t->too_small && !t->help && !t->dialog &&
	    client_rt_now_ms() >= t->shown_at + UI_READ_MS &&
	    ui_pane_view(t, t->sel)->follow;
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

/* A click on row y of the screen, inside the sidebar. */
void
ui_sidebar_click(struct tui *t, int y)
{
	long first;

	if (y < 1 || y >= t->rows - 2)
		return;
	ui_sidebar_refresh(t);
	first = ui_view_list_first(ui_sidebar_index(t, t->sel), t->rows - 2);
	if (first + y - 1 < (long)t->nroster)
		ui_sidebar_select(t, t->roster[first + y - 1].name);
}

/* One contact's row: presence dot, name, unread count or percentage. */
static void
draw_row(struct tui *t, int row, const struct client_contact *c, bool sel)
{
	WINDOW *w = t->side;
	char num[16];
	const struct client_xfer *x = ui_bars_xfer_for(t, c->name, false);
	bool hot =
	    c->unread > 0 || (x != NULL && x->state == CLIENT_XFER_INCOMING);
	int nw;
	attr_t dot = c->online ? ui_tui_pair(t, UI_COLOR_ONLINE) | A_BOLD
	                       : ui_tui_pair(t, UI_COLOR_DIM) | A_DIM;

	if (sel)
		wattron(w, A_REVERSE);
	mvwhline(w, row, 0, ' ', t->sw - 1);
	wmove(w, row, 1);
	wattron(w, dot);
	waddstr(w, c->online ? "\xe2\x97\x8f" : "\xe2\x97\x8b"); /* ● ○ */
	wattroff(w, dot);
	waddch(w, ' ');
	ui_format_badge(c->unread, x, num, sizeof num);
	nw = ui_text_width(num, strlen(num));
	if (hot)
		wattron(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
	ui_tui_put(w, c->name, strlen(c->name), t->sw - 5 - nw);
	if (num[0] != '\0')
		mvwaddstr(w, row, t->sw - 2 - nw, num);
	if (hot)
		wattroff(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
	if (sel)
		wattroff(w, A_REVERSE);
}

/* The sidebar, scrolled to keep the selected contact in sight. */
void
ui_sidebar_draw(struct tui *t)
{
	WINDOW *w = t->side;
	int h, row;
	long i, sel;

	werase(w);
	h = getmaxy(w);
	wattron(w, A_BOLD);
	mvwaddstr(w, 0, 1, "Contacts");
	wattroff(w, A_BOLD);
	mvwvline_set(w, 0, t->sw - 1, WACS_VLINE, h);
	ui_sidebar_refresh(t);
	sel = ui_sidebar_index(t, t->sel);
	for (i = ui_view_list_first(sel, h), row = 1;
	     i < (long)t->nroster && row < h; i++, row++)
		draw_row(t, row, &t->roster[i], i == sel);
	if (t->nroster == 0)
		mvwaddstr(w, 2, 1, "(nobody yet)");
	wnoutrefresh(w);
}
