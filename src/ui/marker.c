/* SPDX-License-Identifier: MIT */
/*
 * The read marker: a line "new" above the first message that was unread
 * when the conversation was opened, as in WeeChat and irssi. A marker is
 * set for a contact once it has unread messages (or a message comes in
 * the open conversation while the terminal is not focused) and stays
 * while its conversation is shown; leaving the conversation removes it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* The key of peer in the markers: its name in lower case. */
static size_t
marker_key(const char *peer, char *key)
{
	size_t i;

	for (i = 0; peer[i] != '\0' && i < 32; i++)
		key[i] = (char)(peer[i] >= 'A' && peer[i] <= 'Z'
		        ? peer[i] - 'A' + 'a'
		        : peer[i]);
	return i;
}

/* The marker goes above message id of peer, unless one is there. */
void
ui_marker_note(struct tui *t, const char *peer, const char *id)
{
	char key[33];
	size_t n = marker_key(peer, key);

	if (t->markers == NULL)
		t->markers = util_map_new();
	if (util_map_get(t->markers, key, n) == NULL)
		util_map_set(t->markers, key, n, xstrdup(id));
}

/* The first unread message of c, or NULL. */
static const struct client_entry *
first_unread(const struct client_convo *c)
{
	const struct client_entry *first = NULL;
	size_t i;

	for (i = c->n; i > 0; i--) {
		if (c->e[i - 1].outgoing)
			continue;
		if (c->e[i - 1].state != CLIENT_MSG_RECEIVED)
			break;
		first = &c->e[i - 1];
	}
	return first;
}

/*
 * Before each redraw: a marker for every other contact with unread
 * messages, and none any more for the conversation the user has just
 * left.
 */
void
ui_marker_scan(struct tui *t)
{
	struct client_convos *cs = client_session_convos(t->s);
	const struct client_contact *c;
	const struct client_entry *e;
	char key[33];
	size_t i, n;

	if (t->markers == NULL)
		t->markers = util_map_new();
	if (strcasecmp(t->shown, t->sel) != 0) {
		n = marker_key(t->shown, key);
		free(util_map_remove(t->markers, key, n));
		snprintf(t->shown, sizeof t->shown, "%s", t->sel);
	}
	c = client_session_contacts(t->s, &n);
	for (i = 0; i < n; i++) {
		/* What comes in where the user looks is not behind a
		 * marker (notify.c sets one while the terminal is away). */
		if (strcasecmp(c[i].name, t->sel) == 0)
			continue;
		if (c[i].unread == 0 ||
		    util_map_get(t->markers, key, marker_key(c[i].name, key)) !=
		        NULL)
			continue;
		e = first_unread(client_convos_get(cs, c[i].name));
		if (e != NULL)
			ui_marker_note(t, c[i].name, e->id);
	}
}

/* Whether the marker line goes above entry i of c. */
bool
ui_marker_at(struct tui *t, const struct client_convo *c, size_t i)
{
	const char *id;
	char key[33];

	if (t->markers == NULL || c->e[i].outgoing ||
	    (id = util_map_get(t->markers, key, marker_key(c->peer, key))) ==
	        NULL)
		return false;
	return strcmp(c->e[i].id, id) == 0;
}

/*
 * Where the conversation c just opened should start, when its first
 * unread message is above entry top (where the view at its end starts):
 * that message, under a marker; -1 when the view can be at the end, -2
 * when nothing in c is unread (a view left scrolled up stays there).
 */
long
ui_marker_place(struct tui *t, const struct client_convo *c, size_t top)
{
	const struct client_entry *e = first_unread(c);
	size_t i;

	for (i = c->n; i > 0; i--) {
		if (ui_marker_at(t, c, i - 1))
			break;
	}
	if (i == 0 && e == NULL)
		return -2;
	if (i == 0)
		i = (size_t)(e - c->e) + 1;
	if (i - 1 >= top)
		return -1;
	ui_marker_note(t, c->peer, c->e[i - 1].id);
	return (long)i - 1;
}

static void
free_one(const void *k, size_t len, void *v, void *arg)
{
	(void)k;
	(void)len;
	(void)arg;
	free(v);
}

/* Forget every marker. */
void
ui_marker_free(struct tui *t)
{
	if (t->markers == NULL)
		return;
	util_map_each(t->markers, free_one, NULL);
	util_map_free(t->markers);
	t->markers = NULL;
}
