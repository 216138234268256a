/* SPDX-License-Identifier: MIT */
/*
 * A room's log as its members read it (docs/protocol.md "Rooms"): a
 * room MSG written once and fanned out with its seq, positions (RPOS),
 * receipts (RRCPT, RSTATE once per room per turn), the trim once per
 * turn, and each session's room backlogs from its device's cursor.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/build.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/rooms_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

/* room needs the end of this turn: its trim, or its RSTATE. */
static void
room_list(struct server_relay *r, struct srv_room *room)
{
	if (room->listed)
		return;
	room->listed = true;
	XGROW(r->rooms.moved, r->rooms.capmoved, r->rooms.nmoved + 1, 16);
	r->rooms.moved[r->rooms.nmoved++] = room;
}

/* A member's positions moved: RSTATE due for the room this turn. */
static void
room_moved(struct server_relay *r, struct srv_room *room)
{
	room->moved = true;
	room_list(r, room);
}

/* RPOS|room|delivered|read */
void
rooms_req_pos(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *m;
	struct srv_rpos *p;
	char rd[READER_LEN];
	int64_t d = (int64_t)proto_slice_u64(fr->arg[1]);
	int64_t rr = (int64_t)proto_slice_u64(fr->arg[2]);
	struct proto_writer w;
	bool moved = false;
	size_t n;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    (m = rooms_must_be_member(s, room, fr->arg[0])) == NULL)
		return;
	if ((p = rpos_find(s, room)) == NULL || d > p->sent ||
	    rr > room->last) {
		server_session_errf(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "position past the end of %s", room->name);
		return;
	}
	rooms_reader_of(rd, s->user, s->device);
	if (server_seqlog_cursor_raise(r->store, room->log, rd, d) != 0)
		rooms_failed(r);
	if (d > m->delivered) {
		m->delivered = d;
		moved = true;
	}
	if (rr > m->read) {
		m->read = rr;
		moved = true;
	}
	/* What every cursor passed goes once per turn, before the commit,
	 * however many members reported (server_rooms_trim). */
	if (r->rt.keep_ms == 0 && !room->trim_due) {
		room->trim_due = true;
		room_list(r, room);
	}
	if (!moved)
		return;
	member_save(r, room, m);
	room_moved(r, room);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_RPOS);
	proto_writer_str(&w, room->name);
	proto_writer_u64(&w, (uint64_t)m->delivered);
	proto_writer_u64(&w, (uint64_t)m->read);
	if (proto_writer_end(&w, &n) != 0)
		return;
	rooms_send_all(s->user, s, r->out, n);
}

/* The counts of message seq from sender: members, delivered, read. */
static void
counts(struct srv_room *room, const struct srv_user *sender, int64_t seq,
    unsigned *mem, unsigned *del, unsigned *rd)
{
	size_t i;

	*mem = *del = *rd = 0;
	for (i = 0; i < room->nm; i++) {
		if (room->m[i].role == SRV_ROLE_NONE || room->m[i].u == sender)
			continue;
		(*mem)++;
		*del += room->m[i].delivered >= seq;
		*rd += room->m[i].read >= seq;
	}
}

static size_t
build_rstate(struct server_relay *r, struct srv_room *room,
    const struct srv_user *sender, int64_t seq)
{
	unsigned mem, del, rd;
	struct proto_writer w;
	size_t n;

	counts(room, sender, seq, &mem, &del, &rd);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_RSTATE);
	proto_writer_str(&w, room->name);
	proto_writer_u64(&w, (uint64_t)seq);
	proto_writer_u64(&w, mem);
	proto_writer_u64(&w, del);
	proto_writer_u64(&w, rd);
	return proto_writer_end(&w, &n) == 0 ? n : 0;
}

/* RRCPT|room|seq */
void
rooms_req_rcpt(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_user *sender;
	char key[PROTO_MAX_NAME + 1];
	int64_t seq = (int64_t)proto_slice_u64(fr->arg[1]);
	struct proto_writer w;
	struct srv_member *m;
	size_t i, n;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    rooms_must_be_member(s, room, fr->arg[0]) == NULL)
		return;
	if (seq <= 0 || seq > room->last) {
		server_session_errf(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "no message %lld in %s", (long long)seq, room->name);
		return;
	}
	/* An entry every member has may be gone from the log already: the
	 * positions still answer, for the asker's own message. */
	if (server_seqlog_sender(r->store, room->log, seq, key, sizeof key) <=
	        0 ||
	    (sender = server_router_user(&r->rt, key)) == NULL)
		sender = s->user;
	for (i = 0; i < room->nm; i++) {
		m = &room->m[i];
		if (m->role == SRV_ROLE_NONE || m->u == sender)
			continue;
		proto_writer_init(&w, r->out, sizeof r->out);
		proto_writer_begin(&w, PROTO_V_RWHO);
		proto_writer_str(&w, room->name);
		proto_writer_u64(&w, (uint64_t)seq);
		proto_writer_str(&w, m->u->name);
		proto_writer_str(&w,
		    m->read >= seq            ? "read"
		        : m->delivered >= seq ? "delivered"
		                              : "none");
		if (proto_writer_end(&w, &n) == 0)
			server_session_send(s, r->out, n);
	}
	if ((n = build_rstate(r, room, sender, seq)) > 0)
		server_session_send(s, r->out, n);
}

/* MSG or TYPING to a room from s (from checked by the router). */
void
server_rooms_route(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct proto_slice ref = proto_frame_ref(fr);
	char id[PROTO_MAX_ID + 1], buf[PROTO_MAX_FRAME + 64];
	struct server_entry e;
	struct srv_room *room;
	struct srv_sess *o, *next;
	size_t i, len, n;
	int64_t seq;

	if (fr->verb == PROTO_V_TYPING)
		ref = fr->arg[1];
	if ((room = room_find(r, fr->arg[1])) == NULL) {
		server_session_errf(s, PROTO_ERR_NO_SUCH_ROOM, ref,
		    "no room %.*s", (int)fr->arg[1].len, fr->arg[1].p);
		return;
	}
	if (member_of(room, s->user) == NULL) {
		server_session_errf(s, PROTO_ERR_FORBIDDEN, ref,
		    "you are not a member of %s", room->name);
		return;
	}
	if (fr->verb == PROTO_V_TYPING) {
		for (i = 0; i < room->nm; i++) {
			if (room->m[i].role == SRV_ROLE_NONE ||
			    room->m[i].u == s->user)
				continue;
			for (o = TAILQ_FIRST(&room->m[i].u->sessions);
			     o != NULL; o = next) {
				next = TAILQ_NEXT(o, user_entry);
				if (!o->gone && !rooms_out_full(o) &&
				    rpos_find(o, room) != NULL)
					server_session_send(
					    o, fr->raw, fr->rawlen);
			}
		}
		return;
	}
	memcpy(id, fr->arg[3].p, fr->arg[3].len);
	id[fr->arg[3].len] = '\0';
	/* A resend of a message still in the log: ACK again, no more. */
	if ((seq = server_seqlog_find(r->store, room->log, s->user->key, id)) !=
	    0) {
		if (seq < 0)
			rooms_failed(r);
		else
			server_router_ack(&r->rt, s->user, s->device, id);
		return;
	}
	len = fr->hdrlen;
	while (
	    len > 0 && (fr->raw[len - 1] == '\n' || fr->raw[len - 1] == '\r'))
		len--;
	memset(&e, 0, sizeof e);
	e.kind = SERVER_ENTRY_MSG;
	e.sender = s->user->key;
	e.id = id;
	e.frame = fr->raw;
	e.len = len;
	e.stored_at = util_wall_ms();
	if ((seq = server_seqlog_append(r->store, room->log, &e)) < 0) {
		rooms_failed(r);
		server_session_errf(s, PROTO_ERR_INTERNAL, ref,
		    "the relay could not store the message");
		return;
	}
	room->last = room->last_msg = seq;
	room->last_sender = s->user;
	r->st.msgs_stored++;
	server_router_ack(&r->rt, s->user, s->device, id);
	if ((n = rooms_entry_frame(
	         room, seq, false, fr->raw, len, buf, sizeof buf)) > 0) {
		r->st.msgs_relayed++;
		rooms_fan_out(r, room, seq, buf, n);
	}
}

/*
 * s logged in: a cursor for its device on each of its rooms (from the
 * member's join on, for a device new to the room), the backlog to come
 * after SYNCED, and one RINFO per room it is in or invited to.
 */
void
server_rooms_login(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct srv_user *u = s->user;
	struct srv_member *m;
	struct srv_room *room;
	struct srv_rpos *p;
	char rd[READER_LEN];
	uint64_t now = util_wall_ms();
	int64_t floor;
	size_t i;

	rooms_reader_of(rd, u, s->device);
	for (i = 0; i < u->nrooms; i++) {
		room = u->rooms[i];
		m = member_find(room, u);
		if (m->role == SRV_ROLE_NONE) {
			if (m->invited)
				rooms_send_rinfo(s, room);
			continue;
		}
		if ((floor = server_seqlog_cursor_floor(
		         r->store, room->log, rd)) == -2) {
			if (server_seqlog_cursor_add(
			        r->store, room->log, rd, now) != 0 ||
			    server_seqlog_cursor_raise(r->store, room->log, rd,
			        m->joined > 0 ? m->joined - 1 : 0) != 0)
				rooms_failed(r);
			floor = m->joined > 0 ? m->joined - 1 : 0;
		} else if (floor < 0) {
			rooms_failed(r);
			floor = room->last;
		} else if (server_seqlog_cursor_touch(
		               r->store, room->log, rd, now) != 0)
			rooms_failed(r);
		p = rpos_add(s, room, floor);
		p->sent = floor;
		p->backlog = floor < room->last;
		rooms_send_rinfo(s, room);
	}
}

/* One backlog entry of a room for a session. */
struct sync_ctx {
	struct srv_sess *s;
	struct srv_rpos *p;
	char *buf;
	size_t cap;
	bool stopped;
};

static bool
sync_entry(void *arg, const struct server_entry *e)
{
	struct sync_ctx *c = arg;
	size_t n;

	n = rooms_entry_frame(c->p->room, e->seq, e->kind != SERVER_ENTRY_MSG,
	    e->frame, e->len, c->buf, c->cap);
	if (n > 0)
		server_session_send(c->s, c->buf, n);
	if (c->s->gone) {
		c->stopped = true;
		return false;
	}
	c->p->sent = e->seq;
	c->s->r->st.bytes_relayed += n;
	c->stopped = rooms_out_full(c->s);
	return !c->stopped;
}

/*
 * The room backlogs of s, from each room's cursor, while its output has
 * room; its output's drain calls this again (as inbox.c does for the
 * inbox), so s holds at most its high mark and one frame more.
 */
void
server_rooms_sync(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	char rd[READER_LEN];
	struct sync_ctx c;
	size_t i;
	int n;

	if (s->user == NULL || s->backlog)
		return;
	rooms_reader_of(rd, s->user, s->device);
	for (i = 0; i < s->nrpos && !s->gone; i++) {
		while (s->rpos[i].backlog && !s->gone && !rooms_out_full(s)) {
			c.s = s;
			c.p = &s->rpos[i];
			c.buf = r->rt.out;
			c.cap = sizeof r->rt.out;
			c.stopped = false;
			n = server_seqlog_read(r->store, c.p->room->log, rd,
			    c.p->sent, ROOM_BATCH, sync_entry, &c);
			if (n < 0) {
				rooms_failed(r);
				return;
			}
			if (s->gone)
				return;
			if (!c.stopped && n < ROOM_BATCH)
				c.p->backlog = false;
		}
		if (s->gone || rooms_out_full(s))
			return;
	}
}

/* s ends: its places in rooms go (the cursors stay). */
void
server_rooms_logout(struct srv_sess *s)
{
	free(s->rpos);
	s->rpos = NULL;
	s->nrpos = s->caprpos = 0;
}

/* The session is alive: its device's room cursors are seen now. */
void
server_rooms_touch(struct srv_sess *s, uint64_t now)
{
	char rd[READER_LEN];
	size_t i;

	rooms_reader_of(rd, s->user, s->device);
	for (i = 0; i < s->nrpos; i++)
		if (server_seqlog_cursor_touch(
		        s->r->store, s->rpos[i].room->log, rd, now) != 0)
			rooms_failed(s->r);
}

/*
 * The end of a turn: one RSTATE per room whose positions moved, for its
 * newest message, to that message's sender.
 */
void
server_rooms_turn(struct server_relay *r)
{
	struct srv_room *room;
	size_t i, n;

	for (i = 0; i < r->rooms.nmoved; i++) {
		if ((room = r->rooms.moved[i]) == NULL)
			continue;
		room->listed = false;
		if (!room->moved)
			continue;
		room->moved = false;
		if (room->last_msg <= 0 || room->last_sender == NULL ||
		    !server_user_online(room->last_sender) ||
		    member_of(room, room->last_sender) == NULL)
			continue; /* gone from the room: told nothing more */
		if ((n = build_rstate(
		         r, room, room->last_sender, room->last_msg)) == 0)
			continue;
		rooms_send_all(room->last_sender, NULL, r->out, n);
	}
	r->rooms.nmoved = 0;
}

/*
 * Before the turn's commit: each room whose cursors rose this turn drops
 * what every cursor passed, once (no retention).
 */
void
server_rooms_trim(struct server_relay *r)
{
	struct srv_room *room;
	uint64_t now = util_wall_ms() + 1;
	size_t i;

	for (i = 0; i < r->rooms.nmoved; i++) {
		if ((room = r->rooms.moved[i]) == NULL || !room->trim_due)
			continue;
		room->trim_due = false;
		if (server_seqlog_trim(r->store, room->log, now) < 0)
			rooms_failed(r);
	}
}
