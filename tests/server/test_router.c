/* SPDX-License-Identifier: MIT */
/*
 * The router without sockets: decoded frames go in from fake sessions that
 * write down what they were sent; the store is a real one in a temporary
 * folder. Where a MSG goes (forwarded, kept for its grace period, stored),
 * when its sender's ACK comes, and which ERR answers a frame that cannot go;
 * a backlog sent with a cursor while the output has room, resends and
 * receipts answered from the store, and the queue quota.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/loop.h"
#include "proto/frame.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/map.h"

/* A session that keeps what it was sent; the struct comes first. */
struct fake_sess {
	struct srv_sess s;
	char log[16384];
	bool full; /* its output is over the high mark */
	int room; /* > 0: frames it takes before it is full */
	struct srv_sess *blocked_on;
};

static void
fk_send(struct srv_sess *s, const char *p, size_t n)
{
	struct fake_sess *f = (struct fake_sess *)s;
	size_t len = strlen(f->log);

	snprintf(f->log + len, sizeof f->log - len, "%.*s", (int)n, p);
	if (f->room > 0 && --f->room == 0)
		f->full = true;
}

static bool
fk_is_full(struct srv_sess *s)
{
	return ((struct fake_sess *)s)->full;
}

static void
fk_block_on(struct srv_sess *s, struct srv_sess *dst)
{
	((struct fake_sess *)s)->blocked_on = dst;
}

static const struct server_router_io fake_io = {
    .send = fk_send,
    .is_full = fk_is_full,
    .block_on = fk_block_on,
};

static struct server_store *w_store; /* the world's, for online() */

/* A router over three users, alice, bob and carol, all offline. */
struct world {
	char dir[64];
	struct net_loop *loop;
	struct server_store *store;
	struct server_directory users;
	struct srv_stats st;
	struct server_router rt;
	struct srv_user *alice, *bob, *carol;
	struct fake_sess sa, sb;
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	char err[256];

	snprintf(w->dir, sizeof w->dir, "/tmp/tg_router.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	w->loop = net_loop_new();
	w->store = server_store_open(w->dir, false, err, sizeof err);
	assert_non_null(w->store);
	w_store = w->store;
	server_directory_init(&w->users);
	w->alice = server_directory_add(&w->users, "alice", NULL, 0);
	w->bob = server_directory_add(&w->users, "bob", NULL, 0);
	w->carol = server_directory_add(&w->users, "Carol", NULL, 0);
	server_router_init(
	    &w->rt, w->loop, w->store, &w->users, &w->st, 200, &fake_io);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	char cmd[128];

	server_router_fini(&w->rt);
	server_store_close(w->store);
	server_directory_fini(&w->users);
	net_loop_free(w->loop);
	snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* The session f ends. */
static void
offline(struct fake_sess *f)
{
	if (f->s.attached)
		server_user_detach(f->s.user, &f->s);
}

/* u logs in on the fake session f: the version-1 device, its cursor. */
static void
online(struct fake_sess *f, struct srv_user *u)
{
	struct server_store *st = w_store;
	char name[64];
	int64_t log;

	offline(f);
	memset(f, 0, sizeof *f);
	f->s.user = u;
	snprintf(f->s.device, sizeof f->s.device, "-");
	server_user_attach(u, &f->s);
	snprintf(name, sizeof name, "u:%s", u->key);
	log = server_seqlog_open(st, name, 1);
	assert_true(log > 0);
	assert_int_equal(server_seqlog_cursor_add(st, log, "-", 1), 0);
	u->ndev = -1;
}

/* The frame line, from s, into the router. */
static void
feed(struct world *w, struct fake_sess *from, const char *line)
{
	struct proto_frame fr;
	struct proto_error err;

	assert_int_equal(
	    proto_frame_parse(line, strlen(line), &fr, &err), PROTO_FRAME);
	server_router_route(&w->rt, &from->s, &fr);
}

#define MSG_A_B "MSG|alice|bob|1700000000000|m1|aGk=\n"

static void
router__forwards__msg_to_online_user_unchanged(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	feed(w, &w->sa, MSG_A_B);
	assert_string_equal(w->sb.log, MSG_A_B);
	assert_string_equal(w->sa.log, "");
	assert_int_equal(w->rt.ngrace, 1);
	assert_int_equal(w->st.msgs_relayed, 1);
}

static void
router__settles__msg_by_rcpt_without_storing(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	feed(w, &w->sa, MSG_A_B);
	feed(w, &w->sb, "RCPT|bob|alice|m1|delivered\n");
	assert_string_equal(w->sa.log, "RCPT|bob|alice|m1|delivered\n");
	assert_int_equal(w->rt.ngrace, 0);
	/* Nothing waits in the store and no ACK is due: the RCPT is it. */
	server_router_expire(&w->rt, UINT64_MAX);
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "RCPT|bob|alice|m1|delivered\n");
	assert_int_equal(server_store_queue_count(w->store, "bob"), 0);
	assert_int_equal(w->st.msgs_stored, 0);
}

static void
router__acks__msg_after_grace_and_commit(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	feed(w, &w->sa, MSG_A_B);
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "");
	server_router_expire(&w->rt, UINT64_MAX);
	assert_int_equal(w->rt.ngrace, 0);
	assert_int_equal(server_store_queue_count(w->store, "bob"), 1);
	assert_string_equal(w->sa.log, ""); /* not before the commit */
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|m1|stored\n");
	/* bob has it already: his cursor is past it. */
	assert_true(w->sb.s.cursor > 0);
}

static void
router__stores__unconfirmed_msgs_of_leaving_reader(void **state)
{
	struct world *w = *state;
	struct fake_sess sc;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	online(&sc, w->carol);
	feed(w, &w->sa, MSG_A_B);
	feed(w, &w->sa, "MSG|alice|carol|1700000000000|m2|aGk=\n");
	offline(&w->sb);
	server_router_flush(&w->rt, w->bob);
	assert_int_equal(w->rt.ngrace, 1); /* carol's still waits */
	assert_int_equal(server_store_queue_count(w->store, "bob"), 1);
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|m1|stored\n");
	offline(&sc);
}

static void
router__stores_and_acks__msg_to_offline_user(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	feed(w, &w->sa, MSG_A_B);
	assert_int_equal(w->rt.ngrace, 0);
	assert_int_equal(server_store_queue_count(w->store, "bob"), 1);
	assert_int_equal(w->st.msgs_stored, 1);
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|m1|stored\n");
	/* A resend of a stored message is acknowledged again, not stored. */
	feed(w, &w->sa, MSG_A_B);
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|m1|stored\nACK|m1|stored\n");
	assert_int_equal(server_store_queue_count(w->store, "bob"), 1);
}

static void
router__stores__msg_to_full_reader(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	w->sb.full = true;
	feed(w, &w->sa, MSG_A_B);
	assert_string_equal(w->sb.log, "");
	assert_true(w->sb.s.backlog);
	assert_int_equal(server_store_queue_count(w->store, "bob"), 1);
}

static void
router__forbids__spoofed_sender(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	feed(w, &w->sa, "MSG|carol|bob|1700000000000|m7|aGk=\n");
	assert_string_equal(w->sb.log, "");
	assert_true(strncmp(w->sa.log, "ERR|FORBIDDEN|m7|", 17) == 0);
	w->sa.log[0] = '\0';
	feed(w, &w->sa,
	    "FOFFER|bob|carol|x9|10|"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "|YQ==\n");
	assert_true(strncmp(w->sa.log, "ERR|FORBIDDEN|x9|", 17) == 0);
}

static void
router__answers__no_such_user(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	feed(w, &w->sa, "MSG|alice|dave|1700000000000|m2|aGk=\n");
	assert_true(strncmp(w->sa.log, "ERR|NO_SUCH_USER|m2|", 20) == 0);
	assert_int_equal(server_store_queue_count(w->store, "dave"), 0);
}

static void
router__matches__recipient_in_any_case(void **state)
{
	struct world *w = *state;
	struct fake_sess sc;

	online(&w->sa, w->alice);
	online(&sc, w->carol);
	feed(w, &w->sa, "TYPING|alice|CAROL|on\n");
	assert_string_equal(sc.log, "TYPING|alice|CAROL|on\n");
	offline(&sc);
}

static void
router__forwards__rcpt_to_sender(void **state)
{
	struct world *w = *state;

	/* alice sent while bob was away; he reads it later. */
	online(&w->sa, w->alice);
	feed(w, &w->sa, MSG_A_B);
	server_router_commit(&w->rt);
	w->sa.log[0] = '\0';
	online(&w->sb, w->bob);
	feed(w, &w->sb, "RCPT|bob|alice|m1|read\n");
	assert_string_equal(w->sa.log, "RCPT|bob|alice|m1|read\n");
	/* The receipt settles the stored message. */
	assert_int_equal(server_store_queue_count(w->store, "bob"), 0);
}

static void
router__queues__rcpt_to_offline_sender(void **state)
{
	struct world *w = *state;

	online(&w->sb, w->bob);
	feed(w, &w->sb, "RCPT|bob|alice|m1|read\n");
	assert_string_equal(w->sb.log, "");
	assert_int_equal(server_store_queue_count(w->store, "alice"), 1);
}

static void
router__answers__file_frames_to_offline_user(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	feed(w, &w->sa, "FACCEPT|alice|bob|x1|0\n");
	assert_true(strncmp(w->sa.log, "ERR|OFFLINE|x1|", 15) == 0);
	w->sa.log[0] = '\0';
	feed(w, &w->sa, "FCANCEL|alice|bob|x2|YnllYnll\n");
	assert_true(strncmp(w->sa.log, "ERR|OFFLINE|x2|", 15) == 0);
	/* Typing is never stored and never answered. */
	w->sa.log[0] = '\0';
	feed(w, &w->sa, "TYPING|alice|bob|on\n");
	assert_string_equal(w->sa.log, "");
	assert_int_equal(server_store_queue_count(w->store, "bob"), 0);
}

static void
router__pauses__sender_to_full_reader(void **state)
{
	struct world *w = *state;

	online(&w->sa, w->alice);
	online(&w->sb, w->bob);
	feed(w, &w->sa, "FACCEPT|alice|bob|x1|0\n");
	assert_null(w->sa.blocked_on);
	w->sb.full = true;
	feed(w, &w->sa, "FDONE|alice|bob|x1\n");
	assert_string_equal(
	    w->sb.log, "FACCEPT|alice|bob|x1|0\nFDONE|alice|bob|x1\n");
	assert_ptr_equal(w->sa.blocked_on, &w->sb.s);
}

/* alice sends n messages m0.. to offline bob; committed and ACKed. */
static void
store_for_bob(struct world *w, int n)
{
	char line[128];
	int i;

	online(&w->sa, w->alice);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "MSG|alice|bob|1|m%d|aGk=\n", i);
		feed(w, &w->sa, line);
	}
	server_router_commit(&w->rt);
	w->sa.log[0] = '\0';
}

/* Count the MSGs in log and check they are m<first>, m<first+1>, ... */
static int
msgs_in_order(const char *log, int first)
{
	const char *p = log;
	char want[64];
	int n = 0;

	while ((p = strstr(p, "MSG|")) != NULL) {
		snprintf(want, sizeof want, "MSG|alice|bob|1|m%d|", first + n);
		assert_true(strncmp(p, want, strlen(want)) == 0);
		n++;
		p += 4;
	}
	return n;
}

/* The relay comes back: a new router over the same store. */
static void
restart(struct world *w)
{
	server_router_commit(&w->rt);
	server_router_fini(&w->rt);
	w->alice->q_frames = w->alice->q_bytes = w->alice->s_frames = 0;
	w->bob->q_frames = w->bob->q_bytes = w->bob->s_frames = 0;
	server_router_init(
	    &w->rt, w->loop, w->store, &w->users, &w->st, 200, &fake_io);
	assert_int_equal(server_router_load(&w->rt), 0);
}

static void
router__syncs__backlog_only_while_output_has_room(void **state)
{
	struct world *w = *state;

	store_for_bob(w, 10);
	online(&w->sb, w->bob);
	w->sb.s.backlog = true;
	w->sb.room = 4;
	server_router_sync(&w->rt, &w->sb.s);
	/* Full after 4: it stops there, and its cursor says so. */
	assert_int_equal(msgs_in_order(w->sb.log, 0), 4);
	assert_true(w->sb.s.backlog);
	/* The output drained: the next ones, from the cursor on. */
	w->sb.log[0] = '\0';
	w->sb.full = false;
	w->sb.room = 4;
	server_router_sync(&w->rt, &w->sb.s);
	assert_int_equal(msgs_in_order(w->sb.log, 4), 4);
	w->sb.log[0] = '\0';
	w->sb.full = false;
	w->sb.room = 0;
	server_router_sync(&w->rt, &w->sb.s);
	assert_int_equal(msgs_in_order(w->sb.log, 8), 2);
	assert_false(w->sb.s.backlog);
	/* Delivered but not confirmed: still stored, for the next login. */
	assert_int_equal(server_store_queue_count(w->store, "bob"), 10);
}

static void
router__syncs__long_backlog_in_order_across_batches(void **state)
{
	struct world *w = *state;
	int got = 0, turns = 0;

	store_for_bob(w, 300);
	online(&w->sb, w->bob);
	w->sb.s.backlog = true;
	/* New messages wait behind the backlog, in the store. */
	feed(w, &w->sa, "MSG|alice|bob|1|m300|aGk=\n");
	assert_int_equal(msgs_in_order(w->sb.log, 0), 0);
	while (w->sb.s.backlog) {
		w->sb.log[0] = '\0';
		w->sb.full = false;
		w->sb.room = 70;
		server_router_sync(&w->rt, &w->sb.s);
		got += msgs_in_order(w->sb.log, got);
		assert_true(++turns < 10);
	}
	assert_int_equal(got, 301);
	assert_int_equal(turns, 5);
}

static void
router__hands_over__queued_receipt_once(void **state)
{
	struct world *w = *state;

	online(&w->sb, w->bob);
	feed(w, &w->sb, "RCPT|bob|alice|x1|read\n");
	offline(&w->sb);
	assert_int_equal(w->alice->q_frames, 1);
	online(&w->sa, w->alice);
	w->sa.s.backlog = true;
	server_router_sync(&w->rt, &w->sa.s);
	assert_string_equal(w->sa.log, "RCPT|bob|alice|x1|read\n");
	assert_int_equal(server_store_queue_count(w->store, "alice"), 0);
	assert_int_equal(w->alice->q_frames, 0);
	assert_int_equal(w->alice->q_bytes, 0);
}

static void
router__answers__stored_msg_from_the_store_after_restart(void **state)
{
	struct world *w = *state;

	store_for_bob(w, 3);
	restart(w);
	/* Nothing is kept in memory per stored message. */
	assert_int_equal(util_map_count(w->rt.msgs), 0);
	assert_int_equal(w->bob->q_frames, 3);
	assert_int_equal(
	    w->bob->q_bytes, 3 * strlen("MSG|alice|bob|1|m0|aGk=\n"));
	assert_int_equal(w->alice->s_frames, 3);
	/* A resend: ACKed again, not stored twice. */
	feed(w, &w->sa, "MSG|alice|bob|1|m1|aGk=\n");
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|m1|stored\n");
	assert_int_equal(server_store_queue_count(w->store, "bob"), 3);
	/* Only bob's receipt settles it, and once. */
	online(&w->sb, w->bob);
	feed(w, &w->sa, "RCPT|alice|bob|m1|read\n");
	assert_int_equal(server_store_queue_count(w->store, "bob"), 3);
	feed(w, &w->sb, "RCPT|bob|alice|m1|delivered\n");
	feed(w, &w->sb, "RCPT|bob|alice|m1|read\n");
	assert_int_equal(server_store_queue_count(w->store, "bob"), 2);
	assert_int_equal(w->bob->q_frames, 2);
	assert_int_equal(w->alice->s_frames, 2);
	assert_int_equal(w->st.queue_depth, 2);
}

static void
router__refuses__msg_over_quota(void **state)
{
	struct world *w = *state;

	server_router_set_quota(&w->rt, 2, 0, 0, 0);
	store_for_bob(w, 3);
	assert_int_equal(server_store_queue_count(w->store, "bob"), 2);
	online(&w->sa, w->alice);
	feed(w, &w->sa, "MSG|alice|bob|1|m2|aGk=\n");
	assert_true(strncmp(w->sa.log, "ERR|QUOTA|m2|", 13) == 0);
	/* Other recipients are not affected. */
	w->sa.log[0] = '\0';
	feed(w, &w->sa, "MSG|alice|carol|1|c1|aGk=\n");
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|c1|stored\n");
	/* In bytes: one frame of 26 fits in 30, two do not. */
	server_router_set_quota(&w->rt, 0, 30, 0, 0);
	w->sa.log[0] = '\0';
	feed(w, &w->sa, "MSG|alice|carol|1|c2|aGk=\n");
	assert_true(strncmp(w->sa.log, "ERR|QUOTA|c2|", 13) == 0);
	assert_int_equal(server_store_queue_count(w->store, "carol"), 1);
}

static void
router__keeps__settling_receipt_over_quota(void **state)
{
	struct world *w = *state;

	/* alice is offline with one receipt queued: her quota is full. */
	server_router_set_quota(&w->rt, 1, 0, 0, 0);
	store_for_bob(w, 1);
	offline(&w->sa);
	online(&w->sb, w->bob);
	feed(w, &w->sb, "RCPT|bob|alice|zz|read\n");
	assert_int_equal(server_store_queue_count(w->store, "alice"), 1);
	/* One that settles nothing is refused. */
	feed(w, &w->sb, "RCPT|bob|alice|zz|read\n");
	assert_true(strncmp(w->sb.log, "ERR|QUOTA|zz|", 13) == 0);
	/* The receipt of a stored message is alice's only news of it. */
	w->sb.log[0] = '\0';
	feed(w, &w->sb, "RCPT|bob|alice|m0|delivered\n");
	assert_string_equal(w->sb.log, "");
	assert_int_equal(server_store_queue_count(w->store, "alice"), 2);
	assert_int_equal(server_store_queue_count(w->store, "bob"), 0);
}

static void
router__refuses__sender_over_its_own_share(void **state)
{
	struct world *w = *state;
	struct fake_sess sc;

	/* alice's share is 2 frames, whoever they wait for. */
	server_router_set_quota(&w->rt, 0, 0, 2, 0);
	store_for_bob(w, 1);
	feed(w, &w->sa, "RCPT|alice|carol|zz|read\n");
	assert_int_equal(w->alice->s_frames, 2);
	feed(w, &w->sa, "MSG|alice|bob|1|m1|aGk=\n");
	assert_true(strncmp(w->sa.log, "ERR|QUOTA|m1|", 13) == 0);
	assert_int_equal(server_store_queue_count(w->store, "bob"), 1);
	/* Another sender to the same recipient is not affected. */
	online(&sc, w->carol);
	feed(w, &sc, "MSG|carol|bob|1|c1|aGk=\n");
	server_router_commit(&w->rt);
	assert_string_equal(sc.log, "ACK|c1|stored\n");
	/* The receipt handed to carol leaves alice's share. */
	sc.s.backlog = true;
	server_router_sync(&w->rt, &sc.s);
	assert_int_equal(w->alice->s_frames, 1);
	assert_int_equal(w->carol->s_frames, 1);
	w->sa.log[0] = '\0';
	feed(w, &w->sa, "MSG|alice|bob|1|m1|aGk=\n");
	server_router_commit(&w->rt);
	assert_string_equal(w->sa.log, "ACK|m1|stored\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        router__refuses__sender_over_its_own_share, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__forwards__msg_to_online_user_unchanged, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        router__settles__msg_by_rcpt_without_storing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__acks__msg_after_grace_and_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__stores__unconfirmed_msgs_of_leaving_reader, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        router__stores_and_acks__msg_to_offline_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__stores__msg_to_full_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__forbids__spoofed_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__answers__no_such_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__matches__recipient_in_any_case, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__forwards__rcpt_to_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__queues__rcpt_to_offline_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__answers__file_frames_to_offline_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__pauses__sender_to_full_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__syncs__backlog_only_while_output_has_room, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        router__syncs__long_backlog_in_order_across_batches, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        router__hands_over__queued_receipt_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__answers__stored_msg_from_the_store_after_restart, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        router__refuses__msg_over_quota, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        router__keeps__settling_receipt_over_quota, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
