/* SPDX-License-Identifier: MIT */
/*
 * Conversations as the UI shows them: per peer, the recent history loaded
 * from the local store on first use (older pages on demand), kept up to
 * date with new messages and delivery states. Model state for the UI; no
 * drawing here.
 */
#ifndef CLIENT_CONVO_H
#define CLIENT_CONVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/store.h"

struct client_entry {
	int64_t rowid;
	char id[65];
	char sender[33];
	uint64_t ts;
	char *body;
	size_t len;
	bool outgoing;
	enum client_msg_state state;
	bool direct; /* ours, delivered over a direct connection */
	uint64_t seq; /* a room entry: its number in the room's log, or 0 */
};

struct client_convo {
	char peer[34]; /* a name, or a room ("#team") */
	struct client_entry *e; /* oldest first */
	size_t n, cap;
	bool complete; /* nothing older in the store */
	unsigned unread;
};

struct client_convos;

struct client_convos *client_convos_new(struct client_store *);
void client_convos_free(struct client_convos *);
struct client_convo *client_convos_get(struct client_convos *, const char *);
struct client_convo *client_convos_find(struct client_convos *, const char *);
size_t client_convo_load_older(
    struct client_convos *, struct client_convo *, size_t);
void client_convos_append(
    struct client_convos *, const char *, const struct client_msg *);
void client_convos_set_direct(
    struct client_convos *, const char *, const char *);
void client_convos_set_state(
    struct client_convos *, const char *, const char *, enum client_msg_state);
void client_convos_set_seq(
    struct client_convos *, const char *, const char *, uint64_t);
void client_convo_clear(struct client_convo *);
long client_convo_search(
    struct client_convos *, struct client_convo *, const char *, long, int);

#endif
