/* SPDX-License-Identifier: MIT */
/*
 * Frames that arrive, from the relay or (routed frames only) from a
 * verified peer, each handled by the route it came by: presence, receipts
 * and refusals for the outbox, messages for recv.c, file frames for the
 * transfers, the relay's word on our login.
 */
#include <stdio.h>
#include <string.h>

#include "client/p2p.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "net/loop.h"
#include "proto/build.h"
#include "proto/err.h"
#include "proto/frame.h"

#define RETRY_MS 1000

/* A USER line: a contact's presence. */
static void
on_user(struct client_session *s, const struct proto_frame *fr)
{
	struct client_contact *c;
	bool back;

	c = client_roster_set(s->roster, fr->arg[0].p, fr->arg[0].len,
	    proto_slice_eq(fr->arg[1], "online"), proto_slice_u64(fr->arg[2]),
	    &back);
	if (back) {
		/* Back online: perhaps reachable again, on a new port. */
		if (s->p2p != NULL)
			client_p2p_forget_failure(s->p2p, c->name);
		client_xfers_peer_online(s->xfers, c->name);
	}
	if (s->ev->on_contact != NULL)
		s->ev->on_contact(s->arg, c);
}

/*
 * ERR|OFFLINE|<name> (a LOOKUP's answer): the relay knows the contact is
 * gone before its USER line may come, and a transfer that waits for the
 * contact must not be offered meanwhile (the relay would store it).
 */
static void
offline_contact(struct client_session *s, const struct proto_frame *fr)
{
	char name[PROTO_MAX_NAME + 1];
	struct client_contact *c;
	bool back;

	if (fr->nargs < 2 || proto_frame_err_code(fr) != PROTO_ERR_OFFLINE ||
	    fr->arg[1].len > PROTO_MAX_NAME)
		return;
	snprintf(name, sizeof name, "%.*s", (int)fr->arg[1].len, fr->arg[1].p);
	if ((c = client_roster_find(s->roster, name)) == NULL || !c->online)
		return;
	c = client_roster_set(
	    s->roster, name, strlen(name), false, c->last_seen, &back);
	if (s->ev->on_contact != NULL)
		s->ev->on_contact(s->arg, c);
}

/*
 * An ACK (from the relay: fromslice empty) or RCPT (from its sender) for
 * a message of ours, by route. A receipt from anyone but the message's
 * recipient is ignored, and logged.
 */
static void
settle(struct client_session *s, struct proto_slice idslice,
    struct proto_slice fromslice, enum client_msg_state st,
    enum client_route route)
{
	char id[PROTO_MAX_ID + 1], from[PROTO_MAX_NAME + 1];

	memcpy(id, idslice.p, idslice.len);
	id[idslice.len] = '\0';
	memcpy(from, fromslice.p, fromslice.len);
	from[fromslice.len] = '\0';
	if (client_outbox_settle(
	        s->outbox, id, from[0] != '\0' ? from : NULL, st, route))
		return;
	snprintf(s->buf, 256,
	    "ignored a receipt for message %s from %s, who is not its "
	    "recipient (%s)",
	    id, from, route == CLIENT_ROUTE_DIRECT ? "direct" : "by the relay");
	if (s->ev->on_log != NULL)
		s->ev->on_log(s->arg, s->buf);
}

/* Refused at login: try again, at once or later, or give up. */
static void
login_refused(struct client_session *s, enum proto_err code, const char *why)
{
	/* A stale token: log in afresh at once. A name still held by our
	 * own previous connection (the relay has not noticed it died): try
	 * again later. Anything else is final. */
	switch (code) {
	case PROTO_ERR_AUTH_FAILED:
		if (s->resuming) {
			s->token[0] = '\0';
			s->failures = 0;
			client_session_lost(
			    s, "session expired; logging in again", true);
		} else
			client_session_lost(s, why, false);
		break;
	case PROTO_ERR_NAME_IN_USE:
		client_session_lost(s, why, true);
		break;
	case PROTO_ERR_BAD_NAME:
	case PROTO_ERR_BAD_FIELD:
	case PROTO_ERR_BAD_FRAME:
		client_session_lost(s, why, false);
		break;
	default:
		break;
	}
}

/* An ERR: about a message of ours, a transfer, our login, or nothing. */
static void
on_err(struct client_session *s, const struct proto_frame *fr)
{
	char code[40], ref[PROTO_MAX_ID + 1], text[PROTO_MAX_TEXT + 1];
	enum proto_err err = proto_frame_err_code(fr);
	const char *why;
	bool ours;
	size_t len = 0;

	snprintf(code, sizeof code, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	snprintf(ref, sizeof ref, "%.*s",
	    fr->nargs > 1 ? (int)fr->arg[1].len : 1,
	    fr->nargs > 1 ? fr->arg[1].p : "-");
	if (fr->nargs < 3 ||
	    proto_text_decode(fr->arg[2], text, sizeof text - 1, &len) != 0)
		len = 0;
	text[len] = '\0';
	why = text[0] != '\0' ? text : code;

	ours = fr->nargs > 1 &&
	    client_outbox_has(s->outbox, fr->arg[1].p, fr->arg[1].len);
	if (!ours && fr->nargs > 1 &&
	    client_xfers_find(s->xfers, ref) != NULL) {
		client_xfers_error(s->xfers, ref, err, why);
		client_session_emit_error(s, code, ref, text);
		return;
	}
	if (ours) {
		/* Worth another try in a moment, else failed for good. */
		if (err == PROTO_ERR_RATE_LIMIT || err == PROTO_ERR_INTERNAL) {
			client_outbox_refused(s->outbox, ref, true);
			net_timer_start(s->loop, &s->retry, RETRY_MS);
		} else
			client_outbox_refused(s->outbox, ref, false);
		client_session_emit_error(s, code, ref, text);
		return;
	}
	if (s->me[0] != '\0') {
		client_session_emit_error(s, code, ref, text);
		return;
	}
	/* A token the relay no longer knows (it restarted): normal, and
	 * the LOGIN that follows says whether all is well. Log it only. */
	if (err == PROTO_ERR_AUTH_FAILED && s->resuming) {
		snprintf(s->buf, 256,
		    "resume refused (%.200s); logging in again", why);
		if (s->ev->on_log != NULL)
			s->ev->on_log(s->arg, s->buf);
	} else
		client_session_emit_error(s, code, ref, text);
	login_refused(s, err, why);
}

/* WELCOME: we are logged in; the relay's name for us, a token to resume. */
static void
on_welcome(struct client_session *s, const struct proto_frame *fr)
{
	snprintf(
	    s->me, sizeof s->me, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	snprintf(s->token, sizeof s->token, "%.*s", (int)fr->arg[1].len,
	    fr->arg[1].p);
	s->max_frame = proto_slice_u64(fr->arg[2]);
	if (s->max_frame < PROTO_MIN_FRAME)
		s->max_frame = PROTO_MIN_FRAME;
	s->failures = 0;
	client_trust_welcome(s);
}

/* SYNCED: everything that waited for us has come; we are online. */
static void
on_synced(struct client_session *s)
{
	client_session_set_state(s, CLIENT_ONLINE, NULL, 0);
	/* Light: learn the relay's heartbeat, which ALIVE must keep. */
	if (s->light != NULL)
		client_light_synced(s);
	client_xfers_online(s->xfers, true);
	/* A device-aware login: DEVCOUNT follows, and says how to send. */
	if (s->device_aware && !s->resuming) {
		s->await_devcount = true;
		return;
	}
	if (s->ev->on_synced != NULL)
		s->ev->on_synced(s->arg);
}

/* TYPING from a peer. */
static void
on_typing(struct client_session *s, const struct proto_frame *fr)
{
	char from[PROTO_MAX_NAME + 1], room[PROTO_MAX_ROOM + 1];

	if (fr->arg[1].len > 0 && fr->arg[1].p[0] == '#') {
		/* In a room: another member's, never our own echo. */
		if (s->ev->on_room_typing == NULL ||
		    proto_name_eq(
		        fr->arg[0], (struct proto_slice){s->me, strlen(s->me)}))
			return;
		snprintf(from, sizeof from, "%.*s", (int)fr->arg[0].len,
		    fr->arg[0].p);
		snprintf(room, sizeof room, "%.*s", (int)fr->arg[1].len,
		    fr->arg[1].p);
		s->ev->on_room_typing(
		    s->arg, room, from, proto_slice_eq(fr->arg[2], "on"));
		return;
	}
	if (s->ev->on_typing == NULL ||
	    !proto_name_eq(
	        fr->arg[1], (struct proto_slice){s->me, strlen(s->me)}))
		return;
	snprintf(from, sizeof from, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	s->ev->on_typing(s->arg, from, proto_slice_eq(fr->arg[2], "on"));
}

/*
 * BYE: the relay ends our session. Replaced by another login as us: say
 * so, with where it came from when the relay told, and do not fight it
 * by logging in again.
 */
static void
on_bye(struct client_session *s, const struct proto_frame *fr)
{
	if (proto_slice_eq(fr->arg[0], "removed")) {
		/* Dropped from the user's devices: logging in again would
		 * make it a new device. */
		snprintf(s->buf, 256,
		    "this device was removed from %s's devices (termgram "
		    "devices drop)",
		    s->me);
		client_session_lost(s, s->buf, false);
		return;
	}
	if (!proto_slice_eq(fr->arg[0], "replaced")) {
		snprintf(s->buf, 256, "the relay said bye: %.*s",
		    (int)fr->arg[0].len, fr->arg[0].p);
		client_session_lost(s, s->buf, true);
		return;
	}
	if (fr->nargs > 1)
		snprintf(s->buf, 256,
		    "another session logged in as %s from %.*s and replaced "
		    "this one",
		    s->me, (int)fr->arg[1].len, fr->arg[1].p);
	else
		snprintf(s->buf, 256,
		    "another session logged in as %s and replaced this one",
		    s->me);
	client_session_replaced(s, s->buf);
}

/* DEVICE|fp|added, or DEVICES|count at the end of an answer. */
static void
on_devices(struct client_session *s, const struct proto_frame *fr)
{
	unsigned char fp[32];

	if (s->ev->on_devices == NULL)
		return;
	if (fr->verb == PROTO_V_DEVICE) {
		if (proto_slice_hex32(fr->arg[0], fp) == 0)
			s->ev->on_devices(
			    s->arg, fp, proto_slice_u64(fr->arg[1]));
	} else if (fr->nargs == 1)
		s->ev->on_devices(s->arg, NULL, proto_slice_u64(fr->arg[0]));
}

/*
 * DEVCOUNT|n: how many devices the user has (more than one: send by the
 * relay only). The first after SYNCED completes the login; one that a
 * DEVICES request waits for ends its answer; others come unasked.
 */
static void
on_devcount(struct client_session *s, uint64_t n)
{
	bool synced = s->await_devcount, answer = false;

	s->devcount = n;
	s->await_devcount = false;
	if (!synced && s->dev_asked) {
		s->dev_asked = false;
		answer = true;
	}
	if (s->ev->on_devcount != NULL)
		s->ev->on_devcount(s->arg, n);
	if (synced && s->ev->on_synced != NULL)
		s->ev->on_synced(s->arg);
	if (answer && s->ev->on_active != NULL)
		s->ev->on_active(s->arg, NULL, n, 0, false, 0);
}

/* ACTIVE|device|added|seen|online|behind, or DEVCOUNT|n at the end. */
static void
on_active(struct client_session *s, const struct proto_frame *fr)
{
	char dev[PROTO_MAX_ID + 2];

	if (fr->verb == PROTO_V_DEVCOUNT) {
		on_devcount(s, proto_slice_u64(fr->arg[0]));
		return;
	}
	if (s->ev->on_active == NULL)
		return;
	snprintf(dev, sizeof dev, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	s->ev->on_active(s->arg, dev, proto_slice_u64(fr->arg[1]),
	    proto_slice_u64(fr->arg[2]), proto_slice_eq(fr->arg[3], "online"),
	    proto_slice_u64(fr->arg[4]));
}

/* The relay's own frames: the connection, its heartbeat, its word. */
static bool
handle_relay(struct client_session *s, const struct proto_frame *fr)
{
	size_t n;

	switch (fr->verb) {
	case PROTO_V_WELCOME:
		on_welcome(s, fr);
		return true;
	case PROTO_V_USER:
		on_user(s, fr);
		return true;
	case PROTO_V_SYNCED:
		on_synced(s);
		return true;
	case PROTO_V_PING:
		if (proto_build_pong(s->buf, sizeof s->buf, &n, fr) == 0)
			net_conn_write(s->conn, s->buf, n);
		return true;
	case PROTO_V_BYE:
		on_bye(s, fr);
		return true;
	case PROTO_V_ERR:
		on_err(s, fr);
		return true;
	case PROTO_V_DEVICE:
	case PROTO_V_DEVICES:
		on_devices(s, fr);
		return true;
	case PROTO_V_ACTIVE:
	case PROTO_V_DEVCOUNT:
		on_active(s, fr);
		return true;
	case PROTO_V_RINFO:
	case PROTO_V_REVENT:
	case PROTO_V_RPOS:
	case PROTO_V_RMEMBER:
	case PROTO_V_RMEMBERS:
	case PROTO_V_RWHO:
	case PROTO_V_RSTATE:
	case PROTO_V_RLIST:
		return client_rooms_frame(s, fr);
	case PROTO_V_STATS:
		if (s->light != NULL && fr->nargs == 1)
			client_light_learn(s, fr->arg[0]);
		return true;
	default:
		return false;
	}
}

/* A frame from the relay, or from a verified peer (route direct). */
void
client_dispatch_frame(struct client_session *s, const struct proto_frame *fr,
    enum client_route route)
{
	if (fr->verb != PROTO_V_PONG && fr->verb != PROTO_V_PING)
		s->last_work = net_loop_now(s->loop);
	if (route == CLIENT_ROUTE_RELAY) {
		if (fr->verb == PROTO_V_ERR)
			offline_contact(s, fr);
		if (s->p2p != NULL && client_p2p_relay_frame(s->p2p, fr))
			return;
		if (handle_relay(s, fr))
			return;
	}
	switch (fr->verb) {
	case PROTO_V_MSG:
		/* A room's message comes from the relay only. */
		if (fr->arg[1].len > 0 && fr->arg[1].p[0] == '#') {
			if (route == CLIENT_ROUTE_RELAY)
				client_rooms_msg(s, fr);
			break;
		}
		client_recv_msg(s, fr, route);
		break;
	case PROTO_V_ACK:
		/* ACK|<xfer>|stored: the relay keeps our file for its
		 * recipient (docs/protocol.md "Files stored on the relay"). */
		if (route == CLIENT_ROUTE_RELAY)
			client_xfers_stored(s->xfers, fr->arg[0]);
		settle(s, fr->arg[0], (struct proto_slice){"", 0},
		    CLIENT_MSG_STORED, route);
		break;
	case PROTO_V_RCPT:
		/* From our own name: another device of ours read a message
		 * (a read mark), or confirmed a carbon. */
		if (proto_name_eq(fr->arg[0],
		        (struct proto_slice){s->me, strlen(s->me)})) {
			if (route == CLIENT_ROUTE_RELAY)
				client_recv_read_mark(s, fr);
			break;
		}
		settle(s, fr->arg[2], fr->arg[0],
		    proto_slice_eq(fr->arg[3], "read") ? CLIENT_MSG_READ
		                                       : CLIENT_MSG_DELIVERED,
		    route);
		break;
	case PROTO_V_TYPING:
		on_typing(s, fr);
		break;
	default:
		/* File frames addressed to us; PONG needs nothing. */
		if (proto_verb_is_file(fr->verb) &&
		    proto_name_eq(
		        fr->arg[1], (struct proto_slice){s->me, strlen(s->me)}))
			client_xfers_frame(
			    s->xfers, fr, route == CLIENT_ROUTE_DIRECT);
		break;
	}
}
