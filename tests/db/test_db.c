/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"

enum { T_ADD, T_COUNT, T_NAMES, T_JOURNAL, T_SYNC, T_N };

static const char *const t_sql[T_N] = {
    [T_ADD] = "INSERT INTO t(name) VALUES (?1)",
    [T_COUNT] = "SELECT count(*) FROM t",
    [T_NAMES] = "SELECT name FROM t ORDER BY rowid",
    [T_JOURNAL] = "PRAGMA journal_mode",
    [T_SYNC] = "PRAGMA synchronous",
};

static const char t_schema[] =
    "CREATE TABLE IF NOT EXISTS t(name TEXT NOT NULL UNIQUE);";

struct fixture {
	char dir[64]; /* the temporary folder */
	char sub[96]; /* a folder inside it, not created yet */
	struct db_spec spec;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/termgram-db-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->sub, sizeof f->sub, "%s/a/b", f->dir);
	f->spec.file = "test.db";
	f->spec.schema = t_schema;
	f->spec.sql = t_sql;
	f->spec.nsql = T_N;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	(void)!system(cmd);
	free(f);
	return 0;
}

/* Open the fixture's database in folder dir; the test fails if it cannot. */
static struct db *
open_db(struct fixture *f, const char *dir)
{
	char err[256];
	struct db *db;

	if ((db = db_open(dir, &f->spec, err, sizeof err)) == NULL)
		fail_msg("%s", err);
	return db;
}

static int
add(struct db *db, const char *name)
{
	sqlite3_stmt *st = db_stmt(db, T_ADD);

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return db_step(db, st, "add");
}

static int64_t
count(struct db *db)
{
	return db_count(db_stmt(db, T_COUNT));
}

/* The text of the first row of statement i. */
static void
first_text(struct db *db, size_t i, char *out, size_t len)
{
	sqlite3_stmt *st = db_stmt(db, i);

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	assert_int_equal(db_finish(db, st, SQLITE_DONE, "pragma"), 0);
}

static void
db__opens__in_wal_mode_creating_the_folder(void **state)
{
	struct fixture *f = *state;
	char path[160], got[32];
	struct stat sb;
	struct db *db;

	db = open_db(f, f->sub);
	snprintf(path, sizeof path, "%s/test.db", f->sub);
	assert_int_equal(stat(path, &sb), 0);
	first_text(db, T_JOURNAL, got, sizeof got);
	assert_string_equal(got, "wal");
	first_text(db, T_SYNC, got, sizeof got);
	assert_string_equal(got, "1"); /* NORMAL */
	db_close(db);
	f->spec.sync_full = true;
	db = open_db(f, f->sub);
	first_text(db, T_SYNC, got, sizeof got);
	assert_string_equal(got, "2"); /* FULL */
	db_close(db);
}

static void
db__keeps__committed_rows_across_reopen(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	db = open_db(f, f->dir);
	assert_false(db_in_txn(db));
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_begin(db), 0); /* already open: nothing */
	assert_true(db_in_txn(db));
	assert_int_equal(add(db, "alice"), 0);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_last_rowid(db), 1);
	assert_int_equal(add(db, "bob"), 0);
	assert_int_equal(db_last_rowid(db), 2);
	assert_int_equal(db_commit(db), 0);
	assert_false(db_in_txn(db));
	assert_int_equal(db_commit(db), 0); /* none open: nothing */
	db_close(db);
	db = open_db(f, f->dir);
	assert_int_equal(count(db), 2);
	db_close(db);
}

static void
db__forgets__rows_rolled_back(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	db = open_db(f, f->dir);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(add(db, "alice"), 0);
	assert_int_equal(count(db), 1);
	db_rollback(db);
	assert_false(db_in_txn(db));
	assert_int_equal(count(db), 0);
	db_close(db);
}

/* Closing with a transaction open commits it, as the stores rely on. */
static void
db__commits__open_transaction_on_close(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	db = open_db(f, f->dir);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(add(db, "carol"), 0);
	db_close(db);
	db = open_db(f, f->dir);
	assert_int_equal(count(db), 1);
	db_close(db);
}

/* A failed step says what failed and why; the statement is reusable. */
static void
db__reports__failed_step_with_what_and_why(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	db = open_db(f, f->dir);
	assert_string_equal(db_error(db), "");
	assert_int_equal(add(db, "dave"), 0);
	assert_int_equal(add(db, "dave"), -1);
	assert_non_null(strstr(db_error(db), "add: UNIQUE constraint failed"));
	assert_int_equal(add(db, "erin"), 0);
	assert_int_equal(count(db), 2);
	db_close(db);
}

static void
db__reads__rows_until_done(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {"x", "y", "z"};
	struct db *db;
	sqlite3_stmt *st;
	int rc, n = 0;

	db = open_db(f, f->dir);
	for (n = 0; n < 3; n++)
		assert_int_equal(add(db, names[n]), 0);
	st = db_stmt(db, T_NAMES);
	for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW; n++)
		assert_string_equal(sqlite3_column_text(st, 0), names[n]);
	assert_int_equal(db_finish(db, st, rc, "names"), 0);
	assert_int_equal(n, 3);
	/* Reset: the same statement reads from the start again. */
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "x");
	assert_int_equal(db_finish(db, st, SQLITE_ERROR, "names"), -1);
	assert_non_null(strstr(db_error(db), "names: "));
	db_close(db);
}

static void
db__refuses__bad_statement_naming_the_file(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {"SELECT x FROM nowhere"};
	char err[256], want[160];

	f->spec.sql = bad;
	f->spec.nsql = 1;
	assert_null(db_open(f->dir, &f->spec, err, sizeof err));
	snprintf(want, sizeof want, "%s/test.db: no such table", f->dir);
	assert_non_null(strstr(err, want));
}

/* An upgrade that was applied before fails again, and that is fine. */
static void
db__ignores__error_of_an_applied_upgrade(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	int i;

	f->spec.upgrade = "ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7";
	for (i = 0; i < 2; i++) {
		db = open_db(f, f->dir);
		assert_string_equal(db_error(db), "");
		db_close(db);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        db__opens__in_wal_mode_creating_the_folder, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__keeps__committed_rows_across_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__forgets__rows_rolled_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__commits__open_transaction_on_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__reports__failed_step_with_what_and_why, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__reads__rows_until_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__refuses__bad_statement_naming_the_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        db__ignores__error_of_an_applied_upgrade, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
