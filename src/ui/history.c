/* SPDX-License-Identifier: MIT */
/*
 * The lines sent, oldest first, with a position while browsing them, and
 * a draft per conversation keyed by the peer's lower-case name. Browsing
 * starts from what is being typed and Ctrl-Down past the newest gives it
 * back.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ui/history.h"
#include "util/map.h"
#include "util/xmalloc.h"

struct ui_history {
	char **lines;
	size_t n, cap;
	size_t pos; /* == n: not browsing */
	char *typed; /* what was in the line when browsing began */
	struct util_map *drafts; /* char * by lower-case peer */
};

/* An empty history. */
struct ui_history *
ui_history_new(void)
{
	struct ui_history *h = xcalloc(1, sizeof *h);

	h->drafts = util_map_new();
	return h;
}

/* Free one draft of the map. */
static void
free_draft(const void *key, size_t len, void *val, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	free(val);
}

/* Free the lines and the drafts. */
void
ui_history_free(struct ui_history *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->lines);
	free(h->typed);
	util_map_each(h->drafts, free_draft, NULL);
	util_map_free(h->drafts);
	free(h);
}

/* Stop browsing: the next Ctrl-Up starts from the newest line again. */
void
ui_history_reset(struct ui_history *h)
{
	h->pos = h->n;
	free(h->typed);
	h->typed = NULL;
}

/* A line was sent: the newest, the oldest dropped past the limit. */
void
ui_history_add(struct ui_history *h, const char *s, size_t len)
{
	if (len == 0)
		return;
	if (h->n > 0 && strlen(h->lines[h->n - 1]) == len &&
	    memcmp(h->lines[h->n - 1], s, len) == 0) {
		ui_history_reset(h);
		return;
	}
	if (h->n == UI_HISTORY_MAX) {
		free(h->lines[0]);
		memmove(h->lines, h->lines + 1, (h->n - 1) * sizeof *h->lines);
		h->n--;
	}
	XGROW(h->lines, h->cap, h->n + 1, 16);
	h->lines[h->n++] = xstrndup(s, len);
	ui_history_reset(h);
}

/*
 * Ctrl-Up: the line sent before the one shown; the first step keeps what
 * was typed (typed, len). NULL when there is nothing older.
 */
const char *
ui_history_older(struct ui_history *h, const char *typed, size_t len)
{
	if (h->pos == 0)
		return NULL;
	if (h->pos == h->n) {
		free(h->typed);
		h->typed = xstrndup(typed != NULL ? typed : "", len);
	}
	return h->lines[--h->pos];
}

/*
 * Ctrl-Down: the line sent after the one shown, past the newest what was
 * typed before browsing; NULL when not browsing.
 */
const char *
ui_history_newer(struct ui_history *h)
{
	if (h->pos >= h->n)
		return NULL;
	if (++h->pos < h->n)
		return h->lines[h->pos];
	return h->typed != NULL ? h->typed : "";
}

/* The peer's name in lower case, the drafts' key. */
static size_t
draft_key(const char *peer, char *key, size_t len)
{
	size_t i;

	for (i = 0; peer[i] != '\0' && i + 1 < len; i++)
		key[i] = (char)tolower((unsigned char)peer[i]);
	key[i] = '\0';
	return i;
}

/* Keep (s, len) as peer's draft; an empty one is forgotten. */
void
ui_history_save_draft(
    struct ui_history *h, const char *peer, const char *s, size_t len)
{
	char key[64];
	size_t klen = draft_key(peer, key, sizeof key);

	free(util_map_remove(h->drafts, key, klen));
	if (len > 0)
		util_map_set(h->drafts, key, klen, xstrndup(s, len));
}

/* Peer's draft, or "". */
const char *
ui_history_draft(const struct ui_history *h, const char *peer)
{
	char key[64];
	size_t klen = draft_key(peer, key, sizeof key);
	const char *d = util_map_get(h->drafts, key, klen);

	return d != NULL ? d : "";
}
