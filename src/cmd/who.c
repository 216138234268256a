/* SPDX-License-Identifier: MIT */
/* termgram who: print the contact list once it is synced. */
#include <stdio.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "util/esc.h"

/* The contact list is complete: print it and stop. */
static void
cmd_who_on_synced(void *arg)
{
	struct cmd_run *r = arg;
	const struct client_contact *ct;
	size_t i, n;

	ct = client_session_contacts(r->s, &n);
	/* Names are of the protocol's alphabet; escaped all the same. */
	for (i = 0; i < n; i++) {
		util_esc_write(stdout, ct[i].name, strlen(ct[i].name),
		    UTIL_ESC_LINE | UTIL_ESC_TERM);
		printf("\t%s\t%llu\n", ct[i].online ? "online" : "offline",
		    (unsigned long long)ct[i].last_seen);
	}
	fflush(stdout);
	cmd_run_finish(r, 0);
}

static const struct client_events cmd_who_events = {
    .on_state = cmd_run_on_state,
    .on_synced = cmd_who_on_synced,
    .on_error = cmd_run_on_error,
};

/* termgram who. */
int
cmd_who_main(const struct cmd_args *a)
{
	struct cmd_run r;
	int status = 1;

	if (cmd_run_open(&r, a, &cmd_who_events, NULL) == 0)
		status = cmd_run_wait(&r, a->timeout);
	cmd_run_close(&r);
	return status;
}
