/* SPDX-License-Identifier: MIT */
/*
 * The client's local store: SQLite under the data folder. One table of
 * messages, both ways: history, and the outbox (outgoing messages still
 * pending). An incoming message is identified by (sender, id), so a
 * duplicate delivery is recognised and not shown twice.
 */
#ifndef CLIENT_STORE_H
#define CLIENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client_store;

enum client_msg_state {
	CLIENT_MSG_PENDING = 0, /* in the outbox */
	CLIENT_MSG_STORED, /* the relay has it on disk */
	CLIENT_MSG_DELIVERED, /* the recipient has it */
	CLIENT_MSG_READ, /* the recipient has seen it */
	CLIENT_MSG_FAILED, /* refused; it will not be sent again */
	CLIENT_MSG_RECEIVED, /* incoming, not yet seen */
	CLIENT_MSG_SEEN /* incoming, seen */
};

struct client_msg {
	int64_t rowid;
	const char *peer; /* the other party, as named */
	const char *sender;
	const char *id;
	uint64_t ts;
	const char *body;
	size_t len;
	bool outgoing;
	enum client_msg_state state;
	bool direct; /* ours, delivered over a direct connection (P2P) */
	uint64_t seq; /* a room message: its number in the room's log (0:
	               * not known yet, or not a room message) */
};

/* A transfer kept across restarts: accepted by the user (incoming) or
 * offered (outgoing), not yet finished. */
struct client_xfer_rec {
	const char *peer;
	const char *id;
	bool outgoing;
	const char *name; /* the safe name offered */
	const char *path; /* outgoing: the source file; incoming: "" */
	uint64_t size;
	const char *sha; /* 64 lower-case hex digits */
	uint64_t ts; /* when it was kept, seconds since the epoch */
};

typedef void (*client_store_msg_cb)(void *, const struct client_msg *);

struct client_store *client_store_open(const char *, char *, size_t);
void client_store_close(struct client_store *);
const char *client_store_notice(const struct client_store *);
int client_store_begin(struct client_store *);
int client_store_commit(struct client_store *);
bool client_store_in_txn(const struct client_store *);
const char *client_store_error(const struct client_store *);

int client_store_add_outgoing(struct client_store *, const char *, const char *,
    const char *, uint64_t, const char *, size_t);
int client_store_add_carbon(struct client_store *, const char *, const char *,
    const char *, uint64_t, const char *, size_t);
int client_store_add_incoming(struct client_store *, const char *, const char *,
    uint64_t, const char *, size_t);
int client_store_add_note(
    struct client_store *, const char *, const char *, uint64_t, const char *);
int client_store_withdraw(struct client_store *, const char *);
int client_store_add_room(struct client_store *, const char *, const char *,
    const char *, uint64_t, const char *, size_t, bool, uint64_t);
int client_store_room_seen(struct client_store *, const char *, uint64_t);
int client_store_room_pos(
    struct client_store *, const char *, uint64_t *, uint64_t *);
int client_store_meta_put(struct client_store *, const char *, const char *);
int client_store_meta_get(struct client_store *, const char *, char *, size_t);
int client_store_set_direct(struct client_store *, const char *);
int client_store_set_state(
    struct client_store *, const char *, const char *, enum client_msg_state);
int client_store_outbox(struct client_store *, client_store_msg_cb, void *);
int client_store_unread(struct client_store *, client_store_msg_cb, void *);
int client_store_mark_seen(struct client_store *, const char *, const char *);
int client_store_unread_counts(
    struct client_store *, void (*)(void *, const char *, unsigned), void *);
int client_store_unread_of(
    struct client_store *, const char *, client_store_msg_cb, void *);
int client_store_history(struct client_store *, const char *, int64_t, int,
    client_store_msg_cb, void *);

int client_store_xfer_put(
    struct client_store *, const struct client_xfer_rec *);
int client_store_xfer_del(
    struct client_store *, const char *, const char *, bool);
int client_store_xfers(struct client_store *,
    void (*)(void *, const struct client_xfer_rec *), void *);

#endif
