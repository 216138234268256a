/* SPDX-License-Identifier: MIT */
/*
 * The client's defaults: settings, where its data and downloads go, and
 * words for its connection states.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/session.h"
#include "client/xfer.h"
#include "proto/frame.h"

/* Default settings: the standard port, 15 s heartbeats, reconnecting,
 * offers up to 4 GiB, a still .part swept after a week. */
void
client_config_defaults(struct client_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->host = "127.0.0.1";
	cfg->port = PROTO_DEFAULT_PORT;
	cfg->password = "";
	cfg->heartbeat_s = 15;
	cfg->window = 256;
	cfg->reconnect = true;
	cfg->tls = true;
	cfg->max_file_size = CLIENT_XFER_MAX_SIZE;
	cfg->part_max_age = CLIENT_XFER_PART_AGE;
}

/* A word for a connection state, for status lines and logs. */
const char *
client_state_name(enum client_conn_state st)
{
	switch (st) {
	case CLIENT_OFFLINE:
		return "offline";
	case CLIENT_CONNECTING:
		return "connecting";
	case CLIENT_LOGGING_IN:
		return "logging in";
	case CLIENT_ONLINE:
		return "connected";
	case CLIENT_WAITING:
		return "reconnecting";
	case CLIENT_FAILED:
		return "failed";
	case CLIENT_REPLACED:
		return "replaced";
	case CLIENT_UNTRUSTED:
		return "relay key not pinned";
	}
	return "?";
}

/* $XDG_DOWNLOAD_DIR/termgram, else ~/Downloads/termgram. */
void
client_default_download_dir(char *out, size_t len)
{
	const char *d = getenv("XDG_DOWNLOAD_DIR"), *home = getenv("HOME");

	if (d != NULL && *d == '/')
		snprintf(out, len, "%s/termgram", d);
	else
		snprintf(out, len, "%s/Downloads/termgram",
		    home != NULL && *home != '\0' ? home : ".");
}

/*
 * Where a user's history and outbox live by default:
 * $XDG_DATA_HOME/termgram/USER@HOST, else ~/.local/share/termgram/...
 * -1 without either variable.
 */
int
client_default_data_dir(
    const char *user, const char *host, char *out, size_t len)
{
	const char *base;

	if ((base = getenv("XDG_DATA_HOME")) != NULL && *base == '/')
		snprintf(out, len, "%s/termgram/%s@%s", base, user, host);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(out, len, "%s/.local/share/termgram/%s@%s", base, user,
		    host);
	else
		return -1;
	return 0;
}
