/* SPDX-License-Identifier: MIT */
/*
 * The hotlist, without curses: the conversations with unread messages,
 * highest priority first (rooms with unread mentions of the user, then
 * the most unread, then the sidebar's order), and their text on the
 * status line, "[Act: #team(3,@1) bob(3) carol(1)]".
 */
#ifndef UI_HOTLIST_H
#define UI_HOTLIST_H

#include <stddef.h>

#include "client/roster.h"

size_t ui_hotlist_order(const struct client_contact *, size_t, size_t *);
size_t ui_hotlist_order_prio(
    const struct client_contact *, const unsigned *, size_t, size_t *);
void ui_hotlist_format(
    const struct client_contact *, const size_t *, size_t, int, char *, size_t);
void ui_hotlist_format_prio(const struct client_contact *, const unsigned *,
    const size_t *, size_t, int, char *, size_t);

#endif
