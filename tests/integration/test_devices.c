/* SPDX-License-Identifier: MIT */
/*
 * Several devices per account, at the relay (docs/protocol.md): a data
 * folder of the release before (store schema 1, the fixture that
 * tests/server/fixtures/make-schema1.sh wrote) upgraded in place at
 * start, said in the log, its queued messages delivered, in order, to
 * the first device that logs in; who may be online at once; a message
 * to every device, live or from its cursor, one receipt to its sender,
 * and deleted only once every device has it (or kept for --keep-days);
 * a device unseen for --device-expire-days loses its cursor at the
 * relay's pass, but never a user's last device.
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixtures/schema1.h"
#include "harness.h"

static struct raw a, b1, b2, b3;

/* Replace the store of r (stopped) with the schema-1 fixture. */
static void
store_from_fixture(const struct relay *r)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[400];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/relay.db%s", r->dir, ext[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/relay.db", r->dir);
	assert_int_equal(fixture_schema1_write(path), 0);
}

/*
 * The relay starts on the old folder, says it upgraded it, and bob (a
 * user of the old folder, with his old password) gets the four messages
 * queued for him, oldest first; dave gets his one.
 */
static void
devices__upgrade__delivers_the_old_queue(void **state)
{
	static const char *const bob[] = {"MSG|alice|bob|",
	    "YTE=", "MSG|alice|bob|", "YTI=", "MSG|alice|bob|",
	    "YTM=", "MSG|carol|bob|", "YzE="};
	struct relay r;
	size_t i;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	store_from_fixture(&r);
	assert_int_equal(relay_restart(&r), 0);
	assert_true(relay_log_has(&r,
	    "store upgraded from schema 1 to 2: 5 queued frames of 2 users"));
	assert_int_equal(raw_login(&a, r.port, "bob", "pw-bob"), 0);
	for (i = 0; i < 8; i += 2) {
		assert_int_equal(raw_expect(&a, "MSG|", 10000), 0);
		printf("%s\n", a.line);
		assert_non_null(strstr(a.line, bob[i]));
		assert_non_null(strstr(a.line, bob[i + 1]));
	}
	raw_close(&a);
	assert_int_equal(raw_login(&a, r.port, "dave", "pw-dave"), 0);
	assert_int_equal(raw_expect(&a, "MSG|alice|dave|", 10000), 0);
	raw_close(&a);
	/* Started again, nothing is upgraded twice. */
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	assert_int_equal(relay_restart(&r), 0);
	assert_false(relay_log_has(&r, "store upgraded"));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A device-aware LOGIN of name on c with the device key who (over TLS
 * the device is the key; without, "@dev<who>"), mode keep or take: 0
 * once SYNCED, else -1 with the answer in c->line.
 */
static int
dev_login(struct raw *c, int port, const char *name, const char *pw, int who,
    const char *mode)
{
	h_tls_identity(who);
	if (raw_open(c, port) != 0) {
		h_tls_identity(0);
		return -1;
	}
	h_tls_identity(0);
	raw_send(c, "LOGIN|1|%s|%s|0|%s|dev%d\n", name, h_b64(pw), mode, who);
	if (raw_line(c, 30000) != 0 || strncmp(c->line, "WELCOME|", 8) != 0)
		return -1;
	return raw_expect(c, "SYNCED", 5000);
}

/*
 * PING c and read up to its PONG: -1 if a line starting with bad came
 * before it (bad NULL: any line does).
 */
static int
quiet_until_pong(struct raw *c, const char *bad)
{
	raw_send(c, "PING|zz\n");
	for (;;) {
		if (raw_line(c, 10000) != 0)
			return -1;
		if (strncmp(c->line, "PONG|", 5) == 0)
			return 0;
		if (bad == NULL || strncmp(c->line, bad, strlen(bad)) == 0) {
			printf("unexpected: %s\n", c->line);
			return -1;
		}
	}
}

/* Whether line is ERR|code|-|text (the text in base64). */
static bool
is_err(const char *line, const char *code, const char *text)
{
	char want[512];

	snprintf(want, sizeof want, "ERR|%s|-|%s", code, h_b64(text));
	if (strcmp(line, want) != 0)
		printf("got %s, not %s\n", line, want);
	return strcmp(line, want) == 0;
}

/* The relay's queue_depth, asked on c. */
static unsigned long long
queued(struct raw *c)
{
	unsigned long long v = 999;

	assert_int_equal(raw_stats(c, "queue_depth", &v), 0);
	return v;
}

/*
 * Two devices of bob online at once both get alice's message live; the
 * entry stays until both confirmed it, and alice hears "delivered" once.
 * PEER for bob gives port 0: a direct connection would reach one device.
 */
static void
devices__delivers__live_to_every_device_one_receipt(void **state)
{
	struct relay r;

	(void)state;
	/* Without a grace period: every message is written at once. */
	assert_int_equal(relay_start(&r, "--grace-ms", "0", NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	assert_int_equal(quiet_until_pong(&b1, "BYE|"), 0);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|m1|aGk=\n");
	assert_int_equal(raw_expect(&b1, "MSG|alice|bob|1|m1|aGk=", 10000), 0);
	assert_int_equal(raw_expect(&b2, "MSG|alice|bob|1|m1|aGk=", 10000), 0);
	assert_int_equal(raw_expect(&a, "ACK|m1|stored", 10000), 0);
	raw_send(&a, "LOOKUP|bob\n");
	assert_int_equal(raw_expect(&a, "PEER|bob|", 10000), 0);
	printf("%s\n", a.line);
	assert_non_null(strstr(a.line, "|0|"));
	raw_send(&b1, "RCPT|bob|alice|m1|delivered\n");
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|m1|delivered", 10000), 0);
	assert_int_equal(queued(&a), 1); /* b2 has not confirmed */
	raw_send(&b2, "RCPT|bob|alice|m1|delivered\n");
	assert_int_equal(quiet_until_pong(&b2, "ERR|"), 0);
	assert_int_equal(quiet_until_pong(&a, "RCPT|"), 0);
	assert_int_equal(queued(&a), 0);
	printf("devices: 2 devices had m1 live, 1 receipt, deleted after 2\n");
	raw_close(&a);
	raw_close(&b1);
	raw_close(&b2);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A message stored while both devices of bob are away reaches the first
 * at its login, which confirms it, and not again at its next login; the
 * second device gets it from its own cursor later, and only then it
 * goes. Alice hears one "delivered".
 */
static void
devices__delivers__backlog_from_each_cursor(void **state)
{
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	raw_close(&b1);
	raw_close(&b2);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|m2|aGk=\n");
	assert_int_equal(raw_expect(&a, "ACK|m2|stored", 10000), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(raw_expect(&b1, "MSG|alice|bob|1|m2|", 10000), 0);
	raw_send(&b1, "RCPT|bob|alice|m2|delivered\n");
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|m2|delivered", 10000), 0);
	assert_int_equal(quiet_until_pong(&b1, NULL), 0);
	raw_close(&b1);
	assert_int_equal(queued(&a), 1);
	/* Device 1 again: nothing more for it. */
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(quiet_until_pong(&b1, "MSG|"), 0);
	/* Device 2: m2 from its cursor. */
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	assert_int_equal(raw_expect(&b2, "MSG|alice|bob|1|m2|", 10000), 0);
	raw_send(&b2, "RCPT|bob|alice|m2|delivered\n");
	assert_int_equal(quiet_until_pong(&b2, "ERR|"), 0);
	assert_int_equal(quiet_until_pong(&a, "RCPT|"), 0);
	assert_int_equal(queued(&a), 0);
	printf("devices: m2 from each device's cursor, 1 receipt\n");
	raw_close(&a);
	raw_close(&b1);
	raw_close(&b2);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The grace period is skipped when a device of the recipient is offline:
 * alice's message is written at once (ACK|stored), though bob's device
 * online confirms it at once, and his other device gets it at its next
 * login, from its cursor.
 */
static void
devices__stores_at_once__when_a_device_is_offline(void **state)
{
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, "--grace-ms", "1000", NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	raw_close(&b2);
	assert_int_equal(quiet_until_pong(&b1, "MSG|"), 0);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|m4|aGk=\n");
	assert_int_equal(raw_expect(&b1, "MSG|alice|bob|1|m4|", 10000), 0);
	raw_send(&b1, "RCPT|bob|alice|m4|delivered\n");
	assert_int_equal(raw_expect(&a, "ACK|m4|stored", 5000), 0);
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|m4|delivered", 10000), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	assert_int_equal(raw_expect(&b2, "MSG|alice|bob|1|m4|", 10000), 0);
	assert_int_equal(quiet_until_pong(&b1, "MSG|"), 0);
	printf("devices: m4 written at once for the device offline\n");
	raw_close(&a);
	raw_close(&b1);
	raw_close(&b2);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A device dropped (DEVICES|drop) takes its cursor along: what only it
 * lacked leaves the store at once.
 */
static void
devices__drop__frees_what_only_it_lacked(void **state)
{
	struct relay r;
	char dev[80] = "";
	char *bar;

	(void)state;
	assert_int_equal(relay_start(&r, "--grace-ms", "0", NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	raw_close(&b2);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|m5|aGk=\n");
	assert_int_equal(raw_expect(&b1, "MSG|alice|bob|1|m5|", 10000), 0);
	raw_send(&b1, "RCPT|bob|alice|m5|delivered\n");
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|m5|delivered", 10000), 0);
	assert_int_equal(queued(&a), 1);
	raw_send(&b1, "DEVICES|active\n");
	while (raw_expect(&b1, "ACTIVE|", 5000) == 0)
		if (strstr(b1.line, "|offline|") != NULL) {
			bar = strchr(b1.line + 7, '|');
			snprintf(dev, sizeof dev, "%.*s",
			    (int)(bar - (b1.line + 7)), b1.line + 7);
			break;
		}
	assert_true(dev[0] != '\0');
	raw_send(&b1, "DEVICES|drop|%s\n", dev);
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|1", 5000), 0);
	assert_int_equal(queued(&a), 0);
	printf("devices: dropped %s, its entry gone\n", dev);
	raw_close(&a);
	raw_close(&b1);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * Who may be online at once: the same device without keep replaces that
 * device's session only; with keep it joins beside; two version-1
 * logins still replace each other and a version-1 keep is refused; an
 * open name has one session; past --max-devices ERR|QUOTA, past
 * --max-name-sessions ERR|NAME_IN_USE, each with its text and the close.
 */
static void
devices__admits__per_the_table(void **state)
{
	struct relay r;
	struct raw v;

	(void)state;
	assert_int_equal(relay_start(&r, "--max-devices", "3",
	                     "--max-name-sessions", "3", NULL),
	    0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	/* Device 1 again, take: its old session goes, device 2 stays. */
	assert_int_equal(dev_login(&b3, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(raw_expect(&b1, "BYE|replaced", 10000), 0);
	raw_close(&b1);
	assert_int_equal(quiet_until_pong(&b2, "BYE|"), 0);
	/* Device 1 with keep: beside it; both get a message. */
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "keep"), 0);
	assert_int_equal(quiet_until_pong(&b3, "BYE|"), 0);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|m3|aGk=\n");
	assert_int_equal(raw_expect(&b1, "MSG|alice|bob|1|m3|", 10000), 0);
	assert_int_equal(raw_expect(&b3, "MSG|alice|bob|1|m3|", 10000), 0);
	/* Three sessions open: a fourth is refused. */
	assert_int_equal(dev_login(&v, r.port, "bob", "pw", 2, "keep"), -1);
	printf("%s\n", v.line);
	assert_true(is_err(v.line, "NAME_IN_USE", "bob has 3 sessions open"));
	assert_true(raw_is_closed(&v, 5000));
	raw_close(&v);
	raw_close(&b1);
	raw_close(&b2);
	raw_close(&b3);
	/* The version-1 device is the third; a fourth device is refused. */
	assert_int_equal(raw_login(&b1, r.port, "bob", "pw"), 0);
	assert_int_equal(raw_login(&b2, r.port, "bob", "pw"), 0);
	assert_int_equal(raw_expect(&b1, "BYE|replaced", 10000), 0);
	raw_close(&b1);
	raw_open(&b1, r.port);
	raw_send(&b1, "LOGIN|1|bob|%s|0|keep\n", h_b64("pw"));
	assert_int_equal(raw_expect(&b1, "ERR|NAME_IN_USE|", 30000), 0);
	raw_close(&b1);
	assert_int_equal(dev_login(&v, r.port, "bob", "pw", 3, "take"), -1);
	printf("%s\n", v.line);
	assert_true(is_err(v.line, "QUOTA",
	    "bob has 3 devices; drop one with termgram devices drop"));
	assert_true(raw_is_closed(&v, 5000));
	raw_close(&v);
	/* An open name: one session, whatever the login says. */
	assert_int_equal(dev_login(&v, r.port, "carol", "", 1, "keep"), 0);
	assert_int_equal(dev_login(&b3, r.port, "carol", "", 2, "take"), -1);
	assert_int_equal(strncmp(b3.line, "ERR|NAME_IN_USE|", 16), 0);
	raw_close(&b3);
	raw_close(&v);
	raw_close(&b2);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/* In r's store (stopped): run sql, which ages what the relay saw. */
static void
store_exec(const struct relay *r, const char *sql)
{
	char path[400];
	sqlite3 *db;

	snprintf(path, sizeof path, "%s/relay.db", r->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

/*
 * bob used a laptop, then a phone; alice wrote to him meanwhile. The
 * laptop, unseen for 100 days, loses its cursor when the relay starts
 * (logged); the phone keeps its own and gets alice's message. Later the
 * phone, bob's last device, unseen for 200 days, stays.
 */
static void
devices__expire__an_unseen_device_but_never_the_last(void **state)
{
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "s3cret", 1, "take"), 0);
	raw_close(&b1);
	assert_int_equal(dev_login(&b1, r.port, "bob", "s3cret", 2, "take"), 0);
	raw_close(&b1);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|m1|aGk=\n");
	assert_int_equal(raw_expect(&a, "ACK|m1|stored", 10000), 0);
	raw_close(&a);
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	store_exec(&r,
	    "UPDATE cursors SET seen = seen - 8640000000 WHERE "
	    "rowid = (SELECT min(c.rowid) FROM cursors c JOIN logs "
	    "l ON l.id = c.log WHERE l.name = 'u:bob')");
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(relay_log_count(&r, "expired (not seen since "), 1);
	assert_true(relay_log_has(&r, "bob: device "));
	assert_int_equal(dev_login(&b1, r.port, "bob", "s3cret", 2, "take"), 0);
	assert_int_equal(raw_expect(&b1, "MSG|alice|bob|1|m1|aGk=", 10000), 0);
	raw_send(&b1, "DEVICES|active\n");
	assert_int_equal(raw_expect(&b1, "ACTIVE|", 5000), 0);
	printf("%s\n", b1.line);
	assert_non_null(strstr(b1.line, "|online|"));
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|1", 5000), 0);
	raw_close(&b1);
	/* The last device, however long unseen, stays. */
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	store_exec(&r,
	    "UPDATE cursors SET seen = seen - 17280000000 WHERE "
	    "log = (SELECT id FROM logs WHERE name = 'u:bob')");
	assert_int_equal(relay_restart(&r), 0);
	assert_false(relay_log_has(&r, "expired"));
	assert_int_equal(dev_login(&b1, r.port, "bob", "s3cret", 2, "take"), 0);
	raw_send(&b1, "DEVICES|active\n");
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|1", 5000), 0);
	raw_close(&b1);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * bob's laptop reads alice's message; then he adds a desktop. With
 * --keep-days 7 the message stayed in his inbox and the desktop gets it
 * from its new cursor (last week's conversation on a new machine);
 * without retention it went once the laptop had it, and the desktop
 * gets nothing.
 */
static void
devices__keep_days__a_new_device_sees_the_history(void **state)
{
	static const char *const keep[] = {"7", NULL};
	struct relay r;

	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    relay_start(&r, keep[i] != NULL ? "--keep-days" : NULL,
		        keep[i], NULL),
		    0);
		assert_int_equal(
		    dev_login(&b1, r.port, "bob", "s3cret", 1, "take"), 0);
		assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
		raw_send(&a, "MSG|alice|bob|1|m1|aGk=\n");
		assert_int_equal(
		    raw_expect(&b1, "MSG|alice|bob|1|m1|", 10000), 0);
		raw_send(&b1, "RCPT|bob|alice|m1|read\n");
		assert_int_equal(
		    raw_expect(&a, "RCPT|bob|alice|m1|read", 10000), 0);
		printf("--keep-days %s: %llu kept once the laptop read it\n",
		    keep[i] != NULL ? keep[i] : "0", queued(&a));
		assert_int_equal(queued(&a), keep[i] != NULL ? 1 : 0);
		raw_close(&b1);
		assert_int_equal(
		    dev_login(&b2, r.port, "bob", "s3cret", 2, "take"), 0);
		if (keep[i] != NULL)
			assert_int_equal(
			    raw_expect(&b2, "MSG|alice|bob|1|m1|aGk=", 10000),
			    0);
		else
			assert_int_equal(quiet_until_pong(&b2, "MSG|"), 0);
		raw_close(&b2);
		raw_close(&a);
		assert_int_equal(relay_finish(&r), 0);
	}
}

/*
 * Carbons and read marks (docs/protocol.md): what alice's laptop sends
 * reaches her desktop unchanged, live or from its cursor, and never her
 * version-1 session; the desktop's receipt to itself reaches nobody;
 * the laptop's "read" goes to bob and, as a read mark, to the desktop.
 * Once every device confirmed, alice's inbox is empty again.
 */
static void
devices__carbons__and_read_marks_reach_the_other_devices(void **state)
{
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "alice", "pw", 1, "take"), 0);
	assert_int_equal(dev_login(&b2, r.port, "alice", "pw", 2, "take"), 0);
	assert_int_equal(raw_login(&b3, r.port, "bob", ""), 0);
	raw_send(&b1, "MSG|alice|bob|1|c1|aGk=\n");
	assert_int_equal(raw_expect(&b3, "MSG|alice|bob|1|c1|aGk=", 10000), 0);
	assert_int_equal(raw_expect(&b2, "MSG|alice|bob|1|c1|aGk=", 10000), 0);
	raw_send(&b3, "RCPT|bob|alice|c1|delivered\n");
	assert_int_equal(
	    raw_expect(&b1, "RCPT|bob|alice|c1|delivered", 10000), 0);
	/* The desktop confirms its carbon: no one hears of it. */
	raw_send(&b2, "RCPT|alice|alice|c1|delivered\n");
	assert_int_equal(quiet_until_pong(&b2, "ERR|"), 0);
	assert_int_equal(quiet_until_pong(&b3, "RCPT|alice|"), 0);
	assert_int_equal(quiet_until_pong(&b1, "RCPT|alice|"), 0);
	/* bob writes; the laptop reads it: bob hears, the desktop too. */
	raw_send(&b3, "MSG|bob|alice|2|d1|aG8=\n");
	assert_int_equal(raw_expect(&b1, "MSG|bob|alice|2|d1|aG8=", 10000), 0);
	assert_int_equal(raw_expect(&b2, "MSG|bob|alice|2|d1|aG8=", 10000), 0);
	raw_send(&b2, "RCPT|alice|bob|d1|delivered\n");
	raw_send(&b1, "RCPT|alice|bob|d1|read\n");
	assert_int_equal(raw_expect(&b3, "RCPT|alice|bob|d1|read", 10000), 0);
	assert_int_equal(raw_expect(&b2, "RCPT|alice|bob|d1|read", 10000), 0);
	/* The desktop away, a version-1 session of alice online: the
	 * laptop's next message waits for the desktop, and the version-1
	 * session never sees a carbon. */
	raw_close(&b2);
	assert_int_equal(raw_login(&a, r.port, "alice", "pw"), 0);
	raw_send(&b1, "MSG|alice|bob|3|c2|aGk=\n");
	assert_int_equal(raw_expect(&b3, "MSG|alice|bob|3|c2|aGk=", 10000), 0);
	assert_int_equal(quiet_until_pong(&a, "MSG|alice|"), 0);
	assert_int_equal(dev_login(&b2, r.port, "alice", "pw", 2, "take"), 0);
	assert_int_equal(raw_expect(&b2, "MSG|alice|bob|3|c2|aGk=", 10000), 0);
	raw_send(&b2, "RCPT|alice|alice|c2|delivered\n");
	raw_send(&b3, "RCPT|bob|alice|c2|delivered\n");
	assert_int_equal(
	    raw_expect(&b1, "RCPT|bob|alice|c2|delivered", 10000), 0);
	assert_int_equal(
	    raw_expect(&b2, "RCPT|bob|alice|c2|delivered", 10000), 0);
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|c2|delivered", 10000), 0);
	assert_int_equal(quiet_until_pong(&b2, "ERR|"), 0);
	printf("carbons: alice's inbox holds %llu once all confirmed\n",
	    queued(&b1));
	assert_int_equal(queued(&b1), 0);
	raw_close(&a);
	raw_close(&b1);
	raw_close(&b2);
	raw_close(&b3);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The real client, two devices of alice (two data folders, two keys):
 * what the laptop's `termgram send` sends to bob, the desktop's
 * `termgram recv` prints as alice's own (SENT), then bob's answer.
 */
static void
devices__carbon__printed_by_recv_on_the_other_device(void **state)
{
	struct relay r;
	struct raw x;
	char port[16], da[300], dd[300], db[300], log[300], out[4096],
	    err[4096], text[8192];
	size_t len;
	FILE *f;
	pid_t pid;
	int st;

	(void)state;
	if (!h_tls) {
		print_message(
		    "skipped: termgram names its device over TLS only\n");
		return;
	}
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/laptop", r.dir);
	snprintf(dd, sizeof dd, "%s/desktop", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(log, sizeof log, "%s/desktop.out", r.dir);
	setenv("TERMGRAM_PASSWORD", "pw", 1);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	        "--port", port, "--user", "alice", "--data", da, NULL),
	    0);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	        "--port", port, "--user", "bob", "--data", db, NULL),
	    0);
	pid = spawn_client(log, "recv", "--port", port, "--user", "alice",
	    "--data", dd, "--count", "1", "--timeout", "60", NULL);
	assert_int_equal(raw_login(&x, r.port, "dave", ""), 0);
	assert_int_equal(h_stats_until(&x, "sessions", 2, 30000), 0);
	raw_close(&x);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	        "--port", port, "--user", "alice", "--data", da, "bob",
	        "from the laptop", NULL),
	    0);
	assert_int_equal(run_client(NULL, NULL, out, sizeof out, err,
	                     sizeof err, "send", "--port", port, "--user",
	                     "bob", "--data", db, "alice", "seen it", NULL),
	    0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_non_null(f = fopen(log, "r"));
	len = fread(text, 1, sizeof text - 1, f);
	text[len] = '\0';
	fclose(f);
	printf("%s", text);
	assert_non_null(strstr(text, "SENT\t"));
	assert_non_null(strstr(text, "\tbob\tfrom the laptop\n"));
	assert_non_null(strstr(text, "seen it"));
	assert_true(strstr(text, "SENT\t") < strstr(text, "seen it"));
	unsetenv("TERMGRAM_PASSWORD");
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * DEVCOUNT comes unasked when the count changes: bob's laptop hears "2"
 * when a desktop signs in for the first time and "3" for a phone; the
 * desktop signing in again changes nothing; the laptop drops the phone,
 * gets its answer, and the desktop hears "2" unasked (so both go back to
 * P2P only once the count is 1).
 */
static void
devices__count__sent_to_the_others_when_it_changes(void **state)
{
	struct relay r;
	char dev[80] = "";
	char *bar;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, "bob", "pw", 1, "take"), 0);
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|1", 5000), 0);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	assert_int_equal(raw_expect(&b2, "DEVCOUNT|2", 5000), 0);
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|2", 5000), 0);
	raw_close(&b2);
	assert_int_equal(dev_login(&b2, r.port, "bob", "pw", 2, "take"), 0);
	assert_int_equal(raw_expect(&b2, "DEVCOUNT|2", 5000), 0);
	assert_int_equal(quiet_until_pong(&b1, "DEVCOUNT|"), 0);
	assert_int_equal(dev_login(&b3, r.port, "bob", "pw", 3, "take"), 0);
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|3", 5000), 0);
	assert_int_equal(raw_expect(&b2, "DEVCOUNT|3", 5000), 0);
	raw_send(&b3, "DEVICES|active\n");
	while (raw_expect(&b3, "ACTIVE|", 5000) == 0)
		if (strstr(b3.line, "|online|") != NULL)
			snprintf(dev, sizeof dev, "%.*s", (int)sizeof dev - 1,
			    b3.line + 7);
	assert_true(dev[0] != '\0');
	/* The newest online device is the phone (listed oldest first). */
	bar = strchr(dev, '|');
	assert_non_null(bar);
	*bar = '\0';
	raw_send(&b1, "DEVICES|drop|%s\n", dev);
	assert_int_equal(raw_expect(&b1, "DEVCOUNT|2", 5000), 0);
	assert_int_equal(raw_expect(&b2, "DEVCOUNT|2", 5000), 0);
	assert_int_equal(raw_expect(&b3, "BYE|removed", 5000), 0);
	assert_int_equal(quiet_until_pong(&b1, "DEVCOUNT|"), 0);
	raw_close(&b1);
	raw_close(&b2);
	raw_close(&b3);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(devices__upgrade__delivers_the_old_queue),
	    cmocka_unit_test(
	        devices__delivers__live_to_every_device_one_receipt),
	    cmocka_unit_test(devices__delivers__backlog_from_each_cursor),
	    cmocka_unit_test(devices__stores_at_once__when_a_device_is_offline),
	    cmocka_unit_test(devices__drop__frees_what_only_it_lacked),
	    cmocka_unit_test(devices__admits__per_the_table),
	    cmocka_unit_test(
	        devices__count__sent_to_the_others_when_it_changes),
	    cmocka_unit_test(
	        devices__expire__an_unseen_device_but_never_the_last),
	    cmocka_unit_test(devices__keep_days__a_new_device_sees_the_history),
	    cmocka_unit_test(
	        devices__carbons__and_read_marks_reach_the_other_devices),
	    cmocka_unit_test(
	        devices__carbon__printed_by_recv_on_the_other_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
