/* SPDX-License-Identifier: MIT */
/*
 * The relay's durable store: SQLite in WAL mode under the data folder.
 * Users (with their password hashes), pinned devices, and the queue of
 * frames waiting for a user: messages until every device of the
 * recipient confirmed them, receipts until handed over. The queue
 * (queue.c) is the user's inbox log (seqlog.h), appended to and searched
 * by (sender, id), so the relay holds no record per queued frame; the
 * router reads it per device with cursors (inbox.c).
 * Writes happen inside one transaction per loop turn (group commit); the
 * caller says when the turn ends.
 */
#ifndef SERVER_STORE_H
#define SERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct server_store;

/* MSG: kept until its RCPT; ONCE (a RCPT, a file offer): deleted once
 * delivered. */
enum server_queue_kind { SERVER_QUEUE_MSG = 0, SERVER_QUEUE_ONCE = 1 };

/* One queued frame as read back. */
struct server_queued {
	int64_t seq;
	enum server_queue_kind kind;
	const char *rcpt; /* recipient's key */
	const char *sender;
	const char *id;
	const char *frame;
	size_t len;
};

typedef void (*server_store_user_cb)(
    void *, const char *, const char *, uint64_t);
/* A queued frame handed over; false: no more now. */
typedef bool (*server_store_queue_cb)(void *, const struct server_queued *);
/* Per user key: frames and bytes queued (or messages stored). */
typedef void (*server_store_total_cb)(void *, const char *, int64_t, int64_t);
typedef void (*server_store_device_cb)(void *, const char *, uint64_t);
typedef void (*server_store_pair_cb)(void *, const char *, const char *);

struct server_store *server_store_open(const char *, bool, char *, size_t);
void server_store_close(struct server_store *);
int server_store_begin(struct server_store *);
int server_store_commit(struct server_store *);
bool server_store_in_txn(const struct server_store *);
const char *server_store_error(const struct server_store *);

int server_store_load_users(
    struct server_store *, server_store_user_cb, void *);
int server_store_add_user(
    struct server_store *, const char *, const char *, uint64_t);
int server_store_set_last_seen(struct server_store *, const char *, uint64_t);

int server_store_queue_totals(
    struct server_store *, server_store_total_cb, void *);
int server_store_queue_senders(
    struct server_store *, server_store_total_cb, void *);
int64_t server_store_queue_find(
    struct server_store *, const char *, const char *, const char *, size_t *);
int64_t server_store_queue_add(struct server_store *, const char *,
    enum server_queue_kind, const char *, const char *, const char *, size_t,
    uint64_t);
int server_store_queue_delete(struct server_store *, int64_t);
int server_store_queue_fetch(struct server_store *, const char *, int64_t, int,
    server_store_queue_cb, void *);
int64_t server_store_queue_depth(struct server_store *);
int64_t server_store_queue_count(struct server_store *, const char *);
int server_store_queue_drop(struct server_store *, const char *);

int server_store_device_add(
    struct server_store *, const char *, const char *, uint64_t);
int server_store_device_remove(
    struct server_store *, const char *, const char *);
int server_store_device_clear(struct server_store *, const char *);
int server_store_device_list(
    struct server_store *, const char *, server_store_device_cb, void *);
int64_t server_store_device_count(struct server_store *, const char *);
bool server_store_device_has(struct server_store *, const char *, const char *);

int server_store_set_good_ip(struct server_store *, const char *, const char *);
int server_store_load_good_ips(
    struct server_store *, server_store_pair_cb, void *);

int server_store_load_locked(
    struct server_store *, void (*)(void *, const char *), void *);
int server_store_set_locked(
    struct server_store *, const char *, bool, uint64_t);
int server_store_set_pwhash(struct server_store *, const char *, const char *);
int server_store_delete_user(struct server_store *, const char *);
sqlite3_backup *server_store_backup_start(
    struct server_store *, const char *, sqlite3 **, char *, size_t);
int server_store_backup_step(sqlite3_backup *, sqlite3 *, int, char *, size_t);
int server_store_check_file(const char *, char *, size_t);

/* Rooms (rooms.c, docs/relay.md "Rooms in the store"). */
struct server_room_row {
	const char *name; /* as created, with its '#' */
	int mode; /* 0 open, 1 invite */
	const char *topic; /* base64 as sent, "" for none */
	const char *owner; /* key */
	uint64_t created;
	int64_t log;
};

struct server_member_row {
	const char *room; /* key, with its '#' */
	const char *key;
	int role; /* 0 owner, 1 admin, 2 member, 3 not a member */
	int64_t joined, delivered, read;
	int invited, banned;
	uint64_t since;
};

typedef void (*server_store_room_cb)(void *, const struct server_room_row *);
typedef void (*server_store_member_cb)(
    void *, const struct server_member_row *);
int server_store_room_put(
    struct server_store *, const struct server_room_row *);
int server_store_room_delete(struct server_store *, const char *);
int server_store_member_put(
    struct server_store *, const struct server_member_row *);
int server_store_member_delete(
    struct server_store *, const char *, const char *);
int server_store_rooms_load(struct server_store *, server_store_room_cb,
    server_store_member_cb, void *);

#endif
