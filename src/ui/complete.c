/* SPDX-License-Identifier: MIT */
/*
 * Completion of the word before the cursor: one match replaces the word
 * (in the match's own case) and adds a space; several extend it to what
 * they share and are listed for the status line.
 */
#include <string.h>
#include <strings.h>

#include "ui/complete.h"

/* The commands of the input line, for Tab after '/'. */
static const char *const commands[] = {
    "/accept",
    "/admin",
    "/ban",
    "/cancel",
    "/clear",
    "/create",
    "/devices",
    "/exit",
    "/filter",
    "/find",
    "/help",
    "/invite",
    "/join",
    "/kick",
    "/leave",
    "/members",
    "/mute",
    "/part",
    "/q",
    "/query",
    "/quit",
    "/receipts",
    "/reconnect",
    "/reject",
    "/reply",
    "/rooms",
    "/search",
    "/send",
    "/topic",
    "/transfers",
    "/unadmin",
    "/unban",
    "/xfer",
};

/* How many leading bytes a and b share, ignoring ASCII case. */
static size_t
shared(const char *a, const char *b)
{
	size_t i;

	for (i = 0; a[i] != '\0' && b[i] != '\0'; i++) {
		if (strncasecmp(a + i, b + i, 1) != 0)
			break;
	}
	return i;
}

/* Add name to the space-separated list (out, len), if it fits. */
static void
list_add(char *out, size_t len, const char *name)
{
	size_t used = strlen(out);

	if (used + strlen(name) + 2 > len)
		return;
	if (used > 0)
		out[used++] = ' ';
	strcpy(out + used, name);
}

/* Replace the word from byte ws to the cursor with (s, n). */
static void
replace_word(struct ui_editor *e, size_t ws, const char *s, size_t n)
{
	while (e->cur > ws)
		ui_editor_backspace(e);
	ui_editor_insert(e, s, n);
}

/*
 * Complete the word before e's cursor from names (n of them), or from
 * the commands when it is the line's first word and starts with '/'.
 * Returns how many matched; list (len bytes) gets them, space-separated.
 */
size_t
ui_complete(struct ui_editor *e, const char *const *names, size_t n, char *list,
    size_t len)
{
	const char *const *cand = names, *first = NULL;
	size_t ncand = n, ws = e->cur, wlen, i, matches = 0, common = 0;

	if (len > 0)
		list[0] = '\0';
	while (ws > 0 && e->buf[ws - 1] != ' ' && e->buf[ws - 1] != '\n')
		ws--;
	wlen = e->cur - ws;
	if (wlen == 0)
		return 0;
	if (ws == 0 && e->buf[0] == '/') {
		cand = commands;
		ncand = sizeof commands / sizeof commands[0];
	}
	for (i = 0; i < ncand; i++) {
		if (strlen(cand[i]) < wlen ||
		    strncasecmp(cand[i], e->buf + ws, wlen) != 0)
			continue;
		if (matches++ == 0) {
			first = cand[i];
			common = strlen(first);
		} else if (shared(first, cand[i]) < common)
			common = shared(first, cand[i]);
		list_add(list, len, cand[i]);
	}
	if (matches == 1) {
		replace_word(e, ws, first, strlen(first));
		ui_editor_insert(e, " ", 1);
	} else if (matches > 1 && common > wlen)
		replace_word(e, ws, first, common);
	return matches;
}
