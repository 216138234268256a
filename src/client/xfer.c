/* SPDX-License-Identifier: MIT */
/*
 * File transfers as a state machine: offers, accepts, the window of FDATA
 * beyond the last FACK, resume and cancel. The disk side is in
 * xfer_file.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "client/xfer_int.h"
#include "net/loop.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "util/xmalloc.h"

/* The rate's window starts again from now (accepted, resumed). */
static void
rate_start(struct xfer *x, uint64_t now)
{
	x->rate_t[0] = x->moved_at = now;
	x->rate_b[0] = x->pub.done;
	x->rate_n = 1;
	x->pub.rate = 0;
	x->pub.stalled = false;
}

#define FACK_EVERY (256 * 1024)

/* Transfers for a session; files arrive in dir, at most max_size bytes. */
struct client_xfers *
client_xfers_new(
    const struct client_xfer_io *io, const char *dir, uint64_t max_size)
{
	struct client_xfers *xs;

	xs = xcalloc(1, sizeof *xs);
	xs->io = *io;
	snprintf(xs->dir, sizeof xs->dir, "%s", dir);
	xs->max_size = max_size;
	return xs;
}

/* Free everything; .part files stay for a later resume. */
void
client_xfers_free(struct client_xfers *xs)
{
	size_t i;

	if (xs == NULL)
		return;
	for (i = 0; i < xs->n; i++)
		client_xfer_destroy(xs->x[i]);
	free(xs->x);
	free(xs);
}

/* How many transfers there are (finished ones included). */
size_t
client_xfers_count(const struct client_xfers *xs)
{
	return xs->n;
}

/* The i-th transfer, oldest first. */
const struct client_xfer *
client_xfers_at(const struct client_xfers *xs, size_t i)
{
	return i < xs->n ? &xs->x[i]->pub : NULL;
}

/* The transfer id (len bytes), or NULL. */
struct xfer *
client_xfer_find(const struct client_xfers *xs, const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < xs->n; i++) {
		if (strlen(xs->x[i]->pub.id) == len &&
		    memcmp(xs->x[i]->pub.id, id, len) == 0)
			return xs->x[i];
	}
	return NULL;
}

/* The transfer id from peer (either way), or NULL. */
struct xfer *
client_xfer_find_from(const struct client_xfers *xs, const char *peer,
    size_t plen, const char *id, size_t len)
{
	size_t i;
	struct xfer *x;

	for (i = 0; i < xs->n; i++) {
		x = xs->x[i];
		if (strlen(x->pub.id) == len &&
		    memcmp(x->pub.id, id, len) == 0 &&
		    proto_name_eq((struct proto_slice){peer, plen},
		        (struct proto_slice){x->pub.peer, strlen(x->pub.peer)}))
			return x;
	}
	return NULL;
}

/* A transfer by id. */
const struct client_xfer *
client_xfers_find(const struct client_xfers *xs, const char *id)
{
	struct xfer *x = client_xfer_find(xs, id, strlen(id));

	return x != NULL ? &x->pub : NULL;
}

/* Whether a transfer has work for the next turn without any I/O event. */
bool
client_xfers_has_work(const struct client_xfers *xs)
{
	size_t i;

	for (i = 0; i < xs->n; i++) {
		if (xs->x[i]->pub.state == CLIENT_XFER_HASHING)
			return true;
	}
	return false;
}

/* When a paused transfer is due to be offered again (0: none is). */
uint64_t
client_xfers_wake_at(const struct client_xfers *xs)
{
	uint64_t at = 0;
	size_t i;

	for (i = 0; i < xs->n; i++)
		if (xs->x[i]->relay_at != 0 &&
		    xs->x[i]->pub.state == CLIENT_XFER_PAUSED &&
		    (at == 0 || xs->x[i]->relay_at < at))
			at = xs->x[i]->relay_at;
	return at;
}

/* Whether any transfer is not finished (offers waiting included). */
bool
client_xfers_open(const struct client_xfers *xs)
{
	size_t i;

	for (i = 0; i < xs->n; i++) {
		if (xs->x[i]->pub.state != CLIENT_XFER_DONE &&
		    xs->x[i]->pub.state != CLIENT_XFER_FAILED)
			return true;
	}
	return false;
}

/* Whether any transfer is still moving. */
bool
client_xfers_busy(const struct client_xfers *xs)
{
	size_t i;

	for (i = 0; i < xs->n; i++) {
		if (xs->x[i]->pub.state != CLIENT_XFER_DONE &&
		    xs->x[i]->pub.state != CLIENT_XFER_FAILED &&
		    xs->x[i]->pub.state != CLIENT_XFER_INCOMING)
			return true;
	}
	return false;
}

/* A new transfer, added last. */
struct xfer *
client_xfer_add(struct client_xfers *xs)
{
	struct xfer *x;

	x = xcalloc(1, sizeof *x);
	x->fd = -1;
	x->pub.started = net_clock_ms();
	XGROW(xs->x, xs->cap, xs->n + 1, 8);
	xs->x[xs->n++] = x;
	return x;
}

/* Tell the session that x changed; once it has ended, note it in the
 * history of its conversation. */
void
client_xfer_changed(struct client_xfers *xs, struct xfer *x)
{
	if (x->pub.state == CLIENT_XFER_INCOMING ||
	    x->pub.state == CLIENT_XFER_ACTIVE ||
	    x->pub.state == CLIENT_XFER_VERIFYING)
		x->offered = true;
	if ((x->pub.state == CLIENT_XFER_DONE ||
	        x->pub.state == CLIENT_XFER_FAILED) &&
	    x->offered && !x->recorded) {
		x->recorded = true;
		client_xfer_record(xs, x);
	}
	if (xs->io.changed != NULL)
		xs->io.changed(xs->io.arg, &x->pub);
}

/* Whether the transfer's route is there to send on. */
static bool
route_up(const struct client_xfers *xs, const struct xfer *x)
{
	return x->pub.direct || xs->online;
}

/* Send a control frame: verb, me, peer, id, then an optional field. */
void
client_xfer_send_ctl(struct client_xfers *xs, struct xfer *x, enum proto_verb v,
    const char *num, const char *text)
{
	struct proto_writer w;
	size_t n;

	proto_writer_init(&w, xs->buf, sizeof xs->buf);
	proto_writer_begin(&w, v);
	proto_writer_str(&w, xs->io.me(xs->io.arg));
	proto_writer_str(&w, x->pub.peer);
	proto_writer_str(&w, x->pub.id);
	if (num != NULL)
		proto_writer_str(&w, num);
	if (text != NULL)
		proto_writer_b64(&w, text, strlen(text));
	if (proto_writer_end(&w, &n) == 0)
		xs->io.send(xs->io.arg, &x->pub, xs->buf, n, NULL, 0);
}

static void
send_num(
    struct client_xfers *xs, struct xfer *x, enum proto_verb v, uint64_t num)
{
	char s[24];

	snprintf(s, sizeof s, "%llu", (unsigned long long)num);
	client_xfer_send_ctl(xs, x, v, s, NULL);
}

static int
send_offer(struct client_xfers *xs, struct xfer *x)
{
	struct proto_writer w;
	size_t n;

	proto_writer_init(&w, xs->buf, sizeof xs->buf);
	proto_writer_begin(&w, PROTO_V_FOFFER);
	proto_writer_str(&w, xs->io.me(xs->io.arg));
	proto_writer_str(&w, x->pub.peer);
	proto_writer_str(&w, x->pub.id);
	proto_writer_u64(&w, x->pub.size);
	proto_writer_str(&w, x->pub.sha_hex);
	proto_writer_b64(&w, x->pub.name, strlen(x->pub.name));
	if (proto_writer_end(&w, &n) != 0)
		return -1;
	return xs->io.offer(xs->io.arg, &x->pub, xs->buf, n);
}

/*
 * Offer by the route that works now: direct when the session says so (and
 * may_direct), else through the relay; paused while neither can take it.
 * again: the same transfer once more, after a connection ended.
 */
void
client_xfer_offer_now(
    struct client_xfers *xs, struct xfer *x, bool may_direct, bool again)
{
	x->pub.reason[0] = '\0';
	x->fdone_sent = false;
	x->resuming = again;
	x->relay_at = 0;
	x->pub.state = CLIENT_XFER_OFFERED;
	x->pub.direct = may_direct && xs->io.direct != NULL &&
	    xs->io.direct(xs->io.arg, x->pub.peer);
	if (x->pub.direct && send_offer(xs, x) != 0)
		x->pub.direct = false;
	if (!x->pub.direct && x->taken && !x->pub.stored &&
	    xs->io.peer_away != NULL &&
	    xs->io.peer_away(xs->io.arg, x->pub.peer)) {
		/* The receiver has part of it: wait for them, rather than
		 * have the relay store it all again from the start. */
		x->pub.state = CLIENT_XFER_PAUSED;
		snprintf(x->pub.reason, sizeof x->pub.reason,
		    "waiting for %s to come back", x->pub.peer);
	} else if (!x->pub.direct && (!xs->online || send_offer(xs, x) != 0))
		x->pub.state = CLIENT_XFER_PAUSED;
	client_xfer_changed(xs, x);
}

/* End a transfer with a reason; the receiver removes its .part, and
 * neither side keeps it for a restart. */
void
client_xfer_fail(struct client_xfers *xs, struct xfer *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->pub.reason, sizeof x->pub.reason, fmt, ap);
	va_end(ap);
	x->pub.state = CLIENT_XFER_FAILED;
	client_xfer_close(x);
	if (!x->pub.outgoing && x->part[0] != '\0')
		unlink(x->part);
	client_xfer_forget(xs, x);
	client_xfer_changed(xs, x);
}

/* Cancel: tell the peer why, and stop. */
static void
cancel(struct client_xfers *xs, struct xfer *x, const char *why)
{
	if (route_up(xs, x))
		client_xfer_send_ctl(xs, x, PROTO_V_FCANCEL, NULL, why);
	client_xfer_fail(xs, x, "%s", why);
}

/*
 * Offer the file at path to peer. The SHA-256 is computed over the next
 * loop turns; the offer goes out when it is ready (and after every
 * reconnect until answered). The new transfer's id is written to id.
 */
int
client_xfers_offer(struct client_xfers *xs, const char *peer, const char *path,
    char *id, char *err, size_t errlen)
{
	struct xfer *x;
	unsigned char raw[12];
	const char *base;
	uint64_t size;
	int fd;

	if (!proto_is_name(peer, strlen(peer))) {
		snprintf(err, errlen, "'%s' is not a valid name", peer);
		return -1;
	}
	if (client_xfer_check_path(path, &size, err, errlen) != 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	x = client_xfer_add(xs);
	x->fd = fd;
	x->pub.outgoing = true;
	snprintf(x->pub.peer, sizeof x->pub.peer, "%s", peer);
	snprintf(x->pub.path, sizeof x->pub.path, "%s", path);
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	client_xfer_safe_name(
	    base, strlen(base), x->pub.name, sizeof x->pub.name);
	x->pub.size = size;
	randombytes_buf(raw, sizeof raw);
	memcpy(x->pub.id, "f", 2);
	sodium_bin2hex(x->pub.id + 1, sizeof x->pub.id - 1, raw, sizeof raw);
	client_xfer_hash_init(x);
	x->pub.state = CLIENT_XFER_HASHING;
	snprintf(id, PROTO_MAX_ID + 1, "%s", x->pub.id);
	client_xfer_changed(xs, x);
	return 0;
}

/*
 * Answer FACCEPT with what the .part holds: the first time (the user said
 * yes) a new .part, kept in the store; later (a resume) the one we have.
 */
int
client_xfer_accept_now(
    struct client_xfers *xs, struct xfer *x, char *err, size_t errlen)
{
	int64_t have;

	if (!x->accepted &&
	    client_xfer_room(xs, x->pub.size, err, errlen) != 0) {
		client_xfer_send_ctl(xs, x, PROTO_V_FREJECT, NULL, err);
		client_xfer_fail(xs, x, "refused: %s", err);
		return -1;
	}
	if (x->part[0] == '\0')
		client_xfer_part_path(xs, x);
	if ((have = client_xfer_part_open(xs, x, err, errlen)) < 0) {
		cancel(xs, x, "the receiver cannot write the file");
		return -1;
	}
	if (!x->accepted) {
		x->accepted = true;
		client_xfer_keep(xs, x);
	}
	x->pub.reason[0] = '\0';
	x->pub.done = x->acked = (uint64_t)have;
	x->pub.state = CLIENT_XFER_ACTIVE;
	rate_start(x, net_clock_ms());
	send_num(xs, x, PROTO_V_FACCEPT, x->pub.done);
	client_xfer_changed(xs, x);
	return 0;
}

/* The user accepts an offer: the file goes to the download folder. */
int
client_xfers_accept(
    struct client_xfers *xs, const char *id, char *err, size_t errlen)
{
	struct xfer *x = client_xfer_find(xs, id, strlen(id));

	if (x == NULL || x->pub.outgoing ||
	    x->pub.state != CLIENT_XFER_INCOMING) {
		snprintf(err, errlen, "no offer %s waits for an answer", id);
		return -1;
	}
	return client_xfer_accept_now(xs, x, err, errlen);
}

/* The user rejects an offer, with a reason for the sender. */
int
client_xfers_reject(struct client_xfers *xs, const char *id, const char *why)
{
	struct xfer *x = client_xfer_find(xs, id, strlen(id));

	if (x == NULL || x->pub.outgoing ||
	    x->pub.state != CLIENT_XFER_INCOMING)
		return -1;
	client_xfer_send_ctl(xs, x, PROTO_V_FREJECT, NULL, why);
	client_xfer_fail(xs, x, "rejected: %s", why);
	return 0;
}

/* Either side stops a transfer at any time. */
int
client_xfers_cancel(struct client_xfers *xs, const char *id, const char *why)
{
	struct xfer *x = client_xfer_find(xs, id, strlen(id));

	if (x == NULL || x->pub.state == CLIENT_XFER_DONE ||
	    x->pub.state == CLIENT_XFER_FAILED)
		return -1;
	if (x->pub.state == CLIENT_XFER_INCOMING)
		return client_xfers_reject(xs, id, why);
	cancel(xs, x, why);
	return 0;
}

static void
finish_receive(struct client_xfers *xs, struct xfer *x)
{
	char hex[65];

	if (x->pub.done != x->pub.size) {
		cancel(xs, x, "the file ended before its offered size");
		return;
	}
	client_xfer_hash_hex(x, hex);
	if (strcmp(hex, x->pub.sha_hex) != 0) {
		cancel(xs, x,
		    "SHA-256 mismatch: the data is not what was offered");
		return;
	}
	if (client_xfer_save(xs, x) != 0) {
		cancel(xs, x, "the receiver could not save the file");
		return;
	}
	x->pub.state = CLIENT_XFER_DONE;
	client_xfer_forget(xs, x);
	/* FDONE back to the sender: verified and saved. */
	client_xfer_send_ctl(xs, x, PROTO_V_FDONE, NULL, NULL);
	client_xfer_changed(xs, x);
}

static void
on_data(struct client_xfers *xs, struct xfer *x, const struct proto_frame *fr)
{
	uint64_t off = proto_slice_u64(fr->arg[3]);
	size_t len = fr->payload_len;
	char why[160];

	if (x->pub.state != CLIENT_XFER_ACTIVE || off < x->pub.done)
		return; /* late data from before a resume */
	if (off > x->pub.done) {
		/* After a resume, data sent before the sender heard our
		 * FACCEPT may follow a gap: it rewinds to our offset. */
		if (!x->resuming)
			cancel(xs, x, "data arrived out of order");
		return;
	}
	if (len > x->pub.size - x->pub.done) {
		cancel(xs, x, "the sender sent more than it offered");
		return;
	}
	if (client_xfer_write(x, fr->payload, len, off, why, sizeof why) != 0) {
		cancel(xs, x, why);
		return;
	}
	x->pub.done += len;
	if (x->pub.done - x->acked >= FACK_EVERY ||
	    x->pub.done == x->pub.size) {
		x->acked = x->pub.done;
		send_num(xs, x, PROTO_V_FACK, x->acked);
	}
	client_xfer_changed(xs, x);
}

/*
 * FACCEPT for a transfer we do not have (forgotten, or never ours): say
 * so, so that a receiver asking for the rest removes its .part.
 */
static void
no_such(struct client_xfers *xs, const struct proto_frame *fr, bool direct)
{
	struct xfer t = {.fd = -1};

	t.pub.direct = direct;
	snprintf(t.pub.peer, sizeof t.pub.peer, "%.*s", (int)fr->arg[0].len,
	    fr->arg[0].p);
	snprintf(t.pub.id, sizeof t.pub.id, "%.*s", (int)fr->arg[2].len,
	    fr->arg[2].p);
	client_xfer_send_ctl(xs, &t, PROTO_V_FCANCEL, NULL,
	    "the sender has no such transfer any more");
}

/*
 * FACCEPT: the receiver takes the offer from an offset; also unasked, when
 * it came back and asks for the rest. A transfer that has ended says so.
 */
static void
on_accept(struct client_xfers *xs, struct xfer *x, const struct proto_frame *fr)
{
	uint64_t v = proto_slice_u64(fr->arg[3]);

	if (!x->pub.outgoing)
		return;
	if (x->pub.state == CLIENT_XFER_FAILED) {
		client_xfer_send_ctl(xs, x, PROTO_V_FCANCEL, NULL,
		    x->pub.reason[0] != '\0' ? x->pub.reason
		                             : "the transfer was stopped");
		return;
	}
	if (x->pub.state != CLIENT_XFER_OFFERED &&
	    x->pub.state != CLIENT_XFER_ACTIVE &&
	    x->pub.state != CLIENT_XFER_VERIFYING &&
	    x->pub.state != CLIENT_XFER_PAUSED)
		return;
	if (v > x->pub.size) {
		cancel(xs, x, "the receiver asked for an offset past the end");
		return;
	}
	x->pub.sent = x->pub.done = v;
	x->pub.reason[0] = '\0';
	x->fdone_sent = false;
	x->taken = true;
	x->pub.state = CLIENT_XFER_ACTIVE;
	rate_start(x, net_clock_ms());
	client_xfer_changed(xs, x);
}

/*
 * A file frame addressed to us; direct: it came over a direct connection.
 * Frames of a transfer are taken from either route: one that has just
 * been left may still deliver what was in flight, in order.
 */
void
client_xfers_frame(
    struct client_xfers *xs, const struct proto_frame *fr, bool direct)
{
	struct xfer *x;
	char text[PROTO_MAX_TEXT + 1];
	size_t len = 0;
	uint64_t v;

	if (fr->verb == PROTO_V_FOFFER) {
		client_xfer_on_offer(xs, fr, direct);
		return;
	}
	x = client_xfer_find(xs, fr->arg[2].p, fr->arg[2].len);
	if (x == NULL ||
	    !proto_name_eq(fr->arg[0],
	        (struct proto_slice){x->pub.peer, strlen(x->pub.peer)})) {
		if (fr->verb == PROTO_V_FACCEPT)
			no_such(xs, fr, direct);
		return;
	}
	switch (fr->verb) {
	case PROTO_V_FACCEPT:
		on_accept(xs, x, fr);
		break;
	case PROTO_V_FACK:
		v = proto_slice_u64(fr->arg[3]);
		if (x->pub.outgoing && v > x->pub.done && v <= x->pub.sent) {
			x->pub.done = v;
			client_xfer_changed(xs, x);
		}
		break;
	case PROTO_V_FDATA:
		if (!x->pub.outgoing)
			on_data(xs, x, fr);
		break;
	case PROTO_V_FDONE:
		if (x->pub.outgoing) {
			if (x->pub.state != CLIENT_XFER_VERIFYING)
				return;
			x->pub.done = x->pub.size;
			x->pub.state = CLIENT_XFER_DONE;
			client_xfer_close(x);
			client_xfer_forget(xs, x);
			client_xfer_changed(xs, x);
		} else if (x->pub.state == CLIENT_XFER_ACTIVE)
			finish_receive(xs, x);
		break;
	case PROTO_V_FREJECT:
	case PROTO_V_FCANCEL:
		if (proto_text_decode(
		        fr->arg[3], text, sizeof text - 1, &len) != 0)
			len = 0;
		text[len] = '\0';
		if (x->pub.state == CLIENT_XFER_DONE ||
		    x->pub.state == CLIENT_XFER_FAILED)
			return;
		client_xfer_fail(xs, x, "%s by %s%s%s",
		    fr->verb == PROTO_V_FREJECT ? "rejected" : "cancelled",
		    x->pub.peer, len > 0 ? ": " : "", text);
		break;
	default:
		break;
	}
}

/*
 * ACK|<xfer>|stored: the relay verified our upload and keeps it for the
 * peer, who is away. The transfer waits for the peer's FDONE, which the
 * relay passes on when the peer has it; whether it was ours.
 */
bool
client_xfers_stored(struct client_xfers *xs, struct proto_slice id)
{
	struct xfer *x = client_xfer_find(xs, id.p, id.len);

	if (x == NULL || !x->pub.outgoing || x->pub.direct ||
	    (x->pub.state != CLIENT_XFER_OFFERED &&
	        x->pub.state != CLIENT_XFER_ACTIVE &&
	        x->pub.state != CLIENT_XFER_PAUSED &&
	        x->pub.state != CLIENT_XFER_VERIFYING))
		return false;
	x->pub.sent = x->pub.done = x->pub.size;
	x->fdone_sent = true;
	x->pub.stored = true;
	x->pub.stalled = false;
	x->pub.rate = 0;
	x->pub.reason[0] = '\0';
	x->pub.state = CLIENT_XFER_VERIFYING;
	client_xfer_changed(xs, x);
	return true;
}

/* Hash the next slice; once all is hashed, the offer goes. */
static void
hash_some(struct client_xfers *xs, struct xfer *x)
{
	char err[PROTO_MAX_TEXT], hex[65];
	int rc;

	if ((rc = client_xfer_hash_some(xs, x, err, sizeof err)) < 0)
		client_xfer_fail(xs, x, "%s", err);
	if (rc <= 0)
		return;
	client_xfer_hash_hex(x, hex);
	if (x->restored && strcmp(hex, x->pub.sha_hex) != 0) {
		client_xfer_fail(
		    xs, x, "%s changed since it was offered", x->pub.path);
		return;
	}
	if (!x->restored) {
		memcpy(x->pub.sha_hex, hex, sizeof hex);
		client_xfer_keep(xs, x);
	}
	client_xfer_offer_now(xs, x, true, x->restored);
}

/* Send what the window and the connection allow. */
static void
send_some(struct client_xfers *xs, struct xfer *x)
{
	char hdr[256];
	uint64_t left;
	size_t want, n;
	ssize_t got;
	struct proto_writer w;

	while (x->pub.sent < x->pub.size &&
	    x->pub.sent - x->pub.done < CLIENT_XFER_WINDOW &&
	    xs->io.room(xs->io.arg, &x->pub) >= CLIENT_XFER_CHUNK) {
		left = x->pub.size - x->pub.sent;
		want =
		    left < CLIENT_XFER_CHUNK ? (size_t)left : CLIENT_XFER_CHUNK;
		got = pread(x->fd, xs->data, want, (off_t)x->pub.sent);
		if (got != (ssize_t)want) {
			cancel(xs, x,
			    "the file changed while it was "
			    "being sent");
			return;
		}
		proto_writer_init(&w, hdr, sizeof hdr);
		proto_writer_begin(&w, PROTO_V_FDATA);
		proto_writer_str(&w, xs->io.me(xs->io.arg));
		proto_writer_str(&w, x->pub.peer);
		proto_writer_str(&w, x->pub.id);
		proto_writer_u64(&w, x->pub.sent);
		proto_writer_u64(&w, want);
		if (proto_writer_end(&w, &n) != 0 ||
		    xs->io.send(xs->io.arg, &x->pub, hdr, n, xs->data, want) !=
		        0)
			return;
		x->pub.sent += want;
	}
	if (x->pub.sent == x->pub.size && !x->fdone_sent) {
		client_xfer_send_ctl(xs, x, PROTO_V_FDONE, NULL, NULL);
		x->fdone_sent = true;
		x->pub.state = CLIENT_XFER_VERIFYING;
		client_xfer_changed(xs, x);
	}
}

/*
 * Every quarter second: the rate is the bytes of the window's samples over
 * its time, so one slow turn does not read 0 B/s; nothing moved for
 * CLIENT_XFER_STALL_MS is stalled.
 */
static void
rate_sample(struct client_xfers *xs, struct xfer *x, uint64_t now)
{
	unsigned last, slot;
	uint64_t t0, b0;

	if (x->rate_n == 0)
		rate_start(x, now);
	last = (x->rate_n - 1) % CLIENT_XFER_RATE_SAMPLES;
	if (now - x->rate_t[last] < 250)
		return;
	if (x->pub.done != x->rate_b[last])
		x->moved_at = now;
	/* The oldest sample: the one this one takes the place of. */
	slot = x->rate_n % CLIENT_XFER_RATE_SAMPLES;
	t0 = x->rate_t[x->rate_n < CLIENT_XFER_RATE_SAMPLES ? 0 : slot];
	b0 = x->rate_b[x->rate_n < CLIENT_XFER_RATE_SAMPLES ? 0 : slot];
	x->rate_t[slot] = now;
	x->rate_b[slot] = x->pub.done;
	x->rate_n++;
	x->pub.rate = x->pub.done > b0 && now > t0
	    ? (double)(x->pub.done - b0) * 1000.0 / (double)(now - t0)
	    : 0;
	x->pub.stalled = now - x->moved_at >= CLIENT_XFER_STALL_MS;
	client_xfer_changed(xs, x);
}

/* Once per loop turn: hash, send, and measure the rates. */
void
client_xfers_pump(struct client_xfers *xs, uint64_t now)
{
	struct xfer *x;
	size_t i;

	if (xs->part_age > 0 && (xs->swept == 0 || now - xs->swept >= 60000)) {
		xs->swept = now;
		client_xfer_sweep(xs);
	}
	for (i = 0; i < xs->n; i++) {
		x = xs->x[i];
		if (x->relay_at != 0 && net_clock_ms() >= x->relay_at) {
			/* Offline meanwhile: coming back offers it. */
			x->relay_at = 0;
			if (x->pub.state == CLIENT_XFER_PAUSED && xs->online)
				client_xfer_offer_now(xs, x, true, true);
		}
		if (x->pub.state == CLIENT_XFER_HASHING)
			hash_some(xs, x);
		else if (x->pub.state == CLIENT_XFER_ACTIVE &&
		    x->pub.outgoing && route_up(xs, x))
			send_some(xs, x);
		if ((x->pub.state == CLIENT_XFER_ACTIVE ||
		        x->pub.state == CLIENT_XFER_VERIFYING) &&
		    !x->pub.stored)
			rate_sample(xs, x, now);
	}
}
