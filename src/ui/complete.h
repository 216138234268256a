/* SPDX-License-Identifier: MIT */
/*
 * Tab in the input line, without curses: the word before the cursor
 * completed from the contacts' names, or, as the line's first word
 * after '/', from the commands.
 */
#ifndef UI_COMPLETE_H
#define UI_COMPLETE_H

#include <stddef.h>

#include "ui/editor.h"

size_t ui_complete(
    struct ui_editor *, const char *const *, size_t, char *, size_t);

#endif
