/* SPDX-License-Identifier: MIT */
/*
 * Replies that quote: Alt-R or /reply puts "> NAME: FIRST LINE" and a
 * line break in front of the input line, quoting the message found by
 * /search (highlighted) or else the last one the peer wrote; /reply TEXT
 * sends TEXT so at once. The quote is plain text (docs/protocol.md,
 * "Replies"), so any client shows it as two lines; this one draws the
 * quote dim on one line (ui_format_entry).
 */
#include <stdlib.h>
#include <string.h>

#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* The message a reply quotes: the search hit, or the peer's last. */
static const struct client_entry *
quoted(struct tui *t)
{
	struct client_convo *c =
	    client_convos_get(client_session_convos(t->s), t->sel);
	struct ui_view *v = ui_pane_view(t, t->sel);
	size_t i;

	if (v->hit >= 0 && (size_t)v->hit < c->n)
		return &c->e[v->hit];
	for (i = c->n; i > 0; i--) {
		if (!c->e[i - 1].outgoing && strcmp(c->e[i - 1].sender, "*"))
			return &c->e[i - 1];
	}
	return c->n > 0 ? &c->e[c->n - 1] : NULL;
}

/* Alt-R, /reply: quote in the input line; /reply TEXT: send a reply. */
void
ui_reply_start(struct tui *t, const char *text)
{
	const struct client_entry *e;
	char quote[512], *old, id[80], err[256], *msg;
	size_t n, oldlen, tlen = strlen(text);

	if (t->sel[0] == '\0' || (e = quoted(t)) == NULL ||
	    (n = ui_format_quote(
	         e->sender, e->body, e->len, quote, sizeof quote)) == 0) {
		ui_tui_notice(t, false, "Nothing to reply to here");
		return;
	}
	if (tlen > 0) {
		msg = xmalloc(n + tlen + 1);
		memcpy(msg, quote, n);
		memcpy(msg + n, text, tlen);
		msg[n + tlen] = '\0';
		if (client_session_queue_msg(
		        t->s, t->sel, msg, n + tlen, id, err, sizeof err) != 0)
			ui_tui_notice(t, true, "Not sent: %s", err);
		free(msg);
		return;
	}
	oldlen = t->ed.len;
	old = oldlen > 0 ? xstrndup(t->ed.buf, oldlen) : NULL;
	ui_editor_set(&t->ed, quote, n);
	if (old != NULL)
		ui_editor_insert(&t->ed, old, oldlen);
	free(old);
	t->dirty = true;
}
