/* SPDX-License-Identifier: MIT */
/*
 * Several devices per account, at the relay (docs/protocol.md): a data
 * folder of the release before (store schema 1, the fixture that
 * tests/server/fixtures/make-schema1.sh wrote) upgraded in place at
 * start, said in the log, its queued messages delivered, in order, to
 * the first device that logs in; a device unseen for
 * --device-expire-days loses its cursor at the relay's pass, but never a
 * user's last device.
 */
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

static struct raw a;

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

/* name logs in on device id (identity who over TLS) and leaves. */
static void
visit(struct raw *c, int port, int who, const char *name, const char *id)
{
	h_tls_identity(who);
	assert_int_equal(raw_open(c, port), 0);
	h_tls_identity(0);
	raw_send(c, "LOGIN|1|%s|%s|0|take|%s\n", name, h_b64("s3cret"), id);
	assert_int_equal(raw_expect(c, "SYNCED", 30000), 0);
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
	struct raw b;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	visit(&b, r.port, 1, "bob", "laptop");
	raw_close(&b);
	visit(&b, r.port, 2, "bob", "phone");
	raw_close(&b);
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
	visit(&b, r.port, 2, "bob", "phone");
	assert_int_equal(raw_expect(&b, "MSG|alice|bob|1|m1|aGk=", 10000), 0);
	raw_send(&b, "DEVICES|active\n");
	assert_int_equal(raw_expect(&b, "ACTIVE|", 5000), 0);
	printf("%s\n", b.line);
	assert_non_null(strstr(b.line, "|online|"));
	assert_int_equal(raw_expect(&b, "DEVCOUNT|1", 5000), 0);
	raw_close(&b);
	/* The last device, however long unseen, stays. */
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	store_exec(&r,
	    "UPDATE cursors SET seen = seen - 17280000000 WHERE "
	    "log = (SELECT id FROM logs WHERE name = 'u:bob')");
	assert_int_equal(relay_restart(&r), 0);
	assert_false(relay_log_has(&r, "expired"));
	visit(&b, r.port, 2, "bob", "phone");
	raw_send(&b, "DEVICES|active\n");
	assert_int_equal(raw_expect(&b, "DEVCOUNT|1", 5000), 0);
	raw_close(&b);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(devices__upgrade__delivers_the_old_queue),
	    cmocka_unit_test(
	        devices__expire__an_unseen_device_but_never_the_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
