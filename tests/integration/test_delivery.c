/* SPDX-License-Identifier: MIT */
/*
 * Nothing acknowledged is ever lost: kill -9 of the relay under load, and
 * 10,000 messages through the headless client, none lost or duplicated.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
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

#include "harness.h"

#define CRASH_MSGS 20000

/*
 * alice sends to offline bob as fast as she can; once a quarter are ACKed the
 * relay is killed with SIGKILL. After a restart on the same data folder,
 * bob must get every ACKed message exactly once (unacknowledged ones may
 * or may not have made it: the sender still has them).
 */
static void
relay__keeps_every_acked_message__across_kill_9(void **state)
{
	static struct raw a, b;
	static unsigned char acked[CRASH_MSGS], got[CRASH_MSGS];
	struct relay r;
	int i, n, nacked = 0, ngot = 0, extra = 0;
	char *p;

	(void)state;
	memset(acked, 0, sizeof acked);
	memset(got, 0, sizeof got);
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);

	for (i = 0; i < CRASH_MSGS && nacked < CRASH_MSGS / 4; i++) {
		raw_send(
		    &a, "MSG|alice|bob|%d|k%d|%s\n", i, i, h_b64("durable"));
		while (raw_line(&a, 0) == 0) {
			if (sscanf(a.line, "ACK|k%d|stored", &n) == 1 &&
			    n >= 0 && n < CRASH_MSGS && !acked[n]) {
				acked[n] = 1;
				nacked++;
			}
		}
	}
	while (nacked < CRASH_MSGS / 4 && raw_line(&a, 5000) == 0) {
		if (sscanf(a.line, "ACK|k%d|stored", &n) == 1 && n >= 0 &&
		    n < CRASH_MSGS && !acked[n]) {
			acked[n] = 1;
			nacked++;
		}
	}
	/* Kill mid-load: frames are still in flight. */
	assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
	while (raw_line(&a, 200) == 0) {
		if (sscanf(a.line, "ACK|k%d|stored", &n) == 1 && n >= 0 &&
		    n < CRASH_MSGS && !acked[n]) {
			acked[n] = 1;
			nacked++;
		}
	}
	raw_close(&a);
	assert_true(nacked >= CRASH_MSGS / 4);

	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_send(&b, "PING|end\n");
	for (;;) {
		assert_int_equal(raw_line(&b, 10000), 0);
		if (strcmp(b.line, "PONG|end") == 0)
			break;
		if (strncmp(b.line, "MSG|alice|bob|", 14) != 0)
			continue;
		p = strstr(b.line, "|k");
		assert_non_null(p);
		n = atoi(p + 2);
		assert_true(n >= 0 && n < CRASH_MSGS);
		if (got[n])
			fail_msg("message k%d delivered twice", n);
		got[n] = 1;
		ngot++;
		raw_send(&b, "RCPT|bob|alice|k%d|delivered\n", n);
	}
	for (i = 0; i < CRASH_MSGS; i++) {
		if (acked[i] && !got[i])
			fail_msg("acknowledged message k%d was lost", i);
		if (got[i] && !acked[i])
			extra++;
	}
	print_message("kill -9 after %d ACKs: %d delivered (%d not yet "
	              "acknowledged when it died), none lost\n",
	    nacked, ngot, extra);
	/* Confirmed: gone from the queue for good. */
	raw_close(&b);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_send(&b, "PING|again\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_string_equal(b.line, "PONG|again");
	raw_close(&b);
	assert_int_equal(relay_finish(&r), 0);
}

#define MANY 10000

static char out[MANY * 64], err[1 << 20];

/*
 * The ports and data folders of alice and bob for relay r, and bob
 * registered (with `termgram who`) so that messages to him are accepted.
 */
static void
register_bob(struct relay *r, char *port, char *da, char *db)
{
	snprintf(port, 16, "%d", r->port);
	snprintf(da, 300, "%s/alice", r->dir);
	snprintf(db, 300, "%s/bob", r->dir);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	        "--port", port, "--user", "bob", "--data", db, NULL),
	    0);
}

/* Two headless users exchange 10,000 messages; none lost or duplicated. */
static void
client__delivers__10000_messages_exactly_once(void **state)
{
	struct relay r;
	char port[16], *input, *line, *save = NULL, da[300], db[300];
	static unsigned char seen[MANY + 1];
	size_t k = 0;
	int i, n, st, count = 0;

	(void)state;
	memset(seen, 0, sizeof seen);
	assert_int_equal(relay_start(&r, NULL), 0);
	/* bob registers, then is away while alice sends. */
	register_bob(&r, port, da, db);
	input = malloc(MANY * 40);
	for (i = 1; i <= MANY; i++)
		k += (size_t)sprintf(input + k, "message %d: 你好 😀 | ok\n", i);
	st = run_client(input, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", port, "--user", "alice", "--data", da, "--stdin",
	    "--timeout", "120", "bob", NULL);
	free(input);
	if (st != 0)
		fail_msg("send exited %d: %s", st, err);

	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "bob", "--data", db, "--count", "10000",
	    "--timeout", "120", NULL);
	if (st != 0)
		fail_msg("recv exited %d: %s", st, err);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "\talice\tmessage ");
		assert_non_null(p);
		n = atoi(p + 15);
		assert_true(n >= 1 && n <= MANY);
		if (seen[n])
			fail_msg("message %d printed twice", n);
		/* In order, as sent. */
		assert_int_equal(n, count + 1);
		assert_non_null(strstr(p, ": 你好 😀 | ok"));
		seen[n] = 1;
		count++;
	}
	assert_int_equal(count, MANY);

	/* Everything was confirmed: a second recv finds nothing new. */
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "bob", "--data", db, "--timeout", "1",
	    NULL);
	assert_int_equal(st, 0);
	assert_string_equal(out, "");
	assert_int_equal(relay_finish(&r), 0);
}

/* A message sent while bob is online arrives, and send waits for it. */
static void
client__send_recv__live_with_receipt_and_escapes(void **state)
{
	struct relay r;
	char port[16], da[300], db[300];
	int st;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	register_bob(&r, port, da, db);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--user", "alice", "--port", port, "--data", da, "bob", "tab\there",
	    "back\\slash\nnew line", NULL);
	assert_int_equal(st, 0);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "bob", "--data", db, "--count", "1",
	    "--timeout", "10", NULL);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out,
	    "\talice\ttab\\there back\\\\slash\\nnew "
	    "line\n"));
	/* who lists both, with presence. */
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	    "--port", port, "--user", "alice", "--data", da, NULL);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "bob\toffline\t"));
	assert_non_null(strstr(out, "alice\tonline\t"));
	/* Errors are clear, with a non-zero status. */
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", port, "--user", "alice", "--data", da, "nobody", "x",
	    NULL);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "NO_SUCH_USER"));
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", port, "--data", da, "bob", "x", NULL);
	assert_int_equal(st, 2);
	assert_non_null(strstr(err, "--user"));
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "b@d", NULL);
	assert_int_equal(st, 2);
	assert_non_null(strstr(err, "not a valid name"));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The relay is down when alice sends: the message waits in her outbox,
 * send says so, and the next command delivers it with the same id.
 */
static void
client__keeps_outbox__while_relay_is_down(void **state)
{
	struct relay r;
	char port[16], da[300], db[300];
	int st;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	register_bob(&r, port, da, db);
	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", port, "--user", "alice", "--data", da, "--timeout", "2",
	    "bob", "written while the relay was down", NULL);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "stay in the outbox"));
	/* The relay comes back (on another port, same data). */
	assert_int_equal(relay_restart(&r), 0);
	snprintf(port, sizeof port, "%d", r.port);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	    "--port", port, "--user", "alice", "--data", da, NULL);
	assert_int_equal(st, 0);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "bob", "--data", db, "--count", "1",
	    "--timeout", "10", NULL);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out,
	    "\talice\twritten while the relay was "
	    "down\n"));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The relay dies (kill -9) while alice's client is sending 20,000 messages;
 * it comes back on the same port. The client reconnects by itself, resends
 * what was unconfirmed with the same ids, and bob gets each exactly once.
 */
static void
client__reconnects_and_resends__relay_killed_mid_send(void **state)
{
	struct relay r;
	char port[16], da[300], db[300], *input, *line, *save = NULL;
	static unsigned char seen[20001];
	size_t k = 0;
	int i, n, st, count = 0, fd;
	pid_t child;

	(void)state;
	memset(seen, 0, sizeof seen);
	/* A fixed port, so the restarted relay is where the client looks. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in sa;
		socklen_t len = sizeof sa;
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(
		    bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
		getsockname(fd, (struct sockaddr *)&sa, &len);
		snprintf(port, sizeof port, "%d", ntohs(sa.sin_port));
		close(fd);
	}
	assert_int_equal(relay_start(&r, "--port", port, NULL), 0);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	    "--port", port, "--user", "bob", "--data", db, NULL);
	assert_int_equal(st, 0);

	input = malloc(20000 * 24);
	for (i = 1; i <= 20000; i++)
		k += (size_t)sprintf(input + k, "n %d\n", i);
	child = fork();
	if (child == 0) {
		st = run_client(input, NULL, out, sizeof out, err, sizeof err,
		    "send", "--port", port, "--user", "alice", "--data", da,
		    "--stdin", "--timeout", "120", "bob", NULL);
		if (st != 0)
			fprintf(stderr, "send: %s\n", err);
		_exit(st);
	}
	free(input);
	/* Let some of it through, then kill the relay under the client. */
	for (i = 0; i < 500 && !relay_log_has(&r, "alice logged in"); i++)
		usleep(10000);
	usleep(300000);
	assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
	usleep(200000);
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The client did come back to the new relay to finish. */
	assert_true(relay_log_has(&r, "alice logged in"));

	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "bob", "--data", db, "--count", "20000",
	    "--timeout", "120", NULL);
	if (st != 0)
		fail_msg("recv exited %d: %s", st, err);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "\talice\tn ");
		assert_non_null(p);
		n = atoi(p + 9);
		assert_true(n >= 1 && n <= 20000);
		if (seen[n])
			fail_msg("message %d printed twice", n);
		seen[n] = 1;
		count++;
	}
	assert_int_equal(count, 20000);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(relay__keeps_every_acked_message__across_kill_9),
	    cmocka_unit_test(client__delivers__10000_messages_exactly_once),
	    cmocka_unit_test(client__send_recv__live_with_receipt_and_escapes),
	    cmocka_unit_test(client__keeps_outbox__while_relay_is_down),
	    cmocka_unit_test(
	        client__reconnects_and_resends__relay_killed_mid_send),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
