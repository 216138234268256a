/* SPDX-License-Identifier: MIT */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/outbox.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "util/map.h"
#include "util/xmalloc.h"

/* A message of ours not yet confirmed (ACK stored or RCPT delivered). */
struct out_msg {
	TAILQ_ENTRY(out_msg) entry;
	char id[PROTO_MAX_ID + 1];
	char to[PROTO_MAX_ROOM + 1];
	uint64_t ts;
	char *body;
	size_t len;
	bool sent; /* on the current connection */
	bool direct; /* sent to the peer itself, not the relay */
	bool relay_only; /* the direct way failed: by the relay */
};

TAILQ_HEAD(out_list, out_msg);

struct client_outbox {
	struct client_outbox_io io;
	size_t window; /* messages in flight at most, per way */
	struct out_list msgs; /* oldest first */
	struct util_map *by_id;
	size_t n;
	size_t inflight; /* sent to the relay, not settled */
	size_t dinflight; /* sent on direct connections, not settled */
	char buf[PROTO_MAX_FRAME + 64];
};

/* An empty outbox sending at most window messages ahead per way. */
struct client_outbox *
client_outbox_new(const struct client_outbox_io *io, unsigned window)
{
	struct client_outbox *ob;

	ob = xcalloc(1, sizeof *ob);
	ob->io = *io;
	ob->window = window > 0 ? window : 1;
	TAILQ_INIT(&ob->msgs);
	ob->by_id = util_map_new();
	return ob;
}

/* Take m out of the outbox and free it. */
static void
out_remove(struct client_outbox *ob, struct out_msg *m)
{
	TAILQ_REMOVE(&ob->msgs, m, entry);
	util_map_remove(ob->by_id, m->id, strlen(m->id));
	if (m->sent && !m->direct)
		ob->inflight--;
	else if (m->sent)
		ob->dinflight--;
	ob->n--;
	free(m->body);
	free(m);
}

/* Forget everything (what matters is on disk). */
void
client_outbox_free(struct client_outbox *ob)
{
	if (ob == NULL)
		return;
	while (!TAILQ_EMPTY(&ob->msgs))
		out_remove(ob, TAILQ_FIRST(&ob->msgs));
	util_map_free(ob->by_id);
	free(ob);
}

/* Queue a message; it goes out at the next pump. */
void
client_outbox_add(struct client_outbox *ob, const char *id, const char *to,
    uint64_t ts, const char *body, size_t len)
{
	struct out_msg *m;

	m = xcalloc(1, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", id);
	snprintf(m->to, sizeof m->to, "%s", to);
	m->ts = ts;
	m->body = xmemdup(body, len);
	m->len = len;
	TAILQ_INSERT_TAIL(&ob->msgs, m, entry);
	util_map_set(ob->by_id, m->id, strlen(m->id), m);
	ob->n++;
}

/* Messages not yet confirmed. */
size_t
client_outbox_len(const struct client_outbox *ob)
{
	return ob->n;
}

/* The message with this id (len bytes), or NULL. */
static struct out_msg *
out_find(const struct client_outbox *ob, const char *id, size_t len)
{
	return util_map_get(ob->by_id, id, len);
}

/* Whether the message with this id (len bytes) waits in the outbox. */
bool
client_outbox_has(const struct client_outbox *ob, const char *id, size_t len)
{
	return out_find(ob, id, len) != NULL;
}

/* The one way a message leaves the outbox: settled, or failed for good. */
static void
out_settle(struct client_outbox *ob, struct out_msg *m,
    enum client_msg_state st, bool direct)
{
	char id[PROTO_MAX_ID + 1], to[PROTO_MAX_ROOM + 1];

	memcpy(id, m->id, sizeof id);
	memcpy(to, m->to, sizeof to);
	out_remove(ob, m);
	ob->io.settled(ob->io.arg, to, id, st, direct);
}

/* Refused for good: it will not be sent again. */
static void
out_fail(struct client_outbox *ob, struct out_msg *m)
{
	out_settle(ob, m, CLIENT_MSG_FAILED, false);
}

/* Try m on the direct way; false when it must go by the relay. */
static bool
out_send_direct(struct client_outbox *ob, struct out_msg *m, size_t n)
{
	if (ob->io.may_direct == NULL || m->relay_only ||
	    !ob->io.may_direct(ob->io.arg, m->to))
		return false;
	/* Direct sends have a window of their own. */
	if (ob->dinflight >= ob->window)
		return true;
	/*
	 * Marked sent first: a write that finds the peer gone ends its
	 * connection at once, and the fallback for this id comes back
	 * inside send_direct; it must find the message as sent, or it
	 * would stay marked sent directly with no one to settle it.
	 */
	m->sent = true;
	m->direct = true;
	ob->dinflight++;
	if (ob->io.send_direct(ob->io.arg, m->to, m->id, ob->buf, n) != 0) {
		if (m->sent && m->direct) {
			m->sent = false;
			m->direct = false;
			ob->dinflight--;
		}
		return false;
	}
	return true;
}

/*
 * Send what the windows allow, oldest first, as me on a logged-in
 * connection whose frames are at most max_frame bytes. A message to a
 * peer the owner may reach directly goes to the peer itself.
 */
void
client_outbox_pump(struct client_outbox *ob, const char *me, size_t max_frame)
{
	struct out_msg *m, *next;
	size_t n;

	for (m = TAILQ_FIRST(&ob->msgs); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (m->sent)
			continue;
		if (proto_build_msg(ob->buf, sizeof ob->buf, &n, me, m->to,
		        m->ts, m->id, m->body, m->len) != 0 ||
		    n > max_frame) {
			/* It cannot be framed now, and never will be. */
			out_fail(ob, m);
			continue;
		}
		if (out_send_direct(ob, m, n))
			continue;
		if (ob->inflight >= ob->window)
			continue;
		if (ob->io.send_relay(ob->io.arg, ob->buf, n) != 0)
			break;
		m->sent = true;
		m->direct = false;
		ob->inflight++;
	}
}

/*
 * An ACK or RCPT for id came by route, from the relay's ACK (from NULL)
 * or a receipt from the peer from: the message reached st. Told to the
 * owner even for an id no longer here (a receipt after the ACK). A
 * receipt from anyone but the message's recipient is ignored: false.
 */
bool
client_outbox_settle(struct client_outbox *ob, const char *id, const char *from,
    enum client_msg_state st, enum client_route route)
{
	struct out_msg *m;

	if ((m = out_find(ob, id, strlen(id))) == NULL) {
		ob->io.settled(ob->io.arg, from, id, st, false);
		return true;
	}
	if (from != NULL &&
	    !proto_name_eq((struct proto_slice){from, strlen(from)},
	        (struct proto_slice){m->to, strlen(m->to)}))
		return false;
	/* Confirmed by the peer itself: it went direct. */
	out_settle(ob, m, st, m->direct && route == CLIENT_ROUTE_DIRECT);
	return true;
}

/*
 * The relay refused message id: again, it goes once more at the next
 * pump; else it fails for good. -1 when id is not in the outbox.
 */
int
client_outbox_refused(struct client_outbox *ob, const char *id, bool again)
{
	struct out_msg *m;

	if ((m = out_find(ob, id, strlen(id))) == NULL)
		return -1;
	if (!again)
		out_fail(ob, m);
	else if (m->sent && !m->direct) {
		m->sent = false;
		ob->inflight--;
	}
	return 0;
}

/*
 * The relay connection is gone: what it carried goes again on the next.
 * Those sent to a peer are the peer connection's to settle.
 */
void
client_outbox_lost(struct client_outbox *ob)
{
	struct out_msg *m;

	TAILQ_FOREACH(m, &ob->msgs, entry)
	{
		if (!m->direct)
			m->sent = false;
	}
	ob->inflight = 0;
}

/* The direct way did not work for message id: the relay carries it. */
int
client_outbox_fallback(struct client_outbox *ob, const char *id)
{
	struct out_msg *m;

	if ((m = out_find(ob, id, strlen(id))) == NULL)
		return -1;
	m->relay_only = true;
	if (m->direct && m->sent) {
		m->sent = false;
		m->direct = false;
		ob->dinflight--;
	}
	return 0;
}
