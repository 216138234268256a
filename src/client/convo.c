/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/convo.h"
#include "util/map.h"
#include "util/xmalloc.h"

#define CONVO_PAGE 200

struct client_convos {
	struct client_store *store;
	struct util_map *by_peer; /* lower-case name -> convo */
};

static size_t
lower_key(char *key, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < 33; i++)
		key[i] = (char)tolower((unsigned char)name[i]);
	key[i] = '\0';
	return i;
}

/* An empty set of conversations over a store. */
struct client_convos *
client_convos_new(struct client_store *store)
{
	struct client_convos *cs;

	cs = xcalloc(1, sizeof *cs);
	cs->store = store;
	cs->by_peer = util_map_new();
	return cs;
}

static void
convo_free(const void *k, size_t len, void *v, void *arg)
{
	struct client_convo *c = v;
	size_t i;

	(void)k;
	(void)len;
	(void)arg;
	for (i = 0; i < c->n; i++)
		free(c->e[i].body);
	free(c->e);
	free(c);
}

/* Free every conversation. */
void
client_convos_free(struct client_convos *cs)
{
	if (cs == NULL)
		return;
	util_map_each(cs->by_peer, convo_free, NULL);
	util_map_free(cs->by_peer);
	free(cs);
}

static void
entry_fill(struct client_entry *e, const struct client_msg *m)
{
	memset(e, 0, sizeof *e);
	e->rowid = m->rowid;
	strncpy(e->id, m->id, sizeof e->id - 1);
	strncpy(e->sender, m->sender, sizeof e->sender - 1);
	e->ts = m->ts;
	e->body = xmalloc(m->len + 1);
	memcpy(e->body, m->body, m->len);
	e->body[m->len] = '\0';
	e->len = m->len;
	e->outgoing = m->outgoing;
	e->state = m->state;
	e->direct = m->direct;
	e->seq = m->seq;
}

/* The conversation with peer if it was loaded, else NULL. */
struct client_convo *
client_convos_find(struct client_convos *cs, const char *peer)
{
	char key[34];
	size_t n = lower_key(key, peer);

	return util_map_get(cs->by_peer, key, n);
}

/* The conversation with peer; its latest page is loaded on first use. */
struct client_convo *
client_convos_get(struct client_convos *cs, const char *peer)
{
	struct client_convo *c;
	char key[34];
	size_t n = lower_key(key, peer);

	if ((c = util_map_get(cs->by_peer, key, n)) != NULL)
		return c;
	c = xcalloc(1, sizeof *c);
	strncpy(c->peer, peer, sizeof c->peer - 1);
	util_map_set(cs->by_peer, key, n, c);
	client_convo_load_older(cs, c, CONVO_PAGE);
	return c;
}

/*
 * Order the entries by the time they were sent, equal times as they
 * were: an insertion sort, the entries being nearly in order already.
 */
static void
convo_sort(struct client_convo *c)
{
	struct client_entry tmp;
	size_t i, j;

	for (i = 1; i < c->n; i++) {
		if (c->e[i - 1].ts <= c->e[i].ts)
			continue;
		tmp = c->e[i];
		for (j = i; j > 0 && c->e[j - 1].ts > tmp.ts; j--)
			c->e[j] = c->e[j - 1];
		c->e[j] = tmp;
	}
}

struct page {
	struct client_entry *e;
	size_t n;
};

static void
page_row(void *arg, const struct client_msg *m)
{
	struct page *p = arg;

	entry_fill(&p->e[p->n++], m);
}

/* Load up to limit older messages in front; returns how many came. */
size_t
client_convo_load_older(
    struct client_convos *cs, struct client_convo *c, size_t limit)
{
	struct page p;
	int64_t before = INT64_MAX;
	size_t i;
	int got;

	if (c->complete || limit == 0)
		return 0;
	/* The store pages by arrival (rowid); the oldest arrival loaded may
	 * not be first once ordered by time. */
	for (i = 0; i < c->n; i++) {
		if (c->e[i].rowid < before)
			before = c->e[i].rowid;
	}
	p.e = xcalloc(limit, sizeof *p.e);
	p.n = 0;
	got = client_store_history(
	    cs->store, c->peer, before, (int)limit, page_row, &p);
	if (got < 0 || (size_t)got < limit)
		c->complete = true;
	if (p.n == 0) {
		free(p.e);
		return 0;
	}
	XGROW(c->e, c->cap, c->n + p.n, 64);
	memmove(c->e + p.n, c->e, c->n * sizeof *c->e);
	/* The store gives newest first. */
	for (i = 0; i < p.n; i++)
		c->e[i] = p.e[p.n - 1 - i];
	c->n += p.n;
	free(p.e);
	convo_sort(c);
	return p.n;
}

/*
 * Add a new message to its conversation, if that one is loaded, in the
 * order of the times they were sent (after those of the same time).
 */
void
client_convos_append(
    struct client_convos *cs, const char *peer, const struct client_msg *m)
{
	struct client_convo *c = client_convos_find(cs, peer);
	size_t i, pos;

	if (c == NULL)
		return;
	/* A duplicate delivery is already there. */
	for (i = c->n; i > 0 && i + 500 > c->n; i--) {
		if (strcmp(c->e[i - 1].id, m->id) == 0 &&
		    strcasecmp(c->e[i - 1].sender, m->sender) == 0)
			return;
	}
	XGROW(c->e, c->cap, c->n + 1, 64);
	for (pos = c->n; pos > 0 && c->e[pos - 1].ts > m->ts; pos--)
		;
	memmove(c->e + pos + 1, c->e + pos, (c->n - pos) * sizeof *c->e);
	entry_fill(&c->e[pos], m);
	c->n++;
}

static void
set_state_in(struct client_convo *c, const char *id, enum client_msg_state st)
{
	size_t i;

	for (i = c->n; i > 0; i--) {
		struct client_entry *e = &c->e[i - 1];
		if (e->outgoing && strcmp(e->id, id) == 0) {
			if (st == CLIENT_MSG_FAILED
			        ? e->state == CLIENT_MSG_PENDING
			        : st > e->state &&
			            e->state != CLIENT_MSG_FAILED)
				e->state = st;
			return;
		}
	}
}

struct state_ctx {
	const char *id;
	enum client_msg_state st;
};

static void
state_each(const void *k, size_t len, void *v, void *arg)
{
	struct state_ctx *x = arg;

	(void)k;
	(void)len;
	set_state_in(v, x->id, x->st);
}

/* A message of ours moved on (peer NULL when not known). */
void
client_convos_set_state(struct client_convos *cs, const char *peer,
    const char *id, enum client_msg_state st)
{
	struct client_convo *c;
	struct state_ctx x = {id, st};

	if (peer != NULL) {
		if ((c = client_convos_find(cs, peer)) != NULL)
			set_state_in(c, id, st);
		return;
	}
	util_map_each(cs->by_peer, state_each, &x);
}

/* A message of ours to peer went over a direct connection. */
void
client_convos_set_direct(
    struct client_convos *cs, const char *peer, const char *id)
{
	struct client_convo *c = client_convos_find(cs, peer);
	size_t i;

	for (i = c != NULL ? c->n : 0; i > 0; i--) {
		if (c->e[i - 1].outgoing && strcmp(c->e[i - 1].id, id) == 0) {
			c->e[i - 1].direct = true;
			return;
		}
	}
}

/* Our message id to room got its number in the room's log. */
void
client_convos_set_seq(
    struct client_convos *cs, const char *room, const char *id, uint64_t seq)
{
	struct client_convo *c = client_convos_find(cs, room);
	size_t i;

	for (i = c != NULL ? c->n : 0; i > 0; i--) {
		if (c->e[i - 1].outgoing && strcmp(c->e[i - 1].id, id) == 0) {
			c->e[i - 1].seq = seq;
			return;
		}
	}
}

/* Forget what the view holds (the store keeps it all). */
void
client_convo_clear(struct client_convo *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].body);
	c->n = 0;
	c->complete = true;
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n; i++) {
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

/*
 * Find text (ASCII letters case-insensitively) in the conversation,
 * starting before index from (dir -1, towards older; the whole history is
 * loaded as needed) or after it (dir 1). Returns the index or -1.
 */
long
client_convo_search(struct client_convos *cs, struct client_convo *c,
    const char *text, long from, int dir)
{
	long i;
	size_t more;

	if (*text == '\0')
		return -1;
	for (;;) {
		for (i = from + dir; i >= 0 && i < (long)c->n; i += dir) {
			if (contains_ci(c->e[i].body, text))
				return i;
		}
		if (dir > 0 || c->complete)
			return -1;
		more =
		    client_convo_load_older(cs, c, c->n > 1000 ? c->n : 1000);
		from = (long)more;
	}
}
