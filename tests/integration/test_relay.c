/* SPDX-License-Identifier: MIT */
/*
 * termgramd against PROTOCOL.md sections 1-3, 6 and 7, through raw sockets
 * as a conformance tool (or a person with nc) would see it.
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

#include "harness.h"

static struct raw a, b, c;

static int
setup_default(void **state)
{
	static struct relay r;

	if (relay_start(&r, NULL) != 0)
		return -1;
	a.fd = b.fd = c.fd = -1;
	*state = &r;
	return 0;
}

/* No per-address limits: every client of the test is on loopback. */
static int
setup_crowd(void **state)
{
	static struct relay r;

	if (relay_start(&r, "--max-per-address", "0", "--max-registrations",
	        "0", NULL) != 0)
		return -1;
	a.fd = b.fd = c.fd = -1;
	*state = &r;
	return 0;
}

static int
setup_grace0(void **state)
{
	static struct relay r;

	if (relay_start(&r, "--grace-ms", "0", NULL) != 0)
		return -1;
	a.fd = b.fd = c.fd = -1;
	*state = &r;
	return 0;
}

static int
teardown(void **state)
{
	struct relay *r = *state;
	int st;

	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	/* SIGTERM: a clean exit, and LeakSanitizer finds nothing. */
	st = relay_stop(r, SIGTERM);
	if (st != 0) {
		char cmd[400];
		snprintf(cmd, sizeof cmd, "tail -n 40 %s >&2", r->log);
		(void)!system(cmd);
		fprintf(stderr, "relay exit status %d\n", st);
	}
	h_rmdir(r->dir);
	unlink(r->log);
	return st == 0 ? 0 : -1;
}

static void
relay__routes__msg_byte_for_byte_and_rcpt_back(void **state)
{
	struct relay *r = *state;
	unsigned long long stored = 99;
	const char *msg =
	    "MSG|alice|Bob|1700000000000|m-1|aGVsbG8gfCB3b3JsZA==";

	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	/* alice sees bob come online. */
	assert_int_equal(raw_expect(&a, "USER|bob|online|", 5000), 0);

	raw_send(&a, "%s\n", msg);
	assert_int_equal(raw_expect(&b, "MSG|", 5000), 0);
	assert_string_equal(b.line, msg);
	raw_send(&b, "RCPT|bob|alice|m-1|delivered\n");
	assert_int_equal(raw_expect(&a, "RCPT|", 5000), 0);
	assert_string_equal(a.line, "RCPT|bob|alice|m-1|delivered");
	/* Confirmed within the grace period: nothing was written to disk. */
	assert_int_equal(raw_stats(&a, "msgs_stored", &stored), 0);
	assert_int_equal(stored, 0);
}

static void
relay__queues__offline_messages_in_order_after_synced(void **state)
{
	struct relay *r = *state;
	int i;

	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	for (i = 1; i <= 3; i++) {
		raw_send(&a, "MSG|alice|bob|%d|q%d|%s\n", i, i,
		    h_b64(i == 2 ? "二" : "x"));
		assert_int_equal(raw_expect(&a, "ACK|", 5000), 0);
		char want[32];
		snprintf(want, sizeof want, "ACK|q%d|stored", i);
		assert_string_equal(a.line, want);
	}
	/* The queue comes right after SYNCED, oldest first. */
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|BOB||0\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_non_null(strstr(b.line, "WELCOME|bob|"));
	assert_int_equal(raw_expect(&b, "SYNCED", 5000), 0);
	for (i = 1; i <= 3; i++) {
		char want[64];
		assert_int_equal(raw_line(&b, 5000), 0);
		snprintf(want, sizeof want, "MSG|alice|bob|%d|q%d|%s", i, i,
		    h_b64(i == 2 ? "二" : "x"));
		assert_string_equal(b.line, want);
	}
	/* Not confirmed: delivered again at the next login. */
	raw_close(&b);
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	assert_int_equal(raw_expect(&b, "MSG|alice|bob|1|q1|", 5000), 0);
	raw_send(&b,
	    "RCPT|bob|alice|q1|delivered\nRCPT|bob|alice|q2|read\n"
	    "RCPT|bob|alice|q3|delivered\n");
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|q1|delivered", 5000), 0);
	raw_close(&b);
	/* Confirmed: never again. */
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	raw_send(&b, "PING|after\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_string_equal(b.line, "PONG|after");
}

static void
relay__stores_and_acks__message_not_confirmed_in_grace(void **state)
{
	struct relay *r = *state;
	unsigned long long stored = 0;

	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|g1|aGk=\n");
	assert_int_equal(raw_expect(&b, "MSG|alice|bob|1|g1|", 5000), 0);
	/* bob never confirms: after the grace period it is stored. */
	assert_int_equal(raw_expect(&a, "ACK|g1|stored", 5000), 0);
	assert_int_equal(raw_stats(&a, "msgs_stored", &stored), 0);
	assert_int_equal(stored, 1);
	/* A resend of the same id is answered the same way, not stored. */
	raw_send(&a, "MSG|alice|bob|1|g1|aGk=\n");
	assert_int_equal(raw_expect(&a, "ACK|g1|stored", 5000), 0);
	assert_int_equal(raw_stats(&a, "msgs_stored", &stored), 0);
	assert_int_equal(stored, 1);
	raw_close(&b);
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	assert_int_equal(raw_expect(&b, "MSG|alice|bob|1|g1|", 5000), 0);
	raw_send(&b, "PING|1\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_string_equal(b.line, "PONG|1"); /* exactly once */
}

static void
relay__stores_everything__grace_zero(void **state)
{
	struct relay *r = *state;
	unsigned long long stored = 0, depth = 9;

	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	raw_send(&a, "MSG|alice|bob|1|z1|aGk=\n");
	assert_int_equal(raw_expect(&b, "MSG|alice|bob|1|z1|", 5000), 0);
	assert_int_equal(raw_expect(&a, "ACK|z1|stored", 5000), 0);
	raw_send(&b, "RCPT|bob|alice|z1|delivered\n");
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|z1|delivered", 5000), 0);
	assert_int_equal(raw_stats(&a, "msgs_stored", &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(raw_stats(&a, "queue_depth", &depth), 0);
	assert_int_equal(depth, 0);
}

static void
relay__refuses__second_login_of_open_name(void **state)
{
	struct relay *r = *state;

	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|ALICE||0\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_non_null(strstr(b.line, "ERR|NAME_IN_USE|-|"));
	assert_true(raw_is_closed(&b, 5000));
	/* The first session is untouched. */
	raw_send(&a, "PING|still\n");
	assert_int_equal(raw_expect(&a, "PONG|still", 5000), 0);
}

static void
relay__takes_over__owned_name_with_right_password(void **state)
{
	struct relay *r = *state;

	assert_int_equal(raw_login(&a, r->port, "carol", "s3cret"), 0);
	/* Wrong password while online: NAME_IN_USE. */
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|carol|%s|0\n", h_b64("nope"));
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_non_null(strstr(b.line, "ERR|NAME_IN_USE|"));
	assert_true(raw_is_closed(&b, 5000));
	raw_close(&b);
	/* Right password: the old session gets BYE|replaced. */
	assert_int_equal(raw_login(&b, r->port, "carol", "s3cret"), 0);
	assert_int_equal(raw_expect(&a, "BYE|replaced", 5000), 0);
	assert_true(raw_is_closed(&a, 5000));
	raw_close(&a);
	raw_close(&b);
	/* Wrong password while offline: AUTH_FAILED. */
	assert_int_equal(raw_open(&c, r->port), 0);
	raw_send(&c, "LOGIN|1|carol||0\n");
	assert_int_equal(raw_line(&c, 5000), 0);
	assert_non_null(strstr(c.line, "ERR|AUTH_FAILED|"));
	assert_true(raw_is_closed(&c, 5000));
	/* The password is stored only as an argon2id hash. */
	{
		char cmd[600];
		snprintf(
		    cmd, sizeof cmd, "grep -qa s3cret '%s'/relay.db*", r->dir);
		assert_int_not_equal(system(cmd), 0);
		snprintf(cmd, sizeof cmd, "grep -qa 'argon2id' '%s'/relay.db*",
		    r->dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_false(relay_log_has(r, "s3cret"));
}

/*
 * LOGIN|...|keep (docs/protocol.md): with the right password it never
 * replaces a session online; offline it logs in as any LOGIN does.
 */
static void
relay__keeps__online_session_for_login_with_keep(void **state)
{
	struct relay *r = *state;

	assert_int_equal(raw_login(&a, r->port, "dave", "s3cret"), 0);
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|dave|%s|0|keep\n", h_b64("s3cret"));
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_non_null(strstr(b.line, "ERR|NAME_IN_USE|-|"));
	assert_true(raw_is_closed(&b, 5000));
	raw_close(&b);
	/* The session online is untouched. */
	raw_send(&a, "PING|still\n");
	assert_int_equal(raw_expect(&a, "PONG|still", 5000), 0);
	/* An open name online: refused all the same. */
	assert_int_equal(raw_login(&c, r->port, "erin", ""), 0);
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|erin||0|keep\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_non_null(strstr(b.line, "ERR|NAME_IN_USE|-|"));
	raw_close(&b);
	raw_close(&c);
	/* Offline: keep logs in; a word other than keep is a bad field. */
	raw_close(&a);
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|dave|%s|0|replace\n", h_b64("s3cret"));
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_non_null(strstr(b.line, "ERR|BAD_FIELD|"));
	raw_close(&b);
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|dave|%s|0|keep\n", h_b64("s3cret"));
	assert_int_equal(raw_expect(&b, "SYNCED", 10000), 0);
	/* Without keep, as before: the old session is replaced. */
	assert_int_equal(raw_login(&a, r->port, "dave", "s3cret"), 0);
	assert_int_equal(raw_expect(&b, "BYE|replaced", 5000), 0);
	raw_close(&a);
	raw_close(&b);
}

/*
 * The LOGIN of a device-aware client (docs/protocol.md "Several devices
 * per account"): take and a device id log in as a LOGIN without them
 * does; a second take from the same device replaces the first; another
 * word, or a device id out of the id alphabet, is a bad field.
 */
static void
relay__logs_in__with_take_and_a_device(void **state)
{
	struct relay *r = *state;

	assert_int_equal(raw_open(&a, r->port), 0);
	raw_send(&a, "LOGIN|1|fred|%s|0|take|k3f9\n", h_b64("s3cret"));
	assert_int_equal(raw_expect(&a, "SYNCED", 10000), 0);
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "LOGIN|1|fred|%s|0|take|k3f9\n", h_b64("s3cret"));
	assert_int_equal(raw_expect(&b, "SYNCED", 10000), 0);
	assert_int_equal(raw_expect(&a, "BYE|replaced", 5000), 0);
	raw_close(&a);
	assert_int_equal(raw_open(&a, r->port), 0);
	raw_send(&a, "LOGIN|1|fred|%s|0|grab|k3f9\n", h_b64("s3cret"));
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|BAD_FIELD|"));
	raw_close(&a);
	assert_int_equal(raw_open(&a, r->port), 0);
	raw_send(&a, "LOGIN|1|fred|%s|0|take|k3.f9\n", h_b64("s3cret"));
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|BAD_FIELD|"));
	raw_close(&a);
	raw_close(&b);
}

/*
 * Each device that logs in holds a cursor on its user's inbox, listed by
 * DEVICES|active (ACTIVE lines, oldest first, then DEVCOUNT): one
 * online, the other offline with what waits for it; a login without a
 * device is the version-1 device "-". DEVICES|drop removes a device and
 * ends its session.
 */
static void
relay__lists__the_devices_that_logged_in(void **state)
{
	struct relay *r = *state;
	char laptop[80], desk[80];

	h_tls_identity(1); /* over TLS the device is the key */
	assert_int_equal(raw_open(&a, r->port), 0);
	h_tls_identity(0);
	raw_send(&a, "LOGIN|1|gina|%s|0|take|laptop\n", h_b64("s3cret"));
	assert_int_equal(raw_expect(&a, "SYNCED", 10000), 0);
	raw_close(&a);
	assert_int_equal(raw_login(&c, r->port, "hank", ""), 0);
	raw_send(&c, "MSG|hank|gina|1|h1|aGk=\n");
	assert_int_equal(raw_expect(&c, "ACK|h1|stored", 10000), 0);
	h_tls_identity(2);
	assert_int_equal(raw_open(&b, r->port), 0);
	h_tls_identity(0);
	raw_send(&b, "LOGIN|1|gina|%s|0|keep|desk\n", h_b64("s3cret"));
	assert_int_equal(raw_expect(&b, "SYNCED", 10000), 0);
	assert_int_equal(raw_expect(&b, "MSG|hank|gina|1|h1|aGk=", 10000), 0);
	raw_send(&b, "DEVICES|active\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	printf("%s\n", b.line);
	assert_true(h_tls ? strlen(b.line) > 71 && b.line[71] == '|'
	                  : strncmp(b.line, "ACTIVE|@laptop|", 15) == 0);
	assert_non_null(strstr(b.line, "|offline|1"));
	snprintf(laptop, sizeof laptop, "%.*s",
	    (int)(strchr(b.line + 7, '|') - (b.line + 7)), b.line + 7);
	assert_int_equal(raw_line(&b, 5000), 0);
	printf("%s\n", b.line);
	assert_true(h_tls ? strlen(b.line) > 71 && b.line[71] == '|'
	                  : strncmp(b.line, "ACTIVE|@desk|", 13) == 0);
	assert_non_null(strstr(b.line, "|online|1"));
	snprintf(desk, sizeof desk, "%.*s",
	    (int)(strchr(b.line + 7, '|') - (b.line + 7)), b.line + 7);
	assert_int_equal(raw_expect(&b, "DEVCOUNT|2", 5000), 0);
	raw_send(&c, "DEVICES|active\n");
	assert_int_equal(raw_expect(&c, "ACTIVE|-|", 5000), 0);
	assert_int_equal(raw_expect(&c, "DEVCOUNT|1", 5000), 0);
	/* Dropping: an unknown device is refused; the laptop goes; the
	 * desk drops itself and its session ends with BYE|removed. */
	raw_send(&b, "DEVICES|drop|@nope\n");
	assert_int_equal(raw_expect(&b, "ERR|BAD_FIELD|-|", 5000), 0);
	raw_send(&b, "DEVICES|add|@nope\n"); /* pins take keys only */
	assert_int_equal(raw_expect(&b, "ERR|BAD_FIELD|-|", 5000), 0);
	raw_send(&b, "DEVICES|drop|%s\n", laptop);
	assert_int_equal(raw_expect(&b, "DEVCOUNT|1", 5000), 0);
	raw_send(&b, "DEVICES|drop|%s\n", desk);
	assert_int_equal(raw_expect(&b, "DEVCOUNT|0", 5000), 0);
	assert_int_equal(raw_expect(&b, "BYE|removed", 5000), 0);
	assert_true(raw_is_closed(&b, 5000));
	raw_close(&b);
	raw_close(&c);
}

/*
 * termgram devices active prints the devices that logged in as the user:
 * here the raw version-1 session (device "-", online) and the command
 * itself (a version-1 client too: the same device).
 */
static void
cmd_devices__active__lists_the_devices(void **state)
{
	struct relay *r = *state;
	static char out[4096], err[4096];
	char port[16], dir[256];

	assert_int_equal(raw_login(&a, r->port, "ivy", ""), 0);
	raw_close(&a);
	h_tmpdir(dir, sizeof dir);
	snprintf(port, sizeof port, "%d", r->port);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "devices",
	        "--port", port, "--user", "ivy", "--data", dir, "active", NULL),
	    0);
	printf("%s", out);
	assert_non_null(strstr(out, "-\t20"));
	assert_non_null(strstr(out, "\tonline\t0\n1 device\n"));
	h_rmdir(dir);
}

/* termgram devices --user jill ARGS with jill's password, its stdout in
 * out; the exit status. */
static int
jill_devices(const struct relay *r, const char *dir, char *out, size_t len,
    const char *op, const char *dev)
{
	static char err[4096];
	char port[16];
	int st;

	snprintf(port, sizeof port, "%d", r->port);
	setenv("TERMGRAM_PASSWORD", "s3cret", 1);
	st = run_client(NULL, NULL, out, len, err, sizeof err, "devices",
	    "--port", port, "--user", "jill", "--data", dir, op, dev, NULL);
	unsetenv("TERMGRAM_PASSWORD");
	printf("devices %s%s%s: %s%s", op, dev != NULL ? " " : "",
	    dev != NULL ? dev : "", out, err);
	return st;
}

/*
 * termgram devices drop DEVICE removes one of the user's devices: the
 * laptop (a raw device-aware login) goes, the command's own stays.
 */
static void
cmd_devices__drop__removes_a_device(void **state)
{
	struct relay *r = *state;
	static char out[4096];
	char dir[256], laptop[80];
	const char *p, *line;

	h_tls_identity(1);
	assert_int_equal(raw_open(&a, r->port), 0);
	h_tls_identity(0);
	raw_send(&a, "LOGIN|1|jill|%s|0|take|laptop\n", h_b64("s3cret"));
	assert_int_equal(raw_expect(&a, "SYNCED", 10000), 0);
	raw_close(&a);
	h_tmpdir(dir, sizeof dir);
	assert_int_equal(
	    jill_devices(r, dir, out, sizeof out, "active", NULL), 0);
	assert_non_null(strstr(out, "\n2 devices\n"));
	/* The laptop is the one offline. */
	assert_non_null(p = strstr(out, "\toffline\t"));
	for (line = p; line > out && line[-1] != '\n'; line--)
		;
	snprintf(laptop, sizeof laptop, "%.*s", (int)strcspn(line, "\t"), line);
	assert_int_equal(
	    jill_devices(r, dir, out, sizeof out, "drop", laptop), 0);
	assert_non_null(strstr(out, " dropped; 1 device\n"));
	assert_int_equal(
	    jill_devices(r, dir, out, sizeof out, "active", NULL), 0);
	assert_null(strstr(out, laptop));
	assert_non_null(strstr(out, "\tonline\t0\n1 device\n"));
	/* A device not in the list: the relay's clear refusal, exit 1. */
	assert_int_equal(
	    jill_devices(r, dir, out, sizeof out, "drop", "@nope"), 1);
	assert_int_equal(jill_devices(r, dir, out, sizeof out, "drop", "x"), 2);
	h_rmdir(dir);
}

static void
relay__refuses__spoofed_sender_and_unknown_user(void **state)
{
	struct relay *r = *state;

	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	raw_send(&a, "MSG|bob|alice|1|s1|aGk=\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|FORBIDDEN|s1|"));
	raw_send(&a, "MSG|alice|nobody|1|s2|aGk=\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|NO_SUCH_USER|s2|"));
	raw_send(&a,
	    "FOFFER|alice|nobody|x9|1|"
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08|"
	    "YQ==\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|NO_SUCH_USER|x9|"));
	/* bob saw none of it. */
	raw_send(&b, "PING|clean\n");
	do {
		assert_int_equal(raw_line(&b, 5000), 0);
		assert_true(strncmp(b.line, "MSG|", 4) != 0);
	} while (strcmp(b.line, "PONG|clean") != 0);
}

struct bad_line {
	const char *line;
	const char *reply;
};

static void
relay__answers__each_malformed_frame_and_stays_open(void **state)
{
	static const struct bad_line bad[] = {
	    {"HELLO|x", "ERR|BAD_VERB|-|"},
	    {"MSG|alice|bob|1|m1", "ERR|BAD_FRAME|m1|"},
	    {"MSG|alice|bob|01|m1|aGk=", "ERR|BAD_FIELD|m1|"},
	    {"MSG|alice|bob|1|m1|aGk", "ERR|BAD_BASE64|m1|"},
	    {"MSG|alice|bob|1|m1|wK8=", "ERR|BAD_UTF8|m1|"},
	    {"MSG|al ice|bob|1|m1|aGk=", "ERR|BAD_FIELD|m1|"},
	    {"RCPT|alice|bob|m1|seen", "ERR|BAD_FIELD|m1|"},
	    {"", "ERR|BAD_FRAME|-|"},
	    {"LOGIN|1|alice||0", "ERR|BAD_FRAME|-|"},
	    {"WELCOME|alice|t|1|1", "ERR|BAD_VERB|-|"},
	};
	struct relay *r = *state;
	size_t i;

	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		raw_send(&a, "%s\n", bad[i].line);
		assert_int_equal(raw_line(&a, 5000), 0);
		if (strncmp(a.line, bad[i].reply, strlen(bad[i].reply)) != 0)
			fail_msg("'%s' got '%s', expected '%s...'", bad[i].line,
			    a.line, bad[i].reply);
	}
	/* CRLF works, as nc and telnet send it. */
	raw_send(&a, "PING|crlf\r\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_string_equal(a.line, "PONG|crlf");
	/* A line past max-frame: TOO_LONG, and the connection closes. */
	{
		static char big[70000];
		memset(big, 'A', sizeof big);
		raw_write(&a, "MSG|", 4);
		raw_write(&a, big, sizeof big);
		assert_int_equal(raw_line(&a, 5000), 0);
		assert_non_null(strstr(a.line, "ERR|TOO_LONG|-|"));
		assert_true(raw_is_closed(&a, 5000));
	}
	/* Everyone else is still served. */
	raw_send(&b, "PING|ok\n");
	assert_int_equal(raw_expect(&b, "PONG|ok", 5000), 0);
}

static void
relay__refuses__frames_before_login(void **state)
{
	struct relay *r = *state;

	assert_int_equal(raw_open(&a, r->port), 0);
	raw_send(&a, "MSG|alice|bob|1|m1|aGk=\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|NOT_LOGGED_IN|-|"));
	raw_send(&a, "LOGIN|2|alice||0\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_non_null(strstr(a.line, "ERR|BAD_FIELD|-|"));
	assert_true(raw_is_closed(&a, 5000));
}

static void
relay__reports__stats_keys(void **state)
{
	static const char *const keys[] = {"uptime_s", "sessions", "frames_in",
	    "frames_out", "msgs_stored", "msgs_relayed", "bytes_relayed",
	    "queue_depth"};
	struct relay *r = *state;
	unsigned long long v;
	size_t i;

	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (raw_stats(&a, keys[i], &v) != 0)
			fail_msg("STATS has no %s", keys[i]);
	}
	assert_int_equal(raw_stats(&a, "sessions", &v), 0);
	assert_int_equal(v, 1);
}

/*
 * A reader that never reads: its messages go to the store, the relay's
 * memory stays bounded, and everyone else keeps chatting.
 */
static void
relay__stays_bounded__reader_that_never_reads(void **state)
{
	static char body[24000];
	struct relay own, *r = &own;
	long before, after;
	char *b64;
	int i, acks = 0;

	(void)state;
	/* AddressSanitizer keeps freed memory in quarantine (256 MiB by
	 * default), which would hide what the relay itself holds. */
	setenv("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=4", 1);
	assert_int_equal(relay_start(&own, NULL), 0);
	unsetenv("ASAN_OPTIONS");
	memset(body, 'z', sizeof body - 1);
	assert_int_equal(raw_login(&b, r->port, "bob", ""), 0);
	assert_int_equal(raw_login(&c, r->port, "carol", ""), 0);
	assert_int_equal(raw_login(&a, r->port, "alice", ""), 0);
	before = relay_rss_kb(r);
	b64 = strdup(h_b64(body));
	/* 2,400 messages of 32 KiB on the wire: 75 MiB bob never reads. */
	for (i = 0; i < 2400; i++) {
		raw_send(&a, "MSG|alice|bob|%d|big%d|%s\n", i, i, b64);
		while (raw_line(&a, i < 2399 ? 0 : 10000) == 0) {
			if (strncmp(a.line, "ACK|", 4) == 0)
				acks++;
		}
	}
	while (acks < 2400 && raw_expect(&a, "ACK|", 10000) == 0)
		acks++;
	free(b64);
	assert_int_equal(acks, 2400);
	after = relay_rss_kb(r);
	print_message("75 MiB to a reader that never reads: relay RSS %ld -> "
	              "%ld KiB\n",
	    before, after);
	/* The relay holds about bob's output queue, not 75 MiB. */
	if (after - before > 24 * 1024)
		fail_msg("relay grew from %ld to %ld KiB", before, after);
	raw_send(&c, "MSG|carol|alice|1|c1|aGk=\n");
	assert_int_equal(raw_expect(&a, "MSG|carol|alice|1|c1|", 5000), 0);
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(relay_finish(&own), 0);
}

static void
relay__drops__session_silent_for_three_heartbeats(void **state)
{
	struct relay *r = *state;
	struct relay fast;

	(void)r;
	assert_int_equal(relay_start(&fast, "--heartbeat", "1", NULL), 0);
	assert_int_equal(raw_login(&a, fast.port, "alice", ""), 0);
	assert_int_equal(raw_expect(&a, "BYE|idle", 6000), 0);
	assert_true(raw_is_closed(&a, 3000));
	raw_close(&a);
	assert_int_equal(relay_finish(&fast), 0);
}

/* Flood control and the session limit, each with its own clear error. */
static void
relay__limits__rate_and_sessions(void **state)
{
	struct relay own;
	int i, limited = 0, pongs = 0;

	(void)state;
	assert_int_equal(
	    relay_start(&own, "--rate", "20", "--max-sessions", "2", NULL), 0);
	assert_int_equal(raw_login(&a, own.port, "alice", ""), 0);
	/* The burst is twice the rate; LOGIN cost 10 of it. */
	for (i = 0; i < 100; i++)
		raw_send(&a, "PING|%d\n", i);
	while (raw_line(&a, 2000) == 0 && limited + pongs < 100) {
		if (strncmp(a.line, "ERR|RATE_LIMIT|-|", 17) == 0)
			limited++;
		else if (strncmp(a.line, "PONG|", 5) == 0)
			pongs++;
	}
	assert_int_equal(limited + pongs, 100);
	assert_true(pongs >= 30 && pongs <= 40);
	assert_true(limited >= 60);
	/* Two sessions at most: the third connection is told why. */
	assert_int_equal(raw_open(&b, own.port), 0);
	if (h_tls) {
		/* Over TLS it is closed before the handshake ends. */
		assert_int_not_equal(raw_open(&c, own.port), 0);
	} else {
		assert_int_equal(raw_open(&c, own.port), 0);
		assert_int_equal(raw_line(&c, 5000), 0);
		assert_string_equal(
		    c.line, "ERR|INTERNAL|-|dGhlIHJlbGF5IGlzIGZ1bGw=");
		assert_true(raw_is_closed(&c, 5000));
	}
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(relay_finish(&own), 0);
}

/*
 * Read USER lines from rc until it was told of all n logins burstNN, in
 * any order; the first one it was not told of, or n.
 */
static int
burst_told(struct raw *rc, int n)
{
	bool seen[64] = {false};
	int k, left = n;
	unsigned v;

	while (left > 0 && raw_expect(rc, "USER|burst", 10000) == 0) {
		if (sscanf(rc->line, "USER|burst%2u|online|", &v) == 1 &&
		    (int)v < n && !seen[v]) {
			seen[v] = true;
			left--;
		}
	}
	for (k = 0; k < n && seen[k]; k++)
		;
	return k;
}

/*
 * Presence goes out in batches, a slice of the sessions a turn: with more
 * sessions than one slice, every one hears every login of a burst, in
 * order; no session is told about its own user, nor again about a login
 * its own contact list had.
 */
static void
relay__tells__every_session_of_a_login_burst(void **state)
{
	struct relay *r = *state;
	enum { OBS = 400, BURST = 20 };
	struct raw *obs = calloc(OBS + BURST, sizeof *obs);
	char name[32];
	int i, k;

	assert_non_null(obs);
	for (i = 0; i < OBS; i++) {
		snprintf(name, sizeof name, "obs%03d", i);
		assert_int_equal(raw_login(&obs[i], r->port, name, ""), 0);
	}
	/* The burst's LOGINs leave together, so that some arrive while
	 * the batch of the first ones is still going out, slice by slice. */
	for (k = 0; k < BURST; k++)
		assert_int_equal(raw_open(&obs[OBS + k], r->port), 0);
	for (k = 0; k < BURST; k++)
		raw_send(
		    &obs[OBS + k], "LOGIN|1|burst%02d|%s|0\n", k, h_b64(""));
	for (k = 0; k < BURST; k++)
		assert_int_equal(raw_expect(&obs[OBS + k], "SYNCED", 10000), 0);
	for (i = 0; i < OBS; i++) {
		k = burst_told(&obs[i], BURST);
		if (k < BURST)
			fail_msg("obs%03d was not told of burst%02d", i, k);
	}
	/* A last login: its line is the first USER line any session
	 * reads now, so nothing about itself came before it. */
	assert_int_equal(raw_login(&a, r->port, "last", ""), 0);
	for (i = OBS; i < OBS + BURST; i++)
		raw_close(&obs[i]);
	for (i = 0; i < OBS; i++) {
		assert_int_equal(raw_expect(&obs[i], "USER|", 10000), 0);
		assert_string_equal(
		    strstr(obs[i].line, "USER|last|online|") == obs[i].line
		        ? "ok"
		        : obs[i].line,
		    "ok");
		raw_close(&obs[i]);
	}
	free(obs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        relay__routes__msg_byte_for_byte_and_rcpt_back, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__queues__offline_messages_in_order_after_synced,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__stores_and_acks__message_not_confirmed_in_grace,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__stores_everything__grace_zero, setup_grace0, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__refuses__second_login_of_open_name, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__takes_over__owned_name_with_right_password,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__keeps__online_session_for_login_with_keep, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__logs_in__with_take_and_a_device, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__lists__the_devices_that_logged_in, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        cmd_devices__active__lists_the_devices, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        cmd_devices__drop__removes_a_device, setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__refuses__spoofed_sender_and_unknown_user, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__answers__each_malformed_frame_and_stays_open,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__refuses__frames_before_login, setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__reports__stats_keys, setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__stays_bounded__reader_that_never_reads, setup_default,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__drops__session_silent_for_three_heartbeats,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__limits__rate_and_sessions, setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        relay__tells__every_session_of_a_login_burst, setup_crowd,
	        teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
