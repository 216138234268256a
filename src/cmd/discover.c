/* SPDX-License-Identifier: MIT */
/*
 * termgram discover: the relays that answer DISCOVER on the LAN; and the
 * relay a command with neither --host nor --port uses, when exactly one
 * of them answered.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/discover.h"
#include "client/known.h"
#include "cmd/args.h"
#include "cmd/run.h"
#include "util/esc.h"
#include "util/fingerprint.h"

/*
 * Whether this user already pinned the relay's key: "pinned", "new",
 * "changed" (pinned with another key), "-" when there is no user to
 * ask for, "no-tls" for a relay run with --tls off.
 */
static const char *
discover_trust(const struct cmd_args *a, const struct client_relay_ad *ad)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], hp[300], err[256];
	unsigned char fp[UTIL_FP_LEN];
	int rc;

	if (!ad->tls)
		return "no-tls";
	if (a->cfg.data_dir != NULL && a->cfg.data_dir != a->data)
		snprintf(dir, sizeof dir, "%s", a->cfg.data_dir);
	else if (a->cfg.user == NULL ||
	    client_default_data_dir(a->cfg.user, ad->addr, dir, sizeof dir) !=
	        0)
		return "-";
	snprintf(path, sizeof path, "%s/%s", dir, CLIENT_KNOWN_FILE);
	client_known_hostport(ad->addr, ad->port, hp, sizeof hp);
	rc = client_known_find(path, hp, fp, err, sizeof err);
	if (rc == 1)
		return memcmp(fp, ad->fp, sizeof fp) == 0 ? "pinned"
		                                          : "changed";
	return "new";
}

/*
 * One relay on one line: NAME<TAB>ADDR:PORT<TAB>FINGERPRINT, its name
 * escaped, the fingerprint in the form termgramd --fingerprint prints
 * ("-" without TLS); then <TAB>trust when trust is not NULL.
 */
static void
discover_print(FILE *f, const char *indent, const struct client_relay_ad *ad,
    const char *trust)
{
	char fp[UTIL_FP_TEXT];

	if (ad->tls)
		util_fp_text(ad->fp, fp);
	else
		snprintf(fp, sizeof fp, "-");
	fputs(indent, f);
	util_esc_write(
	    f, ad->name, strlen(ad->name), UTIL_ESC_TERM | UTIL_ESC_LINE);
	fprintf(f, "\t%s:%u\t%s", ad->addr, ad->port, fp);
	if (trust != NULL)
		fprintf(f, "\t%s", trust);
	fputc('\n', f);
}

/* The relay a command took, in a sentence on stderr. */
static void
discover_say_used(const struct client_relay_ad *ad)
{
	char fp[UTIL_FP_TEXT];

	fputs("termgram: no --host; using the relay that answered, ", stderr);
	util_esc_write(
	    stderr, ad->name, strlen(ad->name), UTIL_ESC_TERM | UTIL_ESC_LINE);
	fprintf(stderr, " at %s:%u", ad->addr, ad->port);
	if (ad->tls) {
		util_fp_text(ad->fp, fp);
		fprintf(stderr, ", key %s\n", fp);
	} else
		fputs(", without TLS\n", stderr);
}

/* What to check when no relay answered. */
static void
discover_none(const struct cmd_args *a, const struct client_discover *d)
{
	cmd_run_warn("no relay answered DISCOVER on UDP port %u within %u ms "
	             "(asked %zu network(s)%s)",
	    a->cfg.port, a->wait_ms, d->asked,
	    d->dropped > 0 ? "; some answers were not valid" : "");
	cmd_run_warn("check that a relay runs on this LAN (broadcasts do not "
	             "cross routers), that its firewall lets UDP %u in, or "
	             "give --host",
	    a->cfg.port);
}

/* List every relay that answered; exit 1 when none did. */
int
cmd_discover_main(const struct cmd_args *a)
{
	struct client_discover d;
	char err[256];
	size_t i;

	if (client_discover_run(&d, a->cfg.port, a->wait_ms, err, sizeof err) !=
	    0) {
		cmd_run_warn("discover: %s", err);
		return 1;
	}
	if (d.n == 0) {
		discover_none(a, &d);
		return 1;
	}
	for (i = 0; i < d.n; i++)
		discover_print(
		    stdout, "", &d.ad[i], discover_trust(a, &d.ad[i]));
	fflush(stdout);
	return 0;
}

/*
 * For a command given neither --host nor --port: ask the LAN, and take
 * the only relay of the command's mode (TLS or not) that answered into
 * a->cfg, saying so on stderr. Returns 0, or the exit status when there
 * is none or more than one (listed, with how to choose).
 */
int
cmd_discover_pick(struct cmd_args *a)
{
	struct client_discover d;
	const struct client_relay_ad *one = NULL;
	char err[256];
	size_t i, n = 0;

	if (client_discover_run(&d, a->cfg.port, a->wait_ms, err, sizeof err) !=
	    0) {
		cmd_run_warn("no --host, and cannot look for a relay: %s", err);
		return 1;
	}
	for (i = 0; i < d.n; i++)
		if (d.ad[i].tls == a->cfg.tls && n++ == 0)
			one = &d.ad[i];
	if (n == 0) {
		if (d.n > 0)
			cmd_run_warn("no --host; the relays that answered all "
			             "run with --tls %s",
			    a->cfg.tls ? "off" : "on");
		else
			discover_none(a, &d);
		return 1;
	}
	if (n > 1) {
		cmd_run_warn("no --host, and %zu relays answered; choose one "
		             "with --host ADDR --port PORT:",
		    n);
		for (i = 0; i < d.n; i++)
			if (d.ad[i].tls == a->cfg.tls)
				discover_print(stderr, "  ", &d.ad[i], NULL);
		return 1;
	}
	snprintf(a->host, sizeof a->host, "%s", one->addr);
	a->cfg.host = a->host;
	a->cfg.port = one->port;
	if (a->cfg.data_dir == a->data &&
	    client_default_data_dir(
	        a->cfg.user, a->host, a->data, sizeof a->data) != 0)
		return 1;
	discover_say_used(one);
	return 0;
}
