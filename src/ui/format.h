/* SPDX-License-Identifier: MIT */
/*
 * The UI's text, without curses: transfer lines, sizes, delivery marks,
 * the status line, times, and a message's lines wrapped to the pane. Each
 * takes the width it must fit and fills a caller's buffer or struct.
 */
#ifndef UI_FORMAT_H
#define UI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/convo.h"
#include "client/session.h"
#include "client/xfer.h"
#include "ui/text.h"

/* Colours by role; the numbers are the curses colour pairs. */
enum ui_color {
	UI_COLOR_NONE,
	UI_COLOR_OWN,
	UI_COLOR_PEER,
	UI_COLOR_ONLINE,
	UI_COLOR_UNREAD,
	UI_COLOR_STATUS,
	UI_COLOR_ERROR,
	UI_COLOR_DIM,
	UI_COLOR_MARK,
	UI_COLOR_READ, /* ✓✓ read: a colour of its own */
	UI_COLOR_NEW, /* the read marker line */
	UI_COLOR_HIGHLIGHT, /* a room message that mentions the user */
	UI_COLOR_NICK /* a member's name: this and the next 4 (ui/room.h) */
};

#define UI_ENTRY_BODY 32768 /* bytes of a body shown */
#define UI_ENTRY_LINES 4096 /* lines of one message shown */

/* A message as the pane shows it: "name: body" and its wrapped lines. */
struct ui_entry_text {
	bool date; /* a date line comes first: the day changed */
	size_t namelen; /* the name's bytes at the start of text */
	size_t quote_off, quote_len; /* a reply's quote line in text */
	char text[UI_ENTRY_BODY + 64];
	struct ui_span line[UI_ENTRY_LINES]; /* into text */
	size_t nline;
};

/* What the status line says when no notice is up. */
struct ui_status_info {
	const char *me, *relay;
	enum client_conn_state state;
	const char *detail; /* why it failed */
	uint64_t retry_at, now; /* monotonic ms */
	size_t pending; /* messages in the outbox */
	uint64_t devices; /* the user's devices, as the relay said */
	int width; /* columns it has; 0: any */
};

void ui_format_size(double, char *, size_t);
bool ui_format_xfer_is_moving(const struct client_xfer *);
void ui_format_xfer(const struct client_xfer *, int, char *, size_t);
void ui_format_xfer_row(const struct client_xfer *, int, int, char *, size_t);
void ui_format_xfer_note(const struct client_xfer *, char *, size_t);
void ui_format_xfer_ask(const struct client_xfer *, int, char *, size_t);
int ui_format_xfer_entry(
    const struct client_xfer *, int, struct ui_entry_text *);
void ui_format_badge(unsigned, const struct client_xfer *, char *, size_t);
int ui_format_percent(const struct client_xfer *);
void ui_format_fit(const char *, int, bool, char *, size_t);
const char *ui_format_mark(const struct client_entry *, enum ui_color *);
/* Between the forms of a notice, longest first: "long" UI_NOTICE_OR "short". */
#define UI_NOTICE_OR "\x1f"

void ui_format_status(const struct ui_status_info *, char *, size_t);
const char *ui_format_notice(const char *, int, size_t *);
void ui_format_set_clock(const char *);
int ui_format_clock_width(const char *);
int ui_format_clock_cols(void);
const char *ui_format_clock(uint64_t, char *, size_t);
size_t ui_format_quote(const char *, const char *, size_t, char *, size_t);
bool ui_format_quoted(const char *, size_t, size_t *, size_t *);
void ui_format_day(uint64_t, char *, size_t);
void ui_format_presence(bool, uint64_t, char *, size_t);
int ui_format_entry(
    const struct client_convo *, size_t, int, struct ui_entry_text *);

#endif
