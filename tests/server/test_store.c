/*
 * The relay store's device pins: add (twice is once), has, count, list,
 * remove, clear, per name; and they survive a reopen of the store.
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

#include "server/store.h"

#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char dir[64];

/* Collect a listing into a string: "fp@added," per pin. */
static void
collect(void *arg, const char *fp, uint64_t added)
{
	char *s = arg;

	snprintf(s + strlen(s), 512 - strlen(s), "%.1s@%llu,", fp,
	    (unsigned long long)added);
}

/* A store in a fresh folder. */
static struct server_store *
store_open(void)
{
	char err[256];
	struct server_store *s = server_store_open(dir, false, err, sizeof err);

	if (s == NULL)
		fail_msg("open: %s", err);
	return s;
}

static void
server_store__pins__devices_per_name(void **state)
{
	struct server_store *s;
	char list[512] = "";

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(dir));
	s = store_open();
	assert_int_equal(server_store_device_count(s, "alice"), 0);
	assert_false(server_store_device_has(s, "alice", A));
	assert_int_equal(server_store_device_add(s, "alice", A, 5), 0);
	assert_int_equal(server_store_device_add(s, "alice", A, 6), 0);
	assert_int_equal(server_store_device_add(s, "alice", B, 7), 0);
	assert_int_equal(server_store_device_add(s, "bob", B, 8), 0);
	assert_int_equal(server_store_device_count(s, "alice"), 2);
	assert_true(server_store_device_has(s, "alice", A));
	assert_false(server_store_device_has(s, "bob", A));
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);

	s = store_open();
	assert_int_equal(
	    server_store_device_list(s, "alice", collect, list), 0);
	assert_string_equal(list, "a@5,b@7,");
	assert_int_equal(server_store_device_remove(s, "alice", A), 0);
	assert_false(server_store_device_has(s, "alice", A));
	assert_int_equal(server_store_device_count(s, "alice"), 1);
	assert_int_equal(server_store_device_clear(s, "alice"), 0);
	assert_int_equal(server_store_device_count(s, "alice"), 0);
	assert_int_equal(server_store_device_count(s, "bob"), 1);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	snprintf(list, sizeof list, "rm -rf '%s'", dir);
	assert_int_equal(system(list), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(server_store__pins__devices_per_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
