/* SPDX-License-Identifier: MIT */
/*
 * The session's ways out: the relay connection and, in P2P mode, the
 * direct connections. What the outbox, the transfers and the P2P sockets
 * ask of the session is answered here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/p2p.h"
#include "client/session_int.h"
#include "client/store.h"
#include "net/conn.h"
#include "util/xmalloc.h"

/* Whether frames to the relay can go now (connected and logged in). */
bool
client_session_is_up(const struct client_session *s)
{
	return s->conn != NULL && s->me[0] != '\0';
}

/* Whether peer is shown online, so it may be reached directly. */
static bool
peer_online(struct client_session *s, const char *peer)
{
	struct client_contact *c = client_roster_find(s->roster, peer);

	return c != NULL && c->online;
}

/* --- the outbox ---------------------------------------------------------- */

/* The outbox sends by the relay. */
static int
ob_send_relay(void *arg, const char *p, size_t n)
{
	struct client_session *s = arg;

	return net_conn_write(s->conn, p, n);
}

/*
 * In P2P mode, a message to a peer shown online goes direct; not while
 * we have several devices, which learn it from the relay's carbon.
 */
static bool
ob_may_direct(void *arg, const char *to)
{
	struct client_session *s = arg;

	/* A room's message goes by the relay only, to its log. */
	return s->p2p != NULL && s->devcount <= 1 && to[0] != '#' &&
	    peer_online(s, to);
}

/* The outbox sends to the peer itself. */
static int
ob_send_direct(
    void *arg, const char *to, const char *id, const char *p, size_t n)
{
	struct client_session *s = arg;

	return client_p2p_send_msg(s->p2p, to, id, p, n);
}

/* A message settled or failed: the store, the conversation, the UI. */
static void
ob_settled(void *arg, const char *to, const char *id, enum client_msg_state st,
    bool direct)
{
	struct client_session *s = arg;

	client_store_set_state(s->store, to, id, st);
	if (direct) {
		client_store_set_direct(s->store, id);
		client_convos_set_direct(s->convos, to, id);
	}
	client_convos_set_state(s->convos, to, id, st);
	if (s->ev->on_msg_state != NULL)
		s->ev->on_msg_state(s->arg, id, st);
}

/* --- the transfers ------------------------------------------------------- */

/* A transfer's frame by its route: the direct connection, or the relay. */
static int
xio_send(void *arg, const struct client_xfer *x, const char *hdr, size_t n,
    const void *p, size_t m)
{
	struct client_session *s = arg;

	if (x->direct)
		return s->p2p != NULL
		    ? client_p2p_send(s->p2p, x->peer, hdr, n, p, m)
		    : -1;
	if (!client_session_is_up(s))
		return -1;
	return net_conn_write2(s->conn, hdr, n, p, m);
}

/* An offer; a direct one waits for its connection, or comes back to
 * client_xfers_direct_failed through p2p_fallback. */
static int
xio_offer(void *arg, const struct client_xfer *x, const char *frame, size_t n)
{
	struct client_session *s = arg;

	if (x->direct)
		return s->p2p != NULL
		    ? client_p2p_send_once(s->p2p, x->peer, x->id, frame, n)
		    : -1;
	return xio_send(arg, x, frame, n, NULL, 0);
}

/*
 * File data goes out only while the connection's queue is short, so a
 * chat message written meanwhile waits behind 256 KiB at most.
 */
static size_t
xio_room(void *arg, const struct client_xfer *x)
{
	struct client_session *s = arg;
	size_t out;

	if (x->direct)
		out = s->p2p != NULL ? client_p2p_out_len(s->p2p, x->peer)
		                     : SIZE_MAX;
	else if (!client_session_is_up(s))
		out = SIZE_MAX;
	else
		out = net_conn_out_len(s->conn);
	return out < 256 * 1024 ? 256 * 1024 - out : 0;
}

/* P2P: a file goes direct when a connection is open, or may be made to a
 * peer shown online (the relay is there to look it up), as messages do;
 * never while we have several devices. */
static bool
xio_direct(void *arg, const char *peer)
{
	struct client_session *s = arg;

	if (s->p2p == NULL || s->devcount > 1)
		return false;
	if (client_p2p_is_open(s->p2p, peer))
		return true;
	return s->state == CLIENT_ONLINE && peer_online(s, peer) &&
	    client_p2p_may_dial(s->p2p, peer);
}

/* Our name, for the transfers' frames. */
static const char *
xio_me(void *arg)
{
	return client_session_me(arg);
}

/* Whether the relay said peer is offline (its last USER line). */
static bool
xio_peer_away(void *arg, const char *peer)
{
	struct client_session *s = arg;
	struct client_contact *c = client_roster_find(s->roster, peer);

	return c != NULL && !c->online;
}

/* A transfer moved: tell the UI. */
static void
xio_changed(void *arg, const struct client_xfer *x)
{
	struct client_session *s = arg;

	if (s->ev->on_xfer != NULL)
		s->ev->on_xfer(s->arg, x);
}

/* The outbox and the transfers of s, wired to its ways out. */
void
client_links_init(struct client_session *s)
{
	const struct client_outbox_io oio = {
	    .arg = s,
	    .send_relay = ob_send_relay,
	    .may_direct = ob_may_direct,
	    .send_direct = ob_send_direct,
	    .settled = ob_settled,
	};
	const struct client_xfer_io xio = {
	    .arg = s,
	    .send = xio_send,
	    .offer = xio_offer,
	    .room = xio_room,
	    .direct = xio_direct,
	    .me = xio_me,
	    .peer_away = xio_peer_away,
	    .changed = xio_changed,
	};
	char dl[4096];

	s->outbox = client_outbox_new(&oio, s->cfg.window);
	if (s->cfg.download_dir != NULL && s->cfg.download_dir[0] != '\0')
		snprintf(dl, sizeof dl, "%s", s->cfg.download_dir);
	else
		client_default_download_dir(dl, sizeof dl);
	s->xfers = client_xfers_new(&xio, dl, s->cfg.max_file_size);
}

/* --- P2P mode: what the direct connections need of the session ------ */

/* A frame the direct connections need the relay to carry. */
static int
p2p_send_relay(void *arg, const char *p, size_t n)
{
	struct client_session *s = arg;

	/* Light: it goes once the connection is back. */
	if (s->light != NULL && client_light_hold(s, p, n))
		return 0;
	if (!client_session_is_up(s))
		return -1;
	return net_conn_write(s->conn, p, n);
}

/* The direct way did not work for this message: the relay carries it. */
static void
p2p_fallback(void *arg, const char *id)
{
	struct client_session *s = arg;

	/* Else a file offer, or a message settled meanwhile. */
	if (client_outbox_fallback(s->outbox, id) != 0)
		client_xfers_direct_failed(s->xfers, id);
}

/* Routed frames from a verified peer: chat and file transfers. */
static void
p2p_frame(void *arg, const struct proto_frame *fr)
{
	client_dispatch_frame(arg, fr, CLIENT_ROUTE_DIRECT);
}

/* The direct connection to peer ended: its transfers find another way. */
static void
p2p_lost(void *arg, const char *peer)
{
	struct client_session *s = arg;

	client_xfers_direct_lost(s->xfers, peer);
}

/* Our name, for the handshake. */
static const char *
p2p_me(void *arg)
{
	return ((struct client_session *)arg)->me;
}

/* A line for the log about the direct connections. */
static void
p2p_log(void *arg, const char *line)
{
	struct client_session *s = arg;

	if (s->ev->on_log != NULL)
		s->ev->on_log(s->arg, line);
}

/* The listener for peers and the direct connections of P2P mode. */
int
client_links_p2p(struct client_session *s, char *err, size_t errlen)
{
	const struct client_p2p_hooks h = {
	    .arg = s,
	    .send_relay = p2p_send_relay,
	    .fallback = p2p_fallback,
	    .lost = p2p_lost,
	    .frame = p2p_frame,
	    .me = p2p_me,
	    .log = p2p_log,
	};

	s->p2p = client_p2p_new(s->loop, s->cfg.p2p_port, &h, err, errlen);
	if (s->p2p != NULL && s->tls != NULL &&
	    client_p2p_tls(s->p2p, s->id, s->tls, err, errlen) != 0) {
		client_p2p_free(s->p2p);
		s->p2p = NULL;
	}
	return s->p2p != NULL ? 0 : -1;
}
