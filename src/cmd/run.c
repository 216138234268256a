/* SPDX-License-Identifier: MIT */
/* The loop and the session around every headless command. */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "util/esc.h"
#include "util/xmalloc.h"

/*
 * "termgram: " and the message on standard error, on one line: what it
 * quotes of a peer or the relay cannot drive the terminal.
 */
void
cmd_run_warn(const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	text = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fputs("termgram: ", stderr);
	util_esc_write(stderr, text, (size_t)n, UTIL_ESC_TERM | UTIL_ESC_LINE);
	fputc('\n', stderr);
	free(text);
}

/* End the command with this exit status; the first call wins. */
void
cmd_run_finish(struct cmd_run *r, int status)
{
	if (r->done)
		return;
	r->done = true;
	r->status = status;
	net_loop_stop(r->loop);
}

/*
 * The connection's state: say why it waits or failed. A relay that was
 * never reached is not waited for: the command fails at once, naming it.
 */
void
cmd_run_on_state(
    void *arg, enum client_conn_state st, const char *detail, uint64_t retry)
{
	struct cmd_run *r = arg;

	if (r->done)
		return;
	if (st == CLIENT_LOGGING_IN)
		r->reached = true;
	if (st == CLIENT_ONLINE)
		r->online = true;
	if (st == CLIENT_WAITING && !r->reached) {
		cmd_run_warn("cannot connect to %s: %s", r->relay,
		    detail != NULL ? detail : "no answer");
		if (client_session_outbox_len(r->s) > 0)
			cmd_run_warn("%zu message(s) stay in the outbox and go "
			             "with the next connection",
			    client_session_outbox_len(r->s));
		cmd_run_finish(r, 1);
	} else if (st == CLIENT_WAITING)
		cmd_run_warn("%s; retrying in %.1f s",
		    detail != NULL ? detail : "disconnected",
		    (double)retry / 1000);
	else if (st == CLIENT_FAILED || st == CLIENT_REPLACED) {
		cmd_run_warn("%s", detail != NULL ? detail : "refused");
		r->refused = !r->online;
		cmd_run_finish(r, 1);
	}
}

/*
 * An ERR from the relay: say it, and go on; but a login refused because
 * the name is online in another session is not waited for (it would be a
 * fight for the name): say who, and what to do.
 */
void
cmd_run_on_error(void *arg, const char *code, const char *ref, const char *text)
{
	struct cmd_run *r = arg;

	if (strcmp(ref, "-") == 0 && !r->online &&
	    strcmp(code, "NAME_IN_USE") == 0) {
		cmd_run_warn("%s is signed in elsewhere, and a headless "
		             "command does not take over a session that is "
		             "online (the relay: %s). Quit that session and "
		             "run the command again%s.",
		    client_session_me(r->s), text,
		    r->has_password ? ", or add --replace to take the name over"
		        : r->replace
		        ? " (--replace takes over only a name with "
		          "a password)"
		        : "");
		r->refused = true;
		cmd_run_finish(r, 1);
		return;
	}
	if (strcmp(ref, "-") == 0 && !r->online &&
	    strcmp(code, "BAD_FRAME") == 0) {
		cmd_run_warn("the relay refused the login (%s); a relay older "
		             "than LOGIN's keep and device fields does that "
		             "(docs/protocol.md): update the relay",
		    text);
		r->refused = true;
		cmd_run_finish(r, 1);
		return;
	}
	cmd_run_warn("relay error %s%s%s: %s", code,
	    strcmp(ref, "-") != 0 ? " about " : "",
	    strcmp(ref, "-") != 0 ? ref : "", text);
}

/* A notice about the connection (a relay's key pinned): on stderr. */
static void
cmd_run_on_notice(void *arg, const char *text)
{
	(void)arg;
	cmd_run_warn("%s", text);
}

/* The deadline passed. */
static void
cmd_run_timeout(struct net_timer *t, void *arg)
{
	struct cmd_run *r = arg;

	(void)t;
	cmd_run_finish(r, r->on_timeout != NULL ? r->on_timeout(r) : 1);
}

/* SIGINT or SIGTERM: stop, with the shell's status for an interrupt. */
static void
cmd_run_signal(struct net_loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	cmd_run_finish(arg, 130);
}

/*
 * Whether the full-screen client is logged in with this data folder: it
 * holds the lock on UI_LOCK_FILE there. Logging in with the name's
 * password would replace its session, so the command says so instead.
 */
static bool
cmd_run_in_use(const struct cmd_args *a)
{
	char path[PATH_MAX + 32];
	int fd;
	bool held;

	snprintf(path, sizeof path, "%s/%s", a->cfg.data_dir, CLIENT_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	if (held)
		cmd_run_warn("%s is logged in with the full-screen client "
		             "(%s); this command would replace that session, "
		             "so it stopped: nothing was sent or kept. Use the "
		             "client, quit it first, or add --replace.",
		    a->cfg.user, a->cfg.data_dir);
	return held;
}

/*
 * Make the loop and the session; ev's callbacks get r, the command's
 * state is self. On failure say why and return -1 (close r all the same).
 */
int
cmd_run_open(struct cmd_run *r, const struct cmd_args *a,
    const struct client_events *ev, void *self)
{
	char err[512];

	memset(r, 0, sizeof *r);
	r->self = self;
	snprintf(r->relay, sizeof r->relay, "%s:%u", a->cfg.host, a->cfg.port);
	r->replace = a->replace;
	r->has_password = a->cfg.password[0] != '\0';
	if (!a->replace && cmd_run_in_use(a))
		return -1;
	r->loop = net_loop_new();
	net_timer_init(&r->deadline, cmd_run_timeout, r);
	r->ev = *ev;
	if (r->ev.on_notice == NULL)
		r->ev.on_notice = cmd_run_on_notice;
	r->s = client_session_new(r->loop, &a->cfg, &r->ev, r, err, sizeof err);
	if (r->s == NULL) {
		cmd_run_warn("%s", err);
		return -1;
	}
	return 0;
}

/*
 * Connect and run until the command is done, the deadline (seconds; 0:
 * none) passes or a signal comes. Returns the exit status.
 */
int
cmd_run_wait(struct cmd_run *r, unsigned long timeout)
{
	if (r->done)
		return r->status;
	r->ran = true;
	if (timeout > 0)
		net_timer_start(
		    r->loop, &r->deadline, (uint64_t)timeout * 1000);
	net_loop_signal(r->loop, SIGINT, cmd_run_signal, r);
	net_loop_signal(r->loop, SIGTERM, cmd_run_signal, r);
	client_session_start(r->s);
	net_loop_run(r->loop);
	return r->status;
}

/* Say goodbye if connected, give the last frames a moment, free all. */
void
cmd_run_close(struct cmd_run *r)
{
	int i;

	if (r->ran) {
		client_session_stop(r->s);
		net_timer_stop(r->loop, &r->deadline);
		for (i = 0; i < 3; i++)
			net_loop_run_once(r->loop, 10);
	}
	client_session_free(r->s);
	net_loop_free(r->loop);
}
