/* SPDX-License-Identifier: MIT */
/*
 * A user's inbox as the router reads it, device by device
 * (docs/protocol.md "Delivery to every device"): the backlog of a device
 * streamed from its cursor to its oldest session as the output drains,
 * confirmations that move a device's cursor, and the trim that deletes
 * an entry once every device is past it, with the quota counts kept
 * right as entries go.
 */
#include <stdio.h>
#include <string.h>

#include "server/log.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/sys.h"

#define SYNC_BATCH 64 /* entries per query; a full output stops one early */

/* Log a store error. */
static void
inbox_failed(struct server_router *rt)
{
	server_log(
	    SERVER_LOG_ERROR, "store: %s", server_store_error(rt->store));
}

/* u's inbox log; 0 if it has none, -1 on error. */
int64_t
server_inbox_log(struct server_router *rt, const struct srv_user *u)
{
	char name[PROTO_MAX_NAME + 3];

	snprintf(name, sizeof name, "u:%s", u->key);
	return server_seqlog_lookup(rt->store, name);
}

/* What a trim of one user's inbox counts out. */
struct inbox_trim {
	struct server_router *rt;
	struct srv_user *u;
};

/* One entry of u's inbox goes: out of its quota and its sender's. */
static bool
inbox_trimmed(void *arg, const struct server_entry *e)
{
	struct inbox_trim *t = arg;

	server_router_counted(
	    t->rt, server_router_user(t->rt, e->sender), t->u, e->len, -1);
	return true;
}

/*
 * Delete what every device of u has from its inbox log: entry seq (if
 * not 0), just confirmed, and all that every cursor passed; with
 * retention, nothing here.
 */
void
server_inbox_trim(
    struct server_router *rt, struct srv_user *u, int64_t log, int64_t seq)
{
	struct inbox_trim t = {rt, u};
	uint64_t before = util_wall_ms() + 1;

	/* With retention what goes is what is old enough: the hourly pass
	 * (retention.c) takes it, rather than a scan of every entry kept at
	 * each confirmation. */
	if (rt->keep_ms > 0)
		return;
	if ((seq > 0 &&
	        server_seqlog_trim_entry(
	            rt->store, log, seq, before, inbox_trimmed, &t) < 0) ||
	    server_seqlog_trim_each(rt->store, log, before, inbox_trimmed, &t) <
	        0)
		inbox_failed(rt);
}

/*
 * A RCPT (read: its state is read) from s for the stored MSG id of
 * sender: s's device has it, and what all devices have goes. Whether the
 * message was stored; in first, whether this receipt is the first of
 * its kind for the message, the one its sender is told of.
 */
bool
server_inbox_confirm(struct server_router *rt, struct srv_sess *s,
    struct srv_user *sender, const char *id, bool read, bool *first)
{
	unsigned bit = read ? SERVER_ENTRY_READ : SERVER_ENTRY_DELIVERED;
	int64_t log, seq;
	int flags;

	*first = true;
	if (sender->s_frames == 0)
		return false;
	if ((log = server_inbox_log(rt, s->user)) <= 0 ||
	    (seq = server_seqlog_find(rt->store, log, sender->key, id)) <= 0)
		return false;
	if ((flags = server_seqlog_flags(rt->store, seq)) < 0 ||
	    server_seqlog_confirm(rt->store, log, s->device, seq) != 0)
		goto fail;
	if ((unsigned)flags & bit)
		*first = false;
	else if (server_seqlog_set_flags(rt->store, seq,
	             read ? SERVER_ENTRY_DELIVERED | SERVER_ENTRY_READ
	                  : SERVER_ENTRY_DELIVERED) != 0)
		goto fail;
	server_inbox_trim(rt, s->user, log, seq);
	return true;
fail:
	inbox_failed(rt);
	return true;
}

/*
 * Keep a frame sent once (a RCPT, an offer) from sender for to, whose
 * sessions online had it already: in to's inbox for its devices that are
 * not online, confirmed for those that are. Its sequence number, -1.
 */
int64_t
server_inbox_once(struct server_router *rt, struct srv_user *sender,
    struct srv_user *to, const char *frame, size_t len)
{
	struct srv_sess *o;
	int64_t seq, log;

	seq = server_store_queue_add(rt->store, to->key, SERVER_QUEUE_ONCE,
	    sender->key, "-", frame, len, util_wall_ms());
	if (seq < 0 || (log = server_inbox_log(rt, to)) <= 0) {
		inbox_failed(rt);
		return -1;
	}
	server_router_counted(rt, sender, to, len, 1);
	TAILQ_FOREACH(o, &to->sessions, user_entry)
	{
		if (!server_sess_is_head(o))
			continue;
		if (server_seqlog_confirm(rt->store, log, o->device, seq) != 0)
			inbox_failed(rt);
		/* It had it live: not again from its backlog. */
		if (!o->backlog && o->cursor < seq)
			o->cursor = seq;
	}
	server_inbox_trim(rt, to, log, seq);
	return seq;
}

/* Entries for a session, while its output has room. */
struct sync_ctx {
	struct server_router *rt;
	struct srv_sess *s;
	int64_t once[SYNC_BATCH]; /* entries sent that are done once sent */
	size_t nonce;
	int64_t last;
	bool stopped; /* the output filled up */
};

/* One entry to the session being synced; false once it is full. */
static bool
sync_entry(void *arg, const struct server_entry *e)
{
	struct sync_ctx *c = arg;
	struct server_router *rt = c->rt;

	rt->io->send(c->s, e->frame, e->len);
	if (c->s->gone) {
		c->stopped = true;
		return false;
	}
	c->last = e->seq;
	rt->st->bytes_relayed += e->len;
	if (e->kind == SERVER_ENTRY_MSG)
		rt->st->msgs_relayed++;
	else
		c->once[c->nonce++] = e->seq;
	c->stopped = rt->io->is_full(c->s);
	return !c->stopped;
}

/* The frames sent once in c are confirmed for c's device; trim. */
static void
sync_confirm(struct sync_ctx *c, int64_t log)
{
	size_t i;

	for (i = 0; i < c->nonce; i++) {
		if (server_seqlog_confirm(
		        c->rt->store, log, c->s->device, c->once[i]) != 0)
			inbox_failed(c->rt);
		server_inbox_trim(c->rt, c->s->user, log, c->once[i]);
	}
}

/*
 * Store-and-forward: send s what its device has not confirmed, past its
 * position, while its output has room, then stop; its output's drain
 * calls this again. So however long the inbox, s holds at most its high
 * mark plus one frame, and the relay reads the log a batch at a time.
 * Only the oldest session of a device is fed its backlog. A frame sent
 * once is confirmed once handed over; messages wait for their RCPT.
 */
void
server_router_sync(struct server_router *rt, struct srv_sess *s)
{
	struct sync_ctx c;
	int64_t log = 0;
	int n;

	if (s->backlog && !server_sess_is_head(s))
		s->backlog = false;
	if (s->backlog && (log = server_inbox_log(rt, s->user)) <= 0) {
		if (log < 0)
			inbox_failed(rt);
		s->backlog = false;
	}
	while (s->backlog && !s->gone && !rt->io->is_full(s)) {
		memset(&c, 0, sizeof c);
		c.rt = rt;
		c.s = s;
		c.last = s->cursor;
		n = server_seqlog_read(rt->store, log, s->device, s->cursor,
		    SYNC_BATCH, sync_entry, &c);
		s->cursor = c.last;
		sync_confirm(&c, log);
		if (n < 0) {
			inbox_failed(rt);
			return;
		}
		if (!c.stopped && n < SYNC_BATCH)
			s->backlog = false;
	}
}

/*
 * Whether what s does is news for its own user's other sessions and
 * devices: carbons and read marks (docs/protocol.md "Carbons").
 */
bool
server_inbox_has_others(struct server_router *rt, const struct srv_sess *s)
{
	return s->user->nsess > 1 ||
	    server_devices_number(rt->store, s->user) > 1;
}

/*
 * Frame fr that s sent, for its own user's other devices: a carbon of a
 * MSG (kind MSG, confirmed by each device's RCPT to itself) or a read
 * mark (kind ONCE, confirmed once handed over). It goes into the user's
 * inbox, confirmed for s's device and the version-1 one (neither takes
 * it), and live to the other device-aware sessions that keep up.
 */
void
server_inbox_own(struct server_router *rt, struct srv_sess *s,
    const struct proto_frame *fr, enum server_queue_kind kind, const char *id)
{
	struct srv_user *u = s->user;
	struct srv_sess *o, *next;
	int64_t seq, log;

	seq = server_store_queue_add(rt->store, u->key, kind, u->key, id,
	    fr->raw, fr->rawlen, util_wall_ms());
	if (seq < 0 || (log = server_inbox_log(rt, u)) <= 0 ||
	    server_seqlog_confirm(rt->store, log, s->device, seq) != 0 ||
	    (server_seqlog_cursor_floor(rt->store, log, "-") >= 0 &&
	        server_seqlog_confirm(rt->store, log, "-", seq) != 0)) {
		inbox_failed(rt);
		return;
	}
	server_router_counted(rt, u, u, fr->rawlen, 1);
	for (o = TAILQ_FIRST(&u->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, user_entry);
		if (o == s || !o->device_aware || o->gone)
			continue;
		if (o->backlog || rt->io->is_full(o)) {
			o->backlog |= server_sess_is_head(o);
			continue;
		}
		rt->io->send(o, fr->raw, fr->rawlen);
		rt->st->bytes_relayed += fr->rawlen;
		if (o->gone)
			continue;
		if (server_sess_is_head(o) && o->cursor < seq)
			o->cursor = seq; /* not again from its backlog */
		if (kind == SERVER_QUEUE_ONCE &&
		    server_seqlog_confirm(rt->store, log, o->device, seq) != 0)
			inbox_failed(rt);
	}
	server_inbox_trim(rt, u, log, seq);
}
