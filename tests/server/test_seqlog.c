/* SPDX-License-Identifier: MIT */
/*
 * Logs and cursors of the relay's store (server/seqlog.h): append, read
 * from a cursor, the floor moving in and out of order, trimming only
 * what every cursor passed and the retention allows, listing and
 * dropping cursors, everything committed surviving kill -9, and the
 * upgrade of a schema-1 data folder made by the release before (its
 * database as SQL in tests/server/fixtures/relay-schema1.sql, written by
 * make-schema1.sh there).
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "server/seqlog.h"
#include "server/store.h"
#include "fixtures/schema1.h"

static char dir[128];

/* A store in a fresh folder (reopened when fresh is false). */
static struct server_store *
store_open(bool fresh)
{
	char err[256];
	struct server_store *s;

	if (fresh) {
		snprintf(dir, sizeof dir, "/tmp/test_seqlog.XXXXXX");
		assert_non_null(mkdtemp(dir));
	}
	if ((s = server_store_open(dir, false, err, sizeof err)) == NULL)
		fail_msg("open: %s", err);
	return s;
}

/* Remove the folder of the test. */
static void
cleanup(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Append a MSG "text" from sender with id at time t; its number. */
static int64_t
put(struct server_store *s, int64_t log, const char *sender, const char *id,
    uint64_t t)
{
	char frame[128];
	struct server_entry e = {.kind = SERVER_ENTRY_MSG,
	    .sender = sender,
	    .id = id,
	    .frame = frame,
	    .stored_at = t};
	int64_t seq;

	e.len = (size_t)snprintf(frame, sizeof frame, "MSG|%s|x|%llu|%s|\n",
	    sender, (unsigned long long)t, id);
	seq = server_seqlog_append(s, log, &e);
	assert_true(seq > 0);
	return seq;
}

/* Collect the ids read, "id," each. */
static bool
collect(void *arg, const struct server_entry *e)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s,", e->id);
	return true;
}

/* The ids reader has not confirmed on log, after seq after. */
static const char *
unread(struct server_store *s, int64_t log, const char *reader, int64_t after)
{
	static char out[256];

	out[0] = '\0';
	assert_true(
	    server_seqlog_read(s, log, reader, after, 64, collect, out) >= 0);
	return out;
}

/* Numbers grow within each log, whatever the other logs do. */
static void
seqlog__append__numbers_grow_per_log(void **state)
{
	struct server_store *s = store_open(true);
	int64_t a, b, a1, b1, a2;

	(void)state;
	assert_int_equal(server_seqlog_lookup(s, "u:alice"), 0);
	assert_true((a = server_seqlog_open(s, "u:alice", 1)) > 0);
	assert_true((b = server_seqlog_open(s, "u:bob", 1)) > 0);
	assert_int_equal(server_seqlog_open(s, "u:alice", 2), a);
	a1 = put(s, a, "bob", "m1", 10);
	b1 = put(s, b, "alice", "m1", 10);
	a2 = put(s, a, "bob", "m2", 11);
	assert_true(a1 < a2);
	assert_true(b1 > 0);
	assert_int_equal(server_store_commit(s), 0);
	assert_int_equal(server_seqlog_count(s, a), 2);
	assert_int_equal(server_seqlog_count(s, b), 1);
	assert_string_equal(unread(s, a, "d1", 0), "m1,m2,");
	assert_string_equal(unread(s, a, "d1", a1), "m2,");
	assert_int_equal(server_seqlog_find(s, a, "bob", "m2"), a2);
	assert_int_equal(server_seqlog_find(s, a, "bob", "m9"), 0);
	assert_int_equal(server_seqlog_find(s, b, "bob", "m2"), 0);
	server_store_close(s);
	cleanup();
}

/* Confirmed in order, the floor follows; out of order, it waits. */
static void
seqlog__confirm__moves_the_floor(void **state)
{
	struct server_store *s = store_open(true);
	int64_t log, m1, m2, m3;

	(void)state;
	log = server_seqlog_open(s, "u:alice", 1);
	assert_int_equal(server_seqlog_cursor_add(s, log, "laptop", 5), 0);
	m1 = put(s, log, "bob", "m1", 10);
	m2 = put(s, log, "bob", "m2", 11);
	m3 = put(s, log, "bob", "m3", 12);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "laptop"), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "phone"), -2);
	/* m2 first: kept above the floor, no longer read. */
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m2), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "laptop"), 0);
	assert_string_equal(unread(s, log, "laptop", 0), "m1,m3,");
	/* m1: the floor moves over m1 and m2. */
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m1), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "laptop"), m2);
	assert_string_equal(unread(s, log, "laptop", 0), "m3,");
	/* Twice, or under the floor: nothing changes. */
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m1), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "laptop"), m2);
	/* A reader without a cursor moves nothing. */
	assert_int_equal(server_seqlog_confirm(s, log, "phone", m3), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "phone"), -2);
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m3), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "laptop"), m3);
	assert_string_equal(unread(s, log, "laptop", 0), "");
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

/* An entry goes only when every cursor passed it; none: nothing goes. */
static void
seqlog__trim__only_what_every_cursor_passed(void **state)
{
	struct server_store *s = store_open(true);
	int64_t log, m1, m2, m3;

	(void)state;
	log = server_seqlog_open(s, "u:alice", 1);
	m1 = put(s, log, "bob", "m1", 10);
	m2 = put(s, log, "bob", "m2", 11);
	m3 = put(s, log, "bob", "m3", 12);
	/* No cursor yet (an upgraded queue): the first device gets all. */
	assert_int_equal(server_seqlog_trim(s, log, 1000), 0);
	assert_int_equal(server_seqlog_count(s, log), 3);
	assert_int_equal(server_seqlog_cursor_add(s, log, "laptop", 20), 0);
	assert_int_equal(server_seqlog_cursor_add(s, log, "phone", 21), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m1), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m2), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m3), 0);
	assert_int_equal(server_seqlog_trim(s, log, 1000), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "phone", m2), 0);
	assert_int_equal(server_seqlog_trim(s, log, 1000), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "phone", m1), 0);
	assert_int_equal(server_seqlog_trim(s, log, 1000), 2);
	assert_string_equal(unread(s, log, "phone", 0), "m3,");
	assert_string_equal(unread(s, log, "laptop", 0), "");
	/* The phone goes: what only it lacked goes with it. */
	assert_int_equal(server_seqlog_cursor_drop(s, log, "phone"), 0);
	assert_int_equal(server_seqlog_trim(s, log, 1000), 1);
	assert_int_equal(server_seqlog_count(s, log), 0);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

/* Retention keeps what every cursor passed until it is old enough. */
static void
seqlog__trim__keeps_for_the_retention(void **state)
{
	struct server_store *s = store_open(true);
	int64_t log, m1, m2;

	(void)state;
	log = server_seqlog_open(s, "u:alice", 1);
	assert_int_equal(server_seqlog_cursor_add(s, log, "laptop", 1), 0);
	m1 = put(s, log, "bob", "m1", 100);
	m2 = put(s, log, "bob", "m2", 200);
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m1), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "laptop", m2), 0);
	/* Only what was stored before 150 may go. */
	assert_int_equal(server_seqlog_trim(s, log, 150), 1);
	assert_int_equal(server_seqlog_find(s, log, "bob", "m1"), 0);
	assert_int_equal(server_seqlog_find(s, log, "bob", "m2"), m2);
	/* A device added now sees the history kept. */
	assert_int_equal(server_seqlog_cursor_add(s, log, "desktop", 300), 0);
	assert_string_equal(unread(s, log, "desktop", 0), "m2,");
	/* It holds the entry even past the retention, until it has it. */
	assert_int_equal(server_seqlog_trim(s, log, 1000), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "desktop", m2), 0);
	assert_int_equal(server_seqlog_trim(s, log, 1000), 1);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

/* The hourly pass trims every log at once, by the same two rules. */
static void
seqlog__trim_all__every_log_by_the_same_rules(void **state)
{
	struct server_store *s = store_open(true);
	int64_t a, b, c, a1, b1;

	(void)state;
	a = server_seqlog_open(s, "u:alice", 1);
	b = server_seqlog_open(s, "u:bob", 1);
	c = server_seqlog_open(s, "u:carol", 1);
	assert_int_equal(server_seqlog_cursor_add(s, a, "laptop", 1), 0);
	assert_int_equal(server_seqlog_cursor_add(s, b, "laptop", 1), 0);
	assert_int_equal(server_seqlog_cursor_add(s, b, "phone", 1), 0);
	a1 = put(s, a, "bob", "a1", 100);
	put(s, a, "bob", "a2", 100);
	b1 = put(s, b, "alice", "b1", 100);
	put(s, c, "alice", "c1", 100); /* no cursor: kept for its device */
	assert_int_equal(server_seqlog_confirm(s, a, "laptop", a1), 0);
	assert_int_equal(server_seqlog_confirm(s, b, "laptop", b1), 0);
	/* Too recent for the retention: nothing goes. */
	assert_int_equal(server_seqlog_trim_all(s, 100), 0);
	/* a1 passed by alice's only device; b1 still lacks bob's phone. */
	assert_int_equal(server_seqlog_trim_all(s, 101), 1);
	assert_int_equal(server_seqlog_count(s, a), 1);
	assert_int_equal(server_seqlog_count(s, b), 1);
	assert_int_equal(server_seqlog_count(s, c), 1);
	assert_int_equal(server_seqlog_confirm(s, b, "phone", b1), 0);
	assert_int_equal(server_seqlog_trim_all(s, 101), 1);
	assert_int_equal(server_seqlog_count(s, b), 0);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

/* What the stale pass collects: "log reader," for each cursor. */
static void
stale_one(void *arg, const char *log, int64_t id, const struct server_cursor *c)
{
	char *out = arg;

	(void)id;
	snprintf(
	    out + strlen(out), 256 - strlen(out), "%s %s,", log, c->reader);
}

/* Unseen cursors go stale, longest first; a log's last reader never. */
static void
seqlog__stale__never_the_last_reader_of_a_log(void **state)
{
	struct server_store *s = store_open(true);
	char out[256] = "";
	int64_t a, b;

	(void)state;
	a = server_seqlog_open(s, "u:alice", 1);
	b = server_seqlog_open(s, "u:bob", 1);
	assert_int_equal(server_seqlog_cursor_add(s, a, "old", 10), 0);
	assert_int_equal(server_seqlog_cursor_add(s, a, "older", 5), 0);
	assert_int_equal(server_seqlog_cursor_add(s, a, "new", 500), 0);
	assert_int_equal(server_seqlog_cursor_add(s, b, "only", 1), 0);
	assert_int_equal(server_seqlog_stale(s, 100, stale_one, out), 2);
	assert_string_equal(out, "u:alice older,u:alice old,");
	/* All of alice's unseen: the one seen last stays. */
	out[0] = '\0';
	assert_int_equal(server_seqlog_stale(s, 1000, stale_one, out), 2);
	assert_string_equal(out, "u:alice older,u:alice old,");
	assert_int_equal(server_seqlog_cursor_touch(s, a, "old", 2000), 0);
	out[0] = '\0';
	assert_int_equal(server_seqlog_stale(s, 1000, stale_one, out), 2);
	assert_string_equal(out, "u:alice older,u:alice new,");
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

/* Cursors as listed: oldest first, how far behind, when last seen. */
static void
list_one(void *arg, const struct server_cursor *c)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%lld:%llu,",
	    c->reader, (long long)c->behind, (unsigned long long)c->seen);
}

/* Listing cursors, touching them, dropping the whole log. */
static void
seqlog__cursor__list_touch_drop(void **state)
{
	struct server_store *s = store_open(true);
	char out[256] = "";
	int64_t log, m1;

	(void)state;
	log = server_seqlog_open(s, "u:alice", 1);
	assert_int_equal(server_seqlog_cursor_add(s, log, "laptop", 5), 0);
	assert_int_equal(server_seqlog_cursor_add(s, log, "phone", 6), 0);
	assert_int_equal(server_seqlog_cursor_add(s, log, "laptop", 7), 0);
	m1 = put(s, log, "bob", "m1", 10);
	put(s, log, "bob", "m2", 11);
	assert_int_equal(server_seqlog_confirm(s, log, "phone", m1), 0);
	assert_int_equal(server_seqlog_cursor_touch(s, log, "phone", 99), 0);
	assert_int_equal(server_seqlog_cursor_list(s, log, list_one, out), 0);
	assert_string_equal(out, "laptop:2:5,phone:1:99,");
	assert_int_equal(server_seqlog_drop(s, log), 0);
	assert_int_equal(server_seqlog_lookup(s, "u:alice"), 0);
	out[0] = '\0';
	assert_int_equal(server_seqlog_cursor_list(s, log, list_one, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

/*
 * A child appends and confirms, commits, then appends once more without
 * committing and is killed with SIGKILL: the committed entries and the
 * moved floor are there at the next open, the uncommitted entry is not.
 */
/*
 * A room's log: a cursor raised to a position (RPOS) skips what is under
 * it and forgets what it confirmed there; the newest entry, the newest
 * message and a message's sender are found; the trim takes only what
 * every member device passed.
 */
static void
seqlog__raise__positions_on_a_room_log(void **state)
{
	struct server_store *s = store_open(true);
	struct server_entry ev = {.kind = SERVER_ENTRY_ONCE,
	    .sender = "alice",
	    .id = "-",
	    .frame = "1|alice|join|-|",
	    .len = 15,
	    .stored_at = 1};
	char who[40];
	int64_t log, m1, m2, m3, e;

	(void)state;
	log = server_seqlog_open(s, "r:#team", 1);
	assert_int_equal(server_seqlog_cursor_add(s, log, "alice a1", 1), 0);
	assert_int_equal(server_seqlog_cursor_add(s, log, "bob b1", 1), 0);
	m1 = put(s, log, "alice", "m1", 2);
	m2 = put(s, log, "bob", "m2", 3);
	m3 = put(s, log, "alice", "m3", 4);
	e = server_seqlog_append(s, log, &ev);
	assert_true(e > m3);
	assert_int_equal(server_seqlog_last(s, log, false, who, sizeof who), e);
	assert_int_equal(server_seqlog_last(s, log, true, who, sizeof who), m3);
	assert_string_equal(who, "alice");
	assert_int_equal(server_seqlog_sender(s, log, m2, who, sizeof who), m2);
	assert_string_equal(who, "bob");
	assert_int_equal(server_seqlog_sender(s, log, e, who, sizeof who), 0);
	assert_int_equal(server_seqlog_confirm(s, log, "bob b1", m3), 0);
	assert_int_equal(server_seqlog_cursor_raise(s, log, "bob b1", m2), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "bob b1"), m2);
	/* Lower is ignored; a reader without a cursor changes nothing. */
	assert_int_equal(server_seqlog_cursor_raise(s, log, "bob b1", m1), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "bob b1"), m2);
	assert_int_equal(server_seqlog_cursor_raise(s, log, "carol c1", m3), 0);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "carol c1"), -2);
	assert_int_equal(server_seqlog_cursor_raise(s, log, "alice a1", m1), 0);
	assert_int_equal(server_seqlog_trim(s, log, 100), 1);
	assert_int_equal(server_seqlog_count(s, log), 3);
	assert_int_equal(server_seqlog_cursor_raise(s, log, "alice a1", e), 0);
	assert_int_equal(server_seqlog_cursor_raise(s, log, "bob b1", e), 0);
	assert_int_equal(server_seqlog_trim(s, log, 100), 3);
	assert_int_equal(server_seqlog_count(s, log), 0);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	cleanup();
}

static void
seqlog__durable__across_kill_9(void **state)
{
	struct server_store *s;
	int64_t log;
	pid_t pid;
	int status;

	(void)state;
	s = store_open(true);
	server_store_close(s);
	if ((pid = fork()) == 0) {
		s = store_open(false);
		log = server_seqlog_open(s, "u:alice", 1);
		server_seqlog_cursor_add(s, log, "laptop", 1);
		put(s, log, "bob", "m1", 10);
		put(s, log, "bob", "m2", 11);
		server_seqlog_confirm(s, log, "laptop", 1);
		if (server_store_commit(s) != 0)
			_exit(1);
		put(s, log, "bob", "m3", 12);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	s = store_open(false);
	log = server_seqlog_lookup(s, "u:alice");
	assert_true(log > 0);
	assert_int_equal(server_seqlog_count(s, log), 2);
	assert_int_equal(server_seqlog_cursor_floor(s, log, "laptop"), 1);
	assert_string_equal(unread(s, log, "laptop", 0), "m2,");
	server_store_close(s);
	cleanup();
}

/* "sender>rcpt:body," per frame read through the queue (the router's). */
static bool
queued_one(void *arg, const struct server_queued *q)
{
	char *out = arg;
	const char *body = q->frame + q->len;

	while (body > q->frame && body[-1] != '|')
		body--;
	snprintf(out + strlen(out), 256 - strlen(out), "%s>%s:%.*s,", q->sender,
	    q->rcpt, (int)(q->frame + q->len - body - 1), body);
	return true;
}

/* The schema version in meta of the test's store. */
static long long
schema_of(void)
{
	char path[256];
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof path, "%s/relay.db", dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_prepare_v2(h, "SELECT v FROM meta WHERE k = 'schema'", -1,
	        &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return v;
}

/* Make the test's relay.db from the schema-1 fixture. */
static void
load_fixture(void)
{
	char path[256];

	snprintf(dir, sizeof dir, "/tmp/test_seqlog.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/relay.db", dir);
	assert_int_equal(fixture_schema1_write(path), 0);
}

/*
 * The data folder of the release before (a1 a2 a3 from alice and c1
 * from carol queued for bob, d1 from alice for dave): opened, it is
 * schema 2, every frame is in its recipient's inbox in the old order
 * with its old number, and the first device of bob reads them all.
 */
static void
seqlog__upgrade__keeps_the_queue_of_schema_1(void **state)
{
	struct server_store *s;
	char out[256] = "";
	int64_t log;

	(void)state;
	load_fixture();
	assert_int_equal(schema_of(), 1);
	s = store_open(false);
	assert_int_equal(schema_of(), 2);
	assert_int_equal(server_store_queue_depth(s), 5);
	assert_int_equal(server_store_queue_count(s, "bob"), 4);
	assert_true(
	    server_store_queue_fetch(s, "bob", 0, 64, queued_one, out) == 4);
	printf("upgraded queue of bob: %s\n", out);
	/* base64 of a1, a2, a3, c1 */
	assert_string_equal(out,
	    "alice>bob:YTE=,alice>bob:YTI=,"
	    "alice>bob:YTM=,carol>bob:YzE=,");
	assert_true((log = server_seqlog_lookup(s, "u:bob")) > 0);
	assert_int_equal(server_seqlog_cursor_add(s, log, "laptop", 1), 0);
	assert_int_equal(
	    server_seqlog_read(s, log, "laptop", 0, 64, collect, out), 4);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	/* Opened again, nothing moves twice. */
	s = store_open(false);
	assert_int_equal(server_store_queue_depth(s), 5);
	server_store_close(s);
	cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(seqlog__append__numbers_grow_per_log),
	    cmocka_unit_test(seqlog__raise__positions_on_a_room_log),
	    cmocka_unit_test(seqlog__confirm__moves_the_floor),
	    cmocka_unit_test(seqlog__trim__only_what_every_cursor_passed),
	    cmocka_unit_test(seqlog__trim__keeps_for_the_retention),
	    cmocka_unit_test(seqlog__trim_all__every_log_by_the_same_rules),
	    cmocka_unit_test(seqlog__stale__never_the_last_reader_of_a_log),
	    cmocka_unit_test(seqlog__cursor__list_touch_drop),
	    cmocka_unit_test(seqlog__durable__across_kill_9),
	    cmocka_unit_test(seqlog__upgrade__keeps_the_queue_of_schema_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
