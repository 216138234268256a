/* SPDX-License-Identifier: MIT */
/* termgram trust HOST[:PORT] FINGERPRINT: pin a relay's key by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/known.h"
#include "cmd/args.h"
#include "cmd/run.h"
#include "proto/frame.h"
#include "util/esc.h"
#include "util/fingerprint.h"
#include "util/sys.h"

/*
 * HOST[:PORT] (an IPv6 address in brackets when a port follows) into
 * host and port; -1 and err when it is not one.
 */
static int
trust_split(const char *arg, char *host, size_t hostlen, unsigned *port,
    char *err, size_t errlen)
{
	const char *colon = strrchr(arg, ':'), *end = arg + strlen(arg);
	char *stop;
	unsigned long v;

	*port = PROTO_DEFAULT_PORT;
	if (arg[0] == '[') {
		if ((end = strchr(arg, ']')) == NULL)
			goto bad;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
		arg++;
	} else if (colon != NULL && strchr(arg, ':') != colon)
		colon = NULL; /* a bare IPv6 address */
	else if (colon != NULL)
		end = colon;
	if (colon != NULL) {
		v = strtoul(colon + 1, &stop, 10);
		if (colon[1] == '\0' || *stop != '\0' || v == 0 || v > 65535)
			goto bad;
		*port = (unsigned)v;
	}
	if (end == arg || (size_t)(end - arg) >= hostlen)
		goto bad;
	snprintf(host, hostlen, "%.*s", (int)(end - arg), arg);
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not HOST or HOST:PORT", arg);
	return -1;
}

/* Pin the key; say what was done. */
int
cmd_trust_main(const struct cmd_args *a)
{
	char host[256], hp[300], dir[PATH_MAX], path[PATH_MAX + 16];
	char err[512], txt[UTIL_FP_TEXT], was[UTIL_FP_TEXT], *shown;
	unsigned char fp[UTIL_FP_LEN], old[UTIL_FP_LEN];
	unsigned port;
	int had;

	if (trust_split(
	        a->argv[0], host, sizeof host, &port, err, sizeof err) != 0 ||
	    util_fp_parse(a->argv[1], fp, err, sizeof err) != 0) {
		cmd_run_warn("trust: %s", err);
		return 2;
	}
	/* Without --data, the folder of this user on that relay. */
	if (a->cfg.data_dir != a->data ||
	    client_default_data_dir(a->cfg.user, host, dir, sizeof dir) != 0)
		snprintf(dir, sizeof dir, "%s", a->cfg.data_dir);
	client_known_hostport(host, port, hp, sizeof hp);
	snprintf(path, sizeof path, "%s/%s", dir, CLIENT_KNOWN_FILE);
	/* A line it cannot read is kept as it is: trust still pins. */
	had = client_known_find(path, hp, old, err, sizeof err);
	if (util_mkdir_p(dir, err, sizeof err) != 0 ||
	    client_known_set(path, hp, fp, err, sizeof err) != 0) {
		cmd_run_warn("trust: %s", err);
		return 1;
	}
	util_fp_text(fp, txt);
	shown = util_esc_dup(path, strlen(path), UTIL_ESC_TERM | UTIL_ESC_LINE);
	if (had == 1 && memcmp(old, fp, sizeof fp) != 0) {
		util_fp_text(old, was);
		printf("pinned %s %s in %s (it was %s)\n", hp, txt, shown, was);
	} else
		printf("pinned %s %s in %s\n", hp, txt, shown);
	free(shown);
	return 0;
}
