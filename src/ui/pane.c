/* SPDX-License-Identifier: MIT */
/*
 * The conversation pane: its header (name, presence, typing, scrolled) and
 * the messages from the view's anchor down, with the transfers pinned at
 * the bottom. The scroll arithmetic is ui/view.c's, the text ui/format.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* The view of a conversation, made on first use. */
struct ui_view *
ui_pane_view(struct tui *t, const char *peer)
{
	struct ui_view *v;
	char key[33];
	size_t i;

	for (i = 0; peer[i] != '\0' && i < 32; i++)
		key[i] = (char)(peer[i] >= 'A' && peer[i] <= 'Z'
		        ? peer[i] - 'A' + 'a'
		        : peer[i]);
	if ((v = util_map_get(t->views, key, i)) == NULL) {
		v = xmalloc(sizeof *v);
		ui_view_init(v);
		util_map_set(t->views, key, i, v);
	}
	return v;
}

static void
free_view(const void *k, size_t len, void *v, void *arg)
{
	(void)k;
	(void)len;
	(void)arg;
	free(v);
}

/* Forget every view. */
void
ui_pane_free_views(struct tui *t)
{
	util_map_each(t->views, free_view, NULL);
	util_map_free(t->views);
}

/* Rows of the pane left for messages. */
static int
pane_rows(struct tui *t)
{
	const struct client_xfer *x[4];
	int h = getmaxy(t->conv), k = (int)ui_bars_of_conv(t, x, 4);

	return h - k > 3 ? h - k : 3;
}

/* Columns of the time before a message, its gap included. */
static int
time_cols(struct tui *t)
{
	return t->time_cols > 0 ? t->time_cols : UI_TIME_COLS;
}

/* Columns of a message's text: the time and the mark take the rest. */
static int
text_cols(struct tui *t)
{
	return getmaxx(t->conv) - time_cols(t) - 3;
}

/* Entry i of c as the pane shows it, in m: a transfer's entry (from
 * "*", with the transfer's id) as the transfer is now. Its lines. */
static int
entry_text(
    struct tui *t, struct client_convo *c, size_t i, struct ui_entry_text *m)
{
	const struct client_entry *e = &c->e[i];
	const struct client_xfer *x;
	int n = ui_format_entry(c, i, text_cols(t), m);

	if (strcmp(e->sender, "*") != 0 ||
	    (x = client_xfers_find(client_session_xfers(t->s), e->id)) == NULL)
		return n;
	return ui_format_xfer_entry(x, text_cols(t), m) + m->date;
}

/* The selected conversation, as the view arithmetic sees it. */
struct pane_src {
	struct tui *t;
	struct client_convo *c;
	struct ui_view_src src;
};

/* Whether entry i of c is hidden: a join or leave, with /filter on. */
static bool
hidden(struct tui *t, const struct client_convo *c, size_t i)
{
	return t->filter && ui_room_is_joinleave(&c->e[i]);
}

static int
src_lines(void *arg, size_t i)
{
	struct pane_src *p = arg;

	if (hidden(p->t, p->c, i))
		return 0;
	return entry_text(p->t, p->c, i, p->t->lines) +
	    ui_marker_at(p->t, p->c, i);
}

static size_t
src_older(void *arg, size_t want)
{
	struct pane_src *p = arg;

	return client_convo_load_older(
	    client_session_convos(p->t->s), p->c, want);
}

static void
src_init(struct pane_src *p, struct tui *t, struct client_convo *c)
{
	p->t = t;
	p->c = c;
	p->src.n = c->n;
	p->src.lines = src_lines;
	p->src.older = src_older;
	p->src.arg = p;
}

/* Lines a page scrolls: the pane's rows less one kept in sight. */
int
ui_pane_page(struct tui *t)
{
	return (t->conv != NULL ? pane_rows(t) : 10) - 1;
}

/* PgUp/PgDn and the wheel: k lines down, or up if k is negative. */
void
ui_pane_scroll(struct tui *t, int k)
{
	struct pane_src p;
	int h = pane_rows(t);

	if (t->sel[0] == '\0')
		return;
	src_init(&p, t, client_convos_get(client_session_convos(t->s), t->sel));
	if (k < 0)
		ui_view_scroll_up(ui_pane_view(t, t->sel), &p.src, h, -k);
	else
		ui_view_scroll_down(ui_pane_view(t, t->sel), &p.src, h, k);
	t->dirty = true;
}

/* The Found notice, or why nothing was found. */
static bool
search_from(struct tui *t, struct client_convo *c, struct ui_view *v)
{
	long from, hit;

	from = v->hit >= 0 ? v->hit : (long)c->n;
	hit = client_convo_search(
	    client_session_convos(t->s), c, t->search, from, -1);
	if (hit < 0) {
		ui_tui_notice(t, false, "No %s\"%s\" in this conversation",
		    v->hit >= 0 ? "older " : "", t->search);
		return false;
	}
	/* Loading older pages shifted indices; the search returns the new. */
	ui_view_jump(v, hit);
	return true;
}

/* /search TEXT: the next older hit in the selected conversation. */
void
ui_pane_search(struct tui *t, const char *text)
{
	struct client_convo *c;
	struct ui_view *v;

	if (t->sel[0] == '\0')
		return;
	c = client_convos_get(client_session_convos(t->s), t->sel);
	v = ui_pane_view(t, t->sel);
	if (*text != '\0' && strcmp(text, t->search) != 0) {
		snprintf(t->search, sizeof t->search, "%s", text);
		v->hit = -1;
	}
	if (t->search[0] == '\0') {
		ui_tui_notice(
		    t, false, "/search TEXT finds TEXT in this conversation");
		return;
	}
	if (search_from(t, c, v))
		ui_tui_notice(t, false,
		    "Found \"%s\": /search for older, End to go back",
		    t->search);
}

/*
 * A room's header after its name: how many members, what we are if not
 * a plain member, the topic, and the receipts of our newest message
 * (RSTATE): "delivered to 2 of 3, read by 1".
 */
static void
room_header(struct tui *t, WINDOW *w)
{
	const struct client_room *r = client_session_room_find(t->s, t->sel);
	const struct ui_rstate *st = ui_members_rstate(t, t->sel);
	char line[1200];

	if (r == NULL)
		return;
	wattron(w, A_DIM);
	if (r->role == CLIENT_ROOM_INVITED)
		snprintf(line, sizeof line, "  invited: /join %s", r->name);
	else if (r->role == CLIENT_ROOM_NONE)
		snprintf(line, sizeof line, "  not a member");
	else
		snprintf(line, sizeof line, "  %llu member%s%s%s%s%s",
		    (unsigned long long)r->members, r->members == 1 ? "" : "s",
		    r->role >= CLIENT_ROOM_ADMIN ? ", " : "",
		    r->role >= CLIENT_ROOM_ADMIN
		        ? client_room_role_name(r->role)
		        : "",
		    r->topic[0] != '\0' ? " \xc2\xb7 " : "", r->topic);
	ui_tui_put(w, line, strlen(line), getmaxx(w) - getcurx(w) - 1);
	wattroff(w, A_DIM);
	if (st != NULL && r->role >= CLIENT_ROOM_MEMBER) {
		snprintf(line, sizeof line,
		    "  last: delivered to %llu of %llu, read by %llu",
		    (unsigned long long)st->delivered,
		    (unsigned long long)st->members,
		    (unsigned long long)st->read);
		wattron(w, ui_tui_pair(t, UI_COLOR_MARK));
		ui_tui_put(w, line, strlen(line), getmaxx(w) - getcurx(w) - 1);
		wattroff(w, ui_tui_pair(t, UI_COLOR_MARK));
	}
}

/* The header: name, presence, typing, and whether it is scrolled. */
void
ui_pane_draw_header(struct tui *t)
{
	WINDOW *w = t->head;
	long i = ui_sidebar_index(t, t->sel);
	struct ui_view *v;
	char line[256];

	werase(w);
	if (t->sel[0] == '\0') {
		mvwaddstr(
		    w, 0, 1, "No conversation: pick a contact with Up/Down");
		wnoutrefresh(w);
		return;
	}
	wattron(w, A_BOLD);
	mvwaddstr(w, 0, 1, t->sel);
	wattroff(w, A_BOLD);
	if (ui_members_is_room(t->sel))
		room_header(t, w);
	else if (t->state != CLIENT_ONLINE) {
		wattron(w, A_DIM);
		waddstr(w, "  presence unknown: not connected");
		wattroff(w, A_DIM);
	} else if (i >= 0) {
		attr_t a = t->roster[i].online ? ui_tui_pair(t, UI_COLOR_ONLINE)
		                               : A_DIM;
		ui_format_presence(t->roster[i].online, t->roster[i].last_seen,
		    line, sizeof line);
		wattron(w, a);
		waddstr(w, line);
		wattroff(w, a);
	}
	if (strcasecmp(t->typing_peer, t->sel) == 0 &&
	    client_rt_now_ms() < t->typing_until) {
		wattron(w, A_DIM);
		waddstr(w, "  typing\xe2\x80\xa6");
		wattroff(w, A_DIM);
	}
	v = ui_pane_view(t, t->sel);
	if (!v->follow) {
		wattron(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
		mvwaddstr(w, 0, getmaxx(w) - (v->news ? 22 : 14),
		    v->news ? "\xe2\x86\x93 new below (End)"
		            : "scrolled (End)");
		wattroff(w, A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD));
	}
	wnoutrefresh(w);
}

/* A date line across the pane. */
static void
draw_day(struct tui *t, int row, const struct client_entry *e)
{
	WINDOW *w = t->conv;
	int width = getmaxx(w);
	char buf[64];

	ui_format_day(e->ts, buf, sizeof buf);
	wattron(w, A_DIM | ui_tui_pair(t, UI_COLOR_DIM));
	mvwhline_set(w, row, 0, WACS_HLINE, width);
	mvwaddstr(w, row, (width - (int)strlen(buf)) / 2, buf);
	wattroff(w, A_DIM | ui_tui_pair(t, UI_COLOR_DIM));
}

/* The read marker: where the unread messages start. */
static void
draw_new(struct tui *t, int row)
{
	WINDOW *w = t->conv;
	int width = getmaxx(w);
	attr_t a = A_BOLD | ui_tui_pair(t, UI_COLOR_NEW);

	wattron(w, a);
	mvwhline_set(w, row, 0, WACS_HLINE, width);
	mvwaddstr(w, row, width / 2 - 3, " new ");
	wattroff(w, a);
}

/* The delivery mark at the end of an outgoing message's last line. */
static void
draw_mark(struct tui *t, int row, const struct client_entry *e)
{
	WINDOW *w = t->conv;
	int width = getmaxx(w);
	enum ui_color color;
	const char *mark = ui_format_mark(e, &color);

	attr_t read = e->state != CLIENT_MSG_READ ? 0
	    : t->cfg.color                        ? A_BOLD
	                                          : A_BOLD | A_UNDERLINE;

	wattron(w, ui_tui_pair(t, color) | read);
	mvwaddstr(w, row, width - 2, mark);
	/* ⇄: it went straight to the peer (P2P). */
	if (e->direct)
		mvwaddstr(w, row, width - 3, "\xe2\x87\x84");
	wattroff(w, ui_tui_pair(t, color) | read);
}

/* Line j of message e, wrapped in m: time and name on the first. */
static void
draw_text(struct tui *t, int row, const struct client_entry *e,
    const struct ui_entry_text *m, size_t j)
{
	const struct ui_span *l = &m->line[j];
	WINDOW *w = t->conv;
	int width = getmaxx(w);
	attr_t own = e->outgoing ? ui_tui_pair(t, UI_COLOR_OWN) : 0;
	attr_t name =
	    A_BOLD | ui_tui_pair(t, e->outgoing ? UI_COLOR_OWN : UI_COLOR_PEER);
	char buf[64];
	size_t skip = 0;

	if (ui_members_is_room(t->sel) && !e->outgoing) {
		if (ui_room_is_event(e)) /* an event: one dim line */
			name = own = A_DIM | ui_tui_pair(t, UI_COLOR_DIM);
		else if (client_mentions(e->body, e->len,
		             client_session_me(t->s), t->wordp)) {
			/* A mention: the name on a highlight, the text bold. */
			name = A_BOLD |
			    (t->cfg.color ? ui_tui_pair(t, UI_COLOR_HIGHLIGHT)
			                  : A_REVERSE);
			own = A_BOLD;
		} else /* each member a colour of its own */
			name = A_BOLD |
			    ui_tui_pair(t,
			        (enum ui_color)(UI_COLOR_NICK +
			            ui_room_nick_color(e->sender)));
	}

	if (j == 0) {
		wattron(w, A_DIM);
		waddstr(w, ui_format_clock(e->ts, buf, sizeof buf));
		wattroff(w, A_DIM);
	}
	wmove(w, row, time_cols(t));
	if (j == 0) {
		wattron(w, name);
		ui_tui_put(w, m->text + l->off, m->namelen, width);
		wattroff(w, name);
		skip = m->namelen;
	}
	if (m->quote_len > 0 && l->off + skip <= m->quote_off &&
	    m->quote_off < l->off + l->len) {
		/* A reply's quote: dim, on the first line. */
		ui_tui_put(w, m->text + l->off + skip,
		    m->quote_off - l->off - skip, width);
		wattron(w, A_DIM);
		ui_tui_put(w, m->text + m->quote_off, m->quote_len,
		    width - time_cols(t) - 3);
		wattroff(w, A_DIM);
		return;
	}
	wattron(w, own);
	ui_tui_put(w, m->text + l->off + skip, l->len - skip,
	    width - time_cols(t) - 3);
	wattroff(w, own);
}

/* Entry i from row on (its lines above the pane skipped); returns the
 * next free row, and in whole whether all its lines were drawn. */
static int
draw_entry(struct tui *t, struct client_convo *c, size_t i,
    const struct ui_view *v, int row, int h, bool *whole)
{
	struct client_entry *e = &c->e[i];
	struct ui_entry_text *m = t->lines; /* storage, filled here */
	int skip = i == v->top ? v->top_line : 0;
	int n, j, mk, width = getmaxx(t->conv);

	if (hidden(t, c, i)) {
		*whole = true;
		return row;
	}
	n = entry_text(t, c, i, m);
	mk = ui_marker_at(t, c, i);
	n += mk;
	*whole = row + n - skip <= h;
	for (j = skip; j < n && row < h; j++, row++) {
		wmove(t->conv, row, 0);
		if (m->date && j == 0) {
			draw_day(t, row, e);
			continue;
		}
		if (mk && j == m->date) {
			draw_new(t, row);
			continue;
		}
		draw_text(t, row, e, m, (size_t)(j - m->date - mk));
		if (e->outgoing && j == n - 1)
			draw_mark(t, row, e);
		if (v->hit == (long)i)
			mvwchgat(t->conv, row, time_cols(t),
			    width - time_cols(t) - 3, A_REVERSE, 0, NULL);
	}
	return row;
}

/*
 * A conversation just opened with more unread messages than fit below its
 * first: the view starts there, under the marker, instead of at the end.
 * Reopened with unread messages, a view left scrolled up goes to them too;
 * one opened at a /find hit stays there.
 */
static void
place(struct tui *t, struct pane_src *p, struct ui_view *v, int h)
{
	struct ui_view end;
	long at;

	if (p->c->n == 0 || v->hit >= 0)
		return;
	end = *v;
	ui_view_anchor_bottom(&end, &p->src, h);
	if (end.top_line > 0)
		end.top++; /* its first lines are above the pane */
	if ((at = ui_marker_place(t, p->c, end.top)) == -2 ||
	    (at == -1 && v->follow))
		return;
	if (at == -1) {
		ui_view_follow(v);
		return;
	}
	v->follow = false;
	v->news = true;
	v->top = (size_t)at;
	v->top_line = 0;
}

/* Entry last is the newest wholly on screen: since when, for
 * ui_sidebar_read_check. */
static void
seen(struct tui *t, const struct client_convo *c, size_t last)
{
	if (last >= c->n || strcmp(t->seen_id, c->e[last].id) == 0)
		return;
	snprintf(t->seen_id, sizeof t->seen_id, "%s", c->e[last].id);
	t->seen_at = client_rt_now_ms();
}

/* The messages from the view's anchor down, as many as fit. */
static void
draw_messages(struct tui *t)
{
	WINDOW *w = t->conv;
	struct pane_src p;
	struct ui_view *v;
	int h = pane_rows(t), row = 0;
	size_t i, last = 0;
	bool whole;

	werase(w);
	if (t->sel[0] == '\0')
		return;
	src_init(&p, t, client_convos_get(client_session_convos(t->s), t->sel));
	v = ui_pane_view(t, t->sel);
	/* Where it opens is decided at the first draw: what arrives later
	 * comes into a view at the end. */
	if (t->place) {
		place(t, &p, v, h);
		t->place = false;
	}
	if (p.c->n == 0) {
		wattron(w, A_DIM);
		if (ui_members_is_room(t->sel))
			mvwprintw(w, 1, 2,
			    "Nothing in %s yet. Type below and press Enter.",
			    t->sel);
		else
			mvwprintw(w, 1, 2,
			    "No messages with %s yet. Type below and press "
			    "Enter.",
			    t->sel);
		wattroff(w, A_DIM);
		return;
	}
	ui_view_clamp(v, &p.src, h);
	for (i = v->top; i < p.c->n && row < h; i++) {
		row = draw_entry(t, p.c, i, v, row, h, &whole);
		if (whole || i == v->top)
			last = i;
	}
	seen(t, p.c, last);
}

/* The conversation, with its transfers pinned at the bottom; or a list
 * (/transfers, /find) in its place. */
void
ui_pane_draw(struct tui *t)
{
	if (ui_lists_draw(t))
		return;
	draw_messages(t);
	ui_bars_draw_pinned(t);
	wnoutrefresh(t->conv);
}
