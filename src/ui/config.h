/* SPDX-License-Identifier: MIT */
/*
 * The client's config file, $XDG_CONFIG_HOME/termgram/config: lines of
 * "key = value", '#' comments. A commented default is in assets/.
 */
#ifndef UI_CONFIG_H
#define UI_CONFIG_H

#include <stdbool.h>

/* The colour themes; mono (or NO_COLOR) also clears color. */
enum ui_theme { UI_THEME_DEFAULT, UI_THEME_MONO, UI_THEME_LIGHT };

/* Desktop notifications, by the terminal's escape for them. */
enum ui_notify { UI_NOTIFY_OFF, UI_NOTIFY_OSC9, UI_NOTIFY_OSC777 };

struct ui_config {
	char host[256];
	unsigned port;
	bool relay_set; /* host or port given (file or options): no discovery */
	char user[64];
	bool color; /* theme = default; mono or NO_COLOR: off */
	bool bell;
	char download_dir[1024];
	unsigned long long max_file_size; /* default 4 GiB; 0: no limit */
	unsigned long long part_max_age; /* seconds; default a week; 0: never */
	bool p2p; /* messages go straight to peers who take them */
	unsigned p2p_port; /* where peers reach us; 0: any */
	bool light; /* P2P light: no relay connection while idle */
	bool tls; /* TLS with the relay, its key pinned (default on) */
	enum ui_theme theme;
	char time_format[32]; /* strftime, at most 11 columns */
	bool mouse; /* clicks and the wheel (default on) */
	bool title; /* unread count in the terminal's title (default on) */
	enum ui_notify notify; /* desktop notifications (default off) */
	bool log; /* a plain-text log per conversation (default off) */
	char highlight[300]; /* words that highlight a room message */
};

void ui_config_defaults(struct ui_config *);
int ui_config_load(struct ui_config *, const char *, char *, int);
int ui_config_path(char *, int);

#endif
