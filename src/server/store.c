#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "server/store.h"
#include "util/sys.h"
#include "util/xmalloc.h"

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_USERS,
	ST_ADD_USER,
	ST_LAST_SEEN,
	ST_LOAD_MSGS,
	ST_QADD,
	ST_QDEL,
	ST_QFETCH,
	ST_QDEPTH,
	ST_QCOUNT,
	ST_COUNT
};

static const char *const store_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_USERS] = "SELECT name, pwhash, last_seen FROM users ORDER BY rowid",
    [ST_ADD_USER] = "INSERT INTO users(key, name, pwhash, created, "
                    "last_seen) VALUES (lower(?1), ?1, ?2, ?3, 0)",
    [ST_LAST_SEEN] = "UPDATE users SET last_seen = ?2 WHERE key = ?1",
    [ST_LOAD_MSGS] = "SELECT seq, kind, rcpt, sender, msg_id FROM queue "
                     "WHERE kind = 0 ORDER BY seq",
    [ST_QADD] = "INSERT INTO queue(rcpt, kind, sender, msg_id, frame, "
                "stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_QDEL] = "DELETE FROM queue WHERE seq = ?1",
    [ST_QFETCH] = "SELECT seq, kind, rcpt, sender, msg_id, frame FROM "
                  "queue WHERE rcpt = ?1 AND seq > ?2 ORDER BY seq "
                  "LIMIT ?3",
    [ST_QDEPTH] = "SELECT count(*) FROM queue",
    [ST_QCOUNT] = "SELECT count(*) FROM queue WHERE rcpt = ?1",
};

/* Schema version 1. Keys are lower-case names; names keep their case. */
static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
    "INSERT OR IGNORE INTO meta VALUES ('schema', '1');"
    "CREATE TABLE IF NOT EXISTS users("
    "  key TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  pwhash TEXT,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS queue("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  rcpt TEXT NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  msg_id TEXT NOT NULL,"
    "  frame BLOB NOT NULL,"
    "  stored_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS queue_by_rcpt ON queue(rcpt, seq);";

struct server_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	bool txn;
	char err[256];
};

static int
store_fail(struct server_store *s, const char *what)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* The last error, for the log. */
const char *
server_store_error(const struct server_store *s)
{
	return s->err;
}

/*
 * Open (creating if needed) the store in dir. sync_full: fsync the WAL at
 * every commit, so an acknowledged message survives a power cut too, not
 * only a crash of the relay.
 */
struct server_store *
server_store_open(const char *dir, bool sync_full, char *err, size_t errlen)
{
	struct server_store *s;
	char *path;
	size_t n;
	int i;

	if (util_mkdir_p(dir, err, errlen) != 0)
		return NULL;
	n = strlen(dir) + sizeof "/relay.db";
	path = xmalloc(n);
	snprintf(path, n, "%s/relay.db", dir);
	s = xcalloc(1, sizeof *s);
	if (sqlite3_open_v2(path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 2000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(s->db,
	        sync_full ? "PRAGMA synchronous=FULL"
	                  : "PRAGMA synchronous=NORMAL",
	        NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, store_schema, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &s->st[i],
		        NULL) != SQLITE_OK) {
			snprintf(
			    err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	free(path);
	return s;
fail:
	free(path);
	server_store_close(s);
	return NULL;
}

/* Commit what is open and close the database cleanly. */
void
server_store_close(struct server_store *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->txn)
		server_store_commit(s);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static int
store_step_done(struct server_store *s, sqlite3_stmt *st, const char *what)
{
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, what);
	return 0;
}

/* Open the turn's transaction if it is not open yet. */
int
server_store_begin(struct server_store *s)
{
	if (s->txn)
		return 0;
	if (store_step_done(s, s->st[ST_BEGIN], "begin") != 0)
		return -1;
	s->txn = true;
	return 0;
}

/* Commit the turn's transaction, if one is open. */
int
server_store_commit(struct server_store *s)
{
	if (!s->txn)
		return 0;
	s->txn = false;
	if (store_step_done(s, s->st[ST_COMMIT], "commit") != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Whether a transaction is open. */
bool
server_store_in_txn(const struct server_store *s)
{
	return s->txn;
}

/* Call cb(arg, name, pwhash or NULL, last_seen) for every user. */
int
server_store_load_users(
    struct server_store *s, server_store_user_cb cb, void *arg)
{
	sqlite3_stmt *st = s->st[ST_USERS];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "load users");
}

/* Register a user; pwhash NULL for an open name. */
int
server_store_add_user(
    struct server_store *s, const char *name, const char *pwhash, uint64_t now)
{
	sqlite3_stmt *st = s->st[ST_ADD_USER];

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (pwhash != NULL)
		sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	return store_step_done(s, st, "add user");
}

/* Remember when a user was last seen. */
int
server_store_set_last_seen(struct server_store *s, const char *key, uint64_t ts)
{
	sqlite3_stmt *st = s->st[ST_LAST_SEEN];

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ts);
	return store_step_done(s, st, "last seen");
}

static void
store_row(sqlite3_stmt *st, struct server_queued *q, bool frame)
{
	q->seq = sqlite3_column_int64(st, 0);
	q->kind = (enum server_queue_kind)sqlite3_column_int(st, 1);
	q->rcpt = (const char *)sqlite3_column_text(st, 2);
	q->sender = (const char *)sqlite3_column_text(st, 3);
	q->id = (const char *)sqlite3_column_text(st, 4);
	q->frame = NULL;
	q->len = 0;
	if (frame) {
		q->frame = sqlite3_column_blob(st, 5);
		q->len = (size_t)sqlite3_column_bytes(st, 5);
	}
}

/* Call cb for every stored message (without its frame), oldest first. */
int
server_store_load_msgs(
    struct server_store *s, server_store_queue_cb cb, void *arg)
{
	sqlite3_stmt *st = s->st[ST_LOAD_MSGS];
	struct server_queued q;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_row(st, &q, false);
		cb(arg, &q);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, "load queue");
}

/* Queue a frame for rcpt; returns its sequence number, or -1. */
int64_t
server_store_queue_add(struct server_store *s, const char *rcpt,
    enum server_queue_kind kind, const char *sender, const char *id,
    const char *frame, size_t len, uint64_t now)
{
	sqlite3_stmt *st = s->st[ST_QADD];

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)kind);
	sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, frame, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
	if (store_step_done(s, st, "queue") != 0)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* Delete a queued frame. */
int
server_store_queue_delete(struct server_store *s, int64_t seq)
{
	sqlite3_stmt *st = s->st[ST_QDEL];

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	return store_step_done(s, st, "unqueue");
}

/*
 * Call cb for at most limit frames queued for rcpt after sequence number
 * after, oldest first. Returns how many, or -1.
 */
int
server_store_queue_fetch(struct server_store *s, const char *rcpt,
    int64_t after, int limit, server_store_queue_cb cb, void *arg)
{
	sqlite3_stmt *st = s->st[ST_QFETCH];
	struct server_queued q;
	int rc, n = 0;

	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_row(st, &q, true);
		cb(arg, &q);
		n++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? n : store_fail(s, "fetch queue");
}

/* How many frames are queued in all. */
int64_t
server_store_queue_depth(struct server_store *s)
{
	sqlite3_stmt *st = s->st[ST_QDEPTH];
	int64_t n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* How many frames wait for one user (by key), or -1. */
int64_t
server_store_queue_count(struct server_store *s, const char *rcpt)
{
	sqlite3_stmt *st = s->st[ST_QCOUNT];
	int64_t n = -1;

	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}
