/* SPDX-License-Identifier: MIT */
/*
 * Several devices per account, at the relay (docs/protocol.md): a data
 * folder of the release before (store schema 1, the fixture that
 * tests/server/fixtures/make-schema1.sh wrote) upgraded in place at
 * start, said in the log, its queued messages delivered, in order, to
 * the first device that logs in.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "fixtures/schema1.h"
#include "harness.h"

static struct raw a;

/* Replace the store of r (stopped) with the schema-1 fixture. */
static void
store_from_fixture(const struct relay *r)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[400];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/relay.db%s", r->dir, ext[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/relay.db", r->dir);
	assert_int_equal(fixture_schema1_write(path), 0);
}

/*
 * The relay starts on the old folder, says it upgraded it, and bob (a
 * user of the old folder, with his old password) gets the four messages
 * queued for him, oldest first; dave gets his one.
 */
static void
devices__upgrade__delivers_the_old_queue(void **state)
{
	static const char *const bob[] = {"MSG|alice|bob|",
	    "YTE=", "MSG|alice|bob|", "YTI=", "MSG|alice|bob|",
	    "YTM=", "MSG|carol|bob|", "YzE="};
	struct relay r;
	size_t i;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	store_from_fixture(&r);
	assert_int_equal(relay_restart(&r), 0);
	assert_true(relay_log_has(&r,
	    "store upgraded from schema 1 to 2: 5 queued frames of 2 users"));
	assert_int_equal(raw_login(&a, r.port, "bob", "pw-bob"), 0);
	for (i = 0; i < 8; i += 2) {
		assert_int_equal(raw_expect(&a, "MSG|", 10000), 0);
		printf("%s\n", a.line);
		assert_non_null(strstr(a.line, bob[i]));
		assert_non_null(strstr(a.line, bob[i + 1]));
	}
	raw_close(&a);
	assert_int_equal(raw_login(&a, r.port, "dave", "pw-dave"), 0);
	assert_int_equal(raw_expect(&a, "MSG|alice|dave|", 10000), 0);
	raw_close(&a);
	/* Started again, nothing is upgraded twice. */
	assert_true(relay_stop(&r, SIGTERM) >= 0);
	assert_int_equal(relay_restart(&r), 0);
	assert_false(relay_log_has(&r, "store upgraded"));
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(devices__upgrade__delivers_the_old_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
