/* SPDX-License-Identifier: MIT */
/*
 * Rooms (docs/protocol.md "Rooms"): a conversation of many whose
 * messages and events are stored once, in the room's log "r:<key>", and
 * reach every member device by device from its own cursor (reader
 * "<name-key> <device>"). Rooms and their members live in memory and in
 * the tables rooms and room_members (docs/relay.md "Rooms in the
 * store"); every change joins the turn's transaction.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/build.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define ROOM_BATCH 64 /* entries per query of a backlog */
#define RLIST_MAX 1000
#define READER_LEN (PROTO_MAX_NAME + 1 + UTIL_FP_HEX + 1)

static const char *const role_names[] = {"owner", "admin", "member", "none"};

/* Log a store error. */
static void
rooms_failed(struct server_relay *r)
{
	server_log(
	    SERVER_LOG_ERROR, "store: rooms: %s", server_store_error(r->store));
}

/* An ERR about a room request to s. */
static void __attribute__((format(printf, 4, 5))) room_err(struct srv_sess *s,
    enum proto_err code, struct proto_slice ref, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	server_session_err(s, code, ref, text);
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

static struct srv_room *
room_find(struct server_relay *r, struct proto_slice name)
{
	char key[PROTO_MAX_ROOM + 1];

	room_key(key, name);
	return util_map_get(r->rooms.map, key, strlen(key));
}

/* The reader of u's device dev on a room log. */
static void
reader_of(char *buf, const struct srv_user *u, const char *dev)
{
	snprintf(buf, READER_LEN, "%s %s", u->key, dev);
}

/* u's row in room, or NULL. */
static struct srv_member *
member_find(struct srv_room *room, const struct srv_user *u)
{
	size_t i;

	for (i = 0; i < room->nm; i++)
		if (room->m[i].u == u)
			return &room->m[i];
	return NULL;
}

/* u's row in room if it is a member, or NULL. */
static struct srv_member *
member_of(struct srv_room *room, const struct srv_user *u)
{
	struct srv_member *m = member_find(room, u);

	return m != NULL && m->role < SRV_ROLE_NONE ? m : NULL;
}

/* How many rooms u is a member of. */
static size_t
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
static struct srv_member *
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
static void
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
static void
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
static struct srv_rpos *
rpos_find(struct srv_sess *s, const struct srv_room *room)
{
	size_t i;

	for (i = 0; i < s->nrpos; i++)
		if (s->rpos[i].room == room)
			return &s->rpos[i];
	return NULL;
}

static struct srv_rpos *
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

static void
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
static int
build_rinfo(struct srv_room *room, const struct srv_user *u, const char *as,
    char *buf, size_t cap, size_t *n)
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

static void
send_rinfo(struct srv_sess *s, struct srv_room *room)
{
	struct server_relay *r = s->r;
	size_t n;

	if (build_rinfo(room, s->user, NULL, r->out, sizeof r->out, &n) == 0)
		server_session_send(s, r->out, n);
}

/* A frame to every session of u but except (a send may close one). */
static void
send_all(struct srv_user *u, const struct srv_sess *except, const char *buf,
    size_t n)
{
	struct srv_sess *o, *next;

	for (o = TAILQ_FIRST(&u->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, user_entry);
		if (o != except && !o->gone)
			server_session_send(o, buf, n);
	}
}

/* RINFO unasked to every session of u. */
static void
send_rinfo_all(struct srv_room *room, struct srv_user *u)
{
	struct srv_sess *o = TAILQ_FIRST(&u->sessions);
	size_t n;

	if (o != NULL &&
	    build_rinfo(room, u, NULL, o->r->out, sizeof o->r->out, &n) == 0)
		send_all(u, NULL, o->r->out, n);
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
 * without its line end) with its seq added, or an event (stored as its
 * fields after the seq). Its length, 0 if it does not fit.
 */
static size_t
entry_frame(const struct srv_room *room, int64_t seq, bool event,
    const char *frame, size_t len, char *buf, size_t cap)
{
	struct proto_writer w;
	const char *bar;
	size_t n;

	proto_writer_init(&w, buf, cap);
	if (event) {
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
static bool
out_full(struct srv_sess *s)
{
	return server_session_io.is_full(s);
}

/* Whether s takes a live room frame now. */
static bool
takes_live(struct srv_sess *s, struct srv_rpos *p)
{
	return !s->gone && !p->backlog && !out_full(s);
}

/*
 * Entry seq (frame in buf) to every session of every member: those that
 * keep up have it at once, the others read it from their cursor.
 */
static void
fan_out(struct server_relay *r, struct srv_room *room, int64_t seq,
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
 * An event (kind, target or NULL, text or NULL) appended to room's log
 * and sent to the members that keep up. Its seq, or -1.
 */
static int64_t
event(struct server_relay *r, struct srv_room *room,
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
	if ((n = entry_frame(
	         room, seq, true, body, (size_t)k, buf, sizeof buf)) > 0)
		fan_out(r, room, seq, buf, n);
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
static void
drop_cursors(struct server_relay *r, struct srv_room *room, struct srv_user *u)
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
 * u joined room at event seq: a cursor for each device it has (its
 * inbox's readers and its sessions online), from the join on.
 */
static void
make_cursors(struct server_relay *r, struct srv_room *room, struct srv_user *u,
    int64_t seq)
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
		reader_of(rd, u, l.v[i]);
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
		reader_of(rd, u, o->device);
		if (server_seqlog_cursor_add(r->store, room->log, rd, now) !=
		        0 ||
		    server_seqlog_cursor_raise(
		        r->store, room->log, rd, seq - 1) != 0)
			rooms_failed(r);
		rpos_add(o, room, seq - 1);
	}
}

/* u is no longer a member: its cursors and its sessions' places go. */
static void
forget_member(struct server_relay *r, struct srv_room *room, struct srv_user *u)
{
	struct srv_sess *o;

	drop_cursors(r, room, u);
	TAILQ_FOREACH(o, &u->sessions, user_entry)
	rpos_remove(o, room);
}

/* Free a room in memory (its rows and log are gone or kept). */
static void
room_free(struct srv_room *room)
{
	free(room->topic);
	free(room->m);
	free(room);
}

/* The last member left: the room, its rows and its log go. */
static void
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

static struct srv_room *
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

/* The user a request names, or NULL having said NO_SUCH_USER. */
static struct srv_user *
target_user(struct srv_sess *s, const struct proto_frame *fr)
{
	struct srv_user *t = server_directory_find(&s->r->dir, fr->arg[1]);

	if (t == NULL)
		room_err(s, PROTO_ERR_NO_SUCH_USER, fr->arg[0], "no user %.*s",
		    (int)fr->arg[1].len, fr->arg[1].p);
	return t;
}

/* Whether u may join one more room and room take one more member. */
static bool
quota_ok(struct srv_sess *s, struct srv_room *room, struct srv_user *u,
    struct proto_slice ref)
{
	struct server_relay *r = s->r;

	if (r->cfg.max_user_rooms > 0 &&
	    user_room_count(u) >= r->cfg.max_user_rooms) {
		room_err(s, PROTO_ERR_QUOTA, ref,
		    "%s is in %zu rooms, the limit (--max-user-rooms %u)",
		    u->name, user_room_count(u), r->cfg.max_user_rooms);
		return false;
	}
	if (room != NULL && r->cfg.max_room_members > 0 &&
	    room->nmembers >= r->cfg.max_room_members) {
		room_err(s, PROTO_ERR_QUOTA, ref,
		    "%s has %u members, the limit (--max-room-members %u)",
		    room->name, room->nmembers, r->cfg.max_room_members);
		return false;
	}
	return true;
}

/* RCREATE|room|mode */
static void
req_create(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *m;
	char name[PROTO_MAX_ROOM + 3];

	if (room_find(r, fr->arg[0]) != NULL) {
		room_err(s, PROTO_ERR_NAME_IN_USE, fr->arg[0], "%.*s exists",
		    (int)fr->arg[0].len, fr->arg[0].p);
		return;
	}
	if (r->cfg.max_rooms > 0 && r->rooms.n >= r->cfg.max_rooms) {
		room_err(s, PROTO_ERR_QUOTA, fr->arg[0],
		    "the relay holds %zu rooms, the limit (--max-rooms %u)",
		    r->rooms.n, r->cfg.max_rooms);
		return;
	}
	if (!quota_ok(s, NULL, s->user, fr->arg[0]))
		return;
	room = room_new(r, fr->arg[0]);
	room->mode = proto_slice_eq(fr->arg[1], "invite") ? 1 : 0;
	room->created = util_wall_ms();
	snprintf(name, sizeof name, "r:%s", room->key);
	if ((room->log = server_seqlog_open(r->store, name, room->created)) <
	    0) {
		rooms_failed(r);
		util_map_remove(r->rooms.map, room->key, strlen(room->key));
		r->rooms.n--;
		room_free(room);
		room_err(s, PROTO_ERR_INTERNAL, fr->arg[0],
		    "the relay could not store the room");
		return;
	}
	/* The log's numbers are the store's: a room's first entry is the
	 * next one of the store, past any other log's. */
	room->last = 0;
	m = member_add(room, s->user);
	room_save(r, room);
	m->role = SRV_ROLE_OWNER;
	room->nmembers = 1;
	make_cursors(r, room, s->user, 1);
	m->joined = event(r, room, s->user, "create", NULL, NULL);
	send_rinfo(s, room);
	member_save(r, room, m);
}

/* The room a request names, or NULL having said NO_SUCH_ROOM. */
static struct srv_room *
room_of(
    struct srv_sess *s, const struct proto_frame *fr, struct proto_slice ref)
{
	struct srv_room *room = room_find(s->r, fr->arg[0]);

	if (room == NULL)
		room_err(s, PROTO_ERR_NO_SUCH_ROOM, ref, "no room %.*s",
		    (int)fr->arg[0].len, fr->arg[0].p);
	return room;
}

/* s's membership of room, or NULL having said FORBIDDEN. */
static struct srv_member *
must_be_member(
    struct srv_sess *s, struct srv_room *room, struct proto_slice ref)
{
	struct srv_member *m = member_of(room, s->user);

	if (m == NULL)
		room_err(s, PROTO_ERR_FORBIDDEN, ref,
		    "you are not a member of %s", room->name);
	return m;
}

/* RJOIN|room */
static void
req_join(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *m;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL)
		return;
	m = member_find(room, s->user);
	if (m != NULL && m->role < SRV_ROLE_NONE) {
		room_err(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "you are a member of %s already", room->name);
		return;
	}
	if (m != NULL && m->banned) {
		room_err(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "%s is banned from %s", s->user->name, room->name);
		return;
	}
	if (room->mode == 1 && (m == NULL || !m->invited)) {
		room_err(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "%s is invite-only", room->name);
		return;
	}
	if (!quota_ok(s, room, s->user, fr->arg[0]))
		return;
	if (m == NULL)
		m = member_add(room, s->user);
	m->role = SRV_ROLE_MEMBER;
	m->invited = false;
	room->nmembers++;
	make_cursors(r, room, s->user, room->last + 1);
	m->joined = event(r, room, s->user, "join", NULL, NULL);
	send_rinfo(s, room);
	m->delivered = m->read = m->joined - 1;
	/* Cursors made before the event's number was known: at it now. */
	member_save(r, room, m);
}

/* The member who takes the room over from its owner, or NULL. */
static struct srv_member *
successor(struct srv_room *room, const struct srv_member *owner)
{
	struct srv_member *best = NULL, *m;
	size_t i;

	for (i = 0; i < room->nm; i++) {
		m = &room->m[i];
		if (m == owner || m->role != SRV_ROLE_ADMIN)
			continue;
		if (best == NULL || m->since < best->since)
			best = m;
	}
	if (best != NULL)
		return best;
	for (i = 0; i < room->nm; i++) {
		m = &room->m[i];
		if (m == owner || m->role != SRV_ROLE_MEMBER)
			continue;
		if (best == NULL || m->joined < best->joined)
			best = m;
	}
	return best;
}

/*
 * Member m (of user u) leaves room; s, its session that asked (or NULL:
 * the user is being deleted), has the RINFO saying so. An owner hands
 * the room over first; the last member out deletes it.
 */
static void
leave(struct server_relay *r, struct srv_room *room, struct srv_user *u,
    struct srv_sess *s)
{
	struct srv_member *m = member_find(room, u), *next;
	struct srv_sess *o;
	int64_t seq;

	if (room->nmembers == 1) {
		m->role = SRV_ROLE_NONE;
		room->nmembers = 0;
		TAILQ_FOREACH(o, &u->sessions, user_entry)
		rpos_remove(o, room);
		if (s != NULL)
			send_rinfo(s, room);
		room_delete(r, room);
		return;
	}
	if (m->role == SRV_ROLE_OWNER && (next = successor(room, m)) != NULL) {
		next->role = SRV_ROLE_OWNER;
		seq = event(r, room, u, "admin", next->u->name, NULL);
		next->since = seq > 0 ? (uint64_t)seq : 0;
		member_save(r, room, next);
	}
	/* The leave goes to the others and to the leaver's sessions, after
	 * the RINFO that says it is out. */
	m->role = SRV_ROLE_NONE;
	room->nmembers--;
	drop_cursors(r, room, u);
	if (s != NULL)
		send_rinfo(s, room);
	m->role = SRV_ROLE_MEMBER; /* its sessions have the leave too */
	event(r, room, u, "leave", NULL, NULL);
	m->role = SRV_ROLE_NONE;
	TAILQ_FOREACH(o, &u->sessions, user_entry)
	rpos_remove(o, room);
	room_save(r, room);
	member_save(r, room, m);
}

/* RLEAVE|room */
static void
req_leave(struct srv_sess *s, const struct proto_frame *fr)
{
	struct srv_room *room;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    must_be_member(s, room, fr->arg[0]) == NULL)
		return;
	leave(s->r, room, s->user, s);
}

/* u is being deleted: out of every room, its rows gone. */
void
server_rooms_forget_user(struct server_relay *r, struct srv_user *u)
{
	struct srv_member *m;
	struct srv_room *room;

	while (u->nrooms > 0) {
		room = u->rooms[u->nrooms - 1];
		m = member_find(room, u);
		if (m->role < SRV_ROLE_NONE) {
			if (room->nmembers == 1) {
				leave(r, room, u, NULL); /* the room goes */
				continue;
			}
			leave(r, room, u, NULL);
			if ((m = member_find(room, u)) == NULL)
				continue; /* its row went */
		}
		m->invited = m->banned = false;
		member_save(r, room, m);
	}
	free(u->rooms);
	u->rooms = NULL;
	u->caprooms = 0;
}

/* Whether s's role in room is owner or admin; else FORBIDDEN. */
static bool
must_rule(struct srv_sess *s, struct srv_room *room, const char *what,
    struct proto_slice ref)
{
	struct srv_member *m = member_of(room, s->user);

	if (m != NULL && m->role <= SRV_ROLE_ADMIN)
		return true;
	room_err(s, PROTO_ERR_FORBIDDEN, ref,
	    "only the owner or an admin may %s", what);
	return false;
}

/* RINVITE|room|name */
static void
req_invite(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *t;
	struct srv_user *u;
	size_t n;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    must_be_member(s, room, fr->arg[0]) == NULL)
		return;
	if (room->mode == 1 &&
	    !must_rule(s, room, "invite to an invite-only room", fr->arg[0]))
		return;
	if ((u = target_user(s, fr)) == NULL)
		return;
	t = member_find(room, u);
	if (t != NULL && t->banned) {
		room_err(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "%s is banned from %s", u->name, room->name);
		return;
	}
	if (t != NULL && t->role < SRV_ROLE_NONE) {
		room_err(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "%s is a member of %s already", u->name, room->name);
		return;
	}
	if (room->mode == 1) {
		if (t == NULL)
			t = member_add(room, u);
		t->invited = true;
		member_save(r, room, t);
	}
	event(r, room, s->user, "invite", u->name, NULL);
	send_rinfo(s, room);
	if (room->mode == 1)
		send_rinfo_all(room, u);
	else if (build_rinfo(room, u, "invited", r->out, sizeof r->out, &n) ==
	    0) {
		/* An open room: the invitee is told, nothing is kept. */
		send_all(u, NULL, r->out, n);
	}
}

/* u is out of room (kicked or banned): cursors, sessions, RINFO none. */
static void
put_out(struct server_relay *r, struct srv_room *room, struct srv_member *t)
{
	if (t->role < SRV_ROLE_NONE)
		room->nmembers--;
	t->role = SRV_ROLE_NONE;
	t->invited = false;
	forget_member(r, room, t->u);
}

/*
 * Whether s may kick or ban t (a row in room): not the owner, and an
 * admin only by the owner. Else FORBIDDEN.
 */
static bool
may_act_on(struct srv_sess *s, struct srv_room *room, struct srv_member *t,
    const char *what, struct proto_slice ref)
{
	struct srv_member *me = member_of(room, s->user);

	if (t->role == SRV_ROLE_OWNER) {
		room_err(s, PROTO_ERR_FORBIDDEN, ref,
		    "nobody may %s the owner of %s", what, room->name);
		return false;
	}
	if (t->role == SRV_ROLE_ADMIN && me->role != SRV_ROLE_OWNER) {
		room_err(s, PROTO_ERR_FORBIDDEN, ref,
		    "only the owner may %s an admin", what);
		return false;
	}
	return true;
}

/* RKICK|room|name|reason */
static void
req_kick(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *t;
	struct srv_user *u;
	char reason[PROTO_MAX_TEXT * 2];

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    !must_rule(s, room, "kick", fr->arg[0]) ||
	    (u = target_user(s, fr)) == NULL)
		return;
	t = member_find(room, u);
	if (t == NULL || (t->role == SRV_ROLE_NONE && !t->invited)) {
		room_err(s, PROTO_ERR_BAD_FIELD, fr->arg[0], "%s is not in %s",
		    u->name, room->name);
		return;
	}
	if (!may_act_on(s, room, t, "kick", fr->arg[0]))
		return;
	snprintf(
	    reason, sizeof reason, "%.*s", (int)fr->arg[2].len, fr->arg[2].p);
	put_out(r, room, t);
	event(r, room, s->user, "kick", u->name, reason);
	send_rinfo(s, room);
	send_rinfo_all(room, u);
	member_save(r, room, t);
}

/* RBAN|room|name|on|off */
static void
req_ban(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *t;
	struct srv_user *u;
	bool on = proto_slice_eq(fr->arg[2], "on");

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    !must_rule(s, room, on ? "ban" : "lift a ban", fr->arg[0]) ||
	    (u = target_user(s, fr)) == NULL)
		return;
	t = member_find(room, u);
	if (!on) {
		if (t == NULL || !t->banned) {
			send_rinfo(s, room);
			return;
		}
		t->banned = false;
		event(r, room, s->user, "unban", u->name, NULL);
		send_rinfo(s, room);
		member_save(r, room, t);
		return;
	}
	if (t != NULL && !may_act_on(s, room, t, "ban", fr->arg[0]))
		return;
	if (t != NULL && t->banned) {
		send_rinfo(s, room);
		return;
	}
	if (t == NULL)
		t = member_add(room, u);
	put_out(r, room, t);
	t->banned = true;
	event(r, room, s->user, "ban", u->name, NULL);
	send_rinfo(s, room);
	send_rinfo_all(room, u);
	member_save(r, room, t);
}

/* RADMIN|room|name|on|off */
static void
req_admin(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member *me, *t;
	struct srv_user *u;
	bool on = proto_slice_eq(fr->arg[2], "on");
	int64_t seq;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL)
		return;
	me = member_of(room, s->user);
	if (me == NULL || me->role != SRV_ROLE_OWNER) {
		room_err(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "only the owner may make or unmake admins");
		return;
	}
	if ((u = target_user(s, fr)) == NULL)
		return;
	t = member_of(room, u);
	if (t == NULL) {
		room_err(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "%s is not a member of %s", u->name, room->name);
		return;
	}
	if (t->role == SRV_ROLE_OWNER) {
		room_err(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "the owner of %s is not made or unmade an admin",
		    room->name);
		return;
	}
	if ((t->role == SRV_ROLE_ADMIN) == on) {
		send_rinfo(s, room);
		return;
	}
	t->role = on ? SRV_ROLE_ADMIN : SRV_ROLE_MEMBER;
	seq = event(r, room, s->user, on ? "admin" : "unadmin", u->name, NULL);
	send_rinfo(s, room);
	t->since = seq > 0 ? (uint64_t)seq : 0;
	member_save(r, room, t);
}

/* RTOPIC|room|topic */
static void
req_topic(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    !must_rule(s, room, "set the topic", fr->arg[0]))
		return;
	free(room->topic);
	room->topic = xmalloc(fr->arg[1].len + 1);
	memcpy(room->topic, fr->arg[1].p, fr->arg[1].len);
	room->topic[fr->arg[1].len] = '\0';
	room_save(r, room);
	event(r, room, s->user, "topic", NULL, room->topic);
	send_rinfo(s, room);
}

/* Members in RMEMBERS order: owner, admins, members, each by name. */
static int
member_cmp(const void *a, const void *b)
{
	const struct srv_member *x = *(struct srv_member *const *)a;
	const struct srv_member *y = *(struct srv_member *const *)b;

	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return strcmp(x->u->key, y->u->key);
}

/* RMEMBERS|room */
static void
req_members(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_room *room;
	struct srv_member **v;
	struct proto_writer w;
	size_t i, k = 0, n;

	if ((room = room_of(s, fr, fr->arg[0])) == NULL ||
	    must_be_member(s, room, fr->arg[0]) == NULL)
		return;
	v = xmalloc((room->nm + 1) * sizeof *v);
	for (i = 0; i < room->nm; i++)
		if (room->m[i].role < SRV_ROLE_NONE)
			v[k++] = &room->m[i];
	qsort(v, k, sizeof *v, member_cmp);
	for (i = 0; i < k; i++) {
		proto_writer_init(&w, r->out, sizeof r->out);
		proto_writer_begin(&w, PROTO_V_RMEMBER);
		proto_writer_str(&w, room->name);
		proto_writer_str(&w, v[i]->u->name);
		proto_writer_str(&w, role_names[v[i]->role]);
		proto_writer_str(
		    &w, server_user_online(v[i]->u) ? "online" : "offline");
		proto_writer_u64(&w, (uint64_t)v[i]->delivered);
		proto_writer_u64(&w, (uint64_t)v[i]->read);
		if (proto_writer_end(&w, &n) == 0)
			server_session_send(s, r->out, n);
	}
	free(v);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_RMEMBERS);
	proto_writer_str(&w, room->name);
	proto_writer_u64(&w, k);
	if (proto_writer_end(&w, &n) == 0)
		server_session_send(s, r->out, n);
}

struct list_ctx {
	const struct srv_user *u;
	struct srv_room **v;
	size_t n, cap;
};

static void
list_one(const void *k, size_t len, void *val, void *arg)
{
	struct list_ctx *c = arg;
	struct srv_room *room = val;
	struct srv_member *m = member_find(room, c->u);

	(void)k;
	(void)len;
	if (room->mode == 1 &&
	    (m == NULL || (m->role == SRV_ROLE_NONE && !m->invited)))
		return;
	if (room->mode == 0 && m != NULL && m->banned)
		return;
	XGROW(c->v, c->cap, c->n + 1, 64);
	c->v[c->n++] = room;
}

static int
room_cmp(const void *a, const void *b)
{
	return strcmp((*(struct srv_room *const *)a)->key,
	    (*(struct srv_room *const *)b)->key);
}

/* RLIST */
static void
req_list(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct list_ctx c = {s->user, NULL, 0, 0};
	struct proto_writer w;
	size_t i, n;

	util_map_each(r->rooms.map, list_one, &c);
	if (c.n > 1)
		qsort(c.v, c.n, sizeof *c.v, room_cmp);
	if (c.n > RLIST_MAX)
		c.n = RLIST_MAX;
	for (i = 0; i < c.n; i++)
		send_rinfo(s, c.v[i]);
	free(c.v);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_RLIST);
	proto_writer_u64(&w, c.n);
	if (proto_writer_end(&w, &n) == 0)
		server_session_send(s, r->out, n);
}

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
static void
req_pos(struct srv_sess *s, const struct proto_frame *fr)
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
	    (m = must_be_member(s, room, fr->arg[0])) == NULL)
		return;
	if ((p = rpos_find(s, room)) == NULL || d > p->sent ||
	    rr > room->last) {
		room_err(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "position past the end of %s", room->name);
		return;
	}
	reader_of(rd, s->user, s->device);
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
	send_all(s->user, s, r->out, n);
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
static void
req_rcpt(struct srv_sess *s, const struct proto_frame *fr)
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
	    must_be_member(s, room, fr->arg[0]) == NULL)
		return;
	if (seq <= 0 || seq > room->last) {
		room_err(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
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

/* A room request of a logged-in session. */
void
server_rooms_request(struct srv_sess *s, const struct proto_frame *fr)
{
	switch (fr->verb) {
	case PROTO_V_RCREATE:
		req_create(s, fr);
		return;
	case PROTO_V_RJOIN:
		req_join(s, fr);
		return;
	case PROTO_V_RLEAVE:
		req_leave(s, fr);
		return;
	case PROTO_V_RINVITE:
		req_invite(s, fr);
		return;
	case PROTO_V_RKICK:
		req_kick(s, fr);
		return;
	case PROTO_V_RBAN:
		req_ban(s, fr);
		return;
	case PROTO_V_RADMIN:
		req_admin(s, fr);
		return;
	case PROTO_V_RTOPIC:
		req_topic(s, fr);
		return;
	case PROTO_V_RMEMBERS:
		if (fr->nargs == 1) {
			req_members(s, fr);
			return;
		}
		break;
	case PROTO_V_RLIST:
		if (fr->nargs == 0) {
			req_list(s);
			return;
		}
		break;
	case PROTO_V_RPOS:
		req_pos(s, fr);
		return;
	case PROTO_V_RRCPT:
		req_rcpt(s, fr);
		return;
	default:
		break;
	}
	server_session_errf(s, PROTO_ERR_BAD_VERB, server_no_ref,
	    "%s is not a request this relay serves", proto_verb_name(fr->verb));
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
		room_err(s, PROTO_ERR_NO_SUCH_ROOM, ref, "no room %.*s",
		    (int)fr->arg[1].len, fr->arg[1].p);
		return;
	}
	if (member_of(room, s->user) == NULL) {
		room_err(s, PROTO_ERR_FORBIDDEN, ref,
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
				if (!o->gone && !out_full(o) &&
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
		room_err(s, PROTO_ERR_INTERNAL, ref,
		    "the relay could not store the message");
		return;
	}
	room->last = room->last_msg = seq;
	room->last_sender = s->user;
	r->st.msgs_stored++;
	server_router_ack(&r->rt, s->user, s->device, id);
	if ((n = entry_frame(room, seq, false, fr->raw, len, buf, sizeof buf)) >
	    0) {
		r->st.msgs_relayed++;
		fan_out(r, room, seq, buf, n);
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

	reader_of(rd, u, s->device);
	for (i = 0; i < u->nrooms; i++) {
		room = u->rooms[i];
		m = member_find(room, u);
		if (m->role == SRV_ROLE_NONE) {
			if (m->invited)
				send_rinfo(s, room);
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
		send_rinfo(s, room);
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

	n = entry_frame(c->p->room, e->seq, e->kind != SERVER_ENTRY_MSG,
	    e->frame, e->len, c->buf, c->cap);
	if (n > 0)
		server_session_send(c->s, c->buf, n);
	if (c->s->gone) {
		c->stopped = true;
		return false;
	}
	c->p->sent = e->seq;
	c->s->r->st.bytes_relayed += n;
	c->stopped = out_full(c->s);
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
	reader_of(rd, s->user, s->device);
	for (i = 0; i < s->nrpos && !s->gone; i++) {
		while (s->rpos[i].backlog && !s->gone && !out_full(s)) {
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
		if (s->gone || out_full(s))
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

	reader_of(rd, s->user, s->device);
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
		send_all(room->last_sender, NULL, r->out, n);
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
