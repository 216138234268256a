/* SPDX-License-Identifier: MIT */
/*
 * Rooms in the client (docs/protocol.md "Rooms"), without a relay: frames
 * fed to the session as the relay would send them, what it writes back
 * read from the other end of a socket pair, and what the store keeps.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/device.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "net/loop.h"
#include "proto/build.h"
#include "proto/frame.h"

/* What the session told its front end. */
struct rec {
	int msgs;
	bool outgoing, fresh;
	char peer[34], id[65];
	uint64_t seq;
	int synced;
	int devcounts;
	uint64_t devcount;
	int changed;
	int rooms, events, members, whos, states, errors;
	struct client_room room; /* the last on_room */
	char ev_kind[16], ev_target[33], ev_text[64];
	uint64_t ev_seq;
	char member[33];
	uint64_t count; /* the last end of members */
	uint64_t st[4]; /* the last RSTATE: seq members delivered read */
	char err_ref[65];
	int typing;
	char typing_room[34];
};

static void
ev_message(void *arg, const struct client_msg *m, bool fresh)
{
	struct rec *r = arg;

	r->msgs++;
	r->outgoing = m->outgoing;
	r->fresh = fresh;
	snprintf(r->peer, sizeof r->peer, "%s", m->peer);
	snprintf(r->id, sizeof r->id, "%s", m->id);
	r->seq = m->seq;
}

static void
ev_room(void *arg, const struct client_room *rm)
{
	struct rec *r = arg;

	r->rooms++;
	r->room = *rm;
}

static void
ev_room_changed(void *arg, const struct client_room *rm)
{
	(void)rm;
	((struct rec *)arg)->changed++;
}

static void
ev_room_event(void *arg, const char *room, uint64_t seq, uint64_t ts,
    const char *actor, const char *kind, const char *target, const char *text)
{
	struct rec *r = arg;

	(void)room;
	(void)ts;
	(void)actor;
	r->events++;
	r->ev_seq = seq;
	snprintf(r->ev_kind, sizeof r->ev_kind, "%s", kind);
	snprintf(r->ev_target, sizeof r->ev_target, "%s", target);
	snprintf(r->ev_text, sizeof r->ev_text, "%s", text);
}

static void
ev_room_member(void *arg, const char *room, const char *name,
    enum client_room_role role, bool online, uint64_t delivered, uint64_t read)
{
	struct rec *r = arg;

	(void)room;
	(void)role;
	(void)online;
	(void)read;
	if (name == NULL) {
		r->count = delivered;
		return;
	}
	r->members++;
	snprintf(r->member, sizeof r->member, "%s", name);
}

static void
ev_room_who(void *arg, const char *room, uint64_t seq, const char *name,
    const char *state)
{
	(void)room;
	(void)seq;
	(void)name;
	(void)state;
	((struct rec *)arg)->whos++;
}

static void
ev_room_state(void *arg, const char *room, uint64_t seq, uint64_t members,
    uint64_t delivered, uint64_t read)
{
	struct rec *r = arg;

	(void)room;
	r->states++;
	r->st[0] = seq;
	r->st[1] = members;
	r->st[2] = delivered;
	r->st[3] = read;
}

static void
ev_room_typing(void *arg, const char *room, const char *from, bool on)
{
	struct rec *r = arg;

	(void)from;
	r->typing += on ? 1 : -1;
	snprintf(r->typing_room, sizeof r->typing_room, "%s", room);
}

static void
ev_error(void *arg, const char *code, const char *ref, const char *text)
{
	struct rec *r = arg;

	(void)code;
	(void)text;
	r->errors++;
	snprintf(r->err_ref, sizeof r->err_ref, "%s", ref);
}

static void
ev_synced(void *arg)
{
	((struct rec *)arg)->synced++;
}

static void
ev_devcount(void *arg, uint64_t n)
{
	struct rec *r = arg;

	r->devcounts++;
	r->devcount = n;
}

static const struct client_events events = {
    .on_message = ev_message,
    .on_synced = ev_synced,
    .on_devcount = ev_devcount,
    .on_room = ev_room,
    .on_room_changed = ev_room_changed,
    .on_room_event = ev_room_event,
    .on_room_member = ev_room_member,
    .on_room_who = ev_room_who,
    .on_room_state = ev_room_state,
    .on_error = ev_error,
    .on_room_typing = ev_room_typing,
};

#include "session_fx.h"

/* MSG|from|#room|ts|id|body|seq from the relay. */
static void
room_msg(struct fx *f, const char *from, const char *room, const char *id,
    const char *body, uint64_t seq)
{
	char buf[1024];
	size_t n;

	assert_int_equal(proto_build_msg(buf, sizeof buf, &n, from, room, 1000,
	                     id, body, strlen(body)),
	    0);
	snprintf(
	    buf + n - 1, sizeof buf - n + 1, "|%llu", (unsigned long long)seq);
	relay_says(f, buf);
}

/* alice is a member of #team, whose log is at last. */
static void
member_of_team(struct fx *f, unsigned last)
{
	char line[128];

	snprintf(line, sizeof line, "RINFO|#team|open|3|member|%u|", last);
	relay_says(f, line);
}

/* The room messages of #team as stored: count, and the seq of each. */
struct hist {
	int n;
	uint64_t seq[16];
	int state[16];
	bool out[16];
};

static void
hist_one(void *arg, const struct client_msg *m)
{
	struct hist *h = arg;

	if (h->n < 16) {
		h->seq[h->n] = m->seq;
		h->state[h->n] = (int)m->state;
		h->out[h->n] = m->outgoing;
	}
	h->n++;
}

static struct hist
history(struct fx *f, const char *peer)
{
	struct hist h = {0};

	assert_true(client_store_history(client_session_store(f->s), peer,
	                INT64_MAX, 100, hist_one, &h) >= 0);
	return h;
}

static const struct client_room *
room_of(struct fx *f, const char *name)
{
	const struct client_room *r = client_session_room_find(f->s, name);

	assert_non_null(r);
	return r;
}

/* Three messages in one turn: stored with their seq, in the room's
 * conversation, unread; ONE RPOS for the batch, not one per message. */
static void
rooms__msg__stored_with_seq_and_one_rpos_per_batch(void **state)
{
	struct fx *f = fx_online();
	struct client_convo *cv;
	struct hist h;
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	assert_int_equal(f->rec.rooms, 1);
	room_msg(f, "bob", "#team", "m1", "one", 1);
	room_msg(f, "carol", "#team", "m2", "two", 2);
	room_msg(f, "bob", "#team", "m3", "three", 3);
	assert_int_equal(f->rec.msgs, 3);
	assert_true(f->rec.fresh);
	assert_string_equal(f->rec.peer, "#team");
	assert_int_equal(f->rec.seq, 3);
	/* No RCPT per message: one position for the room. */
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|3|0\n");
	assert_int_equal(unread_in_store(f, "#team"), 3);
	assert_int_equal(room_of(f, "#TEAM")->unread, 3);
	h = history(f, "#team");
	assert_int_equal(h.n, 3);
	assert_int_equal(h.seq[0], 3); /* newest first */
	assert_int_equal(h.seq[2], 1);
	cv = client_convos_get(client_session_convos(f->s), "#team");
	assert_int_equal(cv->n, 3);
	assert_string_equal(cv->e[1].sender, "carol");
	assert_int_equal(cv->e[1].seq, 2);
	/* Nothing new: nothing more to say. */
	assert_string_equal(relay_hears(f, out, sizeof out), "");
	fx_free(f);
}

/* A message to us beside the rooms is still a conversation with its
 * sender, confirmed by RCPT. */
static void
rooms__dm__beside_rooms(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	relay_msg(f, "bob", "alice", "d1", "hey");
	assert_string_equal(f->rec.peer, "bob");
	assert_int_equal(f->rec.seq, 0);
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RCPT|alice|bob|d1|delivered\n");
	fx_free(f);
}

/* The same (sender, id) again: not stored twice, not shown as new. */
static void
rooms__msg__duplicate_not_stored_twice(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	room_msg(f, "bob", "#team", "m1", "one", 1);
	(void)relay_hears(f, out, sizeof out);
	room_msg(f, "bob", "#team", "m1", "one", 1);
	assert_false(f->rec.fresh);
	assert_int_equal(history(f, "#team").n, 1);
	assert_int_equal(room_of(f, "#team")->unread, 1);
	fx_free(f);
}

/* Ours to a room: by the relay, STORED at the ACK, and its echo gives
 * the row its seq without a second row. */
static void
rooms__own__acked_then_numbered_by_its_echo(void **state)
{
	struct fx *f = fx_online();
	struct client_convo *cv;
	char id[PROTO_MAX_ID + 1], err[256], out[1024], line[128];
	struct hist h;

	(void)state;
	member_of_team(f, 4);
	assert_int_equal(client_session_queue_msg(f->s, "#team", "hello all", 9,
	                     id, err, sizeof err),
	    0);
	relay_hears(f, out, sizeof out);
	assert_non_null(strstr(out, "MSG|alice|#team|"));
	snprintf(line, sizeof line, "ACK|%s|stored", id);
	relay_says(f, line);
	h = history(f, "#team");
	assert_int_equal(h.n, 1);
	assert_int_equal(h.state[0], CLIENT_MSG_STORED);
	assert_int_equal(h.seq[0], 0);
	assert_int_equal(client_session_outbox_len(f->s), 0);
	f->rec.msgs = 0;
	room_msg(f, "alice", "#team", id, "hello all", 5);
	assert_false(f->rec.fresh);
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|5|0\n");
	h = history(f, "#team");
	assert_int_equal(h.n, 1);
	assert_int_equal(h.seq[0], 5);
	assert_true(h.out[0]);
	cv = client_convos_get(client_session_convos(f->s), "#team");
	assert_int_equal(cv->n, 1);
	assert_int_equal(cv->e[0].seq, 5);
	assert_int_equal(room_of(f, "#team")->unread, 0);
	fx_free(f);
}

/* Another device of ours wrote to the room: kept as ours, not unread. */
static void
rooms__own__from_another_device_kept_as_ours(void **state)
{
	struct fx *f = fx_online();
	struct hist h;

	(void)state;
	member_of_team(f, 0);
	room_msg(f, "alice", "#team", "x1", "from the phone", 1);
	assert_true(f->rec.fresh);
	assert_true(f->rec.outgoing);
	h = history(f, "#team");
	assert_int_equal(h.n, 1);
	assert_true(h.out[0]);
	assert_int_equal(unread_in_store(f, "#team"), 0);
	fx_free(f);
}

/* Reading the room sends the read position; an RPOS from the relay (our
 * other device read) marks the messages up to it seen here. */
static void
rooms__read__rpos_sent_and_taken(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	room_msg(f, "bob", "#team", "m1", "one", 1);
	room_msg(f, "bob", "#team", "m2", "two", 2);
	room_msg(f, "bob", "#team", "m3", "three", 3);
	(void)relay_hears(f, out, sizeof out);
	/* The other device read up to 2. */
	f->rec.rooms = 0;
	f->rec.changed = 0;
	relay_says(f, "RPOS|#team|3|2");
	assert_int_equal(unread_in_store(f, "#team"), 1);
	assert_int_equal(room_of(f, "#team")->unread, 1);
	assert_int_equal(room_of(f, "#team")->read, 2);
	assert_int_equal(f->rec.rooms, 0); /* on_room: RINFO only */
	assert_true(f->rec.changed > 0);
	/* Not told back to the relay as a move of ours... */
	(void)relay_hears(f, out, sizeof out);
	assert_null(strstr(out, "RPOS|#team|3|3"));
	/* ...but the user reading here is. */
	client_session_mark_read(f->s, "#team");
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|3|3\n");
	assert_int_equal(unread_in_store(f, "#team"), 0);
	/* Read on another device before it came here: not unread. */
	relay_says(f, "RPOS|#team|3|4");
	room_msg(f, "bob", "#team", "m4", "four", 4);
	assert_int_equal(unread_in_store(f, "#team"), 0);
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|4|4\n");
	assert_int_equal(room_of(f, "#team")->unread, 0);
	fx_free(f);
}

/* The room shown: what arrives is read at once. */
static void
rooms__read__active_room_reads_at_once(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	client_session_set_active(f->s, "#team");
	room_msg(f, "bob", "#team", "m1", "one", 1);
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|1|1\n");
	assert_int_equal(unread_in_store(f, "#team"), 0);
	fx_free(f);
}

/* RINFO: the room as the relay tells it. */
static void
rooms__rinfo__kept_and_told(void **state)
{
	struct fx *f = fx_online();
	const struct client_room *r;
	size_t n;

	(void)state;
	relay_says(f, "RINFO|#Team|invite|2|admin|7|dGhlIHRvcGlj");
	relay_says(f, "RINFO|#other|open|1|invited|0|");
	assert_int_equal(f->rec.rooms, 2);
	r = client_session_rooms(f->s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].name, "#Team");
	assert_true(r[0].invite_only);
	assert_int_equal(r[0].members, 2);
	assert_int_equal(r[0].role, CLIENT_ROOM_ADMIN);
	assert_int_equal(r[0].last, 7);
	assert_string_equal(r[0].topic, "the topic");
	assert_int_equal(r[1].role, CLIENT_ROOM_INVITED);
	/* Kicked: the same room, role none. */
	relay_says(f, "RINFO|#team|invite|1|none|7|");
	r = client_session_rooms(f->s, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].role, CLIENT_ROOM_NONE);
	assert_string_equal(client_room_role_name(r[0].role), "none");
	fx_free(f);
}

/* A kicked member sends no more positions for the room. */
static void
rooms__rinfo__none_sends_no_position(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	room_msg(f, "bob", "#team", "m1", "one", 1);
	relay_says(f, "RINFO|#team|open|2|none|1|");
	assert_string_equal(relay_hears(f, out, sizeof out), "");
	fx_free(f);
}

/*
 * Leaving: what still arrives before the relay's RINFO says we are out
 * is stored, but no position goes for it (the relay would refuse it
 * with FORBIDDEN, a false error after a leave that worked).
 */
static void
rooms__leave__no_position_after_it(void **state)
{
	struct fx *f = fx_online();
	char err[256], out[1024];

	(void)state;
	member_of_team(f, 0);
	assert_int_equal(
	    client_session_room(f->s, "leave", "#team", NULL, err, sizeof err),
	    0);
	assert_string_equal(relay_hears(f, out, sizeof out), "RLEAVE|#team\n");
	room_msg(f, "bob", "#team", "m1", "one", 1);
	assert_string_equal(relay_hears(f, out, sizeof out), "");
	fx_free(f);
}

/* REVENT: told once, kept in the room's history as a note, its seq
 * confirmed like a message's; what it changes is known. */
static void
rooms__event__told_once_and_kept(void **state)
{
	struct fx *f = fx_online();
	struct client_convo *cv;
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	relay_says(f, "REVENT|#team|1|2000|bob|kick|carol|c3BhbQ==");
	assert_int_equal(f->rec.events, 1);
	assert_string_equal(f->rec.ev_kind, "kick");
	assert_string_equal(f->rec.ev_target, "carol");
	assert_string_equal(f->rec.ev_text, "spam");
	assert_int_equal(room_of(f, "#team")->members, 2);
	relay_says(f, "REVENT|#team|1|2000|bob|kick|carol|c3BhbQ==");
	assert_int_equal(f->rec.events, 1);
	relay_says(f, "REVENT|#team|2|2001|bob|topic|-|bmV3");
	assert_int_equal(f->rec.events, 2);
	assert_string_equal(room_of(f, "#team")->topic, "new");
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|2|0\n");
	cv = client_convos_get(client_session_convos(f->s), "#team");
	assert_int_equal(cv->n, 2);
	assert_string_equal(cv->e[0].sender, "*");
	assert_non_null(strstr(cv->e[0].body, "kicked carol"));
	/* Events are not unread messages. */
	assert_int_equal(unread_in_store(f, "#team"), 0);
	fx_free(f);
}

/* Entries older than the RINFO (the backlog at login) are history: the
 * RINFO's counts stand; newer ones change them. */
static void
rooms__event__backlog_does_not_count_twice(void **state)
{
	struct fx *f = fx_online();

	(void)state;
	relay_says(f, "RINFO|#team|open|3|owner|3|cGxhbnM=");
	relay_says(f, "REVENT|#team|2|2000|bob|join|-|");
	relay_says(f, "REVENT|#team|3|2001|carol|topic|-|b2xk");
	assert_int_equal(f->rec.events, 2); /* shown in history */
	assert_int_equal(room_of(f, "#team")->members, 3);
	assert_string_equal(room_of(f, "#team")->topic, "plans");
	relay_says(f, "REVENT|#team|4|2002|dave|join|-|");
	assert_int_equal(room_of(f, "#team")->members, 4);
	fx_free(f);
}

/* Read up to a message: the read position is its seq. */
static void
rooms__read__upto_an_entry(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	member_of_team(f, 0);
	room_msg(f, "bob", "#team", "m1", "one", 1);
	room_msg(f, "bob", "#team", "m2", "two", 2);
	room_msg(f, "bob", "#team", "m3", "three", 3);
	(void)relay_hears(f, out, sizeof out);
	client_session_mark_read_upto(f->s, "#team", "m2");
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RPOS|#team|3|2\n");
	assert_int_equal(unread_in_store(f, "#team"), 1);
	assert_int_equal(room_of(f, "#team")->unread, 1);
	fx_free(f);
}

/* Members, receipts and refusals reach the front end. */
static void
rooms__answers__members_receipts_errors(void **state)
{
	struct fx *f = fx_online();

	(void)state;
	relay_says(f, "RMEMBER|#team|alice|owner|online|3|3");
	relay_says(f, "RMEMBER|#team|bob|member|offline|2|1");
	relay_says(f, "RMEMBERS|#team|2");
	assert_int_equal(f->rec.members, 2);
	assert_string_equal(f->rec.member, "bob");
	assert_int_equal(f->rec.count, 2);
	relay_says(f, "RWHO|#team|3|bob|delivered");
	relay_says(f, "RSTATE|#team|3|2|1|0");
	assert_int_equal(f->rec.whos, 1);
	assert_int_equal(f->rec.states, 1);
	assert_int_equal(f->rec.st[0], 3);
	assert_int_equal(f->rec.st[1], 2);
	assert_int_equal(f->rec.st[2], 1);
	assert_int_equal(f->rec.st[3], 0);
	relay_says(f, "TYPING|bob|#team|on");
	relay_says(f, "TYPING|alice|#team|on");
	assert_int_equal(f->rec.typing, 1);
	assert_string_equal(f->rec.typing_room, "#team");
	relay_says(f, "ERR|FORBIDDEN|#secret|I3NlY3JldCBpcyBpbnZpdGUtb25seQ==");
	assert_int_equal(f->rec.errors, 1);
	assert_string_equal(f->rec.err_ref, "#secret");
	fx_free(f);
}

/* A room refuses a message of ours: it fails, it is not sent again. */
static void
rooms__own__refused_fails(void **state)
{
	struct fx *f = fx_online();
	char id[PROTO_MAX_ID + 1], err[256], out[1024], line[160];

	(void)state;
	assert_int_equal(client_session_queue_msg(
	                     f->s, "#team", "hi", 2, id, err, sizeof err),
	    0);
	(void)relay_hears(f, out, sizeof out);
	snprintf(line, sizeof line,
	    "ERR|FORBIDDEN|%s|eW91IGFyZSBub3QgYSBtZW1iZXI=", id);
	relay_says(f, line);
	assert_int_equal(history(f, "#team").state[0], CLIENT_MSG_FAILED);
	assert_int_equal(client_session_outbox_len(f->s), 0);
	fx_free(f);
}

/* Requests: the frame as the protocol writes it, or a clear refusal. */
static void
rooms__request__frames_and_refusals(void **state)
{
	struct fx *f = fx_online();
	char err[256], out[1024];

	(void)state;
	assert_int_equal(client_session_room(
	                     f->s, "create", "#x", "invite", err, sizeof err),
	    0);
	assert_int_equal(
	    client_session_room(f->s, "join", "#x", NULL, err, sizeof err), 0);
	assert_int_equal(client_session_room(
	                     f->s, "kick", "#x", "bob spam", err, sizeof err),
	    0);
	assert_int_equal(
	    client_session_room(f->s, "ban", "#x", "bob", err, sizeof err), 0);
	assert_int_equal(
	    client_session_room(f->s, "unadmin", "#x", "bob", err, sizeof err),
	    0);
	assert_int_equal(
	    client_session_room(f->s, "topic", "#x", "hi", err, sizeof err), 0);
	assert_int_equal(
	    client_session_room(f->s, "list", NULL, NULL, err, sizeof err), 0);
	assert_int_equal(
	    client_session_room(f->s, "receipts", "#x", "12", err, sizeof err),
	    0);
	assert_string_equal(relay_hears(f, out, sizeof out),
	    "RCREATE|#x|invite\nRJOIN|#x\nRKICK|#x|bob|c3BhbQ==\n"
	    "RBAN|#x|bob|on\nRADMIN|#x|bob|off\nRTOPIC|#x|aGk=\nRLIST\n"
	    "RRCPT|#x|12\n");
	assert_int_equal(
	    client_session_room(f->s, "join", "team", NULL, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "not a valid room"));
	assert_int_equal(
	    client_session_room(f->s, "join",
	        "#123456789012345678901234567890123", NULL, err, sizeof err),
	    -1);
	assert_int_equal(
	    client_session_room(f->s, "invite", "#x", "b b", err, sizeof err),
	    -1);
	assert_int_equal(
	    client_session_room(f->s, "receipts", "#x", "x", err, sizeof err),
	    -1);
	assert_int_equal(client_session_room(
	                     f->s, "create", "#x", "closed", err, sizeof err),
	    -1);
	assert_int_equal(
	    client_session_room(f->s, "fly", "#x", NULL, err, sizeof err), -1);
	assert_string_equal(relay_hears(f, out, sizeof out), "");
	fx_free(f);
}

/* Offline: refused with the reason, nothing queued. */
static void
rooms__request__offline_refused(void **state)
{
	struct fx *f = fx_new(false);
	char err[256], id[PROTO_MAX_ID + 1];

	(void)state;
	assert_int_equal(
	    client_session_room(f->s, "join", "#x", NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "not connected"));
	/* A message to a bad room name is refused at once. */
	assert_int_equal(client_session_queue_msg(
	                     f->s, "#a b", "hi", 2, id, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "not a valid room"));
	fx_free(f);
}

/* Mentions: @me as a word, any case; highlight words as words. */
static void
rooms__mentions(void **state)
{
	static const char *const words[] = {"deploy", "Urgent", NULL};
	struct {
		const char *body;
		bool yes;
	} cases[] = {
	    {"hi @alice", true},
	    {"@ALICE: look", true},
	    {"(@alice)", true},
	    {"thanks @alice.", true},
	    {"hi @alicex", false},
	    {"hi @alice.smith", false},
	    {"mail alice@alice", false},
	    {"hi alice", false},
	    {"we deploy now", true},
	    {"URGENT!", true},
	    {"redeploying", false},
	    {"", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (client_mentions(cases[i].body, strlen(cases[i].body),
		        "alice", words) != cases[i].yes)
			fail_msg("'%s'", cases[i].body);
	}
	assert_false(client_mentions("hi @alice", 9, "alice", NULL) == false);
	assert_false(client_mentions("we deploy", 9, "alice", NULL));
	assert_false(client_mentions("hi @", 4, "", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        rooms__msg__stored_with_seq_and_one_rpos_per_batch),
	    cmocka_unit_test(rooms__msg__duplicate_not_stored_twice),
	    cmocka_unit_test(rooms__dm__beside_rooms),
	    cmocka_unit_test(rooms__own__acked_then_numbered_by_its_echo),
	    cmocka_unit_test(rooms__own__from_another_device_kept_as_ours),
	    cmocka_unit_test(rooms__own__refused_fails),
	    cmocka_unit_test(rooms__read__rpos_sent_and_taken),
	    cmocka_unit_test(rooms__read__active_room_reads_at_once),
	    cmocka_unit_test(rooms__rinfo__kept_and_told),
	    cmocka_unit_test(rooms__rinfo__none_sends_no_position),
	    cmocka_unit_test(rooms__leave__no_position_after_it),
	    cmocka_unit_test(rooms__event__told_once_and_kept),
	    cmocka_unit_test(rooms__answers__members_receipts_errors),
	    cmocka_unit_test(rooms__event__backlog_does_not_count_twice),
	    cmocka_unit_test(rooms__read__upto_an_entry),
	    cmocka_unit_test(rooms__request__frames_and_refusals),
	    cmocka_unit_test(rooms__request__offline_refused),
	    cmocka_unit_test(rooms__mentions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
