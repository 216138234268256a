/* SPDX-License-Identifier: MIT */
/*
 * Rooms (docs/protocol.md "Rooms"): what the relay tells of them (RINFO,
 * REVENT, RMEMBER, RPOS, RWHO, RSTATE), their messages, stored in the
 * room's conversation with their number in its log, the positions sent
 * back (one RPOS per room after a batch is stored, and when the user
 * reads), and the requests of the user.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/session_int.h"
#include "net/conn.h"
#include "proto/build.h"
#include "proto/utf8.h"
#include "util/xmalloc.h"

static const char *const role_names[] = {
    [CLIENT_ROOM_NONE] = "none",
    [CLIENT_ROOM_INVITED] = "invited",
    [CLIENT_ROOM_MEMBER] = "member",
    [CLIENT_ROOM_ADMIN] = "admin",
    [CLIENT_ROOM_OWNER] = "owner",
};

/* Whether s is a room name: '#' and 1-32 of A-Z a-z 0-9 _ . - */
bool
client_is_room(const char *s, size_t len)
{
	return proto_is_room(s, len);
}

/* The role as the protocol writes it. */
const char *
client_room_role_name(enum client_room_role r)
{
	return (unsigned)r <= CLIENT_ROOM_OWNER ? role_names[r] : "none";
}

static enum client_room_role
role_of(struct proto_slice p)
{
	int i;

	for (i = CLIENT_ROOM_OWNER; i > CLIENT_ROOM_NONE; i--) {
		if (proto_slice_eq(p, role_names[i]))
			return (enum client_room_role)i;
	}
	return CLIENT_ROOM_NONE;
}

/* The rooms known this session. */
const struct client_room *
client_session_rooms(const struct client_session *s, size_t *n)
{
	*n = s->nrooms;
	return s->rooms;
}

static struct client_room *
room_find(const struct client_session *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->nrooms; i++) {
		if (strlen(s->rooms[i].name) == len &&
		    strncasecmp(s->rooms[i].name, name, len) == 0)
			return &s->rooms[i];
	}
	return NULL;
}

/* The room named so (any case), or NULL. */
const struct client_room *
client_session_room_find(const struct client_session *s, const char *name)
{
	return room_find(s, name, strlen(name));
}

/* Count the unread messages of a room as stored. */
static void
count_one(void *arg, const struct client_msg *m)
{
	(void)m;
	(*(unsigned *)arg)++;
}

/* The room (slice), added with its stored positions if new. */
static struct client_room *
room_get(struct client_session *s, struct proto_slice name)
{
	struct client_room *r = room_find(s, name.p, name.len);

	if (r != NULL)
		return r;
	if (s->nrooms == s->caprooms) {
		s->caprooms = s->caprooms > 0 ? s->caprooms * 2 : 8;
		s->rooms =
		    xreallocarray(s->rooms, s->caprooms, sizeof *s->rooms);
		s->room_due = xreallocarray(s->room_due, s->caprooms, 1);
	}
	r = &s->rooms[s->nrooms];
	memset(r, 0, sizeof *r);
	s->room_due[s->nrooms] = false;
	s->nrooms++;
	snprintf(r->name, sizeof r->name, "%.*s", (int)name.len, name.p);
	(void)client_store_room_pos(s->store, r->name, &r->delivered, &r->read);
	(void)client_store_unread_of(s->store, r->name, count_one, &r->unread);
	return r;
}

/* RINFO told: on_room. */
static void
room_emit(struct client_session *s, const struct client_room *r)
{
	if (s->ev->on_room != NULL)
		s->ev->on_room(s->arg, r);
}

/* What we know of the room changed otherwise: on_room_changed. */
static void
room_changed(struct client_session *s, const struct client_room *r)
{
	if (s->ev->on_room_changed != NULL)
		s->ev->on_room_changed(s->arg, r);
}

/* The room's positions are due to the relay at the end of the turn. */
static void
room_due(struct client_session *s, struct client_room *r)
{
	s->room_due[r - s->rooms] = true;
}

/* RINFO: the room's state now. */
static void
on_rinfo(struct client_session *s, const struct proto_frame *fr)
{
	struct client_room *r = room_get(s, fr->arg[0]);
	size_t len = 0;

	snprintf(
	    r->name, sizeof r->name, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	r->invite_only = proto_slice_eq(fr->arg[1], "invite");
	r->members = proto_slice_u64(fr->arg[2]);
	r->role = role_of(fr->arg[3]);
	r->last = proto_slice_u64(fr->arg[4]);
	if (proto_text_decode(
	        fr->arg[5], r->topic, sizeof r->topic - 1, &len) != 0)
		len = 0;
	r->topic[len] = '\0';
	room_emit(s, r);
}

/* A line for history about an event of the room. */
static void
event_text(char *buf, size_t cap, const char *actor, const char *kind,
    const char *target, const char *text)
{
	if (strcmp(kind, "create") == 0)
		snprintf(buf, cap, "%s created the room", actor);
	else if (strcmp(kind, "join") == 0)
		snprintf(buf, cap, "%s joined", actor);
	else if (strcmp(kind, "leave") == 0)
		snprintf(buf, cap, "%s left", actor);
	else if (strcmp(kind, "topic") == 0)
		snprintf(buf, cap, "%s set the topic: %s", actor, text);
	else if (strcmp(kind, "kick") == 0)
		snprintf(buf, cap, "%s kicked %s%s%s", actor, target,
		    text[0] != '\0' ? ": " : "", text);
	else if (strcmp(kind, "ban") == 0)
		snprintf(buf, cap, "%s banned %s", actor, target);
	else if (strcmp(kind, "unban") == 0)
		snprintf(buf, cap, "%s lifted the ban on %s", actor, target);
	else if (strcmp(kind, "invite") == 0)
		snprintf(buf, cap, "%s invited %s", actor, target);
	else if (strcmp(kind, "admin") == 0)
		snprintf(buf, cap, "%s made %s an admin", actor, target);
	else if (strcmp(kind, "unadmin") == 0)
		snprintf(buf, cap, "%s made %s a member", actor, target);
	else
		snprintf(buf, cap, "%s: %s %s", actor, kind, target);
}

/* What an event changes of what we know of the room. */
static void
event_apply(struct client_session *s, struct client_room *r, const char *actor,
    const char *kind, const char *target, const char *text)
{
	bool me = strcasecmp(target, s->me) == 0;

	(void)actor;
	if (strcmp(kind, "topic") == 0)
		snprintf(r->topic, sizeof r->topic, "%s", text);
	else if (strcmp(kind, "join") == 0)
		r->members++;
	else if ((strcmp(kind, "leave") == 0 || strcmp(kind, "kick") == 0 ||
	             strcmp(kind, "ban") == 0) &&
	    r->members > 0)
		r->members--;
	else if (strcmp(kind, "admin") == 0 && me &&
	    r->role == CLIENT_ROOM_MEMBER)
		r->role = CLIENT_ROOM_ADMIN;
	else if (strcmp(kind, "unadmin") == 0 && me &&
	    r->role == CLIENT_ROOM_ADMIN)
		r->role = CLIENT_ROOM_MEMBER;
}

static void room_seen(struct client_session *, struct client_room *, uint64_t);

/* REVENT: an entry of the room's log, kept in its history as a note. */
static void
on_revent(struct client_session *s, const struct proto_frame *fr)
{
	struct client_room *r = room_get(s, fr->arg[0]);
	char actor[PROTO_MAX_NAME + 1], kind[16], target[PROTO_MAX_NAME + 1];
	char text[PROTO_MAX_TEXT + 1], id[PROTO_MAX_ROOM + 48];
	char line[PROTO_MAX_TEXT + 160];
	uint64_t seq = proto_slice_u64(fr->arg[1]);
	uint64_t ts = proto_slice_u64(fr->arg[2]);
	struct client_msg m;
	size_t len = 0, i;
	int fresh;

	snprintf(
	    actor, sizeof actor, "%.*s", (int)fr->arg[3].len, fr->arg[3].p);
	snprintf(kind, sizeof kind, "%.*s", (int)fr->arg[4].len, fr->arg[4].p);
	snprintf(
	    target, sizeof target, "%.*s", (int)fr->arg[5].len, fr->arg[5].p);
	if (proto_text_decode(fr->arg[6], text, sizeof text - 1, &len) != 0)
		len = 0;
	text[len] = '\0';
	/* One id per entry of the room's log: kept once. */
	snprintf(id, sizeof id, "%s:%llu:%llu", r->name,
	    (unsigned long long)seq, (unsigned long long)ts);
	for (i = 0; id[i] != '\0'; i++)
		id[i] = (char)tolower((unsigned char)id[i]);
	event_text(line, sizeof line, actor, kind, target, text);
	fresh = client_store_add_room(
	    s->store, r->name, "*", id, ts, line, strlen(line), false, seq);
	if (fresh < 0) {
		client_session_emit_error(
		    s, "STORE", r->name, client_store_error(s->store));
		return;
	}
	if (seq > r->delivered)
		r->delivered = seq;
	room_due(s, r);
	/* What came before the last RINFO is in it already. */
	if (seq > r->last) {
		r->last = seq;
		event_apply(s, r, actor, kind, target, text);
	}
	if (fresh == 0)
		return;
	memset(&m, 0, sizeof m);
	m.peer = r->name;
	m.sender = "*";
	m.id = id;
	m.ts = ts;
	m.body = line;
	m.len = strlen(line);
	m.state = CLIENT_MSG_SEEN;
	m.seq = seq;
	client_convos_append(s->convos, r->name, &m);
	if (s->ev->on_room_event != NULL)
		s->ev->on_room_event(
		    s->arg, r->name, seq, ts, actor, kind, target, text);
	room_changed(s, r);
}

/*
 * MSG|from|#room|ts|id|body|seq from the relay: a message of the room,
 * ours (sent here: it gets its number; sent by another device of ours:
 * kept as ours) or another member's.
 */
void
client_rooms_msg(struct client_session *s, const struct proto_frame *fr)
{
	struct proto_slice me = {s->me, strlen(s->me)};
	char from[PROTO_MAX_NAME + 1], id[PROTO_MAX_ID + 1];
	struct client_room *r;
	struct client_msg m;
	uint64_t seq;
	size_t len;
	bool ours;
	int fresh;

	if (fr->nargs < 6 ||
	    proto_text_decode(fr->arg[4], s->body, sizeof s->body - 1, &len) !=
	        0)
		return;
	s->body[len] = '\0';
	r = room_get(s, fr->arg[1]);
	seq = proto_slice_u64(fr->arg[5]);
	ours = proto_name_eq(fr->arg[0], me);
	snprintf(from, sizeof from, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	snprintf(id, sizeof id, "%.*s", (int)fr->arg[3].len, fr->arg[3].p);
	memset(&m, 0, sizeof m);
	m.peer = r->name;
	m.sender = ours ? s->me : from;
	m.id = id;
	m.ts = proto_slice_u64(fr->arg[2]);
	m.body = s->body;
	m.len = len;
	m.outgoing = ours;
	m.state = ours ? CLIENT_MSG_STORED : CLIENT_MSG_RECEIVED;
	m.seq = seq;
	fresh = client_store_add_room(
	    s->store, r->name, m.sender, id, m.ts, s->body, len, ours, seq);
	if (fresh < 0) {
		/* Not stored: the position stays, so the relay sends it again. */
		client_session_emit_error(
		    s, "STORE", id, client_store_error(s->store));
		return;
	}
	if (seq > r->delivered)
		r->delivered = seq;
	if (seq > r->last)
		r->last = seq;
	room_due(s, r);
	if (fresh > 0) {
		client_convos_append(s->convos, r->name, &m);
		/* Read already on another device of ours: not unread here. */
		if (!ours && seq <= r->read)
			room_seen(s, r, r->read);
		else if (!ours)
			r->unread++;
	} else if (ours)
		client_convos_set_seq(s->convos, r->name, id, seq);
	if (s->ev->on_message != NULL)
		s->ev->on_message(s->arg, &m, fresh > 0);
	if (fresh > 0 && !ours && strcasecmp(s->active, r->name) == 0)
		client_session_mark_read(s, r->name);
	else if (fresh > 0 && !ours)
		room_changed(s, r);
}

/* The room's messages up to seq are read (here, or on another device). */
static void
room_seen(struct client_session *s, struct client_room *r, uint64_t seq)
{
	struct client_convo *cv;
	int n;
	size_t i;

	if (seq > r->read)
		r->read = seq;
	n = client_store_room_seen(s->store, r->name, seq);
	if (n > 0)
		r->unread =
		    (unsigned)n >= r->unread ? 0 : r->unread - (unsigned)n;
	if (r->read >= r->delivered)
		r->unread = 0;
	if ((cv = client_convos_find(s->convos, r->name)) != NULL) {
		for (i = 0; i < cv->n; i++) {
			if (!cv->e[i].outgoing &&
			    cv->e[i].state == CLIENT_MSG_RECEIVED &&
			    cv->e[i].seq <= seq)
				cv->e[i].state = CLIENT_MSG_SEEN;
		}
	}
}

/* The user has seen the room: everything stored is read. */
void
client_rooms_mark_read(struct client_session *s, const char *room)
{
	struct client_room *r = room_find(s, room, strlen(room));

	if (r == NULL)
		return;
	room_seen(s, r, r->delivered);
	room_due(s, r);
	room_changed(s, r);
}

/* The room's messages up to the entry id (as its conversation has it
 * loaded) are read, not the ones after. */
void
client_rooms_mark_read_upto(
    struct client_session *s, const char *room, const char *id)
{
	struct client_room *r = room_find(s, room, strlen(room));
	struct client_convo *cv;
	size_t i;

	if (r == NULL)
		return;
	cv = client_convos_get(s->convos, room);
	for (i = cv->n; i > 0; i--) {
		if (strcmp(cv->e[i - 1].id, id) == 0 && cv->e[i - 1].seq > 0) {
			room_seen(s, r, cv->e[i - 1].seq);
			room_due(s, r);
			room_changed(s, r);
			return;
		}
	}
}

/* RPOS unasked: our positions as another device of ours moved them. */
static void
on_rpos(struct client_session *s, const struct proto_frame *fr)
{
	struct client_room *r = room_get(s, fr->arg[0]);
	uint64_t read = proto_slice_u64(fr->arg[2]);

	if (read <= r->read && r->unread == 0)
		return;
	room_seen(s, r, read);
	room_changed(s, r);
}

/* RMEMBER lines, then RMEMBERS|room|count. */
static void
on_member(struct client_session *s, const struct proto_frame *fr)
{
	char room[PROTO_MAX_ROOM + 1], name[PROTO_MAX_NAME + 1];

	if (s->ev->on_room_member == NULL)
		return;
	snprintf(room, sizeof room, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	if (fr->verb == PROTO_V_RMEMBERS) {
		s->ev->on_room_member(s->arg, room, NULL, CLIENT_ROOM_NONE,
		    false, fr->nargs > 1 ? proto_slice_u64(fr->arg[1]) : 0, 0);
		return;
	}
	snprintf(name, sizeof name, "%.*s", (int)fr->arg[1].len, fr->arg[1].p);
	s->ev->on_room_member(s->arg, room, name, role_of(fr->arg[2]),
	    proto_slice_eq(fr->arg[3], "online"), proto_slice_u64(fr->arg[4]),
	    proto_slice_u64(fr->arg[5]));
}

/* RWHO and RSTATE: receipts of a message. */
static void
on_receipts(struct client_session *s, const struct proto_frame *fr)
{
	char room[PROTO_MAX_ROOM + 1], name[PROTO_MAX_NAME + 1], st[16];

	snprintf(room, sizeof room, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	if (fr->verb == PROTO_V_RSTATE) {
		if (s->ev->on_room_state != NULL)
			s->ev->on_room_state(s->arg, room,
			    proto_slice_u64(fr->arg[1]),
			    proto_slice_u64(fr->arg[2]),
			    proto_slice_u64(fr->arg[3]),
			    proto_slice_u64(fr->arg[4]));
		return;
	}
	if (s->ev->on_room_who == NULL)
		return;
	snprintf(name, sizeof name, "%.*s", (int)fr->arg[2].len, fr->arg[2].p);
	snprintf(st, sizeof st, "%.*s", (int)fr->arg[3].len, fr->arg[3].p);
	s->ev->on_room_who(s->arg, room, proto_slice_u64(fr->arg[1]), name, st);
}

/* A room frame from the relay; false if fr is none. */
bool
client_rooms_frame(struct client_session *s, const struct proto_frame *fr)
{
	switch (fr->verb) {
	case PROTO_V_RINFO:
		on_rinfo(s, fr);
		return true;
	case PROTO_V_REVENT:
		on_revent(s, fr);
		return true;
	case PROTO_V_RPOS:
		on_rpos(s, fr);
		return true;
	case PROTO_V_RMEMBER:
	case PROTO_V_RMEMBERS:
		on_member(s, fr);
		return true;
	case PROTO_V_RWHO:
	case PROTO_V_RSTATE:
		on_receipts(s, fr);
		return true;
	case PROTO_V_RLIST:
		if (fr->nargs == 1 && s->ev->on_room_list != NULL)
			s->ev->on_room_list(
			    s->arg, proto_slice_u64(fr->arg[0]));
		return true;
	default:
		return false;
	}
}

/* After a batch is stored: one RPOS per room whose positions moved. */
void
client_rooms_flush(struct client_session *s)
{
	struct proto_writer w;
	struct client_room *r;
	size_t i, n;

	if (!client_session_is_up(s))
		return;
	for (i = 0; i < s->nrooms; i++) {
		if (!s->room_due[i])
			continue;
		s->room_due[i] = false;
		r = &s->rooms[i];
		if (r->role < CLIENT_ROOM_MEMBER || r->delivered == 0)
			continue;
		proto_writer_init(&w, s->buf, sizeof s->buf);
		proto_writer_begin(&w, PROTO_V_RPOS);
		proto_writer_str(&w, r->name);
		proto_writer_u64(&w, r->delivered);
		proto_writer_u64(
		    &w, r->read < r->delivered ? r->read : r->delivered);
		if (proto_writer_end(&w, &n) == 0)
			net_conn_write(s->conn, s->buf, n);
	}
}

/* Forget the rooms (the session ends). */
void
client_rooms_free(struct client_session *s)
{
	free(s->rooms);
	free(s->room_due);
	s->rooms = NULL;
	s->room_due = NULL;
	s->nrooms = s->caprooms = 0;
}

/* A name argument, checked. */
static int
name_ok(const char *op, const char *name, char *err, size_t errlen)
{
	if (name == NULL || !proto_is_name(name, strlen(name))) {
		snprintf(err, errlen, "%s: '%s' is not a valid name", op,
		    name != NULL ? name : "");
		return -1;
	}
	return 0;
}

/* A text argument (topic, reason), checked. */
static int
text_ok(const char *op, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);

	if (len > PROTO_MAX_TEXT) {
		snprintf(err, errlen, "%s: %zu bytes; at most %d", op, len,
		    PROTO_MAX_TEXT);
		return -1;
	}
	if (!proto_utf8_is_valid(text, len)) {
		snprintf(err, errlen, "%s: not valid UTF-8", op);
		return -1;
	}
	return 0;
}

/* The frame of a request into w, or -1 with the reason. */
static int
room_build(struct proto_writer *w, const char *op, const char *room,
    const char *arg, char *err, size_t errlen)
{
	char name[PROTO_MAX_NAME + 2];
	const char *sp;
	uint64_t seq;

	if (strcmp(op, "list") == 0) {
		proto_writer_begin(w, PROTO_V_RLIST);
		return 0;
	}
	if (room == NULL || !proto_is_room(room, strlen(room))) {
		snprintf(err, errlen,
		    "'%s' is not a valid room: # and 1-32 of A-Z a-z 0-9 _ . -",
		    room != NULL ? room : "");
		return -1;
	}
	if (strcmp(op, "create") == 0) {
		if (arg == NULL)
			arg = "open";
		if (strcmp(arg, "open") != 0 && strcmp(arg, "invite") != 0) {
			snprintf(err, errlen,
			    "create: a room is open or invite (-only), not "
			    "'%s'",
			    arg);
			return -1;
		}
		proto_writer_begin(w, PROTO_V_RCREATE);
		proto_writer_str(w, room);
		proto_writer_str(w, arg);
		return 0;
	}
	if (strcmp(op, "join") == 0 || strcmp(op, "leave") == 0 ||
	    strcmp(op, "members") == 0) {
		proto_writer_begin(w,
		    op[0] == 'j'       ? PROTO_V_RJOIN
		        : op[0] == 'l' ? PROTO_V_RLEAVE
		                       : PROTO_V_RMEMBERS);
		proto_writer_str(w, room);
		return 0;
	}
	if (strcmp(op, "topic") == 0) {
		if (arg == NULL)
			arg = "";
		if (text_ok(op, arg, err, errlen) != 0)
			return -1;
		proto_writer_begin(w, PROTO_V_RTOPIC);
		proto_writer_str(w, room);
		proto_writer_b64(w, arg, strlen(arg));
		return 0;
	}
	if (strcmp(op, "receipts") == 0) {
		if (arg == NULL ||
		    proto_parse_u64(arg, strlen(arg), &seq) != 0 || seq == 0) {
			snprintf(err, errlen,
			    "receipts: '%s' is not a message number",
			    arg != NULL ? arg : "");
			return -1;
		}
		proto_writer_begin(w, PROTO_V_RRCPT);
		proto_writer_str(w, room);
		proto_writer_u64(w, seq);
		return 0;
	}
	if (strcmp(op, "kick") == 0) {
		/* "name" or "name reason" */
		sp = arg != NULL ? strchr(arg, ' ') : NULL;
		snprintf(name, sizeof name, "%.*s",
		    sp != NULL ? (int)(sp - arg) : (int)sizeof name,
		    arg != NULL ? arg : "");
		if (name_ok(op, name, err, errlen) != 0 ||
		    text_ok(op, sp != NULL ? sp + 1 : "", err, errlen) != 0)
			return -1;
		proto_writer_begin(w, PROTO_V_RKICK);
		proto_writer_str(w, room);
		proto_writer_str(w, name);
		proto_writer_b64(w, sp != NULL ? sp + 1 : "",
		    sp != NULL ? strlen(sp + 1) : 0);
		return 0;
	}
	if (strcmp(op, "invite") == 0 || strcmp(op, "ban") == 0 ||
	    strcmp(op, "unban") == 0 || strcmp(op, "admin") == 0 ||
	    strcmp(op, "unadmin") == 0) {
		if (name_ok(op, arg, err, errlen) != 0)
			return -1;
		if (op[0] == 'i')
			proto_writer_begin(w, PROTO_V_RINVITE);
		else
			proto_writer_begin(w,
			    strstr(op, "ban") != NULL ? PROTO_V_RBAN
			                              : PROTO_V_RADMIN);
		proto_writer_str(w, room);
		proto_writer_str(w, arg);
		if (op[0] != 'i')
			proto_writer_str(
			    w, strncmp(op, "un", 2) == 0 ? "off" : "on");
		return 0;
	}
	snprintf(err, errlen, "'%s' is not a room command", op);
	return -1;
}

/* A room request of the user (session.h). */
int
client_session_room(struct client_session *s, const char *op, const char *room,
    const char *arg, char *err, size_t errlen)
{
	struct client_room *r;
	struct proto_writer w;
	size_t n;

	proto_writer_init(&w, s->buf, sizeof s->buf);
	if (room_build(&w, op, room, arg, err, errlen) != 0)
		return -1;
	if (proto_writer_end(&w, &n) != 0) {
		snprintf(
		    err, errlen, "%s: the request does not fit a frame", op);
		return -1;
	}
	if (!client_session_is_up(s)) {
		snprintf(err, errlen, "%s: not connected to the relay", op);
		return -1;
	}
	if (net_conn_write(s->conn, s->buf, n) != 0) {
		snprintf(err, errlen, "%s: the connection failed", op);
		return -1;
	}
	/* Leaving: no more positions for the room, even for what arrives
	 * before the relay's RINFO says we are out (it would refuse them). */
	if (strcmp(op, "leave") == 0 &&
	    (r = room_find(s, room, strlen(room))) != NULL)
		r->role = CLIENT_ROOM_NONE;
	return 0;
}

/* Whether c may stand in a name (a word's letters). */
static bool
word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c >= 0x80;
}

/*
 * Whether w (wl bytes) stands in body at i as a whole word: nothing of a
 * word just before it, nor after (a '.' ends a sentence unless a word
 * goes on after it).
 */
static bool
word_at(const char *body, size_t len, size_t i, const char *w, size_t wl)
{
	size_t e = i + wl;

	if (e > len || strncasecmp(body + i, w, wl) != 0)
		return false;
	if (i > 0 &&
	    (word_char((unsigned char)body[i - 1]) ||
	        (w[0] != '@' && body[i - 1] == '@')))
		return false;
	if (e < len && word_char((unsigned char)body[e]))
		return false;
	if (e + 1 < len && body[e] == '.' &&
	    word_char((unsigned char)body[e + 1]))
		return false;
	return true;
}

/* Whether body mentions me (session.h). */
bool
client_mentions(
    const char *body, size_t len, const char *me, const char *const *words)
{
	char at[PROTO_MAX_NAME + 2];
	size_t i, k, al;

	al = (size_t)snprintf(at, sizeof at, "@%s", me != NULL ? me : "");
	for (i = 0; i < len; i++) {
		if (al > 1 && body[i] == '@' && word_at(body, len, i, at, al))
			return true;
		for (k = 0; words != NULL && words[k] != NULL; k++) {
			if (words[k][0] != '\0' &&
			    word_at(body, len, i, words[k], strlen(words[k])))
				return true;
		}
	}
	return false;
}
