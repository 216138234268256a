/* SPDX-License-Identifier: MIT */
/*
 * Where a conversation is scrolled to, without curses: an anchor (an entry
 * and how many of its lines are above the pane) or "following the newest",
 * moved by whole screen lines over entries whose heights the caller knows.
 * View state, kept per peer by the UI; the entries stay in client/.
 */
#ifndef UI_VIEW_H
#define UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>

struct ui_view {
	bool follow; /* stuck to the newest message */
	size_t top; /* entry at the top of the pane */
	int top_line; /* lines of it above the pane */
	bool news; /* something new below while scrolled up */
	long hit; /* last search hit, or -1 */
};

/* The entries a view scrolls over. */
struct ui_view_src {
	size_t n; /* entries loaded, oldest first */
	/* Screen lines of entry i at the pane's width. */
	int (*lines)(void *, size_t);
	/* Load up to that many older entries before the first; returns how
	 * many came (0: the history is complete). */
	size_t (*older)(void *, size_t);
	void *arg;
};

void ui_view_init(struct ui_view *);
void ui_view_anchor_bottom(struct ui_view *, struct ui_view_src *, int);
void ui_view_scroll_up(struct ui_view *, struct ui_view_src *, int, int);
void ui_view_scroll_down(struct ui_view *, struct ui_view_src *, int, int);
void ui_view_follow(struct ui_view *);
void ui_view_jump(struct ui_view *, long);
void ui_view_clamp(struct ui_view *, struct ui_view_src *, int);
long ui_view_list_first(long, int);

#endif
