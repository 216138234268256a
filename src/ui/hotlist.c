/* SPDX-License-Identifier: MIT */
/*
 * Which conversations wait to be read, in the order Alt-A visits them,
 * and the status line's "[Act: …]" fitted to its columns.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ui/hotlist.h"

/* Whether contact a goes before b in the hotlist. */
static bool
before(const struct client_contact *c, const unsigned *mentions, size_t a,
    size_t b)
{
	unsigned ma = mentions != NULL ? mentions[a] : 0;
	unsigned mb = mentions != NULL ? mentions[b] : 0;

	if (ma != mb)
		return ma > mb;
	return c[a].unread > c[b].unread;
}

/*
 * The indices of the n contacts c (in the sidebar's order) with unread
 * messages into idx (room for n): the ones with unread mentions first
 * (mentions[i] of contact i; mentions may be NULL), the most mentions
 * first, then the most unread, ties in the sidebar's order. Returns how
 * many.
 */
size_t
ui_hotlist_order_prio(const struct client_contact *c, const unsigned *mentions,
    size_t n, size_t *idx)
{
	size_t k = 0, i, j;

	for (i = 0; i < n; i++) {
		if (c[i].unread == 0)
			continue;
		/* Insertion: stable, and the lists are a screenful. */
		for (j = k; j > 0 && before(c, mentions, i, idx[j - 1]); j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		k++;
	}
	return k;
}

/* The same without mentions: the most unread first. */
size_t
ui_hotlist_order(const struct client_contact *c, size_t n, size_t *idx)
{
	return ui_hotlist_order_prio(c, NULL, n, idx);
}

/*
 * "[Act: bob(3) carol(1)]" for the n contacts idx of c, at most cols
 * columns (names are ASCII): the ones that do not fit are counted, "+2".
 * Empty without any.
 */
void
ui_hotlist_format(const struct client_contact *c, const size_t *idx, size_t n,
    int cols, char *out, size_t len)
{
	ui_hotlist_format_prio(c, NULL, idx, n, cols, out, len);
}

/* The same with each one's unread mentions, "#team(3,@1)". */
void
ui_hotlist_format_prio(const struct client_contact *c, const unsigned *mentions,
    const size_t *idx, size_t n, int cols, char *out, size_t len)
{
	char item[64], more[32];
	size_t i, used;

	out[0] = '\0';
	if (n == 0 || len < 16 || cols < 12)
		return;
	used = (size_t)snprintf(out, len, "[Act:");
	for (i = 0; i < n; i++) {
		if (mentions != NULL && mentions[idx[i]] > 0)
			snprintf(item, sizeof item, " %s(%u,@%u)",
			    c[idx[i]].name, c[idx[i]].unread, mentions[idx[i]]);
		else
			snprintf(item, sizeof item, " %s(%u)", c[idx[i]].name,
			    c[idx[i]].unread);
		snprintf(more, sizeof more, " +%zu", n - i - 1);
		/* This one, the count of the rest if any, and "]". */
		if (used + strlen(item) + (i + 1 < n ? strlen(more) : 0) + 1 >
		        (size_t)cols ||
		    used + strlen(item) + 1 >= len)
			break;
		memcpy(out + used, item, strlen(item) + 1);
		used += strlen(item);
	}
	if (i < n) {
		snprintf(more, sizeof more, " +%zu", n - i);
		if (used + strlen(more) + 1 < len)
			memcpy(out + used, more, strlen(more) + 1);
		used += strlen(more);
	}
	if (used + 1 < len) {
		out[used] = ']';
		out[used + 1] = '\0';
	}
}
