/* SPDX-License-Identifier: MIT */
/*
 * The session with the relay: connect, log in (or resume), read frames
 * and hand them to dispatch.c, heartbeats, reconnecting with backoff, and
 * the session's life and public calls. The outbox, the roster, what
 * arrives, the ways out and light mode are in files of their own
 * (session_int.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "client/p2p.h"
#include "client/session_int.h"
#include "client/store.h"
#include "net/conn.h"
#include "net/loop.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "proto/utf8.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

/* The connection state changed: tell the UI. */
void
client_session_set_state(struct client_session *s, enum client_conn_state st,
    const char *detail, uint64_t retry_ms)
{
	s->state = st;
	if (s->ev->on_state != NULL)
		s->ev->on_state(s->arg, st, detail, retry_ms);
}

/* An error for the UI: a code, the id it is about, human text. */
void
client_session_emit_error(struct client_session *s, const char *code,
    const char *ref, const char *text)
{
	if (s->ev->on_error != NULL)
		s->ev->on_error(s->arg, code, ref, text);
}

/*
 * End of a loop turn: commit the store first; only then confirm what was
 * received and send what was written, so nothing leaves before it is safe.
 */
static void
session_turn_end(struct net_loop *loop, void *arg)
{
	struct client_session *s = arg;
	uint64_t at;

	(void)loop;
	if (client_store_in_txn(s->store) &&
	    client_store_commit(s->store) != 0) {
		client_session_emit_error(
		    s, "STORE", "-", client_store_error(s->store));
		s->nrcpts = 0;
		return;
	}
	client_recv_flush(s);
	client_rooms_flush(s);
	if (client_session_is_up(s))
		client_outbox_pump(s->outbox, s->me, s->max_frame);
	client_xfers_pump(s->xfers, net_loop_now(s->loop));
	/* Hashing goes on in slices: come back at once for the next. */
	if (client_xfers_has_work(s->xfers) && !net_timer_is_active(&s->kick))
		net_timer_start(s->loop, &s->kick, 0);
	/* A transfer waiting for the relay's word on its peer: a turn then. */
	if ((at = client_xfers_wake_at(s->xfers)) != 0 &&
	    !net_timer_is_active(&s->kick))
		net_timer_start(s->loop, &s->kick,
		    at > net_clock_ms() ? at - net_clock_ms() : 0);
}

/* --- the relay connection ------------------------------------------------ */

/* The session and the connection being read, which a frame may end. */
struct session_reading {
	struct client_session *s;
	struct net_conn *c;
};

/* One frame from the relay; a refused one is skipped unless fatal. */
static enum proto_feed
session_feed(
    void *arg, const struct proto_frame *fr, const struct proto_error *err)
{
	struct session_reading *r = arg;

	if (err != NULL && err->fatal) {
		client_session_lost(r->s, err->text, true);
		return PROTO_FEED_STOP;
	}
	if (fr != NULL)
		client_dispatch_frame(r->s, fr, CLIENT_ROUTE_RELAY);
	return r->s->conn == r->c ? PROTO_FEED_GO : PROTO_FEED_STOP;
}

/* Bytes from the relay: decode and handle every whole frame. */
static void
session_read(struct net_conn *c, void *arg)
{
	struct client_session *s = arg;
	struct session_reading r = {s, c};
	const char *p;
	size_t len, done;

	p = net_conn_input(c, &len);
	s->last_in = net_loop_now(s->loop);
	done = proto_decoder_feed(&s->dec, p, len, session_feed, &r);
	if (s->conn == c)
		net_conn_consume(c, done);
}

/*
 * The first frame on a connection into buf: RESUME with the token of the
 * last session, else LOGIN. Over TLS a LOGIN says keep or take and names
 * the device (docs/protocol.md "Several devices per account"); with TLS
 * off it is the version-1 frame. 0, or -1 if it cannot be framed.
 */
int
client_session_hello(struct client_session *s, char *buf, size_t cap, size_t *n)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
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
	/* keep: never take a session over; the device, over TLS and for an
	 * owned name only (an open name has one device, "-"). A resumed
	 * session stays what its LOGIN made it. */
	if (!s->resuming)
		s->device_aware = s->tls != NULL && s->device_id[0] != '\0' &&
		    s->password[0] != '\0';
	if (!s->resuming && s->device_aware) {
		proto_writer_str(&w, s->cfg.keep ? "keep" : "take");
		proto_writer_str(&w, s->device_id);
	} else if (!s->resuming && s->cfg.keep && s->tls != NULL)
		proto_writer_str(&w, "keep");
	return proto_writer_end(&w, n);
}

/* Connected: log in, or resume with the token of the last session. */
static void
session_connected(struct net_conn *c, void *arg)
{
	struct client_session *s = arg;
	size_t n;

	client_session_set_state(s, CLIENT_LOGGING_IN, NULL, 0);
	if (client_session_hello(s, s->buf, sizeof s->buf, &n) == 0)
		net_conn_write(c, s->buf, n);
	s->last_in = net_loop_now(s->loop);
}

/* The relay connection closed under us. */
static void
session_closed(struct net_conn *c, void *arg, const char *why)
{
	struct client_session *s = arg;

	(void)c;
	s->conn = NULL;
	client_session_lost(s, why, true);
}

static const struct net_conn_cb session_cb = {
    .on_read = session_read,
    .on_connect = session_connected,
    .on_close = session_closed,
    .on_handshake = client_trust_handshake,
};

/* Close the relay connection and what lives on it. */
void
client_session_down(struct client_session *s)
{
	if (s->conn != NULL) {
		net_conn_close(s->conn, true);
		s->conn = NULL;
	}
	s->me[0] = '\0';
	s->nrcpts = 0;
	s->dev_asked = false;
	s->await_devcount = false;
	client_xfers_online(s->xfers, false);
	client_outbox_lost(s->outbox);
	net_timer_stop(s->loop, &s->heartbeat);
}

/*
 * Another login as us took the name over (why says who): the session
 * ends and stays off rather than fight it.
 */
void
client_session_replaced(struct client_session *s, const char *why)
{
	client_session_down(s);
	client_session_set_state(s, CLIENT_REPLACED, why, 0);
}

/* The connection ended: retry later, or give up when retry is false. */
void
client_session_lost(struct client_session *s, const char *why, bool retry)
{
	uint64_t delay;
	unsigned shift;

	client_session_down(s);
	if (!retry || !s->cfg.reconnect) {
		client_session_set_state(
		    s, retry ? CLIENT_OFFLINE : CLIENT_FAILED, why, 0);
		return;
	}
	if (s->failures == 0 && s->token[0] == '\0' && s->resuming) {
		/* A stale token: log in again at once. */
		s->resuming = false;
		client_session_set_state(s, CLIENT_WAITING, why, 0);
		net_timer_start(s->loop, &s->reconnect, 0);
		return;
	}
	shift = s->failures < 6 ? s->failures : 6;
	delay = (uint64_t)BACKOFF_MIN_MS << shift;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	delay += randombytes_uniform((uint32_t)(delay / 4 + 1));
	s->failures++;
	client_session_set_state(s, CLIENT_WAITING, why, delay);
	net_timer_start(s->loop, &s->reconnect, delay);
}

/* Open a connection to the relay; logging in follows once it is up. */
void
client_session_connect(struct client_session *s)
{
	char err[256];

	client_session_set_state(s, CLIENT_CONNECTING, NULL, 0);
	proto_decoder_init(&s->dec, PROTO_MAX_FRAME);
	s->max_frame = PROTO_MAX_FRAME;
	s->conn = net_conn_connect(
	    s->loop, s->host, s->cfg.port, &session_cb, s, err, sizeof err);
	if (s->conn == NULL) {
		client_session_lost(s, err, true);
		return;
	}
	if (s->tls != NULL &&
	    net_conn_tls_start(s->conn, s->tls, err, sizeof err) != 0) {
		client_session_lost(s, err, false);
		return;
	}
	s->last_in = net_loop_now(s->loop);
	net_timer_start(
	    s->loop, &s->heartbeat, (uint64_t)s->cfg.heartbeat_s * 1000);
}

/* The backoff is over: connect again. */
static void
reconnect_timer(struct net_timer *t, void *arg)
{
	(void)t;
	client_session_connect(arg);
}

/* Ping every interval; a relay silent for three is gone. */
static void
heartbeat_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;
	uint64_t iv = (uint64_t)s->cfg.heartbeat_s * 1000;
	size_t n;

	if (s->conn == NULL)
		return;
	if (net_loop_now(s->loop) - s->last_in > 3 * iv) {
		client_session_lost(s, "the relay stopped answering", true);
		return;
	}
	if (proto_build_ping(
	        s->buf, sizeof s->buf, &n, net_loop_now(s->loop)) == 0)
		net_conn_write(s->conn, s->buf, n);
	net_timer_start(s->loop, t, iv);
}

/* An empty turn, so that the end of it pumps the transfers. */
static void
kick_timer(struct net_timer *t, void *arg)
{
	/* Nothing to do here: the turn it ends pumps the transfers. */
	(void)t;
	(void)arg;
}

/* A refused message may go again. */
static void
retry_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;

	(void)t;
	if (client_session_is_up(s))
		client_outbox_pump(s->outbox, s->me, s->max_frame);
}

/* --- the session's life -------------------------------------------------- */

/* A message of the outbox on disk, back into the outbox. */
static void
load_outbox(void *arg, const struct client_msg *m)
{
	struct client_session *s = arg;

	client_outbox_add(s->outbox, m->id, m->peer, m->ts, m->body, m->len);
}

/* An unread count from the store, for the roster. */
static void
load_unread(void *arg, const char *peer, unsigned n)
{
	struct client_session *s = arg;

	client_roster_set_unread(s->roster, peer, n);
}

/* A session for cfg, before its store is opened; NULL for a bad name. */
static struct client_session *
session_alloc(struct net_loop *loop, const struct client_config *cfg,
    const struct client_events *ev, void *arg)
{
	static const struct client_events none;
	struct client_session *s;

	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->cfg = *cfg;
	if (s->cfg.window == 0)
		s->cfg.window = 1;
	if (s->cfg.heartbeat_s == 0)
		s->cfg.heartbeat_s = 15;
	if (s->cfg.light)
		s->cfg.p2p = true;
	s->host = xstrdup(cfg->host);
	s->user = xstrdup(cfg->user);
	s->password = xstrdup(cfg->password != NULL ? cfg->password : "");
	s->data_dir = xstrdup(cfg->data_dir);
	s->ev = ev != NULL ? ev : &none;
	s->arg = arg;
	s->max_frame = PROTO_MAX_FRAME;
	net_timer_init(&s->reconnect, reconnect_timer, s);
	net_timer_init(&s->heartbeat, heartbeat_timer, s);
	net_timer_init(&s->retry, retry_timer, s);
	net_timer_init(&s->kick, kick_timer, s);
	s->roster = client_roster_new();
	client_links_init(s);
	return s;
}

/* Open the local store and load the outbox; call start to connect. */
struct client_session *
client_session_new(struct net_loop *loop, const struct client_config *cfg,
    const struct client_events *ev, void *arg, char *err, size_t errlen)
{
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
	s = session_alloc(loop, cfg, ev, arg);
	s->store = client_store_open(s->data_dir, err, errlen);
	if (s->store != NULL && client_trust_init(s, err, errlen) != 0)
		goto fail;
	if (s->store == NULL ||
	    client_store_outbox(s->store, load_outbox, s) < 0 ||
	    client_store_unread_counts(s->store, load_unread, s) < 0) {
		if (s->store != NULL)
			snprintf(
			    err, errlen, "%s", client_store_error(s->store));
		goto fail;
	}
	s->convos = client_convos_new(s->store);
	client_xfers_attach(s->xfers, s->store, s->cfg.part_max_age);
	if (client_store_notice(s->store)[0] != '\0') {
		if (s->ev->on_notice != NULL)
			s->ev->on_notice(s->arg, client_store_notice(s->store));
		else if (s->ev->on_log != NULL)
			s->ev->on_log(s->arg, client_store_notice(s->store));
	}
	if ((cfg->p2p || cfg->light) && client_links_p2p(s, err, errlen) != 0)
		goto fail;
	if (cfg->light && client_light_new(s, err, errlen) != 0)
		goto fail;
	net_loop_set_turn_hook(loop, session_turn_end, s);
	return s;

fail:
	client_session_free(s);
	return NULL;
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
	client_light_free(s);
	client_outbox_free(s->outbox);
	client_roster_free(s->roster);
	client_convos_free(s->convos);
	client_xfers_free(s->xfers);
	client_store_close(s->store);
	client_trust_free(s);
	if (s->password != NULL)
		sodium_memzero(s->password, strlen(s->password));
	free(s->host);
	free(s->user);
	free(s->password);
	free(s->data_dir);
	client_rooms_free(s);
	free(s->rcpts);
	free(s->reads);
	free(s);
}

/* Connect and log in; from here on the session reconnects by itself. */
void
client_session_start(struct client_session *s)
{
	if (s->conn == NULL && !net_timer_is_active(&s->reconnect))
		client_session_connect(s);
}

/*
 * Connect again now, logging in with the password rather than a token:
 * a session that was replaced takes its name back (the other session is
 * replaced in turn), one waiting for its backoff stops waiting.
 */
void
client_session_reconnect(struct client_session *s)
{
	client_session_down(s);
	net_timer_stop(s->loop, &s->reconnect);
	s->token[0] = '\0';
	s->failures = 0;
	client_session_connect(s);
}

/* Say BYE and stop; no reconnect. */
void
client_session_stop(struct client_session *s)
{
	size_t n;

	session_turn_end(s->loop, s);
	if (client_session_is_up(s) &&
	    proto_build_bye(s->buf, sizeof s->buf, &n, "quit") == 0)
		net_conn_write(s->conn, s->buf, n);
	net_timer_stop(s->loop, &s->reconnect);
	s->cfg.reconnect = false;
	client_session_lost(s, "stopped", true);
}

/* Whether a message body may be sent to to; why not in err. */
static int
msg_check(
    const char *to, const char *body, size_t len, char *err, size_t errlen)
{
	if (to[0] == '#' && !proto_is_room(to, strlen(to))) {
		snprintf(err, errlen,
		    "'%s' is not a valid room: # and 1-32 of A-Z a-z 0-9 _ . -",
		    to);
		return -1;
	}
	if (to[0] != '#' && !proto_is_name(to, strlen(to))) {
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
	return 0;
}

/*
 * Queue a message for to: into the outbox (on disk at the end of this
 * turn) and its conversation, told to the UI as on_message; it is sent
 * when connected. The new id is written to id (65 bytes).
 */
int
client_session_queue_msg(struct client_session *s, const char *to,
    const char *body, size_t len, char *id, char *err, size_t errlen)
{
	unsigned char raw[10];
	uint64_t ts = util_wall_ms();
	struct client_msg m;

	if (msg_check(to, body, len, err, errlen) != 0)
		return -1;
	randombytes_buf(raw, sizeof raw);
	snprintf(id, PROTO_MAX_ID + 1, "%llx-", (unsigned long long)ts);
	sodium_bin2hex(
	    id + strlen(id), PROTO_MAX_ID + 1 - strlen(id), raw, sizeof raw);
	if (client_store_add_outgoing(
	        s->store, s->user, to, id, ts, body, len) != 0) {
		snprintf(err, errlen, "%s", client_store_error(s->store));
		return -1;
	}
	client_outbox_add(s->outbox, id, to, ts, body, len);
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
	if (s->ev->on_message != NULL)
		s->ev->on_message(s->arg, &m, true);
	return 0;
}

/*
 * Take back a message queued but never sent (a command refused before it
 * logged in): out of the store and the outbox, as if never queued.
 */
int
client_session_withdraw(struct client_session *s, const char *id)
{
	if (client_store_withdraw(s->store, id) != 0)
		return -1;
	client_outbox_refused(s->outbox, id, false);
	return 0;
}

/* Messages not yet confirmed. */
size_t
client_session_outbox_len(const struct client_session *s)
{
	return client_outbox_len(s->outbox);
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
	return client_roster_list(s->roster, n);
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

/* Tell peer we are typing (or stopped); never stored by the relay. */
void
client_session_typing(struct client_session *s, const char *peer, bool on)
{
	size_t n;

	if (client_session_is_up(s) &&
	    proto_build_typing(s->buf, sizeof s->buf, &n, s->me, peer, on) == 0)
		net_conn_write(s->conn, s->buf, n);
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
