/* SPDX-License-Identifier: MIT */
/*
 * The relay's insides, shared by its files and by nothing else: sessions
 * (session.c), the router with its grace list and ACKs (router.c), the
 * directory of users, presence, tickets and UDP (directory.c), and the
 * relay's own life that holds them together (relay.c).
 */
#ifndef SERVER_RELAY_INT_H
#define SERVER_RELAY_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"
#include "net/sock.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "server/relay.h"
#include "server/store.h"
#include "util/fingerprint.h"

#define TOKEN_LEN 32 /* hex characters of a session token */

struct net_conn;
struct net_tls;
struct server_store;
struct util_map;
struct srv_sess;

/* Wrong passwords in a row: no password is checked before until. */
struct srv_fails {
	unsigned n;
	uint64_t at, until; /* the last one, the end of the wait (mono ms) */
};

struct srv_user {
	char key[PROTO_MAX_NAME + 1]; /* lower case */
	char name[PROTO_MAX_NAME + 1]; /* as registered */
	size_t namelen;
	char *pwhash; /* NULL: an open name */
	uint64_t last_seen; /* wall clock ms */
	/* Its sessions online, oldest first (session.c), and how many. */
	TAILQ_HEAD(, srv_sess) sessions;
	unsigned nsess;
	int ndev; /* devices with a cursor on its inbox; -1: not counted */
	char token[TOKEN_LEN + 1];
	size_t order; /* registration order */
	/* The USER line last built for this user, and what it said. */
	char line[80];
	size_t linelen;
	bool line_online;
	uint64_t line_seen;
	uint64_t pres_gen; /* the last presence batch it has a line in */
	/* Authenticated ALIVE: the last counter accepted under a key. */
	uint64_t alive_counter;
	unsigned char alive_keyof[32]; /* the key alive_counter counts for */
	/* P2P: where its peers reach it, and its light presence. */
	unsigned p2p_port; /* from its last LOGIN or RESUME */
	bool light; /* ALIVE datagrams keep it online */
	uint64_t light_until; /* monotonic ms */
	char light_ip[NET_ADDRSTRLEN]; /* where its ALIVE came from */
	unsigned ntickets; /* LOOKUP tickets it holds */
	/* Over TLS: the device key of its last WELCOME, and the light
	 * presence key exported from that connection. */
	unsigned char fp[32];
	bool has_fp;
	unsigned char alive_key[32];
	bool has_alive_key;
	char device[UTIL_FP_HEX + 1]; /* of its last session (devices.c) */
	/* Its part of the queue on disk, counted rather than kept: frames
	 * and bytes waiting for it (its quota), and frames and bytes from
	 * it waiting for anyone (its share as a sender). */
	uint64_t q_frames, q_bytes, s_frames, s_bytes;
	/* Wrong passwords for it (login.c); the delay does not hold for
	 * good_ip, the address of its last good login (kept in the store
	 * across restarts). */
	struct srv_fails fails;
	char good_ip[NET_ADDRSTRLEN];
	bool locked; /* by the administrator: no login (admin.c) */
	/* The rooms it has a row in: member, invited or banned (rooms.c). */
	struct srv_room **rooms;
	size_t nrooms, caprooms;
};

/* One room member, invitee or banned name (rooms.c). */
struct srv_member {
	struct srv_user *u;
	int role; /* SRV_ROLE_* */
	bool invited, banned;
	int64_t joined; /* seq of its join event */
	int64_t delivered, read; /* its positions */
	uint64_t since; /* admin since (seq of the admin event) */
};

enum { SRV_ROLE_OWNER = 0, SRV_ROLE_ADMIN, SRV_ROLE_MEMBER, SRV_ROLE_NONE };

struct srv_room {
	char key[PROTO_MAX_ROOM + 1]; /* lower case, with its '#' */
	char name[PROTO_MAX_ROOM + 1]; /* as created */
	int mode; /* 0 open, 1 invite */
	char *topic; /* base64 as sent */
	uint64_t created;
	int64_t log;
	int64_t last; /* the newest entry's seq, 0: none */
	int64_t last_msg; /* the newest message's seq, and its sender */
	struct srv_user *last_sender;
	struct srv_member *m;
	size_t nm, capm;
	unsigned nmembers; /* of m, those with a role under SRV_ROLE_NONE */
	bool listed; /* in the relay's rooms.moved this turn */
	bool moved; /* a position moved this turn: RSTATE due */
	bool trim_due; /* a cursor rose this turn: trim before the commit */
};

/* A session's place in one room's log (rooms.c). */
struct srv_rpos {
	struct srv_room *room;
	int64_t sent; /* entries handed to the session up to */
	bool backlog; /* entries past sent wait in the log */
};

/* The rooms of the relay (rooms.c). */
struct server_rooms {
	struct util_map *map; /* key -> srv_room */
	size_t n;
	struct srv_room **moved; /* touched this turn: trim, RSTATE due */
	size_t nmoved, capmoved;
};

/* What the relay counts per client address (login.c). */
struct srv_addr {
	char ip[NET_ADDRSTRLEN];
	unsigned conns; /* sessions from it now */
	unsigned hashing; /* its LOGINs waiting for a password check */
	struct srv_fails fails; /* wrong passwords from it */
	unsigned regs; /* names registered since regs_since */
	uint64_t regs_since;
};

/* A LOOKUP ticket: single use, binds (asker, target), expires. */
struct srv_ticket {
	TAILQ_ENTRY(srv_ticket) entry; /* creation order = expiry order */
	struct srv_user *asker, *target;
	unsigned char asker_fp[32]; /* over TLS: the asker's device */
	bool has_asker_fp;
	uint64_t expires; /* monotonic ms */
	bool used;
	char id[TOKEN_LEN + 1];
	unsigned char key[8]; /* keyed hash of id: its key in the map */
};

struct srv_sess {
	struct server_relay *r;
	struct net_conn *conn; /* NULL once lost */
	struct proto_decoder dec;
	struct srv_user *user; /* NULL until WELCOME */
	struct srv_user *last_to; /* whom it sent to last (users stay) */
	char ip[NET_ADDRSTRLEN];
	unsigned p2p_port;
	uint64_t last_in; /* monotonic ms */
	double tokens; /* rate budget */
	uint64_t tokens_at;
	int64_t cursor; /* queue rows sent up to (sequence number) */
	bool backlog; /* rows past cursor wait; sent as the output drains */
	bool gone;
	bool kick; /* input waits since unblocked */
	uint64_t full_since; /* full or waited on since (0: it is not) */
	uint64_t since; /* accepted at: the login deadline counts from it */
	struct srv_sess *blocked_on; /* paused: this one is full */
	unsigned waiters; /* sessions paused on this one (blocked_on) */
	uint64_t pres_done; /* the last presence batch it has */
	uint64_t pres_col; /* the batch collecting when it logged in */
	size_t pres_skip; /* that batch's lines it had in its contact list */
	unsigned char fp[32]; /* the client's certificate fingerprint */
	bool has_fp; /* false with --tls off */
	/* The login path (login.c): its address's counters, the password
	 * job it waits for (input paused meanwhile) and what that LOGIN
	 * asked for; refused: over the address's connection limit, told
	 * so once TLS is up. */
	struct srv_addr *addr;
	struct server_hash_job *hashing;
	char login_name[PROTO_MAX_NAME + 1];
	unsigned login_port;
	bool login_keep; /* LOGIN|...|keep: never replace a session */
	/* Its device (docs/protocol.md "Several devices per account"):
	 * "-" for a login that named none, the key's 64 hex digits over
	 * TLS, "@" and the LOGIN's device id without; device_aware: the
	 * LOGIN had the seventh field. */
	char device[UTIL_FP_HEX + 1];
	bool device_aware;
	bool refused;
	LIST_ENTRY(srv_sess) entry;
	TAILQ_ENTRY(srv_sess) user_entry; /* among its user's sessions */
	bool attached; /* in its user's list */
	/* The relay-wide output bound (output.c): counted while it holds
	 * much, and over its share of --max-output-total. */
	TAILQ_ENTRY(srv_sess) heavy_entry;
	size_t out_held;
	bool heavy, over_share;
	/* Its rooms, where it stands in each (rooms.c). */
	struct srv_rpos *rpos;
	size_t nrpos, caprpos;
};

/*
 * A forwarded MSG waiting for its RCPT during the grace period. A stored
 * one has no record: the store answers for it (router.c).
 */
struct srv_msg {
	TAILQ_ENTRY(srv_msg) entry; /* grace list (oldest first), or pool */
	uint64_t deadline;
	struct srv_user *sender, *rcpt;
	char sdev[UTIL_FP_HEX + 1]; /* the sending session's device */
	char *frame; /* kept during the grace period */
	char small[256]; /* where a short frame is kept, without malloc */
	size_t len;
	char id[PROTO_MAX_ID + 1];
	size_t klen;
	char key[PROTO_MAX_NAME + 1 + PROTO_MAX_ID + 1];
};

struct srv_ack {
	struct srv_user *user;
	char device[UTIL_FP_HEX + 1]; /* the sending session's */
	char id[PROTO_MAX_ID + 1];
};

struct srv_stats {
	uint64_t frames_in, frames_out;
	uint64_t msgs_stored, msgs_relayed, bytes_relayed;
	int64_t queue_depth;
};

/* Users, their presence, LOOKUP tickets and the UDP side (directory.c). */
struct server_directory {
	struct util_map *users; /* key -> srv_user */
	struct srv_user **list; /* registration order */
	size_t nusers, capusers;
	struct srv_user **gone; /* deleted: freed at the end (admin.c) */
	size_t ngone, capgone;
	char *clist; /* the contact list, assembled for a login */
	size_t capclist;
	/* Presence changes for everyone (presence.c): col collects them,
	 * out is being sent, a slice of the sessions each turn. */
	struct srv_batch {
		char *buf;
		size_t len, cap;
		struct srv_pres {
			struct srv_user *u;
			size_t off, len;
		} * ent; /* whose line is where in buf */
		size_t n, capent;
		uint64_t gen;
	} col, out;
	bool sending; /* out is not sent to everyone yet */
	struct srv_sess *pres_next; /* where the next slice of out starts */
	uint64_t pres_sent; /* when the last batch started out */
	struct net_timer pres_timer;
	struct util_map *tickets; /* unused ones, by keyed hash of id */
	unsigned char tkkey[16]; /* the hash's secret key, per start */
	TAILQ_HEAD(, srv_ticket) tklist;
	size_t nlight; /* users whose light presence is alive */
	int ufd; /* UDP: ALIVE and DISCOVER */
	struct net_watch *uw;
};

/*
 * What the router needs of sessions, and nothing more: the relay passes
 * the real ones (session.c), the router's test passes fakes.
 */
struct server_router_io {
	/* Write a whole frame to s (which may drop s if it is too slow). */
	void (*send)(struct srv_sess *, const char *, size_t);
	/* Whether s's output is over its high mark. */
	bool (*is_full)(struct srv_sess *);
	/* Stop reading from s until dst drains. */
	void (*block_on)(struct srv_sess *, struct srv_sess *);
};

/* Routing, the grace list, ACKs and store-and-forward (router.c). */
struct server_router {
	struct net_loop *loop;
	struct server_store *store;
	struct server_directory *dir;
	struct srv_stats *st;
	unsigned grace_ms; /* RCPT wait before storing */
	uint64_t max_frames, max_bytes; /* queue quota per recipient; 0: none */
	uint64_t max_s_frames, max_s_bytes; /* per sender; 0: none */
	uint64_t keep_ms; /* retention: entries stay this long (--keep-days) */
	const struct server_router_io *io;
	struct util_map *msgs; /* sender|id -> srv_msg in the grace list */
	TAILQ_HEAD(, srv_msg) grace; /* oldest first */
	TAILQ_HEAD(, srv_msg) pool; /* free records */
	size_t npool, ngrace;
	struct srv_ack *acks; /* sent after the commit */
	size_t nacks, capacks;
	struct net_timer timer;
	/* MSG and TYPING to a room (rooms.c; NULL: no rooms). */
	void (*rooms_route)(struct srv_sess *, const struct proto_frame *);
	char out[PROTO_MAX_FRAME + 256];
	struct server_filestore *fs; /* files stored on the relay, or NULL */
};

/* The sessions of the relay (session.c). */
struct server_sessions {
	LIST_HEAD(, srv_sess) list; /* newest first */
	unsigned n;
	struct net_timer kick;
	TAILQ_HEAD(, srv_sess) heavy; /* holding much output (output.c) */
	size_t nheavy, out_total; /* and what they hold in all */
	uint64_t out_freed; /* bytes their output shrank by, for the trim */
};

/* The login path's state (login.c). */
struct server_logins {
	struct server_hasher *hasher;
	struct util_map *addrs; /* ip -> srv_addr */
	uint64_t closed; /* sessions closed, for the heap trim */
};

/* What was counted at the last sweep or the last heap trim (relay.c). */
struct srv_trim_marks {
	uint64_t frames, closed, freed;
};

struct server_relay {
	struct net_loop *loop;
	struct server_config cfg;
	struct net_tls *tls; /* NULL with --tls off */
	unsigned char fp[32]; /* the relay's own key, over TLS */
	struct server_store *store;
	int lfd;
	struct net_watch *lw;
	int port;
	char addr[NET_ADDRSTRLEN + 8];
	struct net_timer sweep, accept_again;
	struct net_timer keep; /* the hourly retention pass (retention.c) */
	bool shutting_down;
	struct srv_trim_marks sweep_mark, trim_mark;
	bool trim_wanted;
	uint64_t started; /* monotonic ms */

	struct server_directory dir;
	struct server_router rt;
	struct server_sessions ss;
	struct server_logins lg;
	struct srv_stats st;
	struct server_rooms rooms;
	struct server_admin *admin; /* the local socket (admin.c) */
	char out[PROTO_MAX_FRAME + 256];
};

extern const struct proto_slice server_no_ref;

/* Whether u has a session online. */
static inline bool
server_user_online(const struct srv_user *u)
{
	return !TAILQ_EMPTY(&u->sessions);
}

/* u's oldest session online, or NULL. */
static inline struct srv_sess *
server_user_first(const struct srv_user *u)
{
	return TAILQ_FIRST(&u->sessions);
}

/* devices.c: the sessions of a user and of its devices. */
void server_user_attach(struct srv_user *, struct srv_sess *);
void server_user_detach(struct srv_user *, struct srv_sess *);
bool server_sess_is_head(const struct srv_sess *);
unsigned server_user_devices_online(const struct srv_user *);
unsigned server_user_device_sessions(const struct srv_user *, const char *);

/* session.c */
extern const struct server_router_io server_session_io;
void server_session_new(struct server_relay *, int, const char *);
void server_session_send(struct srv_sess *, const char *, size_t);
void server_session_err(
    struct srv_sess *, enum proto_err, struct proto_slice, const char *);
void server_session_errf(struct srv_sess *, enum proto_err, struct proto_slice,
    const char *, ...) __attribute__((format(printf, 4, 5)));
void server_session_close(struct srv_sess *, const char *, const char *);
void server_session_sweep(struct server_relay *, uint64_t);
void server_sessions_init(struct server_relay *);
void server_sessions_close_all(
    struct server_relay *, const char *, const char *);

void server_session_welcome(struct srv_sess *, struct srv_user *, unsigned);
void server_session_replace(struct srv_user *, const struct srv_sess *);
enum proto_feed server_session_feed(
    void *, const struct proto_frame *, const struct proto_error *);
void server_session_kick(struct srv_sess *);
void server_session_resume(struct srv_sess *);

/* output.c */
void server_output_note(struct srv_sess *);
bool server_output_full(struct srv_sess *);
void server_output_forget(struct srv_sess *);
void server_output_turn(struct server_relay *);

/* login.c */
int server_logins_init(struct server_relay *, char *, size_t);
void server_logins_fini(struct server_relay *);
void server_login_accept(struct srv_sess *);
void server_login_refuse(struct srv_sess *);
size_t server_login_feed(struct srv_sess *, const char *, size_t);
void server_login_frame(struct srv_sess *, const struct proto_frame *);
void server_login_gone(struct srv_sess *);
void server_logins_sweep(struct server_relay *, uint64_t);

/* router.c */
void server_router_init(struct server_router *, struct net_loop *,
    struct server_store *, struct server_directory *, struct srv_stats *,
    unsigned, const struct server_router_io *);
void server_router_fini(struct server_router *);
void server_router_set_quota(
    struct server_router *, uint64_t, uint64_t, uint64_t, uint64_t);
void server_router_set_keep(struct server_router *, uint64_t);
int server_router_load(struct server_router *);
int server_router_recount(struct server_router *);
void server_router_route(
    struct server_router *, struct srv_sess *, const struct proto_frame *);
void server_router_expire(struct server_router *, uint64_t);
void server_router_flush(struct server_router *, const struct srv_user *);
void server_router_sync(struct server_router *, struct srv_sess *);
void server_router_commit(struct server_router *);
void server_router_counted(
    struct server_router *, struct srv_user *, struct srv_user *, size_t, int);
struct srv_user *server_router_user(struct server_router *, const char *);
void server_router_ack(
    struct server_router *, struct srv_user *, const char *, const char *);

/* inbox.c */
int64_t server_inbox_log(struct server_router *, const struct srv_user *);
bool server_inbox_has_others(struct server_router *, const struct srv_sess *);
void server_inbox_own(struct server_router *, struct srv_sess *,
    const struct proto_frame *, enum server_queue_kind, const char *);
void server_inbox_trim(
    struct server_router *, struct srv_user *, int64_t, int64_t);
bool server_inbox_confirm(struct server_router *, struct srv_sess *,
    struct srv_user *, const char *, bool, bool *);
int64_t server_inbox_once(struct server_router *, struct srv_user *,
    struct srv_user *, const char *, size_t);

/* directory.c */
void server_directory_init(struct server_directory *);
void server_directory_fini(struct server_directory *);
int server_directory_load(struct server_directory *, struct server_store *);
struct srv_user *server_directory_find(
    struct server_directory *, struct proto_slice);
struct srv_user *server_directory_add(
    struct server_directory *, const char *, const char *, uint64_t);
void server_directory_make_token(char *);
bool server_directory_token_eq(struct proto_slice, const char *);
/* USER lines: the contact list and presence batches (presence.c). */
void server_presence_send_users(struct server_relay *, struct srv_sess *);
void server_presence_change(struct server_relay *, struct srv_user *);
void server_presence_flush(struct server_relay *);
void server_presence_forget(struct server_relay *, struct srv_sess *);
void server_presence_due(struct server_relay *);
void server_directory_lookup(struct srv_sess *, const struct proto_frame *);
void server_directory_verify(struct srv_sess *, const struct proto_frame *);
void server_directory_udp_start(struct server_relay *, int);
void server_directory_udp_stop(struct server_relay *);
void server_directory_sweep(struct server_relay *);
#define SERVER_ALIVE_SKEW_S 90 /* how far an ALIVE's time may be off */
bool server_directory_alive_ok(
    struct srv_user *, const struct proto_frame *, uint64_t);

/* relay.c */
void server_relay_send_stats(struct srv_sess *);
int server_relay_stats_text(const struct server_relay *, char *, size_t);

/* admin.c */
struct server_admin *server_admin_start(struct server_relay *, char *, size_t);
void server_admin_stop(struct server_admin *);
void server_directory_remove(struct server_directory *, struct srv_user *);

/* pins.c */
void server_pins_request(struct srv_sess *, const struct proto_frame *);
void server_devices_login(struct srv_sess *);
void server_devices_logout(struct srv_sess *);
void server_devices_active(struct srv_sess *);
void server_devices_drop(struct srv_sess *, struct proto_slice);
void server_devices_count(struct srv_sess *);
void server_devices_changed(struct srv_user *, const struct srv_sess *);

/* rooms.c */
void server_rooms_init(struct server_relay *);
void server_rooms_fini(struct server_relay *);
int server_rooms_load(struct server_relay *);
void server_rooms_request(struct srv_sess *, const struct proto_frame *);
void server_rooms_route(struct srv_sess *, const struct proto_frame *);
void server_rooms_login(struct srv_sess *);
void server_rooms_sync(struct srv_sess *);
void server_rooms_logout(struct srv_sess *);
void server_rooms_trim(struct server_relay *);
void server_rooms_turn(struct server_relay *);
void server_rooms_touch(struct srv_sess *, uint64_t);
void server_rooms_forget_user(struct server_relay *, struct srv_user *);

/* retention.c */
void server_retention_run(struct server_relay *);
void server_retention_start(struct server_relay *);
void server_retention_stop(struct server_relay *);
bool server_pins_allow(struct srv_sess *, const struct srv_user *);
unsigned server_devices_number(struct server_store *, struct srv_user *);
bool server_devices_admit(struct srv_sess *, struct srv_user *);

#endif
