/* SPDX-License-Identifier: MIT */
/* termgram sendfile: offer a file and send it once accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "proto/frame.h"
#include "util/esc.h"

struct cmd_sendfile {
	char xfer[PROTO_MAX_ID + 1]; /* ours */
	struct net_timer progress;
};

/* A size for people: 1.5 MiB. */
static void
cmd_sendfile_human(double v, char *out, size_t len)
{
	const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, "%.1f %s", v, unit[u]);
}

/* The progress line on standard error, rewritten in place. */
static void
cmd_sendfile_print(const struct client_xfer *x, bool end)
{
	char a[32], b[32], r[32], *name;
	double pct =
	    x->size > 0 ? 100.0 * (double)x->done / (double)x->size : 100.0;

	cmd_sendfile_human((double)x->done, a, sizeof a);
	cmd_sendfile_human((double)x->size, b, sizeof b);
	cmd_sendfile_human(x->rate, r, sizeof r);
	name = util_esc_dup(
	    x->name, strlen(x->name), UTIL_ESC_TERM | UTIL_ESC_LINE);
	fprintf(stderr, "\r%s: %5.1f%% %s of %s, %s/s%s", name, pct, a, b, r,
	    end ? "\n" : "   ");
	free(name);
}

/* Our transfer ended: verified and saved, or failed. */
static void
cmd_sendfile_on_xfer(void *arg, const struct client_xfer *x)
{
	struct cmd_run *r = arg;
	struct cmd_sendfile *c = r->self;

	if (strcmp(x->id, c->xfer) != 0)
		return;
	if (x->state == CLIENT_XFER_VERIFYING && x->stored) {
		cmd_sendfile_print(x, true);
		cmd_run_warn("%s stored on the relay for %s; it is delivered "
		             "when %s comes online",
		    x->name, x->peer, x->peer);
		cmd_run_finish(r, 0);
	} else if (x->state == CLIENT_XFER_DONE) {
		cmd_sendfile_print(x, true);
		cmd_run_warn("%s verified and saved by %s%s", x->name, x->peer,
		    x->direct ? " (direct)" : " (through the relay)");
		cmd_run_finish(r, 0);
	} else if (x->state == CLIENT_XFER_FAILED) {
		fputc('\n', stderr);
		cmd_run_warn("%s: %s", x->name, x->reason);
		cmd_run_finish(r, 1);
	}
}

static const struct client_events cmd_sendfile_events = {
    .on_xfer = cmd_sendfile_on_xfer,
    .on_state = cmd_run_on_state,
    .on_error = cmd_run_on_error,
};

/* Every half second while bytes move: the progress line. */
static void
cmd_sendfile_progress(struct net_timer *t, void *arg)
{
	struct cmd_run *r = arg;
	struct cmd_sendfile *c = r->self;
	const struct client_xfer *x;

	x = client_xfers_find(client_session_xfers(r->s), c->xfer);
	if (x != NULL &&
	    (x->state == CLIENT_XFER_ACTIVE ||
	        x->state == CLIENT_XFER_VERIFYING))
		cmd_sendfile_print(x, false);
	net_timer_start(r->loop, t, 500);
}

/* termgram sendfile TO PATH. */
int
cmd_sendfile_main(const struct cmd_args *a)
{
	struct cmd_sendfile c;
	struct cmd_run r;
	char err[512];
	int status = 1;

	memset(&c, 0, sizeof c);
	if (cmd_run_open(&r, a, &cmd_sendfile_events, &c) != 0)
		goto out;
	if (client_session_send_file(
	        r.s, a->argv[0], a->argv[1], c.xfer, err, sizeof err) != 0) {
		cmd_run_warn("%s: %s", a->argv[1], err);
		goto out;
	}
	net_timer_init(&c.progress, cmd_sendfile_progress, &r);
	net_timer_start(r.loop, &c.progress, 500);
	status = cmd_run_wait(&r, a->timeout);
	net_timer_stop(r.loop, &c.progress);
	/* Refused at login: no offer kept for the folder's next start. */
	if (r.refused)
		(void)client_xfers_cancel(client_session_xfers(r.s), c.xfer,
		    "not offered: the login was refused");
out:
	cmd_run_close(&r);
	return status;
}
