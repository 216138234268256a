/* SPDX-License-Identifier: MIT */
/*
 * The relay store's schema version: a store of this version or older
 * opens; one a newer relay wrote is refused, untouched, with a message
 * that says what to do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "server/store.h"

static char dir[128];

/* Make a store in a fresh folder, then run sql on its database. */
static void
store_then(const char *sql)
{
	struct server_store *s;
	char err[512], path[256];
	sqlite3 *h;

	snprintf(dir, sizeof dir, "/tmp/test_upgrade.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(s = server_store_open(dir, false, err, sizeof err));
	server_store_close(s);
	snprintf(path, sizeof path, "%s/relay.db", dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* The schema version in meta, as a string ("" if none). */
static void
schema_of(char *out, size_t len)
{
	char path[256];
	sqlite3 *h;
	sqlite3_stmt *st;

	snprintf(path, sizeof path, "%s/relay.db", dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(
	        h, "SELECT v FROM meta WHERE k = 'schema'", -1, &st, NULL),
	    SQLITE_OK);
	snprintf(out, len, "%s",
	    sqlite3_step(st) == SQLITE_ROW
	        ? (const char *)sqlite3_column_text(st, 0)
	        : "");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Remove the folder of the test. */
static void
cleanup(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A new store records its schema version, and opens again. */
static void
store__open__records_its_schema(void **state)
{
	struct server_store *s;
	char err[512], v[32];

	(void)state;
	store_then("SELECT 1");
	schema_of(v, sizeof v);
	assert_string_equal(v, "2");
	assert_non_null(s = server_store_open(dir, false, err, sizeof err));
	server_store_close(s);
	cleanup();
}

/* A store a newer relay wrote is refused, and left as it was. */
static void
store__open__refuses_a_newer_schema(void **state)
{
	char err[512], v[32];

	(void)state;
	store_then("UPDATE meta SET v = '3' WHERE k = 'schema';"
	           "CREATE TABLE later(x);");
	assert_null(server_store_open(dir, false, err, sizeof err));
	printf("refused: %s\n", err);
	assert_non_null(strstr(err,
	    "relay.db was written by a newer "
	    "termgramd (store schema 3;"));
	assert_non_null(strstr(err, "reads up to 2"));
	schema_of(v, sizeof v);
	assert_string_equal(v, "3");
	cleanup();
}

/* A store from before the version was kept in meta opens, and gets it. */
static void
store__open__takes_a_store_without_a_version(void **state)
{
	struct server_store *s;
	char err[512], v[32];

	(void)state;
	store_then("DELETE FROM meta WHERE k = 'schema'");
	assert_non_null(s = server_store_open(dir, false, err, sizeof err));
	server_store_close(s);
	schema_of(v, sizeof v);
	assert_string_equal(v, "2");
	cleanup();
}

/* What a room load saw. */
struct seen_rooms {
	int rooms, members;
	char name[40], owner[40];
	int64_t delivered;
};

static void
seen_room(void *arg, const struct server_room_row *r)
{
	struct seen_rooms *c = arg;

	c->rooms++;
	snprintf(c->name, sizeof c->name, "%s", r->name);
	snprintf(c->owner, sizeof c->owner, "%s", r->owner);
}

static void
seen_member(void *arg, const struct server_member_row *m)
{
	struct seen_rooms *c = arg;

	c->members++;
	c->delivered = m->delivered;
}

/*
 * A data folder of the release before rooms (schema 2 without the room
 * tables, as main wrote it) opens: its queued message stays, the room
 * tables are made in place, and rooms written to them load again.
 */
static void
store__open__adds_the_room_tables_and_keeps_the_queue(void **state)
{
	struct server_store *s;
	struct server_room_row room = {"#Team", 1, "", "alice", 5, 0};
	struct server_member_row mem = {
	    "#team", "alice", 0, 9, 11, 10, 0, 0, 0};
	struct seen_rooms c = {0};
	char err[512], v[32];

	(void)state;
	store_then("DROP TABLE rooms; DROP TABLE room_members");
	assert_non_null(s = server_store_open(dir, false, err, sizeof err));
	assert_true(server_store_queue_add(s, "bob", SERVER_QUEUE_MSG, "alice",
	                "m1", "MSG|alice|bob|1|m1|aGk=\n", 23, 1) > 0);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);

	assert_non_null(s = server_store_open(dir, false, err, sizeof err));
	assert_int_equal(server_store_queue_count(s, "bob"), 1);
	assert_int_equal(
	    server_store_rooms_load(s, seen_room, seen_member, &c), 0);
	assert_int_equal(c.rooms, 0);
	room.log = 3;
	assert_int_equal(server_store_room_put(s, &room), 0);
	assert_int_equal(server_store_member_put(s, &mem), 0);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);

	assert_non_null(s = server_store_open(dir, false, err, sizeof err));
	assert_int_equal(server_store_queue_count(s, "bob"), 1);
	assert_int_equal(
	    server_store_rooms_load(s, seen_room, seen_member, &c), 0);
	assert_int_equal(c.rooms, 1);
	assert_int_equal(c.members, 1);
	assert_string_equal(c.name, "#Team");
	assert_string_equal(c.owner, "alice");
	assert_int_equal(c.delivered, 11);
	assert_int_equal(server_store_room_delete(s, "#team"), 0);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	schema_of(v, sizeof v);
	assert_string_equal(v, "2");
	cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(store__open__records_its_schema),
	    cmocka_unit_test(store__open__refuses_a_newer_schema),
	    cmocka_unit_test(store__open__takes_a_store_without_a_version),
	    cmocka_unit_test(
	        store__open__adds_the_room_tables_and_keeps_the_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
