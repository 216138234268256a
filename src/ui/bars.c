/* SPDX-License-Identifier: MIT */
/*
 * Transfers on screen: a line above the status line for every moving one
 * (three at most), and the selected conversation's pinned at the bottom
 * of its pane. The transfers are the core's (client/xfer.c); the lines are
 * ui/format.c's.
 */
#include <string.h>
#include <strings.h>

#include "ui/tui_int.h"

/* Transfer lines above the status line: the moving ones, three at most. */
int
ui_bars_count(struct tui *t)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	size_t i;
	int n = 0;

	for (i = 0; i < client_xfers_count(xs) && n < 3; i++)
		n += ui_format_xfer_is_moving(client_xfers_at(xs, i));
	return n;
}

/* The transfer with peer that wants an answer or can be cancelled. */
const struct client_xfer *
ui_bars_xfer_for(struct tui *t, const char *peer, bool offers_only)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	const struct client_xfer *x;
	size_t i;

	for (i = 0; i < client_xfers_count(xs); i++) {
		x = client_xfers_at(xs, i);
		if (strcasecmp(x->peer, peer) != 0)
			continue;
		if (x->state == CLIENT_XFER_INCOMING ||
		    (!offers_only && ui_format_xfer_is_moving(x)))
			return x;
	}
	return NULL;
}

/* Transfers shown at the bottom of the selected conversation. */
size_t
ui_bars_of_conv(struct tui *t, const struct client_xfer **out, size_t max)
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

/* The selected conversation's transfers, on the last rows of its pane. */
void
ui_bars_draw_pinned(struct tui *t)
{
	const struct client_xfer *x[4];
	WINDOW *w = t->conv;
	char line[5200];
	size_t n, i;
	int h = getmaxy(w), width = getmaxx(w), row;
	attr_t a;

	n = ui_bars_of_conv(t, x, 4);
	for (i = 0; i < n; i++) {
		row = h - 1 - (int)i;
		if (row < 0)
			break;
		ui_format_xfer(x[i], width - 1, line, sizeof line);
		wmove(w, row, 0);
		wclrtoeol(w);
		if (x[i]->state == CLIENT_XFER_FAILED)
			a = ui_tui_pair(t, UI_COLOR_ERROR);
		else if (x[i]->state == CLIENT_XFER_INCOMING)
			a = A_BOLD | ui_tui_pair(t, UI_COLOR_UNREAD);
		else
			a = ui_tui_pair(t, UI_COLOR_MARK);
		wattron(w, a);
		wmove(w, row, 1);
		ui_tui_put(w, line, strlen(line), width - 1);
		wattroff(w, a);
	}
}

/* Every moving transfer, above the status line. */
void
ui_bars_draw(struct tui *t)
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
		if (!ui_format_xfer_is_moving(x))
			continue;
		snprintf(who, sizeof who, " %s %s ",
		    x->outgoing ? "to" : "from", x->peer);
		wmove(t->bars, row, 0);
		wattron(t->bars, A_DIM);
		waddstr(t->bars, who);
		wattroff(t->bars, A_DIM);
		ui_format_xfer(
		    x, t->cols - 1 - (int)strlen(who), line, sizeof line);
		ui_tui_put(t->bars, line, strlen(line),
		    t->cols - 1 - (int)strlen(who));
		row++;
	}
	wnoutrefresh(t->bars);
}

/* Ctrl-O: accept the offer waiting in this conversation. */
void
ui_bars_accept(struct tui *t)
{
	const struct client_xfer *x = ui_bars_xfer_for(t, t->sel, true);
	char err[256];

	if (x == NULL) {
		ui_tui_notice(t, false, "No file offer waits here");
		return;
	}
	if (client_xfers_accept(
	        client_session_xfers(t->s), x->id, err, sizeof err) != 0)
		ui_tui_notice(t, true, "%s", err);
}

/* Reject the offer x, or cancel the transfer x. */
static void
stop(struct tui *t, const struct client_xfer *x)
{
	if (x->state == CLIENT_XFER_INCOMING)
		client_xfers_reject(
		    client_session_xfers(t->s), x->id, "declined");
	else
		client_xfers_cancel(
		    client_session_xfers(t->s), x->id, "cancelled by the user");
}

/*
 * Ctrl-X (ask): the offer or transfer of this conversation is rejected
 * or cancelled once the user says y to the question on the input line,
 * as in the transfer list; /reject and /cancel (!ask) do it at once.
 */
void
ui_bars_stop(struct tui *t, bool ask)
{
	const struct client_xfer *x = ui_bars_xfer_for(t, t->sel, false);

	t->stop_id[0] = '\0';
	if (x == NULL) {
		ui_tui_notice(t, false, "No transfer to stop here");
		return;
	}
	if (ask) {
		snprintf(t->stop_id, sizeof t->stop_id, "%s", x->id);
		return;
	}
	stop(t, x);
}

/* The transfer Ctrl-X asks about, while it can still be stopped. */
static const struct client_xfer *
asked(struct tui *t)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	const struct client_xfer *x;
	size_t i;

	for (i = 0; t->stop_id[0] != '\0' && i < client_xfers_count(xs); i++) {
		x = client_xfers_at(xs, i);
		if (strcmp(x->id, t->stop_id) == 0 &&
		    (x->state == CLIENT_XFER_INCOMING ||
		        ui_format_xfer_is_moving(x)))
			return x;
	}
	t->stop_id[0] = '\0';
	return NULL;
}

/* The answer to Ctrl-X's question: y stops, any other key does not. */
bool
ui_bars_stop_key(struct tui *t, int key)
{
	const struct client_xfer *x = asked(t);

	if (x == NULL)
		return false;
	t->stop_id[0] = '\0';
	if (key != 'y' && key != 'Y')
		return true;
	stop(t, x);
	return true;
}

/* Ctrl-X's question in place of the input line; false when none. */
bool
ui_bars_draw_ask(struct tui *t)
{
	const struct client_xfer *x = asked(t);
	char line[400];

	if (x == NULL)
		return false;
	ui_format_xfer_ask(x, t->cols - 1, line, sizeof line);
	wattron(t->input, A_BOLD);
	wmove(t->input, 0, 0);
	ui_tui_put(t->input, line, strlen(line), t->cols - 1);
	wattroff(t->input, A_BOLD);
	wnoutrefresh(t->input);
	return true;
}

/* Whether an offer before the i-th transfer waits from peer. */
static bool
offered_before(struct client_xfers *xs, size_t i, const char *peer)
{
	const struct client_xfer *o;

	while (i-- > 0) {
		o = client_xfers_at(xs, i);
		if (o->state == CLIENT_XFER_INCOMING &&
		    strcasecmp(o->peer, peer) == 0)
			return true;
	}
	return false;
}

/*
 * A file offered outside the open conversation: a notice, which names
 * every offer still waiting elsewhere, so that the next does not hide it.
 */
void
ui_bars_notice_offer(struct tui *t, const struct client_xfer *x)
{
	struct client_xfers *xs = client_session_xfers(t->s);
	const struct client_xfer *o;
	char who[200] = "";
	size_t i, n = 0, k = 0;

	for (i = 0; i < client_xfers_count(xs); i++) {
		o = client_xfers_at(xs, i);
		if (o->state != CLIENT_XFER_INCOMING ||
		    strcasecmp(o->peer, t->sel) == 0)
			continue;
		if (n++ > 0 && offered_before(xs, i, o->peer))
			continue; /* each name once */
		if (k > 0 && k < sizeof who)
			k += (size_t)snprintf(who + k, sizeof who - k, ", ");
		if (k < sizeof who)
			k += (size_t)snprintf(
			    who + k, sizeof who - k, "%s", o->peer);
	}
	if (n <= 1)
		ui_tui_notice(t, false,
		    "%s offers a file: %s (open their conversation, Ctrl-O "
		    "to accept)",
		    x->peer, x->name);
	else
		ui_tui_notice(t, false,
		    "%zu files offered, by %s (marked \xe2\x86\x93; open "
		    "the conversation, Ctrl-O to accept)",
		    n, who);
}
