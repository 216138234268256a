/* SPDX-License-Identifier: MIT */
/*
 * The queue of frames waiting for a user: the user's inbox log
 * ("u:<key>") seen as the version-1 relay's queue over the logs of
 * seqlog.c. The router appends through it, finds stored messages and
 * counts quotas with it; it reads and trims the inbox per device with
 * its cursors (inbox.c). Fetch and delete by sequence number, without
 * cursors, remain for tools and tests.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "db/db.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "server/store_int.h"

/* Statement which of s's queue, and s's database in db. */
static sqlite3_stmt *
queue_stmt(struct server_store *s, size_t which, struct db **db)
{
	*db = server_store_db(s);
	return server_seqlog_stmt(server_store_seqlog(s), which);
}

/* The inbox log name of the user key, in buf. */
static const char *
queue_log_name(char *buf, size_t len, const char *key)
{
	snprintf(buf, len, "u:%s", key);
	return buf;
}

/* Run a statement of (key, count, bytes) rows, calling cb for each. */
static int
queue_totals(struct server_store *s, size_t which, const char *what,
    server_store_total_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = queue_stmt(s, which, &db);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
	}
	return db_finish(db, st, rc, what);
}

/* Call cb(arg, key, frames, bytes) for every user with frames queued. */
int
server_store_queue_totals(
    struct server_store *s, server_store_total_cb cb, void *arg)
{
	return queue_totals(s, SL_Q_TOTALS, "queue totals", cb, arg);
}

/* Call cb(arg, key, frames, bytes) for every user with frames from it. */
int
server_store_queue_senders(
    struct server_store *s, server_store_total_cb cb, void *arg)
{
	return queue_totals(s, SL_Q_SENDERS, "queue senders", cb, arg);
}

/*
 * The stored MSG id from sender (keys), to rcpt or (NULL) to anyone: its
 * sequence number and (len) the frame's length; 0 if none, -1 on error.
 */
int64_t
server_store_queue_find(struct server_store *s, const char *sender,
    const char *id, const char *rcpt, size_t *len)
{
	struct db *db;
	sqlite3_stmt *st = queue_stmt(s, SL_Q_FIND, &db);
	int64_t seq = 0;
	int rc;

	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (rcpt != NULL)
		sqlite3_bind_text(st, 3, rcpt, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		*len = (size_t)sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	return db_finish(db, st, rc, "find queued") == 0 ? seq : -1;
}

/* Queue a frame for rcpt (its inbox log); its sequence number, or -1. */
int64_t
server_store_queue_add(struct server_store *s, const char *rcpt,
    enum server_queue_kind kind, const char *sender, const char *id,
    const char *frame, size_t len, uint64_t now)
{
	struct server_entry e = {.kind = (enum server_entry_kind)kind,
	    .sender = sender,
	    .id = id,
	    .frame = frame,
	    .len = len,
	    .stored_at = now};
	char name[64];
	int64_t log;

	log =
	    server_seqlog_open(s, queue_log_name(name, sizeof name, rcpt), now);
	if (log < 0)
		return -1;
	return server_seqlog_append(s, log, &e);
}

/* Delete a queued frame. */
int
server_store_queue_delete(struct server_store *s, int64_t seq)
{
	struct db *db;
	sqlite3_stmt *st = queue_stmt(s, SL_Q_DEL, &db);

	if (db_begin(db) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	return db_step(db, st, "unqueue");
}

/*
 * Call cb for at most limit frames queued for rcpt after sequence number
 * after, oldest first, until it returns false. Returns how many it was
 * given, or -1.
 */
int
server_store_queue_fetch(struct server_store *s, const char *rcpt,
    int64_t after, int limit, server_store_queue_cb cb, void *arg)
{
	struct db *db;
	sqlite3_stmt *st = queue_stmt(s, SL_Q_FETCH, &db);
	struct server_queued q;
	int rc, n = 0;

	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		q.seq = sqlite3_column_int64(st, 0);
		q.kind = (enum server_queue_kind)sqlite3_column_int(st, 1);
		q.rcpt = (const char *)sqlite3_column_text(st, 2);
		q.sender = (const char *)sqlite3_column_text(st, 3);
		q.id = (const char *)sqlite3_column_text(st, 4);
		q.frame = sqlite3_column_blob(st, 5);
		q.len = (size_t)sqlite3_column_bytes(st, 5);
		n++;
		if (!cb(arg, &q)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return db_finish(db, st, rc, "fetch queue") == 0 ? n : -1;
}

/* How many frames are queued in all. */
int64_t
server_store_queue_depth(struct server_store *s)
{
	struct db *db;

	return db_count(queue_stmt(s, SL_Q_DEPTH, &db));
}

/* How many frames wait for one user (by key), or -1. */
int64_t
server_store_queue_count(struct server_store *s, const char *rcpt)
{
	struct db *db;
	sqlite3_stmt *st = queue_stmt(s, SL_Q_COUNT, &db);

	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	return db_count(st);
}

/* Forget the inbox of the user key: its entries and cursors. */
int
server_store_queue_drop(struct server_store *s, const char *key)
{
	char name[64];
	int64_t log;

	log = server_seqlog_lookup(s, queue_log_name(name, sizeof name, key));
	if (log <= 0)
		return (int)log;
	return server_seqlog_drop(s, log);
}
