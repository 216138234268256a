/* SPDX-License-Identifier: MIT */
/*
 * The transfer state machine without sockets: two client_xfers, alice's
 * and bob's, wired back to back through the frame decoder, by two routes:
 * the relay, and (P2P mode) a direct connection.
 */
#include <sys/stat.h>

#include <fcntl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sodium.h>

#include "client/session.h"
#include "client/store.h"
#include "client/xfer.h"
#include "proto/build.h"
#include "proto/frame.h"

enum { RELAY, DIRECT };

/* Frames on their way to the peer by one route. */
struct wire {
	char *buf;
	size_t len, cap;
	size_t total; /* bytes it ever carried */
};

struct side {
	const char *me;
	struct client_xfers *xs;
	struct side *peer;
	struct wire w[2];
	bool p2p; /* offers go direct */
	bool dial_fails; /* an offer's direct connection cannot be made */
	char failed[80]; /* the offer handed back */
	int changes;
	int tamper; /* flip a byte of the Nth FDATA */
	int fdatas;
	const struct client_xfer *last;
};

static int
io_send(void *arg, const struct client_xfer *x, const char *h, size_t n,
    const void *p, size_t m)
{
	struct side *s = arg;
	struct wire *w = &s->w[x->direct ? DIRECT : RELAY];

	if (w->len + n + m > w->cap) {
		w->cap = (w->len + n + m) * 2;
		w->buf = realloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, h, n);
	w->len += n;
	if (m > 0) {
		memcpy(w->buf + w->len, p, m);
		if (strncmp(h, "FDATA", 5) == 0 && ++s->fdatas == s->tamper)
			w->buf[w->len] ^= 1;
		w->len += m;
	}
	w->total += n + m;
	return 0;
}

static int
io_offer(void *arg, const struct client_xfer *x, const char *h, size_t n)
{
	struct side *s = arg;

	if (x->direct && s->dial_fails) {
		/* Handed back later, as the P2P layer would. */
		snprintf(s->failed, sizeof s->failed, "%s", x->id);
		return 0;
	}
	return io_send(arg, x, h, n, NULL, 0);
}

static size_t
io_room(void *arg, const struct client_xfer *x)
{
	struct side *s = arg;
	size_t len = s->w[x->direct ? DIRECT : RELAY].len;

	return len < (256 << 10) ? (256 << 10) - len : 0;
}

static bool
io_direct(void *arg, const char *peer)
{
	(void)peer;
	return ((struct side *)arg)->p2p;
}

static const char *
io_me(void *arg)
{
	return ((struct side *)arg)->me;
}

static void
io_changed(void *arg, const struct client_xfer *x)
{
	struct side *s = arg;

	s->changes++;
	s->last = x;
}

/* Deliver what s sent to its peer, by both routes. */
static void
deliver(struct side *s)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t off, used, len;
	char *buf;
	int r;

	for (r = RELAY; r <= DIRECT; r++) {
		buf = s->w[r].buf;
		len = s->w[r].len;
		s->w[r].buf = NULL;
		s->w[r].len = s->w[r].cap = 0;
		proto_decoder_init(&d, PROTO_MAX_FRAME);
		for (off = 0; off < len; off += used) {
			assert_int_equal(proto_decoder_next(&d, buf + off,
			                     len - off, &fr, &err, &used),
			    PROTO_FRAME);
			client_xfers_frame(s->peer->xs, &fr, r == DIRECT);
		}
		free(buf);
	}
}

/* A connection drops with frames in flight: they are lost. */
static void
drop(struct side *s, int r)
{
	free(s->w[r].buf);
	s->w[r].buf = NULL;
	s->w[r].len = s->w[r].cap = 0;
}

static char dir[256];
static struct side alice, bob;
static struct client_xfer_io alice_io, bob_io;

static void
run(int turns, bool stop_early, uint64_t stop_at)
{
	const struct client_xfer *x;
	int i;

	for (i = 0; i < turns; i++) {
		client_xfers_pump(alice.xs, 0);
		if (stop_early && (x = client_xfers_at(bob.xs, 0)) != NULL &&
		    x->done >= stop_at)
			return;
		deliver(&alice);
		client_xfers_pump(bob.xs, 0);
		deliver(&bob);
	}
}

static int
setup(void **state)
{
	struct client_xfer_io ia = {
	    .arg = &alice,
	    .send = io_send,
	    .offer = io_offer,
	    .room = io_room,
	    .direct = io_direct,
	    .me = io_me,
	    .changed = io_changed,
	};
	struct client_xfer_io ib = ia;
	char dl[300];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	snprintf(dir, sizeof dir, "/tmp/termgram-xfer.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(dl, sizeof dl, "%s/dl", dir);
	ib.arg = &bob;
	alice_io = ia;
	bob_io = ib;
	memset(&alice, 0, sizeof alice);
	memset(&bob, 0, sizeof bob);
	alice.me = "alice";
	bob.me = "bob";
	alice.peer = &bob;
	bob.peer = &alice;
	alice.xs = client_xfers_new(&ia, dir, 0);
	bob.xs = client_xfers_new(&ib, dl, 100 << 20);
	client_xfers_online(alice.xs, true);
	client_xfers_online(bob.xs, true);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	client_xfers_free(alice.xs);
	client_xfers_free(bob.xs);
	drop(&alice, RELAY);
	drop(&alice, DIRECT);
	drop(&bob, RELAY);
	drop(&bob, DIRECT);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *name, size_t size, char *path, size_t plen)
{
	FILE *f;
	char *buf = malloc(size + 1);

	randombytes_buf(buf, size);
	snprintf(path, plen, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_int_equal(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
}

static bool
same(const char *a, const char *b)
{
	char cmd[9000];

	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static void
offer_and_accept(const char *path, char *id)
{
	char err[256];
	const struct client_xfer *x;

	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id, err, sizeof err), 0);
	run(3, false, 0);
	x = client_xfers_find(bob.xs, id);
	assert_non_null(x);
	assert_int_equal(x->state, CLIENT_XFER_INCOMING);
	assert_int_equal(client_xfers_accept(bob.xs, id, err, sizeof err), 0);
}

static void
client_xfer__delivers__identical_file_and_says_verified(void **state)
{
	char path[400], id[80], want[600];
	const struct client_xfer *a, *b;

	(void)state;
	write_file("report 你好.bin", 3 * 1024 * 1024 + 17, path, sizeof path);
	offer_and_accept(path, id);
	run(200, false, 0);
	a = client_xfers_find(alice.xs, id);
	b = client_xfers_find(bob.xs, id);
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE); /* FDONE came back */
	assert_int_equal(b->done, b->size);
	snprintf(want, sizeof want, "%s/dl/report 你好.bin", dir);
	assert_string_equal(b->path, want);
	assert_true(same(path, b->path));
	/* The same name again does not clobber: "report 你好 (1).bin". */
	offer_and_accept(path, id);
	run(200, false, 0);
	b = client_xfers_find(bob.xs, id);
	snprintf(want, sizeof want, "%s/dl/report 你好 (1).bin", dir);
	assert_string_equal(b->path, want);
}

static void
client_xfer__resumes__from_the_part_after_reconnect(void **state)
{
	char path[400], id[80];
	const struct client_xfer *a, *b;
	uint64_t had;

	(void)state;
	write_file("big.bin", 5 * 1024 * 1024, path, sizeof path);
	offer_and_accept(path, id);
	run(1000, true, 2 * 1024 * 1024);
	b = client_xfers_find(bob.xs, id);
	had = b->done;
	assert_true(had >= 2 * 1024 * 1024 && had < 5 * 1024 * 1024);
	/* The connection drops with frames in flight; they are lost. */
	drop(&alice, RELAY);
	client_xfers_online(alice.xs, false);
	client_xfers_online(bob.xs, false);
	assert_int_equal(b->state, CLIENT_XFER_PAUSED);
	client_xfers_online(bob.xs, true);
	client_xfers_online(alice.xs, true); /* offers again */
	run(400, false, 0);
	a = client_xfers_find(alice.xs, id);
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
	/* Only what was missing went again. */
	assert_true(alice.fdatas * 65536 < 5 * 1024 * 1024 + (int)had / 2);
}

static void
client_xfer__refuses__tampered_data_and_removes_part(void **state)
{
	char path[400], id[80], part[600];
	const struct client_xfer *a, *b;
	struct stat st;

	(void)state;
	write_file("doc.txt", 200000, path, sizeof path);
	alice.tamper = 2;
	offer_and_accept(path, id);
	run(100, false, 0);
	a = client_xfers_find(alice.xs, id);
	b = client_xfers_find(bob.xs, id);
	assert_int_equal(b->state, CLIENT_XFER_FAILED);
	assert_non_null(strstr(b->reason, "SHA-256 mismatch"));
	assert_int_equal(a->state, CLIENT_XFER_FAILED);
	assert_non_null(strstr(a->reason, "cancelled by bob"));
	/* Nothing of it stays: no .part, no file. */
	snprintf(part, sizeof part, "%s/dl/.alice-%s.part", dir, id);
	assert_int_not_equal(lstat(part, &st), 0);
	snprintf(part, sizeof part, "%s/dl/doc.txt", dir);
	assert_int_not_equal(stat(part, &st), 0);
}

static void
client_xfer__handles__empty_file_reject_and_limit(void **state)
{
	char path[400], id[80], err[256];
	const struct client_xfer *a, *b;
	struct stat st;

	(void)state;
	write_file("empty", 0, path, sizeof path);
	offer_and_accept(path, id);
	run(20, false, 0);
	b = client_xfers_find(bob.xs, id);
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(stat(b->path, &st), 0);
	assert_int_equal(st.st_size, 0);

	write_file("unwanted", 10, path, sizeof path);
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id, err, sizeof err), 0);
	run(3, false, 0);
	assert_int_equal(client_xfers_reject(bob.xs, id, "no thanks"), 0);
	run(3, false, 0);
	a = client_xfers_find(alice.xs, id);
	assert_int_equal(a->state, CLIENT_XFER_FAILED);
	assert_string_equal(a->reason, "rejected by bob: no thanks");

	/* Over the receiver's limit (100 MiB here): refused with a reason.
	 * The file is sparse, so this costs no disk. */
	snprintf(path, sizeof path, "%s/huge", dir);
	{
		FILE *f = fopen(path, "w");
		fclose(f);
		assert_int_equal(truncate(path, 200 << 20), 0);
	}
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id, err, sizeof err), 0);
	run(40, false, 0); /* 200 MiB hash at 8 MiB a turn */
	a = client_xfers_find(alice.xs, id);
	assert_int_equal(a->state, CLIENT_XFER_FAILED);
	assert_non_null(strstr(a->reason, "limit"));

	/* Paths that are no file are refused before any offer. */
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", dir, id, err, sizeof err), -1);
	assert_string_equal(err, "a directory, not a file");
	assert_int_equal(client_xfers_offer(alice.xs, "bob", "/nonexistent", id,
	                     err, sizeof err),
	    -1);
	assert_string_equal(err, "no such file");
}

static void
client_xfer__goes_direct__and_the_relay_carries_nothing(void **state)
{
	char path[400], id[80];
	const struct client_xfer *a, *b;

	(void)state;
	alice.p2p = true;
	write_file("direct.bin", 3 * 1024 * 1024 + 5, path, sizeof path);
	offer_and_accept(path, id);
	a = client_xfers_find(alice.xs, id);
	b = client_xfers_find(bob.xs, id);
	assert_true(a->direct);
	assert_true(b->direct); /* it follows the offer */
	run(10, false, 0);
	/* The relay going away does not stop a direct transfer. */
	client_xfers_online(alice.xs, false);
	client_xfers_online(bob.xs, false);
	assert_int_equal(a->state, CLIENT_XFER_ACTIVE);
	assert_int_equal(b->state, CLIENT_XFER_ACTIVE);
	run(200, false, 0);
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
	assert_int_equal(alice.w[RELAY].total, 0);
	assert_int_equal(bob.w[RELAY].total, 0);
	assert_true(alice.w[DIRECT].total > 3 * 1024 * 1024);
}

static void
client_xfer__resumes__by_the_relay_when_the_direct_connection_ends(void **state)
{
	char path[400], id[80];
	const struct client_xfer *a, *b;
	uint64_t had;

	(void)state;
	alice.p2p = true;
	write_file("cut.bin", 5 * 1024 * 1024, path, sizeof path);
	offer_and_accept(path, id);
	run(1000, true, 2 * 1024 * 1024);
	a = client_xfers_find(alice.xs, id);
	b = client_xfers_find(bob.xs, id);
	had = b->done;
	assert_true(had >= 2 * 1024 * 1024 && had < 5 * 1024 * 1024);
	/* The direct connection breaks with data in flight, and bob cannot
	 * be reached directly any more. */
	drop(&alice, DIRECT);
	drop(&bob, DIRECT);
	alice.p2p = false;
	client_xfers_direct_lost(bob.xs, "alice");
	assert_int_equal(b->state, CLIENT_XFER_PAUSED);
	assert_false(b->direct);
	assert_non_null(strstr(b->reason, "waiting for alice"));
	client_xfers_direct_lost(alice.xs, "bob");
	assert_int_equal(a->state, CLIENT_XFER_OFFERED);
	assert_false(a->direct);
	run(400, false, 0);
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
	/* The relay carried only what was missing. */
	assert_true(alice.w[RELAY].total < 5 * 1024 * 1024 - had + 65536);
	assert_true(alice.w[RELAY].total > 5 * 1024 * 1024 - had);
}

static void
client_xfer__offers_by_the_relay__when_no_direct_connection_is_made(
    void **state)
{
	char path[400], id[80], err[256];
	const struct client_xfer *a, *b;

	(void)state;
	alice.p2p = true;
	alice.dial_fails = true;
	write_file("fallback.txt", 300000, path, sizeof path);
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id, err, sizeof err), 0);
	run(3, false, 0);
	assert_string_equal(alice.failed, id);
	assert_null(client_xfers_find(bob.xs, id));
	assert_false(client_xfers_direct_failed(alice.xs, "m-not-a-transfer"));
	assert_true(client_xfers_direct_failed(alice.xs, id));
	a = client_xfers_find(alice.xs, id);
	assert_false(a->direct);
	assert_int_equal(a->state, CLIENT_XFER_OFFERED);
	run(3, false, 0);
	b = client_xfers_find(bob.xs, id);
	assert_non_null(b);
	assert_false(b->direct);
	assert_int_equal(client_xfers_accept(bob.xs, id, err, sizeof err), 0);
	run(50, false, 0);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
	assert_int_equal(alice.w[DIRECT].total, 0);
}

/* s's client quits and starts again: a new client_xfers over the same
 * folder, with the store st (or none), online again. */
static void
restart(struct side *s, uint64_t max, struct client_store *st)
{
	const char *sub = s == &bob ? "/dl" : "";
	char d[300];

	client_xfers_free(s->xs);
	drop(s, RELAY);
	drop(s, DIRECT);
	snprintf(d, sizeof d, "%s%s", dir, sub);
	s->xs = client_xfers_new(s == &bob ? &bob_io : &alice_io, d, max);
	client_xfers_attach(s->xs, st, 0);
}

/* A hostile alice sends an offer of her own making to bob. */
static void
forge_offer(const char *id, uint64_t size, const char *sha, const char *name)
{
	struct client_xfer x = {.direct = false};
	struct proto_writer w;
	char buf[2048];
	size_t n;

	proto_writer_init(&w, buf, sizeof buf);
	proto_writer_begin(&w, PROTO_V_FOFFER);
	proto_writer_str(&w, "alice");
	proto_writer_str(&w, "bob");
	proto_writer_str(&w, id);
	proto_writer_u64(&w, size);
	proto_writer_str(&w, sha);
	proto_writer_b64(&w, name, strlen(name));
	assert_int_equal(proto_writer_end(&w, &n), 0);
	io_send(&alice, &x, buf, n, NULL, 0);
	deliver(&alice);
}

static bool
exists(const char *name)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof p, "%s/dl/%s", dir, name);
	return lstat(p, &st) == 0;
}

static void
part_name(const char *from, const char *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s/dl/.%s-%s.part", dir, from, id);
}

/* Start a transfer of a file of size bytes and stop at about at. */
static const struct client_xfer *
half_way(const char *name, size_t size, uint64_t at, char *path, char *id)
{
	const struct client_xfer *b;

	int i;

	write_file(name, size, path, 400);
	offer_and_accept(path, id);
	b = client_xfers_find(bob.xs, id);
	for (i = 0; i < 1000 && b->done < at; i++) {
		client_xfers_pump(alice.xs, 0);
		if (b->done >= at)
			break;
		deliver(&alice);
		client_xfers_pump(bob.xs, 0);
		deliver(&bob);
	}
	assert_true(b->done >= at && b->done < size);
	return b;
}

static void
client_xfer__refuses__a_reoffer_of_a_kept_part_under_a_new_name(void **state)
{
	char path[400], id[80], part[600], sha[65];
	const struct client_xfer *a, *b;
	struct stat st;

	(void)state;
	b = half_way("notes.txt", 3 << 20, 1 << 20, path, id);
	a = client_xfers_find(alice.xs, id);
	snprintf(sha, sizeof sha, "%s", a->sha_hex);
	/* bob quits with the .part kept, and starts again without
	 * --accept-files; alice offers the same id under a new name. */
	restart(&bob, 100 << 20, NULL);
	client_xfers_online(bob.xs, true);
	part_name("alice", id, part, sizeof part);
	assert_int_equal(stat(part, &st), 0);
	forge_offer(id, a->size, sha, "run-me.sh");
	b = client_xfers_find(bob.xs, id);
	assert_non_null(b);
	printf("re-offer as run-me.sh after a restart: %s\n",
	    b->state == CLIENT_XFER_INCOMING ? "waits for the user"
	                                     : "taken without consent");
	assert_int_equal(b->state, CLIENT_XFER_INCOMING);
	run(100, false, 0);
	assert_false(exists("run-me.sh"));
	assert_int_equal(b->state, CLIENT_XFER_INCOMING);
}

static void
client_xfer__resumes__only_the_file_accepted_before_a_restart(void **state)
{
	char path[400], id[80], data[300], err[256];
	const struct client_xfer *a, *b;
	struct client_store *st;
	uint64_t had, before;

	(void)state;
	snprintf(data, sizeof data, "%s/bobdata", dir);
	st = client_store_open(data, err, sizeof err);
	assert_non_null(st);
	client_xfers_attach(bob.xs, st, 0);
	b = half_way("kept.bin", 4 << 20, 1 << 20, path, id);
	had = b->done;
	a = client_xfers_find(alice.xs, id);
	assert_int_equal(client_store_commit(st), 0);
	/* Both lose the relay; bob quits and starts again. */
	drop(&alice, RELAY);
	client_xfers_online(alice.xs, false);
	restart(&bob, 100 << 20, st);
	b = client_xfers_find(bob.xs, id);
	assert_non_null(b);
	assert_int_equal(b->state, CLIENT_XFER_PAUSED);
	/* Another file under that id is refused; the .part stays. */
	forge_offer(id, a->size, a->sha_hex, "run-me.sh");
	assert_int_equal(b->state, CLIENT_XFER_PAUSED);
	assert_non_null(strstr(bob.w[RELAY].buf, "FREJECT"));
	drop(&bob, RELAY);
	/* The real one resumes by itself from what bob had. */
	before = alice.w[RELAY].total;
	client_xfers_online(bob.xs, true);
	client_xfers_online(alice.xs, true);
	run(400, false, 0);
	printf("receiver restart at %llu of %llu bytes: %s, %llu bytes sent "
	       "again\n",
	    (unsigned long long)had, (unsigned long long)b->size,
	    b->state == CLIENT_XFER_DONE ? "resumed and verified" : "stuck",
	    (unsigned long long)(alice.w[RELAY].total - before));
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
	assert_true(
	    alice.w[RELAY].total - before < (4 << 20) - had + 65536 * 2);
	assert_false(exists("run-me.sh"));
	client_xfers_attach(bob.xs, NULL, 0);
	client_store_close(st);
}

static void
client_xfer__resumes__after_the_sender_restarts(void **state)
{
	char path[400], id[80], data[300], err[256];
	const struct client_xfer *a, *b;
	struct client_store *st;

	(void)state;
	snprintf(data, sizeof data, "%s/alicedata", dir);
	st = client_store_open(data, err, sizeof err);
	assert_non_null(st);
	client_xfers_attach(alice.xs, st, 0);
	b = half_way("sent.bin", 4 << 20, 1 << 20, path, id);
	assert_int_equal(client_store_commit(st), 0);
	/* alice quits in the middle and starts again. */
	restart(&alice, 0, st);
	a = client_xfers_find(alice.xs, id);
	assert_non_null(a);
	client_xfers_online(alice.xs, true);
	run(400, false, 0);
	printf("sender restart: receiver %s\n",
	    b->state == CLIENT_XFER_DONE ? "verified the file" : "is stuck");
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
	client_xfers_attach(alice.xs, NULL, 0);
	client_store_close(st);
}

static void
client_xfer__resumes__when_only_the_receiver_reconnects(void **state)
{
	char path[400], id[80];
	const struct client_xfer *a, *b;
	uint64_t had;

	(void)state;
	b = half_way("long.bin", 6 << 20, 3 << 19, path, id);
	had = b->done;
	a = client_xfers_find(alice.xs, id);
	/* bob's connection drops with a window in flight; alice's stays
	 * and she never hears of it. bob comes back. */
	drop(&alice, RELAY);
	client_xfers_online(bob.xs, false);
	assert_int_equal(b->state, CLIENT_XFER_PAUSED);
	client_xfers_online(bob.xs, true);
	run(400, false, 0);
	printf("receiver reconnected at %llu of %llu bytes (%.0f %%): %s\n",
	    (unsigned long long)had, (unsigned long long)b->size,
	    100.0 * (double)had / (double)b->size,
	    b->state == CLIENT_XFER_DONE ? "resumed by the receiver's ask"
	                                 : "stuck");
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	assert_int_equal(a->state, CLIENT_XFER_DONE);
	assert_true(same(path, b->path));
}

static void
client_xfer__never_follows__a_planted_link(void **state)
{
	char path[400], id[80], err[256], victim[400], link_at[600];
	char want[600], got[32] = "";
	const struct client_xfer *b;
	FILE *f;

	(void)state;
	snprintf(victim, sizeof victim, "%s/victim", dir);
	f = fopen(victim, "w");
	fputs("precious", f);
	fclose(f);
	write_file("doc.bin", 300000, path, sizeof path);
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id, err, sizeof err), 0);
	/* Links where the .part and the final file will be. */
	snprintf(link_at, sizeof link_at, "%s/dl", dir);
	mkdir(link_at, 0700);
	part_name("alice", id, link_at, sizeof link_at);
	assert_int_equal(symlink(victim, link_at), 0);
	snprintf(link_at, sizeof link_at, "%s/dl/doc.bin", dir);
	assert_int_equal(symlink(victim, link_at), 0);
	run(3, false, 0);
	assert_int_equal(client_xfers_accept(bob.xs, id, err, sizeof err), 0);
	run(100, false, 0);
	f = fopen(victim, "r");
	assert_non_null(fgets(got, sizeof got, f));
	fclose(f);
	printf("planted .part link: its target now holds '%s'\n", got);
	assert_string_equal(got, "precious");
	b = client_xfers_find(bob.xs, id);
	assert_int_equal(b->state, CLIENT_XFER_DONE);
	snprintf(want, sizeof want, "%s/dl/doc (1).bin", dir);
	assert_string_equal(b->path, want);
	assert_true(same(path, b->path));
}

static void
client_xfer__refuses__huge_and_lying_sizes(void **state)
{
	static const char sha[] = "00000000000000000000000000000000"
	                          "00000000000000000000000000000000";
	struct client_config cfg;
	const struct client_xfer *b;

	(void)state;
	client_config_defaults(&cfg);
	assert_int_equal(cfg.max_file_size, 4ULL << 30);
	/* No limit set: the free space still refuses 2^63 bytes. */
	restart(&bob, 0, NULL);
	client_xfers_online(bob.xs, true);
	forge_offer("f1", 1ULL << 63, sha, "huge.iso");
	b = client_xfers_find(bob.xs, "f1");
	printf("offer of 2^63 bytes: %s (%s)\n",
	    b->state == CLIENT_XFER_FAILED ? "refused" : "accepted", b->reason);
	assert_int_equal(b->state, CLIENT_XFER_FAILED);
	assert_non_null(strstr(b->reason, "free disk space"));
	assert_non_null(strstr(bob.w[RELAY].buf, "FREJECT|bob|alice|f1|"));
	drop(&bob, RELAY);
	/* The default limit. */
	restart(&bob, cfg.max_file_size, NULL);
	client_xfers_online(bob.xs, true);
	forge_offer("f2", 5ULL << 30, sha, "big.iso");
	b = client_xfers_find(bob.xs, "f2");
	assert_int_equal(b->state, CLIENT_XFER_FAILED);
	assert_non_null(strstr(b->reason, "limit of 4294967296 bytes"));
}

static void
client_xfer__removes_the_part__on_cancel_either_side(void **state)
{
	char path[400], id[80], part[600];
	const struct client_xfer *a, *b;

	(void)state;
	b = half_way("c1.bin", 3 << 20, 1 << 20, path, id);
	part_name("alice", id, part, sizeof part);
	assert_true(exists(strrchr(part, '/') + 1));
	assert_int_equal(client_xfers_cancel(bob.xs, id, "changed my mind"), 0);
	assert_false(exists(strrchr(part, '/') + 1));
	run(3, false, 0);
	/* alice cancels while bob is away: he hears of it when he comes
	 * back and asks for the rest. */
	b = half_way("c2.bin", 3 << 20, 1 << 20, path, id);
	a = client_xfers_find(alice.xs, id);
	part_name("alice", id, part, sizeof part);
	client_xfers_online(bob.xs, false);
	assert_int_equal(client_xfers_cancel(alice.xs, id, "oops"), 0);
	drop(&alice, RELAY);
	assert_true(exists(strrchr(part, '/') + 1));
	client_xfers_online(bob.xs, true);
	run(5, false, 0);
	printf("cancelled while away: receiver %s, .part %s\n",
	    b->state == CLIENT_XFER_FAILED ? "told" : "not told",
	    exists(strrchr(part, '/') + 1) ? "kept" : "removed");
	assert_int_equal(a->state, CLIENT_XFER_FAILED);
	assert_int_equal(b->state, CLIENT_XFER_FAILED);
	assert_false(exists(strrchr(part, '/') + 1));
}

/* Make path look untouched for an age of s seconds. */
static void
age(const char *path, int s)
{
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= s;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
}

static void
client_xfer__sweeps__stalled_parts(void **state)
{
	char path[400], id[80], p[600];
	const struct client_xfer *a, *b;
	int gone = 0;
	FILE *f;

	(void)state;
	b = half_way("stall.bin", 3 << 20, 1 << 20, path, id);
	a = client_xfers_find(alice.xs, id);
	client_xfers_attach(bob.xs, NULL, 3600);
	/* Its .part is not written for two hours, nor are two others. */
	part_name("alice", id, p, sizeof p);
	age(p, 7200);
	part_name("carol", "fdead", p, sizeof p);
	f = fopen(p, "w");
	fclose(f);
	age(p, 7200);
	part_name("dave", "fbeef", p, sizeof p);
	assert_int_equal(symlink("/nonexistent", p), 0);
	age(p, 7200);
	part_name("erin", "ffresh", p, sizeof p);
	f = fopen(p, "w");
	fclose(f);
	snprintf(p, sizeof p, "%s/dl/old.txt", dir);
	f = fopen(p, "w");
	fclose(f);
	age(p, 7200);
	client_xfers_pump(bob.xs, 1);
	gone += !exists(".carol-fdead.part") + !exists(".dave-fbeef.part");
	gone += !exists(strrchr(p, '/') + 1) ? 100 : 0;
	printf("sweep after 3600 s: %d stale .part removed, fresh kept: %s\n",
	    gone, exists(".erin-ffresh.part") ? "yes" : "no");
	assert_int_equal(gone, 2);
	assert_true(exists(".erin-ffresh.part"));
	assert_true(exists("old.txt"));
	assert_int_equal(b->state, CLIENT_XFER_FAILED);
	assert_non_null(strstr(b->reason, "stalled"));
	deliver(&bob);
	assert_int_equal(a->state, CLIENT_XFER_FAILED);
}

struct name_case {
	const char *in;
	const char *out;
};

static void
client_xfer__neutralises__names_from_the_wire(void **state)
{
	static const struct name_case cases[] = {
	    {"report.pdf", "report.pdf"},
	    {"../../etc/passwd", "passwd"},
	    {"C:\\Windows\\evil.exe", "evil.exe"},
	    {".bashrc", "bashrc"},
	    {"..", "file"},
	    {"", "file"},
	    {"a\x01"
	     "b\x1b[31m.txt",
	        "a_b_[31m.txt"},
	    {"  spaced  ", "spaced"},
	    {"你好 世界.png", "你好 世界.png"},
	    {"invoice\u202etxt.exe", "invoice_txt.exe"},
	    {"a\u202ab\u202cc\u2066d\u2069e", "a_b_c_d_e"},
	    {"x\u200ey\u200fz\u061c.txt", "x_y_z_.txt"},
	    {"c1\xc2\x85\xc2\x9b.txt", "c1__.txt"},
	    {"bad\xff\xc3utf8", "bad__utf8"},
	    {"-rf", "rf"},
	    {"--help.txt", "help.txt"},
	    {"..-.hidden", "hidden"},
	    {"CON", "_CON"},
	    {"nul.txt", "_nul.txt"},
	    {"Aux.tar.gz", "_Aux.tar.gz"},
	    {"COM1", "_COM1"},
	    {"lpt9.doc", "_lpt9.doc"},
	    {"COM0", "COM0"},
	    {"CONSOLE.txt", "CONSOLE.txt"},
	    {"dir/NUL", "_NUL"},
	    {"trailing. . ", "trailing"},
	    {"tab\tnew\nline", "tab_new_line"},
	};
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		client_xfer_safe_name(
		    cases[i].in, strlen(cases[i].in), out, sizeof out);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' became '%s', expected '%s'", cases[i].in,
			    out, cases[i].out);
	}
	/* Long names are cut on a character boundary. */
	{
		char in[400] = "";
		for (i = 0; i < 100; i++)
			strcat(in, "你");
		client_xfer_safe_name(in, strlen(in), out, sizeof out);
		assert_true(strlen(out) <= 200);
		assert_int_equal(strlen(out) % 3, 0);
	}
}

/* One frame, as the relay would send it, to xs. */
static void
feed(struct client_xfers *xs, const char *line)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t used;

	proto_decoder_init(&d, PROTO_MAX_FRAME);
	assert_int_equal(
	    proto_decoder_next(&d, line, strlen(line), &fr, &err, &used),
	    PROTO_FRAME);
	client_xfers_frame(xs, &fr, false);
}

static bool bob_away;

/* Whether w carries text. */
static bool
carries(const struct wire *w, const char *text)
{
	size_t n = strlen(text), i;

	for (i = 0; i + n <= w->len; i++)
		if (memcmp(w->buf + i, text, n) == 0)
			return true;
	return false;
}

static bool
io_peer_away(void *arg, const char *peer)
{
	(void)arg;
	(void)peer;
	return bob_away;
}

/*
 * bob has part of a file and goes offline: alice's offer after her
 * reconnect waits for him (the relay would store the file from 0 for
 * him) and goes out when he is back; a new offer goes out at once.
 */
static void
client_xfer__waits_for_a_receiver_with_a_part__not_the_relay(void **state)
{
	char path[300], id[65], id2[65], err[256];
	const struct client_xfer *x;

	(void)state;
	client_xfers_free(alice.xs);
	alice_io.peer_away = io_peer_away;
	alice.xs = client_xfers_new(&alice_io, dir, 0);
	client_xfers_online(alice.xs, true);
	bob_away = false;
	write_file("part.bin", 3 << 20, path, sizeof path);
	offer_and_accept(path, id);
	run(4, true, 1 << 20);
	drop(&alice, RELAY);
	client_xfers_online(alice.xs, false);
	bob_away = true;
	client_xfers_online(alice.xs, true);
	x = client_xfers_find(alice.xs, id);
	assert_int_equal(x->state, CLIENT_XFER_PAUSED);
	assert_string_equal(x->reason, "waiting for bob to come back");
	assert_int_equal(alice.w[RELAY].len, 0); /* no offer went */
	/* A new file for bob, away, is offered: the relay may keep it. */
	write_file("new.bin", 1000, path, sizeof path);
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id2, err, sizeof err), 0);
	client_xfers_pump(alice.xs, 0);
	client_xfers_pump(alice.xs, 0);
	assert_true(carries(&alice.w[RELAY], "FOFFER|alice|bob|"));
	drop(&alice, RELAY);
	bob_away = false;
	client_xfers_peer_online(alice.xs, "bob");
	assert_int_equal(x->state, CLIENT_XFER_OFFERED);
	assert_true(carries(&alice.w[RELAY], id));
	alice_io.peer_away = NULL;
}

/*
 * bob is offline and the relay takes the file (docs/protocol.md "Files
 * stored on the relay"): its ACK|<xfer>|stored leaves the upload "stored
 * on the relay", never stalled; bob's FDONE, passed on later, makes it
 * done.
 */
static void
client_xfer__stored_on_the_relay__then_delivered(void **state)
{
	char path[300], id[65], line[200];
	const struct client_xfer *x;
	int i;

	(void)state;
	write_file("kept.bin", 300000, path, sizeof path);
	assert_int_equal(
	    client_xfers_offer(alice.xs, "bob", path, id, line, sizeof line),
	    0);
	for (i = 0; i < 10; i++) {
		client_xfers_pump(alice.xs, 0);
		drop(&alice, RELAY);
	}
	x = client_xfers_find(alice.xs, id);
	assert_int_equal(x->state, CLIENT_XFER_OFFERED);
	/* An ACK for a transfer we do not have is not ours. */
	assert_false(
	    client_xfers_stored(alice.xs, (struct proto_slice){"nope", 4}));
	snprintf(line, sizeof line, "FACCEPT|bob|alice|%s|0\n", id);
	feed(alice.xs, line);
	for (i = 0; i < 10; i++) {
		client_xfers_pump(alice.xs, 0);
		drop(&alice, RELAY);
	}
	assert_int_equal(x->state, CLIENT_XFER_VERIFYING);
	assert_false(x->stored);
	assert_true(client_xfers_stored(
	    alice.xs, (struct proto_slice){id, strlen(id)}));
	assert_int_equal(x->state, CLIENT_XFER_VERIFYING);
	assert_true(x->stored);
	assert_int_equal(x->done, 300000);
	client_xfers_pump(alice.xs, 60000);
	assert_false(x->stalled);
	snprintf(line, sizeof line, "FDONE|bob|alice|%s\n", id);
	feed(alice.xs, line);
	assert_int_equal(x->state, CLIENT_XFER_DONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        client_xfer__delivers__identical_file_and_says_verified, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__resumes__from_the_part_after_reconnect, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__refuses__tampered_data_and_removes_part, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__handles__empty_file_reject_and_limit, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__goes_direct__and_the_relay_carries_nothing, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__resumes__by_the_relay_when_the_direct_connection_ends,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__offers_by_the_relay__when_no_direct_connection_is_made,
	        setup, teardown),
	    cmocka_unit_test(client_xfer__neutralises__names_from_the_wire),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__stored_on_the_relay__then_delivered, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__waits_for_a_receiver_with_a_part__not_the_relay,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__refuses__a_reoffer_of_a_kept_part_under_a_new_name,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__resumes__only_the_file_accepted_before_a_restart,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__resumes__after_the_sender_restarts, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__resumes__when_only_the_receiver_reconnects, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__never_follows__a_planted_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__refuses__huge_and_lying_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__removes_the_part__on_cancel_either_side, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_xfer__sweeps__stalled_parts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
