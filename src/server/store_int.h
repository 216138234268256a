/* SPDX-License-Identifier: MIT */
/*
 * What the store's files (store.c, seqlog.c) share and nothing else
 * sees: the database under a store, and the log statements beside it.
 */
#ifndef SERVER_STORE_INT_H
#define SERVER_STORE_INT_H

#include "db/db.h"
#include "server/seqlog.h"

/* The log statements (seqlog.c), the queue's among them (queue.c). */
enum {
	SL_LOG_ADD,
	SL_LOG_ID,
	SL_APPEND,
	SL_READ,
	SL_FLOOR,
	SL_NEXT,
	SL_ACK_ADD,
	SL_ACK_HAS,
	SL_ACK_UPTO,
	SL_SET_FLOOR,
	SL_FIND,
	SL_FLAGS,
	SL_TRIM,
	SL_TRIM_ALL,
	SL_STALE,
	SL_DROP_ENTRIES,
	SL_DROP_CURSORS,
	SL_DROP_ACKS,
	SL_DROP_LOG,
	SL_COUNT_LOG,
	SL_CUR_ADD,
	SL_CUR_DEL,
	SL_CUR_ACKS,
	SL_CUR_TOUCH,
	SL_CUR_LIST,
	SL_CUR_COUNT,
	SL_TRIMMED,
	SL_GET_FLAGS,
	SL_TRIM_ONE,
	SL_Q_TOTALS,
	SL_Q_SENDERS,
	SL_Q_FIND,
	SL_Q_DEL,
	SL_Q_FETCH,
	SL_Q_DEPTH,
	SL_Q_COUNT,
	SL_LAST,
	SL_LAST_MSG,
	SL_SENDER,
	SL_NSTMT
};

struct db *server_store_db(struct server_store *);
struct server_seqlog *server_store_seqlog(struct server_store *);
sqlite3_stmt *server_seqlog_stmt(struct server_seqlog *, size_t);

/* The schema of the logs (docs/relay.md "Tables (schema 2)"). */
#define SERVER_SEQLOG_SCHEMA                                                   \
	"CREATE TABLE IF NOT EXISTS logs("                                     \
	"  id INTEGER PRIMARY KEY,"                                            \
	"  name TEXT NOT NULL UNIQUE,"                                         \
	"  created INTEGER NOT NULL);"                                         \
	"CREATE TABLE IF NOT EXISTS entries("                                  \
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"                             \
	"  log INTEGER NOT NULL,"                                              \
	"  kind INTEGER NOT NULL,"                                             \
	"  sender TEXT NOT NULL,"                                              \
	"  msg_id TEXT NOT NULL,"                                              \
	"  flags INTEGER NOT NULL DEFAULT 0,"                                  \
	"  frame BLOB NOT NULL,"                                               \
	"  stored_at INTEGER NOT NULL);"                                       \
	"CREATE INDEX IF NOT EXISTS entries_by_log ON entries(log, seq);"      \
	"CREATE INDEX IF NOT EXISTS entries_by_msg ON entries(sender, "        \
	"  msg_id) WHERE kind = 0;"                                            \
	"CREATE TABLE IF NOT EXISTS cursors("                                  \
	"  log INTEGER NOT NULL,"                                              \
	"  reader TEXT NOT NULL,"                                              \
	"  floor INTEGER NOT NULL,"                                            \
	"  created INTEGER NOT NULL,"                                          \
	"  seen INTEGER NOT NULL,"                                             \
	"  PRIMARY KEY(log, reader));"                                         \
	"CREATE TABLE IF NOT EXISTS acks("                                     \
	"  log INTEGER NOT NULL,"                                              \
	"  reader TEXT NOT NULL,"                                              \
	"  seq INTEGER NOT NULL,"                                              \
	"  PRIMARY KEY(log, reader, seq)) WITHOUT ROWID;"

#endif
