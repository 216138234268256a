/* SPDX-License-Identifier: MIT */
/* A headless command's command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/discover.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "proto/frame.h"

static const struct option cmd_args_longopts[] = {
    {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},
    {"user", required_argument, NULL, 'u'},
    {"data", required_argument, NULL, 'd'},
    {"count", required_argument, NULL, 'c'},
    {"timeout", required_argument, NULL, 't'},
    {"stdin", no_argument, NULL, 's'},
    {"help", no_argument, NULL, 'H'},
    {"accept-files", no_argument, NULL, 'A'},
    {"dir", required_argument, NULL, 'D'},
    {"p2p", no_argument, NULL, 'P'},
    {"p2p-port", required_argument, NULL, 'Q'},
    {"light", no_argument, NULL, 'L'},
    {"heartbeat", required_argument, NULL, 'B'},
    {"strict", no_argument, NULL, 'S'},
    {"tls", required_argument, NULL, 'T'},
    {"raw", no_argument, NULL, 'R'},
    {"max-file-size", required_argument, NULL, 'M'},
    {"part-max-age", required_argument, NULL, 'G'},
    {"replace", no_argument, NULL, 'Y'},
    {"wait", required_argument, NULL, 'W'},
    {NULL, 0, NULL, 0},
};

/* Which CMD_OPT_* an option needs the command to take; 0: every one. */
static unsigned
cmd_args_needs(int ch)
{
	switch (ch) {
	case 'c':
		return CMD_OPT_COUNT;
	case 't':
		return CMD_OPT_TIMEOUT;
	case 's':
		return CMD_OPT_STDIN;
	case 'A':
		return CMD_OPT_ACCEPT;
	case 'D':
	case 'M':
	case 'G':
		return CMD_OPT_DIR;
	case 'R':
		return CMD_OPT_RAW;
	}
	return 0;
}

/* Read a decimal number from 0 to max, or say why not. */
static int
cmd_args_ulong(const char *opt, const char *s, unsigned long max,
    unsigned long *out, char *err, size_t len)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' || v > max) {
		snprintf(err, len, "%s: '%s' is not a number up to %lu", opt, s,
		    max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A byte count with an optional K, M, G or T (powers of 1024). */
static int
cmd_args_size(
    const char *opt, const char *s, uint64_t *out, char *err, size_t len)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' && (u = strchr(units, *end)) != NULL) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' ||
	    (shift > 0 && v > (ULLONG_MAX >> shift))) {
		snprintf(err, len,
		    "%s: '%s' is not a size (bytes, or K, M, G, T)", opt, s);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

/* Take a number option's value into what it sets. */
static int
cmd_args_number(struct cmd_args *a, int ch, char *err, size_t len)
{
	unsigned long v;

	switch (ch) {
	case 'p':
		if (cmd_args_ulong("--port", optarg, 65535, &v, err, len) != 0)
			return -1;
		if (v == 0) {
			snprintf(
			    err, len, "--port: 0 is not a port to connect to");
			return -1;
		}
		a->cfg.port = (unsigned)v;
		a->discover = false;
		return 0;
	case 'c':
		return cmd_args_ulong(
		    "--count", optarg, ULONG_MAX / 2, &a->count, err, len);
	case 't':
		return cmd_args_ulong(
		    "--timeout", optarg, 86400 * 365, &a->timeout, err, len);
	case 'B':
		if (cmd_args_ulong("--heartbeat", optarg, 3600, &v, err, len) !=
		    0)
			return -1;
		if (v == 0) {
			snprintf(err, len, "--heartbeat: at least 1");
			return -1;
		}
		a->cfg.heartbeat_s = (unsigned)v;
		return 0;
	case 'Q':
		if (cmd_args_ulong("--p2p-port", optarg, 65535, &v, err, len) !=
		    0)
			return -1;
		a->cfg.p2p = true;
		a->cfg.p2p_port = (unsigned)v;
		return 0;
	case 'M':
		return cmd_args_size(
		    "--max-file-size", optarg, &a->cfg.max_file_size, err, len);
	case 'G':
		if (cmd_args_ulong("--part-max-age", optarg, 86400UL * 3650, &v,
		        err, len) != 0)
			return -1;
		a->cfg.part_max_age = v;
		return 0;
	case 'W':
		if (cmd_args_ulong("--wait", optarg, 60000, &v, err, len) != 0)
			return -1;
		a->wait_ms = (unsigned)v;
		return 0;
	}
	return -1;
}

/* Take one option that getopt returned. */
static enum cmd_args_result
cmd_args_option(struct cmd_args *a, int ch, char *err, size_t len)
{
	if ((cmd_args_needs(ch) & a->cmd->opts) != cmd_args_needs(ch)) {
		snprintf(
		    err, len, "that option does not go with %s", a->cmd->name);
		return CMD_ARGS_BAD;
	}
	switch (ch) {
	case 'h':
		a->cfg.host = optarg;
		a->discover = false;
		break;
	case 'u':
		a->cfg.user = optarg;
		break;
	case 'd':
		a->cfg.data_dir = optarg;
		break;
	case 's':
		a->use_stdin = true;
		break;
	case 'A':
		a->accept_files = true;
		break;
	case 'R':
		a->raw = true;
		break;
	case 'Y':
		a->replace = true;
		break;
	case 'D':
		a->cfg.download_dir = optarg;
		break;
	case 'P':
		a->cfg.p2p = true;
		break;
	case 'L':
		a->cfg.p2p = true;
		a->cfg.light = true;
		break;
	case 'p':
	case 'c':
	case 't':
	case 'B':
	case 'Q':
	case 'M':
	case 'G':
	case 'W':
		if (cmd_args_number(a, ch, err, len) != 0)
			return CMD_ARGS_BAD;
		break;
	case 'S':
		a->cfg.trust = CLIENT_TRUST_STRICT;
		break;
	case 'T':
		if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
			snprintf(
			    err, len, "--tls: '%s' is not on or off", optarg);
			return CMD_ARGS_BAD;
		}
		a->cfg.tls = strcmp(optarg, "on") == 0;
		break;
	case 'H':
		return CMD_ARGS_HELP;
	default: /* getopt has said what was wrong */
		return CMD_ARGS_USAGE;
	}
	return CMD_ARGS_OK;
}

/* Check what the options left, and fill in the defaults. */
static enum cmd_args_result
cmd_args_check(struct cmd_args *a, char *err, size_t len)
{
	const struct client_config *cfg = &a->cfg;
	int min = a->cmd->min_args, max = a->cmd->max_args;
	const char *pw;

	if (cfg->user == NULL && !(a->cmd->opts & CMD_OPT_NOUSER)) {
		snprintf(err, len, "--user NAME is required");
		return CMD_ARGS_BAD;
	}
	if (cfg->user != NULL && !proto_is_name(cfg->user, strlen(cfg->user))) {
		snprintf(err, len,
		    "'%s' is not a valid name: 1-32 of A-Z a-z 0-9 _ . -",
		    cfg->user);
		return CMD_ARGS_BAD;
	}
	if (a->use_stdin) /* standard input stands in for TEXT */
		min = max = 1;
	if (a->argc < min || (max >= 0 && a->argc > max)) {
		snprintf(err, len, "%s: wrong arguments", a->cmd->name);
		return CMD_ARGS_USAGE;
	}
	if (cfg->data_dir == NULL && cfg->user != NULL) {
		if (client_default_data_dir(
		        cfg->user, cfg->host, a->data, sizeof a->data) != 0) {
			snprintf(err, len, "no HOME; give --data");
			return CMD_ARGS_BAD;
		}
		a->cfg.data_dir = a->data;
	}
	/* Never take over a session online, unless told to. */
	a->cfg.keep = !a->replace;
	pw = getenv("TERMGRAM_PASSWORD");
	a->cfg.password = pw != NULL ? pw : "";
	return CMD_ARGS_OK;
}

/*
 * Parse the command line of cmd; argv[0] is its name. On anything but
 * CMD_ARGS_OK, err says what was wrong (it may be empty for
 * CMD_ARGS_USAGE: getopt has said it).
 */
enum cmd_args_result
cmd_args_parse(struct cmd_args *a, const struct cmd_entry *cmd, int argc,
    char **argv, char *err, size_t len)
{
	enum cmd_args_result r;
	int ch;

	memset(a, 0, sizeof *a);
	a->cmd = cmd;
	a->timeout = cmd->timeout;
	a->discover = true;
	a->wait_ms = CLIENT_DISCOVER_WAIT;
	client_config_defaults(&a->cfg);
	a->cfg.user = NULL;
	a->cfg.data_dir = NULL;
	if (len > 0)
		err[0] = '\0';
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", cmd_args_longopts, NULL)) !=
	    -1) {
		if ((r = cmd_args_option(a, ch, err, len)) != CMD_ARGS_OK)
			return r;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return cmd_args_check(a, err, len);
}

/*
 * Where the command word is in a whole command line (argv[0] the
 * program): after any options of the table and their values, so that
 * `termgram --host H send ...` finds send as `termgram send --host H ...`
 * does. -1 if the first word that is no option names no command.
 */
int
cmd_args_command_at(int argc, char **argv)
{
	const struct option *o;
	const char *w, *eq;
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		w = argv[i];
		if (strncmp(w, "--", 2) != 0 || w[2] == '\0')
			return cmd_find(w) != NULL ? i : -1;
		eq = strchr(w, '=');
		n = eq != NULL ? (size_t)(eq - w - 2) : strlen(w + 2);
		for (o = cmd_args_longopts; o->name != NULL; o++) {
			if (strlen(o->name) == n &&
			    strncmp(o->name, w + 2, n) == 0)
				break;
		}
		if (o->name == NULL)
			return -1;
		if (o->has_arg == required_argument && eq == NULL)
			i++;
	}
	return -1;
}
