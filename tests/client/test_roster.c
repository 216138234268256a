/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/convo.h"
#include "client/roster.h"
#include "client/session.h"
#include "client/store.h"

static void
client_roster__orders__online_first_then_by_name(void **state)
{
	struct client_contact c[5] = {
	    {"zoe", false, 0, 0},
	    {"Bob", true, 0, 2},
	    {"alice", false, 0, 0},
	    {"carol", true, 0, 0},
	    {"Dave", false, 0, 1},
	};

	(void)state;
	client_roster_sort(c, 5);
	assert_string_equal(c[0].name, "Bob");
	assert_string_equal(c[1].name, "carol");
	assert_string_equal(c[2].name, "alice");
	assert_string_equal(c[3].name, "Dave");
	assert_string_equal(c[4].name, "zoe");
	assert_int_equal(c[0].unread, 2); /* counts travel along */
	assert_int_equal(c[3].unread, 1);
}

/* USER lines add contacts once (names without case), carry the unread
 * counts read before them, and say when a contact comes back online. */
static void
client_roster__set__adds_once_and_says_who_came_back(void **state)
{
	struct client_roster *r = client_roster_new();
	const struct client_contact *list;
	struct client_contact *c;
	bool back;
	size_t n;

	(void)state;
	client_roster_set_unread(r, "bob", 3);
	c = client_roster_set(r, "bob", 3, false, 10, &back);
	assert_false(back);
	assert_int_equal(c->unread, 3);
	c = client_roster_set(r, "BOB", 3, true, 20, &back);
	assert_true(back);
	assert_true(c->online);
	assert_int_equal(c->last_seen, 20);
	c = client_roster_set(r, "bob", 3, true, 30, &back);
	assert_false(back); /* already online */
	client_roster_set(r, "carol", 5, true, 0, &back);
	assert_true(back);
	list = client_roster_list(r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "bob");
	assert_ptr_equal(client_roster_find(r, "Carol"), &list[1]);
	assert_null(client_roster_find(r, "dave"));
	client_roster_free(r);
}

/* A new contact's message before its USER line still counts as unread,
 * whatever the case of its name. */
static void
client_roster__add_unread__counts_before_the_user_line(void **state)
{
	struct client_roster *r = client_roster_new();
	struct client_contact *c;
	bool back;

	(void)state;
	client_roster_add_unread(r, "Fresh1");
	client_roster_add_unread(r, "fresh1");
	c = client_roster_set(r, "fresh1", 6, true, 0, &back);
	assert_int_equal(c->unread, 2);
	client_roster_add_unread(r, "FRESH1");
	assert_int_equal(c->unread, 3);
	client_roster_set_unread(r, "fresh1", 0);
	assert_int_equal(c->unread, 0);
	client_roster_set_unread(r, "fresh2", 4);
	client_roster_add_unread(r, "fresh2");
	c = client_roster_set(r, "Fresh2", 6, false, 0, &back);
	assert_int_equal(c->unread, 5);
	client_roster_free(r);
}

static char dir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/termgram-convo.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* History pages in from the store; unread counts come from it. */
static void
client_convo__pages_history__and_counts_unread(void **state)
{
	struct client_store *st;
	struct client_convos *cs;
	struct client_convo *c;
	char err[256], id[32], body[32];
	long hit;
	int i;

	(void)state;
	st = client_store_open(dir, err, sizeof err);
	assert_non_null(st);
	for (i = 0; i < 450; i++) {
		snprintf(id, sizeof id, "m%d", i);
		snprintf(body, sizeof body, "message %d", i);
		assert_int_equal(client_store_add_incoming(st, "Bob", id,
		                     (uint64_t)i, body, strlen(body)),
		    1);
	}
	/* The same (sender, id) again is a duplicate, not a new message. */
	assert_int_equal(
	    client_store_add_incoming(st, "bob", "m7", 7, "x", 1), 0);
	assert_int_equal(
	    client_store_add_outgoing(st, "me", "bob", "o1", 999, "mine", 4),
	    0);
	assert_int_equal(client_store_commit(st), 0);

	cs = client_convos_new(st);
	c = client_convos_get(cs, "BOB");
	assert_int_equal(c->n, 200); /* the latest page */
	assert_string_equal(c->e[199].id, "o1");
	assert_false(c->complete);
	assert_int_equal(client_convo_load_older(cs, c, 200), 200);
	assert_string_equal(c->e[0].id, "m51");
	/* Searching older loads the rest. */
	hit = client_convo_search(cs, c, "MESSAGE 3", (long)c->n, -1);
	assert_true(hit >= 0);
	assert_string_equal(c->e[hit].body, "message 399");
	hit = client_convo_search(cs, c, "message 3", hit, -1);
	assert_string_equal(c->e[hit].body, "message 398");
	hit = client_convo_search(cs, c, "message 30", 50, -1);
	assert_string_equal(c->e[hit].body, "message 30");
	assert_true(c->complete);
	assert_int_equal(c->n, 451);
	/* Delivery states move forward only. */
	client_convos_set_state(cs, "bob", "o1", CLIENT_MSG_DELIVERED);
	client_convos_set_state(cs, NULL, "o1", CLIENT_MSG_STORED);
	assert_int_equal(c->e[450].state, CLIENT_MSG_DELIVERED);
	client_convos_free(cs);
	client_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(client_roster__orders__online_first_then_by_name),
	    cmocka_unit_test(
	        client_roster__set__adds_once_and_says_who_came_back),
	    cmocka_unit_test(
	        client_roster__add_unread__counts_before_the_user_line),
	    cmocka_unit_test_setup_teardown(
	        client_convo__pages_history__and_counts_unread, setup,
	        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
