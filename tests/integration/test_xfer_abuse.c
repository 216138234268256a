/* SPDX-License-Identifier: MIT */
/*
 * Transfers a peer cannot abuse, with a real relay and the real client:
 * a kept .part re-offered under a new name, a planted link, an offer of
 * 2^63 bytes, a wrong hash three times, and a receiver that quits at 12 %
 * and comes back without --accept-files.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
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

#include <sodium.h>

#include "harness.h"

static char out[1 << 16], err[1 << 16];

/* `termgram recv` for bob in the background; accept: --accept-files. */
static pid_t
receiver(const char *port, const char *db, const char *dl, const char *o,
    bool accept, const char *count)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(o, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		if (accept)
			execl(TERMGRAM_BIN_DIR "/termgram", "termgram", "recv",
			    "--port", port, "--user", "bob", "--data", db,
			    "--accept-files", "--dir", dl, "--count", count,
			    "--timeout", "120", (char *)NULL);
		else
			execl(TERMGRAM_BIN_DIR "/termgram", "termgram", "recv",
			    "--port", port, "--user", "bob", "--data", db,
			    "--dir", dl, "--count", count, "--timeout", "120",
			    (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
wait_log(struct relay *r, const char *text, int times)
{
	int i;

	for (i = 0; i < 2000; i++) {
		const char *p;
		char buf[1 << 16];
		int n = 0;
		FILE *f = fopen(r->log, "r");
		size_t len = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;

		if (f != NULL)
			fclose(f);
		buf[len] = '\0';
		for (p = buf; (p = strstr(p, text)) != NULL; p++)
			n++;
		if (n >= times)
			return;
		usleep(10000);
	}
	fail_msg("the relay never logged '%s' %d times", text, times);
}

static void
sha_hex(const void *p, size_t n, char *hex)
{
	unsigned char sum[32];

	crypto_hash_sha256(sum, p, n);
	sodium_bin2hex(hex, 65, sum, sizeof sum);
}

/* Offer as mallory; the answer line (FACCEPT, FREJECT, ERR) or "". */
static const char *
offer(struct raw *a, const char *xfer, unsigned long long size, const char *sha,
    const char *name)
{
	char ref[80];

	raw_send(a, "FOFFER|mallory|bob|%s|%llu|%s|%s\n", xfer, size, sha,
	    h_b64(name));
	snprintf(ref, sizeof ref, "|%s|", xfer);
	while (raw_line(a, 10000) == 0) {
		if ((strncmp(a->line, "FACCEPT|", 8) == 0 ||
		        strncmp(a->line, "FREJECT|", 8) == 0 ||
		        strncmp(a->line, "ERR|", 4) == 0) &&
		    strstr(a->line, ref) != NULL)
			return a->line;
	}
	return "";
}

/* The reason of a FREJECT line, decoded. */
static const char *
reason(const char *line)
{
	static char text[1100];
	size_t n = 0;

	line = strrchr(line, '|') + 1;
	if (sodium_base642bin((unsigned char *)text, sizeof text - 1, line,
	        strlen(line), NULL, &n, NULL,
	        sodium_base64_VARIANT_ORIGINAL) != 0)
		n = 0;
	text[n] = '\0';
	return text;
}

static bool
in_dl(const char *dl, const char *name)
{
	char p[1300];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", dl, name);
	return lstat(p, &st) == 0;
}

/*
 * mallory's offer is accepted and half sent; bob quits and starts again
 * without --accept-files; the same id comes under a new name: refused,
 * never saved. Then an offer of 2^63 bytes, a planted link, and three
 * wrong hashes.
 */
static void
xfer_abuse__hostile_sender_gets_nothing(void **state)
{
	static struct raw a;
	static char data[1 << 20];
	struct relay r;
	char port[16], db[300], dl[300], ro[300], hex[65], p[600];
	char victim[400], got[16] = "";
	const char *ans;
	struct stat sb;
	pid_t rx;
	int st, i;
	FILE *f;

	(void)state;
	randombytes_buf(data, sizeof data);
	sha_hex(data, sizeof data, hex);
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(dl, sizeof dl, "%s/downloads", r.dir);
	snprintf(ro, sizeof ro, "%s/recv.out", r.dir);
	assert_int_equal(raw_login(&a, r.port, "mallory", ""), 0);
	rx = receiver(port, db, dl, ro, true, "0");
	wait_log(&r, "bob logged in", 1);
	ans = offer(&a, "x1", sizeof data, hex, "notes.txt");
	assert_non_null(strstr(ans, "FACCEPT|bob|mallory|x1|0"));
	raw_send(&a, "FDATA|mallory|bob|x1|0|65536\n");
	raw_write(&a, data, 65536);
	snprintf(p, sizeof p, "%s/.mallory-x1.part", dl);
	for (i = 0; i < 500 && (stat(p, &sb) != 0 || sb.st_size < 65536); i++)
		usleep(10000);
	assert_int_equal(sb.st_size, 65536);
	kill(rx, SIGTERM);
	assert_int_equal(waitpid(rx, &st, 0), rx);
	rx = receiver(port, db, dl, ro, false, "0");
	wait_log(&r, "bob logged in", 2);
	/* He asks for the rest of what he accepted, by himself. */
	assert_int_equal(
	    raw_expect(&a, "FACCEPT|bob|mallory|x1|65536", 10000), 0);
	ans = offer(&a, "x1", sizeof data, hex, "run-me.sh");
	assert_int_equal(strncmp(ans, "FREJECT|bob|mallory|x1|", 23), 0);
	print_message("kept .part re-offered as run-me.sh without "
	              "--accept-files: refused (%s)\n",
	    reason(ans));
	assert_false(in_dl(dl, "run-me.sh"));
	assert_true(in_dl(dl, ".mallory-x1.part"));

	/* 2^63 bytes: refused, with the reason, before any data. */
	ans = offer(&a, "x2", 1ULL << 63, hex, "huge.iso");
	assert_int_equal(strncmp(ans, "FREJECT|bob|mallory|x2|", 23), 0);
	print_message("offer of 2^63 bytes: %s\n", reason(ans));
	kill(rx, SIGTERM);
	assert_int_equal(waitpid(rx, &st, 0), rx);

	/* A link planted where the .part will be is never followed. */
	snprintf(victim, sizeof victim, "%s/victim", r.dir);
	f = fopen(victim, "w");
	fputs("precious", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/.mallory-x3.part", dl);
	assert_int_equal(symlink(victim, p), 0);
	rx = receiver(port, db, dl, ro, true, "0");
	wait_log(&r, "bob logged in", 3);
	ans = offer(&a, "x3", sizeof data, hex, "linked.bin");
	assert_non_null(strstr(ans, "FACCEPT|bob|mallory|x3|0"));
	for (i = 0; i < 16; i++) {
		raw_send(&a, "FDATA|mallory|bob|x3|%d|65536\n", i * 65536);
		raw_write(&a, data + i * 65536, 65536);
	}
	raw_send(&a, "FDONE|mallory|bob|x3\n");
	assert_int_equal(raw_expect(&a, "FDONE|bob|mallory|x3", 10000), 0);
	f = fopen(victim, "r");
	assert_non_null(fgets(got, sizeof got, f));
	fclose(f);
	print_message("planted .part link: its target holds '%s'\n", got);
	assert_string_equal(got, "precious");
	snprintf(p, sizeof p, "%s/linked.bin", dl);
	f = fopen(p, "r");
	assert_non_null(f);
	fclose(f);

	/* Three wrong hashes leave nothing behind. */
	for (i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "w%d", i);
		ans = offer(&a, id, sizeof data,
		    "00000000000000000000000000000000"
		    "00000000000000000000000000000000",
		    "wrong.bin");
		assert_non_null(strstr(ans, "FACCEPT|"));
		for (int k = 0; k < 16; k++) {
			raw_send(&a, "FDATA|mallory|bob|%s|%d|65536\n", id,
			    k * 65536);
			raw_write(&a, data + k * 65536, 65536);
		}
		raw_send(&a, "FDONE|mallory|bob|%s\n", id);
		snprintf(p, sizeof p, "FCANCEL|bob|mallory|%s|", id);
		assert_int_equal(raw_expect(&a, p, 10000), 0);
	}
	st = 0;
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof p, ".mallory-w%d.part", i);
		st += in_dl(dl, p);
	}
	print_message("three wrong hashes: %d .part files left\n", st);
	assert_int_equal(st, 0);
	kill(rx, SIGTERM);
	assert_int_equal(waitpid(rx, &st, 0), rx);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/* The size of bob's .part of alice's transfer, or -1. */
static long long
part_size(const char *dl, char *part, size_t cap)
{
	char cmd[700];
	struct stat sb;
	FILE *p;

	snprintf(cmd, sizeof cmd, "ls %s/.alice-*.part 2>/dev/null", dl);
	p = popen(cmd, "r");
	part[0] = '\0';
	if (fgets(part, (int)cap, p) != NULL)
		part[strcspn(part, "\n")] = '\0';
	pclose(p);
	return part[0] != '\0' && stat(part, &sb) == 0 ? (long long)sb.st_size
	                                               : -1;
}

/*
 * bob quits at 12 % of a 120 MiB file; alice's sendfile waits. bob starts
 * again without --accept-files: the transfer he accepted resumes by
 * itself from his .part, and the file verifies.
 */
static void
xfer_abuse__resumes__after_the_receiver_restarts(void **state)
{
	struct relay r;
	char port[16], src[400], dst[400], da[300], db[300], dl[300], ro[300];
	char part[600];
	long long had = -1;
	struct timespec t0, t1;
	pid_t rx, tx;
	int st, i;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(dl, sizeof dl, "%s/downloads", r.dir);
	snprintf(ro, sizeof ro, "%s/recv.out", r.dir);
	snprintf(src, sizeof src, "%s/video.bin", r.dir);
	h_random_file(src, 120);
	rx = receiver(port, db, dl, ro, true, "1");
	wait_log(&r, "bob logged in", 1);
	tx = fork();
	if (tx == 0) {
		st = run_client(NULL, NULL, out, sizeof out, err, sizeof err,
		    "sendfile", "--port", port, "--user", "alice", "--data", da,
		    "--timeout", "120", "bob", src, NULL);
		if (st != 0)
			fprintf(stderr, "sendfile: %s\n", err);
		_exit(st);
	}
	for (i = 0; i < 6000; i++) {
		if ((had = part_size(dl, part, sizeof part)) >= 15 << 20)
			break;
		usleep(5000);
	}
	kill(rx, SIGTERM);
	assert_int_equal(waitpid(rx, &st, 0), rx);
	had = part_size(dl, part, sizeof part);
	assert_true(had > 0 && had < 120 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rx = receiver(port, db, dl, ro, false, "1");
	assert_int_equal(waitpid(rx, &st, 0), rx);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("receiver quit at %.0f %% of 120 MiB and came back "
	              "without --accept-files: %s in %.1f s\n",
	    100.0 * (double)had / (120 << 20),
	    WEXITSTATUS(st) == 0 ? "resumed and verified" : "not resumed",
	    (double)(t1.tv_sec - t0.tv_sec) +
	        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(waitpid(tx, &st, 0), tx);
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(dst, sizeof dst, "%s/video.bin", dl);
	assert_true(h_same_file(src, dst));
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(xfer_abuse__hostile_sender_gets_nothing),
	    cmocka_unit_test(xfer_abuse__resumes__after_the_receiver_restarts),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
