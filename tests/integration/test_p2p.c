/* SPDX-License-Identifier: MIT */
/*
 * P2P mode end to end with the headless client: messages and files go
 * straight to the peer (the relay's counters prove it), and when the peer
 * dies in the middle, what it had not acknowledged goes through the
 * relay's queue and reaches it when it returns; a file resumes through the
 * relay from what had arrived.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
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

static int
wait_exit(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

/* Count the lines "TS<TAB>FROM<TAB>p N" of a recv output into seen. */
static int
count_from(
    const char *path, const char *from, unsigned char *seen, int max, int *dups)
{
	char line[256], want[64];
	FILE *f = fopen(path, "r");
	int n, count = 0;
	char *p;

	if (f == NULL)
		return 0;
	snprintf(want, sizeof want, "\t%s\tp ", from);
	while (fgets(line, sizeof line, f) != NULL) {
		if ((p = strstr(line, want)) == NULL)
			continue;
		n = atoi(p + strlen(want));
		if (n < 1 || n > max)
			continue;
		if (seen[n] && dups != NULL)
			(*dups)++;
		seen[n] = 1;
		count++;
	}
	fclose(f);
	return count;
}

static int
count_lines(const char *path, unsigned char *seen, int max, int *dups)
{
	return count_from(path, "alice", seen, max, dups);
}

static char *
numbered(int from, int to)
{
	char *s = malloc((size_t)(to - from + 1) * 16 + 1);
	size_t k = 0;
	int i;

	for (i = from; i <= to; i++)
		k += (size_t)sprintf(s + k, "p %d\n", i);
	s[k] = '\0';
	return s;
}

/* alice, in P2P mode, sends "p 1" to "p N" to bob, one message a line;
 * fails the test unless all are safe. */
static void
alice_sends(const char *port, const char *data, int n)
{
	static char out[8192], err[8192];
	char *input = numbered(1, n);
	int st;

	st = run_client(input, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", port, "--user", "alice", "--data", data, "--stdin",
	    "--timeout", "60", "--p2p", "bob", NULL);
	free(input);
	if (st != 0)
		fail_msg("send exited %d: %s", st, err);
}

static void
wait_log(struct relay *r, const char *what)
{
	int i;

	for (i = 0; i < 1000 && !relay_log_has(r, what); i++)
		usleep(10000);
	if (!relay_log_has(r, what))
		fail_msg("the relay never logged \"%s\"", what);
}

/* A relay, and where alice's and bob's stores, recv outputs and
 * downloads go. */
struct world {
	struct relay r;
	char port[16], da[400], db[400], out[400], out2[400], dl[400];
};

/* Start the relay with one option (opt NULL: none). */
static void
world_start(struct world *w, const char *opt, const char *val)
{
	assert_int_equal(relay_start(&w->r, opt, val, NULL), 0);
	snprintf(w->port, sizeof w->port, "%d", w->r.port);
	snprintf(w->da, sizeof w->da, "%s/alice", w->r.dir);
	snprintf(w->db, sizeof w->db, "%s/bob", w->r.dir);
	snprintf(w->out, sizeof w->out, "%s.out", w->r.dir);
	snprintf(w->out2, sizeof w->out2, "%s.out2", w->r.dir);
	snprintf(w->dl, sizeof w->dl, "%s/downloads", w->r.dir);
}

static void
world_end(struct world *w)
{
	unlink(w->out);
	unlink(w->out2);
	assert_int_equal(relay_finish(&w->r), 0);
}

/* A file of mib MiB of random bytes named name in the world's folder;
 * its path goes to src. */
static void
world_file(struct world *w, const char *name, size_t mib, char *src, size_t len)
{
	snprintf(src, len, "%s/%s", w->r.dir, name);
	h_random_file(src, mib);
}

/* Whether the file named name is in the downloads, identical. */
static bool
arrived(struct world *w, const char *name)
{
	char src[1024], dst[1024];

	snprintf(src, sizeof src, "%s/%s", w->r.dir, name);
	snprintf(dst, sizeof dst, "%s/%s", w->dl, name);
	return h_same_file(src, dst);
}

/* bob receives files, accepting them, in P2P mode (mode "--p2p") or
 * relay mode (mode "--relay"); count 0: no end. */
static pid_t
bob_takes_files(
    struct world *w, const char *out, const char *mode, const char *count)
{
	return spawn_client(out, "recv", "--port", w->port, "--user", "bob",
	    "--data", w->db, "--accept-files", "--dir", w->dl, "--count", count,
	    "--timeout", "120", strcmp(mode, "--p2p") == 0 ? mode : NULL, NULL);
}

/*
 * from (alice or bob) sends the file at src to to with termgram sendfile,
 * in P2P mode or not. Its exit status; what it said on stderr in *said.
 */
static int
send_file(struct world *w, const char *from, const char *to, const char *src,
    bool p2p, const char **said)
{
	static char out[8192], err[8192];
	const char *data = strcmp(from, "alice") == 0 ? w->da : w->db;

	*said = err;
	if (p2p)
		return run_client(NULL, NULL, out, sizeof out, err, sizeof err,
		    "sendfile", "--port", w->port, "--user", from, "--data",
		    data, "--p2p", "--timeout", "120", to, src, NULL);
	return run_client(NULL, NULL, out, sizeof out, err, sizeof err,
	    "sendfile", "--port", w->port, "--user", from, "--data", data,
	    "--timeout", "120", to, src, NULL);
}

/* The same, which must succeed and say how the file went: how is
 * "(direct)" or "(through the relay)". */
static void
file_goes(struct world *w, const char *from, const char *to, const char *src,
    bool p2p, const char *how)
{
	const char *said;
	int st = send_file(w, from, to, src, p2p, &said);

	if (st != 0)
		fail_msg("sendfile exited %d: %s", st, said);
	if (strstr(said, how) == NULL)
		fail_msg("sendfile did not say %s: %s", how, said);
}

static void
p2p__messages_go_direct__the_relay_carries_none(void **state)
{
	struct world w;
	struct raw x;
	unsigned char seen[201];
	unsigned long long relayed = 99, bytes = 99, stored = 99;
	pid_t bob;
	int dups = 0;

	(void)state;
	memset(seen, 0, sizeof seen);
	world_start(&w, "--log-level", "debug");

	bob = spawn_client(w.out, "recv", "--port", w.port, "--user", "bob",
	    "--data", w.db, "--p2p", "--count", "200", "--timeout", "60", NULL);
	wait_log(&w.r, "bob logged in");
	alice_sends(w.port, w.da, 200);
	assert_int_equal(wait_exit(bob), 0);
	assert_int_equal(count_lines(w.out, seen, 200, &dups), 200);
	assert_int_equal(dups, 0);

	/* The handshake went through the relay; the messages did not. */
	assert_true(relay_log_has(&w.r, "bob verified a ticket of alice: yes"));
	assert_int_equal(raw_login(&x, w.r.port, "carol", ""), 0);
	assert_int_equal(raw_stats(&x, "msgs_relayed", &relayed), 0);
	assert_int_equal(raw_stats(&x, "bytes_relayed", &bytes), 0);
	assert_int_equal(raw_stats(&x, "msgs_stored", &stored), 0);
	assert_int_equal(relayed, 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(stored, 0);
	raw_close(&x);
	world_end(&w);
}

static void
p2p__peer_killed_midway__the_rest_waits_in_the_queue(void **state)
{
	struct world w;
	char out[8192], err[8192];
	unsigned char seen[3001];
	char *input;
	pid_t bob, alice;
	int i, st, first, dups = 0;

	(void)state;
	memset(seen, 0, sizeof seen);
	world_start(&w, NULL, NULL);

	bob = spawn_client(w.out, "recv", "--port", w.port, "--user", "bob",
	    "--data", w.db, "--p2p", "--timeout", "60", NULL);
	wait_log(&w.r, "bob logged in");
	input = numbered(1, 3000);
	alice = fork();
	if (alice == 0) {
		st = run_client(input, NULL, out, sizeof out, err, sizeof err,
		    "send", "--port", w.port, "--user", "alice", "--data", w.da,
		    "--p2p", "--stdin", "--timeout", "60", "bob", NULL);
		if (st != 0)
			fprintf(stderr, "send: %s\n", err);
		_exit(st);
	}
	free(input);
	/* Some arrive directly; then the receiver dies without a word. */
	for (i = 0; i < 2000; i++) {
		memset(seen, 0, sizeof seen);
		if (count_lines(w.out, seen, 3000, NULL) >= 50)
			break;
		usleep(5000);
	}
	kill(bob, SIGKILL);
	wait_exit(bob);
	/* The sender finishes: the rest is safe in the relay's queue. */
	assert_int_equal(wait_exit(alice), 0);
	memset(seen, 0, sizeof seen);
	first = count_lines(w.out, seen, 3000, &dups);
	assert_true(first >= 50);
	assert_int_equal(dups, 0);
	fprintf(stderr, "%d of 3000 arrived directly before the kill\n", first);

	/* bob returns and gets the rest, each once. */
	bob = spawn_client(w.out2, "recv", "--port", w.port, "--user", "bob",
	    "--data", w.db, "--p2p", "--count", "0", "--timeout", "3", NULL);
	wait_exit(bob);
	dups = 0;
	{
		unsigned char again[3001];
		memset(again, 0, sizeof again);
		count_lines(w.out2, again, 3000, &dups);
		assert_int_equal(dups, 0);
		for (i = 1; i <= 3000; i++)
			seen[i] |= again[i];
	}
	for (i = 1; i <= 3000; i++) {
		if (!seen[i])
			fail_msg("message %d never arrived (%d came directly)",
			    i, first);
	}
	world_end(&w);
}

static void
p2p__and_relay_mode_clients_still_chat__through_the_relay(void **state)
{
	struct world w;
	struct raw x;
	unsigned char seen[21];
	unsigned long long relayed = 0;
	char src[1024];
	pid_t bob;

	(void)state;
	memset(seen, 0, sizeof seen);
	world_start(&w, NULL, NULL);
	/* bob takes no direct connections (p2p-port 0 in his LOGIN). */
	bob = bob_takes_files(&w, w.out, "--relay", "21");
	wait_log(&w.r, "bob logged in");
	alice_sends(w.port, w.da, 20);
	/* A file, too, goes by the relay. */
	world_file(&w, "mixed.bin", 2, src, sizeof src);
	file_goes(&w, "alice", "bob", src, true, "(through the relay)");
	assert_int_equal(wait_exit(bob), 0);
	assert_true(arrived(&w, "mixed.bin"));
	assert_int_equal(count_lines(w.out, seen, 20, NULL), 20);
	assert_int_equal(raw_login(&x, w.r.port, "carol", ""), 0);
	assert_int_equal(raw_stats(&x, "msgs_relayed", &relayed), 0);
	assert_int_equal(relayed, 20);
	raw_close(&x);
	world_end(&w);
}

static void
p2p__light_client_holds_no_connection_between_operations(void **state)
{
	struct world w;
	struct raw x;
	char out[4096], err[4096];
	unsigned long long relayed = 99;
	pid_t alice;
	int st;

	(void)state;
	world_start(&w, "--heartbeat", "1");
	/* Her own interval is the default 15 s: she learns the relay's. */
	alice = spawn_client(w.out, "recv", "--port", w.port, "--user", "alice",
	    "--data", w.da, "--light", "--count", "3", "--timeout", "60", NULL);
	wait_log(&w.r, "alice logged in");

	/* Between operations: no connection of hers, yet online. (Only the
	 * connection asking STATS is there.) */
	assert_int_equal(raw_login(&x, w.r.port, "carol", ""), 0);
	assert_int_equal(h_stats_until(&x, "light", 1, 10000), 0);
	assert_int_equal(h_stats_until(&x, "sessions", 1, 10000), 0);
	/* And she stays so for four of the relay's intervals. */
	for (st = 0; st < 40; st++) {
		unsigned long long light = 0;
		assert_int_equal(raw_stats(&x, "light", &light), 0);
		assert_int_equal(light, 1);
		usleep(100000);
	}
	assert_false(relay_log_has(&w.r, "alice left"));
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	    "--port", w.port, "--user", "bob", "--data", w.db, NULL);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "alice\tonline\t"));

	/* A message through the relay: ALIVE says one waits; she fetches it
	 * and rests again. */
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", w.port, "--user", "bob", "--data", w.db, "--timeout",
	    "30", "alice", "p 1", NULL);
	if (st != 0)
		fail_msg("send exited %d: %s", st, err);
	for (st = 0; st < 200; st++) {
		unsigned char seen[4] = {0};
		if (count_from(w.out, "bob", seen, 3, NULL) == 1)
			break;
		usleep(50000);
	}
	assert_true(st < 200);
	assert_int_equal(h_stats_until(&x, "sessions", 1, 10000), 0);

	/* A P2P sender reaches her directly: she wakes only to have the
	 * ticket checked. */
	assert_int_equal(raw_stats(&x, "msgs_relayed", &relayed), 0);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", w.port, "--user", "bob", "--data", w.db, "--p2p",
	    "--timeout", "30", "alice", "p 2", NULL);
	if (st != 0)
		fail_msg("send exited %d: %s", st, err);
	assert_int_equal(h_stats_until(&x, "msgs_relayed", relayed, 0), 0);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", w.port, "--user", "bob", "--data", w.db, "--timeout",
	    "30", "alice", "p 3", NULL);
	assert_int_equal(st, 0);
	assert_int_equal(wait_exit(alice), 0);
	{
		unsigned char seen[4] = {0};
		assert_int_equal(count_from(w.out, "bob", seen, 3, NULL), 3);
	}
	raw_close(&x);
	world_end(&w);
}

static unsigned long long
stat_of(struct world *w, const char *key)
{
	struct raw x;
	unsigned long long v = 0;

	assert_int_equal(raw_login(&x, w->r.port, "carol", ""), 0);
	assert_int_equal(raw_stats(&x, key, &v), 0);
	raw_close(&x);
	return v;
}

static void
p2p__files_go_direct__the_relay_carries_none(void **state)
{
	struct world w;
	char src[1024];
	pid_t bob;

	(void)state;
	world_start(&w, NULL, NULL);
	world_file(&w, "direct 你好.bin", 64, src, sizeof src);
	bob = bob_takes_files(&w, w.out, "--p2p", "1");
	wait_log(&w.r, "bob logged in");
	file_goes(&w, "alice", "bob", src, true, "(direct)");
	assert_int_equal(wait_exit(bob), 0);
	assert_true(arrived(&w, "direct 你好.bin"));
	/* Not one byte of it, nor of its offer, passed the relay. */
	assert_int_equal(stat_of(&w, "bytes_relayed"), 0);
	assert_int_equal(stat_of(&w, "msgs_relayed"), 0);
	world_end(&w);
}

/* The size of bob's .part of alice's transfer (-1: none yet). */
static long long
part_size(const char *dl)
{
	char path[1024];
	struct dirent *e;
	struct stat sb;
	long long size = -1;
	DIR *d = opendir(dl);

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".alice-", 7) != 0 ||
		    strstr(e->d_name, ".part") == NULL)
			continue;
		snprintf(path, sizeof path, "%s/%s", dl, e->d_name);
		if (stat(path, &sb) == 0)
			size = (long long)sb.st_size;
	}
	closedir(d);
	return size;
}

/*
 * The receiver dies in the middle of a direct transfer. The sender sees
 * the connection end, finds the peer gone, and waits; the receiver comes
 * back in relay mode, so the same transfer is offered again through the
 * relay, the receiver answers with what its .part holds, and only the
 * rest passes the relay. The file verifies.
 */
static void
p2p__file_resumes_through_the_relay__after_the_receiver_dies(void **state)
{
	struct world w;
	char src[1024];
	unsigned long long relayed;
	long long had = -1, size = 256ll << 20;
	pid_t bob, alice;
	int i, st;

	(void)state;
	world_start(&w, NULL, NULL);
	world_file(&w, "cut.bin", 256, src, sizeof src);
	bob = bob_takes_files(&w, w.out, "--p2p", "0");
	wait_log(&w.r, "bob logged in");
	alice = fork();
	if (alice == 0) {
		const char *said;
		st = send_file(&w, "alice", "bob", src, true, &said);
		if (st != 0)
			fprintf(stderr, "sendfile: %s\n", said);
		else if (strstr(said, "(through the relay)") == NULL)
			st = 3;
		_exit(st);
	}
	for (i = 0; i < 20000 && had < (16 << 20); i++) {
		had = part_size(w.dl);
		usleep(1000);
	}
	kill(bob, SIGKILL);
	wait_exit(bob);
	had = part_size(w.dl);
	assert_true(had > 0 && had < size);
	assert_int_equal(stat_of(&w, "bytes_relayed"), 0);
	print_message("receiver killed with %lld of %lld bytes\n", had, size);

	bob = bob_takes_files(&w, w.out2, "--relay", "1");
	assert_int_equal(wait_exit(alice), 0);
	assert_int_equal(wait_exit(bob), 0);
	assert_true(arrived(&w, "cut.bin"));
	assert_int_equal(part_size(w.dl), -1); /* renamed */
	relayed = stat_of(&w, "bytes_relayed");
	print_message("then %llu bytes through the relay\n", relayed);
	assert_true(relayed > 0);
	assert_true(relayed < (unsigned long long)(size - had) + (1 << 20));
	world_end(&w);
}

/*
 * A light client holds no connection yet shows online: a file offered to
 * it through the relay (by a relay-mode sender) waits in its queue, the
 * next ALIVE answer wakes it, and the transfer goes through the relay.
 */
static void
p2p__light_client_gets_a_file_offered_through_the_relay(void **state)
{
	struct world w;
	struct raw x;
	char src[1024];
	pid_t alice;

	(void)state;
	world_start(&w, "--heartbeat", "1");
	alice = spawn_client(w.out, "recv", "--port", w.port, "--user", "alice",
	    "--data", w.da, "--light", "--heartbeat", "1", "--accept-files",
	    "--dir", w.dl, "--count", "1", "--timeout", "60", NULL);
	wait_log(&w.r, "alice logged in");
	assert_int_equal(raw_login(&x, w.r.port, "carol", ""), 0);
	assert_int_equal(h_stats_until(&x, "light", 1, 10000), 0);
	assert_int_equal(h_stats_until(&x, "sessions", 1, 10000), 0);
	raw_close(&x);

	world_file(&w, "to light.bin", 4, src, sizeof src);
	file_goes(&w, "bob", "alice", src, false, "(through the relay)");
	assert_int_equal(wait_exit(alice), 0);
	assert_true(arrived(&w, "to light.bin"));
	world_end(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(p2p__messages_go_direct__the_relay_carries_none),
	    cmocka_unit_test(
	        p2p__peer_killed_midway__the_rest_waits_in_the_queue),
	    cmocka_unit_test(
	        p2p__and_relay_mode_clients_still_chat__through_the_relay),
	    cmocka_unit_test(
	        p2p__light_client_holds_no_connection_between_operations),
	    cmocka_unit_test(p2p__files_go_direct__the_relay_carries_none),
	    cmocka_unit_test(
	        p2p__file_resumes_through_the_relay__after_the_receiver_dies),
	    cmocka_unit_test(
	        p2p__light_client_gets_a_file_offered_through_the_relay),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
