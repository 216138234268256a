/* SPDX-License-Identifier: MIT */
/*
 * P2P mode's sockets (PROTOCOL.md section 5): a listener for peers, and
 * one direct connection per peer, each driven by a client_peer state
 * machine (client/peer.h). The session asks it to carry a message or a
 * transfer's frames; what cannot go direct comes back to the session by
 * id, to go by the relay.
 */
#ifndef CLIENT_P2P_H
#define CLIENT_P2P_H

#include <stdbool.h>
#include <stddef.h>

struct net_id;
struct net_loop;
struct net_tls;
struct proto_frame;
struct client_p2p;

#define CLIENT_P2P_COOLDOWN_MS 60000 /* after a failure, by the relay */

/* What it needs from the session. */
struct client_p2p_hooks {
	void *arg;
	/* A frame to the relay; -1 when there is no connection. */
	int (*send_relay)(void *, const char *, size_t);
	/* The message (or file offer) with this id goes by the relay after
	 * all. */
	void (*fallback)(void *, const char *);
	/* The open connection to this peer has ended. */
	void (*lost)(void *, const char *);
	/* A routed frame from a verified peer. */
	void (*frame)(void *, const struct proto_frame *);
	/* Our name, once logged in ("" before). */
	const char *(*me)(void *);
	/* A line for the log (a direct connection refused); may be NULL. */
	void (*log)(void *, const char *);
};

struct client_p2p *client_p2p_new(struct net_loop *, unsigned,
    const struct client_p2p_hooks *, char *, size_t);
int client_p2p_tls(struct client_p2p *, const struct net_id *, struct net_tls *,
    char *, size_t);
void client_p2p_free(struct client_p2p *);
unsigned client_p2p_port(const struct client_p2p *);
bool client_p2p_relay_frame(struct client_p2p *, const struct proto_frame *);
int client_p2p_send_msg(
    struct client_p2p *, const char *, const char *, const char *, size_t);
int client_p2p_send_once(
    struct client_p2p *, const char *, const char *, const char *, size_t);
int client_p2p_send(struct client_p2p *, const char *, const char *, size_t,
    const void *, size_t);
size_t client_p2p_out_len(struct client_p2p *, const char *);
bool client_p2p_is_open(struct client_p2p *, const char *);
bool client_p2p_may_dial(struct client_p2p *, const char *);
void client_p2p_forget_failure(struct client_p2p *, const char *);
bool client_p2p_is_busy(struct client_p2p *);

#endif
