/* SPDX-License-Identifier: MIT */
/*
 * What termgramd does before its relay runs, besides reading its options:
 * the default data folder, the open-files limit, and --fingerprint.
 */
#include <sys/resource.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "net/identity.h"
#include "server/log.h"
#include "server/relay.h"
#include "server/startup.h"
#include "util/fingerprint.h"
#include "util/sys.h"

/*
 * One descriptor per session, and a few for the store: many systems start
 * a process with a soft limit of 1024, far below --max-sessions. Raise it
 * as far as the hard limit allows; returns how many sessions fit.
 */
static unsigned
startup_raise_fd_limit(unsigned sessions)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)sessions + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return sessions;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
		    ? want
		    : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return sessions;
	return rl.rlim_cur > 64 ? (unsigned)(rl.rlim_cur - 64) : 1;
}

/* Without --data: $XDG_STATE_HOME/termgram or ~/.local/state/termgram. */
int
server_startup_data_dir(char *data, size_t len)
{
	const char *base;

	if ((base = getenv("XDG_STATE_HOME")) != NULL && *base == '/')
		snprintf(data, len, "%s/termgram", base);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(data, len, "%s/.local/state/termgram", base);
	else {
		fprintf(stderr, "termgramd: no HOME; give --data\n");
		return -1;
	}
	return 0;
}

/*
 * Fit the sessions to the open-files limit: the default follows the
 * system; a number asked for is kept, and its shortfall said.
 */
void
server_startup_fit_sessions(struct server_config *cfg, bool max_sessions_set)
{
	unsigned fit;

	if ((fit = startup_raise_fd_limit(cfg->max_sessions)) >=
	    cfg->max_sessions)
		return;
	server_log(max_sessions_set ? SERVER_LOG_WARN : SERVER_LOG_INFO,
	    "open files limited (ulimit -n): about %u sessions%s", fit,
	    max_sessions_set ? ", fewer than --max-sessions" : "");
	if (!max_sessions_set)
		cfg->max_sessions = fit;
}

/*
 * termgramd --fingerprint: the relay's key fingerprint in the form people
 * compare, made first if the data folder has none yet (said on stderr).
 */
int
server_startup_fingerprint(const struct server_config *cfg)
{
	struct net_id *id;
	char path[PATH_MAX], err[512], txt[UTIL_FP_TEXT];
	bool had;

	snprintf(path, sizeof path, "%s/relay.key", cfg->data_dir);
	had = cfg->key != NULL || access(path, F_OK) == 0;
	if ((id = server_relay_identity(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "termgramd: %s\n", err);
		return 1;
	}
	if (!had) {
		fprintf(stderr, "termgramd: made a new key in %s\n", path);
		(void)util_give_to_dir_owner(cfg->data_dir, path);
		snprintf(path, sizeof path, "%s/relay.crt", cfg->data_dir);
		(void)util_give_to_dir_owner(cfg->data_dir, path);
	}
	util_fp_text(net_id_fingerprint(id), txt);
	printf("%s\n", txt);
	net_id_free(id);
	return 0;
}
