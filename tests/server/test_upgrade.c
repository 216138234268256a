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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(store__open__records_its_schema),
	    cmocka_unit_test(store__open__refuses_a_newer_schema),
	    cmocka_unit_test(store__open__takes_a_store_without_a_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
