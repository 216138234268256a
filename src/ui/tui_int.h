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
#include "ui/view.h"
#include "util/map.h"

#define UI_MIN_COLS 60
#define UI_MIN_ROWS 12
#define UI_SIDE_COLS 22
#define UI_READ_MS 1000 /* shown this long at its end: read */
#define UI_TIME_COLS 6
#define UI_KEY_PASTE_BEGIN_CURSES (KEY_MAX + 1)
#define UI_KEY_PASTE_END_CURSES (KEY_MAX + 2)

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
	char sel[33];
	uint64_t shown_at; /* when sel was opened (monotonic ms) */
	bool reading; /* sel is the core's active conversation */
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
	bool xfer_moved; /* progress to show at the next tick */
	int nbars; /* transfer lines above the status line */
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
	char typing_peer[33];
	uint64_t typing_until;
	char typing_to[33];
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
void ui_bars_stop(struct tui *);
void ui_bars_notice_offer(struct tui *, const struct client_xfer *);

/* status.c: the status line and the help. */
void ui_status_draw(struct tui *);
void ui_status_draw_help(struct tui *);
void ui_status_draw_trust(struct tui *);

/* input.c: keys, the input line, commands. */
int ui_input_key_of(int, wint_t);
void ui_input_key(struct tui *, int);
bool ui_input_paste_key(struct tui *, struct ui_editor *, int);
void ui_input_draw(struct tui *);
void ui_input_ready(void *);

/* dialog.c: the send-a-file dialog. */
void ui_dialog_open(struct tui *, const char *);
void ui_dialog_key(struct tui *, int);
void ui_dialog_draw(struct tui *);

/* login.c: the login form. */
int ui_login_form(struct ui_config *, char *, size_t, const char *);

#endif
