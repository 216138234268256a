/* SPDX-License-Identifier: MIT */
/*
 * Protections that need no TLS: receipts only from the recipient, BYE
 * with the address of the session that replaced ours, and UDP answers
 * never larger than their request.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

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

/* The local port of a raw connection: what the relay sees as its port. */
static unsigned
local_port(const struct raw *c)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;

	assert_int_equal(getsockname(c->fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

/* A second login as alice replaces the first, which hears BYE. */
static void
replace_alice(struct relay *r, bool addr)
{
	struct raw a1, a2;
	char want[128] = "BYE|replaced";

	assert_int_equal(raw_login(&a1, r->port, "alice", "pw"), 0);
	assert_int_equal(raw_login(&a2, r->port, "alice", "pw"), 0);
	if (addr)
		snprintf(want, sizeof want, "BYE|replaced|127.0.0.1:%u",
		    local_port(&a2));
	assert_int_equal(raw_line(&a1, 5000), 0);
	assert_string_equal(a1.line, want);
	assert_true(raw_is_closed(&a1, 5000));
	raw_close(&a1);
	raw_close(&a2);
}

/* BYE|replaced carries the new session's address only with the flag. */
static void
relay__bye_replaced__gives_the_address_only_over_tls(void **state)
{
	struct relay r;

	bool tls = h_tls;

	(void)state;
	h_tls = false;
	assert_int_equal(relay_start(&r, NULL), 0);
	replace_alice(&r, false);
	assert_int_equal(relay_finish(&r), 0);
	h_tls = true;
	assert_int_equal(relay_start(&r, NULL), 0);
	replace_alice(&r, true);
	assert_int_equal(relay_finish(&r), 0);
	h_tls = tls;
}

/*
 * The headless client, replaced by another login as alice of the same
 * device: it says so, with the address when the relay gave it, and
 * exits rather than log in again.
 */
static void
client_replaced(struct relay *r, bool addr)
{
	char port[16], da[300], want[160];
	struct raw a2;
	pid_t pid;
	int st;

	snprintf(port, sizeof port, "%d", r->port);
	snprintf(da, sizeof da, "%s/alice", r->dir);
	setenv("TERMGRAM_PASSWORD", "pw", 1);
	/* alice registers her name with a password. */
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	        "--port", port, "--user", "alice", "--data", da, NULL),
	    0);
	pid = fork();
	if (pid == 0) {
		/* The other session: a second after the client is in. Over
		 * TLS a device is its key, and only a login of the same
		 * device takes over (another one joins beside): termgram
		 * with the same folder, told to. */
		sleep(1);
		if (addr)
			_exit(
			    run_client(NULL, NULL, out, sizeof out, err,
			        sizeof err, "who", "--replace", "--port", port,
			        "--user", "alice", "--data", da, NULL) != 0);
		if (raw_login(&a2, r->port, "alice", "pw") != 0)
			_exit(1);
		printf("%u\n", local_port(&a2));
		sleep(3);
		_exit(0);
	}
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "alice", "--data", da, "--timeout", "8",
	    NULL);
	assert_int_equal(st, 1);
	if (addr)
		assert_non_null(strstr(
		    err, "another session logged in as alice from 127.0.0.1:"));
	else
		snprintf(want, sizeof want, "%s",
		    "another session logged in as alice and replaced this one");
	assert_non_null(strstr(err, "and replaced this one"));
	if (!addr)
		assert_non_null(strstr(err, want));
	/* It said so once and did not try again. */
	assert_null(strstr(err, "retrying"));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unsetenv("TERMGRAM_PASSWORD");
}

static void
client__says_who_replaced_it__and_stays_off(void **state)
{
	struct relay r;

	bool tls = h_tls;

	(void)state;
	h_tls = true;
	assert_int_equal(relay_start(&r, NULL), 0);
	client_replaced(&r, true);
	assert_int_equal(relay_finish(&r), 0);
	h_tls = false;
	assert_int_equal(relay_start(&r, NULL), 0);
	client_replaced(&r, false);
	assert_int_equal(relay_finish(&r), 0);
	h_tls = tls;
}

/* DISCOVER padded with '-' to len bytes in all. */
static const char *
discover(size_t len)
{
	static char q[2048];

	snprintf(q, sizeof q, "DISCOVER|1|");
	memset(q + 11, '-', len - 11);
	q[len] = '\0';
	return q;
}

/*
 * Without the flag, version 1 to the letter: DISCOVER|1 is answered, a
 * padded one is not, a wrong ALIVE gets its ERR.
 */
static void
relay__udp__answers_version_1_without_the_flag(void **state)
{
	struct relay r;
	char ans[512];

	(void)state;
	assert_int_equal(
	    relay_start(&r, "--name", "office", "--tls", "off", NULL), 0);
	assert_int_equal(
	    udp_ask(r.port, "DISCOVER|1", ans, sizeof ans, 2000), 0);
	assert_true(strncmp(ans, "RELAY|b2ZmaWNl|", 15) == 0);
	udp_ask(r.port, discover(256), ans, sizeof ans, 300);
	assert_string_equal(ans, "");
	udp_ask(r.port, "ALIVE|a|b", ans, sizeof ans, 2000);
	assert_true(strncmp(ans, "ERR|AUTH_FAILED|-|", 18) == 0);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * With the flag, no answer is larger than its request: a bare DISCOVER
 * or one padded too little gets nothing, one padded to 256 bytes gets
 * the relay; a short ALIVE gets no ERR.
 */
static void
relay__udp__answers_no_more_than_was_asked_with_the_flag(void **state)
{
	struct relay r;
	char ans[512], name[65];

	(void)state;
	memset(name, 'n', 64);
	name[64] = '\0';
	assert_int_equal(
	    relay_start(&r, "--tls", "on", "--name", name, NULL), 0);
	udp_ask(r.port, "DISCOVER|1", ans, sizeof ans, 300);
	assert_string_equal(ans, "");
	udp_ask(r.port, discover(60), ans, sizeof ans, 300);
	assert_string_equal(ans, "");
	udp_ask(r.port, discover(256), ans, sizeof ans, 2000);
	assert_true(strncmp(ans, "RELAY|", 6) == 0);
	assert_true(strlen(ans) + 1 <= 256);
	/* Exactly as long as the answer is enough. */
	udp_ask(r.port, discover(strlen(ans) + 1), ans, sizeof ans, 2000);
	assert_true(strncmp(ans, "RELAY|", 6) == 0);
	udp_ask(r.port, discover(strlen(ans)), ans, sizeof ans, 300);
	assert_string_equal(ans, "");
	udp_ask(r.port, "ALIVE|a|b", ans, sizeof ans, 300);
	assert_string_equal(ans, "");
	assert_int_equal(relay_finish(&r), 0);
}

/* termgramd refuses a --name over 64 bytes at start, and says why. */
static void
relay__refuses_a_name_over_64_bytes(void **state)
{
	char name[66], cmd[512];
	FILE *p;
	int st;

	(void)state;
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(cmd, sizeof cmd,
	    "%s/termgramd --port 0 --data /nonexistent --name %s 2>&1",
	    TERMGRAM_BIN_DIR, name);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(err, sizeof err, p));
	st = pclose(p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(err, "--name"));
	assert_non_null(strstr(err, "1 to 64 bytes"));
}

/*
 * A connection that never logs in holds no session slot past the login
 * deadline: neither one that sends nothing (a TLS handshake that never
 * starts) nor one that sends frames that are not LOGIN; an honest client
 * then gets in with the relay otherwise full.
 */
static void
relay__closes_connections_not_logged_in__at_the_deadline(void **state)
{
	struct relay r;
	struct raw silent, chatty, honest;
	bool tls = h_tls;
	int i;

	(void)state;
	assert_int_equal(relay_start(&r, "--login-timeout", "1",
	                     "--max-sessions", "2", NULL),
	    0);
	h_tls = false; /* a bare TCP connection: not even a ClientHello */
	assert_int_equal(raw_open(&silent, r.port), 0);
	h_tls = tls;
	assert_int_equal(raw_open(&chatty, r.port), 0);
	for (i = 0; i < 8 && !raw_is_closed(&chatty, 400); i++)
		raw_send(&chatty, "PING|%d\n", i);
	assert_true(i < 8);
	assert_true(raw_is_closed(&silent, 3000));
	assert_int_equal(raw_login(&honest, r.port, "alice", ""), 0);
	raw_close(&honest);
	raw_close(&chatty);
	raw_close(&silent);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        client__ignores_a_receipt__from_anyone_but_the_recipient),
	    cmocka_unit_test(
	        relay__bye_replaced__gives_the_address_only_over_tls),
	    cmocka_unit_test(client__says_who_replaced_it__and_stays_off),
	    cmocka_unit_test(relay__udp__answers_version_1_without_the_flag),
	    cmocka_unit_test(
	        relay__udp__answers_no_more_than_was_asked_with_the_flag),
	    cmocka_unit_test(relay__refuses_a_name_over_64_bytes),
	    cmocka_unit_test(
	        relay__closes_connections_not_logged_in__at_the_deadline),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
