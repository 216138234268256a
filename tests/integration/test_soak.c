/* SPDX-License-Identifier: MIT */
/*
 * Soak: the relay is killed with SIGKILL again and again under load and
 * restarted on the same data folder, while the real client sends
 * numbered messages (`termgram send --stdin`) and another real client
 * receives them live (`termgram recv`), both reconnecting by themselves.
 * At the receiver no message may be missing and none may come twice.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define SOAK_MSGS 20000
#define SOAK_KILLS 5

static char out[1 << 16], err[1 << 16];

/* Milliseconds of a monotonic clock. */
static long long
soak_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How many lines the file at path holds now. */
static int
soak_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (f == NULL)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* alice sends "n 1" ... "n SOAK_MSGS" to bob; exits with send's status. */
static pid_t
soak_sender(const char *port, const char *dir)
{
	char *input = malloc(SOAK_MSGS * 16);
	size_t k = 0;
	pid_t pid;
	int i, st;

	for (i = 1; i <= SOAK_MSGS; i++)
		k += (size_t)sprintf(input + k, "n %d\n", i);
	pid = fork();
	if (pid == 0) {
		st = run_client(input, NULL, out, sizeof out, err, sizeof err,
		    "send", "--port", port, "--user", "alice", "--data", dir,
		    "--stdin", "--timeout", "100", "bob", NULL);
		if (st != 0)
			fprintf(stderr, "send: %s\n", err);
		_exit(st);
	}
	free(input);
	return pid;
}

/* Count what bob printed: each number once, or lost, or twice. */
static void
soak_count(const char *path, int *got, int *lost, int *doubled)
{
	static unsigned char seen[SOAK_MSGS + 1];
	char line[512], *p;
	FILE *f = fopen(path, "r");
	int n, i;

	memset(seen, 0, sizeof seen);
	*got = *lost = *doubled = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		p = strstr(line, "\talice\tn ");
		assert_non_null(p);
		n = atoi(p + 9);
		assert_true(n >= 1 && n <= SOAK_MSGS);
		if (seen[n]++ > 0)
			(*doubled)++;
		(*got)++;
	}
	fclose(f);
	for (i = 1; i <= SOAK_MSGS; i++)
		*lost += seen[i] == 0;
}

static void
relay__loses_and_doubles_nothing__across_kill_9_cycles(void **state)
{
	struct relay r;
	char port[16], da[300], db[300], got_path[320], count[16];
	int i, st, kills = 0, got, lost, doubled, seen;
	long long t0 = soak_ms(), deadline;
	pid_t sender, receiver;

	(void)state;
	/* A fixed port, so the restarted relay is where the clients look. */
	snprintf(port, sizeof port, "%d", h_free_port());
	assert_int_equal(relay_start(&r, "--port", port, NULL), 0);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(got_path, sizeof got_path, "%s/bob.out", r.dir);
	snprintf(count, sizeof count, "%d", SOAK_MSGS);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	    "--port", port, "--user", "bob", "--data", db, NULL);
	assert_int_equal(st, 0);
	receiver = spawn_client(got_path, "recv", "--port", port, "--user",
	    "bob", "--data", db, "--count", count, "--timeout", "100", NULL);
	sender = soak_sender(port, da);

	/* Kill whenever bob has seen another share of the messages (both
	 * clients logged in again first), then restart at once. */
	for (i = 1; i <= SOAK_KILLS; i++) {
		deadline = soak_ms() + 30000;
		while ((seen = soak_lines(got_path)) <
		        SOAK_MSGS * i / (SOAK_KILLS + 1) ||
		    !relay_log_has(&r, "alice logged in") ||
		    !relay_log_has(&r, "bob logged in")) {
			if (soak_ms() > deadline)
				fail_msg(
				    "cycle %d: bob has %d messages", i, seen);
			usleep(10000);
		}
		assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
		kills++;
		assert_int_equal(relay_restart(&r), 0);
	}
	assert_int_equal(waitpid(sender, &st, 0), sender);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(waitpid(receiver, &st, 0), receiver);
	soak_count(got_path, &got, &lost, &doubled);
	print_message("soak: %d kill -9 cycles, %d messages sent, %d received, "
	              "%d lost, %d doubled, in %.1f s\n",
	    kills, SOAK_MSGS, got, lost, doubled,
	    (double)(soak_ms() - t0) / 1000.0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(lost, 0);
	assert_int_equal(doubled, 0);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        relay__loses_and_doubles_nothing__across_kill_9_cycles),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
