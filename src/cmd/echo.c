/* SPDX-License-Identifier: MIT */
/*
 * termgram echo-bot, the seed design's first "naive" server: every
 * message comes back in upper case.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "proto/frame.h"
#include "util/xmalloc.h"

/* Send the message back to its sender in upper case. */
static void
cmd_echo_reply(struct cmd_run *r, const struct client_msg *m)
{
	char *out, id[PROTO_MAX_ID + 1], err[256];
	mbstate_t in, outst;
	size_t i = 0, o = 0, n;
	wchar_t wc;

	out = xmalloc(m->len * 2 + 8);
	memset(&in, 0, sizeof in);
	memset(&outst, 0, sizeof outst);
	while (i < m->len) {
		n = mbrtowc(&wc, m->body + i, m->len - i, &in);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			out[o++] = m->body[i++];
			memset(&in, 0, sizeof in);
			continue;
		}
		i += n;
		n = wcrtomb(out + o, (wchar_t)towupper((wint_t)wc), &outst);
		if (n == (size_t)-1)
			n = 0;
		o += n;
	}
	if (o > PROTO_MAX_BODY)
		o = PROTO_MAX_BODY;
	if (client_session_queue_msg(
	        r->s, m->sender, out, o, id, err, sizeof err) != 0)
		cmd_run_warn("echo: %s", err);
	client_store_mark_seen(client_session_store(r->s), m->sender, m->id);
	free(out);
}

/* A message from someone else: answer it if it is new. */
static void
cmd_echo_on_message(void *arg, const struct client_msg *m, bool fresh)
{
	if (fresh && !m->outgoing)
		cmd_echo_reply(arg, m);
}

static const struct client_events cmd_echo_events = {
    .on_state = cmd_run_on_state,
    .on_message = cmd_echo_on_message,
    .on_error = cmd_run_on_error,
};

/* termgram echo-bot: until interrupted (or --timeout). */
int
cmd_echo_main(const struct cmd_args *a)
{
	struct cmd_run r;
	int status = 1;

	/* Upper case needs a multibyte locale; UTF-8 if the user's is not. */
	if (MB_CUR_MAX == 1)
		setlocale(LC_CTYPE, "C.UTF-8");
	if (cmd_run_open(&r, a, &cmd_echo_events, NULL) == 0)
		status = cmd_run_wait(&r, a->timeout);
	cmd_run_close(&r);
	return status;
}
