/* SPDX-License-Identifier: MIT */
/* The full-screen client. */
#ifndef UI_TUI_H
#define UI_TUI_H

#include <stdbool.h>

struct ui_options {
	const char *host; /* NULL: from the config file */
	unsigned port; /* 0: from the config file */
	const char *user;
	const char *data_dir;
	bool p2p; /* --p2p (the config file may also say p2p = on) */
	unsigned p2p_port; /* 0: from the config file, or any */
	bool light; /* --light: P2P without a relay connection while idle */
	int tls; /* --tls: 1 on, 0 off, -1 as the config file says */
};

int ui_tui_main(const struct ui_options *);

#endif
