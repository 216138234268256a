/* SPDX-License-Identifier: MIT */
/*
 * The client core: one session with a relay. Connects, logs in, keeps the
 * contact list, takes messages into the outbox (on disk) and sends them,
 * resends what is unconfirmed after a reconnect, stores what arrives and
 * confirms it with RCPT only once stored, and reconnects with backoff.
 * It never blocks and never draws: the UI (or a headless command) gets
 * events through struct client_events.
 */
#ifndef CLIENT_SESSION_H
#define CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/convo.h"
#include "client/roster.h"
#include "client/store.h"
#include "client/xfer.h"

struct net_loop;
struct client_session;

enum client_conn_state {
	CLIENT_OFFLINE = 0, /* not started, or stopped */
	CLIENT_CONNECTING,
	CLIENT_LOGGING_IN,
	CLIENT_ONLINE, /* logged in and synced */
	CLIENT_WAITING, /* reconnecting after a delay */
	CLIENT_FAILED, /* refused for good (password, name) */
	CLIENT_REPLACED, /* another login as us took over; we stay off */
	CLIENT_UNTRUSTED /* a relay not pinned yet: its key waits for
	                  * client_session_trust_relay() (detail says it) */
};

/* What to do at the first connection to a relay whose key is not pinned. */
enum client_trust {
	CLIENT_TRUST_PIN = 0, /* pin it, and say so (on_notice) */
	CLIENT_TRUST_STRICT, /* refuse: only `termgram trust` pins */
	CLIENT_TRUST_ASK /* stop in CLIENT_UNTRUSTED for the user's answer */
};

/*
 * In the data folder: the full-screen client holds a lock on it while it
 * runs, so that headless commands do not replace its session.
 */
#define CLIENT_LOCK_FILE "client.lock"

struct client_config {
	const char *host;
	unsigned port;
	const char *user;
	const char *password; /* "" for an open name */
	const char *data_dir;
	unsigned heartbeat_s;
	unsigned window; /* messages in flight at most */
	bool reconnect;
	const char *download_dir; /* NULL: $XDG_DOWNLOAD_DIR/termgram */
	uint64_t max_file_size; /* offers above are refused; 0: no limit */
	uint64_t part_max_age; /* seconds before a still .part goes; 0: never */
	bool p2p; /* messages go direct to peers that take them */
	unsigned p2p_port; /* where peers reach us; 0: any free port */
	bool light; /* P2P light: no relay connection while idle */
	bool tls; /* TLS with the relay, its key pinned (default true) */
	bool keep; /* LOGIN|...|keep: refused, not replacing, while the
	            * name is online in another session */
	enum client_trust trust;
};

enum client_room_role {
	CLIENT_ROOM_NONE = 0,
	CLIENT_ROOM_INVITED,
	CLIENT_ROOM_MEMBER,
	CLIENT_ROOM_ADMIN,
	CLIENT_ROOM_OWNER
};

/* A room as the relay last told (RINFO), plus our own positions. */
struct client_room {
	char name[34]; /* "#team", as created */
	bool invite_only;
	uint64_t members;
	enum client_room_role role;
	uint64_t last; /* seq of the newest entry of its log (RINFO) */
	uint64_t delivered; /* the highest seq this device has stored */
	uint64_t read; /* the highest seq read (here or on another device) */
	unsigned unread; /* messages stored past read */
	char topic[1025]; /* "" for none */
};

/* Core to UI: what happened. Any may be NULL. */
struct client_events {
	void (*on_state)(
	    void *, enum client_conn_state, const char *, uint64_t);
	void (*on_contact)(void *, const struct client_contact *);
	void (*on_synced)(void *);
	/* A message was added to its conversation (fresh), or an incoming
	 * one came again (not fresh). m->outgoing: ours, queued just now. */
	void (*on_message)(void *, const struct client_msg *, bool);
	void (*on_msg_state)(void *, const char *, enum client_msg_state);
	void (*on_error)(void *, const char *, const char *, const char *);
	void (*on_typing)(void *, const char *, bool);
	void (*on_xfer)(void *, const struct client_xfer *);
	/* A line for the log file only, never the screen. */
	void (*on_log)(void *, const char *);
	/* Something the user must know about the connection (a relay's key
	 * pinned at the first connection). */
	void (*on_notice)(void *, const char *);
	/* The answer to client_session_devices: a DEVICE line per pinned
	 * key (fp, when pinned), then its end (fp NULL, the count). */
	void (*on_devices)(void *, const unsigned char *, uint64_t);
	/* The answer to client_session_devices(s, "active", NULL): an ACTIVE
	 * line per device holding a cursor (device, added, last seen, online,
	 * entries behind), then DEVCOUNT (device NULL, the count in added). */
	void (*on_active)(
	    void *, const char *, uint64_t, uint64_t, bool, uint64_t);
	/* DEVCOUNT: how many devices the user has, asked or not. */
	void (*on_devcount)(void *, uint64_t);

	/* Rooms (docs/protocol.md "Rooms"). A room's messages are a
	 * conversation keyed by the room as written ("#team"): in struct
	 * client_msg, peer is the room, sender the author, seq its number
	 * in the room's log. They come through on_message like any. */
	/* Every RINFO, asked or not: the room's state now (role NONE: we
	 * left, were kicked or banned). */
	void (*on_room)(void *, const struct client_room *);
	/* A fresh REVENT (also stored in the room's conversation as a note
	 * from "*"): room, seq, ts, actor, kind ("join", "kick", ...),
	 * target ("-" for none), text (kick reason or topic, "" for none). */
	void (*on_room_event)(void *, const char *, uint64_t, uint64_t,
	    const char *, const char *, const char *, const char *);
	/* The answer to client_session_room(s, "members", room): one call
	 * per RMEMBER (room, name, role, online, delivered, read), then
	 * the end: name NULL, the count in delivered. */
	void (*on_room_member)(void *, const char *, const char *,
	    enum client_room_role, bool, uint64_t, uint64_t);
	/* RSTATE: receipts of message seq of room: members (its sender
	 * excluded), how many have it delivered, how many read it. */
	void (*on_room_state)(
	    void *, const char *, uint64_t, uint64_t, uint64_t, uint64_t);
	/* RWHO: room, seq, member, its state ("none", "delivered", "read"). */
	void (*on_room_who)(
	    void *, const char *, uint64_t, const char *, const char *);
	/* The end of an RLIST answer (its RINFOs came through on_room):
	 * the count. */
	void (*on_room_list)(void *, uint64_t);
	/* What we know of a room changed without an RINFO: an event
	 * (members, topic, our role), its unread count or read position
	 * (a message came, it was read here or on another device). */
	void (*on_room_changed)(void *, const struct client_room *);
	/* TYPING to a room from a member: room, who, on. */
	void (*on_room_typing)(void *, const char *, const char *, bool);
};

void client_config_defaults(struct client_config *);
struct client_session *client_session_new(struct net_loop *,
    const struct client_config *, const struct client_events *, void *, char *,
    size_t);
void client_session_free(struct client_session *);
void client_session_start(struct client_session *);
void client_session_stop(struct client_session *);
void client_session_reconnect(struct client_session *);
int client_session_withdraw(struct client_session *, const char *);
int client_session_queue_msg(struct client_session *, const char *,
    const char *, size_t, char *, char *, size_t);
size_t client_session_outbox_len(const struct client_session *);
enum client_conn_state client_session_state(const struct client_session *);
const char *client_session_me(const struct client_session *);
const struct client_contact *client_session_contacts(
    const struct client_session *, size_t *);
struct client_store *client_session_store(struct client_session *);
struct client_convos *client_session_convos(struct client_session *);
void client_session_set_active(struct client_session *, const char *);
void client_session_mark_read(struct client_session *, const char *);
void client_session_mark_read_upto(
    struct client_session *, const char *, const char *);
void client_session_typing(struct client_session *, const char *, bool);
struct client_xfers *client_session_xfers(struct client_session *);
int client_session_send_file(struct client_session *, const char *,
    const char *, char *, char *, size_t);
void client_default_download_dir(char *, size_t);
int client_default_data_dir(const char *, const char *, char *, size_t);
const char *client_state_name(enum client_conn_state);
int client_session_trust_relay(struct client_session *, char *, size_t);
int client_session_devices(
    struct client_session *, const char *, const unsigned char *);
bool client_session_device_fp(const struct client_session *, unsigned char *);
int client_session_devices_drop(struct client_session *, const char *);
uint64_t client_session_devcount(const struct client_session *);
bool client_session_is_this_device(const struct client_session *, const char *);

/*
 * Rooms. A room message is queued with client_session_queue_msg(s,
 * "#team", ...) and goes by the relay only. client_session_mark_read(s,
 * "#team") sends the room's read position (RPOS).
 */
/* Whether s (len bytes) is a room name: '#' and 1-32 of the name alphabet. */
bool client_is_room(const char *, size_t);
const char *client_room_role_name(enum client_room_role);
/* The rooms known this session (from RINFO), in the order first told. */
const struct client_room *client_session_rooms(
    const struct client_session *, size_t *);
const struct client_room *client_session_room_find(
    const struct client_session *, const char *);
/*
 * A room request: op is one of create (arg "open" or "invite"), join,
 * leave, invite (arg the name), kick (arg "name" or "name reason"), ban,
 * unban, admin, unadmin (arg the name), topic (arg the text), members,
 * list (room NULL), receipts (arg the seq). The answer comes through the
 * events (on_room, on_room_member, on_room_who/on_room_state,
 * on_room_list, or on_error with the room as ref). -1 with the reason in
 * err when offline or the input is bad.
 */
int client_session_room(struct client_session *, const char *, const char *,
    const char *, char *, size_t);
/*
 * Whether body mentions me: "@me" at a word boundary, case-insensitive,
 * or any of words (NULL-terminated, may be NULL) as a whole word.
 */
bool client_mentions(const char *, size_t, const char *, const char *const *);

#endif
