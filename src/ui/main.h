/* SPDX-License-Identifier: MIT */
/* The full-screen client's command line. */
#ifndef UI_MAIN_H
#define UI_MAIN_H

int ui_main_run(int, char **);

#endif
