/* SPDX-License-Identifier: MIT */
/*
 * The input line's memory, without curses: the lines sent (recalled with
 * Ctrl-Up/Ctrl-Down, Alt-P/Alt-N) and one draft per conversation (kept
 * while another one is open).
 */
#ifndef UI_HISTORY_H
#define UI_HISTORY_H

#include <stddef.h>

#define UI_HISTORY_MAX 200

struct ui_history;

struct ui_history *ui_history_new(void);
void ui_history_free(struct ui_history *);
void ui_history_add(struct ui_history *, const char *, size_t);
const char *ui_history_older(struct ui_history *, const char *, size_t);
const char *ui_history_newer(struct ui_history *);
void ui_history_reset(struct ui_history *);
void ui_history_save_draft(
    struct ui_history *, const char *, const char *, size_t);
const char *ui_history_draft(const struct ui_history *, const char *);

#endif
