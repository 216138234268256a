/*
 * Protections that need no TLS: receipts only from the recipient, BYE
 * with the address of the session that replaced ours, and UDP answers
 * never larger than their request.
 */
#include <sys/types.h>
#include <sys/wait.h>

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
#include <sqlite3.h>

#include "harness.h"

static char out[1 << 16], err[1 << 16];

/* The state and id of the one message alice sent, from her store. */
static int
sent_state(const char *dir, char *id, size_t idlen)
{
	char path[400];
	sqlite3 *db;
	sqlite3_stmt *st;
	int state = -1;

	snprintf(path, sizeof path, "%s/client.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db,
	        "SELECT msg_id, state FROM messages WHERE outgoing = 1", -1,
	        &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(id, idlen, "%s", sqlite3_column_text(st, 0));
			state = sqlite3_column_int(st, 1);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return state;
}

/*
 * mallory forges a read receipt for alice's message to bob: the relay
 * passes it on (its sender is mallory), and alice's client ignores it.
 * bob's own receipt still counts.
 */
static void
client__ignores_a_receipt__from_anyone_but_the_recipient(void **state)
{
	struct relay r;
	struct raw m;
	char port[16], da[300], db[300], id[64] = "", log[400];
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(log, sizeof log, "%s/alice.out", r.dir);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	        "--port", port, "--user", "bob", "--data", db, NULL),
	    0);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	        "--port", port, "--user", "alice", "--data", da, "bob",
	        "for bob only", NULL),
	    0);
	assert_int_equal(sent_state(da, id, sizeof id), 1); /* stored */

	/* alice online; mallory's forged receipts reach her. */
	assert_int_equal(raw_login(&m, r.port, "mallory", ""), 0);
	pid = spawn_client(log, "recv", "--port", port, "--user", "alice",
	    "--data", da, "--timeout", "3", NULL);
	sleep(1);
	raw_send(&m, "RCPT|mallory|alice|%s|delivered\n", id);
	raw_send(&m, "RCPT|mallory|alice|%s|read\n", id);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	raw_close(&m);
	assert_int_equal(sent_state(da, id, sizeof id), 1);

	/* bob's own receipt: delivered. */
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	        "--port", port, "--user", "bob", "--data", db, "--count", "1",
	        "--timeout", "10", NULL),
	    0);
	run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "alice", "--data", da, "--timeout", "2",
	    NULL);
	assert_int_equal(sent_state(da, id, sizeof id), 2);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        client__ignores_a_receipt__from_anyone_but_the_recipient),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
