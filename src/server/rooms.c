/* SPDX-License-Identifier: MIT */
/*
 * Rooms (docs/protocol.md "Rooms"): a conversation of many whose
 * messages and events are stored once, in the room's log "r:<key>", and
 * reach every member device by device from its own cursor (reader
 * "<name-key> <device>"). Rooms and their members live in memory and in
 * the tables rooms and room_members (docs/relay.md "Rooms in the
 * store"); every change joins the turn's transaction. Here: rooms and
 * members, their rows, cursors, events and the fan-out; the requests are
 * in rooms_req.c, messages, positions and the backlog in rooms_log.c.
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

static const char *const role_names[] = {"owner", "admin", "member", "none"};

/* Log a store error. */
void
rooms_failed(struct server_relay *r)
{
	server_log(
	    SERVER_LOG_ERROR, "store: rooms: %s", server_store_error(r->store));
}

/* A slice as a lower-case key in buf (PROTO_MAX_ROOM + 1 bytes). */
static void
room_key(char *buf, struct proto_slice room)
{
	size_t i;

	for (i = 0; i < room.len && i < PROTO_MAX_ROOM; i++)
		buf[i] = (char)(room.p[i] >= 'A' && room.p[i] <= 'Z'
		        ? room.p[i] - 'A' + 'a'
		        : room.p[i]);
	buf[i] = '\0';
}

struct srv_room *
room_find(struct server_relay *r, struct proto_slice name)
{
	char key[PROTO_MAX_ROOM + 1];

	room_key(key, name);
	return util_map_get(r->rooms.map, key, strlen(key));
}

/* The reader of u's device dev on a room log. */
void
rooms_reader_of(char *buf, const struct srv_user *u, const char *dev)
{
	snprintf(buf, READER_LEN, "%s %s", u->key, dev);
}

/* u's row in room, or NULL. */
struct srv_member *
member_find(struct srv_room *room, const struct srv_user *u)
{
	size_t i;

	for (i = 0; i < room->nm; i++)
		if (room->m[i].u == u)
			return &room->m[i];
	return NULL;
}

/* u's row in room if it is a member, or NULL. */
struct srv_member *
member_of(struct srv_room *room, const struct srv_user *u)
{
	struct srv_member *m = member_find(room, u);

	return m != NULL && m->role < SRV_ROLE_NONE ? m : NULL;
}

/* How many rooms u is a member of. */
size_t
user_room_count(const struct srv_user *u)
{
	size_t i, n = 0;

	for (i = 0; i < u->nrooms; i++)
		n += member_of(u->rooms[i], u) != NULL;
	return n;
}

static void
user_room_add(struct srv_user *u, struct srv_room *room)
{
	size_t i;

	for (i = 0; i < u->nrooms; i++)
		if (u->rooms[i] == room)
			return;
	XGROW(u->rooms, u->caprooms, u->nrooms + 1, 4);
	u->rooms[u->nrooms++] = room;
}

static void
user_room_remove(struct srv_user *u, struct srv_room *room)
{
	size_t i;

	for (i = 0; i < u->nrooms; i++) {
		if (u->rooms[i] == room) {
			u->rooms[i] = u->rooms[--u->nrooms];
			return;
		}
	}
}

/* A new row for u in room (not a member yet). */
struct srv_member *
member_add(struct srv_room *room, struct srv_user *u)
{
	struct srv_member *m;

	XGROW(room->m, room->capm, room->nm + 1, 8);
	m = &room->m[room->nm++];
	memset(m, 0, sizeof *m);
	m->u = u;
	m->role = SRV_ROLE_NONE;
	user_room_add(u, room);
	return m;
}

/* Write m's row; drop it (and u's link) if it holds nothing. */
void
member_save(struct server_relay *r, struct srv_room *room, struct srv_member *m)
{
	struct server_member_row row;
	struct srv_user *u = m->u;

	if (m->role == SRV_ROLE_NONE && !m->invited && !m->banned) {
		if (server_store_member_delete(r->store, room->key, u->key) !=
		    0)
			rooms_failed(r);
		*m = room->m[--room->nm];
		user_room_remove(u, room);
		return;
	}
	row.room = room->key;
	row.key = u->key;
	row.role = m->role;
	row.joined = m->joined;
	row.delivered = m->delivered;
	row.read = m->read;
	row.invited = m->invited;
	row.banned = m->banned;
	row.since = m->since;
	if (server_store_member_put(r->store, &row) != 0)
		rooms_failed(r);
}

/* Write the room's row. */
void
room_save(struct server_relay *r, struct srv_room *room)
{
	struct server_room_row row;
	size_t i;

	row.name = room->name;
	row.mode = room->mode;
	row.topic = room->topic != NULL ? room->topic : "";
	row.owner = "";
	for (i = 0; i < room->nm; i++)
		if (room->m[i].role == SRV_ROLE_OWNER)
			row.owner = room->m[i].u->key;
	row.created = room->created;
	row.log = room->log;
	if (server_store_room_put(r->store, &row) != 0)
		rooms_failed(r);
}

/* s's place in room, or NULL. */
struct srv_rpos *
rpos_find(struct srv_sess *s, const struct srv_room *room)
{
	size_t i;

	for (i = 0; i < s->nrpos; i++)
		if (s->rpos[i].room == room)
			return &s->rpos[i];
	return NULL;
}

struct srv_rpos *
rpos_add(struct srv_sess *s, struct srv_room *room, int64_t sent)
{
	struct srv_rpos *p = rpos_find(s, room);

	if (p != NULL)
		return p;
	XGROW(s->rpos, s->caprpos, s->nrpos + 1, 4);
	p = &s->rpos[s->nrpos++];
	p->room = room;
	p->sent = sent;
	p->backlog = false;
	return p;
}

void
rpos_remove(struct srv_sess *s, const struct srv_room *room)
{
	size_t i;

	for (i = 0; i < s->nrpos; i++) {
		if (s->rpos[i].room == room) {
			s->rpos[i] = s->rpos[--s->nrpos];
			return;
		}
	}
}

/* RINFO of room as u sees it, into buf. */
int
rooms_build_rinfo(struct srv_room *room, const struct srv_user *u,
    const char *as, char *buf, size_t cap, size_t *n)
{
	struct srv_member *m = member_find(room, u);
	struct proto_writer w;
	const char *role = "none";

	if (as != NULL)
		role = as;
	else if (m != NULL && m->role < SRV_ROLE_NONE)
		role = role_names[m->role];
	else if (m != NULL && m->invited)
		role = "invited";
	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_RINFO);
	proto_writer_str(&w, room->name);
	proto_writer_str(&w, room->mode == 0 ? "open" : "invite");
	proto_writer_u64(&w, room->nmembers);
	proto_writer_str(&w, role);
	proto_writer_u64(&w, (uint64_t)room->last);
	/* An empty field: the writer takes a zero-length one. */
	proto_writer_field(&w, room->topic != NULL ? room->topic : "",
	    room->topic != NULL ? strlen(room->topic) : 0);
	return proto_writer_end(&w, n);
}

void
rooms_send_rinfo(struct srv_sess *s, struct srv_room *room)
{
	struct server_relay *r = s->r;
	size_t n;

	if (rooms_build_rinfo(room, s->user, NULL, r->out, sizeof r->out, &n) ==
	    0)
		server_session_send(s, r->out, n);
}

/* A frame to every session of u but except (a send may close one). */
void
rooms_send_all(struct srv_user *u, const struct srv_sess *except,
    const char *buf, size_t n)
{
	struct srv_sess *o, *next;

	for (o = TAILQ_FIRST(&u->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, user_entry);
		if (o != except && !o->gone)
			server_session_send(o, buf, n);
	}
}

/* RINFO unasked to every session of u. */
void
rooms_send_rinfo_all(struct srv_room *room, struct srv_user *u)
{
	struct srv_sess *o = TAILQ_FIRST(&u->sessions);
	size_t n;

	if (o != NULL &&
	    rooms_build_rinfo(room, u, NULL, o->r->out, sizeof o->r->out, &n) ==
	        0)
		rooms_send_all(u, NULL, o->r->out, n);
}

/* The '|'-separated fields of p (len bytes) into w, one by one. */
static void
put_fields(struct proto_writer *w, const char *p, size_t len)
{
	const char *end = p + len, *bar;

	for (;;) {
		bar = memchr(p, '|', (size_t)(end - p));
		proto_writer_field(
		    w, p, (size_t)((bar != NULL ? bar : end) - p));
		if (bar == NULL)
			return;
		p = bar + 1;
	}
}

/*
 * The wire frame of a log entry into buf: a message (stored as it came,
 * without its line end) with its seq added, or an rooms_event (stored as its
 * fields after the seq). Its length, 0 if it does not fit.
 */
size_t
rooms_entry_frame(const struct srv_room *room, int64_t seq, bool rooms_event,
    const char *frame, size_t len, char *buf, size_t cap)
{
	struct proto_writer w;
	const char *bar;
	size_t n;

	proto_writer_init(&w, buf, cap);
	if (rooms_event) {
		proto_writer_begin(&w, PROTO_V_REVENT);
		proto_writer_str(&w, room->name);
		proto_writer_u64(&w, (uint64_t)seq);
		put_fields(&w, frame, len);
	} else {
		if ((bar = memchr(frame, '|', len)) == NULL)
			return 0;
		proto_writer_begin(&w, PROTO_V_MSG);
		put_fields(&w, bar + 1, len - (size_t)(bar + 1 - frame));
		proto_writer_u64(&w, (uint64_t)seq);
	}
	return proto_writer_end(&w, &n) == 0 ? n : 0;
}

/* Whether s's output is over its high mark (or its share of the bound). */
bool
rooms_out_full(struct srv_sess *s)
{
	return server_session_io.is_full(s);
}

/* Whether s takes a live room frame now. */
static bool
takes_live(struct srv_sess *s, struct srv_rpos *p)
{
	return !s->gone && !p->backlog && !rooms_out_full(s);
}

/*
 * Entry seq (frame in buf) to every session of every member: those that
 * keep up have it at once, the others read it from their cursor.
 */
void
rooms_fan_out(struct server_relay *r, struct srv_room *room, int64_t seq,
    const char *buf, size_t n)
{
	struct srv_sess *o, *next;
	struct srv_rpos *p;
	size_t i;

	for (i = 0; i < room->nm; i++) {
		if (room->m[i].role == SRV_ROLE_NONE)
			continue;
		for (o = TAILQ_FIRST(&room->m[i].u->sessions); o != NULL;
		     o = next) {
			next = TAILQ_NEXT(o, user_entry);
			if ((p = rpos_find(o, room)) == NULL || o->gone)
				continue;
			if (p->sent >= seq)
				continue;
			if (takes_live(o, p)) {
				server_session_send(o, buf, n);
				r->st.bytes_relayed += n;
				if (!o->gone)
					p->sent = seq;
			} else
				p->backlog = true;
		}
	}
}

/*
 * An rooms_event (kind, target or NULL, text or NULL) appended to room's log
 * and sent to the members that keep up. Its seq, or -1.
 */
int64_t
rooms_event(struct server_relay *r, struct srv_room *room,
    const struct srv_user *actor, const char *kind, const char *target,
    const char *text)
{
	char body[PROTO_MAX_TEXT * 2 + 128], buf[PROTO_MAX_TEXT * 2 + 256];
	struct server_entry e;
	uint64_t now = util_wall_ms();
	int64_t seq;
	size_t n;
	int k;

	k = snprintf(body, sizeof body, "%llu|%s|%s|%s|%s",
	    (unsigned long long)now, actor->name, kind,
	    target != NULL ? target : "-", text != NULL ? text : "");
	if (k < 0 || (size_t)k >= sizeof body)
		return -1;
	memset(&e, 0, sizeof e);
	e.kind = SERVER_ENTRY_ONCE;
	e.sender = actor->key;
	e.id = "-";
	e.frame = body;
	e.len = (size_t)k;
	e.stored_at = now;
	if ((seq = server_seqlog_append(r->store, room->log, &e)) < 0) {
		rooms_failed(r);
		return -1;
	}
	room->last = seq;
	if ((n = rooms_entry_frame(
	         room, seq, true, body, (size_t)k, buf, sizeof buf)) > 0)
		rooms_fan_out(r, room, seq, buf, n);
	return seq;
}

/* Collects the readers of a user on a room log. */
struct readers {
	char prefix[PROTO_MAX_NAME + 2];
	char (*v)[READER_LEN];
	size_t n, cap;
};

static void
collect_reader(void *arg, const struct server_cursor *c)
{
	struct readers *l = arg;

	if (l->prefix[0] != '\0' &&
	    strncmp(c->reader, l->prefix, strlen(l->prefix)) != 0)
		return;
	XGROW(l->v, l->cap, l->n + 1, 4);
	snprintf(l->v[l->n++], READER_LEN, "%s", c->reader);
}

/* Drop every cursor of u on room's log. */
void
rooms_drop_cursors(
    struct server_relay *r, struct srv_room *room, struct srv_user *u)
{
	struct readers l = {{0}, NULL, 0, 0};
	size_t i;

	snprintf(l.prefix, sizeof l.prefix, "%s ", u->key);
	if (server_seqlog_cursor_list(
	        r->store, room->log, collect_reader, &l) != 0)
		rooms_failed(r);
	for (i = 0; i < l.n; i++)
		if (server_seqlog_cursor_drop(r->store, room->log, l.v[i]) != 0)
			rooms_failed(r);
	free(l.v);
}

/*
 * u joined room at rooms_event seq: a cursor for each device it has (its
 * inbox's readers and its sessions online), from the join on.
 */
void
rooms_make_cursors(struct server_relay *r, struct srv_room *room,
    struct srv_user *u, int64_t seq)
{
	struct readers l = {{0}, NULL, 0, 0};
	char name[PROTO_MAX_NAME + 3], rd[READER_LEN];
	uint64_t now = util_wall_ms();
	struct srv_sess *o;
	int64_t inbox;
	size_t i;

	snprintf(name, sizeof name, "u:%s", u->key);
	if ((inbox = server_seqlog_lookup(r->store, name)) > 0 &&
	    server_seqlog_cursor_list(r->store, inbox, collect_reader, &l) != 0)
		rooms_failed(r);
	for (i = 0; i < l.n; i++) {
		rooms_reader_of(rd, u, l.v[i]);
		if (server_seqlog_cursor_add(r->store, room->log, rd, now) !=
		        0 ||
		    server_seqlog_cursor_raise(
		        r->store, room->log, rd, seq - 1) != 0)
			rooms_failed(r);
	}
	free(l.v);
	TAILQ_FOREACH(o, &u->sessions, user_entry)
	{
		if (o->gone)
			continue;
		rooms_reader_of(rd, u, o->device);
		if (server_seqlog_cursor_add(r->store, room->log, rd, now) !=
		        0 ||
		    server_seqlog_cursor_raise(
		        r->store, room->log, rd, seq - 1) != 0)
			rooms_failed(r);
		rpos_add(o, room, seq - 1);
	}
}

/* u is no longer a member: its cursors and its sessions' places go. */
void
rooms_forget_member(
    struct server_relay *r, struct srv_room *room, struct srv_user *u)
{
	struct srv_sess *o;

	rooms_drop_cursors(r, room, u);
	TAILQ_FOREACH(o, &u->sessions, user_entry)
	rpos_remove(o, room);
}

/* Free a room in memory (its rows and log are gone or kept). */
void
room_free(struct srv_room *room)
{
	free(room->topic);
	free(room->m);
	free(room);
}

/* The last member left: the room, its rows and its log go. */
void
room_delete(struct server_relay *r, struct srv_room *room)
{
	size_t i;

	for (i = 0; i < room->nm; i++)
		user_room_remove(room->m[i].u, room);
	if (server_store_room_delete(r->store, room->key) != 0 ||
	    server_seqlog_drop(r->store, room->log) != 0)
		rooms_failed(r);
	for (i = 0; i < r->rooms.nmoved; i++)
		if (r->rooms.moved[i] == room)
			r->rooms.moved[i] = NULL;
	util_map_remove(r->rooms.map, room->key, strlen(room->key));
	r->rooms.n--;
	room_free(room);
}

struct srv_room *
room_new(struct server_relay *r, struct proto_slice name)
{
	struct srv_room *room = xcalloc(1, sizeof *room);

	memcpy(room->name, name.p, name.len);
	room->name[name.len] = '\0';
	room_key(room->key, name);
	util_map_set(r->rooms.map, room->key, strlen(room->key), room);
	r->rooms.n++;
	return room;
}

void
server_rooms_init(struct server_relay *r)
{
	memset(&r->rooms, 0, sizeof r->rooms);
	r->rooms.map = util_map_new();
}

static void
free_one(const void *k, size_t len, void *val, void *arg)
{
	(void)k;
	(void)len;
	(void)arg;
	room_free(val);
}

void
server_rooms_fini(struct server_relay *r)
{
	size_t i;

	if (r->rooms.map == NULL)
		return;
	for (i = 0; i < r->dir.nusers; i++) {
		free(r->dir.list[i]->rooms);
		r->dir.list[i]->rooms = NULL;
		r->dir.list[i]->nrooms = r->dir.list[i]->caprooms = 0;
	}
	util_map_each(r->rooms.map, free_one, NULL);
	util_map_free(r->rooms.map);
	r->rooms.map = NULL;
	free(r->rooms.moved);
}

static void
load_room(void *arg, const struct server_room_row *row)
{
	struct server_relay *r = arg;
	struct srv_room *room;
	char key[PROTO_MAX_NAME + 1];

	room = room_new(r, (struct proto_slice){row->name, strlen(row->name)});
	room->mode = row->mode;
	room->topic = row->topic[0] != '\0' ? xstrdup(row->topic) : NULL;
	room->created = row->created;
	room->log = row->log;
	room->last = server_seqlog_last(r->store, room->log, false, NULL, 0);
	room->last_msg =
	    server_seqlog_last(r->store, room->log, true, key, sizeof key);
	if (room->last_msg > 0)
		room->last_sender = server_router_user(&r->rt, key);
}

static void
load_member(void *arg, const struct server_member_row *row)
{
	struct server_relay *r = arg;
	struct srv_room *room =
	    util_map_get(r->rooms.map, row->room, strlen(row->room));
	struct srv_user *u = server_router_user(&r->rt, row->key);
	struct srv_member *m;

	if (room == NULL || u == NULL)
		return;
	m = member_add(room, u);
	m->role = row->role;
	m->joined = row->joined;
	m->delivered = row->delivered;
	m->read = row->read;
	m->invited = row->invited != 0;
	m->banned = row->banned != 0;
	m->since = row->since;
	if (m->role < SRV_ROLE_NONE)
		room->nmembers++;
	/* Entries a trim took still count for the newest number. */
	if (row->delivered > room->last)
		room->last = row->delivered;
	if (row->joined > room->last)
		room->last = row->joined;
}

/* At start, once the directory has its users: the rooms. */
int
server_rooms_load(struct server_relay *r)
{
	return server_store_rooms_load(r->store, load_room, load_member, r);
}
