/* SPDX-License-Identifier: MIT */
/*
 * What both stores (the relay's and the client's) do with SQLite, said
 * once: open a database under a folder in WAL mode with the project's
 * pragmas and schema, a table of statements prepared once and used by
 * index, steps that reset their statement, one write transaction at a
 * time (a loop turn's), and the last error as text.
 */
#ifndef DB_DB_H
#define DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct db;

/* What a store is made of. */
struct db_spec {
	const char *file; /* the database's name in the folder */
	const char *schema; /* run at every open (CREATE ... IF NOT EXISTS) */
	const char *upgrade; /* run after it, its error ignored; or NULL */
	const char *const *sql; /* the statements, prepared once */
	size_t nsql;
	bool sync_full; /* fsync the WAL at every commit */
};

/*
 * Told of each mode db_private changed: what ("data folder" or "file"),
 * its path, the mode it had and the one it has now.
 */
typedef void (*db_tightened_cb)(
    void *, const char *, const char *, unsigned, unsigned);

int db_private(
    const char *, const char *, db_tightened_cb, void *, char *, size_t);
struct db *db_open(const char *, const struct db_spec *, char *, size_t);
void db_close(struct db *);
sqlite3_stmt *db_stmt(struct db *, size_t);
int db_step(struct db *, sqlite3_stmt *, const char *);
int db_finish(struct db *, sqlite3_stmt *, int, const char *);
int64_t db_count(sqlite3_stmt *);
int db_begin(struct db *);
int db_commit(struct db *);
void db_rollback(struct db *);
bool db_in_txn(const struct db *);
int db_fail(struct db *, const char *);
const char *db_error(const struct db *);
int64_t db_last_rowid(struct db *);
int db_changes(struct db *);
sqlite3 *db_handle(struct db *);

#endif
