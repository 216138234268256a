/* SPDX-License-Identifier: MIT */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/peer.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "util/map.h"
#include "util/xmalloc.h"

/* A message given to the connection, oldest first, until settled. */
struct peer_msg {
	TAILQ_ENTRY(peer_msg) entry;
	char id[PROTO_MAX_ID + 1];
	char *frame;
	size_t len;
	bool once; /* wants no ACK: forgotten once sent */
	bool sent;
	uint64_t sent_at;
};

struct client_peer {
	struct client_peer_io io;
	bool dialer;
	enum client_peer_state state;
	char me[PROTO_MAX_NAME + 1];
	char peer[PROTO_MAX_NAME + 1]; /* answerer: known after PHELLO */
	char ticket[PROTO_MAX_ID + 1];
	/* Over TLS, dialer: the key PEER named; answerer: the caller's. */
	unsigned char fp[PROTO_FP_LEN];
	bool has_fp;
	uint64_t deadline; /* of the handshake step under way */
	uint64_t last_used;
	char reason[128];
	char out[512]; /* a handshake frame being built */
	TAILQ_HEAD(, peer_msg) msgs; /* oldest first */
	struct util_map *by_id;
	size_t nmsgs;
};

static struct proto_slice
slice(const char *s)
{
	return (struct proto_slice){s, strlen(s)};
}

static struct client_peer *
peer_new(const struct client_peer_io *io, const char *me, uint64_t now)
{
	struct client_peer *p = xcalloc(1, sizeof *p);

	p->io = *io;
	snprintf(p->me, sizeof p->me, "%s", me);
	p->last_used = now;
	p->by_id = util_map_new();
	TAILQ_INIT(&p->msgs);
	return p;
}

/*
 * Send the frame built in p->out (rc: the builder's result; *n, its
 * length, is read only here, after the builder has set it)
 * to the peer or to the relay.
 */
static void
say(struct client_peer *p, bool relay, int rc, const size_t *n)
{
	if (rc != 0)
		return;
	if (relay)
		p->io.send_relay(p->io.arg, p->out, *n);
	else
		p->io.send_peer(p->io.arg, p->out, *n, NULL, 0);
}

/* Start dialling peer: the LOOKUP goes out now. */
struct client_peer *
client_peer_dial(const struct client_peer_io *io, const char *me,
    const char *peer, uint64_t now)
{
	struct client_peer *p = peer_new(io, me, now);
	size_t n = 0;

	p->dialer = true;
	snprintf(p->peer, sizeof p->peer, "%s", peer);
	p->state = CLIENT_PEER_LOOKUP;
	p->deadline = now + CLIENT_PEER_RELAY_MS;
	say(p, true, proto_build_lookup(p->out, sizeof p->out, &n, p->peer),
	    &n);
	return p;
}

/* A connection someone opened to us: PHELLO must come first, soon. */
struct client_peer *
client_peer_answer(
    const struct client_peer_io *io, const char *me, uint64_t now)
{
	struct client_peer *p = peer_new(io, me, now);

	p->state = CLIENT_PEER_WAIT_HELLO;
	p->deadline = now + CLIENT_PEER_HELLO_MS;
	return p;
}

static void
msg_drop(struct client_peer *p, struct peer_msg *m)
{
	TAILQ_REMOVE(&p->msgs, m, entry);
	util_map_remove(p->by_id, m->id, strlen(m->id));
	p->nmsgs--;
	free(m->frame);
	free(m);
}

void
client_peer_free(struct client_peer *p)
{
	if (p == NULL)
		return;
	while (!TAILQ_EMPTY(&p->msgs))
		msg_drop(p, TAILQ_FIRST(&p->msgs));
	util_map_free(p->by_id);
	free(p);
}

enum client_peer_state
client_peer_state(const struct client_peer *p)
{
	return p->state;
}

const char *
client_peer_state_name(enum client_peer_state st)
{
	static const char *const names[] = {
	    [CLIENT_PEER_LOOKUP] = "looking up",
	    [CLIENT_PEER_CONNECTING] = "connecting",
	    [CLIENT_PEER_HELLO] = "saying hello",
	    [CLIENT_PEER_WAIT_HELLO] = "waiting for hello",
	    [CLIENT_PEER_VERIFYING] = "verifying",
	    [CLIENT_PEER_OPEN] = "open",
	    [CLIENT_PEER_CLOSED] = "closed",
	};

	return st <= CLIENT_PEER_CLOSED ? names[st] : "?";
}

/* The peer's name ("" on the answering side before PHELLO). */
const char *
client_peer_name(const struct client_peer *p)
{
	return p->peer;
}

/* Why it closed ("" while it is not closed). */
const char *
client_peer_reason(const struct client_peer *p)
{
	return p->reason;
}

/* Messages given to it and not yet settled. */
size_t
client_peer_pending(const struct client_peer *p)
{
	return p->nmsgs;
}

/*
 * The end: close the connection (unless it is the connection that ended)
 * and hand every message not settled back, oldest first, to go by the
 * relay with its id.
 */
static void
peer_end(struct client_peer *p, bool close_conn, const char *reason)
{
	char id[PROTO_MAX_ID + 1];
	bool was_open = p->state == CLIENT_PEER_OPEN;

	if (p->state == CLIENT_PEER_CLOSED)
		return;
	snprintf(p->reason, sizeof p->reason, "%s", reason);
	if (close_conn && p->state != CLIENT_PEER_LOOKUP)
		p->io.close(p->io.arg, reason);
	p->state = CLIENT_PEER_CLOSED;
	while (!TAILQ_EMPTY(&p->msgs)) {
		memcpy(id, TAILQ_FIRST(&p->msgs)->id, sizeof id);
		msg_drop(p, TAILQ_FIRST(&p->msgs));
		p->io.fallback(p->io.arg, id);
	}
	if (was_open && p->io.ended != NULL)
		p->io.ended(p->io.arg, p->reason);
}

static void
msg_send(struct client_peer *p, struct peer_msg *m, uint64_t now)
{
	m->sent = true;
	m->sent_at = now;
	p->last_used = now;
	p->io.send_peer(p->io.arg, m->frame, m->len, NULL, 0);
	if (m->once)
		msg_drop(p, m);
}

static void
peer_open(struct client_peer *p, uint64_t now)
{
	struct peer_msg *m, *next;

	p->state = CLIENT_PEER_OPEN;
	p->last_used = now;
	for (m = TAILQ_FIRST(&p->msgs); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		msg_send(p, m, now);
	}
}

/* The message with this id got its RCPT: it is safe. */
static void
settle(struct client_peer *p, struct proto_slice id)
{
	struct peer_msg *m = util_map_get(p->by_id, id.p, id.len);

	if (m != NULL)
		msg_drop(p, m);
}

/* Whether the wire's ticket is ours: length, then constant time. */
static bool
ticket_eq(struct proto_slice got, const char *ours)
{
	size_t len = strlen(ours);

	return len > 0 && got.len == len &&
	    sodium_memcmp(got.p, ours, len) == 0;
}

/* Whether VERIFIED names the key the caller presented to us. */
static bool
vouched_key(const struct client_peer *p, const struct proto_frame *fr)
{
	unsigned char fp[PROTO_FP_LEN];

	return p->has_fp && fr->nargs == 4 &&
	    proto_slice_hex32(fr->arg[3], fp) == 0 &&
	    sodium_memcmp(fp, p->fp, sizeof fp) == 0;
}

/* The relay's answers that concern this connection. */
void
client_peer_relay_frame(
    struct client_peer *p, const struct proto_frame *fr, uint64_t now)
{
	char ip[64];
	unsigned port;
	size_t n = 0;

	switch (fr->verb) {
	case PROTO_V_PEER:
		if (p->state != CLIENT_PEER_LOOKUP ||
		    !proto_name_eq(fr->arg[0], slice(p->peer)))
			return;
		port = (unsigned)proto_slice_u64(fr->arg[2]);
		if (port == 0) {
			peer_end(
			    p, false, "the peer takes no direct connections");
			return;
		}
		snprintf(
		    ip, sizeof ip, "%.*s", (int)fr->arg[1].len, fr->arg[1].p);
		snprintf(p->ticket, sizeof p->ticket, "%.*s",
		    (int)fr->arg[3].len, fr->arg[3].p);
		if (p->io.tls &&
		    (fr->nargs != 5 ||
		        proto_slice_hex32(fr->arg[4], p->fp) != 0)) {
			peer_end(
			    p, false, "the relay gave no key for the peer");
			return;
		}
		p->has_fp = p->io.tls;
		p->state = CLIENT_PEER_CONNECTING;
		p->deadline = now + CLIENT_PEER_CONNECT_MS;
		if (p->io.connect(p->io.arg, ip, port) != 0)
			peer_end(p, false, "cannot connect to the peer");
		return;
	case PROTO_V_ERR:
		/* ERR|OFFLINE|<name>, NO_SUCH_USER, RATE_LIMIT about it. */
		if (p->state == CLIENT_PEER_LOOKUP && fr->nargs >= 2 &&
		    proto_name_eq(fr->arg[1], slice(p->peer)))
			peer_end(p, false, "the relay has no address for it");
		return;
	case PROTO_V_VERIFIED:
		if (p->state != CLIENT_PEER_VERIFYING ||
		    !proto_name_eq(fr->arg[0], slice(p->peer)) ||
		    !ticket_eq(fr->arg[1], p->ticket))
			return;
		if (!proto_slice_eq(fr->arg[2], "yes")) {
			peer_end(p, true, "the relay did not vouch for it");
			return;
		}
		if (p->io.tls && !vouched_key(p, fr)) {
			peer_end(p, true,
			    "the caller's key is not the one the relay "
			    "vouches for");
			return;
		}
		say(p, false,
		    proto_build_pwelcome(
		        p->out, sizeof p->out, &n, p->me, p->peer),
		    &n);
		peer_open(p, now);
		return;
	default:
		return;
	}
}

/* Say PHELLO: the dialer's connection is up (and its peer proven). */
static void
hello(struct client_peer *p, uint64_t now)
{
	size_t n = 0;

	say(p, false,
	    proto_build_phello(
	        p->out, sizeof p->out, &n, p->me, p->peer, p->ticket),
	    &n);
	p->state = CLIENT_PEER_HELLO;
	p->deadline = now + CLIENT_PEER_HELLO_MS;
}

/*
 * The TCP connection the dialer asked for is up: PHELLO now, or over TLS
 * once the handshake has shown the peer's key.
 */
void
client_peer_connected(struct client_peer *p, uint64_t now)
{
	if (p->state != CLIENT_PEER_CONNECTING)
		return;
	if (p->io.tls)
		p->deadline = now + CLIENT_PEER_HELLO_MS;
	else
		hello(p, now);
}

/*
 * The TLS handshake is done and the other end's certificate has the
 * fingerprint fp (NULL: none). The dialer goes on only if it is the key
 * PEER named, and closes before a byte of PHELLO otherwise; the answerer
 * keeps it to hold against VERIFIED.
 */
void
client_peer_handshake(
    struct client_peer *p, const unsigned char *fp, uint64_t now)
{
	if (!p->io.tls)
		return;
	if (p->dialer) {
		if (p->state != CLIENT_PEER_CONNECTING)
			return;
		if (fp == NULL || !p->has_fp ||
		    sodium_memcmp(fp, p->fp, sizeof p->fp) != 0) {
			peer_end(p, true,
			    "the peer's key is not the one the relay knows");
			return;
		}
		hello(p, now);
		return;
	}
	if (p->state != CLIENT_PEER_WAIT_HELLO || fp == NULL)
		return;
	memcpy(p->fp, fp, sizeof p->fp);
	p->has_fp = true;
}

static void
refuse(struct client_peer *p, const char *why)
{
	char buf[512];
	size_t n;

	if (proto_build_err(
	        buf, sizeof buf, &n, PROTO_ERR_FORBIDDEN, "-", 1, why) == 0)
		p->io.send_peer(p->io.arg, buf, n, NULL, 0);
	peer_end(p, true, why);
}

/* A frame from the peer, parsed by the owner. */
void
client_peer_frame(
    struct client_peer *p, const struct proto_frame *fr, uint64_t now)
{
	size_t n = 0;

	switch (p->state) {
	case CLIENT_PEER_WAIT_HELLO:
		if (fr->verb != PROTO_V_PHELLO) {
			peer_end(p, true, "no PHELLO first");
			return;
		}
		if (!proto_name_eq(fr->arg[1], slice(p->me))) {
			peer_end(p, true, "PHELLO for someone else");
			return;
		}
		if (p->io.tls && !p->has_fp) {
			peer_end(p, true, "PHELLO before the caller's key");
			return;
		}
		snprintf(p->peer, sizeof p->peer, "%.*s", (int)fr->arg[0].len,
		    fr->arg[0].p);
		snprintf(p->ticket, sizeof p->ticket, "%.*s",
		    (int)fr->arg[2].len, fr->arg[2].p);
		p->state = CLIENT_PEER_VERIFYING;
		p->deadline = now + CLIENT_PEER_RELAY_MS;
		say(p, true,
		    proto_build_verify(
		        p->out, sizeof p->out, &n, p->peer, p->ticket),
		    &n);
		return;
	case CLIENT_PEER_HELLO:
		if (fr->verb == PROTO_V_PWELCOME &&
		    proto_name_eq(fr->arg[0], slice(p->peer)) &&
		    proto_name_eq(fr->arg[1], slice(p->me)))
			peer_open(p, now);
		else
			peer_end(p, true, "no PWELCOME from the peer");
		return;
	case CLIENT_PEER_OPEN:
		break;
	default:
		return; /* nothing is expected from it now */
	}

	p->last_used = now;
	if (proto_verb_is_routed(fr->verb)) {
		/* Only the verified peer may speak, and only to us. */
		if (!proto_name_eq(fr->arg[0], slice(p->peer)) ||
		    !proto_name_eq(fr->arg[1], slice(p->me))) {
			refuse(p,
			    "frames on this connection are from the "
			    "verified peer to us only");
			return;
		}
		if (fr->verb == PROTO_V_RCPT)
			settle(p, fr->arg[2]);
		p->io.frame(p->io.arg, fr);
		return;
	}
	switch (fr->verb) {
	case PROTO_V_ACK:
		/* Kept until its RCPT, which the session's outbox waits
		 * for: a connection cut between the two hands it back. */
		break;
	case PROTO_V_PING:
		say(p, false, proto_build_pong(p->out, sizeof p->out, &n, fr),
		    &n);
		break;
	case PROTO_V_BYE:
		peer_end(p, true, "the peer said bye");
		break;
	default:
		break; /* PONG, ERR: nothing to do */
	}
}

/* The direct connection ended (or never came up). */
void
client_peer_closed(struct client_peer *p, const char *why)
{
	peer_end(p, false, why);
}

/* Time passes: handshake deadlines, overdue ACKs, idleness. */
void
client_peer_tick(struct client_peer *p, uint64_t now)
{
	struct peer_msg *m;

	switch (p->state) {
	case CLIENT_PEER_CLOSED:
		return;
	case CLIENT_PEER_OPEN:
		/* The oldest is the first to be overdue. */
		if ((m = TAILQ_FIRST(&p->msgs)) != NULL && m->sent &&
		    now - m->sent_at >= CLIENT_PEER_ACK_MS) {
			peer_end(p, true, "the peer did not acknowledge");
			return;
		}
		if (p->nmsgs == 0 && now - p->last_used >= CLIENT_PEER_IDLE_MS)
			peer_end(p, true, "idle");
		return;
	default:
		if (now >= p->deadline)
			peer_end(p, true,
			    p->state == CLIENT_PEER_LOOKUP
			        ? "the relay did not answer the lookup"
			        : p->state == CLIENT_PEER_CONNECTING
			        ? "the peer did not answer"
			        : "the handshake took too long");
		return;
	}
}

static int
msg_add(struct client_peer *p, const char *id, const char *frame, size_t len,
    bool once, uint64_t now)
{
	struct peer_msg *m;

	if (p->state == CLIENT_PEER_CLOSED || strlen(id) > PROTO_MAX_ID ||
	    util_map_get(p->by_id, id, strlen(id)) != NULL)
		return -1;
	m = xcalloc(1, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", id);
	m->frame = xmemdup(frame, len);
	m->len = len;
	m->once = once;
	TAILQ_INSERT_TAIL(&p->msgs, m, entry);
	util_map_set(p->by_id, m->id, strlen(m->id), m);
	p->nmsgs++;
	if (p->state == CLIENT_PEER_OPEN)
		msg_send(p, m, now);
	return 0;
}

/*
 * A MSG frame with this id for the peer (either side may send once the
 * connection is open): sent now if it is, else when it opens; held until
 * settled. -1 when the connection is closed: send it by the relay.
 */
int
client_peer_send_msg(struct client_peer *p, const char *id, const char *frame,
    size_t len, uint64_t now)
{
	return msg_add(p, id, frame, len, false, now);
}

/*
 * A frame that wants no ACK (a file offer, by its transfer id): sent now
 * or when the connection opens, and handed back by id if it never does.
 */
int
client_peer_send_once(struct client_peer *p, const char *id, const char *frame,
    size_t len, uint64_t now)
{
	return msg_add(p, id, frame, len, true, now);
}

/*
 * Any other frame (RCPT, ACK, TYPING, a transfer's frames), header then
 * payload; -1 unless the connection is open.
 */
int
client_peer_send(struct client_peer *p, const char *hdr, size_t n,
    const void *payload, size_t m, uint64_t now)
{
	if (p->state != CLIENT_PEER_OPEN)
		return -1;
	p->last_used = now;
	return p->io.send_peer(p->io.arg, hdr, n, payload, m);
}
