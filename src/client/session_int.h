/* SPDX-License-Identifier: MIT */
/*
 * The session's own header, shared by the files that make it up:
 * session.c (connect, log in, read frames, reconnect), dispatch.c (each
 * frame that arrives, by the route it came by), recv.c (messages that
 * arrive and their receipts), links.c (the ways out: the relay
 * connection, the direct ones, and what the outbox, the transfers and P2P
 * ask of them) and light.c (P2P light mode). Not for use outside client/.
 */
#ifndef CLIENT_SESSION_INT_H
#define CLIENT_SESSION_INT_H

#include <sys/socket.h>

#include "client/outbox.h"
#include "client/roster.h"
#include "client/session.h"
#include "net/loop.h"
#include "proto/frame.h"

struct client_light;
struct net_conn;
struct net_id;
struct net_tls;

/* A receipt waiting to be sent. */
struct client_rcpt {
	char to[PROTO_MAX_NAME + 1];
	char id[PROTO_MAX_ID + 1];
	enum client_route route; /* the way the message came */
};

struct client_session {
	struct net_loop *loop;
	struct client_config cfg;
	char *host, *user, *password, *data_dir;
	const struct client_events *ev;
	void *arg;
	struct client_store *store;

	struct net_conn *conn;
	struct proto_decoder dec;
	enum client_conn_state state;
	char me[PROTO_MAX_NAME + 1];
	char token[PROTO_MAX_ID + 1];
	bool resuming; /* sent RESUME, not LOGIN */
	size_t max_frame;
	unsigned failures;
	uint64_t last_in;
	uint64_t last_work; /* last frame other than a heartbeat */
	struct net_timer reconnect, heartbeat, retry, kick;

	struct client_outbox *outbox;
	struct client_rcpt *rcpts; /* RCPT|delivered due this turn */
	size_t nrcpts, caprcpts;
	struct client_rcpt *reads; /* RCPT|read waiting for a connection */
	size_t nreads, capreads;

	struct client_roster *roster;
	struct client_convos *convos;
	char active[PROTO_MAX_ROOM + 1];
	struct client_xfers *xfers;
	struct client_p2p *p2p; /* NULL unless in P2P mode */
	struct client_light *light; /* NULL unless in P2P light mode */

	/* TLS (trust.c): the device identity and its client context (NULL
	 * with tls off), the relay's key as checked, the one waiting for
	 * the user's yes, and the light presence key of the last WELCOME. */
	struct net_id *id;
	struct net_tls *tls;
	unsigned char relay_fp[32];
	bool has_relay_fp;
	unsigned char seen_fp[32];
	bool has_seen_fp;
	unsigned char alive_key[32];
	bool has_alive_key;

	/* Several devices (docs/protocol.md): the id kept in device-id
	 * ("" with tls off: the version-1 device), whether the LOGIN named
	 * it, the relay's count of the user's devices, a DEVICES request
	 * waiting for its DEVCOUNT, SYNCED waiting for the first one. */
	char device_id[33];
	bool device_aware;
	uint64_t devcount;
	bool dev_asked;
	bool await_devcount;

	/* Rooms (rooms.c): as the relay last told, and which of them owe
	 * the relay their positions at the end of the turn. */
	struct client_room *rooms;
	bool *room_due;
	size_t nrooms, caprooms;

	char buf[PROTO_MAX_FRAME + 64];
	char body[PROTO_MAX_BODY + 1];
};

/* session.c */
void client_session_connect(struct client_session *);
void client_session_down(struct client_session *);
void client_session_lost(struct client_session *, const char *, bool);
void client_session_replaced(struct client_session *, const char *);
void client_session_set_state(
    struct client_session *, enum client_conn_state, const char *, uint64_t);
bool client_session_is_up(const struct client_session *);
void client_session_emit_error(
    struct client_session *, const char *, const char *, const char *);
int client_session_hello(struct client_session *, char *, size_t, size_t *);

/* dispatch.c */
void client_dispatch_frame(
    struct client_session *, const struct proto_frame *, enum client_route);

/* recv.c */
void client_recv_msg(
    struct client_session *, const struct proto_frame *, enum client_route);
void client_recv_flush(struct client_session *);
void client_recv_read_mark(struct client_session *, const struct proto_frame *);

/* rooms.c */
bool client_rooms_frame(struct client_session *, const struct proto_frame *);
void client_rooms_msg(struct client_session *, const struct proto_frame *);
void client_rooms_mark_read(struct client_session *, const char *);
void client_rooms_mark_read_upto(
    struct client_session *, const char *, const char *);
void client_rooms_flush(struct client_session *);
void client_rooms_free(struct client_session *);

/* links.c */
void client_links_init(struct client_session *);
int client_links_p2p(struct client_session *, char *, size_t);

/* trust.c */
int client_trust_init(struct client_session *, char *, size_t);
void client_trust_free(struct client_session *);
void client_trust_handshake(struct net_conn *, void *);
void client_trust_welcome(struct client_session *);

/* light.c */
int client_light_new(struct client_session *, char *, size_t);
void client_light_free(struct client_session *);
bool client_light_hold(struct client_session *, const char *, size_t);
void client_light_synced(struct client_session *);
void client_light_learn(struct client_session *, struct proto_slice);
bool client_light_same_addr(
    const struct sockaddr_storage *, const struct sockaddr_storage *);
bool client_light_answer_ok(
    const unsigned char *, uint64_t, const struct proto_frame *);

#endif
