/* SPDX-License-Identifier: MIT */
/*
 * termgram room: one request about rooms (docs/protocol.md "Rooms") and
 * its answer printed: create, join, leave, invite, kick, ban, unban,
 * admin, unadmin and topic print the room's state after it as list does
 * (#ROOM<TAB>open|invite<TAB>MEMBERS<TAB>ROLE<TAB>TOPIC); members prints
 * NAME<TAB>ROLE<TAB>online|offline; receipts prints NAME<TAB>STATE per
 * member, then RECEIPTS<TAB>SEQ<TAB>MEMBERS<TAB>DELIVERED<TAB>READ, of
 * the message SEQ or, without it, of our newest one in the room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "util/esc.h"

struct cmd_room {
	const char *op;
	const char *room; /* NULL for list */
	char arg[1200]; /* the request's argument, "" for none */
	bool has_arg;
	bool asked;
};

/* Print text as one field of a line, escaped. */
static void
cmd_room_field(const char *p)
{
	util_esc_write(stdout, p, strlen(p), UTIL_ESC_LINE | UTIL_ESC_TERM);
}

/* A room's state as one line. */
static void
cmd_room_print(const struct client_room *rm)
{
	cmd_room_field(rm->name);
	printf("\t%s\t%llu\t%s\t", rm->invite_only ? "invite" : "open",
	    (unsigned long long)rm->members, client_room_role_name(rm->role));
	cmd_room_field(rm->topic);
	putchar('\n');
	fflush(stdout);
}

/*
 * receipts without a number: our newest message in the room, from the
 * history in the data folder. -1 (said, finished) when there is none.
 */
static int
cmd_room_last_own(struct cmd_run *r, struct cmd_room *c)
{
	struct client_convo *cv =
	    client_convos_get(client_session_convos(r->s), c->room);
	size_t i;

	for (i = cv != NULL ? cv->n : 0; i > 0; i--) {
		if (cv->e[i - 1].outgoing && cv->e[i - 1].seq > 0) {
			snprintf(c->arg, sizeof c->arg, "%llu",
			    (unsigned long long)cv->e[i - 1].seq);
			c->has_arg = true;
			return 0;
		}
	}
	cmd_run_warn("room receipts: no message of yours in %s in this data "
	             "folder; give its number (termgram room receipts %s SEQ)",
	    c->room, c->room);
	cmd_run_finish(r, 1);
	return -1;
}

/* Logged in and synced: ask. */
static void
cmd_room_on_synced(void *arg)
{
	struct cmd_run *r = arg;
	struct cmd_room *c = r->self;
	char err[256];

	if (c->asked)
		return;
	if (strcmp(c->op, "receipts") == 0 && !c->has_arg &&
	    cmd_room_last_own(r, c) != 0)
		return;
	if (client_session_room(r->s, c->op, c->room,
	        c->has_arg ? c->arg : NULL, err, sizeof err) != 0) {
		cmd_run_warn("room %s", err);
		cmd_run_finish(r, 1);
		return;
	}
	c->asked = true;
}

/* RINFO: the answer of a request, or a line of list. */
static void
cmd_room_on_room(void *arg, const struct client_room *rm)
{
	struct cmd_run *r = arg;
	struct cmd_room *c = r->self;

	if (!c->asked || r->done || strcmp(c->op, "members") == 0 ||
	    strcmp(c->op, "receipts") == 0)
		return;
	if (c->room == NULL) {
		cmd_room_print(rm);
		return;
	}
	if (strcasecmp(rm->name, c->room) != 0)
		return;
	cmd_room_print(rm);
	cmd_run_finish(r, 0);
}

/* The end of list. */
static void
cmd_room_on_list(void *arg, uint64_t n)
{
	struct cmd_run *r = arg;

	(void)n;
	if (((struct cmd_room *)r->self)->asked)
		cmd_run_finish(r, 0);
}

/* A member, or the end of members. */
static void
cmd_room_on_member(void *arg, const char *room, const char *name,
    enum client_room_role role, bool online, uint64_t delivered, uint64_t read)
{
	struct cmd_run *r = arg;
	struct cmd_room *c = r->self;

	(void)delivered;
	(void)read;
	if (r->done || c->room == NULL || strcasecmp(room, c->room) != 0)
		return;
	if (name == NULL) {
		cmd_run_finish(r, 0);
		return;
	}
	printf("%s\t%s\t%s\n", name, client_room_role_name(role),
	    online ? "online" : "offline");
	fflush(stdout);
}

/* A member's receipt of the message asked about. */
static void
cmd_room_on_who(void *arg, const char *room, uint64_t seq, const char *name,
    const char *state)
{
	struct cmd_run *r = arg;
	struct cmd_room *c = r->self;

	(void)seq;
	if (r->done || strcmp(c->op, "receipts") != 0 || c->room == NULL ||
	    strcasecmp(room, c->room) != 0)
		return;
	printf("%s\t%s\n", name, state);
	fflush(stdout);
}

/* The counts, which end receipts (one asked for: its seq). */
static void
cmd_room_on_state(void *arg, const char *room, uint64_t seq, uint64_t members,
    uint64_t delivered, uint64_t read)
{
	struct cmd_run *r = arg;
	struct cmd_room *c = r->self;

	if (r->done || strcmp(c->op, "receipts") != 0 || c->room == NULL ||
	    strcasecmp(room, c->room) != 0 || seq != strtoull(c->arg, NULL, 10))
		return;
	printf("RECEIPTS\t%llu\t%llu\t%llu\t%llu\n", (unsigned long long)seq,
	    (unsigned long long)members, (unsigned long long)delivered,
	    (unsigned long long)read);
	fflush(stdout);
	cmd_run_finish(r, 0);
}

/* A refusal of what was asked ends the command. */
static void
cmd_room_on_error(
    void *arg, const char *code, const char *ref, const char *text)
{
	struct cmd_run *r = arg;
	struct cmd_room *c = r->self;

	cmd_run_on_error(arg, code, ref, text);
	if (c->asked &&
	    (c->room == NULL || strcasecmp(ref, c->room) == 0 ||
	        strcmp(ref, "-") == 0))
		cmd_run_finish(arg, 1);
}

static const struct client_events cmd_room_events = {
    .on_state = cmd_run_on_state,
    .on_synced = cmd_room_on_synced,
    .on_error = cmd_room_on_error,
    .on_room = cmd_room_on_room,
    .on_room_list = cmd_room_on_list,
    .on_room_member = cmd_room_on_member,
    .on_room_who = cmd_room_on_who,
    .on_room_state = cmd_room_on_state,
};

/* Join argv[from..] with spaces into c->arg. */
static void
cmd_room_join(struct cmd_room *c, int argc, char **argv, int from)
{
	size_t k = 0;
	int i;

	c->arg[0] = '\0';
	for (i = from; i < argc && k < sizeof c->arg; i++)
		k += (size_t)snprintf(c->arg + k, sizeof c->arg - k, "%s%s",
		    i > from ? " " : "", argv[i]);
	c->has_arg = true;
}

static const char cmd_room_usage[] =
    "room: create #ROOM [--invite-only] | join #ROOM | leave #ROOM | "
    "invite #ROOM NAME | kick #ROOM NAME [REASON] | ban #ROOM NAME | "
    "unban #ROOM NAME | admin #ROOM NAME | unadmin #ROOM NAME | "
    "topic #ROOM TEXT | members #ROOM | list | receipts #ROOM [SEQ]";

/* Whether op is one of the requests of cmd_room_usage. */
static bool
cmd_room_known(const char *op)
{
	static const char *const ops[] = {"create", "join", "leave", "invite",
	    "kick", "ban", "unban", "admin", "unadmin", "topic", "members",
	    "list", "receipts", NULL};
	size_t i;

	for (i = 0; ops[i] != NULL; i++)
		if (strcmp(op, ops[i]) == 0)
			return true;
	return false;
}

/*
 * The request of the command line into c: 0, or -1 said on stderr. The
 * arguments are checked here as the session would, so that a mistake
 * needs no relay.
 */
static int
cmd_room_parse(int argc, char **argv, struct cmd_room *c)
{
	static const char *const one[] = {"join", "leave", "members", NULL};
	static const char *const named[] = {
	    "invite", "ban", "unban", "admin", "unadmin", NULL};
	size_t i;

	memset(c, 0, sizeof *c);
	if (argc < 1)
		goto usage;
	c->op = argv[0];
	if (strcmp(c->op, "list") == 0)
		return argc == 1 ? 0 : (cmd_run_warn("%s", cmd_room_usage), -1);
	if (argc < 2)
		goto usage;
	c->room = argv[1];
	if (!client_is_room(c->room, strlen(c->room))) {
		cmd_run_warn("room: '%s' is not a valid room: # and 1-32 of "
		             "A-Z a-z 0-9 _ . -",
		    c->room);
		return -1;
	}
	if (strcmp(c->op, "create") == 0) {
		if (argc == 2 ||
		    (argc == 3 && strcmp(argv[2], "--invite-only") == 0)) {
			snprintf(c->arg, sizeof c->arg, "%s",
			    argc == 3 ? "invite" : "open");
			c->has_arg = true;
			return 0;
		}
		goto usage;
	}
	for (i = 0; one[i] != NULL; i++)
		if (strcmp(c->op, one[i]) == 0)
			return argc == 2
			    ? 0
			    : (cmd_run_warn("%s", cmd_room_usage), -1);
	for (i = 0; named[i] != NULL; i++) {
		if (strcmp(c->op, named[i]) == 0 && argc == 3) {
			cmd_room_join(c, argc, argv, 2);
			return 0;
		}
	}
	if ((strcmp(c->op, "kick") == 0 && argc >= 3) ||
	    (strcmp(c->op, "topic") == 0 && argc >= 3) ||
	    (strcmp(c->op, "receipts") == 0 && argc == 3)) {
		cmd_room_join(c, argc, argv, 2);
		return 0;
	}
	if (strcmp(c->op, "receipts") == 0 && argc == 2)
		return 0; /* our newest message, once synced */
usage:
	if (c->op != NULL && !cmd_room_known(c->op))
		cmd_run_warn("room: no request '%s'", c->op);
	cmd_run_warn("%s", cmd_room_usage);
	return -1;
}

/* Whether a room command line (after "room") is well formed: 0, or -1
 * said on stderr. */
int
cmd_room_check(int argc, char **argv)
{
	struct cmd_room c;

	return cmd_room_parse(argc, argv, &c);
}

/* termgram room OP [#ROOM [ARG...]]. */
int
cmd_room_main(const struct cmd_args *a)
{
	struct cmd_room *c = malloc(sizeof *c);
	struct cmd_run r;
	int status = 1;

	if (c == NULL)
		return 1;
	if (cmd_room_parse(a->argc, a->argv, c) != 0) {
		free(c);
		return 2;
	}
	if (cmd_run_open(&r, a, &cmd_room_events, c) == 0)
		status = cmd_run_wait(&r, a->timeout);
	cmd_run_close(&r);
	free(c);
	return status;
}
