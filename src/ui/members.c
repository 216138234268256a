/* SPDX-License-Identifier: MIT */
/*
 * Rooms on the screen: the core's room events (RINFO, REVENT, RMEMBER,
 * RSTATE, RWHO, RLIST), the room commands, the member list beside the
 * conversation (F7, /members), muting and receipts. The text and rules
 * without curses are ui/room.c's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/tui_int.h"
#include "util/xmalloc.h"

#define MEM_COLS 20 /* the member list's width, its border included */

/* Whether name is a room's ("#team"). */
bool
ui_members_is_room(const char *name)
{
	return name[0] == '#' && client_is_room(name, strlen(name));
}

/* Lower-case key of a room, for the maps; its length. */
static size_t
room_key(const char *room, char *key)
{
	size_t i;

	for (i = 0; room[i] != '\0' && i < 33; i++)
		key[i] = (char)(room[i] >= 'A' && room[i] <= 'Z'
		        ? room[i] - 'A' + 'a'
		        : room[i]);
	key[i] = '\0';
	return i;
}

/* The config's highlight words, the muted rooms. */
void
ui_members_start(struct tui *t)
{
	size_t i, n;

	n = ui_room_words(t->cfg.highlight, t->words, UI_ROOM_WORDS);
	for (i = 0; i < n; i++)
		t->wordp[i] = t->words[i];
	t->wordp[n] = NULL;
	t->muted = util_map_new();
	t->roles = util_map_new();
}

/* Everything rooms hold on the screen's side. */
void
ui_members_free(struct tui *t)
{
	if (t->muted != NULL)
		util_map_free(t->muted);
	if (t->roles != NULL)
		util_map_free(t->roles);
	t->muted = t->roles = NULL;
	free(t->mem);
	free(t->rstate);
	free(t->mentions);
	t->mem = NULL;
	t->rstate = NULL;
	t->mentions = NULL;
	t->nmem = t->nrstate = 0;
}

/* Whether the user muted room (/mute): no bell but for mentions. */
bool
ui_members_muted(struct tui *t, const char *room)
{
	char key[34];
	size_t n = room_key(room, key);

	return t->muted != NULL && util_map_get(t->muted, key, n) != NULL;
}

/* Whether m, a room's message from someone else, mentions the user. */
bool
ui_members_mentions(struct tui *t, const struct client_msg *m)
{
	return !m->outgoing && m->peer != NULL && ui_members_is_room(m->peer) &&
	    strcmp(m->sender, "*") != 0 && m->body != NULL &&
	    client_mentions(m->body, m->len, client_session_me(t->s), t->wordp);
}

/* The last RSTATE of room, or NULL. */
const struct ui_rstate *
ui_members_rstate(struct tui *t, const char *room)
{
	size_t i;

	for (i = 0; i < t->nrstate; i++) {
		if (strcasecmp(t->rstate[i].room, room) == 0)
			return &t->rstate[i];
	}
	return NULL;
}

/* Whether the member list is beside the conversation now. */
bool
ui_members_shown(struct tui *t)
{
	return t->members && ui_members_is_room(t->sel);
}

/* Ask the relay for the members of the room open, when shown. */
void
ui_members_fetch(struct tui *t)
{
	const struct client_room *r;
	char err[256];

	/* Out of the room (left, kicked): the relay would refuse. */
	if (!ui_members_shown(t) ||
	    (r = client_session_room_find(t->s, t->sel)) == NULL ||
	    r->role < CLIENT_ROOM_MEMBER)
		return;
	if (client_session_room(
	        t->s, "members", t->sel, NULL, err, sizeof err) != 0)
		ui_tui_notice(t, true, "Members: %s", err);
}

/* F7, /members: the member list beside a room, or not. */
void
ui_members_toggle(struct tui *t)
{
	if (!ui_members_is_room(t->sel)) {
		ui_tui_notice(t, true, "The member list is a room's: open one");
		return;
	}
	t->members = !t->members;
	ui_members_fetch(t);
	ui_tui_layout(t);
}

/* The member list: "Members (3)", then one row a member. */
void
ui_members_draw(struct tui *t)
{
	WINDOW *w = t->memw;
	char row[64];
	size_t i;
	int h, y;

	if (w == NULL)
		return;
	werase(w);
	h = getmaxy(w);
	mvwvline_set(w, 0, 0, WACS_VLINE, h);
	wattron(w, A_BOLD);
	snprintf(row, sizeof row, "Members (%zu)",
	    strcasecmp(t->mem_room, t->sel) == 0 ? t->nmem : (size_t)0);
	mvwaddstr(w, 0, 2, row);
	wattroff(w, A_BOLD);
	for (i = 0, y = 1;
	     strcasecmp(t->mem_room, t->sel) == 0 && i < t->nmem && y < h;
	     i++, y++) {
		const struct ui_member *m = &t->mem[i];
		attr_t a = m->online ? ui_tui_pair(t, UI_COLOR_ONLINE) | A_BOLD
		                     : ui_tui_pair(t, UI_COLOR_DIM) | A_DIM;

		wattron(w, a);
		mvwaddstr(w, y, 2, m->online ? "\xe2\x97\x8f" : "\xe2\x97\x8b");
		wattroff(w, a);
		ui_room_member_row(
		    m->name, m->role, m->online, row, sizeof row);
		wmove(w, y, 4);
		if (!m->online)
			wattron(w, A_DIM);
		ui_tui_put(w, row, strlen(row), MEM_COLS - 5);
		if (!m->online)
			wattroff(w, A_DIM);
	}
	wnoutrefresh(w);
}

/* The columns the member list takes from the pane (0: none). */
int
ui_members_header(struct tui *t)
{
	return ui_members_shown(t) ? MEM_COLS : 0;
}

/* Run a request; a failure before it leaves in the notice line. */
static void
request(struct tui *t, const char *op, const char *room, const char *arg)
{
	char err[256];

	if (client_session_room(t->s, op, room, arg, err, sizeof err) != 0)
		ui_tui_notice(t, true, "/%s: %s", op, err);
}

/* /receipts: who has read our newest message in the room open. */
static void
receipts(struct tui *t, const char *room)
{
	struct client_convo *c =
	    client_convos_get(client_session_convos(t->s), room);
	char seq[24];
	size_t i;

	for (i = c->n; i > 0; i--) {
		if (c->e[i - 1].outgoing && c->e[i - 1].seq > 0)
			break;
	}
	if (i == 0) {
		ui_tui_notice(t, true, "No message of yours in %s yet", room);
		return;
	}
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)c->e[i - 1].seq);
	t->who[0][0] = t->who[1][0] = t->who[2][0] = '\0';
	snprintf(t->rcpt_room, sizeof t->rcpt_room, "%s", room);
	request(t, "receipts", room, seq);
}

/*
 * The relay refused something about ref: if it is the /receipts asked,
 * say the counts of our newest message as the last RSTATE gave them
 * (the relay names members only while it keeps the message). True if
 * said here.
 */
bool
ui_members_error(struct tui *t, const char *ref, const char *text)
{
	const struct ui_rstate *st;

	if (t->rcpt_room[0] == '\0' || strcasecmp(ref, t->rcpt_room) != 0)
		return false;
	t->rcpt_room[0] = '\0';
	if ((st = ui_members_rstate(t, ref)) == NULL)
		return false;
	ui_tui_log(t, "receipts of %s: %s", ref, text);
	ui_tui_notice(t, false,
	    "Your last message in %s: delivered to %llu of %llu, read by %llu",
	    ref, (unsigned long long)st->delivered,
	    (unsigned long long)st->members, (unsigned long long)st->read);
	return true;
}

/* /mute: the room rings no more but for mentions; again: it rings. */
static void
mute(struct tui *t, const char *room)
{
	char key[34];
	size_t n = room_key(room, key);

	if (util_map_get(t->muted, key, n) != NULL) {
		(void)util_map_remove(t->muted, key, n);
		ui_tui_notice(t, false, "%s rings again", room);
	} else {
		util_map_set(t->muted, key, n, t);
		ui_tui_notice(t, false,
		    "%s muted: only mentions of you ring (/mute again to undo)",
		    room);
	}
}

/*
 * The room commands (/join, /leave, /invite, /kick, /ban, /unban,
 * /admin, /unadmin, /topic, /create, /rooms, /receipts, /members,
 * /filter, /mute); false for any other.
 */
bool
ui_members_command(struct tui *t, const char *cmd, const char *arg)
{
	struct ui_room_cmd rc;
	char err[256];
	int r = ui_room_parse(cmd, arg, t->sel, &rc, err, sizeof err);

	if (r == 0)
		return false;
	if (r < 0) {
		ui_tui_notice(t, true, "%s", err);
		return true;
	}
	if (strcmp(rc.op, "filter") == 0) {
		t->filter = !t->filter;
		ui_tui_notice(t, false, "Joins and leaves %s (/filter again)",
		    t->filter ? "hidden" : "shown");
	} else if (strcmp(rc.op, "mute") == 0)
		mute(t, rc.room);
	else if (strcmp(rc.op, "members") == 0) {
		if (strcasecmp(rc.room, t->sel) != 0)
			ui_sidebar_select(t, rc.room);
		ui_members_toggle(t);
	} else if (strcmp(rc.op, "receipts") == 0)
		receipts(t, rc.room);
	else if (strcmp(rc.op, "list") == 0) {
		t->listing = true;
		t->listed[0] = '\0';
		request(t, "list", NULL, NULL);
	} else {
		/* Our own leave is no news. */
		t->leaving = strcmp(rc.op, "leave") == 0;
		request(t, rc.op, rc.room, rc.arg[0] != '\0' ? rc.arg : NULL);
	}
	t->dirty = true;
	return true;
}

/* --- the core's events --------------------------------------------------- */

/*
 * RINFO: a room's state. Asked by /rooms: a row of its answer. Otherwise
 * a change of our role is told: invited (the invite's event goes to the
 * members only), or out of it (kicked or banned: we get no event either).
 */
static void
ev_room(void *arg, const struct client_room *r)
{
	struct tui *t = arg;
	size_t used = strlen(t->listed), n;
	char key[34], invite[100];
	uintptr_t was;

	snprintf(invite, sizeof invite, "You are invited to %s: /join %s",
	    r->name, r->name);
	n = room_key(r->name, key);
	was = (uintptr_t)util_map_get(t->roles, key, n);
	if (!t->listing || was != 0)
		util_map_set(
		    t->roles, key, n, (void *)(uintptr_t)(r->role + 1));
	if (!t->listing && was != (uintptr_t)r->role + 1) {
		if (r->role == CLIENT_ROOM_INVITED)
			ui_tui_notice(t, false, "%s", invite);
		else if (r->role >= CLIENT_ROOM_MEMBER &&
		    strcmp(t->notice, invite) == 0)
			t->notice_until = 0; /* joined: no longer news */
		else if (r->role == CLIENT_ROOM_NONE && !t->leaving &&
		    was > CLIENT_ROOM_INVITED + 1)
			ui_tui_notice(
			    t, true, "You are no longer in %s", r->name);
		t->leaving = false;
	}

	if (t->listing) {
		if (used + strlen(r->name) + 24 < sizeof t->listed)
			snprintf(t->listed + used, sizeof t->listed - used,
			    "%s%s (%llu%s)", used > 0 ? ", " : "", r->name,
			    (unsigned long long)r->members,
			    r->role >= CLIENT_ROOM_MEMBER ? ", in"
			        : r->invite_only          ? ", invite-only"
			                                  : "");
	}
	t->dirty = true;
}

/* A room changed without an RINFO (members, unread): drawn again. */
static void
ev_room_changed(void *arg, const struct client_room *r)
{
	struct tui *t = arg;

	(void)r;
	t->dirty = true;
}

/* The end of /rooms: the rooms in the notice line. */
static void
ev_room_list(void *arg, uint64_t count)
{
	struct tui *t = arg;

	t->listing = false;
	if (count == 0)
		ui_tui_notice(t, false, "No rooms yet: /create #name");
	else
		ui_tui_notice(t, false, "Rooms: %s (/join #name)", t->listed);
}

/* REVENT: the member list follows; our own join opens the room; an
 * invite to us or our kick is said in the notice line. */
static void
ev_room_event(void *arg, const char *room, uint64_t seq, uint64_t ts,
    const char *actor, const char *kind, const char *target, const char *text)
{
	struct tui *t = arg;
	const char *me = client_session_me(t->s);

	(void)seq;
	(void)ts;
	(void)text;
	(void)target;
	if ((strcmp(kind, "join") == 0 || strcmp(kind, "create") == 0) &&
	    strcasecmp(actor, me) == 0 && strcasecmp(room, t->sel) != 0)
		ui_sidebar_select(t, room);
	if (t->members && strcasecmp(room, t->sel) == 0 &&
	    strcmp(kind, "topic") != 0)
		ui_members_fetch(t);
	t->dirty = true;
}

/* RMEMBER: a row of the member list; the end (name NULL). */
static void
ev_room_member(void *arg, const char *room, const char *name,
    enum client_room_role role, bool online, uint64_t delivered, uint64_t read)
{
	struct tui *t = arg;
	struct ui_member *m;

	(void)read;
	if (name == NULL) {
		t->mem_fresh = true;
		t->dirty = true;
		(void)delivered;
		return;
	}
	if (t->mem_fresh || strcasecmp(t->mem_room, room) != 0) {
		t->nmem = 0;
		snprintf(t->mem_room, sizeof t->mem_room, "%s", room);
		t->mem_fresh = false;
	}
	t->mem = xreallocarray(t->mem, t->nmem + 1, sizeof *t->mem);
	m = &t->mem[t->nmem++];
	snprintf(m->name, sizeof m->name, "%s", name);
	snprintf(m->role, sizeof m->role, "%s", client_room_role_name(role));
	m->online = online;
}

/* RSTATE: receipts of our newest message, for the header; asked by
 * /receipts: its answer in the notice line. */
static void
ev_room_state(void *arg, const char *room, uint64_t seq, uint64_t members,
    uint64_t delivered, uint64_t read)
{
	struct tui *t = arg;
	struct ui_rstate *r = (struct ui_rstate *)ui_members_rstate(t, room);

	if (r == NULL) {
		t->rstate =
		    xreallocarray(t->rstate, t->nrstate + 1, sizeof *t->rstate);
		r = &t->rstate[t->nrstate++];
		snprintf(r->room, sizeof r->room, "%s", room);
		r->seq = 0;
	}
	if (seq >= r->seq) {
		r->seq = seq;
		r->members = members;
		r->delivered = delivered;
		r->read = read;
	}
	if (strcasecmp(room, t->rcpt_room) == 0)
		t->rcpt_room[0] = '\0';
	if (t->who[0][0] != '\0' || t->who[1][0] != '\0' ||
	    t->who[2][0] != '\0') {
		ui_tui_notice(t, false,
		    "Read by: %s; delivered to: %s; not yet: %s",
		    t->who[0][0] != '\0' ? t->who[0] : "nobody",
		    t->who[1][0] != '\0' ? t->who[1] : "nobody",
		    t->who[2][0] != '\0' ? t->who[2] : "nobody");
		t->who[0][0] = t->who[1][0] = t->who[2][0] = '\0';
	}
	t->dirty = true;
}

/* RWHO: one member's state of the message /receipts asked about. */
static void
ev_room_who(void *arg, const char *room, uint64_t seq, const char *name,
    const char *state)
{
	struct tui *t = arg;
	int k = strcmp(state, "read") == 0    ? 0
	    : strcmp(state, "delivered") == 0 ? 1
	                                      : 2;
	size_t used = strlen(t->who[k]);

	(void)room;
	(void)seq;
	if (used + strlen(name) + 3 < sizeof t->who[k])
		snprintf(t->who[k] + used, sizeof t->who[k] - used, "%s%s",
		    used > 0 ? ", " : "", name);
}

/* TYPING in a room: the header says who. */
static void
ev_room_typing(void *arg, const char *room, const char *who, bool on)
{
	struct tui *t = arg;

	(void)who;
	snprintf(t->typing_peer, sizeof t->typing_peer, "%s", room);
	t->typing_until = on ? client_rt_now_ms() + 6000 : 0;
	t->dirty = true;
}

/* The room events into the table the session gets. */
void
ui_members_events(struct client_events *ev)
{
	ev->on_room = ev_room;
	ev->on_room_changed = ev_room_changed;
	ev->on_room_event = ev_room_event;
	ev->on_room_member = ev_room_member;
	ev->on_room_state = ev_room_state;
	ev->on_room_who = ev_room_who;
	ev->on_room_list = ev_room_list;
	ev->on_room_typing = ev_room_typing;
}
