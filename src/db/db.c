/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "util/sys.h"
#include "util/xmalloc.h"

enum { DB_BEGIN, DB_COMMIT, DB_OWN };

struct db {
	sqlite3 *h;
	sqlite3_stmt *own[DB_OWN]; /* BEGIN IMMEDIATE, COMMIT */
	sqlite3_stmt **st; /* the store's statements */
	size_t nst;
	bool txn;
	char err[256];
};

/* Keep "what: SQLite's message" as the last error; returns -1. */
int
db_fail(struct db *db, const char *what)
{
	snprintf(
	    db->err, sizeof db->err, "%s: %s", what, sqlite3_errmsg(db->h));
	return -1;
}

/* The last error, for the log or the user. */
const char *
db_error(const struct db *db)
{
	return db->err;
}

static int
db_prepare(struct db *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	           NULL) == SQLITE_OK
	    ? 0
	    : -1;
}

/* The synchronous level: FULL or NORMAL, OFF in a long-fuzzing build. */
static const char *
db_sync_pragma(const struct db_spec *spec)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)spec;
	return "PRAGMA synchronous=OFF";
#else
	return spec->sync_full ? "PRAGMA synchronous=FULL"
	                       : "PRAGMA synchronous=NORMAL";
#endif
}

/* Pragmas, schema, upgrade and statements of a database just opened. */
static int
db_setup(struct db *db, const struct db_spec *spec)
{
	size_t i;

	sqlite3_busy_timeout(db->h, 2000);
	if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db->h, db_sync_pragma(spec), NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db->h, spec->schema, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	/* An upgrade fails once it has been applied (a column that exists
	 * already): that error says nothing. */
	if (spec->upgrade != NULL)
		(void)sqlite3_exec(db->h, spec->upgrade, NULL, NULL, NULL);
	if (db_prepare(db, "BEGIN IMMEDIATE", &db->own[DB_BEGIN]) != 0 ||
	    db_prepare(db, "COMMIT", &db->own[DB_COMMIT]) != 0)
		return -1;
	db->st = xcalloc(spec->nsql, sizeof *db->st);
	db->nst = spec->nsql;
	for (i = 0; i < spec->nsql; i++) {
		if (db_prepare(db, spec->sql[i], &db->st[i]) != 0)
			return -1;
	}
	return 0;
}

/*
 * Give path the mode want if it has another (a missing file is fine),
 * and tell cb. A link is refused, unless follow: the data folder may be
 * one (systemd's StateDirectory with DynamicUser makes /var/lib/NAME a
 * link to private/NAME), and what it points to is given the mode. 0, or
 * -1 and err.
 */
static int
db_chmod(const char *path, const char *what, unsigned want, bool follow,
    db_tightened_cb cb, void *arg, char *err, size_t errlen)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 07777) == want)
		return 0;
	if (S_ISLNK(st.st_mode) || chmod(path, want) == -1) {
		snprintf(err, errlen, "%s: cannot make it mode %04o: %s", path,
		    want,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : strerror(errno));
		return -1;
	}
	cb(arg, what, path, (unsigned)(st.st_mode & 07777), want);
	return 0;
}

/*
 * The folder dir 0700 and dir/file with its -wal and -shm 0600, whatever
 * the umask and whatever was there before; cb hears of each change. The
 * database is made here, 0600 and not through a link, before SQLite opens
 * it: SQLite gives the -wal and -shm it makes the database's mode. 0, or
 * -1 and err.
 */
int
db_private(const char *dir, const char *file, db_tightened_cb cb, void *arg,
    char *err, size_t errlen)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[4200];
	size_t i;
	int fd;

	if (util_mkdir_p(dir, err, errlen) != 0 ||
	    db_chmod(dir, "data folder", 0700, true, cb, arg, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(path, sizeof path, "%s/%s%s", dir, file, ext[i]);
		if (db_chmod(path, "file", 0600, false, cb, arg, err, errlen) !=
		    0)
			return -1;
	}
	return 0;
}

/*
 * Open (creating the folder and the file if needed) dir/spec->file. On
 * failure err says "path: why".
 */
struct db *
db_open(const char *dir, const struct db_spec *spec, char *err, size_t errlen)
{
	struct db *db;
	char *path;
	size_t n;

	if (util_mkdir_p(dir, err, errlen) != 0)
		return NULL;
	n = strlen(dir) + 1 + strlen(spec->file) + 1;
	path = xmalloc(n);
	snprintf(path, n, "%s/%s", dir, spec->file);
	db = xcalloc(1, sizeof *db);
	if (sqlite3_open_v2(path, &db->h,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK ||
	    db_setup(db, spec) != 0) {
		snprintf(err, errlen, "%s: %s", path,
		    db->h != NULL ? sqlite3_errmsg(db->h) : "cannot open");
		free(path);
		db_close(db);
		return NULL;
	}
	free(path);
	return db;
}

/* Commit what is open and close the database cleanly. */
void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	if (db->txn)
		db_commit(db);
	for (i = 0; i < db->nst; i++)
		sqlite3_finalize(db->st[i]);
	for (i = 0; i < DB_OWN; i++)
		sqlite3_finalize(db->own[i]);
	sqlite3_close(db->h);
	free(db->st);
	free(db);
}

/* Statement i of the spec's table. */
sqlite3_stmt *
db_stmt(struct db *db, size_t i)
{
	return db->st[i];
}

/*
 * Run a statement that returns no rows (or whose first row is enough),
 * then reset it and clear its bindings. 0, or -1 with "what: why".
 */
int
db_step(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, what);
	return 0;
}

/*
 * After the rows: reset the statement and clear its bindings; rc is the
 * last sqlite3_step() result. 0 if the rows ran out, -1 on an error.
 */
int
db_finish(struct db *db, sqlite3_stmt *st, int rc, const char *what)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, what);
}

/* The first column of the first row as a number (a count), or -1. */
int64_t
db_count(sqlite3_stmt *st)
{
	int64_t n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

/* Open the turn's transaction if it is not open yet. */
int
db_begin(struct db *db)
{
	if (db->txn)
		return 0;
	if (db_step(db, db->own[DB_BEGIN], "begin") != 0)
		return -1;
	db->txn = true;
	return 0;
}

/* Commit the turn's transaction, if one is open; a failed one is rolled
 * back. */
int
db_commit(struct db *db)
{
	if (!db->txn)
		return 0;
	db->txn = false;
	if (db_step(db, db->own[DB_COMMIT], "commit") != 0) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Undo the turn's transaction, if one is open. */
void
db_rollback(struct db *db)
{
	if (!db->txn)
		return;
	db->txn = false;
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* Whether a transaction is open. */
bool
db_in_txn(const struct db *db)
{
	return db->txn;
}

/* The rowid of the last row inserted. */
int64_t
db_last_rowid(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

/* How many rows the last statement changed. */
int
db_changes(struct db *db)
{
	return sqlite3_changes(db->h);
}

/* The SQLite connection itself, for what the statements cannot do. */
sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}
