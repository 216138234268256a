/* SPDX-License-Identifier: MIT */
/*
 * Rooms end to end (docs/protocol.md "Rooms"): a real relay and the
 * headless client as three users would run it. A room made and joined,
 * a message to it reaching a member online and one who was away at her
 * next recv (once), an invite-only room refusing who was not invited, a
 * kicked member refused, and the receipts of a message.
 */
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static char out[1 << 16], err[1 << 16];

struct users {
	struct relay r;
	char port[16];
	char dir[3][300]; /* alice, bob, carol */
};

static const char *const names[] = {"alice", "bob", "carol"};

/* Run termgram as user u (0 alice, 1 bob, 2 carol): the command and its
 * own arguments up to NULL; the exit status, out and err filled. */
static int
as(struct users *x, int u, const char *cmd, ...)
{
	const char *a[12];
	va_list ap;
	int n = 0;

	va_start(ap, cmd);
	while (n < 12 && (a[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	while (n < 12)
		a[n++] = NULL;
	return run_client(NULL, NULL, out, sizeof out, err, sizeof err, cmd,
	    "--port", x->port, "--user", names[u], "--data", x->dir[u], a[0],
	    a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
	    NULL);
}

/* Like as(), failing the test unless it exits 0. */
static void
ok(struct users *x, int u, const char *what, int st)
{
	(void)x;
	if (st != 0)
		fail_msg(
		    "%s as %s exited %d: %s%s", what, names[u], st, err, out);
}

/* A relay and three users known to it (each ran `who` once). */
static void
users_start(struct users *x)
{
	int i;

	assert_int_equal(relay_start(&x->r, NULL), 0);
	snprintf(x->port, sizeof x->port, "%d", x->r.port);
	for (i = 0; i < 3; i++) {
		snprintf(
		    x->dir[i], sizeof x->dir[i], "%s/%s", x->r.dir, names[i]);
		ok(x, i, "who", as(x, i, "who", NULL));
	}
}

/* Whether out holds a line that starts with prefix and holds part. */
static bool
has_line(const char *prefix, const char *part)
{
	const char *p = out;
	const char *e;
	size_t pl = strlen(prefix);

	for (; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) >= pl && strncmp(p, prefix, pl) == 0) {
			char line[1024];

			snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
			if (part == NULL || strstr(line, part) != NULL)
				return true;
		}
	}
	return false;
}

/* Fail with what was printed unless out has such a line. */
#define HAS(prefix, part)                                                      \
	do {                                                                   \
		if (!has_line(prefix, part))                                   \
			fail_msg("no line %s…%s in:\n%s\nstderr: %s", prefix,  \
			    (part) != NULL ? (const char *)(part) : "", out,   \
			    err);                                              \
	} while (0)

/* Three users in #team; a message reaches bob online and carol at her
 * next recv, once; receipts count them; a kicked member is refused. */
static void
rooms__message__reaches_every_member_once(void **state)
{
	struct users x;

	(void)state;
	users_start(&x);
	/* No room yet: the list is empty, not an error. */
	ok(&x, 0, "room list", as(&x, 0, "room", "list", NULL));
	ok(&x, 0, "room create", as(&x, 0, "room", "create", "#team", NULL));
	HAS("#team\topen\t1\towner\t", NULL);
	ok(&x, 1, "room join", as(&x, 1, "room", "join", "#team", NULL));
	HAS("#team\topen\t2\tmember\t", NULL);
	ok(&x, 2, "room join", as(&x, 2, "room", "join", "#team", NULL));
	HAS("#team\topen\t3\tmember\t", NULL);
	ok(&x, 0, "room topic",
	    as(&x, 0, "room", "topic", "#team", "plans", NULL));
	HAS("#team\topen\t3\towner\tplans", NULL);

	/* carol is away: alice writes, bob reads. */
	ok(&x, 0, "send", as(&x, 0, "send", "#team", "hello\tteam", NULL));
	ok(&x, 1, "recv",
	    as(&x, 1, "recv", "--count", "1", "--timeout", "20", NULL));
	HAS("ROOM\t", "\t#team\talice\thello\\tteam");
	/* The message is entry 5 of the log (create, 2 joins, topic):
	 * bob has it, carol (away) not yet, none has read it. */
	ok(&x, 0, "room receipts",
	    as(&x, 0, "room", "receipts", "#team", "5", NULL));
	HAS("bob\tdelivered", NULL);
	HAS("carol\tnone", NULL);
	HAS("RECEIPTS\t5\t2\t1\t0", NULL);

	/* carol's recv brings it, and the events since she joined. */
	ok(&x, 2, "recv",
	    as(&x, 2, "recv", "--count", "1", "--timeout", "20", NULL));
	HAS("ROOM\t", "\t#team\talice\thello\\tteam");
	/* Both have it now (and the log may have let it go): the counts
	 * still come, from the members' positions. */
	ok(&x, 0, "room receipts",
	    as(&x, 0, "room", "receipts", "#team", "5", NULL));
	HAS("carol\tdelivered", NULL);
	HAS("RECEIPTS\t5\t2\t2\t0", NULL);
	/* Without a number: alice's newest message there, the same. */
	ok(&x, 0, "room receipts",
	    as(&x, 0, "room", "receipts", "#team", NULL));
	HAS("RECEIPTS\t5\t2\t2\t0", NULL);
	/* bob has sent nothing there: told so, and how to ask. */
	if (as(&x, 1, "room", "receipts", "#team", NULL) != 1 ||
	    strstr(err, "no message of yours in #team") == NULL)
		fail_msg("bob's receipts without a message: %s", err);
	/* Once: a second recv has nothing more. */
	ok(&x, 2, "recv", as(&x, 2, "recv", "--timeout", "2", NULL));
	if (has_line("ROOM\t", NULL))
		fail_msg("printed again: %s", out);

	/* Members, owner first. */
	ok(&x, 1, "room members", as(&x, 1, "room", "members", "#team", NULL));
	assert_true(strncmp(out, "alice\towner\t", 12) == 0);
	HAS("bob\tmember\t", NULL);
	HAS("carol\tmember\t", NULL);
	/* Every room alice is in. */
	ok(&x, 0, "room list", as(&x, 0, "room", "list", NULL));
	HAS("#team\topen\t3\towner\tplans", NULL);

	/* bob may not kick; alice may, and carol is out. */
	assert_int_not_equal(
	    as(&x, 1, "room", "kick", "#team", "carol", NULL), 0);
	assert_non_null(strstr(err, "owner or an admin"));
	ok(&x, 0, "room kick",
	    as(&x, 0, "room", "kick", "#team", "carol", "too", "loud", NULL));
	HAS("#team\topen\t2\towner\t", NULL);
	assert_int_not_equal(
	    as(&x, 2, "send", "#team", "still here?", NULL), 0);
	assert_int_not_equal(as(&x, 2, "room", "members", "#team", NULL), 0);
	/* bob sees why. */
	ok(&x, 1, "recv", as(&x, 1, "recv", "--timeout", "2", NULL));
	assert_true(
	    has_line("EVENT\t", "\t#team\talice\tkick\tcarol\ttoo loud"));
	assert_int_equal(relay_finish(&x.r), 0);
}

/* An invite-only room: refused without an invite, joined with one. */
static void
rooms__invite_only__needs_an_invite(void **state)
{
	struct users x;

	(void)state;
	users_start(&x);
	ok(&x, 0, "room create",
	    as(&x, 0, "room", "create", "#secret", "--invite-only", NULL));
	HAS("#secret\tinvite\t1\towner\t", NULL);
	assert_int_equal(as(&x, 1, "room", "join", "#secret", NULL), 1);
	assert_non_null(strstr(err, "invite-only"));
	/* Not a member: nothing sent. */
	assert_int_not_equal(as(&x, 1, "send", "#secret", "hi", NULL), 0);
	/* bob may not invite himself in. */
	assert_int_not_equal(
	    as(&x, 1, "room", "invite", "#secret", "bob", NULL), 0);
	ok(&x, 0, "room invite",
	    as(&x, 0, "room", "invite", "#secret", "bob", NULL));
	ok(&x, 1, "room join", as(&x, 1, "room", "join", "#Secret", NULL));
	HAS("#secret\tinvite\t2\tmember\t", NULL);
	/* carol, not invited, does not see it, only the open room; bob
	 * sees both. */
	ok(&x, 0, "room create", as(&x, 0, "room", "create", "#lobby", NULL));
	ok(&x, 2, "room list", as(&x, 2, "room", "list", NULL));
	HAS("#lobby\topen\t1\tnone\t", NULL);
	assert_false(has_line("#secret", NULL));
	ok(&x, 1, "room list", as(&x, 1, "room", "list", NULL));
	HAS("#lobby\topen\t1\tnone\t", NULL);
	HAS("#secret\tinvite\t2\tmember", NULL);
	/* A bad name never reaches the relay. */
	assert_int_equal(as(&x, 1, "room", "join", "#no/slash", NULL), 2);
	assert_non_null(strstr(err, "not a valid room"));
	assert_int_equal(relay_finish(&x.r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rooms__message__reaches_every_member_once),
	    cmocka_unit_test(rooms__invite_only__needs_an_invite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
