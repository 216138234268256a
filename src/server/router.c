/* SPDX-License-Identifier: MIT */
/*
 * The router: MSG, RCPT, TYPING and file frames from one user to another
 * (PROTOCOL.md section 3), to every session of the recipient online
 * (docs/protocol.md "Delivery to every device"). A MSG to a user whose
 * one device is online is forwarded at once and waits in the grace list
 * for its RCPT; one that gets none in time, or whose recipient has a
 * device offline, behind, or more than one, goes to the store. Either
 * way the sender's ACK follows the commit of the turn. Sessions are
 * reached only through struct server_router_io, so the router runs
 * without sockets.
 *
 * What is stored stays on disk and nowhere else: resends and receipts are
 * answered by looking the message up in the store, a device's backlog is
 * read from its cursor as its output drains (inbox.c), and each user
 * carries only counts of its part of the queue (its quota).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/loop.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "server/filestore.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define MSG_POOL 4096

static void router_timer(struct net_timer *, void *);

/* Set up a router over a directory and a store; io reaches sessions. */
void
server_router_init(struct server_router *rt, struct net_loop *loop,
    struct server_store *store, struct server_directory *dir,
    struct srv_stats *st, unsigned grace_ms, const struct server_router_io *io)
{
	memset(rt, 0, sizeof *rt);
	rt->loop = loop;
	rt->store = store;
	rt->dir = dir;
	rt->st = st;
	rt->grace_ms = grace_ms;
	rt->io = io;
	rt->msgs = util_map_new();
	TAILQ_INIT(&rt->grace);
	TAILQ_INIT(&rt->pool);
	net_timer_init(&rt->timer, router_timer, rt);
}

/* Free a message record and the frame it keeps. */
static void
router_free_msg(const void *k, size_t len, void *v, void *arg)
{
	struct srv_msg *m = v;

	(void)k;
	(void)len;
	(void)arg;
	if (m->frame != m->small)
		free(m->frame);
	free(m);
}

/* Free every record; what waits in the grace list is not stored. */
void
server_router_fini(struct server_router *rt)
{
	struct srv_msg *m;

	net_timer_stop(rt->loop, &rt->timer);
	if (rt->msgs != NULL) {
		util_map_each(rt->msgs, router_free_msg, NULL);
		util_map_free(rt->msgs);
	}
	while ((m = TAILQ_FIRST(&rt->pool)) != NULL) {
		TAILQ_REMOVE(&rt->pool, m, entry);
		free(m);
	}
	free(rt->acks);
}

/*
 * Promise u an ACK for id once the turn's transaction commits, to the
 * sessions of its device dev (the one that sent it).
 */
static void
ack_later(struct server_router *rt, struct srv_user *u, const char *dev,
    const char *id)
{
	XGROW(rt->acks, rt->capacks, rt->nacks + 1, 256);
	rt->acks[rt->nacks].user = u;
	snprintf(rt->acks[rt->nacks].device, sizeof rt->acks[rt->nacks].device,
	    "%s", dev);
	snprintf(
	    rt->acks[rt->nacks].id, sizeof rt->acks[rt->nacks].id, "%s", id);
	rt->nacks++;
}

/* ACK|<id>|stored to u's device dev once the turn's batch commits (a
 * room message, rooms.c; a stored file, filestore.c). */
void
server_router_ack(struct server_router *rt, struct srv_user *u, const char *dev,
    const char *id)
{
	ack_later(rt, u, dev, id);
}

/* Take m out of the grace list. */
static void
grace_unlink(struct server_router *rt, struct srv_msg *m)
{
	rt->ngrace--;
	TAILQ_REMOVE(&rt->grace, m, entry);
}

/*
 * Message records come from a free list: the hot path (forward, then the
 * RCPT within the grace period) allocates nothing once it is warm.
 */
static struct srv_msg *
msg_new(struct server_router *rt)
{
	struct srv_msg *m = TAILQ_FIRST(&rt->pool);

	if (m != NULL) {
		TAILQ_REMOVE(&rt->pool, m, entry);
		rt->npool--;
	} else
		m = xmalloc(sizeof *m);
	m->deadline = 0;
	m->frame = NULL;
	m->len = 0;
	return m;
}

/* Forget the frame a message kept for its grace period. */
static void
msg_drop_frame(struct srv_msg *m)
{
	if (m->frame != m->small)
		free(m->frame);
	m->frame = NULL;
	m->len = 0;
}

/* Keep a copy of the frame while its RCPT may still come. */
static void
msg_keep_frame(struct srv_msg *m, const char *p, size_t n)
{
	m->frame = n <= sizeof m->small ? m->small : xmalloc(n);
	memcpy(m->frame, p, n);
	m->len = n;
}

/* The relay no longer answers for m: back to the free list. */
static void
msg_free(struct server_router *rt, struct srv_msg *m)
{
	util_map_remove(rt->msgs, m->key, m->klen);
	msg_drop_frame(m);
	if (rt->npool < MSG_POOL) {
		TAILQ_INSERT_HEAD(&rt->pool, m, entry);
		rt->npool++;
	} else
		free(m);
}

/*
 * Set the queue quota per recipient and the share of one sender over all
 * recipients, in frames and bytes (0: none).
 */
void
server_router_set_quota(struct server_router *rt, uint64_t max_frames,
    uint64_t max_bytes, uint64_t max_s_frames, uint64_t max_s_bytes)
{
	rt->max_frames = max_frames;
	rt->max_bytes = max_bytes;
	rt->max_s_frames = max_s_frames;
	rt->max_s_bytes = max_s_bytes;
}

/*
 * Retention (--keep-days): an entry every device has stays keep_ms after
 * it was stored; with any, every MSG is written (no grace period).
 */
void
server_router_set_keep(struct server_router *rt, uint64_t keep_ms)
{
	rt->keep_ms = keep_ms;
}

/* Whether one more frame of len bytes for u would pass its quota. */
static bool
over_quota(const struct server_router *rt, const struct srv_user *u, size_t len)
{
	return (rt->max_frames > 0 && u->q_frames + 1 > rt->max_frames) ||
	    (rt->max_bytes > 0 && u->q_bytes + len > rt->max_bytes);
}

/* Whether one more frame of len bytes from u would pass its share. */
static bool
over_share(const struct server_router *rt, const struct srv_user *u, size_t len)
{
	return (rt->max_s_frames > 0 && u->s_frames + 1 > rt->max_s_frames) ||
	    (rt->max_s_bytes > 0 && u->s_bytes + len > rt->max_s_bytes);
}

/* A frame of len bytes from sender (or NULL) for rcpt went into the
 * queue (or, -1, out of it). */
void
server_router_counted(struct server_router *rt, struct srv_user *sender,
    struct srv_user *rcpt, size_t len, int delta)
{
	if (delta > 0) {
		rcpt->q_frames++;
		rcpt->q_bytes += len;
		if (sender != NULL) {
			sender->s_frames++;
			sender->s_bytes += len;
		}
		rt->st->queue_depth++;
		return;
	}
	rcpt->q_frames -= rcpt->q_frames > 0;
	rcpt->q_bytes -= rcpt->q_bytes > len ? len : rcpt->q_bytes;
	if (sender != NULL) {
		sender->s_frames -= sender->s_frames > 0;
		sender->s_bytes -=
		    sender->s_bytes > len ? len : sender->s_bytes;
	}
	rt->st->queue_depth--;
}

/*
 * Store a message in the queue (in this turn's transaction) and promise
 * the sender an ACK once it commits. Returns its sequence number, or -1
 * if the store failed.
 */
static int64_t
msg_store(struct server_router *rt, struct srv_user *sender, const char *dev,
    struct srv_user *rcpt, const char *id, const char *frame, size_t len)
{
	int64_t seq;

	seq = server_store_queue_add(rt->store, rcpt->key, SERVER_QUEUE_MSG,
	    sender->key, id, frame, len, util_wall_ms());
	if (seq < 0) {
		server_log(SERVER_LOG_ERROR, "store: %s",
		    server_store_error(rt->store));
		return -1;
	}
	server_router_counted(rt, sender, rcpt, len, 1);
	rt->st->msgs_stored++;
	ack_later(rt, sender, dev, id);
	return seq;
}

/*
 * Message seq for u was forwarded to its sessions that keep up: those
 * fed a backlog skip it there, the others will find it in it.
 */
static void
msg_seen_live(struct srv_user *u, int64_t seq)
{
	struct srv_sess *o;

	TAILQ_FOREACH(o, &u->sessions, user_entry)
	{
		if (o->gone || !server_sess_is_head(o))
			continue;
		if (!o->backlog && seq > o->cursor)
			o->cursor = seq;
	}
}

/* The grace period ran out for a forwarded message: store it now. */
static void
msg_grace_expire(struct server_router *rt, struct srv_msg *m)
{
	int64_t seq;

	grace_unlink(rt, m);
	/* It was admitted under the quota when it came: stored even if the
	 * queue has grown past it since. */
	seq =
	    msg_store(rt, m->sender, m->sdev, m->rcpt, m->id, m->frame, m->len);
	/* The recipient has it already; nothing older waits for it. */
	if (seq > 0)
		msg_seen_live(m->rcpt, seq);
	msg_free(rt, m);
}

/* Store every forwarded message whose grace period ended by now. */
void
server_router_expire(struct server_router *rt, uint64_t now)
{
	struct srv_msg *m;

	while ((m = TAILQ_FIRST(&rt->grace)) != NULL && m->deadline <= now)
		msg_grace_expire(rt, m);
}

/* The grace timer: expire what is due, wait for the next one. */
static void
router_timer(struct net_timer *t, void *arg)
{
	struct server_router *rt = arg;
	uint64_t now = net_clock_ms();
	struct srv_msg *m;

	server_router_expire(rt, now);
	if ((m = TAILQ_FIRST(&rt->grace)) != NULL)
		net_timer_start(rt->loop, t, m->deadline - now);
}

/* A recipient went away (u; NULL: all): store what it did not confirm. */
void
server_router_flush(struct server_router *rt, const struct srv_user *u)
{
	struct srv_msg *m, *next;

	for (m = TAILQ_FIRST(&rt->grace); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (u == NULL || m->rcpt == u)
			msg_grace_expire(rt, m);
	}
	if (u == NULL)
		net_timer_stop(rt->loop, &rt->timer);
}

/*
 * The end of the turn: commit, then send the ACKs it promised. If the
 * commit fails nothing is acknowledged and senders keep their outboxes.
 */
void
server_router_commit(struct server_router *rt)
{
	struct srv_ack *a;
	struct srv_sess *o;
	size_t i, n;

	if (!server_store_in_txn(rt->store) && rt->nacks == 0)
		return;
	if (server_store_commit(rt->store) != 0) {
		server_log(SERVER_LOG_ERROR, "store: commit failed: %s",
		    server_store_error(rt->store));
		rt->nacks = 0;
		return;
	}
	for (i = 0; i < rt->nacks; i++) {
		a = &rt->acks[i];
		if (proto_build_ack(rt->out, sizeof rt->out, &n, a->id) != 0)
			continue;
		TAILQ_FOREACH(o, &a->user->sessions, user_entry)
		if (!o->gone && strcmp(o->device, a->device) == 0)
			rt->io->send(o, rt->out, n);
	}
	rt->nacks = 0;
}

/* The user of a key from the store, or NULL. */
struct srv_user *
server_router_user(struct server_router *rt, const char *key)
{
	return key == NULL ? NULL
	                   : server_directory_find(rt->dir,
	                         (struct proto_slice){key, strlen(key)});
}

/* At start: what waits for one user, in frames and bytes. */
static void
router_load_total(void *arg, const char *key, int64_t frames, int64_t bytes)
{
	struct srv_user *u = server_router_user(arg, key);

	if (u != NULL) {
		u->q_frames = (uint64_t)frames;
		u->q_bytes = (uint64_t)bytes;
	}
}

/* At start: what waits from one user, in frames and bytes. */
static void
router_load_sender(void *arg, const char *key, int64_t frames, int64_t bytes)
{
	struct srv_user *u = server_router_user(arg, key);

	if (u != NULL) {
		u->s_frames = (uint64_t)frames;
		u->s_bytes = (uint64_t)bytes;
	}
}

/*
 * Count each user's part of the queue, once the directory has its users:
 * one pass over the store, nothing kept per queued frame.
 */
int
server_router_load(struct server_router *rt)
{
	if (server_store_queue_totals(rt->store, router_load_total, rt) != 0 ||
	    server_store_queue_senders(rt->store, router_load_sender, rt) != 0)
		return -1;
	return 0;
}

/* Count each user's part of the queue again, after a trim (retention.c). */
int
server_router_recount(struct server_router *rt)
{
	struct srv_user *u;
	size_t i;

	for (i = 0; i < rt->dir->nusers; i++) {
		u = rt->dir->list[i];
		u->q_frames = u->q_bytes = u->s_frames = u->s_bytes = 0;
	}
	return server_router_load(rt);
}

/* Send an ERR about the frame ref names to s. */
static void router_errf(struct server_router *, struct srv_sess *,
    enum proto_err, struct proto_slice, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static void
router_errf(struct server_router *rt, struct srv_sess *s, enum proto_err code,
    struct proto_slice ref, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (proto_build_err(
	        rt->out, sizeof rt->out, &n, code, ref.p, ref.len, text) == 0)
		rt->io->send(s, rt->out, n);
}

/* Forward a frame as it came; counts it as relayed. */
static void
forward(
    struct server_router *rt, struct srv_sess *to, const struct proto_frame *fr)
{
	rt->io->send(to, fr->raw, fr->rawlen);
	rt->st->bytes_relayed += fr->rawlen;
	if (fr->verb == PROTO_V_MSG)
		rt->st->msgs_relayed++;
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

/* A new record for the MSG fr from s to to, known by its key. */
static struct srv_msg *
msg_add(struct server_router *rt, struct srv_sess *s,
    const struct proto_frame *fr, struct srv_user *to, const char *key,
    size_t klen)
{
	struct srv_msg *m = msg_new(rt);

	m->sender = s->user;
	snprintf(m->sdev, sizeof m->sdev, "%s", s->device);
	m->rcpt = to;
	memcpy(m->id, fr->arg[3].p, fr->arg[3].len);
	m->id[fr->arg[3].len] = '\0';
	memcpy(m->key, key, klen + 1);
	m->klen = klen;
	util_map_set(rt->msgs, m->key, m->klen, m);
	return m;
}

/* Wait for m's RCPT until the grace period ends; keep its frame. */
static void
grace_add(
    struct server_router *rt, struct srv_msg *m, const struct proto_frame *fr)
{
	msg_keep_frame(m, fr->raw, fr->rawlen);
	m->deadline = net_loop_now(rt->loop) + rt->grace_ms;
	TAILQ_INSERT_TAIL(&rt->grace, m, entry);
	rt->ngrace++;
	if (!net_timer_is_active(&rt->timer))
		net_timer_start(rt->loop, &rt->timer, rt->grace_ms);
}

/* The slice id as a string in buf (PROTO_MAX_ID + 1 bytes). */
static const char *
id_str(char *buf, struct proto_slice id)
{
	memcpy(buf, id.p, id.len);
	buf[id.len] = '\0';
	return buf;
}

/*
 * Whether message id from sender (to rcpt, or NULL: to anyone) is in the
 * store: its sequence number, and in len its frame's length; 0 if not.
 * Only a sender with frames stored costs a look-up.
 */
static int64_t
msg_find_stored(struct server_router *rt, const struct srv_user *sender,
    const char *id, const struct srv_user *rcpt, size_t *len)
{
	int64_t seq;

	if (sender->s_frames == 0)
		return 0;
	seq = server_store_queue_find(
	    rt->store, sender->key, id, rcpt != NULL ? rcpt->key : NULL, len);
	if (seq < 0) {
		server_log(SERVER_LOG_ERROR, "store: %s",
		    server_store_error(rt->store));
		return 0;
	}
	return seq;
}

/*
 * Whether a frame of len bytes from s to to passes the quotas; if not,
 * ERR|QUOTA to s about the frame ref names: to's queue is full, or the
 * frames s's user has waiting, its own share, are.
 */
static bool
quota_admits(struct server_router *rt, struct srv_sess *s,
    const struct srv_user *to, size_t len, struct proto_slice ref)
{
	const struct srv_user *u = s->user;

	if (over_share(rt, u, len)) {
		router_errf(rt, s, PROTO_ERR_QUOTA, ref,
		    "the relay holds %llu frames (%llu bytes) from you that "
		    "wait for their recipients, your own share; try again once "
		    "they have read them",
		    (unsigned long long)u->s_frames,
		    (unsigned long long)u->s_bytes);
		return false;
	}
	if (over_quota(rt, to, len)) {
		router_errf(rt, s, PROTO_ERR_QUOTA, ref,
		    "the relay holds %llu frames (%llu bytes) for %s, its "
		    "quota; try again once %s has read them",
		    (unsigned long long)to->q_frames,
		    (unsigned long long)to->q_bytes, to->name, to->name);
		return false;
	}
	return true;
}

/* Whether s takes a live frame now: online, fed, not full. */
static bool
takes_live(struct server_router *rt, struct srv_sess *s)
{
	return !s->gone && !s->backlog && !rt->io->is_full(s);
}

/*
 * Forward fr to every session of to that keeps up; a device's oldest
 * session that does not gets it from its backlog. How many had it.
 */
static unsigned
forward_all(
    struct server_router *rt, struct srv_user *to, const struct proto_frame *fr)
{
	struct srv_sess *o, *next;
	unsigned n = 0;

	for (o = TAILQ_FIRST(&to->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, user_entry);
		if (takes_live(rt, o)) {
			forward(rt, o, fr);
			n++;
		} else if (!o->gone && server_sess_is_head(o))
			o->backlog = true;
	}
	return n;
}

/*
 * Whether a MSG to to may wait in memory for its RCPT: a grace period,
 * and to's one device online, its oldest session keeping up (with more
 * devices, or one offline, it is written at once).
 */
static bool
grace_fits(struct server_router *rt, struct srv_user *to)
{
	struct srv_sess *first = server_user_first(to);

	return rt->grace_ms > 0 && rt->keep_ms == 0 && first != NULL &&
	    takes_live(rt, first) && server_user_devices_online(to) == 1 &&
	    server_devices_number(rt->store, to) <= 1;
}

/* MSG: forward to the sessions online that keep up, and store. */
static void
route_msg(struct server_router *rt, struct srv_sess *s,
    const struct proto_frame *fr, struct srv_user *to)
{
	struct srv_msg *m;
	char key[sizeof m->key], id[PROTO_MAX_ID + 1];
	size_t klen, len;
	int64_t seq;

	klen = msg_key(key, s->user, fr->arg[3]);
	/* A resend of a message the relay still answers for: once in its
	 * grace period (its RCPT or ACK follows), again once stored. */
	if (util_map_get(rt->msgs, key, klen) != NULL)
		return;
	id_str(id, fr->arg[3]);
	if (msg_find_stored(rt, s->user, id, NULL, &len) > 0) {
		ack_later(rt, s->user, s->device, id);
		return;
	}
	if (!quota_admits(rt, s, to, fr->rawlen, fr->arg[3]))
		return;
	if (to != s->user && server_inbox_has_others(rt, s))
		server_inbox_own(rt, s, fr, SERVER_QUEUE_MSG, id);
	if (grace_fits(rt, to)) {
		forward_all(rt, to, fr);
		m = msg_add(rt, s, fr, to, key, klen);
		grace_add(rt, m, fr);
		return;
	}
	/* Some device offline or behind, or no grace: the store keeps it,
	 * and the sessions that keep up have it at once. */
	if ((seq = msg_store(
	         rt, s->user, s->device, to, id, fr->raw, fr->rawlen)) < 0) {
		router_errf(rt, s, PROTO_ERR_INTERNAL, fr->arg[3],
		    "the relay could not store the message");
		return;
	}
	forward_all(rt, to, fr);
	msg_seen_live(to, seq);
}

/*
 * Keep a frame for to's devices not online, to be sent once (a RCPT, an
 * offer). With quota, one that would pass to's quota is refused with
 * ERR|QUOTA.
 */
static void
queue_once(struct server_router *rt, struct srv_sess *s, struct srv_user *to,
    const struct proto_frame *fr, bool quota)
{
	if (quota && !quota_admits(rt, s, to, fr->rawlen, proto_frame_ref(fr)))
		return;
	server_inbox_once(rt, s->user, to, fr->raw, fr->rawlen);
}

/* Whether a device of to has no session online. */
static bool
device_offline(struct server_router *rt, struct srv_user *to)
{
	return server_user_devices_online(to) <
	    server_devices_number(rt->store, to);
}

/*
 * Forward fr to every session of to online; if the first that is full
 * pauses s (a flood of receipts at a slow reader pauses their sender, as
 * messages do, rather than dropping the reader).
 */
static void
forward_every(struct server_router *rt, struct srv_sess *s, struct srv_user *to,
    const struct proto_frame *fr)
{
	struct srv_sess *o, *next, *full = NULL;

	for (o = TAILQ_FIRST(&to->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, user_entry);
		if (o->gone)
			continue;
		forward(rt, o, fr);
		if (full == NULL && !o->gone && rt->io->is_full(o))
			full = o;
	}
	if (full != NULL)
		rt->io->block_on(s, full);
}

/*
 * RCPT: confirms the message it names for s's device, and goes to its
 * sender, the first of each kind per message only.
 */
static void
route_rcpt(struct server_router *rt, struct srv_sess *s,
    const struct proto_frame *fr, struct srv_user *to)
{
	struct srv_msg *m;
	char key[sizeof m->key], id[PROTO_MAX_ID + 1];
	size_t klen;
	bool settled = false, first = true;

	if (to == s->user) {
		/* A carbon confirmed: the device's cursor moves, no more. */
		server_inbox_confirm(
		    rt, s, to, id_str(id, fr->arg[2]), false, &first);
		return;
	}
	klen = msg_key(key, to, fr->arg[2]);
	m = util_map_get(rt->msgs, key, klen);
	if (m != NULL && m->rcpt == s->user) {
		grace_unlink(rt, m);
		msg_free(rt, m);
		settled = true;
	} else if (m == NULL)
		settled =
		    server_inbox_confirm(rt, s, to, id_str(id, fr->arg[2]),
		        proto_slice_eq(fr->arg[3], "read"), &first);
	if (!first)
		return; /* its sender knows already, from another device */
	if (proto_slice_eq(fr->arg[3], "read") &&
	    server_inbox_has_others(rt, s))
		server_inbox_own(rt, s, fr, SERVER_QUEUE_ONCE, "-");
	forward_every(rt, s, to, fr);
	/* A receipt that settled a message is its sender's only news of it:
	 * always kept. Any other counts against the quota. */
	if (device_offline(rt, to) || !server_user_online(to))
		queue_once(rt, s, to, fr, !settled);
}

/* TYPING and file frames: only to a peer online now. */
static void
route_live(struct server_router *rt, struct srv_sess *s,
    const struct proto_frame *fr, struct srv_user *to, struct proto_slice ref)
{
	if (!server_user_online(to) && to->light &&
	    fr->verb == PROTO_V_FOFFER) {
		/* Online without a connection: the offer waits in its queue,
		 * and the next ALIVE answer calls it back. */
		queue_once(rt, s, to, fr, true);
		return;
	}
	if (!server_user_online(to)) {
		/* Typing is never stored; a transfer needs its peer online. */
		if (fr->verb != PROTO_V_TYPING)
			router_errf(rt, s, PROTO_ERR_OFFLINE, ref,
			    "%s is offline", to->name);
		return;
	}
	forward_every(rt, s, to, fr);
}

/*
 * A routed frame from s's user: it must say it is from that user, and go
 * to a registered one.
 */
void
server_router_route(
    struct server_router *rt, struct srv_sess *s, const struct proto_frame *fr)
{
	struct proto_slice ref = proto_frame_ref(fr);
	struct proto_slice from = fr->arg[0], to_name = fr->arg[1];
	struct proto_slice own = {s->user->name, s->user->namelen};
	struct srv_user *to = s->last_to;

	if (!proto_name_eq(from, own)) {
		router_errf(rt, s, PROTO_ERR_FORBIDDEN, ref,
		    "you are %s and cannot send as %.*s", s->user->name,
		    (int)from.len, from.p);
		return;
	}
	/* The seventh field of a room MSG is the relay's to add. */
	if (fr->verb == PROTO_V_MSG && fr->nargs != 5) {
		router_errf(rt, s, PROTO_ERR_BAD_FRAME, ref,
		    "MSG takes 5 fields after the verb, not %zu", fr->nargs);
		return;
	}
	if (to_name.len > 0 && to_name.p[0] == '#') {
		if (rt->rooms_route != NULL)
			rt->rooms_route(s, fr);
		return;
	}
	/* A conversation sends to the same user frame after frame: one
	 * name comparison instead of a hash lookup. */
	if (to == NULL ||
	    !proto_name_eq(
	        to_name, (struct proto_slice){to->name, to->namelen})) {
		if ((to = server_directory_find(rt->dir, to_name)) == NULL) {
			router_errf(rt, s, PROTO_ERR_NO_SUCH_USER, ref,
			    "no user named %.*s on this relay",
			    (int)to_name.len, to_name.p);
			return;
		}
		s->last_to = to;
	}
	if (fr->verb == PROTO_V_MSG)
		route_msg(rt, s, fr, to);
	else if (fr->verb == PROTO_V_RCPT)
		route_rcpt(rt, s, fr, to);
	else if (server_filestore_route(rt->fs, s, fr, to))
		return; /* a file the relay keeps, or takes now */
	else
		route_live(rt, s, fr, to, ref);
}
