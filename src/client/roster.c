/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/roster.h"
#include "proto/frame.h"
#include "util/map.h"
#include "util/xmalloc.h"

struct client_roster {
	struct client_contact *c;
	size_t n, cap;
	struct util_map *unread0; /* counts from before the USER lines */
};

/* An empty contact list. */
struct client_roster *
client_roster_new(void)
{
	struct client_roster *r;

	r = xcalloc(1, sizeof *r);
	r->unread0 = util_map_new();
	return r;
}

/* Free the list. */
void
client_roster_free(struct client_roster *r)
{
	if (r == NULL)
		return;
	util_map_free(r->unread0);
	free(r->c);
	free(r);
}

/* The key of peer in the waiting counts: its name in lower case. */
static size_t
waiting_key(const char *peer, size_t len, char *key)
{
	size_t i;

	for (i = 0; i < len && i < 32; i++)
		key[i] = (char)tolower((unsigned char)peer[i]);
	return i;
}

/* The unread count of peer, from the store, for when the relay names it. */
void
client_roster_set_unread(struct client_roster *r, const char *peer, unsigned n)
{
	struct client_contact *c = client_roster_find(r, peer);
	char key[32];

	if (c != NULL)
		c->unread = n;
	else
		util_map_set(r->unread0, key,
		    waiting_key(peer, strlen(peer), key), (void *)(uintptr_t)n);
}

/*
 * One more unread message from peer: counted on its contact, or kept
 * until the relay names peer (a new contact's first message can come
 * before its USER line).
 */
void
client_roster_add_unread(struct client_roster *r, const char *peer)
{
	struct client_contact *c = client_roster_find(r, peer);
	char key[32];
	size_t len;

	if (c != NULL) {
		c->unread++;
		return;
	}
	len = waiting_key(peer, strlen(peer), key);
	util_map_set(r->unread0, key, len,
	    (void *)((uintptr_t)util_map_get(r->unread0, key, len) + 1));
}

/* The contact called name (any case), or NULL. */
struct client_contact *
client_roster_find(struct client_roster *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcasecmp(r->c[i].name, name) == 0)
			return &r->c[i];
	}
	return NULL;
}

/*
 * A USER line: the contact name (len bytes) is online or not, last seen
 * at seen; added when new. *back says it has just come online.
 */
struct client_contact *
client_roster_set(struct client_roster *r, const char *name, size_t len,
    bool online, uint64_t seen, bool *back)
{
	struct proto_slice want = {name, len};
	struct client_contact *c = NULL;
	char key[32];
	size_t i;

	for (i = 0; i < r->n && c == NULL; i++) {
		struct proto_slice n = {r->c[i].name, strlen(r->c[i].name)};
		if (proto_name_eq(n, want))
			c = &r->c[i];
	}
	if (c == NULL) {
		XGROW(r->c, r->cap, r->n + 1, 16);
		c = &r->c[r->n++];
		memset(c, 0, sizeof *c);
		memcpy(c->name, name, len);
		c->name[len] = '\0';
		c->unread = (unsigned)(uintptr_t)util_map_remove(
		    r->unread0, key, waiting_key(name, len, key));
	}
	*back = online && !c->online;
	c->online = online;
	c->last_seen = seen;
	return c;
}

/* The contacts, in the order the relay named them. */
const struct client_contact *
client_roster_list(const struct client_roster *r, size_t *n)
{
	*n = r->n;
	return r->c;
}

/* Online first, then by name without case. */
static int
roster_cmp(const void *a, const void *b)
{
	const struct client_contact *x = a, *y = b;

	if (x->online != y->online)
		return x->online ? -1 : 1;
	return strcasecmp(x->name, y->name);
}

/* Order a contact list as the sidebar shows it: online first, by name. */
void
client_roster_sort(struct client_contact *c, size_t n)
{
	qsort(c, n, sizeof *c, roster_cmp);
}
