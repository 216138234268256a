/* SPDX-License-Identifier: MIT */
/*
 * The outbox without sockets: the window, the direct way and its own
 * window, sending again after a lost connection, settling by the route a
 * receipt came by, and failing for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_log.h"

#include "client/outbox.h"

/* Everything the outbox asked for, one line each, in order. */
struct fake {
	char log[8192];
	bool relay_full; /* the relay connection refuses writes */
	bool direct; /* peers may be reached directly */
	bool direct_fails; /* the direct way refuses */
	struct client_outbox *gone; /* the write finds the peer gone */
};

#define logf_(f, ...)                                                          \
	fake_log(((struct fake *)(f))->log, sizeof((struct fake *)(f))->log,   \
	    __VA_ARGS__)

/* The id of a MSG frame (MSG|from|to|ts|id|body), as id_len bytes. */
static const char *
msg_id(const char *p, size_t n, int *id_len)
{
	size_t i, start = 0, bars = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '|')
			continue;
		if (++bars == 4)
			start = i + 1;
		else if (bars == 5)
			break;
	}
	*id_len = (int)(i - start);
	return p + start;
}

static int
fk_relay(void *arg, const char *p, size_t n)
{
	struct fake *f = arg;

	const char *id;
	int len;

	if (f->relay_full)
		return -1;
	id = msg_id(p, n, &len);
	logf_(f, "relay %.*s\n", len, id);
	return 0;
}

static bool
fk_may_direct(void *arg, const char *to)
{
	(void)to;
	return ((struct fake *)arg)->direct;
}

static int
fk_direct(void *arg, const char *to, const char *id, const char *p, size_t n)
{
	struct fake *f = arg;

	const char *fid;
	int len;

	if (f->direct_fails)
		return -1;
	fid = msg_id(p, n, &len);
	assert_int_equal(strlen(id), len);
	assert_memory_equal(id, fid, len);
	logf_(f, "direct %s %s\n", to, id);
	/* The connection ends inside the write: the id comes back at once. */
	if (f->gone != NULL)
		assert_int_equal(client_outbox_fallback(f->gone, id), 0);
	return 0;
}

static const char *const states[] = {
    "pending", "stored", "delivered", "read", "failed", "received", "seen"};

static void
fk_settled(void *arg, const char *to, const char *id, enum client_msg_state st,
    bool direct)
{
	logf_(arg, "settled %s %s %s%s\n", to != NULL ? to : "?", id,
	    states[st], direct ? " direct" : "");
}

static struct fake fk;
static const struct client_outbox_io io = {
    .arg = &fk,
    .send_relay = fk_relay,
    .may_direct = fk_may_direct,
    .send_direct = fk_direct,
    .settled = fk_settled,
};

static int
reset(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	return 0;
}

/* Queue message id for bob. */
static void
add(struct client_outbox *ob, const char *id)
{
	client_outbox_add(ob, id, "bob", 1000, "hi", 2);
}

/* What was asked since the last look, then forget it. */
static void
expect(const char *want)
{
	assert_string_equal(fk.log, want);
	fk.log[0] = '\0';
}

static void
client_outbox__pump__sends_no_more_than_the_window(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 2);

	(void)state;
	add(ob, "m1");
	add(ob, "m2");
	add(ob, "m3");
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\nrelay m2\n");
	client_outbox_pump(ob, "alice", 4096);
	expect("");
	client_outbox_settle(
	    ob, "m1", NULL, CLIENT_MSG_STORED, CLIENT_ROUTE_RELAY);
	expect("settled bob m1 stored\n");
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m3\n");
	assert_int_equal(client_outbox_len(ob), 2);
	client_outbox_free(ob);
}

static void
client_outbox__pump__stops_while_the_relay_refuses(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	add(ob, "m1");
	add(ob, "m2");
	fk.relay_full = true;
	client_outbox_pump(ob, "alice", 4096);
	expect("");
	fk.relay_full = false;
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\nrelay m2\n");
	client_outbox_free(ob);
}

static void
client_outbox__lost__sends_again_what_the_relay_had_not_confirmed(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	add(ob, "m1");
	add(ob, "m2");
	client_outbox_pump(ob, "alice", 4096);
	client_outbox_settle(
	    ob, "m1", NULL, CLIENT_MSG_STORED, CLIENT_ROUTE_RELAY);
	expect("relay m1\nrelay m2\nsettled bob m1 stored\n");
	client_outbox_lost(ob);
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m2\n");
	client_outbox_free(ob);
}

static void
client_outbox__lost__leaves_direct_messages_to_their_peer(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	fk.direct = true;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 4096);
	expect("direct bob m1\n");
	client_outbox_lost(ob);
	client_outbox_pump(ob, "alice", 4096);
	expect("");
	client_outbox_free(ob);
}

static void
client_outbox__settle__marks_direct_only_when_the_peer_confirms(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	fk.direct = true;
	add(ob, "m1");
	add(ob, "m2");
	client_outbox_pump(ob, "alice", 4096);
	expect("direct bob m1\ndirect bob m2\n");
	/* The relay's copy of a receipt says nothing of the way. */
	client_outbox_settle(
	    ob, "m1", "bob", CLIENT_MSG_DELIVERED, CLIENT_ROUTE_RELAY);
	client_outbox_settle(
	    ob, "m2", "bob", CLIENT_MSG_DELIVERED, CLIENT_ROUTE_DIRECT);
	expect("settled bob m1 delivered\nsettled bob m2 delivered direct\n");
	/* A later receipt for a message no longer here. */
	client_outbox_settle(
	    ob, "m2", "bob", CLIENT_MSG_READ, CLIENT_ROUTE_DIRECT);
	expect("settled bob m2 read\n");
	client_outbox_settle(
	    ob, "m2", NULL, CLIENT_MSG_READ, CLIENT_ROUTE_RELAY);
	expect("settled ? m2 read\n");
	client_outbox_free(ob);
}

static void
client_outbox__settle__relay_message_is_never_direct(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 4096);
	client_outbox_settle(
	    ob, "m1", "bob", CLIENT_MSG_DELIVERED, CLIENT_ROUTE_DIRECT);
	expect("relay m1\nsettled bob m1 delivered\n");
	client_outbox_free(ob);
}

static void
client_outbox__settle__ignores_a_receipt_from_anyone_but_the_recipient(
    void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\n");
	assert_false(client_outbox_settle(
	    ob, "m1", "mallory", CLIENT_MSG_READ, CLIENT_ROUTE_RELAY));
	assert_false(client_outbox_settle(
	    ob, "m1", "mallory", CLIENT_MSG_DELIVERED, CLIENT_ROUTE_DIRECT));
	expect("");
	assert_int_equal(client_outbox_len(ob), 1);
	/* The recipient's own receipt, in any case, settles it. */
	assert_true(client_outbox_settle(
	    ob, "m1", "BOB", CLIENT_MSG_DELIVERED, CLIENT_ROUTE_RELAY));
	expect("settled bob m1 delivered\n");
	client_outbox_free(ob);
}

static void
client_outbox__pump__direct_has_its_own_window(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 1);

	(void)state;
	fk.direct = true;
	add(ob, "m1");
	add(ob, "m2");
	client_outbox_pump(ob, "alice", 4096);
	/* m2 waits for the direct window; it does not take the relay's. */
	expect("direct bob m1\n");
	client_outbox_free(ob);
}

static void
client_outbox__fallback__sends_by_the_relay(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	fk.direct = true;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 4096);
	expect("direct bob m1\n");
	assert_int_equal(client_outbox_fallback(ob, "m1"), 0);
	assert_int_equal(client_outbox_fallback(ob, "nope"), -1);
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\n");
	client_outbox_free(ob);
}

static void
client_outbox__fallback__inside_the_direct_write__still_goes(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	fk.direct = true;
	fk.gone = ob;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 4096);
	expect("direct bob m1\n");
	fk.gone = NULL;
	/* It must not stay "sent directly" with no peer to settle it. */
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\n");
	client_outbox_free(ob);
}

static void
client_outbox__pump__uses_the_relay_when_direct_fails(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	fk.direct = true;
	fk.direct_fails = true;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\n");
	client_outbox_free(ob);
}

static void
client_outbox__refused__again_resends_else_fails(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 1);

	(void)state;
	add(ob, "m1");
	add(ob, "m2");
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\n");
	assert_int_equal(client_outbox_refused(ob, "m1", true), 0);
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m1\n");
	assert_int_equal(client_outbox_refused(ob, "m1", false), 0);
	expect("settled bob m1 failed\n");
	/* Its place in the window is free again. */
	client_outbox_pump(ob, "alice", 4096);
	expect("relay m2\n");
	assert_int_equal(client_outbox_refused(ob, "m1", false), -1);
	assert_int_equal(client_outbox_len(ob), 1);
	client_outbox_free(ob);
}

static void
client_outbox__pump__fails_what_cannot_be_framed(void **state)
{
	struct client_outbox *ob = client_outbox_new(&io, 8);

	(void)state;
	add(ob, "m1");
	client_outbox_pump(ob, "alice", 16);
	expect("settled bob m1 failed\n");
	assert_int_equal(client_outbox_len(ob), 0);
	assert_false(client_outbox_has(ob, "m1", 2));
	client_outbox_free(ob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(
	        client_outbox__pump__sends_no_more_than_the_window, reset),
	    cmocka_unit_test_setup(
	        client_outbox__pump__stops_while_the_relay_refuses, reset),
	    cmocka_unit_test_setup(
	        client_outbox__lost__sends_again_what_the_relay_had_not_confirmed,
	        reset),
	    cmocka_unit_test_setup(
	        client_outbox__lost__leaves_direct_messages_to_their_peer,
	        reset),
	    cmocka_unit_test_setup(
	        client_outbox__settle__marks_direct_only_when_the_peer_confirms,
	        reset),
	    cmocka_unit_test_setup(
	        client_outbox__settle__relay_message_is_never_direct, reset),
	    cmocka_unit_test_setup(
	        client_outbox__settle__ignores_a_receipt_from_anyone_but_the_recipient,
	        reset),
	    cmocka_unit_test_setup(
	        client_outbox__pump__direct_has_its_own_window, reset),
	    cmocka_unit_test_setup(
	        client_outbox__fallback__sends_by_the_relay, reset),
	    cmocka_unit_test_setup(
	        client_outbox__fallback__inside_the_direct_write__still_goes,
	        reset),
	    cmocka_unit_test_setup(
	        client_outbox__pump__uses_the_relay_when_direct_fails, reset),
	    cmocka_unit_test_setup(
	        client_outbox__refused__again_resends_else_fails, reset),
	    cmocka_unit_test_setup(
	        client_outbox__pump__fails_what_cannot_be_framed, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
