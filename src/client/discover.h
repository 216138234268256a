/* SPDX-License-Identifier: MIT */
/*
 * Finding relays on the LAN: DISCOVER broadcast on each IPv4 interface
 * that has a broadcast address, and the RELAY answers that come back
 * within a bounded wait, each checked field by field (they are anyone's
 * datagrams) and kept once per relay. docs/protocol.md, "Discovery".
 */
#ifndef CLIENT_DISCOVER_H
#define CLIENT_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#define CLIENT_DISCOVER_NAME 64 /* a relay's name, bytes (docs/relay.md) */
#define CLIENT_DISCOVER_MAX 32 /* answers kept; more are dropped */
#define CLIENT_DISCOVER_WAIT 1000 /* ms to wait for answers by default */

/* One relay that answered. */
struct client_relay_ad {
	char name[CLIENT_DISCOVER_NAME + 1]; /* UTF-8, as sent: escape it */
	char addr[46]; /* the answer's source address */
	unsigned port; /* its TCP port */
	bool tls; /* it gave a fingerprint: it runs TLS */
	unsigned char fp[32]; /* when tls */
};

/* What came back, in the order it came, one entry per relay. */
struct client_discover {
	struct client_relay_ad ad[CLIENT_DISCOVER_MAX];
	size_t n;
	size_t dropped; /* answers refused: not a valid RELAY */
	size_t asked; /* broadcast addresses the request went to */
};

int client_discover_parse(
    const char *, size_t, const char *, struct client_relay_ad *);
bool client_discover_add(
    struct client_discover *, const struct client_relay_ad *);
int client_discover_run(
    struct client_discover *, unsigned, unsigned, char *, size_t);

#endif
