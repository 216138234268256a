/* SPDX-License-Identifier: MIT */
/*
 * Transfers across reconnects and restarts: what the relay's errors and
 * the connections coming and going do to them, the store's record of
 * every transfer accepted or offered (so a restart of either side
 * resumes it, and a re-offer resumes only what the user accepted: the
 * same sender, id, name, size and SHA-256), and the receiver asking for
 * the rest by itself.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client/store.h"
#include "client/xfer_int.h"
#include "net/loop.h"
#include "proto/frame.h"
#include "util/xmalloc.h"

/*
 * A receiver asks for the rest of a transfer the user accepted: FACCEPT
 * with what its .part holds, unasked. An offline sender answers
 * ERR|OFFLINE, and the transfer waits for them (client_xfers_error).
 */
static void
ask(struct client_xfers *xs, struct xfer *x)
{
	char err[256];

	if (!x->accepted)
		return;
	x->resuming = true;
	x->asked = true;
	client_xfer_accept_now(xs, x, err, sizeof err);
}

/* Read an offer's fields into x (a transfer not yet in the list). */
static void
offer_fields(struct xfer *x, const struct proto_frame *fr, bool direct)
{
	char name[PROTO_MAX_TEXT + 1];
	size_t len;

	x->pub.direct = direct;
	snprintf(x->pub.peer, sizeof x->pub.peer, "%.*s", (int)fr->arg[0].len,
	    fr->arg[0].p);
	snprintf(x->pub.id, sizeof x->pub.id, "%.*s", (int)fr->arg[2].len,
	    fr->arg[2].p);
	x->pub.size = proto_slice_u64(fr->arg[3]);
	for (len = 0; len < 64; len++) {
		char c = fr->arg[4].p[len];
		x->pub.sha_hex[len] =
		    (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
	x->pub.sha_hex[64] = '\0';
	if (proto_text_decode(fr->arg[5], name, sizeof name - 1, &len) != 0)
		len = 0;
	client_xfer_safe_name(name, len, x->pub.name, sizeof x->pub.name);
}

/* Whether two offers are the same file: name, size and SHA-256. */
static bool
same_offer(const struct xfer *a, const struct xfer *b)
{
	return a->pub.size == b->pub.size &&
	    strcmp(a->pub.name, b->pub.name) == 0 &&
	    strcmp(a->pub.sha_hex, b->pub.sha_hex) == 0;
}

/* Refuse an offer with a reason for its sender and for the user. */
static void
refuse(struct client_xfers *xs, struct xfer *x, const char *why)
{
	client_xfer_send_ctl(xs, x, PROTO_V_FREJECT, NULL, why);
	client_xfer_fail(xs, x, "refused: %s", why);
}

/* The same offer again (the sender reconnected): resume only what the
 * user accepted, and only for the very same file. */
static void
offer_again(
    struct client_xfers *xs, struct xfer *x, struct xfer *o, bool direct)
{
	char err[256];

	if (x->pub.outgoing)
		return;
	if (!same_offer(x, o)) {
		/* Not a transfer of ours: answer without touching x. */
		client_xfer_send_ctl(xs, o, PROTO_V_FREJECT, NULL,
		    "this transfer id was offered for another file");
		return;
	}
	/* Answers go back the way the offer came. */
	x->pub.direct = direct;
	if (x->asked && x->pub.state == CLIENT_XFER_ACTIVE) {
		/* It crossed our ask, which the sender takes as its answer
		 * (it waits for one): a second answer would only make it
		 * send again what is on its way. */
		x->asked = false;
		return;
	}
	if (x->accepted &&
	    (x->pub.state == CLIENT_XFER_ACTIVE ||
	        x->pub.state == CLIENT_XFER_PAUSED))
		client_xfer_accept_now(xs, x, err, sizeof err);
	else if (x->pub.state == CLIENT_XFER_DONE)
		client_xfer_send_ctl(xs, x, PROTO_V_FDONE, NULL, NULL);
	else if (x->pub.state == CLIENT_XFER_FAILED)
		client_xfer_send_ctl(xs, x, PROTO_V_FREJECT, NULL,
		    x->pub.reason[0] != '\0' ? x->pub.reason : "refused");
}

/*
 * An offer: refused when over the size limit or the free space, resumed
 * at once when the user accepted this very file before (a restart since),
 * else it waits for the user.
 */
void
client_xfer_on_offer(
    struct client_xfers *xs, const struct proto_frame *fr, bool direct)
{
	struct xfer o = {.fd = -1}, *x;
	char err[256];
	int rc;

	offer_fields(&o, fr, direct);
	x = client_xfer_find_from(
	    xs, o.pub.peer, strlen(o.pub.peer), o.pub.id, strlen(o.pub.id));
	if (x != NULL) {
		offer_again(xs, x, &o, direct);
		return;
	}
	x = client_xfer_add(xs);
	x->pub = o.pub;
	x->pub.started = net_clock_ms();
	if (xs->max_size > 0 && x->pub.size > xs->max_size) {
		snprintf(err, sizeof err,
		    "the file (%llu bytes) is larger than the receiver's limit "
		    "of %llu bytes",
		    (unsigned long long)x->pub.size,
		    (unsigned long long)xs->max_size);
		refuse(xs, x, err);
		return;
	}
	/* Accepted before a restart, for this very file: it resumes. A
	 * different file under that id is refused, its .part untouched. */
	if ((rc = client_xfer_consent(xs, x, &x->accepted)) < 0) {
		refuse(xs, x, "this transfer id was accepted for another file");
		return;
	}
	if (rc > 0) {
		client_xfer_accept_now(xs, x, err, sizeof err);
		return;
	}
	if (client_xfer_room(xs, x->pub.size, err, sizeof err) != 0) {
		refuse(xs, x, err);
		return;
	}
	x->pub.state = CLIENT_XFER_INCOMING;
	client_xfer_changed(xs, x);
}

/* Keep x in the store: a receiver's accepted transfer, a sender's offer. */
void
client_xfer_keep(struct client_xfers *xs, struct xfer *x)
{
	struct client_xfer_rec r = {
	    .peer = x->pub.peer,
	    .id = x->pub.id,
	    .outgoing = x->pub.outgoing,
	    .name = x->pub.name,
	    .path = x->pub.outgoing ? x->pub.path : "",
	    .size = x->pub.size,
	    .sha = x->pub.sha_hex,
	    .ts = (uint64_t)time(NULL),
	};

	if (xs->store != NULL)
		(void)client_store_xfer_put(xs->store, &r);
}

/* Forget x in the store: it finished, failed or was swept. */
void
client_xfer_forget(struct client_xfers *xs, struct xfer *x)
{
	if (xs->store != NULL && (x->pub.outgoing || x->accepted))
		(void)client_store_xfer_del(
		    xs->store, x->pub.peer, x->pub.id, x->pub.outgoing);
}

/*
 * The ended x in the history of its conversation, so that it is still
 * there after a restart: "↓ file NAME (SIZE) saved to PATH", "↑ file NAME
 * (SIZE) sent to PEER", or "not saved: WHY" / "not sent: WHY".
 */
void
client_xfer_record(struct client_xfers *xs, struct xfer *x)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	const struct client_xfer *p = &x->pub;
	char size[32], line[4800];
	double v = (double)p->size;
	int u = 0;

	if (xs->store == NULL)
		return;
	for (; v >= 1024 && u < 4; u++)
		v /= 1024;
	snprintf(size, sizeof size, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
	if (p->state == CLIENT_XFER_FAILED)
		snprintf(line, sizeof line, "%s file %s (%s) %s: %s",
		    p->outgoing ? "\xe2\x86\x91" : "\xe2\x86\x93", p->name,
		    size, p->outgoing ? "not sent" : "not saved", p->reason);
	else if (p->outgoing)
		snprintf(line, sizeof line,
		    "\xe2\x86\x91 file %s (%s) sent to %s", p->name, size,
		    p->peer);
	else
		snprintf(line, sizeof line,
		    "\xe2\x86\x93 file %s (%s) saved to %s", p->name, size,
		    p->path);
	(void)client_store_add_note(
	    xs->store, p->peer, p->id, (uint64_t)time(NULL) * 1000, line);
}

struct consent {
	const struct xfer *x;
	int found; /* 1: the same file, -1: another one */
};

static void
consent_row(void *arg, const struct client_xfer_rec *r)
{
	struct consent *c = arg;
	const struct client_xfer *p = &c->x->pub;

	if (r->outgoing || strcasecmp(r->peer, p->peer) != 0 ||
	    strcmp(r->id, p->id) != 0)
		return;
	c->found = r->size == p->size && strcmp(r->name, p->name) == 0 &&
	        strcmp(r->sha, p->sha_hex) == 0
	    ? 1
	    : -1;
}

/*
 * Whether the user accepted the offer x before (a restart since): 1 for
 * this very file (same sender, id, name, size and SHA-256; *accepted is
 * set), -1 for another file under that id, 0 if never.
 */
int
client_xfer_consent(
    struct client_xfers *xs, const struct xfer *x, bool *accepted)
{
	struct consent c = {.x = x, .found = 0};

	if (xs->store == NULL ||
	    client_store_xfers(xs->store, consent_row, &c) < 0)
		return 0;
	if (c.found > 0)
		*accepted = true;
	return c.found;
}

struct restore {
	struct client_xfers *xs;
	struct client_xfer_rec *drop; /* records to forget */
	size_t n, cap;
};

/* An outgoing record: the file again, hashed again before it is offered
 * (it must still be the file offered). False when it is gone. */
static bool
restore_out(struct xfer *x, const struct client_xfer_rec *r)
{
	struct stat st;

	snprintf(x->pub.path, sizeof x->pub.path, "%s", r->path);
	x->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (x->fd == -1 || fstat(x->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != r->size)
		return false;
	x->restored = true;
	client_xfer_hash_init(x);
	x->pub.state = CLIENT_XFER_HASHING;
	return true;
}

/* One record of the store back in the list, or marked to be forgotten. */
static void
restore_row(void *arg, const struct client_xfer_rec *r)
{
	struct restore *rs = arg;
	struct client_xfers *xs = rs->xs;
	struct xfer *x;
	struct stat st;
	bool old =
	    xs->part_age > 0 && r->ts + xs->part_age < (uint64_t)time(NULL);

	x = client_xfer_add(xs);
	x->pub.outgoing = r->outgoing;
	snprintf(x->pub.peer, sizeof x->pub.peer, "%s", r->peer);
	snprintf(x->pub.id, sizeof x->pub.id, "%s", r->id);
	snprintf(x->pub.name, sizeof x->pub.name, "%s", r->name);
	snprintf(x->pub.sha_hex, sizeof x->pub.sha_hex, "%s", r->sha);
	x->pub.size = r->size;
	if (r->outgoing ? restore_out(x, r) : !old) {
		if (!r->outgoing) {
			x->accepted = true;
			client_xfer_part_path(xs, x);
			if (lstat(x->part, &st) == 0 && S_ISREG(st.st_mode))
				x->pub.done = (uint64_t)st.st_size;
			x->pub.state = CLIENT_XFER_PAUSED;
			snprintf(x->pub.reason, sizeof x->pub.reason,
			    "waiting to resume with %s", x->pub.peer);
		}
		return;
	}
	/* Gone (or too old to resume): forgotten, its .part removed. */
	client_xfer_destroy(x);
	xs->n--;
	XGROW(rs->drop, rs->cap, rs->n + 1, 4);
	rs->drop[rs->n] = *r;
	rs->drop[rs->n].peer = xstrdup(r->peer);
	rs->drop[rs->n].id = xstrdup(r->id);
	rs->n++;
}

/*
 * Keep transfers in store from now on, and take back those it kept from
 * an earlier run: a sender offers them again once it has checked the
 * file, a receiver asks for the rest once online. A .part still for
 * part_age seconds is swept (0: never).
 */
void
client_xfers_attach(
    struct client_xfers *xs, struct client_store *store, uint64_t part_age)
{
	struct restore rs = {.xs = xs};
	struct xfer dead = {.fd = -1};
	size_t i;

	xs->part_age = part_age;
	xs->store = store;
	if (store == NULL)
		return;
	(void)client_store_xfers(store, restore_row, &rs);
	for (i = 0; i < rs.n; i++) {
		(void)client_store_xfer_del(
		    store, rs.drop[i].peer, rs.drop[i].id, rs.drop[i].outgoing);
		if (!rs.drop[i].outgoing) {
			snprintf(dead.pub.peer, sizeof dead.pub.peer, "%s",
			    rs.drop[i].peer);
			snprintf(dead.pub.id, sizeof dead.pub.id, "%s",
			    rs.drop[i].id);
			client_xfer_part_path(xs, &dead);
			unlink(dead.part);
		}
		free((char *)rs.drop[i].peer);
		free((char *)rs.drop[i].id);
	}
	free(rs.drop);
	for (i = 0; i < xs->n; i++)
		client_xfer_changed(xs, xs->x[i]);
}

/*
 * The relay refused a frame of transfer ref with code (OFFLINE,
 * NO_SUCH_USER...); why is its text, or the code's name.
 */
void
client_xfers_error(struct client_xfers *xs, const char *ref,
    enum proto_err code, const char *why)
{
	struct xfer *x = client_xfer_find(xs, ref, strlen(ref));

	/* A direct transfer's frames do not pass the relay. */
	if (x == NULL || x->pub.direct || x->pub.state == CLIENT_XFER_DONE ||
	    x->pub.state == CLIENT_XFER_FAILED)
		return;
	if (code == PROTO_ERR_OFFLINE &&
	    (x->resuming || x->pub.state == CLIENT_XFER_ACTIVE ||
	        x->pub.state == CLIENT_XFER_VERIFYING ||
	        x->pub.state == CLIENT_XFER_PAUSED)) {
		/* One of us came back before the other, or they left in the
		 * middle: wait for them. */
		x->pub.state = CLIENT_XFER_PAUSED;
		snprintf(x->pub.reason, sizeof x->pub.reason,
		    "waiting for %s to come back", x->pub.peer);
		client_xfer_changed(xs, x);
	} else if (code == PROTO_ERR_OFFLINE)
		client_xfer_fail(xs, x,
		    "%s is offline; try again when they are back", x->pub.peer);
	else
		client_xfer_fail(xs, x, "the relay refused it: %s", why);
}

/*
 * The relay connection came (logged in and synced) or went. Going: every
 * transfer through it pauses. Coming: the offers not yet done go out
 * again, with the same ids, and the receivers answer with how much they
 * have; a receiver also asks for the rest of what it accepted by itself
 * (FACCEPT with its offset), whether or not the sender noticed the drop.
 */
void
client_xfers_online(struct client_xfers *xs, bool online)
{
	struct xfer *x;
	size_t i;

	xs->online = online;
	for (i = 0; i < xs->n; i++) {
		x = xs->x[i];
		if (!online) {
			x->asked = false;
			if (x->pub.direct)
				continue;
			if (x->pub.state == CLIENT_XFER_ACTIVE ||
			    x->pub.state == CLIENT_XFER_VERIFYING ||
			    (x->pub.outgoing &&
			        x->pub.state == CLIENT_XFER_OFFERED)) {
				x->pub.state = CLIENT_XFER_PAUSED;
				client_xfer_changed(xs, x);
			}
			continue;
		}
		if (x->pub.outgoing && x->pub.state == CLIENT_XFER_PAUSED)
			client_xfer_offer_now(xs, x, true, true);
		else if (!x->pub.outgoing && x->pub.state == CLIENT_XFER_PAUSED)
			ask(xs, x);
	}
}

/* peer came online: offers that waited for them go out again, and
 * transfers from them ask for the rest. */
void
client_xfers_peer_online(struct client_xfers *xs, const char *peer)
{
	struct xfer *x;
	size_t i;

	if (!xs->online)
		return;
	for (i = 0; i < xs->n; i++) {
		x = xs->x[i];
		if (strcasecmp(x->pub.peer, peer) != 0)
			continue;
		x->asked = false; /* they reconnected: answer their offer */
		if (x->pub.state != CLIENT_XFER_PAUSED)
			continue;
		if (x->pub.outgoing)
			client_xfer_offer_now(xs, x, true, true);
		else
			ask(xs, x);
	}
}

/*
 * The direct connection to peer ended. The sender offers its unfinished
 * transfers again by whatever route works now (a new direct connection,
 * or the relay), and the receiver resumes from what it has; a receiver in
 * the middle waits for that offer.
 */
void
client_xfers_direct_lost(struct client_xfers *xs, const char *peer)
{
	struct xfer *x;
	size_t i;

	for (i = 0; i < xs->n; i++) {
		x = xs->x[i];
		if (!x->pub.direct || strcasecmp(x->pub.peer, peer) != 0 ||
		    x->pub.state == CLIENT_XFER_DONE ||
		    x->pub.state == CLIENT_XFER_FAILED)
			continue;
		x->pub.direct = false;
		x->asked = false;
		if (x->pub.outgoing && x->taken && xs->io.peer_away != NULL) {
			/* The peer may have died with the connection: hear
			 * from the relay first, so that the relay does not
			 * store what the peer has most of. */
			x->pub.state = CLIENT_XFER_PAUSED;
			snprintf(x->pub.reason, sizeof x->pub.reason,
			    "the direct connection ended; waiting for %s",
			    x->pub.peer);
			x->relay_at = net_clock_ms() + CLIENT_XFER_PRESENCE_MS;
			client_xfer_changed(xs, x);
		} else if (x->pub.outgoing)
			client_xfer_offer_now(xs, x, true, true);
		else if (x->pub.state == CLIENT_XFER_ACTIVE) {
			x->pub.state = CLIENT_XFER_PAUSED;
			snprintf(x->pub.reason, sizeof x->pub.reason,
			    "the direct connection ended; waiting for %s",
			    x->pub.peer);
			client_xfer_changed(xs, x);
		}
	}
}

/*
 * The direct connection for the offer of transfer id could not be made:
 * it goes through the relay. False if id is no transfer of ours.
 */
bool
client_xfers_direct_failed(struct client_xfers *xs, const char *id)
{
	struct xfer *x = client_xfer_find(xs, id, strlen(id));

	if (x == NULL)
		return false;
	if (x->pub.outgoing && x->pub.direct &&
	    x->pub.state == CLIENT_XFER_OFFERED)
		client_xfer_offer_now(xs, x, false, x->resuming);
	return true;
}
