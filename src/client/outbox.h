/* SPDX-License-Identifier: MIT */
/*
 * The outbox: our messages not yet confirmed, oldest first, as a state
 * machine without sockets. It sends what the window allows (the relay's
 * window, and a second one for messages that go to a peer directly),
 * sends again what a lost connection left unconfirmed, settles a message
 * when its ACK or RCPT comes back, and fails for good what the relay
 * refuses or what can never be framed. The owner feeds it events and acts
 * on what it asks through struct client_outbox_io.
 */
#ifndef CLIENT_OUTBOX_H
#define CLIENT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/store.h"

struct client_outbox;

/* The way a frame came: through the relay, or over a direct connection. */
enum client_route { CLIENT_ROUTE_RELAY, CLIENT_ROUTE_DIRECT };

/* What the outbox asks of its owner. */
struct client_outbox_io {
	void *arg;
	/* A framed MSG to the relay; -1 when it cannot take it now. */
	int (*send_relay)(void *, const char *, size_t);
	/* Whether a message to this peer should try the direct way. */
	bool (*may_direct)(void *, const char *);
	/* A framed MSG (peer, id) to the peer itself; -1 when it cannot go
	 * direct. */
	int (*send_direct)(
	    void *, const char *, const char *, const char *, size_t);
	/* A message reached state (peer, id, state, direct): settled or
	 * failed, and out of the outbox. For an id the outbox no longer
	 * holds (a later receipt) the peer is the receipt's sender, or NULL
	 * for the relay's ACK; direct says the peer itself confirmed a
	 * message that went direct. */
	void (*settled)(
	    void *, const char *, const char *, enum client_msg_state, bool);
};

struct client_outbox *client_outbox_new(
    const struct client_outbox_io *, unsigned);
void client_outbox_free(struct client_outbox *);
void client_outbox_add(struct client_outbox *, const char *, const char *,
    uint64_t, const char *, size_t);
size_t client_outbox_len(const struct client_outbox *);
bool client_outbox_has(const struct client_outbox *, const char *, size_t);
void client_outbox_pump(struct client_outbox *, const char *, size_t);
bool client_outbox_settle(struct client_outbox *, const char *, const char *,
    enum client_msg_state, enum client_route);
int client_outbox_refused(struct client_outbox *, const char *, bool);
void client_outbox_lost(struct client_outbox *);
int client_outbox_fallback(struct client_outbox *, const char *);

#endif
