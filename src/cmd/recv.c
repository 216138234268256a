/* SPDX-License-Identifier: MIT */
/* termgram recv: print what arrives, and take files if asked. */
#include <stdio.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "util/esc.h"

struct cmd_recv {
	unsigned long count; /* stop after these; 0: never */
	unsigned long got;
	bool accept_files; /* take every offer */
	bool raw; /* bodies without terminal escapes */
};

/*
 * Print peer text as one field of a line: what would break the line
 * escaped, and (unless --raw) what would drive the terminal.
 */
static void
cmd_recv_field(const struct cmd_recv *c, const char *p, size_t n)
{
	util_esc_write(
	    stdout, p, n, UTIL_ESC_LINE | (c->raw ? 0 : UTIL_ESC_TERM));
}

/* One more message or file printed: done when --count is reached. */
static void
cmd_recv_counted(struct cmd_run *r)
{
	struct cmd_recv *c = r->self;

	if (c->count > 0 && ++c->got >= c->count)
		cmd_run_finish(r, 0);
}

/* Print a received message once and remember that it was shown. */
static void
cmd_recv_show(struct cmd_run *r, const struct client_msg *m)
{
	struct cmd_recv *c = r->self;

	if (r->done)
		return;
	client_store_mark_seen(client_session_store(r->s), m->sender, m->id);
	if (m->peer[0] == '#') {
		printf("ROOM\t%llu\t", (unsigned long long)m->ts);
		util_esc_write(stdout, m->peer, strlen(m->peer),
		    UTIL_ESC_LINE | UTIL_ESC_TERM);
		putchar('\t');
	} else
		printf("%llu\t", (unsigned long long)m->ts);
	util_esc_write(stdout, m->sender, strlen(m->sender),
	    UTIL_ESC_LINE | UTIL_ESC_TERM);
	putchar('\t');
	cmd_recv_field(c, m->body, m->len);
	putchar('\n');
	fflush(stdout);
	cmd_recv_counted(r);
}

/* A message from the store that arrived earlier but was never shown. */
static void
cmd_recv_on_unread(void *arg, const struct client_msg *m)
{
	cmd_recv_show(arg, m);
}

/*
 * A carbon: a message we sent from another device, printed once as
 * SENT<TAB>TS<TAB>TO<TAB>TEXT; --count does not count it.
 */
static void
cmd_recv_show_sent(struct cmd_run *r, const struct client_msg *m)
{
	if (r->done)
		return;
	printf("SENT\t%llu\t", (unsigned long long)m->ts);
	util_esc_write(
	    stdout, m->peer, strlen(m->peer), UTIL_ESC_LINE | UTIL_ESC_TERM);
	putchar('\t');
	cmd_recv_field(r->self, m->body, m->len);
	putchar('\n');
	fflush(stdout);
}

/* A new message from someone else, or one of ours from another device
 * (a message this command queued itself never comes here as new). */
static void
cmd_recv_on_message(void *arg, const struct client_msg *m, bool fresh)
{
	if (fresh && !m->outgoing)
		cmd_recv_show(arg, m);
	else if (fresh)
		cmd_recv_show_sent(arg, m);
}

/* A file offered to us: take it if asked; say when it is saved. */
static void
cmd_recv_on_xfer(void *arg, const struct client_xfer *x)
{
	struct cmd_run *r = arg;
	struct cmd_recv *c = r->self;
	char err[256];

	if (x->outgoing)
		return;
	if (x->state == CLIENT_XFER_INCOMING && c->accept_files) {
		if (client_xfers_accept(client_session_xfers(r->s), x->id, err,
		        sizeof err) != 0)
			cmd_run_warn("%s", err);
	} else if (x->state == CLIENT_XFER_DONE) {
		fputs("FILE\t", stdout);
		util_esc_write(stdout, x->peer, strlen(x->peer),
		    UTIL_ESC_LINE | UTIL_ESC_TERM);
		putchar('\t');
		util_esc_write(stdout, x->path, strlen(x->path),
		    UTIL_ESC_LINE | UTIL_ESC_TERM);
		printf("\t%llu\n", (unsigned long long)x->size);
		fflush(stdout);
		cmd_recv_counted(r);
	} else if (x->state == CLIENT_XFER_FAILED)
		cmd_run_warn(
		    "file %s from %s: %s", x->name, x->peer, x->reason);
}

/* An event of a room, printed once as
 * EVENT<TAB>TS<TAB>#ROOM<TAB>ACTOR<TAB>KIND<TAB>TARGET<TAB>TEXT. */
static void
cmd_recv_on_room_event(void *arg, const char *room, uint64_t seq, uint64_t ts,
    const char *actor, const char *kind, const char *target, const char *text)
{
	struct cmd_run *r = arg;

	(void)seq;
	if (r->done)
		return;
	printf("EVENT\t%llu\t", (unsigned long long)ts);
	util_esc_write(
	    stdout, room, strlen(room), UTIL_ESC_LINE | UTIL_ESC_TERM);
	printf("\t%s\t%s\t%s\t", actor, kind, target);
	cmd_recv_field(r->self, text, strlen(text));
	putchar('\n');
	fflush(stdout);
}

static const struct client_events cmd_recv_events = {
    .on_room_event = cmd_recv_on_room_event,
    .on_xfer = cmd_recv_on_xfer,
    .on_state = cmd_run_on_state,
    .on_message = cmd_recv_on_message,
    .on_error = cmd_run_on_error,
};

/* The deadline came: a failure only if --count was not reached. */
static int
cmd_recv_timeout(struct cmd_run *r)
{
	struct cmd_recv *c = r->self;

	if (c->count == 0)
		return 0;
	cmd_run_warn(
	    "%lu of %lu messages before the timeout", c->got, c->count);
	return 1;
}

/* termgram recv [--count N] [--accept-files [--dir DIR]]. */
int
cmd_recv_main(const struct cmd_args *a)
{
	struct cmd_recv c = {
	    .count = a->count, .accept_files = a->accept_files, .raw = a->raw};
	struct cmd_run r;
	int status = 1;

	if (cmd_run_open(&r, a, &cmd_recv_events, &c) != 0)
		goto out;
	r.on_timeout = cmd_recv_timeout;
	/* What arrived earlier (during a send, say) but was never shown. */
	if (client_store_unread(
	        client_session_store(r.s), cmd_recv_on_unread, &r) < 0)
		cmd_run_warn(
		    "%s", client_store_error(client_session_store(r.s)));
	status = cmd_run_wait(&r, a->timeout);
out:
	cmd_run_close(&r);
	return status;
}
