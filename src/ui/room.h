/* SPDX-License-Identifier: MIT */
/*
 * Rooms in the full-screen client, without curses: a member's nick
 * colour, the unread messages that mention the user, which event lines
 * the filter hides, the room commands as typed, a member's row in the
 * member list, and the highlight words of the config.
 */
#ifndef UI_ROOM_H
#define UI_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "client/convo.h"

#define UI_ROOM_NICK_COLORS 5 /* nick colours, the user's own excluded */
#define UI_ROOM_WORDS 8 /* highlight words, at most */

/* A room command, parsed: the request for client_session_room, or one
 * the UI answers itself (op "members", "filter", "mute"). */
struct ui_room_cmd {
	char op[16];
	char room[40];
	char arg[1100];
};

unsigned ui_room_nick_color(const char *);
bool ui_room_is_event(const struct client_entry *);
bool ui_room_is_joinleave(const struct client_entry *);
unsigned ui_room_mentions(
    const struct client_convo *, const char *, const char *const *);
int ui_room_parse(const char *, const char *, const char *,
    struct ui_room_cmd *, char *, size_t);
void ui_room_member_row(const char *, const char *, bool, char *, size_t);
size_t ui_room_words(const char *, char (*)[33], size_t);

#endif
