/* SPDX-License-Identifier: MIT */
/*
 * What arrives: a message is stored, shown, and confirmed with RCPT only
 * after the store has committed it (at the end of the loop turn); read
 * marks go out as RCPT|read once a connection is there. A receipt goes
 * back the way its message came. From another device of ours: carbons of
 * what it sent, and its read marks (docs/protocol.md "Several devices per
 * account").
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/p2p.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "proto/build.h"
#include "util/xmalloc.h"

/* Remember a receipt due to sender for id. */
static void
rcpt_due(struct client_rcpt **arr, size_t *n, size_t *cap, const char *to,
    const char *id, enum client_route route)
{
	XGROW(*arr, *cap, *n + 1, 64);
	snprintf((*arr)[*n].to, sizeof(*arr)[*n].to, "%s", to);
	snprintf((*arr)[*n].id, sizeof(*arr)[*n].id, "%s", id);
	(*arr)[*n].route = route;
	(*n)++;
}

/* Show a message that was added to a conversation, or came again. */
static void
emit_message(struct client_session *s, const struct client_msg *m, bool fresh)
{
	if (s->ev->on_message != NULL)
		s->ev->on_message(s->arg, m, fresh);
}

/* Store a message (the body is in s->body), then show it. */
static void
recv_store(struct client_session *s, const struct client_msg *m,
    enum client_route route)
{
	int fresh;

	fresh = client_store_add_incoming(
	    s->store, m->sender, m->id, m->ts, m->body, m->len);
	if (fresh < 0) {
		/* Not stored: no RCPT, so the relay keeps it for us. */
		client_session_emit_error(
		    s, "STORE", m->id, client_store_error(s->store));
		return;
	}
	rcpt_due(&s->rcpts, &s->nrcpts, &s->caprcpts, m->sender, m->id, route);
	if (fresh > 0) {
		client_convos_append(s->convos, m->sender, m);
		client_roster_add_unread(s->roster, m->sender);
	}
	emit_message(s, m, fresh > 0);
	if (fresh > 0 && strcasecmp(s->active, m->sender) == 0)
		client_session_mark_read(s, m->sender);
}

/*
 * A carbon: a message another device of ours sent (m->peer its
 * recipient). Stored as ours, shown in the conversation with its
 * recipient unless this data folder has it already (it sent it), and
 * always confirmed to the relay with RCPT|me|me|id|delivered.
 */
static void
recv_carbon(struct client_session *s, const struct client_msg *m)
{
	int fresh;

	fresh = client_store_add_carbon(
	    s->store, m->sender, m->peer, m->id, m->ts, m->body, m->len);
	if (fresh < 0) {
		client_session_emit_error(
		    s, "STORE", m->id, client_store_error(s->store));
		return;
	}
	rcpt_due(&s->rcpts, &s->nrcpts, &s->caprcpts, s->me, m->id,
	    CLIENT_ROUTE_RELAY);
	if (fresh > 0)
		client_convos_append(s->convos, m->peer, m);
	emit_message(s, m, fresh > 0);
}

/* A MSG for us, or (from the relay) a carbon of one we sent, by route. */
void
client_recv_msg(struct client_session *s, const struct proto_frame *fr,
    enum client_route route)
{
	struct proto_slice me = {s->me, strlen(s->me)};
	struct client_msg m;
	char from[PROTO_MAX_NAME + 1], to[PROTO_MAX_NAME + 1];
	char id[PROTO_MAX_ID + 1];
	bool carbon;
	size_t len;

	carbon = route == CLIENT_ROUTE_RELAY && proto_name_eq(fr->arg[0], me) &&
	    !proto_name_eq(fr->arg[1], me);
	if (!carbon && !proto_name_eq(fr->arg[1], me))
		return;
	if (proto_text_decode(fr->arg[4], s->body, sizeof s->body - 1, &len) !=
	    0)
		return;
	s->body[len] = '\0';
	snprintf(from, sizeof from, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	snprintf(to, sizeof to, "%.*s", (int)fr->arg[1].len, fr->arg[1].p);
	snprintf(id, sizeof id, "%.*s", (int)fr->arg[3].len, fr->arg[3].p);
	memset(&m, 0, sizeof m);
	m.peer = carbon ? to : from;
	m.sender = from;
	m.id = id;
	m.ts = proto_slice_u64(fr->arg[2]);
	m.body = s->body;
	m.len = len;
	m.outgoing = carbon;
	m.state = carbon ? CLIENT_MSG_STORED : CLIENT_MSG_RECEIVED;
	if (carbon)
		recv_carbon(s, &m);
	else
		recv_store(s, &m, route);
}

/*
 * RCPT|me|to|id|read from the relay: another device of ours read the
 * message (to, id). It is read here too, without a receipt of ours.
 * Anything else from our own name (a carbon's confirmation) is ignored.
 */
void
client_recv_read_mark(struct client_session *s, const struct proto_frame *fr)
{
	char peer[PROTO_MAX_NAME + 1], id[PROTO_MAX_ID + 1];
	struct client_contact *c;
	struct client_convo *cv;
	size_t i;

	if (proto_name_eq(
	        fr->arg[1], (struct proto_slice){s->me, strlen(s->me)}) ||
	    !proto_slice_eq(fr->arg[3], "read"))
		return;
	snprintf(peer, sizeof peer, "%.*s", (int)fr->arg[1].len, fr->arg[1].p);
	snprintf(id, sizeof id, "%.*s", (int)fr->arg[2].len, fr->arg[2].p);
	if (client_store_mark_seen(s->store, peer, id) <= 0)
		return; /* unknown here, or seen already */
	for (cv = client_convos_find(s->convos, peer),
	    i = cv != NULL ? cv->n : 0;
	     i > 0; i--) {
		if (!cv->e[i - 1].outgoing &&
		    strcmp(cv->e[i - 1].id, id) == 0 &&
		    strcasecmp(cv->e[i - 1].sender, peer) == 0) {
			cv->e[i - 1].state = CLIENT_MSG_SEEN;
			break;
		}
	}
	if ((c = client_roster_find(s->roster, peer)) != NULL) {
		if (c->unread > 0)
			c->unread--;
		if (s->ev->on_contact != NULL)
			s->ev->on_contact(s->arg, c);
	}
}

/*
 * A receipt, to the peer itself when the message came over a direct
 * connection (with the ACK the peer waits for: stored), else by the relay.
 */
static void
rcpt_send(
    struct client_session *s, const struct client_rcpt *r, const char *state)
{
	bool direct = r->route == CLIENT_ROUTE_DIRECT;
	size_t n = 0, k;

	/* With several devices a receipt of ours goes by the relay, which
	 * tells our other devices too (unless the peer waits for it). */
	if (s->p2p != NULL &&
	    (direct ||
	        (s->devcount <= 1 && client_p2p_is_open(s->p2p, r->to)))) {
		if (direct &&
		    proto_build_ack(s->buf, sizeof s->buf, &n, r->id) != 0)
			return;
		if (proto_build_rcpt(s->buf + n, sizeof s->buf - n, &k, s->me,
		        r->to, r->id, state) != 0)
			return;
		if (client_p2p_send(s->p2p, r->to, s->buf, n + k, NULL, 0) == 0)
			return;
	}
	/* The direct connection is gone: the relay forwards it as well. */
	if (client_session_is_up(s) &&
	    proto_build_rcpt(
	        s->buf, sizeof s->buf, &n, s->me, r->to, r->id, state) == 0)
		net_conn_write(s->conn, s->buf, n);
}

/* Send the RCPTs of messages stored this turn, and the read marks. */
void
client_recv_flush(struct client_session *s)
{
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		rcpt_send(s, &s->rcpts[i], "delivered");
	s->nrcpts = 0;
	/* Read receipts wait for a connection; they are only marks. */
	if (!client_session_is_up(s))
		return;
	for (i = 0; i < s->nreads; i++)
		rcpt_send(s, &s->reads[i], "read");
	s->nreads = 0;
}

/* A message now seen: its read receipt is due. */
static void
mark_one(void *arg, const struct client_msg *m)
{
	struct client_session *s = arg;

	rcpt_due(&s->reads, &s->nreads, &s->capreads, m->sender, m->id,
	    CLIENT_ROUTE_RELAY);
}

/* Everything from peer has been seen: tell the senders, clear the count. */
void
client_session_mark_read(struct client_session *s, const char *peer)
{
	struct client_convo *cv;
	size_t i, from = s->nreads;

	if (peer[0] == '#') {
		client_rooms_mark_read(s, peer);
		return;
	}
	if (client_store_unread_of(s->store, peer, mark_one, s) < 0)
		return;
	for (i = from; i < s->nreads; i++)
		client_store_mark_seen(
		    s->store, s->reads[i].to, s->reads[i].id);
	client_roster_set_unread(s->roster, peer, 0);
	if ((cv = client_convos_find(s->convos, peer)) != NULL) {
		for (i = 0; i < cv->n; i++) {
			if (!cv->e[i].outgoing &&
			    cv->e[i].state == CLIENT_MSG_RECEIVED)
				cv->e[i].state = CLIENT_MSG_SEEN;
		}
	}
}

/*
 * The messages from peer up to and including id (as its conversation has
 * them loaded) have been seen, not the ones after: their read receipts
 * are due and the unread count loses them.
 */
void
client_session_mark_read_upto(
    struct client_session *s, const char *peer, const char *id)
{
	struct client_contact *c = client_roster_find(s->roster, peer);
	struct client_convo *cv = client_convos_find(s->convos, peer);
	struct client_entry *e;
	size_t i, last;

	if (peer[0] == '#') {
		client_rooms_mark_read_upto(s, peer, id);
		return;
	}
	if (cv == NULL)
		return;
	for (last = cv->n; last > 0 && strcmp(cv->e[last - 1].id, id) != 0;)
		last--;
	for (i = 0; i < last; i++) {
		e = &cv->e[i];
		if (e->outgoing || e->state != CLIENT_MSG_RECEIVED ||
		    strcmp(e->sender, "*") == 0)
			continue;
		e->state = CLIENT_MSG_SEEN;
		rcpt_due(&s->reads, &s->nreads, &s->capreads, e->sender, e->id,
		    CLIENT_ROUTE_RELAY);
		client_store_mark_seen(s->store, e->sender, e->id);
		if (c != NULL && c->unread > 0)
			c->unread--;
	}
}

/*
 * The conversation the user is looking at: what arrives there is read at
 * once. NULL or "" for none.
 */
void
client_session_set_active(struct client_session *s, const char *peer)
{
	snprintf(s->active, sizeof s->active, "%s", peer != NULL ? peer : "");
	if (s->active[0] != '\0')
		client_session_mark_read(s, s->active);
}
