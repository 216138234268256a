/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "client/store.h"
#include "db/db.h"
#include "util/sys.h"
#include "util/xmalloc.h"

enum {
	CS_ADD,
	CS_STATE,
	CS_OUTBOX,
	CS_HISTORY,
	CS_UNREAD,
	CS_SEEN,
	CS_DIRECT,
	CS_UNREAD_COUNTS,
	CS_UNREAD_OF,
	CS_XFER_PUT,
	CS_XFER_DEL,
	CS_XFER_ALL,
	CS_WITHDRAW,
	CS_META_GET,
	CS_META_PUT,
	CS_SET_SEQ,
	CS_ROOM_SEEN,
	CS_ROOM_POS,
	CS_COUNT
};

static const char *const cs_sql[CS_COUNT] = {
    [CS_ADD] = "INSERT OR IGNORE INTO messages(peer_key, peer, sender_key, "
               "sender, msg_id, ts, body, outgoing, state, room_seq) VALUES "
               "(lower(?1), ?1, lower(?2), ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* A room entry's number, once known (our own message's echo). */
    [CS_SET_SEQ] = "UPDATE messages SET room_seq = ?3 WHERE sender_key = "
                   "lower(?1) AND msg_id = ?2 AND room_seq = 0",
    [CS_ROOM_SEEN] = "UPDATE messages SET state = 6 WHERE outgoing = 0 AND "
                     "state = 5 AND peer_key = lower(?1) AND room_seq <= ?2",
    [CS_ROOM_POS] = "SELECT coalesce(max(room_seq), 0), coalesce(max(CASE "
                    "WHEN state != 5 THEN room_seq END), 0) FROM messages "
                    "WHERE peer_key = lower(?1)",
    /* Own ids are unique; a state only moves forward. */
    [CS_STATE] = "UPDATE messages SET state = ?2 WHERE outgoing = 1 AND "
                 "msg_id = ?1 AND ((?2 = 4 AND state = 0) OR "
                 "(?2 != 4 AND state < ?2 AND state != 4)) AND "
                 "(?3 IS NULL OR peer_key = lower(?3))",
    [CS_OUTBOX] = "SELECT rowid, peer, sender, msg_id, ts, body, outgoing, "
                  "state, direct, room_seq FROM messages WHERE outgoing = 1 "
                  "AND state = 0 "
                  "ORDER BY rowid",
    [CS_HISTORY] = "SELECT rowid, peer, sender, msg_id, ts, body, "
                   "outgoing, state, direct, room_seq FROM messages WHERE "
                   "peer_key = lower(?1) "
                   "AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3",
    [CS_UNREAD] = "SELECT rowid, peer, sender, msg_id, ts, body, outgoing, "
                  "state, direct, room_seq FROM messages WHERE outgoing = 0 "
                  "AND state = 5 "
                  "ORDER BY rowid",
    [CS_UNREAD_COUNTS] = "SELECT peer, count(*) FROM messages WHERE "
                         "outgoing = 0 AND state = 5 GROUP BY peer_key",
    [CS_UNREAD_OF] = "SELECT rowid, peer, sender, msg_id, ts, body, "
                     "outgoing, state, direct, room_seq FROM messages WHERE "
                     "outgoing = 0 AND "
                     "state = 5 AND peer_key = lower(?1) ORDER BY rowid",
    [CS_DIRECT] = "UPDATE messages SET direct = 1 WHERE outgoing = 1 AND "
                  "msg_id = ?1",
    [CS_SEEN] = ("UPDATE messages SET state = 6 WHERE outgoing = 0 "
                 "AND state = 5 AND sender_key = lower(?1) AND msg_id = ?2"),
    [CS_XFER_PUT] =
        "INSERT OR REPLACE INTO xfers(peer_key, peer, xfer_id, outgoing, "
        "name, path, size, sha, ts) VALUES (lower(?1), ?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8)",
    [CS_XFER_DEL] = "DELETE FROM xfers WHERE peer_key = lower(?1) AND "
                    "xfer_id = ?2 AND outgoing = ?3",
    [CS_XFER_ALL] = "SELECT peer, xfer_id, outgoing, name, path, size, sha, "
                    "ts FROM xfers ORDER BY rowid",
    [CS_WITHDRAW] = "DELETE FROM messages WHERE outgoing = 1 AND state = 0 "
                    "AND msg_id = ?1",
    [CS_META_GET] = "SELECT v FROM meta WHERE k = ?1",
    [CS_META_PUT] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
};

static const char cs_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
    "INSERT OR IGNORE INTO meta VALUES ('schema', '1');"
    "CREATE TABLE IF NOT EXISTS messages("
    "  seq INTEGER PRIMARY KEY,"
    "  peer_key TEXT NOT NULL,"
    "  peer TEXT NOT NULL,"
    "  sender_key TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  msg_id TEXT NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  body BLOB NOT NULL,"
    "  outgoing INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  direct INTEGER NOT NULL DEFAULT 0,"
    "  room_seq INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(sender_key, msg_id));"
    "CREATE INDEX IF NOT EXISTS messages_by_peer ON messages(peer_key);"
    "CREATE INDEX IF NOT EXISTS messages_unread ON messages(state) "
    "  WHERE state = 5;"
    "CREATE INDEX IF NOT EXISTS messages_by_id ON messages(msg_id);"
    "CREATE INDEX IF NOT EXISTS messages_outbox ON messages(outgoing, state) "
    "  WHERE state = 0;"
    /* Transfers accepted (incoming) or offered (outgoing) and not yet
     * finished: what a restart resumes, and the consent a re-offer must
     * match. */
    "CREATE TABLE IF NOT EXISTS xfers("
    "  peer_key TEXT NOT NULL,"
    "  peer TEXT NOT NULL,"
    "  xfer_id TEXT NOT NULL,"
    "  outgoing INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  sha TEXT NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  PRIMARY KEY(peer_key, xfer_id, outgoing));";

/* A store from before P2P mode gains the column (an error here only says
 * it has it already). */
static const char cs_upgrade[] =
    "ALTER TABLE messages ADD COLUMN room_seq INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN direct INTEGER NOT NULL DEFAULT 0";

struct client_store {
	struct db *db;
	char notice[512]; /* what was tightened at open, or "" */
};

/* The last error. */
const char *
client_store_error(const struct client_store *s)
{
	return db_error(s->db);
}

struct cs_notice {
	char *buf;
	size_t cap;
};

/* Add "path was MODE, now WANT" to the notice. */
static void
cs_tightened(
    void *arg, const char *what, const char *path, unsigned was, unsigned now)
{
	struct cs_notice *nt = arg;
	size_t n = strlen(nt->buf);

	(void)what;
	if (n < nt->cap)
		snprintf(nt->buf + n, nt->cap - n, "%s%s was %03o, now %03o",
		    n > 0 ? "; " : "made private (others could read it): ",
		    path, was, now);
}

/* Open (creating) the store in dir/client.db. */
struct client_store *
client_store_open(const char *dir, char *err, size_t errlen)
{
	const struct db_spec spec = {
	    .file = "client.db",
	    .schema = cs_schema,
	    .upgrade = cs_upgrade,
	    .sql = cs_sql,
	    .nsql = CS_COUNT,
	    .sync_full = false,
	};
	struct client_store *s;
	struct db *db;
	char notice[sizeof s->notice] = "";
	struct cs_notice nt = {notice, sizeof notice};

	/* The folder 0700, client.db and its WAL and SHM 0600. */
	if (db_private(dir, "client.db", cs_tightened, &nt, err, errlen) != 0 ||
	    (db = db_open(dir, &spec, err, errlen)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->db = db;
	snprintf(s->notice, sizeof s->notice, "%s", notice);
	return s;
}

/* What opening the store tightened ("" if nothing): for the user. */
const char *
client_store_notice(const struct client_store *s)
{
	return s->notice;
}

/* Commit and close. */
void
client_store_close(struct client_store *s)
{
	if (s == NULL)
		return;
	db_close(s->db);
	free(s);
}

/* Open the turn's transaction if needed. */
int
client_store_begin(struct client_store *s)
{
	return db_begin(s->db);
}

/* Commit the turn's transaction, if open. */
int
client_store_commit(struct client_store *s)
{
	return db_commit(s->db);
}

/* Whether a transaction is open. */
bool
client_store_in_txn(const struct client_store *s)
{
	return db_in_txn(s->db);
}

static int
cs_add(struct client_store *s, const char *peer, const char *sender,
    const char *id, uint64_t ts, const char *body, size_t len, bool out,
    enum client_msg_state state, uint64_t seq)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_ADD);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ts);
	sqlite3_bind_blob(st, 5, len > 0 ? body : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, out);
	sqlite3_bind_int(st, 7, (int)state);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)seq);
	if (db_step(s->db, st, "add message") != 0)
		return -1;
	return db_changes(s->db);
}

/* Put a message of ours into history and the outbox. */
int
client_store_add_outgoing(struct client_store *s, const char *me,
    const char *to, const char *id, uint64_t ts, const char *body, size_t len)
{
	int rc =
	    cs_add(s, to, me, id, ts, body, len, true, CLIENT_MSG_PENDING, 0);

	return rc < 0 ? -1 : 0;
}

/*
 * A message of ours that another device sent (a carbon), to to: into
 * history as handed to the relay, never into the outbox. 1 if new, 0 if
 * here already (this data folder sent it), -1 on error.
 */
int
client_store_add_carbon(struct client_store *s, const char *me, const char *to,
    const char *id, uint64_t ts, const char *body, size_t len)
{
	return cs_add(s, to, me, id, ts, body, len, true, CLIENT_MSG_STORED, 0);
}

/* Take back a message of ours never sent: gone from history and outbox. */
int
client_store_withdraw(struct client_store *s, const char *id)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_WITHDRAW);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return db_step(s->db, st, "withdraw message");
}

/* Keep a setting of the front end (key, value) for the next start. */
int
client_store_meta_put(struct client_store *s, const char *k, const char *v)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_META_PUT);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return db_step(s->db, st, "keep a setting");
}

/* A setting kept by client_store_meta_put into out: 1, 0 if none, -1. */
int
client_store_meta_get(
    struct client_store *s, const char *k, char *out, size_t len)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_META_GET);
	const unsigned char *v;
	int rc, found = 0;

	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", v != NULL ? (const char *)v : "");
		found = 1;
		rc = sqlite3_step(st);
	}
	if (db_finish(s->db, st, rc, "read a setting") != 0)
		return -1;
	return found;
}

/* Keep a received message: 1 if new, 0 if we had it already, -1. */
int
client_store_add_incoming(struct client_store *s, const char *from,
    const char *id, uint64_t ts, const char *body, size_t len)
{
	return cs_add(
	    s, from, from, id, ts, body, len, false, CLIENT_MSG_RECEIVED, 0);
}

/*
 * A line about a transfer that ended, in the history of the conversation
 * with peer: from "*" (no one), already seen; id is the transfer's, so it
 * is kept once.
 */
int
client_store_add_note(struct client_store *s, const char *peer, const char *id,
    uint64_t ts, const char *body)
{
	return cs_add(s, peer, "*", id, ts, body, strlen(body), false,
	    CLIENT_MSG_SEEN, 0);
}

/* One of our messages reached its recipient over a direct connection. */
int
client_store_set_direct(struct client_store *s, const char *id)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_DIRECT);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return db_step(s->db, st, "set direct");
}

/* Move one of our messages to a later state (failed is final). */
int
client_store_set_state(struct client_store *s, const char *peer, const char *id,
    enum client_msg_state state)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_STATE);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)state);
	if (peer != NULL)
		sqlite3_bind_text(st, 3, peer, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	return db_step(s->db, st, "set state");
}

static void
cs_row(sqlite3_stmt *st, struct client_msg *m)
{
	m->rowid = sqlite3_column_int64(st, 0);
	m->peer = (const char *)sqlite3_column_text(st, 1);
	m->sender = (const char *)sqlite3_column_text(st, 2);
	m->id = (const char *)sqlite3_column_text(st, 3);
	m->ts = (uint64_t)sqlite3_column_int64(st, 4);
	m->body = sqlite3_column_blob(st, 5);
	m->len = (size_t)sqlite3_column_bytes(st, 5);
	m->outgoing = sqlite3_column_int(st, 6) != 0;
	m->state = (enum client_msg_state)sqlite3_column_int(st, 7);
	m->direct = sqlite3_column_int(st, 8) != 0;
	m->seq = (uint64_t)sqlite3_column_int64(st, 9);
}

static int
cs_each(
    struct client_store *s, sqlite3_stmt *st, client_store_msg_cb cb, void *arg)
{
	struct client_msg m;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cs_row(st, &m);
		cb(arg, &m);
		n++;
	}
	return db_finish(s->db, st, rc, "read messages") == 0 ? n : -1;
}

/* Every message still in the outbox, oldest first. */
int
client_store_outbox(struct client_store *s, client_store_msg_cb cb, void *arg)
{
	return cs_each(s, db_stmt(s->db, CS_OUTBOX), cb, arg);
}

/* Up to limit messages with peer before rowid, newest first. */
int
client_store_history(struct client_store *s, const char *peer, int64_t before,
    int limit, client_store_msg_cb cb, void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_HISTORY);

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int(st, 3, limit);
	return cs_each(s, st, cb, arg);
}

/* Every received message not yet marked seen, oldest first. */
int
client_store_unread(struct client_store *s, client_store_msg_cb cb, void *arg)
{
	return cs_each(s, db_stmt(s->db, CS_UNREAD), cb, arg);
}

/* Mark a received message as seen: 1, 0 if it was not unseen, -1. */
int
client_store_mark_seen(
    struct client_store *s, const char *sender, const char *id)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_SEEN);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (db_step(s->db, st, "mark seen") != 0)
		return -1;
	return db_changes(s->db) > 0 ? 1 : 0;
}

/* Call cb(arg, peer, count) for every peer with unseen messages. */
int
client_store_unread_counts(struct client_store *s,
    void (*cb)(void *, const char *, unsigned), void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_UNREAD_COUNTS);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		    (unsigned)sqlite3_column_int(st, 1));
	return db_finish(s->db, st, rc, "unread counts");
}

/* Every unseen message from peer, oldest first. */
int
client_store_unread_of(
    struct client_store *s, const char *peer, client_store_msg_cb cb, void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_UNREAD_OF);

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_TRANSIENT);
	return cs_each(s, st, cb, arg);
}

/* Keep (or update) the record of a transfer in progress. */
int
client_store_xfer_put(struct client_store *s, const struct client_xfer_rec *r)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_XFER_PUT);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, r->peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->outgoing);
	sqlite3_bind_text(st, 4, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->size);
	sqlite3_bind_text(st, 7, r->sha, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)r->ts);
	return db_step(s->db, st, "keep transfer");
}

/* Forget a transfer: it is finished, failed or swept. */
int
client_store_xfer_del(
    struct client_store *s, const char *peer, const char *id, bool outgoing)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_XFER_DEL);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, outgoing);
	return db_step(s->db, st, "forget transfer");
}

/* Call cb for every transfer kept, oldest first; how many, or -1. */
int
client_store_xfers(struct client_store *s,
    void (*cb)(void *, const struct client_xfer_rec *), void *arg)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_XFER_ALL);
	struct client_xfer_rec r;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.peer = (const char *)sqlite3_column_text(st, 0);
		r.id = (const char *)sqlite3_column_text(st, 1);
		r.outgoing = sqlite3_column_int(st, 2) != 0;
		r.name = (const char *)sqlite3_column_text(st, 3);
		r.path = (const char *)sqlite3_column_text(st, 4);
		r.size = (uint64_t)sqlite3_column_int64(st, 5);
		r.sha = (const char *)sqlite3_column_text(st, 6);
		r.ts = (uint64_t)sqlite3_column_int64(st, 7);
		cb(arg, &r);
		n++;
	}
	return db_finish(s->db, st, rc, "read transfers") == 0 ? n : -1;
}

/*
 * An entry of a room's log (seq): a message from sender (ours when
 * outgoing: sent by another device, or the echo of one sent here), or
 * an event (sender "*", seen). 1 if new, 0 if here already (its seq is
 * then recorded if it had none), -1 on error.
 */
int
client_store_add_room(struct client_store *s, const char *room,
    const char *sender, const char *id, uint64_t ts, const char *body,
    size_t len, bool outgoing, uint64_t seq)
{
	enum client_msg_state st = outgoing ? CLIENT_MSG_STORED
	    : strcmp(sender, "*") == 0      ? CLIENT_MSG_SEEN
	                                    : CLIENT_MSG_RECEIVED;
	sqlite3_stmt *up;
	int rc;

	rc = cs_add(s, room, sender, id, ts, body, len, outgoing, st, seq);
	if (rc != 0)
		return rc;
	up = db_stmt(s->db, CS_SET_SEQ);
	sqlite3_bind_text(up, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 3, (sqlite3_int64)seq);
	return db_step(s->db, up, "number a room message") != 0 ? -1 : 0;
}

/* The messages of room up to seq are seen: how many were not, or -1. */
int
client_store_room_seen(struct client_store *s, const char *room, uint64_t seq)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_ROOM_SEEN);

	if (client_store_begin(s) != 0)
		return -1;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	if (db_step(s->db, st, "mark a room read") != 0)
		return -1;
	return db_changes(s->db);
}

/* The highest seq stored of room, and the highest not unread: 0 or -1. */
int
client_store_room_pos(struct client_store *s, const char *room,
    uint64_t *delivered, uint64_t *read)
{
	sqlite3_stmt *st = db_stmt(s->db, CS_ROOM_POS);
	int rc;

	*delivered = *read = 0;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*delivered = (uint64_t)sqlite3_column_int64(st, 0);
		*read = (uint64_t)sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st);
	}
	return db_finish(s->db, st, rc, "read a room's positions");
}
