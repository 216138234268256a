/* SPDX-License-Identifier: MIT */
/*
 * The password hasher: results come back on the loop, the loop stays
 * free while a hash runs (in the helper process), the queue is bounded,
 * takes turns between addresses, and a forgotten job is never delivered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "net/loop.h"
#include "server/hasher.h"

struct got {
	int n;
	bool ok[8];
	char hash[8][crypto_pwhash_STRBYTES];
	void *owner[8];
};

/* Record a result. */
static void
on_hashed(void *owner, enum server_hash_kind kind, bool ok, const char *hash)
{
	struct got *g = *(struct got **)owner;

	g->owner[g->n] = owner;
	g->ok[g->n] = ok;
	if (kind == SERVER_HASH_NEW)
		snprintf(g->hash[g->n], sizeof g->hash[0], "%s",
		    hash != NULL ? hash : "dropped");
	g->n++;
}

/* Run the loop until want results came (or 30 s); the turns it took. */
static int
run_until(struct net_loop *loop, struct got *g, int want, uint64_t *longest)
{
	uint64_t start = net_clock_ms(), t;
	int turns = 0;

	while (g->n < want && net_clock_ms() - start < 30000) {
		t = net_clock_ms();
		net_loop_run_once(loop, 50);
		if (net_clock_ms() - t > *longest)
			*longest = net_clock_ms() - t;
		turns++;
	}
	return turns;
}

/* A new hash, then checks of the right and a wrong password. */
static void
server_hasher__hashes_and_checks__off_the_loop(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct server_hasher *h;
	struct got g = {0};
	struct got *owner[3] = {&g, &g, &g};
	char err[128];
	uint64_t longest = 0, start = net_clock_ms();
	int turns;

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	h = server_hasher_new(loop, 2, 4, on_hashed, err, sizeof err);
	assert_non_null(h);
	assert_non_null(server_hasher_submit(
	    h, SERVER_HASH_NEW, "secret", 6, NULL, "x", 0, &owner[0]));
	turns = run_until(loop, &g, 1, &longest);
	printf("one argon2id hash: %llu ms over %d loop turns, longest turn "
	       "%llu ms\n",
	    (unsigned long long)(net_clock_ms() - start), turns,
	    (unsigned long long)longest);
	assert_int_equal(g.n, 1);
	assert_true(g.ok[0]);
	assert_true(turns > 1); /* the loop turned while it ran */
	assert_true(longest < 100);
	assert_non_null(server_hasher_submit(
	    h, SERVER_HASH_CHECK, "secret", 6, g.hash[0], "x", 0, &owner[1]));
	assert_non_null(server_hasher_submit(
	    h, SERVER_HASH_CHECK, "guess", 5, g.hash[0], "x", 0, &owner[2]));
	run_until(loop, &g, 3, &longest);
	assert_int_equal(g.n, 3);
	/* Two workers: either may finish first. */
	assert_true(g.ok[1] != g.ok[2]);
	assert_true(g.ok[g.owner[1] == &owner[1] ? 1 : 2]);
	assert_int_equal(server_hasher_pending(h), 0);
	server_hasher_free(h);
	net_loop_free(loop);
}

/* threads + queue jobs at most; a forgotten job is never delivered. */
static void
server_hasher__refuses_past_its_queue__and_forgets(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct server_hasher *h;
	struct server_hash_job *j[3];
	struct got g = {0};
	struct got *owner[3] = {&g, &g, &g};
	char err[128];
	uint64_t longest = 0;

	(void)state;
	h = server_hasher_new(loop, 1, 1, on_hashed, err, sizeof err);
	assert_non_null(h);
	j[0] = server_hasher_submit(
	    h, SERVER_HASH_NEW, "a", 1, NULL, "x", 0, &owner[0]);
	j[1] = server_hasher_submit(
	    h, SERVER_HASH_NEW, "b", 1, NULL, "x", 0, &owner[1]);
	j[2] = server_hasher_submit(
	    h, SERVER_HASH_NEW, "c", 1, NULL, "x", 0, &owner[2]);
	assert_non_null(j[0]);
	assert_non_null(j[1]);
	assert_null(j[2]);
	printf("1 thread, queue 1: third job refused, %zu pending\n",
	    server_hasher_pending(h));
	/* Both forgotten: their results never come to the owner, and
	 * the queue has room again once the helper answered them. */
	server_hasher_forget(h, j[0]);
	server_hasher_forget(h, j[1]);
	while (server_hasher_pending(h) > 0)
		net_loop_run_once(loop, 50);
	assert_int_equal(g.n, 0);
	assert_non_null(server_hasher_submit(
	    h, SERVER_HASH_NEW, "d", 1, NULL, "x", 0, &owner[2]));
	run_until(loop, &g, 1, &longest);
	assert_int_equal(g.n, 1);
	assert_ptr_equal(g.owner[0], &owner[2]);
	server_hasher_free(h);
	net_loop_free(loop);
}

/*
 * Waiting jobs take turns by address, those with fewer wrong passwords
 * first. With the queue full, a job takes the place of the newest one of
 * whoever has more waiting, or as many and more failures, and that job's
 * owner is told it was dropped: x (5 failures) and y (5) fill the queue,
 * z (none) takes the place of x's third and runs right after x's first,
 * before x's second and y's; u (9 failures) finds no one to displace.
 */
static void
server_hasher__takes_turns__between_addresses(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct server_hasher *h;
	struct got g = {0};
	struct got *owner[6] = {&g, &g, &g, &g, &g, &g};
	const char *who[5] = {"x", "x", "x", "y", "z"};
	unsigned fails[5] = {5, 5, 5, 5, 0};
	void *order[5] = {
	    &owner[2], &owner[0], &owner[4], &owner[1], &owner[3]};
	char err[128];
	uint64_t longest = 0;
	int i;

	(void)state;
	h = server_hasher_new(loop, 1, 3, on_hashed, err, sizeof err);
	assert_non_null(h);
	for (i = 0; i < 5; i++)
		assert_non_null(server_hasher_submit(h, SERVER_HASH_NEW, "pw",
		    2, NULL, who[i], fails[i], &owner[i]));
	assert_int_equal(g.n, 1);
	assert_string_equal(g.hash[0], "dropped");
	assert_null(server_hasher_submit(
	    h, SERVER_HASH_NEW, "pw", 2, NULL, "u", 9, &owner[5]));
	run_until(loop, &g, 5, &longest);
	assert_int_equal(g.n, 5);
	printf("order: x's third dropped; x's first (running), z, x's "
	       "second, y's\n");
	for (i = 0; i < 5; i++)
		assert_ptr_equal(g.owner[i], order[i]);
	for (i = 1; i < 5; i++)
		assert_true(g.ok[i]);
	server_hasher_free(h);
	net_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(server_hasher__hashes_and_checks__off_the_loop),
	    cmocka_unit_test(
	        server_hasher__refuses_past_its_queue__and_forgets),
	    cmocka_unit_test(server_hasher__takes_turns__between_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
