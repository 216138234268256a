/* SPDX-License-Identifier: MIT */
/*
 * Sessions: one per TCP connection. Reading and decoding its frames, the
 * rate budget, LOGIN and RESUME, the dispatch of what a logged-in user
 * asks for, the output limits (a reader too slow is dropped; a sender to a
 * full reader is paused), and the close, which is deferred to the end of
 * the turn (PROTOCOL.md sections 1, 2, 6 and 7).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "net/conn.h"
#include "net/loop.h"
#include "net/tls.h"
#include "net/sock.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "server/filestore.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/store.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define OUT_LOW (256 * 1024)
#define OUT_HIGH (1024 * 1024)

const struct proto_slice server_no_ref = {"-", 1};

static void session_process(struct srv_sess *);

/* Write a whole frame to a session; a peer past its hard cap is dropped. */
void
server_session_send(struct srv_sess *s, const char *p, size_t n)
{
	if (s->gone)
		return;
	if (net_conn_write(s->conn, p, n) != 0) {
		server_log(SERVER_LOG_WARN,
		    "%s (%s): output over %zu bytes, disconnected as too slow",
		    s->user != NULL ? s->user->name : "-", s->ip,
		    s->r->cfg.max_output);
		server_session_close(s, "too-slow", NULL);
		return;
	}
	server_output_note(s);
	s->r->st.frames_out++;
}

/* ERR|code|ref|text to s. */
void
server_session_err(struct srv_sess *s, enum proto_err code,
    struct proto_slice ref, const char *text)
{
	struct server_relay *r = s->r;
	size_t n;

	if (proto_build_err(
	        r->out, sizeof r->out, &n, code, ref.p, ref.len, text) == 0)
		server_session_send(s, r->out, n);
}

/* ERR|code|ref|text to s, the text from a format. */
void
server_session_errf(struct srv_sess *s, enum proto_err code,
    struct proto_slice ref, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	server_session_err(s, code, ref, text);
}

/*
 * Whether s's output is over its high mark, or over its share of the
 * relay's (output.c).
 */
static bool
session_is_full(struct srv_sess *s)
{
	return s->conn != NULL &&
	    (net_conn_is_full(s->conn) || server_output_full(s));
}

/*
 * Stop reading from s until dst drains: a transfer must not fill the
 * relay's memory faster than its reader takes it.
 */
static void
session_block_on(struct srv_sess *s, struct srv_sess *dst)
{
	if (s == dst || s->blocked_on != NULL)
		return;
	s->blocked_on = dst;
	dst->waiters++;
	net_conn_pause(s->conn, true);
}

/* The router reaches sessions through these. */
const struct server_router_io server_session_io = {
    .send = server_session_send,
    .is_full = session_is_full,
    .block_on = session_block_on,
};

/* Take cost from s's budget, refilled at the configured rate. */
static bool
rate_ok(struct srv_sess *s, unsigned cost)
{
	struct server_relay *r = s->r;
	uint64_t now = net_loop_now(r->loop);
	double cap = (double)r->cfg.rate * 2;

	if (r->cfg.rate == 0 || cost == 0)
		return true;
	s->tokens += (double)(now - s->tokens_at) * r->cfg.rate / 1000.0;
	s->tokens_at = now;
	if (s->tokens > cap)
		s->tokens = cap;
	if (s->tokens < cost)
		return false;
	s->tokens -= cost;
	return true;
}

/*
 * Resume the sessions that waited for s to drain (or to go). Their
 * buffered input is handled from a timer, never from inside another
 * session's callback.
 */
static void
unblock_waiters(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct srv_sess *o;

	LIST_FOREACH(o, &r->ss.list, entry)
	{
		if (o->blocked_on != s)
			continue;
		o->blocked_on = NULL;
		s->waiters--;
		o->kick = true;
		net_timer_start(r->loop, &r->ss.kick, 0);
	}
}

/*
 * Handle the input of the sessions that were unblocked, and only then
 * read from them again: input read before the buffered frames are
 * handled would pile up in a sender paused again at once.
 */
static void
kick_timer(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;
	struct srv_sess *o;

	(void)t;
	LIST_FOREACH(o, &r->ss.list, entry)
	{
		if (!o->kick)
			continue;
		o->kick = false;
		session_process(o);
		if (!o->gone && o->conn != NULL && o->blocked_on == NULL &&
		    o->hashing == NULL)
			net_conn_pause(o->conn, false);
	}
}

/* s has room again: more of its queue, and the senders it paused. */
void
server_session_resume(struct srv_sess *s)
{
	server_router_sync(&s->r->rt, s);
	server_rooms_sync(s);
	server_filestore_pump(s->r->rt.fs, s);
	unblock_waiters(s);
}

/* s's output went below its low mark. */
static void
session_drained(struct net_conn *c, void *arg)
{
	struct srv_sess *s = arg;

	(void)c;
	s->full_since = 0; /* it reads: the stall clock starts again */
	server_session_resume(s);
}

/* s is u's now: WELCOME, the contact list, then what waits for u. */
void
server_session_welcome(
    struct srv_sess *s, struct srv_user *u, unsigned p2p_port)
{
	struct server_relay *r = s->r;
	struct proto_writer w;
	size_t n;
	/* Another session, or a light client back for a moment. */
	bool was_online = u->light || server_user_online(u);

	s->user = u;
	s->dec.max_frame = r->cfg.max_frame;
	s->p2p_port = p2p_port;
	u->has_fp = s->has_fp;
	if (s->has_fp)
		memcpy(u->fp, s->fp, sizeof u->fp);
	u->has_alive_key = s->has_fp &&
	    net_conn_tls_export(s->conn, NET_TLS_EXPORTER, u->alive_key,
	        sizeof u->alive_key) == 0;
	u->p2p_port = p2p_port;
	server_user_attach(u, s);
	u->last_seen = util_wall_ms();
	server_directory_make_token(u->token);
	server_store_set_last_seen(r->store, u->key, u->last_seen);
	server_devices_login(s);

	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_WELCOME);
	proto_writer_str(&w, u->name);
	proto_writer_str(&w, u->token);
	proto_writer_u64(&w, r->cfg.max_frame);
	proto_writer_u64(&w, util_wall_ms());
	if (proto_writer_end(&w, &n) == 0)
		server_session_send(s, r->out, n);
	server_presence_send_users(r, s);
	server_rooms_login(s);
	if (proto_build_bare(r->out, sizeof r->out, &n, PROTO_V_SYNCED) == 0)
		server_session_send(s, r->out, n);
	if (s->device_aware)
		server_devices_count(s);
	s->cursor = 0;
	s->backlog = true;
	server_router_sync(&r->rt, s);
	server_rooms_sync(s);
	if (!was_online)
		server_presence_change(r, u);
	server_log(SERVER_LOG_INFO, "%s logged in from %s", u->name, s->ip);
}

/*
 * The address (ip:port) s came from, into buf; empty when the socket
 * does not say.
 */
static void
session_addr(const struct srv_sess *s, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;

	buf[0] = '\0';
	if (s->conn != NULL &&
	    getpeername(net_conn_fd(s->conn), (struct sockaddr *)&ss, &sslen) ==
	        0)
		snprintf(
		    buf, len, "%s:%u", s->ip, (unsigned)net_addr_port(&ss));
}

/*
 * Take the name over for s from the sessions of s's device. Over TLS
 * they are told where the new one came from: BYE|replaced|addr.
 */
void
server_session_replace(struct srv_user *u, const struct srv_sess *s)
{
	struct srv_sess *old, *next;
	char addr[NET_ADDRSTRLEN + 8];
	size_t n;
	int rc;

	session_addr(s, addr, sizeof addr);
	for (old = TAILQ_FIRST(&u->sessions); old != NULL; old = next) {
		next = TAILQ_NEXT(old, user_entry);
		if (old == s || strcmp(old->device, s->device) != 0)
			continue;
		server_log(SERVER_LOG_INFO, "%s: session from %s replaced",
		    u->name, old->ip);
		if (old->r->cfg.tls && addr[0] != '\0')
			rc = proto_build_bye_addr(old->r->out,
			    sizeof old->r->out, &n, "replaced", addr);
		else
			rc = proto_build_bye(
			    old->r->out, sizeof old->r->out, &n, "replaced");
		if (rc == 0)
			server_session_send(old, old->r->out, n);
		server_session_close(old, NULL, NULL);
	}
}

/* PING|token: PONG|token. */
static void
session_pong(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	size_t n;

	if (proto_build_pong(r->out, sizeof r->out, &n, fr) == 0)
		server_session_send(s, r->out, n);
}

/* A request of a logged-in user, not a routed one. */
static void
session_request(struct srv_sess *s, const struct proto_frame *fr)
{
	switch (fr->verb) {
	case PROTO_V_PING:
		session_pong(s, fr);
		return;
	case PROTO_V_PONG:
		return;
	case PROTO_V_BYE:
		server_session_close(s, NULL, "said bye");
		return;
	case PROTO_V_STATS:
		if (fr->nargs == 0) {
			server_relay_send_stats(s);
			return;
		}
		break;
	case PROTO_V_LOOKUP:
		server_directory_lookup(s, fr);
		return;
	case PROTO_V_VERIFY:
		server_directory_verify(s, fr);
		return;
	case PROTO_V_DEVICES:
		server_pins_request(s, fr);
		return;
	case PROTO_V_LOGIN:
	case PROTO_V_RESUME:
		server_session_err(
		    s, PROTO_ERR_BAD_FRAME, server_no_ref, "already logged in");
		return;
	case PROTO_V_ERR:
		server_log(SERVER_LOG_DEBUG, "%s sent an ERR", s->user->name);
		return;
	default:
		break;
	}
	server_session_errf(s, PROTO_ERR_BAD_VERB, server_no_ref,
	    "%s is not a request this relay serves", proto_verb_name(fr->verb));
}

/* One decoded frame: rate, login, then routing or a request. */
static void
session_frame(struct srv_sess *s, const struct proto_frame *fr)
{
	struct proto_slice ref;

	s->r->st.frames_in++;
	if (!rate_ok(s, proto_verb_cost(fr->verb))) {
		/* Only a routed frame's errors name it. */
		ref = proto_verb_is_routed(fr->verb) ? proto_frame_ref(fr)
		                                     : server_no_ref;
		server_session_err(
		    s, PROTO_ERR_RATE_LIMIT, ref, "too many frames; slow down");
		return;
	}
	if (s->user == NULL) {
		if (fr->verb == PROTO_V_LOGIN || fr->verb == PROTO_V_RESUME)
			server_login_frame(s, fr);
		else
			server_session_errf(s, PROTO_ERR_NOT_LOGGED_IN,
			    server_no_ref, "send LOGIN or RESUME first, not %s",
			    proto_verb_name(fr->verb));
		return;
	}
	if (proto_verb_is_routed(fr->verb))
		server_router_route(&s->r->rt, s, fr);
	else if (proto_verb_is_room(fr->verb))
		server_rooms_request(s, fr);
	else
		session_request(s, fr);
}

/*
 * One frame of the input, or the refusal of one; STOP once closed,
 * paused or waiting for a password check. A refusal costs the rate
 * budget like a frame: past it, the line is dropped unanswered.
 */
enum proto_feed
server_session_feed(
    void *arg, const struct proto_frame *fr, const struct proto_error *err)
{
	struct srv_sess *s = arg;

	s->last_in = net_loop_now(s->r->loop);
	if (err != NULL) {
		s->r->st.frames_in++;
		if (err->fatal || rate_ok(s, 1))
			server_session_err(s, err->code, err->ref, err->text);
		if (err->fatal)
			server_session_close(s, NULL, err->text);
	} else
		session_frame(s, fr);
	return s->gone || s->blocked_on != NULL || s->hashing != NULL
	    ? PROTO_FEED_STOP
	    : PROTO_FEED_GO;
}

/* Handle every complete frame in the input, unless paused or closed. */
static void
session_process(struct srv_sess *s)
{
	const char *p;
	size_t len, done;

	if (s->gone || s->blocked_on != NULL || s->hashing != NULL)
		return;
	if (s->refused) {
		server_login_refuse(s);
		return;
	}
	if (s->user == NULL) {
		p = net_conn_input(s->conn, &len);
		done = server_login_feed(s, p, len);
		if (!s->gone)
			net_conn_consume(s->conn, done);
		if (s->gone || s->user == NULL || s->blocked_on != NULL)
			return;
	}
	p = net_conn_input(s->conn, &len);
	done = proto_decoder_feed(&s->dec, p, len, server_session_feed, s);
	if (!s->gone)
		net_conn_consume(s->conn, done);
}

/* s's password check is done: read its input again. */
void
server_session_kick(struct srv_sess *s)
{
	s->kick = true;
	net_timer_start(s->r->loop, &s->r->ss.kick, 0);
}

/* Input arrived. */
static void
session_read(struct net_conn *c, void *arg)
{
	(void)c;
	session_process(arg);
}

/* The connection ended under us. */
static void
session_lost(struct net_conn *c, void *arg, const char *why)
{
	struct srv_sess *s = arg;

	(void)c;
	s->conn = NULL;
	server_session_close(s, NULL, why);
}

/* Free a session, at the end of the turn it closed in. */
static void
session_free(void *p)
{
	free(p);
}

/* u's session s ended: offline, unless ALIVE keeps it. */
static void
session_user_left(struct srv_sess *s, const char *bye, const char *why)
{
	struct server_relay *r = s->r;
	struct srv_user *u = s->user;
	struct srv_sess *o;

	server_user_detach(u, s);
	server_devices_logout(s);
	server_rooms_logout(s);
	server_router_flush(&r->rt, u);
	/* The next session of its device, if any, takes its backlog over. */
	TAILQ_FOREACH(o, &u->sessions, user_entry)
	{
		if (strcmp(o->device, s->device) == 0) {
			o->cursor = 0;
			o->backlog = true;
			server_router_sync(&r->rt, o);
			break;
		}
	}
	if (server_user_online(u)) {
		server_log(SERVER_LOG_INFO, "%s: a session left (%s), %u stay",
		    u->name,
		    why != NULL       ? why
		        : bye != NULL ? bye
		                      : "closed",
		    u->nsess);
		return;
	}
	if (u->light) {
		server_log(SERVER_LOG_DEBUG,
		    "%s: connection closed, light presence goes on", u->name);
		return;
	}
	u->token[0] = '\0';
	u->last_seen = util_wall_ms();
	server_store_set_last_seen(r->store, u->key, u->last_seen);
	server_presence_change(r, u);
	server_log(SERVER_LOG_INFO, "%s left (%s)", u->name,
	    why != NULL       ? why
	        : bye != NULL ? bye
	                      : "closed");
}

/*
 * End a session: with bye, say BYE|bye first. The connection is flushed
 * and closed; the session is freed at the end of the turn.
 */
void
server_session_close(struct srv_sess *s, const char *bye, const char *why)
{
	struct server_relay *r = s->r;
	char line[PROTO_MAX_WORD + 8];
	size_t n;

	if (s->gone)
		return;
	if (bye != NULL && s->conn != NULL &&
	    proto_build_bye(line, sizeof line, &n, bye) == 0)
		net_conn_write(s->conn, line, n);
	s->gone = true;
	if (s->conn != NULL)
		net_conn_close(s->conn, true);
	s->conn = NULL;
	server_presence_forget(r, s);
	LIST_REMOVE(s, entry);
	r->ss.n--;
	server_output_forget(s);
	server_login_gone(s);
	server_filestore_gone(r->rt.fs, s);
	unblock_waiters(s);
	if (s->blocked_on != NULL)
		s->blocked_on->waiters--;
	s->blocked_on = NULL;
	if (s->user != NULL && s->attached)
		session_user_left(s, bye, why);
	else if (why != NULL)
		server_log(
		    SERVER_LOG_DEBUG, "%s: connection ended: %s", s->ip, why);
	net_loop_defer_free(r->loop, session_free, s);
}

/* TLS is up: the client's key is the session's device identity. */
static void
session_handshake(struct net_conn *c, void *arg)
{
	struct srv_sess *s = arg;
	const unsigned char *fp = net_conn_peer_fingerprint(c);

	if (fp == NULL)
		return;
	memcpy(s->fp, fp, sizeof s->fp);
	s->has_fp = true;
	/* Refused over the address's limit: told from the kick timer,
	 * once the connection can send (not from inside this callback). */
	if (s->refused)
		server_session_kick(s);
}

static const struct net_conn_cb session_cb = {
    .on_read = session_read,
    .on_handshake = session_handshake,
    .on_drain = session_drained,
    .on_close = session_lost,
};

/* A session for an accepted connection. */
void
server_session_new(struct server_relay *r, int fd, const char *ip)
{
	struct srv_sess *s;
	char err[256];

	s = xcalloc(1, sizeof *s);
	s->r = r;
	snprintf(s->ip, sizeof s->ip, "%s", ip);
	s->conn = net_conn_new(r->loop, fd, &session_cb, s);
	net_conn_set_limits(s->conn, OUT_LOW, OUT_HIGH, r->cfg.max_output);
	/* Before the login only LOGIN and RESUME are read, and neither is
	 * longer than about 1.4 KiB: a partial line holds no more. */
	proto_decoder_init(&s->dec,
	    r->cfg.max_login_line < r->cfg.max_frame ? r->cfg.max_login_line
	                                             : r->cfg.max_frame);
	s->last_in = net_loop_now(r->loop);
	s->since = s->last_in;
	s->tokens = (double)r->cfg.rate * 2;
	s->tokens_at = s->last_in;
	LIST_INSERT_HEAD(&r->ss.list, s, entry);
	r->ss.n++;
	server_login_accept(s);
	if (s->refused && r->tls != NULL &&
	    s->addr->conns > 2 * r->cfg.max_per_addr) {
		/* Far over its address's limit: no handshake is waited for
		 * to tell it, or one address could hold every session slot
		 * with connections that never send a ClientHello. */
		net_conn_close(s->conn, false);
		s->conn = NULL;
		server_session_close(
		    s, NULL, "far over the connections per address");
		return;
	}
	if (r->tls != NULL &&
	    net_conn_tls_start(s->conn, r->tls, err, sizeof err) == -1) {
		net_conn_close(s->conn, false);
		s->conn = NULL;
		server_session_close(s, NULL, err);
	} else if (s->refused && r->tls == NULL)
		server_login_refuse(s);
}

/*
 * Drop connections not logged in by the login deadline (a stalled TLS
 * handshake, or frames that are never a LOGIN, must not hold a session
 * slot; one whose password is being checked waits for the answer, the
 * hasher's queue bounds that), sessions silent for three heartbeat intervals, and readers whose
 * output stays over its high mark, or holds a paused sender without
 * draining to its low mark, past the age limit: they hold up whoever
 * sends to them.
 */
void
server_session_sweep(struct server_relay *r, uint64_t now)
{
	struct srv_sess *s, *next;
	uint64_t limit = 3ULL * r->cfg.heartbeat_s * 1000;

	for (s = LIST_FIRST(&r->ss.list); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (s->user == NULL && s->hashing == NULL &&
		    now - s->since > r->cfg.login_timeout_s * 1000ULL) {
			server_session_close(s, "login-timeout",
			    "not logged in within the login deadline");
			continue;
		}
		if (now - s->last_in > limit) {
			server_session_close(
			    s, "idle", "silent for three heartbeats");
			continue;
		}
		/* A reader drained below its high mark but not to its low
		 * one still holds its paused senders: its clock runs on. */
		if (!session_is_full(s) && s->waiters == 0)
			s->full_since = 0;
		else if (s->full_since == 0)
			s->full_since = now;
		else if (now - s->full_since > r->cfg.max_stall_s * 1000ULL) {
			server_log(SERVER_LOG_WARN,
			    "%s (%s): read nothing for %u s, disconnected as "
			    "too slow",
			    s->user != NULL ? s->user->name : "-", s->ip,
			    r->cfg.max_stall_s);
			server_session_close(s, "too-slow", "too slow");
		}
	}
}

/* Say bye to every session (why: in the log). */
void
server_sessions_close_all(
    struct server_relay *r, const char *bye, const char *why)
{
	struct srv_sess *s, *next;

	for (s = LIST_FIRST(&r->ss.list); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		server_session_close(s, bye, why);
	}
}

/* No sessions yet. */
void
server_sessions_init(struct server_relay *r)
{
	LIST_INIT(&r->ss.list);
	r->ss.n = 0;
	net_timer_init(&r->ss.kick, kick_timer, r);
	TAILQ_INIT(&r->ss.heavy);
}
