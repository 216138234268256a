#include <sys/types.h>

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "net/conn.h"
#include "net/loop.h"
#include "net/sock.h"
#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define TOKEN_LEN 32 /* hex characters of a session token */
#define ACCEPT_PER_TURN 64
#define SYNC_BATCH 256
#define SWEEP_MS 1000
#define OUT_LOW (256 * 1024)
#define OUT_HIGH (1024 * 1024)

struct srv_sess;

struct srv_user {
	char key[PROTO_MAX_NAME + 1]; /* lower case */
	char name[PROTO_MAX_NAME + 1]; /* as registered */
	size_t namelen;
	char *pwhash; /* NULL: an open name */
	uint64_t last_seen; /* wall clock ms */
	struct srv_sess *sess; /* online session, or NULL */
	char token[TOKEN_LEN + 1];
	size_t order; /* registration order */
	/* The USER line last built for this user, and what it said. */
	char line[80];
	size_t linelen;
	bool line_online;
	uint64_t line_seen;
	uint64_t pres_gen; /* has a line in this turn's presence batch */
	/* P2P: where its peers reach it, and its light presence. */
	unsigned p2p_port; /* from its last LOGIN or RESUME */
	bool light; /* ALIVE datagrams keep it online */
	uint64_t light_until; /* monotonic ms */
	char light_ip[NET_ADDRSTRLEN]; /* where its ALIVE came from */
	unsigned ntickets; /* LOOKUP tickets it holds */
};

/* A LOOKUP ticket: single use, binds (asker, target), expires. */
struct srv_ticket {
	struct srv_ticket *next; /* creation order, which is expiry order */
	struct srv_user *asker, *target;
	uint64_t expires; /* monotonic ms */
	bool used;
	char id[TOKEN_LEN + 1];
};

struct srv_sess {
	struct server_relay *r;
	struct net_conn *conn;
	struct proto_decoder dec;
	struct srv_user *user; /* NULL until WELCOME */
	struct srv_user *last_to; /* whom it sent to last (users stay) */
	char ip[NET_ADDRSTRLEN];
	unsigned p2p_port;
	uint64_t last_in; /* monotonic ms */
	double tokens; /* rate budget */
	uint64_t tokens_at;
	int64_t cursor; /* queue rows sent up to */
	bool backlog; /* rows past cursor wait */
	bool gone;
	bool kick; /* input waits since unblocked */
	uint64_t full_since; /* output above high since (0: it is not) */
	struct srv_sess *blocked_on; /* paused: this one is full */
	struct srv_sess *next, *prev;
};

/* A MSG the relay answers for: waiting for its RCPT, or stored. */
struct srv_msg {
	struct srv_msg *next, *prev; /* grace list, oldest first */
	uint64_t deadline;
	int64_t seq; /* > 0 once stored */
	struct srv_user *sender, *rcpt;
	char *frame; /* kept during the grace period */
	char small[256]; /* where a short frame is kept, without malloc */
	size_t len;
	char id[PROTO_MAX_ID + 1];
	size_t klen;
	char key[PROTO_MAX_NAME + 1 + PROTO_MAX_ID + 1];
};

struct srv_ack {
	struct srv_user *user;
	char id[PROTO_MAX_ID + 1];
};

struct srv_stats {
	uint64_t frames_in, frames_out;
	uint64_t msgs_stored, msgs_relayed, bytes_relayed;
	int64_t queue_depth;
};

struct server_relay {
	struct net_loop *loop;
	struct server_config cfg;
	struct server_store *store;
	int lfd;
	struct net_watch *lw;
	int port;
	char addr[NET_ADDRSTRLEN + 8];
	struct net_timer sweep, grace, accept_again, kick;
	bool shutting_down;

	struct util_map *users; /* key -> srv_user */
	struct srv_user **ulist; /* registration order */
	size_t nusers, capusers;
	char *clist; /* the contact list, assembled for a login */
	size_t capclist;
	char *pres; /* presence changes of this turn, for everyone */
	size_t lenpres, cappres;
	struct srv_pres {
		struct srv_user *u;
		size_t off, len;
	} * pent; /* whose line is where in pres */
	size_t npres, cappent;
	uint64_t pres_gen;
	struct util_map *tickets; /* unused ones, by id */
	struct srv_ticket *tk_head, *tk_tail;
	size_t nlight; /* users whose light presence is alive */
	int ufd; /* UDP: ALIVE and DISCOVER */
	struct net_watch *uw;
	uint64_t trim_mark; /* frames_out at the last sweep */
	bool trim_wanted;

	struct srv_sess *sessions;
	unsigned nsessions;

	struct util_map *msgs; /* sender|id -> srv_msg */
	struct srv_msg *grace_head, *grace_tail;
	struct srv_msg *pool; /* free records */
	size_t npool;
	size_t ngrace;

	struct srv_ack *acks; /* sent after the commit */
	size_t nacks, capacks;

	struct srv_stats st;
	uint64_t started; /* monotonic ms */
	char out[PROTO_MAX_FRAME + 256];
};

static void sess_close(struct srv_sess *, const char *, const char *);
static void make_token(char *);
static void sess_process(struct srv_sess *);
static void sess_sync(struct srv_sess *);

/* Fill cfg with the documented defaults. */
void
server_config_defaults(struct server_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->bind = "0.0.0.0";
	cfg->port = PROTO_DEFAULT_PORT;
	cfg->data_dir = NULL;
	cfg->heartbeat_s = 15;
	cfg->max_frame = PROTO_MAX_FRAME;
	cfg->grace_ms = 200;
	cfg->max_sessions = 20000;
	cfg->rate = 50000;
	cfg->max_output = 8 * 1024 * 1024;
	cfg->sync_full = true;
	cfg->max_stall_s = 30;
	cfg->ticket_s = 60;
}

static void
name_key(char *key, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = name[i];
		key[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	key[len] = '\0';
}

static struct srv_user *
user_find(struct server_relay *r, struct proto_slice name)
{
	char key[PROTO_MAX_NAME + 1];

	if (name.len > PROTO_MAX_NAME)
		return NULL;
	name_key(key, name.p, name.len);
	return util_map_get(r->users, key, name.len);
}

static struct srv_user *
user_add(struct server_relay *r, const char *name, const char *pwhash,
    uint64_t last_seen)
{
	struct srv_user *u;
	size_t len = strlen(name);

	u = xcalloc(1, sizeof *u);
	memcpy(u->name, name, len);
	u->namelen = len;
	name_key(u->key, name, len);
	u->pwhash = pwhash != NULL ? xstrdup(pwhash) : NULL;
	u->last_seen = last_seen;
	u->order = r->nusers;
	if (r->nusers == r->capusers) {
		r->capusers = r->capusers ? r->capusers * 2 : 64;
		r->ulist =
		    xreallocarray(r->ulist, r->capusers, sizeof *r->ulist);
	}
	r->ulist[r->nusers++] = u;
	util_map_set(r->users, u->key, len, u);
	return u;
}

/* Write a whole frame to a session; a peer past its hard cap is dropped. */
static void
sess_send(struct srv_sess *s, const char *p, size_t n)
{
	if (s->gone)
		return;
	if (net_conn_write(s->conn, p, n) != 0) {
		server_log(SERVER_LOG_WARN,
		    "%s (%s): output over %zu bytes, disconnected as too slow",
		    s->user != NULL ? s->user->name : "-", s->ip,
		    s->r->cfg.max_output);
		sess_close(s, "too-slow", NULL);
		return;
	}
	s->r->st.frames_out++;
}

static void
sess_send_err(struct srv_sess *s, enum proto_err code, struct proto_slice ref,
    const char *text)
{
	struct server_relay *r = s->r;
	size_t n;

	if (proto_build_err(
	        r->out, sizeof r->out, &n, code, ref.p, ref.len, text) == 0)
		sess_send(s, r->out, n);
}

static void sess_send_errf(struct srv_sess *s, enum proto_err code,
    struct proto_slice ref, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
sess_send_errf(struct srv_sess *s, enum proto_err code, struct proto_slice ref,
    const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	sess_send_err(s, code, ref, text);
}

static const struct proto_slice no_ref = {"-", 1};

/*
 * The user's USER line, built again only when the presence it tells has
 * changed: every login sends every line, and tells every session.
 */
static const char *
user_line(struct srv_user *u, size_t *len)
{
	struct proto_writer w;
	bool online = u->sess != NULL || u->light;

	if (u->linelen == 0 || u->line_online != online ||
	    u->line_seen != u->last_seen) {
		proto_writer_init(&w, u->line, sizeof u->line);
		proto_writer_begin(&w, PROTO_V_USER);
		proto_writer_str(&w, u->name);
		proto_writer_str(&w, online ? "online" : "offline");
		proto_writer_u64(&w, u->last_seen);
		if (proto_writer_end(&w, &u->linelen) != 0)
			u->linelen = 0;
		u->line_online = online;
		u->line_seen = u->last_seen;
	}
	*len = u->linelen;
	return u->line;
}

/* The contact list: one USER line per registered user, in one write. */
static void
send_user_lines(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	const char *line;
	size_t i, n, len = 0;

	for (i = 0; i < r->nusers; i++) {
		line = user_line(r->ulist[i], &n);
		if (len + n > r->capclist) {
			r->capclist = r->capclist ? r->capclist * 2 : 4096;
			r->clist = xrealloc(r->clist, r->capclist);
		}
		memcpy(r->clist + len, line, n);
		len += n;
	}
	if (len > 0 && !s->gone) {
		sess_send(s, r->clist, len);
		r->st.frames_out += r->nusers - 1;
	}
}

/*
 * Tell every logged-in session about u's presence, at the end of the turn:
 * when many log in at once (everyone, after the relay restarts), each
 * session gets the turn's changes in one write rather than one per login.
 */
static void
broadcast_presence(struct server_relay *r, struct srv_user *u)
{
	const char *line;
	size_t n;

	line = user_line(u, &n);
	if (r->lenpres + n > r->cappres) {
		r->cappres = r->cappres ? r->cappres * 2 : 4096;
		r->pres = xrealloc(r->pres, r->cappres);
	}
	if (r->npres == r->cappent) {
		r->cappent = r->cappent ? r->cappent * 2 : 64;
		r->pent = xreallocarray(r->pent, r->cappent, sizeof *r->pent);
	}
	r->pent[r->npres].u = u;
	r->pent[r->npres].off = r->lenpres;
	r->pent[r->npres].len = n;
	r->npres++;
	memcpy(r->pres + r->lenpres, line, n);
	r->lenpres += n;
	u->pres_gen = r->pres_gen;
}

/* The turn's presence lines to s, but none about s's own user. */
static void
presence_send(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	size_t i, from = 0, lines = 0;

	if (s->user->pres_gen != r->pres_gen) {
		sess_send(s, r->pres, r->lenpres);
		r->st.frames_out += r->npres - 1;
		return;
	}
	for (i = 0; i <= r->npres && !s->gone; i++) {
		if (i < r->npres && r->pent[i].u != s->user) {
			lines++;
			continue;
		}
		/* Send the run before this line of s's own, skip it. */
		if (lines > 0) {
			sess_send(s, r->pres + from,
			    (i < r->npres ? r->pent[i].off : r->lenpres) -
			        from);
			r->st.frames_out += lines - 1;
		}
		lines = 0;
		if (i < r->npres)
			from = r->pent[i].off + r->pent[i].len;
	}
}

static void
presence_flush(struct server_relay *r)
{
	struct srv_sess *s;

	if (r->npres == 0)
		return;
	for (s = r->sessions; s != NULL; s = s->next) {
		if (s->user != NULL && !s->gone)
			presence_send(s);
	}
	r->npres = r->lenpres = 0;
	r->pres_gen++;
}

/* --- messages the relay answers for ----------------------------------- */

static void
ack_later(struct server_relay *r, struct srv_user *u, const char *id)
{
	if (r->nacks == r->capacks) {
		r->capacks = r->capacks ? r->capacks * 2 : 256;
		r->acks = xreallocarray(r->acks, r->capacks, sizeof *r->acks);
	}
	r->acks[r->nacks].user = u;
	snprintf(r->acks[r->nacks].id, sizeof r->acks[r->nacks].id, "%s", id);
	r->nacks++;
}

static void
grace_unlink(struct server_relay *r, struct srv_msg *m)
{
	r->ngrace--;
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		r->grace_head = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		r->grace_tail = m->prev;
	m->next = m->prev = NULL;
}

#define MSG_POOL 4096

/*
 * Message records come from a free list: the hot path (forward, then the
 * RCPT within the grace period) allocates nothing once it is warm.
 */
static struct srv_msg *
msg_new(struct server_relay *r)
{
	struct srv_msg *m = r->pool;

	if (m != NULL) {
		r->pool = m->next;
		r->npool--;
	} else
		m = xmalloc(sizeof *m);
	m->next = m->prev = NULL;
	m->deadline = 0;
	m->seq = 0;
	m->frame = NULL;
	m->len = 0;
	return m;
}

static void
msg_drop_frame(struct srv_msg *m)
{
	if (m->frame != m->small)
		free(m->frame);
	m->frame = NULL;
	m->len = 0;
}

static void
msg_keep_frame(struct srv_msg *m, const char *p, size_t n)
{
	m->frame = n <= sizeof m->small ? m->small : xmalloc(n);
	memcpy(m->frame, p, n);
	m->len = n;
}

static void
msg_free(struct server_relay *r, struct srv_msg *m)
{
	util_map_remove(r->msgs, m->key, m->klen);
	msg_drop_frame(m);
	if (r->npool < MSG_POOL) {
		m->next = r->pool;
		r->pool = m;
		r->npool++;
	} else
		free(m);
}

/*
 * Store a message in the queue (in this turn's transaction) and promise
 * the sender an ACK once it commits. Returns -1 if the store failed; the
 * sender then gets ERR|INTERNAL and keeps the message in its outbox.
 */
static int
msg_store(
    struct server_relay *r, struct srv_msg *m, const char *frame, size_t len)
{
	int64_t seq;

	seq = server_store_queue_add(r->store, m->rcpt->key, SERVER_QUEUE_MSG,
	    m->sender->key, m->id, frame, len, util_wall_ms());
	if (seq < 0) {
		server_log(SERVER_LOG_ERROR, "store: %s",
		    server_store_error(r->store));
		return -1;
	}
	m->seq = seq;
	r->st.msgs_stored++;
	r->st.queue_depth++;
	ack_later(r, m->sender, m->id);
	return 0;
}

/* The grace period ran out for a forwarded message: store it now. */
static void
msg_grace_expire(struct server_relay *r, struct srv_msg *m)
{
	struct srv_sess *s = m->rcpt->sess;

	grace_unlink(r, m);
	if (msg_store(r, m, m->frame, m->len) != 0) {
		msg_free(r, m);
		return;
	}
	msg_drop_frame(m);
	/* The recipient has it already; nothing older waits for it. */
	if (s != NULL && !s->backlog && m->seq > s->cursor)
		s->cursor = m->seq;
}

static void
grace_timer(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;
	uint64_t now = net_clock_ms();

	while (r->grace_head != NULL && r->grace_head->deadline <= now)
		msg_grace_expire(r, r->grace_head);
	if (r->grace_head != NULL)
		net_timer_start(r->loop, t, r->grace_head->deadline - now);
}

/* A recipient went away: what it did not confirm is stored at once. */
static void
grace_flush_for(struct server_relay *r, const struct srv_user *u)
{
	struct srv_msg *m, *next;

	for (m = r->grace_head; m != NULL; m = next) {
		next = m->next;
		if (u == NULL || m->rcpt == u)
			msg_grace_expire(r, m);
	}
}

/* --- the turn: commit, then ACKs --------------------------------------- */

static void
relay_turn_end(struct net_loop *loop, void *arg)
{
	struct server_relay *r = arg;
	struct srv_ack *a;
	size_t i, n;

	(void)loop;
	presence_flush(r);
	if (!server_store_in_txn(r->store) && r->nacks == 0)
		return;
	if (server_store_commit(r->store) != 0) {
		/* Nothing is acknowledged: senders keep their outboxes. */
		server_log(SERVER_LOG_ERROR, "store: commit failed: %s",
		    server_store_error(r->store));
		r->nacks = 0;
		return;
	}
	for (i = 0; i < r->nacks; i++) {
		a = &r->acks[i];
		if (a->user->sess == NULL || a->user->sess->gone)
			continue;
		if (proto_build_ack(r->out, sizeof r->out, &n, a->id) == 0)
			sess_send(a->user->sess, r->out, n);
	}
	r->nacks = 0;
}

/* --- routing ------------------------------------------------------------ */

static bool
rate_ok(struct srv_sess *s, double cost)
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

/* Forward a frame as it came; counts it as relayed. */
static void
forward(struct srv_sess *to, const struct proto_frame *fr)
{
	struct server_relay *r = to->r;

	sess_send(to, fr->raw, fr->rawlen);
	r->st.bytes_relayed += fr->rawlen;
	if (fr->verb == PROTO_V_MSG)
		r->st.msgs_relayed++;
}

/*
 * Stop reading from s until dst drains: a transfer must not fill the
 * relay's memory faster than its reader takes it.
 */
static void
block_on(struct srv_sess *s, struct srv_sess *dst)
{
	if (s == dst || s->blocked_on != NULL)
		return;
	s->blocked_on = dst;
	net_conn_pause(s->conn, true);
}

/* The key of a message: "sender-key|id" (a name never holds '|'). */
static size_t
msg_key(char *key, const struct srv_user *sender, struct proto_slice id)
{
	size_t n = sender->namelen; /* the key is the name, lower case */

	memcpy(key, sender->key, n);
	key[n++] = '|';
	memcpy(key + n, id.p, id.len);
	key[n + id.len] = '\0';
	return n + id.len;
}

static void
route_msg(struct srv_sess *s, const struct proto_frame *fr, struct srv_user *to)
{
	struct server_relay *r = s->r;
	struct srv_sess *dst = to->sess;
	struct srv_msg *m;
	char key[sizeof m->key];
	size_t klen;

	klen = msg_key(key, s->user, fr->arg[3]);
	m = util_map_get(r->msgs, key, klen);
	if (m != NULL) {
		/* A resend of a message the relay still answers for. */
		if (m->seq > 0)
			ack_later(r, m->sender, m->id);
		return;
	}

	m = msg_new(r);
	m->sender = s->user;
	m->rcpt = to;
	memcpy(m->id, fr->arg[3].p, fr->arg[3].len);
	m->id[fr->arg[3].len] = '\0';
	memcpy(m->key, key, klen + 1);
	m->klen = klen;
	util_map_set(r->msgs, m->key, m->klen, m);

	if (dst != NULL && !dst->gone && !dst->backlog &&
	    !net_conn_is_full(dst->conn)) {
		forward(dst, fr);
		if (r->cfg.grace_ms == 0) {
			if (msg_store(r, m, fr->raw, fr->rawlen) != 0)
				goto fail;
			if (m->seq > dst->cursor)
				dst->cursor = m->seq;
			return;
		}
		msg_keep_frame(m, fr->raw, fr->rawlen);
		m->deadline = net_loop_now(r->loop) + r->cfg.grace_ms;
		m->prev = r->grace_tail;
		if (r->grace_tail != NULL)
			r->grace_tail->next = m;
		else
			r->grace_head = m;
		r->grace_tail = m;
		r->ngrace++;
		if (!net_timer_is_active(&r->grace))
			net_timer_start(r->loop, &r->grace, r->cfg.grace_ms);
		return;
	}

	/* Offline, or too far behind: the store keeps it. */
	if (msg_store(r, m, fr->raw, fr->rawlen) != 0)
		goto fail;
	if (dst != NULL && !dst->gone)
		dst->backlog = true;
	return;
fail:
	msg_free(r, m);
	sess_send_err(s, PROTO_ERR_INTERNAL, fr->arg[3],
	    "the relay could not store the message");
}

/* Keep a frame for to's next login, to be sent once (a RCPT, an offer). */
static void
queue_once(
    struct srv_sess *s, struct srv_user *to, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;

	if (server_store_queue_add(r->store, to->key, SERVER_QUEUE_ONCE,
	        s->user->key, "-", fr->raw, fr->rawlen, util_wall_ms()) < 0)
		server_log(SERVER_LOG_ERROR, "store: %s",
		    server_store_error(r->store));
	else
		r->st.queue_depth++;
}

static void
route_rcpt(
    struct srv_sess *s, const struct proto_frame *fr, struct srv_user *to)
{
	struct server_relay *r = s->r;
	struct srv_msg *m;
	char key[sizeof m->key];
	size_t klen;

	/* The receipt settles the message it names, if the relay has it. */
	klen = msg_key(key, to, fr->arg[2]);
	m = util_map_get(r->msgs, key, klen);
	if (m != NULL && m->rcpt == s->user) {
		if (m->seq > 0) {
			if (server_store_queue_delete(r->store, m->seq) == 0)
				r->st.queue_depth--;
			else
				server_log(SERVER_LOG_ERROR, "store: %s",
				    server_store_error(r->store));
		} else
			grace_unlink(r, m);
		msg_free(r, m);
	}

	if (to->sess != NULL && !to->sess->gone) {
		forward(to->sess, fr);
		return;
	}
	queue_once(s, to, fr);
}

static void
route(struct srv_sess *s, const struct proto_frame *fr)
{
	static const int ref_arg[PROTO_V_COUNT] = {
	    [PROTO_V_MSG] = 3,
	    [PROTO_V_RCPT] = 2,
	    [PROTO_V_TYPING] = -1,
	    [PROTO_V_FOFFER] = 2,
	    [PROTO_V_FACCEPT] = 2,
	    [PROTO_V_FREJECT] = 2,
	    [PROTO_V_FDATA] = 2,
	    [PROTO_V_FACK] = 2,
	    [PROTO_V_FDONE] = 2,
	    [PROTO_V_FCANCEL] = 2,
	};
	struct proto_slice ref = no_ref;
	struct proto_slice from = fr->arg[0], to_name = fr->arg[1];
	struct proto_slice own = {s->user->name, s->user->namelen};
	struct srv_user *to = s->last_to;
	struct srv_sess *dst;

	if (ref_arg[fr->verb] > 0)
		ref = fr->arg[ref_arg[fr->verb]];
	if (!proto_name_eq(from, own)) {
		sess_send_errf(s, PROTO_ERR_FORBIDDEN, ref,
		    "you are %s and cannot send as %.*s", s->user->name,
		    (int)from.len, from.p);
		return;
	}
	/* A conversation sends to the same user frame after frame: one
	 * name comparison instead of a hash lookup. */
	if (to == NULL ||
	    !proto_name_eq(
	        to_name, (struct proto_slice){to->name, to->namelen})) {
		if ((to = user_find(s->r, to_name)) == NULL) {
			sess_send_errf(s, PROTO_ERR_NO_SUCH_USER, ref,
			    "no user named %.*s on this relay",
			    (int)to_name.len, to_name.p);
			return;
		}
		s->last_to = to;
	}
	switch (fr->verb) {
	case PROTO_V_MSG:
		route_msg(s, fr, to);
		return;
	case PROTO_V_RCPT:
		route_rcpt(s, fr, to);
		return;
	default:
		break;
	}
	dst = to->sess;
	if (dst == NULL && to->light && fr->verb == PROTO_V_FOFFER) {
		/* Online without a connection: the offer waits in its queue,
		 * and the next ALIVE answer calls it back. */
		queue_once(s, to, fr);
		return;
	}
	if (dst == NULL || dst->gone) {
		/* Typing is never stored; a transfer needs its peer online. */
		if (fr->verb != PROTO_V_TYPING)
			sess_send_errf(s, PROTO_ERR_OFFLINE, ref,
			    "%s is offline", to->name);
		return;
	}
	forward(dst, fr);
	if (!dst->gone && net_conn_is_full(dst->conn))
		block_on(s, dst);
}

/* --- the directory: LOOKUP, VERIFY (PROTOCOL.md section 5) ----------- */

#define TICKETS_PER_USER 64 /* outstanding LOOKUP tickets of one user */

/*
 * LOOKUP|name: where the peer takes direct connections, and a ticket that
 * lets the asker prove to it who it is. The address is the one the relay
 * saw the peer come from: its connection, or its last ALIVE.
 */
static void
handle_lookup(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_user *u = user_find(r, fr->arg[0]);
	struct srv_ticket *t;
	struct proto_writer w;
	size_t n;

	if (u == NULL) {
		sess_send_errf(s, PROTO_ERR_NO_SUCH_USER, fr->arg[0],
		    "no user named %.*s on this relay", (int)fr->arg[0].len,
		    fr->arg[0].p);
		return;
	}
	if (u->sess == NULL && !u->light) {
		sess_send_errf(
		    s, PROTO_ERR_OFFLINE, fr->arg[0], "%s is offline", u->name);
		return;
	}
	if (s->user->ntickets >= TICKETS_PER_USER) {
		sess_send_err(s, PROTO_ERR_RATE_LIMIT, fr->arg[0],
		    "too many tickets outstanding; use them or wait a minute");
		return;
	}
	t = xcalloc(1, sizeof *t);
	t->asker = s->user;
	t->target = u;
	t->expires = net_loop_now(r->loop) + r->cfg.ticket_s * 1000ULL;
	make_token(t->id);
	if (r->tk_tail != NULL)
		r->tk_tail->next = t;
	else
		r->tk_head = t;
	r->tk_tail = t;
	util_map_set(r->tickets, t->id, TOKEN_LEN, t);
	s->user->ntickets++;

	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_PEER);
	proto_writer_str(&w, u->name);
	proto_writer_str(&w, u->sess != NULL ? u->sess->ip : u->light_ip);
	proto_writer_u64(&w, u->p2p_port);
	proto_writer_str(&w, t->id);
	if (proto_writer_end(&w, &n) == 0)
		sess_send(s, r->out, n);
}

/*
 * VERIFY|A|ticket from B: yes once, if the ticket is one the relay gave A
 * for B and it has not expired. Anything else is no, and a wrong try does
 * not use the ticket up.
 */
static void
handle_verify(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_ticket *t = NULL;
	struct proto_writer w;
	bool yes = false;
	size_t n;

	if (fr->arg[1].len == TOKEN_LEN)
		t = util_map_get(r->tickets, fr->arg[1].p, TOKEN_LEN);
	if (t != NULL && !t->used && t->target == s->user &&
	    net_loop_now(r->loop) < t->expires &&
	    proto_name_eq(fr->arg[0],
	        (struct proto_slice){t->asker->name, t->asker->namelen})) {
		t->used = true;
		util_map_remove(r->tickets, t->id, TOKEN_LEN);
		yes = true;
	}
	server_log(SERVER_LOG_DEBUG, "%s verified a ticket of %.*s: %s",
	    s->user->name, (int)fr->arg[0].len, fr->arg[0].p,
	    yes ? "yes" : "no");
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_VERIFIED);
	proto_writer_field(&w, fr->arg[0].p, fr->arg[0].len);
	proto_writer_field(&w, fr->arg[1].p, fr->arg[1].len);
	proto_writer_str(&w, yes ? "yes" : "no");
	if (proto_writer_end(&w, &n) == 0)
		sess_send(s, r->out, n);
}

/* Drop tickets that expired or were used; they leave in creation order. */
static void
tickets_sweep(struct server_relay *r)
{
	uint64_t now = net_loop_now(r->loop);
	struct srv_ticket *t;

	while ((t = r->tk_head) != NULL && (t->used || t->expires <= now)) {
		r->tk_head = t->next;
		if (r->tk_head == NULL)
			r->tk_tail = NULL;
		if (!t->used)
			util_map_remove(r->tickets, t->id, TOKEN_LEN);
		t->asker->ntickets--;
		free(t);
	}
}

/* --- light presence and discovery over UDP ---------------------------- */

static void
udp_reply(struct server_relay *r, struct proto_writer *w,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	size_t n;

	if (proto_writer_end(w, &n) == 0)
		(void)net_udp_reply(r->ufd, from, fromlen, r->out, n);
}

/*
 * ALIVE|name|token keeps a user online without a TCP connection, for
 * three heartbeat intervals; the answer is how many frames wait for it.
 * A token that is not the user's gets AUTH_FAILED: log in again.
 */
static void
udp_alive(struct server_relay *r, const struct proto_frame *fr,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct srv_user *u = user_find(r, fr->arg[0]);
	struct proto_writer w;
	int64_t pending;

	proto_writer_init(&w, r->out, sizeof r->out);
	if (u == NULL || u->token[0] == '\0' ||
	    (u->sess == NULL && !u->light) ||
	    !proto_slice_eq(fr->arg[1], u->token)) {
		proto_writer_begin(&w, PROTO_V_ERR);
		proto_writer_str(&w, proto_err_name(PROTO_ERR_AUTH_FAILED));
		proto_writer_str(&w, "-");
		proto_writer_b64(&w, "unknown or expired session token",
		    strlen("unknown or expired session token"));
		udp_reply(r, &w, from, fromlen);
		return;
	}
	if (!u->light) {
		u->light = true;
		r->nlight++;
	}
	u->light_until =
	    net_loop_now(r->loop) + 3ULL * r->cfg.heartbeat_s * 1000;
	net_addr_format(from, u->light_ip, sizeof u->light_ip);
	pending = server_store_queue_count(r->store, u->key);
	proto_writer_begin(&w, PROTO_V_ALIVE);
	proto_writer_u64(&w, pending > 0 ? (uint64_t)pending : 0);
	udp_reply(r, &w, from, fromlen);
}

static void
udp_discover(struct server_relay *r, const struct sockaddr_storage *from,
    socklen_t fromlen)
{
	struct proto_writer w;
	char host[256];
	const char *name = r->cfg.name;

	if (name == NULL) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "termgramd");
		host[sizeof host - 1] = '\0';
		name = host;
	}
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_RELAY);
	proto_writer_b64(&w, name, strlen(name));
	proto_writer_u64(&w, (uint64_t)r->port);
	udp_reply(r, &w, from, fromlen);
}

/*
 * Datagrams: ALIVE and DISCOVER are answered; anything else is dropped
 * without a word, so the relay never answers a forged source address
 * with more bytes than it was sent.
 */
static void
relay_udp(struct net_watch *wt, short revents, void *arg)
{
	struct server_relay *r = arg;
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct proto_frame fr;
	struct proto_error err;
	char buf[1024];
	ssize_t n;
	int i;

	(void)wt;
	(void)revents;
	for (i = 0; i < 64; i++) {
		n = net_udp_recvfrom(
		    r->ufd, buf, sizeof buf - 1, &from, &fromlen);
		if (n <= 0)
			return;
		if (buf[n - 1] != '\n')
			buf[n++] = '\n';
		if (proto_frame_parse(buf, (size_t)n, &fr, &err) != PROTO_FRAME)
			continue;
		if (fr.verb == PROTO_V_ALIVE && fr.nargs == 2)
			udp_alive(r, &fr, &from, fromlen);
		else if (fr.verb == PROTO_V_DISCOVER &&
		    proto_slice_u64(fr.arg[0]) == PROTO_VERSION)
			udp_discover(r, &from, fromlen);
	}
}

/* Light presences not renewed for three intervals end: offline. */
static void
light_sweep(struct server_relay *r)
{
	uint64_t now = net_loop_now(r->loop);
	struct srv_user *u;
	size_t i;

	for (i = 0; i < r->nusers && r->nlight > 0; i++) {
		u = r->ulist[i];
		if (!u->light || u->light_until > now)
			continue;
		u->light = false;
		r->nlight--;
		if (u->sess != NULL)
			continue;
		u->token[0] = '\0';
		u->last_seen = util_wall_ms();
		server_store_set_last_seen(r->store, u->key, u->last_seen);
		broadcast_presence(r, u);
		server_log(SERVER_LOG_INFO,
		    "%s left (no ALIVE for three intervals)", u->name);
	}
}

/* --- sessions ------------------------------------------------------------ */

static void
send_stats(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct proto_writer w;
	char kv[1024];
	int len;
	size_t n;

	len = snprintf(kv, sizeof kv,
	    "uptime_s=%llu\nsessions=%u\nusers=%zu\nframes_in=%llu\n"
	    "frames_out=%llu\nmsgs_stored=%llu\nmsgs_relayed=%llu\n"
	    "bytes_relayed=%llu\nqueue_depth=%lld\ngrace_pending=%zu\n"
	    "grace_ms=%u\nlight=%zu\nheartbeat_s=%u\n",
	    (unsigned long long)((net_clock_ms() - r->started) / 1000),
	    r->nsessions, r->nusers, (unsigned long long)r->st.frames_in,
	    (unsigned long long)r->st.frames_out,
	    (unsigned long long)r->st.msgs_stored,
	    (unsigned long long)r->st.msgs_relayed,
	    (unsigned long long)r->st.bytes_relayed,
	    (long long)r->st.queue_depth, r->ngrace, r->cfg.grace_ms, r->nlight,
	    r->cfg.heartbeat_s);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_STATS);
	proto_writer_b64(&w, kv, (size_t)len);
	if (proto_writer_end(&w, &n) == 0)
		sess_send(s, r->out, n);
}

static void
make_token(char *out)
{
	unsigned char raw[TOKEN_LEN / 2];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, TOKEN_LEN + 1, raw, sizeof raw);
}

/* Queued frames for this session, in batches while its output has room. */
struct sync_ctx {
	struct srv_sess *s;
	int64_t *rcpt_rows;
	size_t nrcpt;
	int64_t last;
};

static void
sync_row(void *arg, const struct server_queued *q)
{
	struct sync_ctx *c = arg;
	struct srv_sess *s = c->s;

	c->last = q->seq;
	sess_send(s, q->frame, q->len);
	s->r->st.bytes_relayed += q->len;
	if (q->kind == SERVER_QUEUE_MSG)
		s->r->st.msgs_relayed++;
	else
		c->rcpt_rows[c->nrcpt++] = q->seq;
}

static void
sess_sync(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	int64_t rows[SYNC_BATCH];
	struct sync_ctx c;
	size_t i;
	int n;

	while (s->backlog && !s->gone && !net_conn_is_full(s->conn)) {
		c.s = s;
		c.rcpt_rows = rows;
		c.nrcpt = 0;
		c.last = s->cursor;
		n = server_store_queue_fetch(r->store, s->user->key, s->cursor,
		    SYNC_BATCH, sync_row, &c);
		if (n < 0) {
			server_log(SERVER_LOG_ERROR, "store: %s",
			    server_store_error(r->store));
			return;
		}
		s->cursor = c.last;
		/* A receipt is done once handed over; messages wait for
		 * their own RCPT. */
		for (i = 0; i < c.nrcpt; i++) {
			if (server_store_queue_delete(r->store, rows[i]) == 0)
				r->st.queue_depth--;
		}
		if (n < SYNC_BATCH)
			s->backlog = false;
	}
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

	for (o = r->sessions; o != NULL; o = o->next) {
		if (o->blocked_on != s)
			continue;
		o->blocked_on = NULL;
		o->kick = true;
		if (o->conn != NULL)
			net_conn_pause(o->conn, false);
		net_timer_start(r->loop, &r->kick, 0);
	}
}

static void
kick_timer(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;
	struct srv_sess *o;

	(void)t;
	for (o = r->sessions; o != NULL; o = o->next) {
		if (o->kick) {
			o->kick = false;
			sess_process(o);
		}
	}
}

static void
sess_drained(struct net_conn *c, void *arg)
{
	struct srv_sess *s = arg;

	(void)c;
	sess_sync(s);
	unblock_waiters(s);
}

static void
sess_welcome(struct srv_sess *s, struct srv_user *u, unsigned p2p_port)
{
	struct server_relay *r = s->r;
	struct proto_writer w;
	size_t n;

	bool was_online = u->light; /* a light client, back for a moment */

	s->user = u;
	s->p2p_port = p2p_port;
	u->p2p_port = p2p_port;
	u->sess = s;
	u->last_seen = util_wall_ms();
	make_token(u->token);
	server_store_set_last_seen(r->store, u->key, u->last_seen);

	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_WELCOME);
	proto_writer_str(&w, u->name);
	proto_writer_str(&w, u->token);
	proto_writer_u64(&w, r->cfg.max_frame);
	proto_writer_u64(&w, util_wall_ms());
	if (proto_writer_end(&w, &n) == 0)
		sess_send(s, r->out, n);
	send_user_lines(s);
	sess_send(s, "SYNCED\n", 7);
	s->cursor = 0;
	s->backlog = true;
	sess_sync(s);
	if (!was_online)
		broadcast_presence(r, u);
	server_log(SERVER_LOG_INFO, "%s logged in from %s", u->name, s->ip);
}

/* Take the name over from its current session. */
static void
sess_replace(struct srv_user *u)
{
	struct srv_sess *old = u->sess;

	if (old == NULL)
		return;
	server_log(
	    SERVER_LOG_INFO, "%s: session from %s replaced", u->name, old->ip);
	sess_send(old, "BYE|replaced\n", 13);
	sess_close(old, NULL, NULL);
}

static void
handle_login(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_user *u;
	char pw[PROTO_MAX_TEXT + 1], name[PROTO_MAX_NAME + 1];
	char hash[crypto_pwhash_STRBYTES];
	size_t pwlen = 0;
	uint64_t port = proto_slice_u64(fr->arg[3]);
	bool resume = fr->verb == PROTO_V_RESUME;

	if (proto_slice_u64(fr->arg[0]) != PROTO_VERSION) {
		sess_send_err(s, PROTO_ERR_BAD_FIELD, no_ref,
		    "this relay speaks protocol version 1");
		sess_close(s, NULL, NULL);
		return;
	}
	u = user_find(r, fr->arg[1]);
	if (resume) {
		if (u == NULL || (u->sess == NULL && !u->light) ||
		    u->token[0] == '\0' ||
		    !proto_slice_eq(fr->arg[2], u->token)) {
			sess_send_err(s, PROTO_ERR_AUTH_FAILED, no_ref,
			    "unknown or expired session token");
			sess_close(s, NULL, NULL);
			return;
		}
		sess_replace(u);
		sess_welcome(s, u, (unsigned)port);
		return;
	}

	if (proto_text_decode(fr->arg[2], pw, sizeof pw - 1, &pwlen) != 0)
		pwlen = 0;
	pw[pwlen] = '\0';
	/* PROTOCOL.md section 2: a name online already is refused unless it
	 * is owned and the password matches; then the new session wins. */
	if (u != NULL && u->pwhash != NULL) {
		if (crypto_pwhash_str_verify(u->pwhash, pw, pwlen) != 0) {
			sodium_memzero(pw, sizeof pw);
			server_log(SERVER_LOG_INFO,
			    "%s: wrong password from %s", u->name, s->ip);
			if (u->sess != NULL)
				sess_send_errf(s, PROTO_ERR_NAME_IN_USE, no_ref,
				    "%s is online already", u->name);
			else
				sess_send_err(s, PROTO_ERR_AUTH_FAILED, no_ref,
				    "wrong password for this name");
			sess_close(s, NULL, NULL);
			return;
		}
		sess_replace(u);
	} else if (u != NULL && u->sess != NULL) {
		sodium_memzero(pw, sizeof pw);
		sess_send_errf(s, PROTO_ERR_NAME_IN_USE, no_ref,
		    "%s is online already (an open name cannot be taken over;"
		    " register a name with a password to own it)",
		    u->name);
		sess_close(s, NULL, NULL);
		return;
	}
	if (u == NULL) {
		memcpy(name, fr->arg[1].p, fr->arg[1].len);
		name[fr->arg[1].len] = '\0';
		if (pwlen > 0 &&
		    crypto_pwhash_str(hash, pw, pwlen,
		        crypto_pwhash_OPSLIMIT_INTERACTIVE,
		        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
			sodium_memzero(pw, sizeof pw);
			sess_send_err(s, PROTO_ERR_INTERNAL, no_ref,
			    "out of memory hashing the password");
			sess_close(s, NULL, NULL);
			return;
		}
		if (server_store_add_user(r->store, name,
		        pwlen > 0 ? hash : NULL, util_wall_ms()) != 0) {
			sodium_memzero(pw, sizeof pw);
			server_log(SERVER_LOG_ERROR, "store: %s",
			    server_store_error(r->store));
			sess_send_err(s, PROTO_ERR_INTERNAL, no_ref,
			    "the relay could not register the name");
			sess_close(s, NULL, NULL);
			return;
		}
		u = user_add(r, name, pwlen > 0 ? hash : NULL, 0);
		server_log(SERVER_LOG_INFO, "%s registered (%s name)", u->name,
		    pwlen > 0 ? "owned" : "open");
	}
	sodium_memzero(pw, sizeof pw);
	sess_welcome(s, u, (unsigned)port);
}

static double
verb_cost(enum proto_verb v)
{
	switch (v) {
	case PROTO_V_FDATA:
	case PROTO_V_FACK:
		return 0; /* flow-controlled by the transfer window */
	case PROTO_V_LOGIN:
	case PROTO_V_RESUME:
	case PROTO_V_STATS:
		return 10;
	default:
		return 1;
	}
}

static void
handle_frame(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct proto_slice ref = no_ref;
	size_t n;

	r->st.frames_in++;
	if (!rate_ok(s, verb_cost(fr->verb))) {
		if (fr->verb == PROTO_V_MSG)
			ref = fr->arg[3];
		else if (proto_verb_is_routed(fr->verb) &&
		    fr->verb != PROTO_V_TYPING)
			ref = fr->arg[2];
		sess_send_err(
		    s, PROTO_ERR_RATE_LIMIT, ref, "too many frames; slow down");
		return;
	}
	if (s->user == NULL) {
		if (fr->verb == PROTO_V_LOGIN || fr->verb == PROTO_V_RESUME)
			handle_login(s, fr);
		else
			sess_send_errf(s, PROTO_ERR_NOT_LOGGED_IN, no_ref,
			    "send LOGIN or RESUME first, not %s",
			    proto_verb_name(fr->verb));
		return;
	}
	if (proto_verb_is_routed(fr->verb)) {
		route(s, fr);
		return;
	}
	switch (fr->verb) {
	case PROTO_V_PING:
		memcpy(r->out, "PONG", 4);
		n = 4 + (fr->hdrlen - 4);
		memcpy(r->out + 4, fr->raw + 4, fr->hdrlen - 4);
		/* Drop a CR the client may have sent. */
		if (n >= 2 && r->out[n - 2] == '\r') {
			r->out[n - 2] = '\n';
			n--;
		}
		sess_send(s, r->out, n);
		return;
	case PROTO_V_PONG:
		return;
	case PROTO_V_BYE:
		sess_close(s, NULL, "said bye");
		return;
	case PROTO_V_STATS:
		if (fr->nargs == 0) {
			send_stats(s);
			return;
		}
		break;
	case PROTO_V_LOOKUP:
		handle_lookup(s, fr);
		return;
	case PROTO_V_VERIFY:
		handle_verify(s, fr);
		return;
	case PROTO_V_LOGIN:
	case PROTO_V_RESUME:
		sess_send_err(
		    s, PROTO_ERR_BAD_FRAME, no_ref, "already logged in");
		return;
	case PROTO_V_ERR:
		server_log(SERVER_LOG_DEBUG, "%s sent an ERR", s->user->name);
		return;
	default:
		break;
	}
	sess_send_errf(s, PROTO_ERR_BAD_VERB, no_ref,
	    "%s is not a request this relay serves", proto_verb_name(fr->verb));
}

/* Handle every complete frame in the input, unless paused or closed. */
static void
sess_process(struct srv_sess *s)
{
	struct proto_frame fr;
	struct proto_error err;
	const char *p;
	size_t len, used, done = 0;
	enum proto_status st;

	if (s->gone)
		return;
	p = net_conn_input(s->conn, &len);
	while (!s->gone && s->blocked_on == NULL && done < len) {
		st = proto_decoder_next(
		    &s->dec, p + done, len - done, &fr, &err, &used);
		if (st == PROTO_NEED_MORE)
			break;
		s->last_in = net_loop_now(s->r->loop);
		if (st == PROTO_ERROR) {
			s->r->st.frames_in++;
			sess_send_err(s, err.code, err.ref, err.text);
			if (err.fatal) {
				sess_close(s, NULL, err.text);
				return;
			}
		} else
			handle_frame(s, &fr);
		done += used;
	}
	if (!s->gone)
		net_conn_consume(s->conn, done);
}

static void
sess_read(struct net_conn *c, void *arg)
{
	(void)c;
	sess_process(arg);
}

static void
sess_lost(struct net_conn *c, void *arg, const char *why)
{
	struct srv_sess *s = arg;

	(void)c;
	s->conn = NULL;
	sess_close(s, NULL, why);
}

static void
sess_free(void *p)
{
	free(p);
}

/*
 * End a session: with bye, say BYE|bye first. The connection is flushed
 * and closed; the session is freed at the end of the turn.
 */
static void
sess_close(struct srv_sess *s, const char *bye, const char *why)
{
	struct server_relay *r = s->r;
	struct srv_user *u = s->user;
	char line[64];
	int n;

	if (s->gone)
		return;
	if (bye != NULL && s->conn != NULL) {
		n = snprintf(line, sizeof line, "BYE|%s\n", bye);
		net_conn_write(s->conn, line, (size_t)n);
	}
	s->gone = true;
	if (s->conn != NULL)
		net_conn_close(s->conn, true);
	s->conn = NULL;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		r->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	r->nsessions--;
	unblock_waiters(s);
	if (u != NULL && u->sess == s && u->light) {
		/* A light client closed its connection: ALIVE keeps it. */
		u->sess = NULL;
		grace_flush_for(r, u);
		server_log(SERVER_LOG_DEBUG,
		    "%s: connection closed, light "
		    "presence goes on",
		    u->name);
	} else if (u != NULL && u->sess == s) {
		u->sess = NULL;
		u->token[0] = '\0';
		u->last_seen = util_wall_ms();
		server_store_set_last_seen(r->store, u->key, u->last_seen);
		grace_flush_for(r, u);
		broadcast_presence(r, u);
		server_log(SERVER_LOG_INFO, "%s left (%s)", u->name,
		    why != NULL       ? why
		        : bye != NULL ? bye
		                      : "closed");
	} else if (why != NULL)
		server_log(
		    SERVER_LOG_DEBUG, "%s: connection ended: %s", s->ip, why);
	net_loop_defer_free(r->loop, sess_free, s);
}

static const struct net_conn_cb sess_cb = {
    .on_read = sess_read,
    .on_drain = sess_drained,
    .on_close = sess_lost,
};

static void
accept_resume(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;

	(void)t;
	if (!r->shutting_down)
		net_watch_set_events(r->lw, POLLIN);
}

static void
relay_accept(struct net_watch *w, short revents, void *arg)
{
	struct server_relay *r = arg;
	struct srv_sess *s;
	char ip[NET_ADDRSTRLEN];
	int i, fd;

	(void)revents;
	for (i = 0; i < ACCEPT_PER_TURN; i++) {
		fd = net_tcp_accept(net_watch_fd(w), ip, sizeof ip);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: stop listening a while
				 * rather than spin on the listener. */
				server_log(SERVER_LOG_WARN,
				    "accept: %s; pausing for a second",
				    strerror(errno));
				net_watch_set_events(w, 0);
				net_timer_start(
				    r->loop, &r->accept_again, 1000);
			}
			return;
		}
		if (r->nsessions >= r->cfg.max_sessions) {
			static const char full[] =
			    "ERR|INTERNAL|-|dGhlIHJlbGF5IGlzIGZ1bGw=\n";
			(void)!write(fd, full, sizeof full - 1);
			close(fd);
			server_log(SERVER_LOG_WARN,
			    "refused %s: %u sessions already", ip,
			    r->nsessions);
			continue;
		}
		s = xcalloc(1, sizeof *s);
		s->r = r;
		memcpy(s->ip, ip, sizeof s->ip);
		s->conn = net_conn_new(r->loop, fd, &sess_cb, s);
		net_conn_set_limits(
		    s->conn, OUT_LOW, OUT_HIGH, r->cfg.max_output);
		proto_decoder_init(&s->dec, r->cfg.max_frame);
		s->last_in = net_loop_now(r->loop);
		s->tokens = (double)r->cfg.rate * 2;
		s->tokens_at = s->last_in;
		s->next = r->sessions;
		if (r->sessions != NULL)
			r->sessions->prev = s;
		r->sessions = s;
		r->nsessions++;
	}
}

/* Once a second: drop sessions silent for three heartbeat intervals. */
/*
 * After a burst (a login storm, a backlog delivered) the heap keeps the
 * freed output buffers; give them back to the system once it is quiet, so
 * that the resident size reflects the sessions, not the last storm.
 */
static void
relay_trim(struct server_relay *r)
{
#ifdef __GLIBC__
	uint64_t out = r->st.frames_out;

	if (out - r->trim_mark > 10000)
		r->trim_wanted = true;
	else if (r->trim_wanted) {
		malloc_trim(0);
		r->trim_wanted = false;
	}
	r->trim_mark = out;
#else
	(void)r;
#endif
}

static void
relay_sweep(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;
	struct srv_sess *s, *next;
	uint64_t now = net_clock_ms();
	uint64_t limit = 3ULL * r->cfg.heartbeat_s * 1000;

	for (s = r->sessions; s != NULL; s = next) {
		next = s->next;
		if (now - s->last_in > limit) {
			sess_close(s, "idle", "silent for three heartbeats");
			continue;
		}
		/* A reader whose output stays over its high mark holds up
		 * whoever sends to it: past the age limit it goes. */
		if (s->conn == NULL || !net_conn_is_full(s->conn))
			s->full_since = 0;
		else if (s->full_since == 0)
			s->full_since = now;
		else if (now - s->full_since > r->cfg.max_stall_s * 1000ULL) {
			server_log(SERVER_LOG_WARN,
			    "%s (%s): read nothing for %u s, disconnected as "
			    "too slow",
			    s->user != NULL ? s->user->name : "-", s->ip,
			    r->cfg.max_stall_s);
			sess_close(s, "too-slow", "too slow");
		}
	}
	tickets_sweep(r);
	light_sweep(r);
	relay_trim(r);
	net_timer_start(r->loop, t, SWEEP_MS);
}

static void
load_user(void *arg, const char *name, const char *pwhash, uint64_t seen)
{
	user_add(arg, name, pwhash, seen);
}

static void
load_msg(void *arg, const struct server_queued *q)
{
	struct server_relay *r = arg;
	struct srv_user *snd, *rcp;
	struct srv_msg *m;
	struct proto_slice sn = {q->sender, strlen(q->sender)};
	struct proto_slice rn = {q->rcpt, strlen(q->rcpt)};

	snd = user_find(r, sn);
	rcp = user_find(r, rn);
	if (snd == NULL || rcp == NULL || strlen(q->id) > PROTO_MAX_ID)
		return;
	m = msg_new(r);
	m->sender = snd;
	m->rcpt = rcp;
	m->seq = q->seq;
	snprintf(m->id, sizeof m->id, "%s", q->id);
	m->klen =
	    (size_t)snprintf(m->key, sizeof m->key, "%s|%s", snd->key, q->id);
	util_map_set(r->msgs, m->key, m->klen, m);
}

/* Open the store, load users and queued messages, and start listening. */
struct server_relay *
server_relay_new(struct net_loop *loop, const struct server_config *cfg,
    char *err, size_t errlen)
{
	struct server_relay *r;
	int tries;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->pres_gen = 1; /* users start at 0: in no batch */
	r->loop = loop;
	r->cfg = *cfg;
	r->lfd = -1;
	r->ufd = -1;
	r->users = util_map_new();
	r->tickets = util_map_new();
	r->msgs = util_map_new();
	r->started = net_clock_ms();
	r->store =
	    server_store_open(cfg->data_dir, cfg->sync_full, err, errlen);
	if (r->store == NULL)
		goto fail;
	if (server_store_load_users(r->store, load_user, r) != 0 ||
	    server_store_load_msgs(r->store, load_msg, r) != 0) {
		snprintf(err, errlen, "%s", server_store_error(r->store));
		goto fail;
	}
	r->st.queue_depth = server_store_queue_depth(r->store);

	/* TCP and UDP on the same port; with port 0, try again until both
	 * are free. */
	for (tries = 0;; tries++) {
		r->lfd =
		    net_tcp_listen(cfg->bind, (uint16_t)cfg->port, err, errlen);
		if (r->lfd == -1)
			goto fail;
		r->port = net_sock_port(r->lfd);
		r->ufd =
		    net_udp_bind(cfg->bind, (uint16_t)r->port, err, errlen);
		if (r->ufd != -1)
			break;
		close(r->lfd);
		r->lfd = -1;
		if (cfg->port != 0 || tries == 20)
			goto fail;
	}
	snprintf(r->addr, sizeof r->addr, "%s%s%s:%d",
	    strchr(cfg->bind, ':') != NULL ? "[" : "", cfg->bind,
	    strchr(cfg->bind, ':') != NULL ? "]" : "", r->port);
	r->lw = net_loop_add_fd(loop, r->lfd, POLLIN, relay_accept, r);
	r->uw = net_loop_add_fd(loop, r->ufd, POLLIN, relay_udp, r);
	net_timer_init(&r->sweep, relay_sweep, r);
	net_timer_start(loop, &r->sweep, SWEEP_MS);
	net_timer_init(&r->grace, grace_timer, r);
	net_timer_init(&r->accept_again, accept_resume, r);
	net_timer_init(&r->kick, kick_timer, r);
	net_loop_set_turn_hook(loop, relay_turn_end, r);
	server_log(SERVER_LOG_INFO, "data in %s: %zu users, %lld queued frames",
	    cfg->data_dir, r->nusers, (long long)r->st.queue_depth);
	return r;
fail:
	server_relay_free(r);
	return NULL;
}

/* The port the relay listens on (the chosen one when asked for 0). */
int
server_relay_port(const struct server_relay *r)
{
	return r->port;
}

/* "ADDR:PORT" as the relay listens. */
const char *
server_relay_address(const struct server_relay *r)
{
	return r->addr;
}

/*
 * Stop accepting, store what waits in the grace period, say BYE to every
 * session and let their output flush; the caller runs the loop until
 * server_relay_is_drained() or a deadline.
 */
void
server_relay_shutdown(struct server_relay *r)
{
	struct srv_sess *s, *next;

	if (r->shutting_down)
		return;
	r->shutting_down = true;
	if (r->lw != NULL) {
		net_watch_remove(r->lw);
		r->lw = NULL;
		close(r->lfd);
		r->lfd = -1;
	}
	if (r->uw != NULL) {
		net_watch_remove(r->uw);
		r->uw = NULL;
		close(r->ufd);
		r->ufd = -1;
	}
	net_timer_stop(r->loop, &r->accept_again);
	net_timer_stop(r->loop, &r->sweep);
	grace_flush_for(r, NULL);
	net_timer_stop(r->loop, &r->grace);
	for (s = r->sessions; s != NULL; s = next) {
		next = s->next;
		sess_close(s, "shutdown", "relay shutting down");
	}
}

/* Whether every session is gone. */
bool
server_relay_is_drained(const struct server_relay *r)
{
	return r->sessions == NULL;
}

static void
free_msg_cb(const void *k, size_t len, void *v, void *arg)
{
	struct srv_msg *m = v;

	(void)k;
	(void)len;
	(void)arg;
	msg_drop_frame(m);
	free(m);
}

/* Free everything; commits what is open. */
void
server_relay_free(struct server_relay *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->loop != NULL) {
		net_loop_set_turn_hook(r->loop, NULL, NULL);
		net_timer_stop(r->loop, &r->sweep);
		net_timer_stop(r->loop, &r->grace);
		net_timer_stop(r->loop, &r->accept_again);
		net_timer_stop(r->loop, &r->kick);
	}
	if (r->store != NULL)
		relay_turn_end(r->loop, r);
	if (r->lw != NULL)
		net_watch_remove(r->lw);
	if (r->lfd != -1)
		close(r->lfd);
	if (r->uw != NULL)
		net_watch_remove(r->uw);
	if (r->ufd != -1)
		close(r->ufd);
	while (r->tk_head != NULL) {
		struct srv_ticket *t = r->tk_head;
		r->tk_head = t->next;
		free(t);
	}
	util_map_free(r->tickets);
	server_store_close(r->store);
	if (r->msgs != NULL) {
		util_map_each(r->msgs, free_msg_cb, NULL);
		util_map_free(r->msgs);
	}
	while (r->pool != NULL) {
		struct srv_msg *m = r->pool;
		r->pool = m->next;
		free(m);
	}
	for (i = 0; i < r->nusers; i++) {
		free(r->ulist[i]->pwhash);
		free(r->ulist[i]);
	}
	free(r->ulist);
	free(r->clist);
	free(r->pres);
	free(r->pent);
	util_map_free(r->users);
	free(r->acks);
	free(r);
}
