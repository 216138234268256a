/* SPDX-License-Identifier: MIT */
/*
 * Logs and cursors in the relay's store. A log (a user's inbox "u:<key>",
 * later a room) holds entries appended at its end, each with a sequence
 * number that only grows within the log (with gaps: numbers are not
 * dense). A cursor is one reader's position on a log (a device on its
 * user's inbox, later a member on a room): its floor (every entry up to
 * it confirmed) and the entries above the floor it confirmed out of
 * order. An entry goes once every cursor passed it and it is older than
 * the retention. Nothing here knows SQLite's types: a second backend
 * (docs/relay.md, JetStream) implements the same calls. Writes join the
 * store's turn transaction (server_store_begin/_commit).
 */
#ifndef SERVER_SEQLOG_H
#define SERVER_SEQLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server_store;
struct db;
struct server_seqlog;

/* MSG: kept until confirmed; ONCE (a RCPT, an offer): until handed over. */
enum server_entry_kind { SERVER_ENTRY_MSG = 0, SERVER_ENTRY_ONCE = 1 };

/* Receipt flags of an entry: what was forwarded to its sender already. */
enum { SERVER_ENTRY_DELIVERED = 1, SERVER_ENTRY_READ = 2 };

/* One entry, to append or as read back (valid during the callback). */
struct server_entry {
	int64_t seq;
	enum server_entry_kind kind;
	const char *sender; /* sender's key */
	const char *id; /* the MSG's id, "-" for others */
	unsigned flags;
	const char *frame;
	size_t len;
	uint64_t stored_at;
};

/* One cursor as listed. */
struct server_cursor {
	const char *reader;
	int64_t floor;
	uint64_t created;
	uint64_t seen;
	int64_t behind; /* entries above the floor not confirmed */
};

/* An entry handed over; false: no more now. */
typedef bool (*server_entry_cb)(void *, const struct server_entry *);
typedef void (*server_cursor_cb)(void *, const struct server_cursor *);
/* A stale cursor: its log's name and number, and the cursor. */
typedef void (*server_stale_cb)(
    void *, const char *, int64_t, const struct server_cursor *);

struct server_seqlog *server_seqlog_new(struct db *);
void server_seqlog_free(struct server_seqlog *);
int server_seqlog_upgrade(struct db *, int64_t *, int64_t *);

int64_t server_seqlog_open(struct server_store *, const char *, uint64_t);
int64_t server_seqlog_lookup(struct server_store *, const char *);
int64_t server_seqlog_append(
    struct server_store *, int64_t, const struct server_entry *);
int server_seqlog_read(struct server_store *, int64_t, const char *, int64_t,
    int, server_entry_cb, void *);
int server_seqlog_confirm(
    struct server_store *, int64_t, const char *, int64_t);
int64_t server_seqlog_find(
    struct server_store *, int64_t, const char *, const char *);
int server_seqlog_set_flags(struct server_store *, int64_t, unsigned);
int server_seqlog_flags(struct server_store *, int64_t);
int server_seqlog_trim(struct server_store *, int64_t, uint64_t);
int server_seqlog_trim_each(
    struct server_store *, int64_t, uint64_t, server_entry_cb, void *);
int server_seqlog_trim_entry(
    struct server_store *, int64_t, int64_t, uint64_t, server_entry_cb, void *);
int64_t server_seqlog_trim_all(struct server_store *, uint64_t);
int server_seqlog_drop(struct server_store *, int64_t);
int64_t server_seqlog_count(struct server_store *, int64_t);

int server_seqlog_cursor_add(
    struct server_store *, int64_t, const char *, uint64_t);
int server_seqlog_cursor_drop(struct server_store *, int64_t, const char *);
int server_seqlog_cursor_touch(
    struct server_store *, int64_t, const char *, uint64_t);
int64_t server_seqlog_cursor_floor(
    struct server_store *, int64_t, const char *);
int64_t server_seqlog_cursor_count(struct server_store *, int64_t);
int64_t server_seqlog_last(
    struct server_store *, int64_t, bool, char *, size_t);
int64_t server_seqlog_sender(
    struct server_store *, int64_t, int64_t, char *, size_t);
int server_seqlog_cursor_raise(
    struct server_store *, int64_t, const char *, int64_t);
int server_seqlog_cursor_list(
    struct server_store *, int64_t, server_cursor_cb, void *);
int server_seqlog_stale(
    struct server_store *, uint64_t, server_stale_cb, void *);

#endif
