/* SPDX-License-Identifier: MIT */
/* termgram send: queue messages and wait until each is safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "proto/frame.h"
#include "util/map.h"
#include "util/xmalloc.h"

struct cmd_send {
	struct util_map *waiting; /* ids not yet safe */
	char (*ids)[PROTO_MAX_ID + 1]; /* every id queued, in order */
	size_t nids, capids;
	size_t failed;
};

/* A message of ours is safe or failed: done when none is left waiting. */
static void
cmd_send_on_msg_state(void *arg, const char *id, enum client_msg_state st)
{
	struct cmd_run *r = arg;
	struct cmd_send *c = r->self;

	if (util_map_remove(c->waiting, id, strlen(id)) == NULL)
		return;
	if (st == CLIENT_MSG_FAILED)
		c->failed++;
	if (util_map_count(c->waiting) == 0)
		cmd_run_finish(r, c->failed > 0 ? 1 : 0);
}

static const struct client_events cmd_send_events = {
    .on_state = cmd_run_on_state,
    .on_msg_state = cmd_send_on_msg_state,
    .on_error = cmd_run_on_error,
};

/* The deadline came first: what was not confirmed goes later. */
static int
cmd_send_timeout(struct cmd_run *r)
{
	struct cmd_send *c = r->self;

	cmd_run_warn("%zu message(s) not confirmed in time;"
	             " they stay in the outbox and go with the next connection",
	    util_map_count(c->waiting));
	return 1;
}

/* Queue one message and wait for it; on failure say why. */
static int
cmd_send_one(struct cmd_run *r, const char *to, const char *text, size_t len)
{
	struct cmd_send *c = r->self;
	char id[PROTO_MAX_ID + 1], err[256];

	if (client_session_queue_msg(
	        r->s, to, text, len, id, err, sizeof err) != 0) {
		cmd_run_warn("%s", err);
		return -1;
	}
	util_map_set(c->waiting, id, strlen(id), c);
	XGROW(c->ids, c->capids, c->nids + 1, 8);
	memcpy(c->ids[c->nids++], id, sizeof c->ids[0]);
	return 0;
}

/*
 * The login was refused (the name signed in elsewhere, a wrong password):
 * what this command queued is taken back, so that it is not sent later,
 * out of order, by whatever next runs with this data folder.
 */
static void
cmd_send_withdraw(struct cmd_run *r)
{
	struct cmd_send *c = r->self;
	size_t i, n = 0;

	for (i = 0; i < c->nids; i++) {
		if (util_map_get(c->waiting, c->ids[i], strlen(c->ids[i])) ==
		        NULL ||
		    client_session_withdraw(r->s, c->ids[i]) != 0)
			continue;
		n++;
	}
	if (n > 0)
		cmd_run_warn("nothing was sent: %zu message(s) taken back, not "
		             "kept in the outbox",
		    n);
}

/* Read standard input; every line is one message. */
static int
cmd_send_stdin(struct cmd_run *r, const char *to)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if ((rc = cmd_send_one(r, to, line, (size_t)n)) != 0)
			break;
	}
	free(line);
	return rc;
}

/* The words after TO, joined by spaces, are one message. */
static int
cmd_send_words(struct cmd_run *r, const char *to, int argc, char **argv)
{
	char *text;
	size_t len = 0, k = 0, n;
	int i, rc;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	text = xmalloc(len);
	for (i = 0; i < argc; i++) {
		if (i > 0)
			text[k++] = ' ';
		n = strlen(argv[i]);
		memcpy(text + k, argv[i], n);
		k += n;
	}
	rc = cmd_send_one(r, to, text, k);
	free(text);
	return rc;
}

/* termgram send [--stdin] TO [TEXT...]. */
int
cmd_send_main(const struct cmd_args *a)
{
	struct cmd_send c = {.waiting = util_map_new()};
	struct cmd_run r;
	int rc, status = 1;

	if (cmd_run_open(&r, a, &cmd_send_events, &c) != 0)
		goto out;
	r.on_timeout = cmd_send_timeout;
	if (a->use_stdin)
		rc = cmd_send_stdin(&r, a->argv[0]);
	else
		rc = cmd_send_words(&r, a->argv[0], a->argc - 1, a->argv + 1);
	if (rc != 0)
		goto out;
	status = 0;
	if (util_map_count(c.waiting) > 0)
		status = cmd_run_wait(&r, a->timeout);
	if (r.refused)
		cmd_send_withdraw(&r);
out:
	cmd_run_close(&r);
	util_map_free(c.waiting);
	free(c.ids);
	return status;
}
