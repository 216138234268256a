/* SPDX-License-Identifier: MIT */
/*
 * Getting around and the input line's helpers: Alt-1…Alt-9 and Alt-0 for
 * the sidebar's first ten rows, Alt-A to the next conversation with
 * unread messages, /query NAME, Ctrl-G to jump by typing part of a name,
 * the hotlist, Tab completion and the history of what was sent.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/complete.h"
#include "ui/hotlist.h"
#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* The store's key for the conversation open when the client quit. */
#define NAV_OPEN_KEY "ui.open"

/* At quit: keep the open conversation in the store for the next start. */
void
ui_nav_remember(struct tui *t)
{
	if (t->sel[0] != '\0')
		(void)client_store_meta_put(
		    client_session_store(t->s), NAV_OPEN_KEY, t->sel);
}

/*
 * At the first sync: open the conversation that was open at the last
 * quit, if its contact is still listed; false if there is none.
 */
bool
ui_nav_restore(struct tui *t)
{
	char name[sizeof t->sel];
	size_t i;

	if (client_store_meta_get(client_session_store(t->s), NAV_OPEN_KEY,
	        name, sizeof name) != 1)
		return false;
	for (i = 0; i < t->nroster; i++) {
		if (strcasecmp(t->roster[i].name, name) == 0) {
			ui_sidebar_select(t, t->roster[i].name);
			return true;
		}
	}
	return false;
}

/* Alt-1…Alt-9, Alt-0: the sidebar's n-th contact (0 is the tenth). */
void
ui_nav_nth(struct tui *t, int n)
{
	if (n == 0)
		n = 10;
	ui_sidebar_refresh(t);
	if (n < 1 || (size_t)n > t->nroster) {
		ui_tui_notice(t, true, "No conversation %d: there are %zu", n,
		    t->nroster);
		return;
	}
	ui_sidebar_select(t, t->roster[n - 1].name);
}

/* Alt-A: the conversation with the most unread messages but this one. */
void
ui_nav_next_unread(struct tui *t)
{
	size_t *idx, n, i;

	ui_sidebar_refresh(t);
	idx = xreallocarray(NULL, t->nroster + 1, sizeof *idx);
	n = ui_hotlist_order_prio(t->roster, t->mentions, t->nroster, idx);
	for (i = 0; i < n; i++) {
		if (strcasecmp(t->roster[idx[i]].name, t->sel) != 0)
			break;
	}
	if (i < n)
		ui_sidebar_select(t, t->roster[idx[i]].name);
	else
		ui_tui_notice(t, false, "Nothing unread elsewhere");
	free(idx);
}

/* /query NAME, /q NAME: that contact, or the only one starting so. */
void
ui_nav_query(struct tui *t, const char *arg)
{
	size_t len = strlen(arg), i, matches = 0;
	long hit = -1;

	while (len > 0 && arg[len - 1] == ' ')
		len--;
	if (len == 0) {
		ui_tui_notice(t, true, "Usage: /query NAME");
		return;
	}
	ui_sidebar_refresh(t);
	for (i = 0; i < t->nroster; i++) {
		if (strncasecmp(t->roster[i].name, arg, len) != 0)
			continue;
		hit = (long)i;
		if (strlen(t->roster[i].name) == len) {
			matches = 1;
			break;
		}
		matches++;
	}
	if (matches == 1)
		ui_sidebar_select(t, t->roster[hit].name);
	else if (matches == 0)
		ui_tui_notice(t, true, "No contact %.*s", (int)len, arg);
	else
		ui_tui_notice(t, true,
		    "%zu contacts start with %.*s: Tab lists them", matches,
		    (int)len, arg);
}

/* Add name to the n names (room for max), unless there already. */
static void
name_add(char (*names)[36], size_t *n, size_t max, const char *prefix,
    const char *name)
{
	char s[36];
	size_t i;

	snprintf(s, sizeof s, "%s%s", prefix, name);
	for (i = 0; i < *n; i++) {
		if (strcasecmp(names[i], s) == 0)
			return;
	}
	if (*n < max)
		memcpy(names[(*n)++], s, sizeof s);
}

/*
 * The names Tab completes the word before the cursor from: after "@" in
 * a room its members (as the member list last said) and the authors of
 * its messages, as "@name"; after "/join " the rooms known; else the
 * contacts and rooms of the sidebar. Returns how many (room for max).
 */
static size_t
candidates(struct tui *t, char (*names)[36], size_t max)
{
	const struct client_room *r;
	struct client_convo *c;
	size_t ws = t->ed.cur, n = 0, i, nr;

	while (ws > 0 && t->ed.buf[ws - 1] != ' ' && t->ed.buf[ws - 1] != '\n')
		ws--;
	if (ws < t->ed.len && t->ed.buf[ws] == '@' &&
	    ui_members_is_room(t->sel)) {
		for (i = 0; strcasecmp(t->mem_room, t->sel) == 0 && i < t->nmem;
		     i++)
			name_add(names, &n, max, "@", t->mem[i].name);
		c = client_convos_get(client_session_convos(t->s), t->sel);
		for (i = c->n; i > 0; i--) {
			if (strcmp(c->e[i - 1].sender, "*") != 0)
				name_add(
				    names, &n, max, "@", c->e[i - 1].sender);
		}
		return n;
	}
	if (ws == 6 && strncmp(t->ed.buf, "/join ", 6) == 0) {
		r = client_session_rooms(t->s, &nr);
		for (i = 0; i < nr; i++)
			name_add(names, &n, max, "", r[i].name);
		return n;
	}
	for (i = 0; i < t->nroster; i++)
		name_add(names, &n, max, "", t->roster[i].name);
	return n;
}

/* Tab: complete a name, "@member" in a room, a room after /join, or a
 * command; several are listed. */
void
ui_nav_complete(struct tui *t)
{
	char(*names)[36];
	const char **p;
	char list[256];
	size_t i, n, max;

	ui_sidebar_refresh(t);
	max = t->nroster + t->nmem + 256;
	names = xreallocarray(NULL, max, sizeof *names);
	n = candidates(t, names, max);
	p = xreallocarray(NULL, n + 1, sizeof *p);
	for (i = 0; i < n; i++)
		p[i] = names[i];
	if (ui_complete(&t->ed, p, n, list, sizeof list) > 1) {
		ui_tui_notice(t, false, "%s", list);
		t->notice_tab = true;
	}
	free(p);
	free(names);
}

/* Ctrl-Up/Alt-P (older) and Ctrl-Down/Alt-N: a line sent before. */
void
ui_nav_recall(struct tui *t, bool older)
{
	const char *s = older ? ui_history_older(t->hist, t->ed.buf, t->ed.len)
	                      : ui_history_newer(t->hist);

	if (s != NULL)
		ui_editor_set(&t->ed, s, strlen(s));
}

/* Ctrl-G: the sidebar shows the names holding what is typed. */
void
ui_nav_jump_open(struct tui *t)
{
	t->jumping = true;
	t->jump_pos = 0;
	ui_editor_clear(&t->jump);
}

/* Keys while jumping: Up/Down/Tab choose, Enter opens, Esc leaves. */
void
ui_nav_jump_key(struct tui *t, int key)
{
	size_t *idx, n;

	ui_sidebar_refresh(t);
	idx = xreallocarray(NULL, t->nroster + 1, sizeof *idx);
	n = ui_sidebar_visible(t, idx);
	switch (key) {
	case UI_KEY_ESC:
	case UI_KEY_CTRL('G'):
		t->jumping = false;
		break;
	case UI_KEY_UP:
	case UI_KEY_BTAB:
		if (t->jump_pos > 0)
			t->jump_pos--;
		break;
	case UI_KEY_DOWN:
	case '\t':
		if (t->jump_pos + 1 < (long)n)
			t->jump_pos++;
		break;
	case UI_KEY_ENTER:
		t->jumping = false;
		if (n > 0)
			ui_sidebar_select(t, t->roster[idx[t->jump_pos]].name);
		break;
	default:
		if (ui_editor_key(&t->jump, key) != UI_EDITOR_UNUSED)
			t->jump_pos = 0;
	}
	free(idx);
}

/* Whether key is an Alt key this file acts on. */
bool
ui_nav_is_alt(int key)
{
	static const char alts[] = "0123456789aApnrR\r";

	return key > UI_KEY_ALT(0) && key < UI_KEY_ALT(0x80) &&
	    strchr(alts, key - UI_KEY_ALT(0)) != NULL;
}

/* The input line's keys of this file; false for any other. */
bool
ui_nav_key(struct tui *t, int key)
{
	if (key >= UI_KEY_ALT('0') && key <= UI_KEY_ALT('9')) {
		ui_nav_nth(t, key - UI_KEY_ALT('0'));
		return true;
	}
	switch (key) {
	case UI_KEY_ALT('a'):
	case UI_KEY_ALT('A'):
		ui_nav_next_unread(t);
		break;
	case UI_KEY_ALT('p'):
	case UI_KEY_CTRL_UP:
		ui_nav_recall(t, true);
		break;
	case UI_KEY_ALT('n'):
	case UI_KEY_CTRL_DOWN:
		ui_nav_recall(t, false);
		break;
	case UI_KEY_ALT('\r'):
	case UI_KEY_NEWLINE:
		ui_editor_insert(&t->ed, "\n", 1);
		break;
	case UI_KEY_CTRL('G'):
		ui_nav_jump_open(t);
		break;
	case UI_KEY_CTRL('L'):
		ui_tui_layout(t); /* every window drawn again, in full */
		break;
	case '\t':
		ui_nav_complete(t);
		break;
	case UI_KEY_ALT('r'):
	case UI_KEY_ALT('R'):
		ui_reply_start(t, "");
		break;
	default:
		/* Another Alt key does nothing rather than type its letter. */
		return key >= UI_KEY_ALT(0);
	}
	return true;
}

/* The status line's hotlist in at most cols columns, into (out, len). */
void
ui_nav_hotlist(struct tui *t, int cols, char *out, size_t len)
{
	size_t *idx, n;

	ui_sidebar_refresh(t);
	idx = xreallocarray(NULL, t->nroster + 1, sizeof *idx);
	n = ui_hotlist_order_prio(t->roster, t->mentions, t->nroster, idx);
	ui_hotlist_format_prio(t->roster, t->mentions, idx, n, cols, out, len);
	free(idx);
}
