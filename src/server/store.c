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
#include "server/log.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "server/store_int.h"
#include "util/sys.h"
#include "util/xmalloc.h"

enum {
	ST_USERS,
	ST_ADD_USER,
	ST_LAST_SEEN,
	ST_DEV_ADD,
	ST_DEV_DEL,
	ST_DEV_CLEAR,
	ST_DEV_LIST,
	ST_DEV_COUNT,
	ST_DEV_HAS,
	ST_GOOD_SET,
	ST_GOOD_LIST,
	ST_LOCKED_LIST,
	ST_LOCK,
	ST_UNLOCK,
	ST_SET_PW,
	ST_DEL_USER,
	ST_DEL_GOOD,
	ST_ROOM_PUT,
	ST_ROOM_DEL,
	ST_ROOM_DEL_MEMBERS,
	ST_ROOM_LIST,
	ST_MEMBER_PUT,
	ST_MEMBER_DEL,
	ST_MEMBER_LIST,
	ST_COUNT
};

static const char *const store_sql[ST_COUNT] = {
    [ST_USERS] = "SELECT name, pwhash, last_seen FROM users ORDER BY rowid",
    [ST_ADD_USER] = "INSERT INTO users(key, name, pwhash, created, "
                    "last_seen) VALUES (lower(?1), ?1, ?2, ?3, 0)",
    [ST_LAST_SEEN] = "UPDATE users SET last_seen = ?2 WHERE key = ?1",
    [ST_DEV_ADD] = "INSERT OR IGNORE INTO devices(key, fp, added) "
                   "VALUES (?1, ?2, ?3)",
    [ST_DEV_DEL] = "DELETE FROM devices WHERE key = ?1 AND fp = ?2",
    [ST_DEV_CLEAR] = "DELETE FROM devices WHERE key = ?1",
    [ST_DEV_LIST] = "SELECT fp, added FROM devices WHERE key = ?1 "
                    "ORDER BY added, fp",
    [ST_DEV_COUNT] = "SELECT count(*) FROM devices WHERE key = ?1",
    [ST_DEV_HAS] = "SELECT count(*) FROM devices WHERE key = ?1 AND fp = ?2",
    [ST_GOOD_SET] = "INSERT OR REPLACE INTO good_ips(key, ip) VALUES (?1, ?2)",
    [ST_GOOD_LIST] = "SELECT key, ip FROM good_ips",
    [ST_LOCKED_LIST] = "SELECT key FROM locked",
    [ST_LOCK] = "INSERT OR IGNORE INTO locked(key, at) VALUES (?1, ?2)",
    [ST_UNLOCK] = "DELETE FROM locked WHERE key = ?1",
    [ST_SET_PW] = "UPDATE users SET pwhash = ?2 WHERE key = ?1",
    [ST_DEL_USER] = "DELETE FROM users WHERE key = ?1",
    [ST_DEL_GOOD] = "DELETE FROM good_ips WHERE key = ?1",
    [ST_ROOM_PUT] = "INSERT OR REPLACE INTO rooms(key, name, mode, topic, "
                    "owner, created, log) VALUES (lower(?1), ?1, ?2, ?3, ?4, "
                    "?5, ?6)",
    [ST_ROOM_DEL] = "DELETE FROM rooms WHERE key = ?1",
    [ST_ROOM_DEL_MEMBERS] = "DELETE FROM room_members WHERE room = ?1",
    [ST_ROOM_LIST] = "SELECT name, mode, topic, owner, created, log FROM "
                     "rooms ORDER BY key",
    [ST_MEMBER_PUT] = "INSERT OR REPLACE INTO room_members(room, key, role, "
                      "joined, delivered, read, invited, banned, since) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_MEMBER_DEL] = "DELETE FROM room_members WHERE room = ?1 AND key = ?2",
    [ST_MEMBER_LIST] = "SELECT room, key, role, joined, delivered, read, "
                       "invited, banned, since FROM room_members "
                       "ORDER BY room, since, key",
};

/*
 * Schema version 2: the queue of version 1 became the logs, entries,
 * cursors and acks of seqlog.c (store_int.h; store_upgrade moves a
 * version-1 queue). Keys are lower-case names; names keep their case. The
 * devices table (the pinned device keys of an owned name, fp in 64 hex
 * digits) and the index of stored messages by (sender, id), which answers
 * resends and receipts from the disk instead of a record per message in
 * memory, came later, and so did good_ips (the address of each name's
 * last good password login, which the name's wait after wrong passwords
 * never holds), locked (the names an administrator locked), and rooms
 * and room_members (docs/relay.md "Rooms in the store"): IF NOT EXISTS
 * adds them to an older data folder.
 */
/*
 * The schema version in meta: a relay refuses a store with a higher one.
 * A change a relay of the version before would misread raises it (and
 * UPDATEs meta in the upgrade); a table or index added IF NOT EXISTS, as
 * below, does not.
 */
#define STORE_SCHEMA 2
#define STORE_SCHEMA_TEXT "2"

static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
    "INSERT OR IGNORE INTO meta VALUES ('schema', '" STORE_SCHEMA_TEXT "');"
    "CREATE TABLE IF NOT EXISTS users("
    "  key TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  pwhash TEXT,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL);" SERVER_SEQLOG_SCHEMA
    "CREATE TABLE IF NOT EXISTS devices("
    "  key TEXT NOT NULL,"
    "  fp TEXT NOT NULL,"
    "  added INTEGER NOT NULL,"
    "  PRIMARY KEY(key, fp));"
    "CREATE TABLE IF NOT EXISTS good_ips("
    "  key TEXT PRIMARY KEY,"
    "  ip TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS locked("
    "  key TEXT PRIMARY KEY,"
    "  at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rooms("
    "  key TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  mode INTEGER NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  log INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS room_members("
    "  room TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  role INTEGER NOT NULL,"
    "  joined INTEGER NOT NULL,"
    "  delivered INTEGER NOT NULL,"
    "  read INTEGER NOT NULL,"
    "  invited INTEGER NOT NULL,"
    "  banned INTEGER NOT NULL,"
    "  since INTEGER NOT NULL,"
    "  PRIMARY KEY(room, key));";

struct server_store {
	struct db *db;
	struct server_seqlog *logs;
};

/* The database under s (store.c and seqlog.c only). */
struct db *
server_store_db(struct server_store *s)
{
	return s->db;
}

/* The log statements of s. */
struct server_seqlog *
server_store_seqlog(struct server_store *s)
{
	return s->logs;
}

/* The last error, for the log. */
const char *
server_store_error(const struct server_store *s)
{
	return db_error(s->db);
}

/* A mode made private at start, in the log. */
static void
store_tightened(
    void *arg, const char *what, const char *path, unsigned was, unsigned now)
{
	(void)arg;
	server_log(SERVER_LOG_WARN, "%s %s was mode %04o, now %04o", what, path,
	    was, now);
}

/*
 * Refuse a store a newer relay wrote (its schema version in meta is
 * higher): this one could misread it. Read before the schema runs, so
 * that nothing in it changes; an unreadable file is left to db_open.
 */
static int
store_check_schema(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	sqlite3 *h = NULL;
	sqlite3_stmt *st;
	long long v = 0;

	snprintf(path, sizeof path, "%s/relay.db", dir);
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT v FROM meta WHERE k = 'schema'", -1,
	        &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	if (v <= STORE_SCHEMA)
		return 0;
	snprintf(err, errlen,
	    "%s was written by a newer termgramd (store schema %lld; this "
	    "termgramd %s reads up to %d): run that version, or restore the "
	    "backup made before the upgrade",
	    path, v, TERMGRAM_VERSION, STORE_SCHEMA);
	return -1;
}

/*
 * Move a schema-1 queue into inbox logs, and say so in the log. 0, or -1
 * and err.
 */
static int
store_upgrade(struct db *db, char *err, size_t errlen)
{
	int64_t frames, users;
	int rc;

	if ((rc = server_seqlog_upgrade(db, &frames, &users)) < 0) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	if (rc == 1)
		server_log(SERVER_LOG_INFO,
		    "store upgraded from schema 1 to 2: %lld queued frames "
		    "of %lld users moved to their inbox logs",
		    (long long)frames, (long long)users);
	return 0;
}

/*
 * Open (creating if needed) the store in dir, folder 0700 and files 0600
 * (db_private). sync_full: fsync the WAL at every commit, so an
 * acknowledged message survives a power cut too, not only a crash of the
 * relay.
 */
struct server_store *
server_store_open(const char *dir, bool sync_full, char *err, size_t errlen)
{
	const struct db_spec spec = {
	    .file = "relay.db",
	    .schema = store_schema,
	    .sql = store_sql,
	    .nsql = ST_COUNT,
	    .sync_full = sync_full,
	};
	struct server_seqlog *logs = NULL;
	struct server_store *s;
	struct db *db;

	err[0] = '\0';
	if (db_private(dir, "relay.db", store_tightened, NULL, err, errlen) !=
	        0 ||
	    store_check_schema(dir, err, errlen) != 0 ||
	    (db = db_open(dir, &spec, err, errlen)) == NULL)
		return NULL;
	if (store_upgrade(db, err, errlen) != 0 ||
	    (logs = server_seqlog_new(db)) == NULL) {
		if (logs == NULL && err[0] == '\0')
			snprintf(err, errlen, "%s", db_error(db));
		db_close(db);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->db = db;
	s->logs = logs;
	return s;
}

/* Commit what is open and close the database cleanly. */
void
server_store_close(struct server_store *s)
{
	if (s == NULL)
		return;
	server_seqlog_free(s->logs);
	db_close(s->db);
	free(s);
}

/* Open the turn's transaction if it is not open yet. */
int
server_store_begin(struct server_store *s)
{
	return db_begin(s->db);
}

/* Commit the turn's transaction, if one is open. */
int
server_store_commit(struct server_store *s)
{
	return db_commit(s->db);
}

/* Whether a transaction is open. */
bool
server_store_in_txn(const struct server_store *s)
{
	return db_in_txn(s->db);
}

/* Call cb(arg, name, pwhash or NULL, last_seen) for every user. */
int
server_store_load_users(
    struct server_store *s, server_store_user_cb cb, void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_USERS);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2));
	}
	return db_finish(s->db, st, rc, "load users");
}

/* Register a user; pwhash NULL for an open name. */
int
server_store_add_user(
    struct server_store *s, const char *name, const char *pwhash, uint64_t now)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_ADD_USER);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (pwhash != NULL)
		sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	return db_step(s->db, st, "add user");
}

/* Remember when a user was last seen. */
int
server_store_set_last_seen(struct server_store *s, const char *key, uint64_t ts)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_LAST_SEEN);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ts);
	return db_step(s->db, st, "last seen");
}

/* Pin device fp (64 hex digits) for the user key; pinned twice is once. */
int
server_store_device_add(
    struct server_store *s, const char *key, const char *fp, uint64_t now)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_DEV_ADD);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	return db_step(s->db, st, "pin device");
}

/* Unpin device fp of the user key (absent: nothing happens). */
int
server_store_device_remove(
    struct server_store *s, const char *key, const char *fp)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_DEV_DEL);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
	return db_step(s->db, st, "unpin device");
}

/* Unpin every device of the user key. */
int
server_store_device_clear(struct server_store *s, const char *key)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_DEV_CLEAR);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return db_step(s->db, st, "unpin devices");
}

/* Call cb(arg, fp, added) for every device pinned for key; -1 on error. */
int
server_store_device_list(struct server_store *s, const char *key,
    server_store_device_cb cb, void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_DEV_LIST);
	int rc;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1));
	}
	return db_finish(s->db, st, rc, "list devices");
}

/* How many devices are pinned for key (0: the name is not pinned), or -1. */
int64_t
server_store_device_count(struct server_store *s, const char *key)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_DEV_COUNT);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return db_count(st);
}

/* Whether fp is among the devices pinned for key. */
bool
server_store_device_has(struct server_store *s, const char *key, const char *fp)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_DEV_HAS);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
	return db_count(st) > 0;
}

/* Remember ip as the address of key's last good password login. */
int
server_store_set_good_ip(
    struct server_store *s, const char *key, const char *ip)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_GOOD_SET);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
	return db_step(s->db, st, "good address");
}

/* Call cb(arg, key, ip) for every name's last good login address. */
int
server_store_load_good_ips(
    struct server_store *s, server_store_pair_cb cb, void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_GOOD_LIST);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	return db_finish(s->db, st, rc, "load good addresses");
}

/* Call cb(arg, key) for every locked name. */
int
server_store_load_locked(
    struct server_store *s, void (*cb)(void *, const char *), void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_LOCKED_LIST);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(st, 0));
	return db_finish(s->db, st, rc, "load locked names");
}

/* Run a statement bound to (key[, text]) in the turn's transaction. */
static int
store_key_op(struct server_store *s, size_t which, const char *key,
    const char *text, int64_t num, const char *what)
{
	sqlite3_stmt *st = db_stmt(s->db, which);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (text != NULL)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, (sqlite3_int64)num);
	return db_step(s->db, st, what);
}

/* Lock (or unlock) the name key: a locked name cannot log in. */
int
server_store_set_locked(
    struct server_store *s, const char *key, bool locked, uint64_t now)
{
	if (locked)
		return store_key_op(
		    s, ST_LOCK, key, NULL, (int64_t)now, "lock name");
	return store_key_op(s, ST_UNLOCK, key, NULL, 0, "unlock name");
}

/* Replace the password hash of key (the name becomes owned). */
int
server_store_set_pwhash(
    struct server_store *s, const char *key, const char *pwhash)
{
	return store_key_op(s, ST_SET_PW, key, pwhash, 0, "set password");
}

/*
 * Forget the user key: its row, the frames queued for it, its devices,
 * its good address and its lock. Messages it sent stay queued for their
 * recipients.
 */
int
server_store_delete_user(struct server_store *s, const char *key)
{
	static const size_t ops[] = {ST_DEL_USER, ST_DEL_GOOD, ST_UNLOCK};
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (store_key_op(s, ops[i], key, NULL, 0, "delete user") != 0)
			return -1;
	if (server_store_queue_drop(s, key) != 0)
		return -1;
	return server_store_device_clear(s, key);
}

/*
 * Copy the store into the SQLite database at path (created, mode 0600,
 * refused if it exists) with the backup API, npages per step; the caller
 * steps it with server_store_backup_step.
 */
sqlite3_backup *
server_store_backup_start(struct server_store *s, const char *path,
    sqlite3 **dst, char *err, size_t errlen)
{
	sqlite3_backup *b;
	int fd;

	if ((fd = open(path,
	         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	close(fd);
	if (sqlite3_open_v2(path, dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(*dst));
		goto fail;
	}
	if ((b = sqlite3_backup_init(*dst, "main", db_handle(s->db), "main")) ==
	    NULL) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(*dst));
		goto fail;
	}
	return b;
fail:
	sqlite3_close(*dst);
	*dst = NULL;
	unlink(path);
	return NULL;
}

/*
 * Copy npages more (-1: all); 1 when done, 0 to go on, -1 and err on
 * failure (b is finished and dst closed on 1 and -1).
 */
int
server_store_backup_step(
    sqlite3_backup *b, sqlite3 *dst, int npages, char *err, size_t errlen)
{
	int rc = sqlite3_backup_step(b, npages);

	if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return -1;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(err, errlen, "backup: closing the copy failed");
		return -1;
	}
	return 1;
}

/*
 * Whether path is a termgram store this version reads: it opens, passes
 * SQLite's quick check, and has a schema version in meta no higher than
 * ours and the users and queue tables. 0, or -1 and err.
 */
int
server_store_check_file(const char *path, char *err, size_t errlen)
{
	static const char q[] =
	    "SELECT (SELECT v FROM meta WHERE k = 'schema'), "
	    "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name IN ('users', 'queue', 'entries'))";
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1, tables = 0;
	const unsigned char *ok = NULL;
	int rc = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(h));
	else if (sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    (ok = sqlite3_column_text(st, 0)) == NULL ||
	    strcmp((const char *)ok, "ok") != 0)
		snprintf(err, errlen, "%s: not a sound SQLite database", path);
	else {
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			tables = sqlite3_column_int64(st, 1);
		}
		if (tables < 2 || v < 1)
			snprintf(err, errlen, "%s: not a termgram store", path);
		else if (v > STORE_SCHEMA)
			snprintf(err, errlen,
			    "%s: store schema %lld, this termgramd reads up "
			    "to %d",
			    path, v, STORE_SCHEMA);
		else
			rc = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return rc;
}

/* Write a room's row (in the turn's transaction); 0 or -1. */
int
server_store_room_put(struct server_store *s, const struct server_room_row *r)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_ROOM_PUT);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->mode);
	sqlite3_bind_text(st, 3, r->topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->created);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->log);
	return db_step(s->db, st, "write room");
}

/* Delete a room and its members' rows. */
int
server_store_room_delete(struct server_store *s, const char *key)
{
	sqlite3_stmt *st;

	if (server_store_begin(s) != 0)
		return -1;
	st = db_stmt(s->db, ST_ROOM_DEL_MEMBERS);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (db_step(s->db, st, "delete room members") != 0)
		return -1;
	st = db_stmt(s->db, ST_ROOM_DEL);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return db_step(s->db, st, "delete room");
}

/* Write one member's row of a room. */
int
server_store_member_put(
    struct server_store *s, const struct server_member_row *m)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_MEMBER_PUT);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, m->room, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, m->role);
	sqlite3_bind_int64(st, 4, m->joined);
	sqlite3_bind_int64(st, 5, m->delivered);
	sqlite3_bind_int64(st, 6, m->read);
	sqlite3_bind_int(st, 7, m->invited);
	sqlite3_bind_int(st, 8, m->banned);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)m->since);
	return db_step(s->db, st, "write member");
}

/* Delete one member's row of a room. */
int
server_store_member_delete(
    struct server_store *s, const char *room, const char *key)
{
	sqlite3_stmt *st = db_stmt(s->db, ST_MEMBER_DEL);

	if (server_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return db_step(s->db, st, "delete member");
}

/* At start: every room, then every member row (by room, by since). */
int
server_store_rooms_load(struct server_store *s, server_store_room_cb rcb,
    server_store_member_cb mcb, void *arg)
{
	struct server_room_row r;
	struct server_member_row m;
	sqlite3_stmt *st = db_stmt(s->db, ST_ROOM_LIST);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.name = (const char *)sqlite3_column_text(st, 0);
		r.mode = sqlite3_column_int(st, 1);
		r.topic = (const char *)sqlite3_column_text(st, 2);
		r.owner = (const char *)sqlite3_column_text(st, 3);
		r.created = (uint64_t)sqlite3_column_int64(st, 4);
		r.log = sqlite3_column_int64(st, 5);
		rcb(arg, &r);
	}
	if (db_finish(s->db, st, rc, "load rooms") != 0)
		return -1;
	st = db_stmt(s->db, ST_MEMBER_LIST);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.room = (const char *)sqlite3_column_text(st, 0);
		m.key = (const char *)sqlite3_column_text(st, 1);
		m.role = sqlite3_column_int(st, 2);
		m.joined = sqlite3_column_int64(st, 3);
		m.delivered = sqlite3_column_int64(st, 4);
		m.read = sqlite3_column_int64(st, 5);
		m.invited = sqlite3_column_int(st, 6);
		m.banned = sqlite3_column_int(st, 7);
		m.since = (uint64_t)sqlite3_column_int64(st, 8);
		mcb(arg, &m);
	}
	return db_finish(s->db, st, rc, "load members");
}
