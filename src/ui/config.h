/*
 * The client's config file, $XDG_CONFIG_HOME/termgram/config: lines of
 * "key = value", '#' comments. A commented default is in assets/.
 */
#ifndef UI_CONFIG_H
#define UI_CONFIG_H

#include <stdbool.h>

struct ui_config {
	char host[256];
	unsigned port;
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
};

void ui_config_defaults(struct ui_config *);
int ui_config_load(struct ui_config *, const char *, char *, int);
int ui_config_path(char *, int);

#endif
