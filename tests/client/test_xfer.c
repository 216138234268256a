/*
 * The transfer state machine without sockets: two client_xfers, alice's
 * and bob's, wired back to back through the frame decoder, by two routes:
 * the relay, and (P2P mode) a direct connection.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sodium.h>

#include "client/xfer.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
