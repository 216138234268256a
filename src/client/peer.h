/* SPDX-License-Identifier: MIT */
/*
 * One direct connection of P2P mode (PROTOCOL.md section 5) as a state
 * machine without sockets, so that the handshake and the fallback are
 * tested on their own. The dialling side asks the relay (LOOKUP), connects,
 * says PHELLO and waits for PWELCOME; the answering side waits for PHELLO,
 * asks the relay to VERIFY the ticket and answers PWELCOME. Messages given
 * to it wait until the connection is open, then go out and are tracked
 * until their RCPT comes back (the ACK before it settles nothing, as the
 * session's outbox waits for the RCPT); a frame that wants no ACK (a file
 * offer) may wait for the opening the same way. When the connection cannot
 * be made, breaks, or a RCPT is overdue, every message not settled (and
 * every frame still waiting) is handed back by id for the relay to carry.
 * The owner feeds it events, and the time.
 *
 * With io.tls set the direct connection is TLS and both ends prove their
 * device key: the dialer says PHELLO only once the answering certificate
 * is the one PEER named, the answerer says PWELCOME only if VERIFIED is
 * yes for the very key the caller presented (client_peer_handshake).
 */
#ifndef CLIENT_PEER_H
#define CLIENT_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proto_frame;
struct client_peer;

#define CLIENT_PEER_RELAY_MS 5000 /* the relay's answer to LOOKUP, VERIFY */
#define CLIENT_PEER_CONNECT_MS 2000 /* TCP connect */
#define CLIENT_PEER_HELLO_MS 5000 /* PHELLO, then PWELCOME */
#define CLIENT_PEER_ACK_MS 10000 /* a message's ACK and RCPT */
#define CLIENT_PEER_IDLE_MS 60000 /* unused: closed */

enum client_peer_state {
	CLIENT_PEER_LOOKUP, /* dialer: LOOKUP sent, waiting for PEER */
	CLIENT_PEER_CONNECTING, /* dialer: TCP connect under way */
	CLIENT_PEER_HELLO, /* dialer: PHELLO sent, waiting for PWELCOME */
	CLIENT_PEER_WAIT_HELLO, /* answerer: waiting for PHELLO */
	CLIENT_PEER_VERIFYING, /* answerer: VERIFY sent, waiting */
	CLIENT_PEER_OPEN, /* both sides know each other: frames flow */
	CLIENT_PEER_CLOSED
};

/* What the machine asks of its owner. */
struct client_peer_io {
	void *arg;
	/* A frame to the peer over the direct connection: header, then
	 * payload (NULL, 0 for none). */
	int (*send_peer)(void *, const char *, size_t, const void *, size_t);
	/* A frame to the relay (LOOKUP, VERIFY). */
	int (*send_relay)(void *, const char *, size_t);
	/* Start a TCP connection to ip (brackets for IPv6) and port. */
	int (*connect)(void *, const char *, unsigned);
	/* Close the direct connection, if there is one. */
	void (*close)(void *, const char *);
	/* This message did not get through directly: send it by the relay. */
	void (*fallback)(void *, const char *);
	/* A routed frame from the verified peer, for the session. */
	void (*frame)(void *, const struct proto_frame *);
	/* The connection, once open, has ended (may be NULL). */
	void (*ended)(void *, const char *);
	/* Direct connections are TLS: the fingerprints are checked. */
	bool tls;
};

struct client_peer *client_peer_dial(
    const struct client_peer_io *, const char *, const char *, uint64_t);
struct client_peer *client_peer_answer(
    const struct client_peer_io *, const char *, uint64_t);
void client_peer_free(struct client_peer *);

enum client_peer_state client_peer_state(const struct client_peer *);
const char *client_peer_state_name(enum client_peer_state);
const char *client_peer_name(const struct client_peer *);
const char *client_peer_reason(const struct client_peer *);
size_t client_peer_pending(const struct client_peer *);

void client_peer_relay_frame(
    struct client_peer *, const struct proto_frame *, uint64_t);
void client_peer_connected(struct client_peer *, uint64_t);
void client_peer_handshake(
    struct client_peer *, const unsigned char *, uint64_t);
void client_peer_frame(
    struct client_peer *, const struct proto_frame *, uint64_t);
void client_peer_closed(struct client_peer *, const char *);
void client_peer_tick(struct client_peer *, uint64_t);

int client_peer_send_msg(
    struct client_peer *, const char *, const char *, size_t, uint64_t);
int client_peer_send_once(
    struct client_peer *, const char *, const char *, size_t, uint64_t);
int client_peer_send(
    struct client_peer *, const char *, size_t, const void *, size_t, uint64_t);

#endif
