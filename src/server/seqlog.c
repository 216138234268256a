/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/db.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "server/store_int.h"
#include "util/xmalloc.h"

/* Entries above a reader's floor and after ?3 that it has not confirmed. */
#define SL_UNCONFIRMED                                                         \
	"NOT EXISTS (SELECT 1 FROM acks a WHERE a.log = e.log AND "            \
	"a.reader = ?2 AND a.seq = e.seq)"

static const char *const seqlog_sql[SL_NSTMT] = {
    [SL_LOG_ADD] = "INSERT OR IGNORE INTO logs(name, created) "
                   "VALUES (?1, ?2)",
    [SL_LOG_ID] = "SELECT id FROM logs WHERE name = ?1",
    [SL_APPEND] = "INSERT INTO entries(log, kind, sender, msg_id, flags, "
                  "frame, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SL_READ] =
        "SELECT seq, kind, sender, msg_id, flags, frame, stored_at "
        "FROM entries e WHERE log = ?1 AND seq > max(?3, "
        "coalesce((SELECT floor FROM cursors WHERE log = ?1 AND "
        "reader = ?2), 0)) AND " SL_UNCONFIRMED " ORDER BY seq LIMIT ?4",
    [SL_FLOOR] = "SELECT floor FROM cursors WHERE log = ?1 AND reader = ?2",
    [SL_NEXT] = "SELECT coalesce(min(seq), 0) FROM entries WHERE log = ?1 "
                "AND seq > ?3",
    [SL_ACK_ADD] = "INSERT OR IGNORE INTO acks(log, reader, seq) "
                   "VALUES (?1, ?2, ?3)",
    [SL_ACK_HAS] = "SELECT count(*) FROM acks WHERE log = ?1 AND "
                   "reader = ?2 AND seq = ?3",
    [SL_ACK_UPTO] = "DELETE FROM acks WHERE log = ?1 AND reader = ?2 AND "
                    "seq <= ?3",
    [SL_SET_FLOOR] = "UPDATE cursors SET floor = ?3 WHERE log = ?1 AND "
                     "reader = ?2",
    [SL_FIND] = "SELECT seq FROM entries WHERE log = ?1 AND sender = ?2 "
                "AND msg_id = ?3 AND kind = 0 ORDER BY seq LIMIT 1",
    [SL_FLAGS] = "UPDATE entries SET flags = flags | ?2 WHERE seq = ?1",
    [SL_TRIM] = "DELETE FROM entries WHERE log = ?1 AND stored_at < ?3 AND "
                "seq <= (SELECT min(floor) FROM cursors WHERE log = ?1)",
    [SL_TRIM_ALL] = "DELETE FROM entries WHERE seq IN (SELECT e.seq FROM "
                    "logs l JOIN entries e ON e.log = l.id AND e.seq <= "
                    "(SELECT min(floor) FROM cursors c WHERE c.log = l.id) "
                    "WHERE e.stored_at < ?3 AND ?1 = ?1)",
    [SL_STALE] = "SELECT l.name, c.log, c.reader, c.floor, c.created, "
                 "c.seen FROM cursors c JOIN logs l ON l.id = c.log WHERE "
                 "c.seen < ?3 AND ?1 = ?1 AND EXISTS (SELECT 1 FROM "
                 "cursors o WHERE o.log = c.log AND (o.seen > c.seen OR "
                 "(o.seen = c.seen AND o.reader > c.reader))) "
                 "ORDER BY c.seen LIMIT 256",
    [SL_DROP_ENTRIES] = "DELETE FROM entries WHERE log = ?1",
    [SL_DROP_CURSORS] = "DELETE FROM cursors WHERE log = ?1",
    [SL_DROP_ACKS] = "DELETE FROM acks WHERE log = ?1",
    [SL_DROP_LOG] = "DELETE FROM logs WHERE id = ?1",
    [SL_COUNT_LOG] = "SELECT count(*) FROM entries WHERE log = ?1",
    [SL_CUR_ADD] = "INSERT OR IGNORE INTO cursors(log, reader, floor, "
                   "created, seen) VALUES (?1, ?2, 0, ?3, ?3)",
    [SL_CUR_DEL] = "DELETE FROM cursors WHERE log = ?1 AND reader = ?2",
    [SL_CUR_ACKS] = "DELETE FROM acks WHERE log = ?1 AND reader = ?2",
    [SL_CUR_TOUCH] = "UPDATE cursors SET seen = ?3 WHERE log = ?1 AND "
                     "reader = ?2",
    [SL_CUR_LIST] = "SELECT c.reader, c.floor, c.created, c.seen, "
                    "(SELECT count(*) FROM entries e WHERE e.log = c.log "
                    "AND e.seq > c.floor AND NOT EXISTS (SELECT 1 FROM "
                    "acks a WHERE a.log = c.log AND a.reader = c.reader "
                    "AND a.seq = e.seq)) FROM cursors c WHERE c.log = ?1 "
                    "ORDER BY c.created, c.reader",
    [SL_CUR_COUNT] = "SELECT count(*) FROM cursors WHERE log = ?1",
    [SL_TRIMMED] = "SELECT seq, kind, sender, msg_id, flags, length(frame), "
                   "stored_at FROM entries WHERE log = ?1 AND stored_at < ?3 "
                   "AND seq <= (SELECT min(floor) FROM cursors WHERE "
                   "log = ?1)",
    [SL_GET_FLAGS] = "SELECT coalesce((SELECT flags FROM entries WHERE "
                     "seq = ?3), 0)",
    [SL_TRIM_ONE] =
        "SELECT seq, kind, sender, msg_id, flags, length(frame), stored_at "
        "FROM entries e WHERE e.seq = ?2 AND e.log = ?1 AND "
        "e.stored_at < ?3 AND EXISTS (SELECT 1 FROM cursors WHERE "
        "log = ?1) AND NOT EXISTS (SELECT 1 FROM cursors c WHERE "
        "c.log = ?1 AND c.floor < e.seq AND NOT EXISTS (SELECT 1 FROM "
        "acks a WHERE a.log = ?1 AND a.reader = c.reader AND "
        "a.seq = e.seq))",
    [SL_Q_TOTALS] = "SELECT substr(l.name, 3), count(*), "
                    "sum(length(e.frame)) FROM entries e JOIN logs l ON "
                    "l.id = e.log WHERE l.name GLOB 'u:*' GROUP BY e.log",
    [SL_Q_SENDERS] = "SELECT e.sender, count(*), sum(length(e.frame)) FROM "
                     "entries e JOIN logs l ON l.id = e.log WHERE l.name "
                     "GLOB 'u:*' GROUP BY e.sender",
    [SL_Q_FIND] = "SELECT seq, length(frame) FROM entries WHERE sender = ?1 "
                  "AND msg_id = ?2 AND kind = 0 AND (SELECT name FROM "
                  "logs WHERE id = entries.log) GLOB 'u:' || "
                  "coalesce(?3, '*') "
                  "ORDER BY seq LIMIT 1",
    [SL_Q_DEL] = "DELETE FROM entries WHERE seq = ?1",
    [SL_Q_FETCH] = "SELECT e.seq, e.kind, substr(l.name, 3), e.sender, "
                   "e.msg_id, e.frame FROM logs l JOIN entries e ON "
                   "e.log = l.id WHERE l.name = 'u:' || ?1 AND e.seq > ?2 "
                   "ORDER BY e.seq LIMIT ?3",
    [SL_Q_DEPTH] = "SELECT count(*) FROM entries e JOIN logs l ON "
                   "l.id = e.log WHERE l.name GLOB 'u:*'",
    [SL_Q_COUNT] = "SELECT count(*) FROM entries WHERE log = (SELECT id "
                   "FROM logs WHERE name = 'u:' || ?1)",
    [SL_LAST] = "SELECT seq, sender FROM entries WHERE log = ?1 "
                "ORDER BY seq DESC LIMIT 1",
    [SL_LAST_MSG] = "SELECT seq, sender FROM entries WHERE log = ?1 AND "
                    "kind = 0 ORDER BY seq DESC LIMIT 1",
    [SL_SENDER] = "SELECT seq, sender FROM entries WHERE log = ?1 AND "
                  "seq = ?2 AND kind = 0",
};

static void sl_trimmed_row(sqlite3_stmt *, struct server_entry *);

/* The log statements of one store, prepared once. */
struct server_seqlog {
	struct db *db;
	sqlite3_stmt *st[SL_NSTMT];
};

/* Prepare the log statements on db; NULL (and db's error) on failure. */
struct server_seqlog *
server_seqlog_new(struct db *db)
{
	struct server_seqlog *l = xcalloc(1, sizeof *l);
	size_t i;

	l->db = db;
	for (i = 0; i < SL_NSTMT; i++) {
		if (sqlite3_prepare_v3(db_handle(db), seqlog_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &l->st[i],
		        NULL) != SQLITE_OK) {
			db_fail(db, "prepare log statements");
			server_seqlog_free(l);
			return NULL;
		}
	}
	return l;
}

/* Finalize the statements (before the database closes). */
void
server_seqlog_free(struct server_seqlog *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < SL_NSTMT; i++)
		sqlite3_finalize(l->st[i]);
	free(l);
}

/* Statement which of the log statements. */
sqlite3_stmt *
server_seqlog_stmt(struct server_seqlog *l, size_t which)
{
	return l->st[which];
}

/* Statement which of s's logs, and s's database in db. */
static sqlite3_stmt *
sl_stmt(struct server_store *s, size_t which, struct db **db)
{
	*db = server_store_db(s);
	return server_seqlog_stmt(server_store_seqlog(s), which);
}

/* Run a statement bound to (log, reader, num) in the turn's transaction. */
static int
sl_exec(struct server_store *s, size_t which, int64_t log, const char *reader,
    int64_t num, const char *what)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, which, &db);

	if (db_begin(db) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, log);
	if (reader != NULL)
		sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, num);
	return db_step(db, st, what);
}

/* A number asked of (log, reader, num): a count, a floor; -1 on error. */
static int64_t
sl_number(struct server_store *s, size_t which, int64_t log, const char *reader,
    int64_t num)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, which, &db);

	sqlite3_bind_int64(st, 1, log);
	if (reader != NULL)
		sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, num);
	return db_count(st);
}

/* The log called name, or 0 if there is none; -1 on error. */
int64_t
server_seqlog_lookup(struct server_store *s, const char *name)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_LOG_ID, &db);
	int64_t id = 0;
	int rc;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	return db_finish(db, st, rc, "find log") == 0 ? id : -1;
}

/* The log called name, made (in the turn's transaction) if absent; -1. */
int64_t
server_seqlog_open(struct server_store *s, const char *name, uint64_t now)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_LOG_ADD, &db);
	int64_t id;

	if ((id = server_seqlog_lookup(s, name)) != 0)
		return id;
	if (db_begin(db) != 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (db_step(db, st, "make log") != 0)
		return -1;
	return server_seqlog_lookup(s, name);
}

/* Append e at the end of log; its sequence number, or -1. */
int64_t
server_seqlog_append(
    struct server_store *s, int64_t log, const struct server_entry *e)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_APPEND, &db);

	if (db_begin(db) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int(st, 2, (int)e->kind);
	sqlite3_bind_text(st, 3, e->sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, (int)e->flags);
	sqlite3_bind_blob(st, 6, e->frame, (int)e->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)e->stored_at);
	if (db_step(db, st, "append") != 0)
		return -1;
	return db_last_rowid(db);
}

/*
 * Call cb for at most limit entries of log after sequence number after
 * (and above reader's floor) that reader has not confirmed, oldest
 * first, until it returns false. How many it was given, or -1.
 */
int
server_seqlog_read(struct server_store *s, int64_t log, const char *reader,
    int64_t after, int limit, server_entry_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_READ, &db);
	struct server_entry e;
	int rc, n = 0;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_text(st, 2, reader, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, after);
	sqlite3_bind_int(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.seq = sqlite3_column_int64(st, 0);
		e.kind = (enum server_entry_kind)sqlite3_column_int(st, 1);
		e.sender = (const char *)sqlite3_column_text(st, 2);
		e.id = (const char *)sqlite3_column_text(st, 3);
		e.flags = (unsigned)sqlite3_column_int(st, 4);
		e.frame = sqlite3_column_blob(st, 5);
		e.len = (size_t)sqlite3_column_bytes(st, 5);
		e.stored_at = (uint64_t)sqlite3_column_int64(st, 6);
		n++;
		if (!cb(arg, &e)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return db_finish(db, st, rc, "read log") == 0 ? n : -1;
}

/*
 * Reader has entry seq of log. The floor moves over every confirmed
 * entry in a row above it; an entry further up is kept as confirmed out
 * of order. A reader without a cursor, or seq at or under the floor:
 * nothing changes. 0, or -1.
 */
int
server_seqlog_confirm(
    struct server_store *s, int64_t log, const char *reader, int64_t seq)
{
	int64_t floor, next;

	if ((floor = server_seqlog_cursor_floor(s, log, reader)) < 0)
		return floor == -2 ? 0 : -1;
	if (seq <= floor)
		return 0;
	if ((next = sl_number(s, SL_NEXT, log, NULL, floor)) < 0)
		return -1;
	if (next != seq)
		return sl_exec(s, SL_ACK_ADD, log, reader, seq, "confirm");
	floor = seq;
	for (;;) {
		if ((next = sl_number(s, SL_NEXT, log, NULL, floor)) < 0)
			return -1;
		if (next == 0 ||
		    sl_number(s, SL_ACK_HAS, log, reader, next) <= 0)
			break;
		floor = next;
	}
	if (sl_exec(s, SL_ACK_UPTO, log, reader, floor, "confirm") != 0)
		return -1;
	return sl_exec(s, SL_SET_FLOOR, log, reader, floor, "move cursor");
}

/* The MSG entry (sender, id) log still holds: its sequence number, 0, -1. */
int64_t
server_seqlog_find(
    struct server_store *s, int64_t log, const char *sender, const char *id)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_FIND, &db);
	int64_t seq = 0;
	int rc;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	return db_finish(db, st, rc, "find entry") == 0 ? seq : -1;
}

/* Add the receipt flags to entry seq. */
int
server_seqlog_set_flags(struct server_store *s, int64_t seq, unsigned flags)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_FLAGS, &db);

	if (db_begin(db) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, (int)flags);
	return db_step(db, st, "receipt flags");
}

/* The receipt flags of entry seq (0 if it is gone), or -1. */
int
server_seqlog_flags(struct server_store *s, int64_t seq)
{
	return (int)sl_number(s, SL_GET_FLAGS, 0, NULL, seq);
}

/*
 * Delete the entries of log that every cursor passed and that were
 * stored before keep_before (ms; now + 1 keeps nothing longer than
 * needed). A log without cursors keeps everything. How many went, or -1.
 */
int
server_seqlog_trim(struct server_store *s, int64_t log, uint64_t keep_before)
{
	return server_seqlog_trim_each(s, log, keep_before, NULL, NULL);
}

/*
 * server_seqlog_trim, calling cb (unless NULL) first for each entry that
 * goes, with its frame's length but not the frame (frame NULL): the
 * caller counts what left.
 */
int
server_seqlog_trim_each(struct server_store *s, int64_t log,
    uint64_t keep_before, server_entry_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_TRIMMED, &db);
	struct server_entry e;
	int rc;

	if (cb != NULL) {
		sqlite3_bind_int64(st, 1, log);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)keep_before);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			sl_trimmed_row(st, &e);
			cb(arg, &e);
		}
		if (db_finish(db, st, rc, "trim") != 0)
			return -1;
	}
	if (sl_exec(s, SL_TRIM, log, NULL, (int64_t)keep_before, "trim") != 0)
		return -1;
	return db_changes(server_store_db(s));
}

/* One entry as a trim statement gives it (its frame's length only). */
static void
sl_trimmed_row(sqlite3_stmt *st, struct server_entry *e)
{
	e->seq = sqlite3_column_int64(st, 0);
	e->kind = (enum server_entry_kind)sqlite3_column_int(st, 1);
	e->sender = (const char *)sqlite3_column_text(st, 2);
	e->id = (const char *)sqlite3_column_text(st, 3);
	e->flags = (unsigned)sqlite3_column_int(st, 4);
	e->frame = NULL;
	e->len = (size_t)sqlite3_column_int64(st, 5);
	e->stored_at = (uint64_t)sqlite3_column_int64(st, 6);
}

/*
 * Delete entry seq of log if every cursor has it (passed it or
 * confirmed it out of order) and it was stored before keep_before;
 * cb (unless NULL) is called for it first. 1 if it went, 0, or -1.
 */
int
server_seqlog_trim_entry(struct server_store *s, int64_t log, int64_t seq,
    uint64_t keep_before, server_entry_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_TRIM_ONE, &db);
	struct server_entry e;
	int rc, found = 0;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)keep_before);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sl_trimmed_row(st, &e);
		if (cb != NULL)
			cb(arg, &e);
		found = 1;
		rc = SQLITE_DONE;
	}
	if (db_finish(db, st, rc, "trim") != 0)
		return -1;
	if (found && sl_exec(s, SL_Q_DEL, seq, NULL, 0, "trim") != 0)
		return -1;
	return found;
}

/* How many readers have a cursor on log, or -1. */
int64_t
server_seqlog_cursor_count(struct server_store *s, int64_t log)
{
	return sl_number(s, SL_CUR_COUNT, log, NULL, 0);
}

/*
 * In every log, delete the entries every cursor on it passed that were
 * stored before keep_before (the retention); how many, or -1.
 */
int64_t
server_seqlog_trim_all(struct server_store *s, uint64_t keep_before)
{
	if (sl_exec(s, SL_TRIM_ALL, 0, NULL, (int64_t)keep_before, "trim") != 0)
		return -1;
	return db_changes(server_store_db(s));
}

/*
 * Call cb for each cursor not seen since before, unless it is the one
 * seen last on its log (a log's last reader never goes stale); at most
 * 256 a call, longest unseen first. Returns how many, or -1.
 */
int
server_seqlog_stale(
    struct server_store *s, uint64_t before, server_stale_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_STALE, &db);
	struct server_cursor c = {0};
	const char *log;
	int rc, n = 0;

	sqlite3_bind_int64(st, 1, 0);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)before);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		log = (const char *)sqlite3_column_text(st, 0);
		c.reader = (const char *)sqlite3_column_text(st, 2);
		c.floor = sqlite3_column_int64(st, 3);
		c.created = (uint64_t)sqlite3_column_int64(st, 4);
		c.seen = (uint64_t)sqlite3_column_int64(st, 5);
		cb(arg, log, sqlite3_column_int64(st, 1), &c);
		n++;
	}
	return db_finish(db, st, rc, "stale cursors") == 0 ? n : -1;
}

/* Forget log: its entries, cursors and confirmations. */
int
server_seqlog_drop(struct server_store *s, int64_t log)
{
	static const size_t ops[] = {
	    SL_DROP_ENTRIES, SL_DROP_CURSORS, SL_DROP_ACKS, SL_DROP_LOG};
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (sl_exec(s, ops[i], log, NULL, 0, "drop log") != 0)
			return -1;
	return 0;
}

/* How many entries log holds, or -1. */
int64_t
server_seqlog_count(struct server_store *s, int64_t log)
{
	return sl_number(s, SL_COUNT_LOG, log, NULL, 0);
}

/* Give reader a cursor on log before everything it holds (kept if any). */
int
server_seqlog_cursor_add(
    struct server_store *s, int64_t log, const char *reader, uint64_t now)
{
	return sl_exec(s, SL_CUR_ADD, log, reader, (int64_t)now, "add cursor");
}

/* Remove reader's cursor on log and its confirmations. */
int
server_seqlog_cursor_drop(
    struct server_store *s, int64_t log, const char *reader)
{
	if (sl_exec(s, SL_CUR_ACKS, log, reader, 0, "drop cursor") != 0)
		return -1;
	return sl_exec(s, SL_CUR_DEL, log, reader, 0, "drop cursor");
}

/* Reader (a session of it) was online on log at now. */
int
server_seqlog_cursor_touch(
    struct server_store *s, int64_t log, const char *reader, uint64_t now)
{
	return sl_exec(
	    s, SL_CUR_TOUCH, log, reader, (int64_t)now, "touch cursor");
}

/* Reader's floor on log; -2 if it has no cursor, -1 on error. */
int64_t
server_seqlog_cursor_floor(
    struct server_store *s, int64_t log, const char *reader)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_FLOOR, &db);
	int64_t floor = -2;
	int rc;

	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_text(st, 2, reader, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		floor = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	return db_finish(db, st, rc, "cursor") == 0 ? floor : -1;
}

/* Call cb for every cursor on log, oldest first; -1 on error. */
int
server_seqlog_cursor_list(
    struct server_store *s, int64_t log, server_cursor_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, SL_CUR_LIST, &db);
	struct server_cursor c;
	int rc;

	sqlite3_bind_int64(st, 1, log);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.reader = (const char *)sqlite3_column_text(st, 0);
		c.floor = sqlite3_column_int64(st, 1);
		c.created = (uint64_t)sqlite3_column_int64(st, 2);
		c.seen = (uint64_t)sqlite3_column_int64(st, 3);
		c.behind = sqlite3_column_int64(st, 4);
		cb(arg, &c);
	}
	return db_finish(db, st, rc, "list cursors");
}

/* The schema-1 queue into inbox logs (docs/relay.md), in one statement. */
static const char seqlog_upgrade_sql[] =
    "INSERT OR IGNORE INTO logs(name, created) SELECT DISTINCT 'u:' || "
    "rcpt, "
    "  CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) "
    "  FROM queue;"
    "INSERT INTO entries(seq, log, kind, sender, msg_id, flags, frame, "
    "  stored_at) SELECT q.seq, l.id, q.kind, q.sender, q.msg_id, 0, "
    "  q.frame, q.stored_at FROM queue q JOIN logs l ON "
    "  l.name = 'u:' || q.rcpt ORDER BY q.seq;"
    "CREATE TEMP TABLE upgrade_seq AS SELECT max("
    "  coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
    "'queue'), 0),"
    "  coalesce((SELECT max(seq) FROM entries), 0)) AS seq;"
    "DROP TABLE queue;"
    "DELETE FROM sqlite_sequence WHERE name = 'entries';"
    "INSERT INTO sqlite_sequence(name, seq) SELECT 'entries', seq "
    "  FROM upgrade_seq;"
    "DROP TABLE upgrade_seq;"
    "UPDATE meta SET v = '2' WHERE k = 'schema';";

/*
 * The view queue: the inbox entries as schema 1's table of that name
 * read, for scripts and tools that ask the store directly. 0, or -1.
 */
static int
seqlog_view(struct db *db)
{
	static const char sql[] =
	    "CREATE VIEW IF NOT EXISTS queue AS SELECT e.seq AS seq, "
	    "substr(l.name, 3) AS rcpt, e.kind AS kind, e.sender AS "
	    "sender, "
	    "e.msg_id AS msg_id, e.frame AS frame, e.stored_at AS "
	    "stored_at "
	    "FROM entries e JOIN logs l ON l.id = e.log "
	    "WHERE l.name GLOB 'u:*'";

	if (sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "queue view");
	return 0;
}

/*
 * Upgrade a store of schema 1: the frames of its queue table become
 * entries of their recipients' inbox logs, in the same order and with
 * the same sequence numbers, without cursors (the first device of each
 * user gets them all). One transaction: a crash leaves schema 1. In
 * frames and users what was moved. 1 if it upgraded, 0 if there was
 * nothing to do, -1 and db's error.
 */
int
server_seqlog_upgrade(struct db *db, int64_t *frames, int64_t *users)
{
	sqlite3 *h = db_handle(db);
	sqlite3_stmt *st;
	int rc;

	*frames = *users = 0;
	if (sqlite3_prepare_v2(h,
	        "SELECT count(*) FROM sqlite_master WHERE type = "
	        "'table' "
	        "AND name = 'queue'",
	        -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "upgrade");
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc <= 0)
		return rc == 0 ? seqlog_view(db) : db_fail(db, "upgrade");
	if (sqlite3_prepare_v2(h,
	        "SELECT count(*), count(DISTINCT rcpt) FROM queue", -1, &st,
	        NULL) != SQLITE_OK)
		return db_fail(db, "upgrade");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*frames = sqlite3_column_int64(st, 0);
		*users = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, "upgrade");
	if (db_begin(db) != 0)
		return -1;
	if (sqlite3_exec(h, seqlog_upgrade_sql, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_fail(db, "upgrade the queue to logs");
		db_rollback(db);
		return -1;
	}
	if (db_commit(db) != 0 || seqlog_view(db) != 0)
		return -1;
	return 1;
}

/*
 * Reader has every entry of log up to floor (a room position): its
 * floor moves there if it is lower, and what it confirmed under it goes.
 * A reader without a cursor: nothing. 0, or -1.
 */
int
server_seqlog_cursor_raise(
    struct server_store *s, int64_t log, const char *reader, int64_t floor)
{
	int64_t now;

	if ((now = server_seqlog_cursor_floor(s, log, reader)) < 0)
		return now == -2 ? 0 : -1;
	if (floor <= now)
		return 0;
	if (sl_exec(s, SL_ACK_UPTO, log, reader, floor, "raise cursor") != 0)
		return -1;
	return sl_exec(s, SL_SET_FLOOR, log, reader, floor, "raise cursor");
}

/* Run a (seq, sender) query: the seq (0: none, -1: error), its sender. */
static int64_t
sl_seq_sender(struct server_store *s, size_t which, int64_t log, int64_t seq,
    char *sender, size_t cap)
{
	struct db *db;
	sqlite3_stmt *st = sl_stmt(s, which, &db);
	int64_t found = 0;
	int rc;

	sqlite3_bind_int64(st, 1, log);
	if (which == SL_SENDER)
		sqlite3_bind_int64(st, 2, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = sqlite3_column_int64(st, 0);
		if (sender != NULL)
			snprintf(sender, cap, "%s",
			    (const char *)sqlite3_column_text(st, 1));
		rc = SQLITE_DONE;
	}
	return db_finish(db, st, rc, "entry") == 0 ? found : -1;
}

/*
 * The newest entry of log (msg: the newest MSG entry): its seq, 0 if
 * none, -1 on error; its sender's key into sender (cap bytes) if asked.
 */
int64_t
server_seqlog_last(
    struct server_store *s, int64_t log, bool msg, char *sender, size_t cap)
{
	return sl_seq_sender(
	    s, msg ? SL_LAST_MSG : SL_LAST, log, 0, sender, cap);
}

/* The sender of MSG entry seq of log: seq, 0 if none, -1 on error. */
int64_t
server_seqlog_sender(
    struct server_store *s, int64_t log, int64_t seq, char *sender, size_t cap)
{
	return sl_seq_sender(s, SL_SENDER, log, seq, sender, cap);
}
