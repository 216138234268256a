/* SPDX-License-Identifier: MIT */
/*
 * The room requests (docs/protocol.md "Rooms", "Requests and their
 * answers"): create, join, leave, invite, kick, ban, admin, topic,
 * members, list, and who may do which.
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

/* The user a request names, or NULL having said NO_SUCH_USER. */
static struct srv_user *
target_user(struct srv_sess *s, const struct proto_frame *fr)
{
	struct srv_user *t = server_directory_find(&s->r->dir, fr->arg[1]);

	if (t == NULL)
		server_session_errf(s, PROTO_ERR_NO_SUCH_USER, fr->arg[0],
		    "no user %.*s", (int)fr->arg[1].len, fr->arg[1].p);
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
		server_session_errf(s, PROTO_ERR_QUOTA, ref,
		    "%s is in %zu rooms, the limit (--max-user-rooms %u)",
		    u->name, user_room_count(u), r->cfg.max_user_rooms);
		return false;
	}
	if (room != NULL && r->cfg.max_room_members > 0 &&
	    room->nmembers >= r->cfg.max_room_members) {
		server_session_errf(s, PROTO_ERR_QUOTA, ref,
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
		server_session_errf(s, PROTO_ERR_NAME_IN_USE, fr->arg[0],
		    "%.*s exists", (int)fr->arg[0].len, fr->arg[0].p);
		return;
	}
	if (r->cfg.max_rooms > 0 && r->rooms.n >= r->cfg.max_rooms) {
		server_session_errf(s, PROTO_ERR_QUOTA, fr->arg[0],
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
		server_session_errf(s, PROTO_ERR_INTERNAL, fr->arg[0],
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
	rooms_make_cursors(r, room, s->user, 1);
	m->joined = rooms_event(r, room, s->user, "create", NULL, NULL);
	rooms_send_rinfo(s, room);
	member_save(r, room, m);
}

/* The room a request names, or NULL having said NO_SUCH_ROOM. */
struct srv_room *
room_of(
    struct srv_sess *s, const struct proto_frame *fr, struct proto_slice ref)
{
	struct srv_room *room = room_find(s->r, fr->arg[0]);

	if (room == NULL)
		server_session_errf(s, PROTO_ERR_NO_SUCH_ROOM, ref,
		    "no room %.*s", (int)fr->arg[0].len, fr->arg[0].p);
	return room;
}

/* s's membership of room, or NULL having said FORBIDDEN. */
struct srv_member *
rooms_must_be_member(
    struct srv_sess *s, struct srv_room *room, struct proto_slice ref)
{
	struct srv_member *m = member_of(room, s->user);

	if (m == NULL)
		server_session_errf(s, PROTO_ERR_FORBIDDEN, ref,
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
		server_session_errf(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "you are a member of %s already", room->name);
		return;
	}
	if (m != NULL && m->banned) {
		server_session_errf(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "%s is banned from %s", s->user->name, room->name);
		return;
	}
	if (room->mode == 1 && (m == NULL || !m->invited)) {
		server_session_errf(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
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
	rooms_make_cursors(r, room, s->user, room->last + 1);
	m->joined = rooms_event(r, room, s->user, "join", NULL, NULL);
	rooms_send_rinfo(s, room);
	m->delivered = m->read = m->joined - 1;
	/* Cursors made before the rooms_event's number was known: at it now. */
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
			rooms_send_rinfo(s, room);
		room_delete(r, room);
		return;
	}
	if (m->role == SRV_ROLE_OWNER && (next = successor(room, m)) != NULL) {
		next->role = SRV_ROLE_OWNER;
		seq = rooms_event(r, room, u, "admin", next->u->name, NULL);
		next->since = seq > 0 ? (uint64_t)seq : 0;
		member_save(r, room, next);
	}
	/* The leave goes to the others and to the leaver's sessions, after
	 * the RINFO that says it is out. */
	m->role = SRV_ROLE_NONE;
	room->nmembers--;
	rooms_drop_cursors(r, room, u);
	if (s != NULL)
		rooms_send_rinfo(s, room);
	m->role = SRV_ROLE_MEMBER; /* its sessions have the leave too */
	rooms_event(r, room, u, "leave", NULL, NULL);
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
	    rooms_must_be_member(s, room, fr->arg[0]) == NULL)
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
	server_session_errf(s, PROTO_ERR_FORBIDDEN, ref,
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
	    rooms_must_be_member(s, room, fr->arg[0]) == NULL)
		return;
	if (room->mode == 1 &&
	    !must_rule(s, room, "invite to an invite-only room", fr->arg[0]))
		return;
	if ((u = target_user(s, fr)) == NULL)
		return;
	t = member_find(room, u);
	if (t != NULL && t->banned) {
		server_session_errf(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "%s is banned from %s", u->name, room->name);
		return;
	}
	if (t != NULL && t->role < SRV_ROLE_NONE) {
		server_session_errf(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "%s is a member of %s already", u->name, room->name);
		return;
	}
	if (room->mode == 1) {
		if (t == NULL)
			t = member_add(room, u);
		t->invited = true;
		member_save(r, room, t);
	}
	rooms_event(r, room, s->user, "invite", u->name, NULL);
	rooms_send_rinfo(s, room);
	if (room->mode == 1)
		rooms_send_rinfo_all(room, u);
	else if (rooms_build_rinfo(
	             room, u, "invited", r->out, sizeof r->out, &n) == 0) {
		/* An open room: the invitee is told, nothing is kept. */
		rooms_send_all(u, NULL, r->out, n);
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
	rooms_forget_member(r, room, t->u);
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
		server_session_errf(s, PROTO_ERR_FORBIDDEN, ref,
		    "nobody may %s the owner of %s", what, room->name);
		return false;
	}
	if (t->role == SRV_ROLE_ADMIN && me->role != SRV_ROLE_OWNER) {
		server_session_errf(s, PROTO_ERR_FORBIDDEN, ref,
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
		server_session_errf(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "%s is not in %s", u->name, room->name);
		return;
	}
	if (!may_act_on(s, room, t, "kick", fr->arg[0]))
		return;
	snprintf(
	    reason, sizeof reason, "%.*s", (int)fr->arg[2].len, fr->arg[2].p);
	put_out(r, room, t);
	rooms_event(r, room, s->user, "kick", u->name, reason);
	rooms_send_rinfo(s, room);
	rooms_send_rinfo_all(room, u);
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
			rooms_send_rinfo(s, room);
			return;
		}
		t->banned = false;
		rooms_event(r, room, s->user, "unban", u->name, NULL);
		rooms_send_rinfo(s, room);
		member_save(r, room, t);
		return;
	}
	if (t != NULL && !may_act_on(s, room, t, "ban", fr->arg[0]))
		return;
	if (t != NULL && t->banned) {
		rooms_send_rinfo(s, room);
		return;
	}
	if (t == NULL)
		t = member_add(room, u);
	put_out(r, room, t);
	t->banned = true;
	rooms_event(r, room, s->user, "ban", u->name, NULL);
	rooms_send_rinfo(s, room);
	rooms_send_rinfo_all(room, u);
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
		server_session_errf(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "only the owner may make or unmake admins");
		return;
	}
	if ((u = target_user(s, fr)) == NULL)
		return;
	t = member_of(room, u);
	if (t == NULL) {
		server_session_errf(s, PROTO_ERR_BAD_FIELD, fr->arg[0],
		    "%s is not a member of %s", u->name, room->name);
		return;
	}
	if (t->role == SRV_ROLE_OWNER) {
		server_session_errf(s, PROTO_ERR_FORBIDDEN, fr->arg[0],
		    "the owner of %s is not made or unmade an admin",
		    room->name);
		return;
	}
	if ((t->role == SRV_ROLE_ADMIN) == on) {
		rooms_send_rinfo(s, room);
		return;
	}
	t->role = on ? SRV_ROLE_ADMIN : SRV_ROLE_MEMBER;
	seq = rooms_event(
	    r, room, s->user, on ? "admin" : "unadmin", u->name, NULL);
	rooms_send_rinfo(s, room);
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
	rooms_event(r, room, s->user, "topic", NULL, room->topic);
	rooms_send_rinfo(s, room);
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
	    rooms_must_be_member(s, room, fr->arg[0]) == NULL)
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
		rooms_send_rinfo(s, c.v[i]);
	free(c.v);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_RLIST);
	proto_writer_u64(&w, c.n);
	if (proto_writer_end(&w, &n) == 0)
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
		rooms_req_pos(s, fr);
		return;
	case PROTO_V_RRCPT:
		rooms_req_rcpt(s, fr);
		return;
	default:
		break;
	}
	server_session_errf(s, PROTO_ERR_BAD_VERB, server_no_ref,
	    "%s is not a request this relay serves", proto_verb_name(fr->verb));
}
