/* SPDX-License-Identifier: MIT */
/*
 * Shared inside the full-screen client only: the state of the screen
 * (windows and view state; the model stays in client/) and the functions
 * its files call across. Not for the rest of the program: that is
 * ui/tui.h.
 */
#ifndef UI_TUI_INT_H
#define UI_TUI_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <curses.h>

#include "client/convo.h"
#include "client/runtime.h"
#include "client/session.h"
#include "ui/config.h"
#include "ui/editor.h"
#include "ui/format.h"
#include "ui/history.h"
#include "ui/room.h"
#include "ui/view.h"
#include "util/map.h"

#define UI_MIN_COLS 60
#define UI_MIN_ROWS 12
#define UI_SIDE_COLS 22
#define UI_SIDE_HEADING ((size_t)-1) /* the rooms' heading, in a list */
#define UI_READ_MS 1000 /* shown this long at its end: read */
#define UI_TIME_COLS 6
#define UI_KEY_PASTE_BEGIN_CURSES (KEY_MAX + 1)
#define UI_KEY_PASTE_END_CURSES (KEY_MAX + 2)
#define UI_KEY_CTRL_UP_CURSES (KEY_MAX + 3)
#define UI_KEY_CTRL_DOWN_CURSES (KEY_MAX + 4)
/* The input line's keys beyond the editor's (ui/editor.h): Alt-x is ESC
 * then x, read together. */
#define UI_KEY_CTRL_UP 0x1f0001
#define UI_KEY_CTRL_DOWN 0x1f0002
#define UI_KEY_NEWLINE 0x1f0003 /* Ctrl-J */
#define UI_KEY_ALT(c) (0x200000 + (c))
/* Keys of notify.c's define_key, as curses and as the editor's codes. */
#define UI_KEY_FOCUS_IN_CURSES (KEY_MAX + 5)
#define UI_KEY_FOCUS_OUT_CURSES (KEY_MAX + 6)
#define UI_KEY_ALT_R_CURSES (KEY_MAX + 7)
#define UI_KEY_FOCUS_IN (UI_KEY_BASE + 0x100)
#define UI_KEY_FOCUS_OUT (UI_KEY_BASE + 0x101)
#define UI_KEY_ALT_R (UI_KEY_BASE + 0x102)
#define UI_KEY_F7 (UI_KEY_BASE + 0x103) /* the member list */

struct tui {
	struct client_rt *rt;
	struct client_session *s;
	struct ui_config cfg;
	char relay[300];
	FILE *log;
	int lockfd; /* CLIENT_LOCK_FILE, held while we run */

	WINDOW *side, *head, *conv, *status, *input, *bars;
	int rows, cols, sw;
	bool too_small;

	struct ui_editor ed;
	struct client_contact *roster; /* a sorted copy, for drawing */
	size_t nroster;
	char sel[34];
	uint64_t shown_at; /* when sel was opened (monotonic ms) */
	bool reading; /* sel is the core's active conversation */
	bool place; /* sel just opened: its view may go to the marker */
	char seen_id[65]; /* the last message wholly on screen */
	uint64_t seen_at; /* since when (monotonic ms); 0: marked read */
	struct util_map *views; /* struct ui_view by lower-case peer */
	struct ui_entry_text *lines; /* one message's lines, for the pane */

	bool paste;
	bool confirm; /* long paste: asking */
	bool help;
	bool quit;
	bool form; /* the user logged in through the form */
	bool was_online; /* this session got in once */
	bool back_to_form; /* refused at login: the form again */
	bool dialog; /* the send-a-file dialog is open */
	struct ui_editor path; /* its path field */
	char tab_list[400]; /* the names a Tab there found, until a key */
	bool xfer_moved; /* progress to show at the next tick */
	int nbars; /* transfer lines above the status line */
	char stop_id[65]; /* Ctrl-X: the transfer asked about, y/n */
	unsigned ticks;
	bool dirty;
	char search[128];

	enum client_conn_state state;
	char detail[640];
	bool name_in_use; /* the relay said NAME_IN_USE to our login */
	uint64_t retry_at; /* monotonic ms */
	char notice[256];
	bool notice_error;
	uint64_t notice_until;
	bool notice_tab; /* the notice is Tab's list: gone at the next key */
	char typing_peer[34];
	uint64_t typing_until;
	char typing_to[34];

	struct ui_history *hist; /* lines sent, a draft per conversation */
	bool jumping; /* Ctrl-G: the sidebar filtered by what is typed */
	struct ui_editor jump; /* what is typed */
	long jump_pos; /* the chosen one among the matches */
	/* notify.c, marker.c, lists.c */
	bool away; /* the terminal is not focused */
	unsigned away_unread; /* messages since, in the title */
	uint64_t rang_at; /* monotonic ms of the last bell or notification */
	char rang_for[34]; /* and whose message it was */
	char *logdir; /* plain-text logs (config log = on), or NULL */
	struct util_map *markers; /* lower-case peer -> id of first unread */
	char shown[34]; /* the conversation the pane showed last */
	int time_cols; /* the time before a message and its gap */
	struct ui_list *list; /* /transfers or /find, when open */
	/* members.c: rooms. The roster's entries from nroom_at on are the
	 * rooms (a room is a contact named "#team", online if joined);
	 * mentions[i] counts roster entry i's unread mentions. */
	size_t nroom_at;
	unsigned *mentions;
	bool members; /* F7: the member list beside a room */
	bool members_laid; /* the layout has the member list's window */
	WINDOW *memw;
	struct ui_member *mem; /* the list shown (room mem_room) */
	size_t nmem;
	char mem_room[34];
	bool mem_fresh; /* the next RMEMBER starts a new list */
	bool filter; /* joins and leaves hidden */
	struct util_map *muted; /* lower-case room -> itself, muted */
	struct util_map *roles; /* lower-case room -> its role + 1, last told */
	bool leaving; /* /leave asked: the RINFO saying "none" is no news */
	char words[UI_ROOM_WORDS][33]; /* highlight words, from the config */
	const char *wordp[UI_ROOM_WORDS + 1]; /* NULL-terminated */
	bool listing; /* /rooms asked: the RINFOs that come are its rows */
	char listed[240];
	struct ui_rstate *rstate; /* the last RSTATE per room */
	size_t nrstate;
	char who[3][200]; /* /receipts: read, delivered, neither */
	char rcpt_room[40]; /* /receipts asked there, no answer yet */
};

/* A member in the member list, as RMEMBER said. */
struct ui_member {
	char name[33];
	char role[8];
	bool online;
};

/* Receipts of a room's newest message of ours (RSTATE). */
struct ui_rstate {
	char room[34];
	uint64_t seq, members, delivered, read;
};

/* tui.c: log, notices, drawing helpers, layout. */
void ui_tui_log(struct tui *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void ui_tui_notice(struct tui *, bool, const char *, ...)
    __attribute__((format(printf, 3, 4)));
attr_t ui_tui_pair(struct tui *, enum ui_color);
int ui_tui_put(WINDOW *, const char *, size_t, int);
void ui_tui_layout(struct tui *);
void ui_tui_modes_on(void);
void ui_tui_modes_off(void);

/* sidebar.c: the contacts and which one is selected. */
void ui_sidebar_refresh(struct tui *);
long ui_sidebar_index(struct tui *, const char *);
void ui_sidebar_select(struct tui *, const char *);
void ui_sidebar_move(struct tui *, int);
void ui_sidebar_click(struct tui *, int);
size_t ui_sidebar_visible(struct tui *, size_t *);
void ui_sidebar_draw(struct tui *);
void ui_sidebar_read_check(struct tui *);

/* pane.c: the header and the conversation, scrolled. */
struct ui_view *ui_pane_view(struct tui *, const char *);
int ui_pane_page(struct tui *);
void ui_pane_scroll(struct tui *, int);
void ui_pane_search(struct tui *, const char *);
void ui_pane_draw_header(struct tui *);
void ui_pane_draw(struct tui *);
void ui_pane_free_views(struct tui *);

/* bars.c: transfers, above the status line and at the pane's bottom. */
int ui_bars_count(struct tui *);
const struct client_xfer *ui_bars_xfer_for(struct tui *, const char *, bool);
size_t ui_bars_of_conv(struct tui *, const struct client_xfer **, size_t);
void ui_bars_draw(struct tui *);
void ui_bars_draw_pinned(struct tui *);
void ui_bars_accept(struct tui *);
void ui_bars_stop(struct tui *, bool);
bool ui_bars_stop_key(struct tui *, int);
bool ui_bars_draw_ask(struct tui *);
void ui_bars_notice_offer(struct tui *, const struct client_xfer *);

/* status.c: the status line and the help. */
void ui_status_draw(struct tui *);
void ui_status_draw_help(struct tui *);
void ui_status_draw_trust(struct tui *);
void ui_status_replaced(struct tui *, const char *);
void ui_status_reconnect(struct tui *);
void ui_status_devcount(void *, uint64_t);

/* input.c: keys, the input line, commands. */
int ui_input_key_of(int, wint_t);
void ui_input_key(struct tui *, int);
bool ui_input_paste_key(struct tui *, struct ui_editor *, int);
void ui_input_draw(struct tui *);
void ui_input_ready(void *);

/* nav.c: getting around, completion and the history of the input line. */
void ui_nav_nth(struct tui *, int);
void ui_nav_remember(struct tui *);
bool ui_nav_restore(struct tui *);
void ui_nav_next_unread(struct tui *);
void ui_nav_query(struct tui *, const char *);
void ui_nav_complete(struct tui *);
void ui_nav_recall(struct tui *, bool);
void ui_nav_jump_open(struct tui *);
void ui_nav_jump_key(struct tui *, int);
bool ui_nav_is_alt(int);
bool ui_nav_key(struct tui *, int);
void ui_nav_hotlist(struct tui *, int, char *, size_t);

/* dialog.c: the send-a-file dialog. */
void ui_dialog_open(struct tui *, const char *);
void ui_dialog_key(struct tui *, int);
void ui_dialog_draw(struct tui *);

/* notify.c: focus, bell, title, desktop notifications, text logs. */
void ui_notify_keys(void);
void ui_notify_start(struct tui *, const char *);
void ui_notify_stop(struct tui *);
bool ui_notify_key(struct tui *, int);
void ui_notify_message(struct tui *, const struct client_msg *);
void ui_notify_log(
    struct tui *, const char *, const char *, const char *, size_t);
void ui_notify_xfer(struct tui *, const struct client_xfer *);

/* marker.c: the read marker; reply.c: replies that quote. */
void ui_marker_note(struct tui *, const char *, const char *);
void ui_marker_scan(struct tui *);
bool ui_marker_at(struct tui *, const struct client_convo *, size_t);
long ui_marker_place(struct tui *, const struct client_convo *, size_t);
void ui_marker_free(struct tui *);
void ui_reply_start(struct tui *, const char *);

/* lists.c: /transfers and /find, drawn over the pane. */
bool ui_lists_command(struct tui *, const char *, const char *);
bool ui_lists_key(struct tui *, int);
bool ui_lists_draw(struct tui *);
void ui_lists_close(struct tui *);
bool ui_lists_owns(struct tui *, int);
void ui_lists_active(void *, const char *, uint64_t, uint64_t, bool, uint64_t);

/* members.c: rooms: their events, commands, member list, receipts. */
void ui_members_start(struct tui *);
void ui_members_free(struct tui *);
bool ui_members_is_room(const char *);
bool ui_members_command(struct tui *, const char *, const char *);
bool ui_members_shown(struct tui *);
void ui_members_toggle(struct tui *);
void ui_members_fetch(struct tui *);
void ui_members_draw(struct tui *);
bool ui_members_muted(struct tui *, const char *);
bool ui_members_mentions(struct tui *, const struct client_msg *);
const struct ui_rstate *ui_members_rstate(struct tui *, const char *);
int ui_members_header(struct tui *);
void ui_members_events(struct client_events *);
bool ui_members_error(struct tui *, const char *, const char *);

/* login.c: the login form. */
int ui_login_form(struct ui_config *, char *, size_t, const char *);

#endif
