#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client/p2p.h"
#include "client/session.h"
#include "client/store.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/sock.h"
#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "proto/utf8.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define RETRY_MS 1000

/* A message of ours not yet confirmed (ACK stored or RCPT delivered). */
struct out_msg {
	struct out_msg *next, *prev;
	char id[PROTO_MAX_ID + 1];
	char to[PROTO_MAX_NAME + 1];
	uint64_t ts;
	char *body;
	size_t len;
	bool sent; /* on the current connection */
	bool direct; /* sent to the peer itself, not the relay */
	bool relay_only; /* the direct way failed: by the relay */
};

struct rcpt_due {
	char to[PROTO_MAX_NAME + 1];
	char id[PROTO_MAX_ID + 1];
	bool direct; /* the message came over a direct connection */
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
	struct net_timer reconnect, heartbeat, retry, kick;

	struct out_msg *out_head, *out_tail;
	struct util_map *out_by_id;
	size_t nout, inflight;
	size_t dinflight; /* sent on direct connections, not settled */

	struct rcpt_due *rcpts;
	size_t nrcpts, caprcpts;

	struct client_contact *contacts;
	size_t ncontacts, capcontacts;
	struct util_map *unread0; /* counts from before the USER lines */
	struct client_convos *convos;
	char active[PROTO_MAX_NAME + 1];
	struct rcpt_due *reads; /* RCPT|read waiting for a connection */
	size_t nreads, capreads;
	struct client_xfers *xfers;
	struct client_p2p *p2p; /* NULL unless in P2P mode */
	bool from_direct; /* the frame being handled came from a peer */
	/* P2P light: the relay connection is closed while idle, and ALIVE
	 * datagrams keep us online. */
	bool resting; /* light and without a relay connection */
	bool alive_wait; /* an ALIVE sent before resting, not answered */
	uint64_t alive_ms; /* ALIVE interval: ours or the relay's, shorter */
	uint64_t last_work; /* last frame other than a heartbeat */
	int ufd;
	struct net_watch *uw;
	struct net_timer alive, rest;
	char *pending_relay; /* frames for the relay while resting */
	size_t npending_relay;

	char buf[PROTO_MAX_FRAME + 64];
	char body[PROTO_MAX_BODY + 1];
};

static void session_connect(struct client_session *);
static struct client_contact *contact_find(
    struct client_session *, const char *);
static void session_lost(struct client_session *, const char *, bool);
static void alive_learn(struct client_session *, struct proto_slice);

/* Default settings: the standard port, 15 s heartbeats, reconnecting. */
void
client_config_defaults(struct client_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->host = "127.0.0.1";
	cfg->port = PROTO_DEFAULT_PORT;
	cfg->password = "";
	cfg->heartbeat_s = 15;
	cfg->window = 256;
	cfg->reconnect = true;
}

/* A word for a connection state, for status lines and logs. */
const char *
client_state_name(enum client_conn_state st)
{
	switch (st) {
	case CLIENT_OFFLINE:
		return "offline";
	case CLIENT_CONNECTING:
		return "connecting";
	case CLIENT_LOGGING_IN:
		return "logging in";
	case CLIENT_ONLINE:
		return "connected";
	case CLIENT_WAITING:
		return "reconnecting";
	case CLIENT_FAILED:
		return "failed";
	}
	return "?";
}

static void
set_state(struct client_session *s, enum client_conn_state st,
    const char *detail, uint64_t retry_ms)
{
	s->state = st;
	if (s->ev->on_state != NULL)
		s->ev->on_state(s->arg, st, detail, retry_ms);
}

static void
emit_error(struct client_session *s, const char *code, const char *ref,
    const char *text)
{
	if (s->ev->on_error != NULL)
		s->ev->on_error(s->arg, code, ref, text);
}

static void
emit_msg_state(
    struct client_session *s, const char *id, enum client_msg_state st)
{
	if (s->ev->on_msg_state != NULL)
		s->ev->on_msg_state(s->arg, id, st);
}

/* --- the outbox ---------------------------------------------------------- */

static struct out_msg *
out_add(struct client_session *s, const char *id, const char *to, uint64_t ts,
    const char *body, size_t len)
{
	struct out_msg *m;

	m = xcalloc(1, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", id);
	snprintf(m->to, sizeof m->to, "%s", to);
	m->ts = ts;
	m->body = xmemdup(body, len);
	m->len = len;
	m->prev = s->out_tail;
	if (s->out_tail != NULL)
		s->out_tail->next = m;
	else
		s->out_head = m;
	s->out_tail = m;
	util_map_set(s->out_by_id, m->id, strlen(m->id), m);
	s->nout++;
	return m;
}

static void
out_remove(struct client_session *s, struct out_msg *m)
{
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		s->out_head = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		s->out_tail = m->prev;
	util_map_remove(s->out_by_id, m->id, strlen(m->id));
	if (m->sent && !m->direct)
		s->inflight--;
	else if (m->sent)
		s->dinflight--;
	s->nout--;
	free(m->body);
	free(m);
}

static struct out_msg *
out_find(struct client_session *s, struct proto_slice id)
{
	return util_map_get(s->out_by_id, id.p, id.len);
}

static void
load_outbox(void *arg, const struct client_msg *m)
{
	out_add(arg, m->id, m->peer, m->ts, m->body, m->len);
}

static void
load_unread(void *arg, const char *peer, unsigned n)
{
	struct client_session *s = arg;

	util_map_set(s->unread0, peer, strlen(peer), (void *)(uintptr_t)n);
}

/*
 * Send what the window allows, oldest first, on a logged-in connection; in
 * P2P mode a message to a peer who is online goes to the peer itself,
 * outside the relay's window.
 */
static void
out_pump(struct client_session *s)
{
	struct out_msg *m, *next;
	struct client_contact *c;
	size_t n;

	if (s->conn == NULL || s->me[0] == '\0')
		return;
	for (m = s->out_head; m != NULL; m = next) {
		next = m->next;
		if (m->sent)
			continue;
		if (proto_build_msg(s->buf, sizeof s->buf, &n, s->me, m->to,
		        m->ts, m->id, m->body, m->len) != 0 ||
		    n > s->max_frame) {
			/* It cannot be framed now, and never will be. */
			client_store_set_state(
			    s->store, m->id, CLIENT_MSG_FAILED);
			client_convos_set_state(
			    s->convos, m->to, m->id, CLIENT_MSG_FAILED);
			emit_msg_state(s, m->id, CLIENT_MSG_FAILED);
			out_remove(s, m);
			continue;
		}
		if (s->p2p != NULL && !m->relay_only &&
		    (c = contact_find(s, m->to)) != NULL && c->online) {
			/* Direct sends have a window of their own. */
			if (s->dinflight >= s->cfg.window)
				continue;
			if (client_p2p_send_msg(
			        s->p2p, m->to, m->id, s->buf, n) == 0) {
				m->sent = true;
				m->direct = true;
				s->dinflight++;
				continue;
			}
		}
		if (s->inflight >= s->cfg.window)
			continue;
		if (net_conn_write(s->conn, s->buf, n) != 0)
			break;
		m->sent = true;
		m->direct = false;
		s->inflight++;
	}
}

/*
 * A receipt, to the peer itself when the message came over a direct
 * connection (with the ACK the peer waits for: stored), else by the relay.
 */
static void
rcpt_send(struct client_session *s, const struct rcpt_due *r, bool direct,
    const char *state)
{
	size_t n = 0, k;

	if (s->p2p != NULL && (direct || client_p2p_is_open(s->p2p, r->to))) {
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
	if (s->conn != NULL && s->me[0] != '\0' &&
	    proto_build_rcpt(
	        s->buf, sizeof s->buf, &n, s->me, r->to, r->id, state) == 0)
		net_conn_write(s->conn, s->buf, n);
}

/* Send the RCPTs of messages stored this turn. */
static void
rcpt_flush(struct client_session *s)
{
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		rcpt_send(s, &s->rcpts[i], s->rcpts[i].direct, "delivered");
	s->nrcpts = 0;
	/* Read receipts wait for a connection; they are only marks. */
	if (s->conn == NULL || s->me[0] == '\0')
		return;
	for (i = 0; i < s->nreads; i++)
		rcpt_send(s, &s->reads[i], false, "read");
	s->nreads = 0;
}

/*
 * End of a loop turn: commit the store first; only then confirm what was
 * received and send what was written, so nothing leaves before it is safe.
 */
static void
session_turn_end(struct net_loop *loop, void *arg)
{
	struct client_session *s = arg;

	(void)loop;
	if (client_store_in_txn(s->store) &&
	    client_store_commit(s->store) != 0) {
		emit_error(s, "STORE", "-", client_store_error(s->store));
		s->nrcpts = 0;
		return;
	}
	rcpt_flush(s);
	out_pump(s);
	client_xfers_pump(s->xfers, net_loop_now(s->loop));
	/* Hashing goes on in slices: come back at once for the next. */
	if (client_xfers_has_work(s->xfers) && !net_timer_is_active(&s->kick))
		net_timer_start(s->loop, &s->kick, 0);
}

/* --- incoming frames ------------------------------------------------------ */

static struct client_contact *
contact_find(struct client_session *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncontacts; i++) {
		if (strcasecmp(s->contacts[i].name, name) == 0)
			return &s->contacts[i];
	}
	return NULL;
}

static void
contact_set(struct client_session *s, struct proto_slice name, bool online,
    uint64_t seen)
{
	struct client_contact *c = NULL;
	size_t i;

	for (i = 0; i < s->ncontacts; i++) {
		struct proto_slice n = {
		    s->contacts[i].name, strlen(s->contacts[i].name)};
		if (proto_name_eq(n, name)) {
			c = &s->contacts[i];
			break;
		}
	}
	if (c == NULL) {
		if (s->ncontacts == s->capcontacts) {
			s->capcontacts =
			    s->capcontacts ? s->capcontacts * 2 : 16;
			s->contacts = xreallocarray(
			    s->contacts, s->capcontacts, sizeof *s->contacts);
		}
		c = &s->contacts[s->ncontacts++];
		memset(c, 0, sizeof *c);
		memcpy(c->name, name.p, name.len);
		c->name[name.len] = '\0';
		c->unread = (unsigned)(uintptr_t)util_map_remove(
		    s->unread0, c->name, name.len);
	}
	if (online && !c->online) {
		c->online = true;
		/* Back online: perhaps reachable again, on a new port. */
		if (s->p2p != NULL)
			client_p2p_forget_failure(s->p2p, c->name);
		client_xfers_peer_online(s->xfers, c->name);
	}
	c->online = online;
	c->last_seen = seen;
	if (s->ev->on_contact != NULL)
		s->ev->on_contact(s->arg, c);
}

static void
on_msg(struct client_session *s, const struct proto_frame *fr)
{
	struct client_msg m;
	char from[PROTO_MAX_NAME + 1], id[PROTO_MAX_ID + 1];
	size_t len;
	int fresh;

	if (!proto_name_eq(
	        fr->arg[1], (struct proto_slice){s->me, strlen(s->me)}))
		return;
	if (proto_text_decode(fr->arg[4], s->body, sizeof s->body - 1, &len) !=
	    0)
		return;
	s->body[len] = '\0';
	memcpy(from, fr->arg[0].p, fr->arg[0].len);
	from[fr->arg[0].len] = '\0';
	memcpy(id, fr->arg[3].p, fr->arg[3].len);
	id[fr->arg[3].len] = '\0';
	fresh = client_store_add_incoming(
	    s->store, from, id, proto_slice_u64(fr->arg[2]), s->body, len);
	if (fresh < 0) {
		/* Not stored: no RCPT, so the relay keeps it for us. */
		emit_error(s, "STORE", id, client_store_error(s->store));
		return;
	}
	if (s->nrcpts == s->caprcpts) {
		s->caprcpts = s->caprcpts ? s->caprcpts * 2 : 64;
		s->rcpts =
		    xreallocarray(s->rcpts, s->caprcpts, sizeof *s->rcpts);
	}
	memcpy(s->rcpts[s->nrcpts].to, from, sizeof from);
	memcpy(s->rcpts[s->nrcpts].id, id, sizeof id);
	s->rcpts[s->nrcpts].direct = s->from_direct;
	s->nrcpts++;
	memset(&m, 0, sizeof m);
	m.peer = from;
	m.sender = from;
	m.id = id;
	m.ts = proto_slice_u64(fr->arg[2]);
	m.body = s->body;
	m.len = len;
	m.outgoing = false;
	m.state = CLIENT_MSG_RECEIVED;
	if (fresh > 0) {
		struct client_contact *c = contact_find(s, from);
		client_convos_append(s->convos, from, &m);
		if (c != NULL)
			c->unread++;
	}
	if (s->ev->on_message != NULL)
		s->ev->on_message(s->arg, &m, fresh > 0);
	if (fresh > 0 && strcasecmp(s->active, from) == 0)
		client_session_mark_read(s, from);
}

static void
settle(struct client_session *s, struct proto_slice idslice,
    enum client_msg_state st)
{
	char id[PROTO_MAX_ID + 1];
	struct out_msg *m;

	memcpy(id, idslice.p, idslice.len);
	id[idslice.len] = '\0';
	client_store_set_state(s->store, id, st);
	if ((m = out_find(s, idslice)) != NULL) {
		/* Confirmed by the peer itself: it went direct. */
		if (m->direct && s->from_direct) {
			client_store_set_direct(s->store, id);
			client_convos_set_direct(s->convos, m->to, id);
		}
		client_convos_set_state(s->convos, m->to, id, st);
		out_remove(s, m);
	} else
		client_convos_set_state(s->convos, NULL, id, st);
	emit_msg_state(s, id, st);
}

static void
on_err(struct client_session *s, const struct proto_frame *fr)
{
	char code[40], ref[PROTO_MAX_ID + 1], text[PROTO_MAX_TEXT + 1];
	struct out_msg *m = NULL;
	size_t len = 0;

	snprintf(code, sizeof code, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	snprintf(ref, sizeof ref, "%.*s",
	    fr->nargs > 1 ? (int)fr->arg[1].len : 1,
	    fr->nargs > 1 ? fr->arg[1].p : "-");
	if (fr->nargs < 3 ||
	    proto_text_decode(fr->arg[2], text, sizeof text - 1, &len) != 0)
		len = 0;
	text[len] = '\0';

	if (fr->nargs > 1)
		m = out_find(s, fr->arg[1]);
	if (m == NULL && fr->nargs > 1 &&
	    client_xfers_find(s->xfers, ref) != NULL) {
		client_xfers_error(s->xfers, ref, code, text);
		emit_error(s, code, ref, text);
		return;
	}
	if (m != NULL) {
		if (strcmp(code, "RATE_LIMIT") == 0 ||
		    strcmp(code, "INTERNAL") == 0) {
			/* Worth another try in a moment. */
			m->sent = false;
			s->inflight--;
			net_timer_start(s->loop, &s->retry, RETRY_MS);
		} else {
			client_store_set_state(
			    s->store, m->id, CLIENT_MSG_FAILED);
			client_convos_set_state(
			    s->convos, m->to, m->id, CLIENT_MSG_FAILED);
			emit_msg_state(s, m->id, CLIENT_MSG_FAILED);
			out_remove(s, m);
		}
		emit_error(s, code, ref, text);
		return;
	}
	emit_error(s, code, ref, text);
	if (s->me[0] != '\0')
		return;
	/* Refused at login. A stale token: log in afresh at once. A name
	 * still held by our own previous connection (the relay has not
	 * noticed it died): try again later. Anything else is final. */
	if (s->resuming && strcmp(code, "AUTH_FAILED") == 0) {
		s->token[0] = '\0';
		s->failures = 0;
		session_lost(s, "session expired; logging in again", true);
	} else if (strcmp(code, "NAME_IN_USE") == 0)
		session_lost(s, text[0] != '\0' ? text : code, true);
	else if (strcmp(code, "AUTH_FAILED") == 0 ||
	    strcmp(code, "BAD_NAME") == 0 || strcmp(code, "BAD_FIELD") == 0 ||
	    strcmp(code, "BAD_FRAME") == 0)
		session_lost(s, text[0] != '\0' ? text : code, false);
}

static void
handle(struct client_session *s, const struct proto_frame *fr)
{
	size_t n;

	if (fr->verb != PROTO_V_PONG && fr->verb != PROTO_V_PING)
		s->last_work = net_loop_now(s->loop);
	if (s->p2p != NULL && !s->from_direct &&
	    client_p2p_relay_frame(s->p2p, fr))
		return;
	switch (fr->verb) {
	case PROTO_V_WELCOME:
		snprintf(s->me, sizeof s->me, "%.*s", (int)fr->arg[0].len,
		    fr->arg[0].p);
		snprintf(s->token, sizeof s->token, "%.*s", (int)fr->arg[1].len,
		    fr->arg[1].p);
		s->max_frame = proto_slice_u64(fr->arg[2]);
		if (s->max_frame < PROTO_MIN_FRAME)
			s->max_frame = PROTO_MIN_FRAME;
		s->failures = 0;
		break;
	case PROTO_V_USER:
		contact_set(s, fr->arg[0], proto_slice_eq(fr->arg[1], "online"),
		    proto_slice_u64(fr->arg[2]));
		break;
	case PROTO_V_SYNCED:
		set_state(s, CLIENT_ONLINE, NULL, 0);
		/* Light: learn the relay's heartbeat, which ALIVE must keep. */
		if (s->cfg.light)
			net_conn_write(s->conn, "STATS\n", 6);
		if (s->npending_relay > 0) {
			net_conn_write(
			    s->conn, s->pending_relay, s->npending_relay);
			s->npending_relay = 0;
		}
		client_xfers_online(s->xfers, true);
		if (s->ev->on_synced != NULL)
			s->ev->on_synced(s->arg);
		break;
	case PROTO_V_MSG:
		on_msg(s, fr);
		break;
	case PROTO_V_ACK:
		settle(s, fr->arg[0], CLIENT_MSG_STORED);
		break;
	case PROTO_V_RCPT:
		settle(s, fr->arg[2],
		    proto_slice_eq(fr->arg[3], "read") ? CLIENT_MSG_READ
		                                       : CLIENT_MSG_DELIVERED);
		break;
	case PROTO_V_PING:
		memcpy(s->buf, "PONG", 4);
		memcpy(s->buf + 4, fr->raw + 4, fr->hdrlen - 4);
		net_conn_write(s->conn, s->buf, fr->hdrlen);
		break;
	case PROTO_V_BYE:
		n = fr->arg[0].len;
		snprintf(s->buf, 128, "the relay said bye: %.*s", (int)n,
		    fr->arg[0].p);
		session_lost(
		    s, s->buf, !proto_slice_eq(fr->arg[0], "replaced"));
		break;
	case PROTO_V_ERR:
		on_err(s, fr);
		break;
	case PROTO_V_STATS:
		if (s->cfg.light && fr->nargs == 1)
			alive_learn(s, fr->arg[0]);
		break;
	case PROTO_V_TYPING:
		if (s->ev->on_typing != NULL &&
		    proto_name_eq(fr->arg[1],
		        (struct proto_slice){s->me, strlen(s->me)})) {
			char from[PROTO_MAX_NAME + 1];
			snprintf(from, sizeof from, "%.*s", (int)fr->arg[0].len,
			    fr->arg[0].p);
			s->ev->on_typing(
			    s->arg, from, proto_slice_eq(fr->arg[2], "on"));
		}
		break;
	default:
		/* File frames addressed to us; PONG needs nothing. */
		if (proto_verb_is_file(fr->verb) &&
		    proto_name_eq(
		        fr->arg[1], (struct proto_slice){s->me, strlen(s->me)}))
			client_xfers_frame(s->xfers, fr, s->from_direct);
		break;
	}
}

static void
session_read(struct net_conn *c, void *arg)
{
	struct client_session *s = arg;
	struct proto_frame fr;
	struct proto_error err;
	const char *p;
	size_t len, used, done = 0;
	enum proto_status st;

	p = net_conn_input(c, &len);
	s->last_in = net_loop_now(s->loop);
	while (s->conn == c && done < len) {
		st = proto_decoder_next(
		    &s->dec, p + done, len - done, &fr, &err, &used);
		if (st == PROTO_NEED_MORE)
			break;
		if (st == PROTO_ERROR) {
			if (err.fatal) {
				session_lost(s, err.text, true);
				return;
			}
		} else
			handle(s, &fr);
		done += used;
	}
	if (s->conn == c)
		net_conn_consume(c, done);
}

static void
session_connected(struct net_conn *c, void *arg)
{
	struct client_session *s = arg;
	struct proto_writer w;
	size_t n;

	set_state(s, CLIENT_LOGGING_IN, NULL, 0);
	proto_writer_init(&w, s->buf, sizeof s->buf);
	/* With a token from the last session, RESUME: it takes over a
	 * connection the relay still believes alive, without the password. */
	s->resuming = s->token[0] != '\0';
	if (s->resuming) {
		proto_writer_begin(&w, PROTO_V_RESUME);
		proto_writer_u64(&w, PROTO_VERSION);
		proto_writer_str(&w, s->user);
		proto_writer_str(&w, s->token);
	} else {
		proto_writer_begin(&w, PROTO_V_LOGIN);
		proto_writer_u64(&w, PROTO_VERSION);
		proto_writer_str(&w, s->user);
		proto_writer_b64(&w, s->password, strlen(s->password));
	}
	proto_writer_u64(&w, s->p2p != NULL ? client_p2p_port(s->p2p) : 0);
	if (proto_writer_end(&w, &n) == 0)
		net_conn_write(c, s->buf, n);
	s->last_in = net_loop_now(s->loop);
}

static void
session_closed(struct net_conn *c, void *arg, const char *why)
{
	struct client_session *s = arg;

	(void)c;
	s->conn = NULL;
	session_lost(s, why, true);
}

static const struct net_conn_cb session_cb = {
    .on_read = session_read,
    .on_connect = session_connected,
    .on_close = session_closed,
};

/* The connection ended: retry later, or give up when retry is false. */
static void
session_lost(struct client_session *s, const char *why, bool retry)
{
	struct out_msg *m;
	uint64_t delay;
	unsigned shift;

	if (s->conn != NULL) {
		net_conn_close(s->conn, true);
		s->conn = NULL;
	}
	s->me[0] = '\0';
	s->nrcpts = 0;
	client_xfers_online(s->xfers, false);
	for (m = s->out_head; m != NULL; m = m->next) {
		/* Those with a peer are the peer connection's to settle. */
		if (!m->direct)
			m->sent = false;
	}
	s->inflight = 0;
	net_timer_stop(s->loop, &s->heartbeat);
	if (!retry || !s->cfg.reconnect) {
		set_state(s, retry ? CLIENT_OFFLINE : CLIENT_FAILED, why, 0);
		return;
	}
	if (s->failures == 0 && s->token[0] == '\0' && s->resuming) {
		/* A stale token: log in again at once. */
		s->resuming = false;
		set_state(s, CLIENT_WAITING, why, 0);
		net_timer_start(s->loop, &s->reconnect, 0);
		return;
	}
	shift = s->failures < 6 ? s->failures : 6;
	delay = (uint64_t)BACKOFF_MIN_MS << shift;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	delay += randombytes_uniform((uint32_t)(delay / 4 + 1));
	s->failures++;
	set_state(s, CLIENT_WAITING, why, delay);
	net_timer_start(s->loop, &s->reconnect, delay);
}

static void
session_connect(struct client_session *s)
{
	char err[256];

	set_state(s, CLIENT_CONNECTING, NULL, 0);
	proto_decoder_init(&s->dec, PROTO_MAX_FRAME);
	s->max_frame = PROTO_MAX_FRAME;
	s->conn = net_conn_connect(
	    s->loop, s->host, s->cfg.port, &session_cb, s, err, sizeof err);
	if (s->conn == NULL) {
		session_lost(s, err, true);
		return;
	}
	s->last_in = net_loop_now(s->loop);
	net_timer_start(
	    s->loop, &s->heartbeat, (uint64_t)s->cfg.heartbeat_s * 1000);
}

static void
reconnect_timer(struct net_timer *t, void *arg)
{
	(void)t;
	session_connect(arg);
}

/* Ping every interval; a relay silent for three is gone. */
static void
heartbeat_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;
	uint64_t iv = (uint64_t)s->cfg.heartbeat_s * 1000;
	int n;

	if (s->conn == NULL)
		return;
	if (net_loop_now(s->loop) - s->last_in > 3 * iv) {
		session_lost(s, "the relay stopped answering", true);
		return;
	}
	n = snprintf(s->buf, 64, "PING|%llu\n",
	    (unsigned long long)net_loop_now(s->loop));
	net_conn_write(s->conn, s->buf, (size_t)n);
	net_timer_start(s->loop, t, iv);
}

static void
kick_timer(struct net_timer *t, void *arg)
{
	/* Nothing to do here: the turn it ends pumps the transfers. */
	(void)t;
	(void)arg;
}

static void
retry_timer(struct net_timer *t, void *arg)
{
	(void)t;
	out_pump(arg);
}

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
	if (s->conn == NULL || s->me[0] == '\0')
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
	else if (s->conn == NULL || s->me[0] == '\0')
		out = SIZE_MAX;
	else
		out = net_conn_out_len(s->conn);
	return out < 256 * 1024 ? 256 * 1024 - out : 0;
}

/* P2P: a file goes direct when a connection is open, or may be made to a
 * peer shown online (the relay is there to look it up), as messages do. */
static bool
xio_direct(void *arg, const char *peer)
{
	struct client_session *s = arg;
	struct client_contact *c;

	if (s->p2p == NULL)
		return false;
	if (client_p2p_is_open(s->p2p, peer))
		return true;
	return s->state == CLIENT_ONLINE &&
	    (c = contact_find(s, peer)) != NULL && c->online &&
	    client_p2p_may_dial(s->p2p, peer);
}

static const char *
xio_me(void *arg)
{
	return client_session_me(arg);
}

static void
xio_changed(void *arg, const struct client_xfer *x)
{
	struct client_session *s = arg;

	if (s->ev->on_xfer != NULL)
		s->ev->on_xfer(s->arg, x);
}

/* --- P2P light mode ------------------------------------------------------ */

#define REST_CHECK_MS 500
#define REST_AFTER_MS 1000 /* quiet this long before closing */

static void
alive_send(struct client_session *s)
{
	int n;

	if (s->me[0] == '\0' || s->token[0] == '\0')
		return;
	n = snprintf(s->buf, 200, "ALIVE|%s|%s\n", s->me, s->token);
	(void)net_udp_sendto(
	    s->ufd, s->host, (uint16_t)s->cfg.port, s->buf, (size_t)n);
}

/* Open a relay connection again: something needs the relay. */
static void
light_wake(struct client_session *s)
{
	if (!s->resting)
		return;
	s->resting = false;
	s->alive_wait = false;
	session_connect(s);
}

static bool
light_idle(struct client_session *s)
{
	return s->state == CLIENT_ONLINE && s->conn != NULL && s->nout == 0 &&
	    s->nrcpts == 0 && s->nreads == 0 && s->npending_relay == 0 &&
	    !client_p2p_is_busy(s->p2p) && !client_xfers_open(s->xfers) &&
	    net_loop_now(s->loop) - s->last_work >= REST_AFTER_MS;
}

/* Close the relay connection; ALIVE keeps our presence meanwhile. */
static void
light_rest(struct client_session *s)
{
	s->alive_wait = false;
	if (!light_idle(s))
		return;
	net_conn_close(s->conn, true);
	s->conn = NULL;
	s->resting = true;
	client_xfers_online(s->xfers, false);
	net_timer_stop(s->loop, &s->heartbeat);
}

static void
rest_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;

	/* Messages, read marks or a file to send: back to the relay. */
	if (s->resting &&
	    (s->nout > 0 || s->nreads > 0 || client_xfers_busy(s->xfers)))
		light_wake(s);
	/* First an ALIVE, so the relay keeps us online when we leave;
	 * again each tick until its answer comes (a datagram may be lost). */
	if (!s->resting && light_idle(s)) {
		s->alive_wait = true;
		alive_send(s);
	}
	net_timer_start(s->loop, t, REST_CHECK_MS);
}

static void
alive_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;

	if (s->resting)
		alive_send(s);
	net_timer_start(s->loop, t, s->alive_ms);
}

/*
 * The relay's STATS: its heartbeat_s is the interval whose three misses
 * make us offline, so ALIVE goes at least that often.
 */
static void
alive_learn(struct client_session *s, struct proto_slice b64)
{
	char kv[2048];
	const char *p;
	size_t n;
	uint64_t ms;

	if (proto_b64_decode(b64.p, b64.len, kv, sizeof kv - 1, &n) != 0)
		return;
	kv[n] = '\0';
	if ((p = strstr(kv, "\nheartbeat_s=")) == NULL)
		return;
	ms = strtoull(p + 13, NULL, 10) * 1000;
	if (ms > 0 && ms < s->alive_ms) {
		s->alive_ms = ms;
		net_timer_start(s->loop, &s->alive, ms);
	}
}

/* The relay's answers: ALIVE|pending, or ERR when our token is stale. */
static void
light_read(struct net_watch *w, short revents, void *arg)
{
	struct client_session *s = arg;
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct proto_frame fr;
	struct proto_error err;
	char buf[512];
	ssize_t n;

	(void)w;
	(void)revents;
	while ((n = net_udp_recvfrom(
	            s->ufd, buf, sizeof buf - 1, &from, &fromlen)) > 0) {
		if (buf[n - 1] != '\n')
			buf[n++] = '\n';
		if (proto_frame_parse(buf, (size_t)n, &fr, &err) != PROTO_FRAME)
			continue;
		if (fr.verb == PROTO_V_ALIVE && fr.nargs == 1) {
			if (s->alive_wait)
				light_rest(s);
			else if (s->resting && proto_slice_u64(fr.arg[0]) > 0)
				light_wake(s); /* something waits for us */
		} else if (fr.verb == PROTO_V_ERR && s->resting) {
			/* Our light presence lapsed: log in again. */
			s->token[0] = '\0';
			light_wake(s);
		}
	}
}

/* --- P2P mode: what the direct connections need of the session ------ */

static int
p2p_send_relay(void *arg, const char *p, size_t n)
{
	struct client_session *s = arg;

	if (s->resting ||
	    (s->cfg.light && s->conn != NULL && s->state != CLIENT_ONLINE)) {
		/* Light: it goes once the connection is back. */
		s->pending_relay =
		    xrealloc(s->pending_relay, s->npending_relay + n);
		memcpy(s->pending_relay + s->npending_relay, p, n);
		s->npending_relay += n;
		light_wake(s);
		return 0;
	}
	if (s->conn == NULL || s->me[0] == '\0')
		return -1;
	return net_conn_write(s->conn, p, n);
}

/* The direct way did not work for this message: the relay carries it. */
static void
p2p_fallback(void *arg, const char *id)
{
	struct client_session *s = arg;
	struct out_msg *m;

	m = util_map_get(s->out_by_id, id, strlen(id));
	if (m == NULL) {
		/* A file offer, else a message settled meanwhile. */
		client_xfers_direct_failed(s->xfers, id);
		return;
	}
	m->relay_only = true;
	if (m->direct && m->sent) {
		m->sent = false;
		m->direct = false;
		s->dinflight--;
	}
}

/* Routed frames from a verified peer: chat and file transfers. */
static void
p2p_frame(void *arg, const struct proto_frame *fr)
{
	struct client_session *s = arg;

	s->from_direct = true;
	handle(s, fr);
	s->from_direct = false;
}

/* The direct connection to peer ended: its transfers find another way. */
static void
p2p_lost(void *arg, const char *peer)
{
	struct client_session *s = arg;

	client_xfers_direct_lost(s->xfers, peer);
}

static const char *
p2p_me(void *arg)
{
	return ((struct client_session *)arg)->me;
}

/* $XDG_DOWNLOAD_DIR/termgram, else ~/Downloads/termgram. */
void
client_default_download_dir(char *out, size_t len)
{
	const char *d = getenv("XDG_DOWNLOAD_DIR"), *home = getenv("HOME");

	if (d != NULL && *d == '/')
		snprintf(out, len, "%s/termgram", d);
	else
		snprintf(out, len, "%s/Downloads/termgram",
		    home != NULL && *home != '\0' ? home : ".");
}

/* Open the local store and load the outbox; call start to connect. */
struct client_session *
client_session_new(struct net_loop *loop, const struct client_config *cfg,
    const struct client_events *ev, void *arg, char *err, size_t errlen)
{
	static const struct client_events none;
	struct client_session *s;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return NULL;
	}
	if (!proto_is_name(cfg->user, strlen(cfg->user))) {
		snprintf(err, errlen,
		    "'%s' is not a valid name: 1-32 of "
		    "A-Z a-z 0-9 _ . -",
		    cfg->user);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->cfg = *cfg;
	if (s->cfg.window == 0)
		s->cfg.window = 1;
	if (s->cfg.heartbeat_s == 0)
		s->cfg.heartbeat_s = 15;
	s->host = xstrdup(cfg->host);
	s->user = xstrdup(cfg->user);
	s->password = xstrdup(cfg->password != NULL ? cfg->password : "");
	s->data_dir = xstrdup(cfg->data_dir);
	s->ev = ev != NULL ? ev : &none;
	s->arg = arg;
	s->out_by_id = util_map_new();
	s->max_frame = PROTO_MAX_FRAME;
	net_timer_init(&s->reconnect, reconnect_timer, s);
	net_timer_init(&s->heartbeat, heartbeat_timer, s);
	net_timer_init(&s->retry, retry_timer, s);
	net_timer_init(&s->kick, kick_timer, s);
	s->unread0 = util_map_new();
	s->store = client_store_open(s->data_dir, err, errlen);
	if (s->store == NULL ||
	    client_store_outbox(s->store, load_outbox, s) < 0 ||
	    client_store_unread_counts(s->store, load_unread, s) < 0) {
		if (s->store != NULL)
			snprintf(
			    err, errlen, "%s", client_store_error(s->store));
		client_session_free(s);
		return NULL;
	}
	s->convos = client_convos_new(s->store);
	{
		struct client_xfer_io io = {
		    .arg = s,
		    .send = xio_send,
		    .offer = xio_offer,
		    .room = xio_room,
		    .direct = xio_direct,
		    .me = xio_me,
		    .changed = xio_changed,
		};
		char dl[4096];

		if (cfg->download_dir != NULL && cfg->download_dir[0] != '\0')
			snprintf(dl, sizeof dl, "%s", cfg->download_dir);
		else
			client_default_download_dir(dl, sizeof dl);
		s->xfers = client_xfers_new(&io, dl, cfg->max_file_size);
	}
	s->ufd = -1;
	if (cfg->p2p || cfg->light) {
		static const struct client_p2p_hooks hooks = {
		    .send_relay = p2p_send_relay,
		    .fallback = p2p_fallback,
		    .lost = p2p_lost,
		    .frame = p2p_frame,
		    .me = p2p_me,
		};
		struct client_p2p_hooks h = hooks;

		h.arg = s;
		s->p2p = client_p2p_new(loop, cfg->p2p_port, &h, err, errlen);
		if (s->p2p == NULL) {
			client_session_free(s);
			return NULL;
		}
	}
	if (cfg->light) {
		s->cfg.p2p = true;
		if ((s->ufd = net_udp_socket(AF_INET)) == -1) {
			snprintf(err, errlen, "no UDP socket for ALIVE: %s",
			    strerror(errno));
			client_session_free(s);
			return NULL;
		}
		s->uw = net_loop_add_fd(loop, s->ufd, POLLIN, light_read, s);
		net_timer_init(&s->rest, rest_timer, s);
		net_timer_init(&s->alive, alive_timer, s);
		s->alive_ms = (uint64_t)s->cfg.heartbeat_s * 1000;
		net_timer_start(loop, &s->rest, REST_CHECK_MS);
		net_timer_start(loop, &s->alive, s->alive_ms);
	}
	net_loop_set_turn_hook(loop, session_turn_end, s);
	return s;
}

/* Close everything; the outbox stays on disk for next time. */
void
client_session_free(struct client_session *s)
{
	if (s == NULL)
		return;
	net_loop_set_turn_hook(s->loop, NULL, NULL);
	net_timer_stop(s->loop, &s->reconnect);
	net_timer_stop(s->loop, &s->heartbeat);
	net_timer_stop(s->loop, &s->retry);
	net_timer_stop(s->loop, &s->kick);
	if (s->conn != NULL)
		net_conn_close(s->conn, true);
	client_p2p_free(s->p2p);
	if (s->uw != NULL) {
		net_timer_stop(s->loop, &s->rest);
		net_timer_stop(s->loop, &s->alive);
		net_watch_remove(s->uw);
	}
	if (s->ufd != -1)
		close(s->ufd);
	free(s->pending_relay);
	while (s->out_head != NULL)
		out_remove(s, s->out_head);
	util_map_free(s->out_by_id);
	util_map_free(s->unread0);
	client_convos_free(s->convos);
	client_xfers_free(s->xfers);
	client_store_close(s->store);
	if (s->password != NULL)
		sodium_memzero(s->password, strlen(s->password));
	free(s->host);
	free(s->user);
	free(s->password);
	free(s->data_dir);
	free(s->rcpts);
	free(s->reads);
	free(s->contacts);
	free(s);
}

/* Connect and log in; from here on the session reconnects by itself. */
void
client_session_start(struct client_session *s)
{
	if (s->conn == NULL && !net_timer_is_active(&s->reconnect))
		session_connect(s);
}

/* Say BYE and stop; no reconnect. */
void
client_session_stop(struct client_session *s)
{
	session_turn_end(s->loop, s);
	if (s->conn != NULL && s->me[0] != '\0')
		net_conn_write(s->conn, "BYE|quit\n", 9);
	net_timer_stop(s->loop, &s->reconnect);
	s->cfg.reconnect = false;
	session_lost(s, "stopped", true);
}

/*
 * Take a message for to into the outbox (on disk at the end of this turn)
 * and send it when connected. The new id is written to id (65 bytes).
 */
int
client_session_send(struct client_session *s, const char *to, const char *body,
    size_t len, char *id, char *err, size_t errlen)
{
	unsigned char raw[10];
	uint64_t ts = util_wall_ms();

	if (!proto_is_name(to, strlen(to))) {
		snprintf(err, errlen, "'%s' is not a valid name", to);
		return -1;
	}
	if (len > PROTO_MAX_BODY) {
		snprintf(err, errlen, "the message is %zu bytes; at most %d",
		    len, PROTO_MAX_BODY);
		return -1;
	}
	if (!proto_utf8_is_valid(body, len)) {
		snprintf(err, errlen, "the message is not valid UTF-8");
		return -1;
	}
	randombytes_buf(raw, sizeof raw);
	snprintf(id, PROTO_MAX_ID + 1, "%llx-", (unsigned long long)ts);
	sodium_bin2hex(
	    id + strlen(id), PROTO_MAX_ID + 1 - strlen(id), raw, sizeof raw);
	if (client_store_add_outgoing(
	        s->store, s->user, to, id, ts, body, len) != 0) {
		snprintf(err, errlen, "%s", client_store_error(s->store));
		return -1;
	}
	out_add(s, id, to, ts, body, len);
	{
		struct client_msg m;
		memset(&m, 0, sizeof m);
		m.peer = to;
		m.sender = client_session_me(s);
		m.id = id;
		m.ts = ts;
		m.body = body;
		m.len = len;
		m.outgoing = true;
		m.state = CLIENT_MSG_PENDING;
		client_convos_append(s->convos, to, &m);
	}
	return 0;
}

/* Messages not yet confirmed. */
size_t
client_session_outbox_len(const struct client_session *s)
{
	return s->nout;
}

/* The connection state. */
enum client_conn_state
client_session_state(const struct client_session *s)
{
	return s->state;
}

/* Our name as the relay registered it ("" before the first WELCOME). */
const char *
client_session_me(const struct client_session *s)
{
	return s->me[0] != '\0' ? s->me : s->user;
}

/* The contact list as the relay last told it. */
const struct client_contact *
client_session_contacts(const struct client_session *s, size_t *n)
{
	*n = s->ncontacts;
	return s->contacts;
}

/* The local store, for reading history. */
struct client_store *
client_session_store(struct client_session *s)
{
	return s->store;
}

/* The conversations, for the UI to draw. */
struct client_convos *
client_session_convos(struct client_session *s)
{
	return s->convos;
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

static void
mark_one(void *arg, const struct client_msg *m)
{
	struct client_session *s = arg;

	if (s->nreads == s->capreads) {
		s->capreads = s->capreads ? s->capreads * 2 : 64;
		s->reads =
		    xreallocarray(s->reads, s->capreads, sizeof *s->reads);
	}
	snprintf(
	    s->reads[s->nreads].to, sizeof s->reads[0].to, "%s", m->sender);
	snprintf(s->reads[s->nreads].id, sizeof s->reads[0].id, "%s", m->id);
	s->nreads++;
}

/* Everything from peer has been seen: tell the senders, clear the count. */
void
client_session_mark_read(struct client_session *s, const char *peer)
{
	struct client_contact *c = contact_find(s, peer);
	struct client_convo *cv;
	size_t i, from = s->nreads;

	if (client_store_unread_of(s->store, peer, mark_one, s) < 0)
		return;
	for (i = from; i < s->nreads; i++)
		client_store_mark_seen(
		    s->store, s->reads[i].to, s->reads[i].id);
	if (c != NULL)
		c->unread = 0;
	if ((cv = client_convos_find(s->convos, peer)) != NULL) {
		for (i = 0; i < cv->n; i++) {
			if (!cv->e[i].outgoing &&
			    cv->e[i].state == CLIENT_MSG_RECEIVED)
				cv->e[i].state = CLIENT_MSG_SEEN;
		}
	}
}

/* Tell peer we are typing (or stopped); never stored by the relay. */
void
client_session_typing(struct client_session *s, const char *peer, bool on)
{
	int n;

	if (s->conn == NULL || s->me[0] == '\0' ||
	    !proto_is_name(peer, strlen(peer)))
		return;
	n = snprintf(
	    s->buf, 128, "TYPING|%s|%s|%s\n", s->me, peer, on ? "on" : "off");
	net_conn_write(s->conn, s->buf, (size_t)n);
}

static int
roster_cmp(const void *a, const void *b)
{
	const struct client_contact *x = a, *y = b;

	if (x->online != y->online)
		return x->online ? -1 : 1;
	return strcasecmp(x->name, y->name);
}

/* Order a contact list as the sidebar shows it: online first, by name. */
void
client_roster_sort(struct client_contact *c, size_t n)
{
	qsort(c, n, sizeof *c, roster_cmp);
}

/* The file transfers. */
struct client_xfers *
client_session_xfers(struct client_session *s)
{
	return s->xfers;
}

/* Offer a file to peer; see client_xfers_offer. */
int
client_session_send_file(struct client_session *s, const char *to,
    const char *path, char *id, char *err, size_t errlen)
{
	if (strcasecmp(to, s->user) == 0) {
		snprintf(err, errlen, "a file to yourself: it is here already");
		return -1;
	}
	return client_xfers_offer(s->xfers, to, path, id, err, errlen);
}

/*
 * Where a user's history and outbox live by default:
 * $XDG_DATA_HOME/termgram/USER@HOST, else ~/.local/share/termgram/...
 * -1 without either variable.
 */
int
client_default_data_dir(
    const char *user, const char *host, char *out, size_t len)
{
	const char *base;

	if ((base = getenv("XDG_DATA_HOME")) != NULL && *base == '/')
		snprintf(out, len, "%s/termgram/%s@%s", base, user, host);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(out, len, "%s/.local/share/termgram/%s@%s", base, user,
		    host);
	else
		return -1;
	return 0;
}
