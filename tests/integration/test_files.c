/* SPDX-License-Identifier: MIT */
/*
 * File transfer through a real relay (PROTOCOL.md section 4): identical
 * bytes, resume across a relay restart, a hostile sender, and a receiver
 * that never reads.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include <sodium.h>

#include "harness.h"

static char out[1 << 16], err[1 << 16];

/* Start `termgram recv --accept-files` for bob in the background. */
static pid_t
start_receiver(
    const char *port, const char *db, const char *dl, const char *outpath)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(TERMGRAM_BIN_DIR "/termgram", "termgram", "recv",
		    "--port", port, "--user", "bob", "--data", db,
		    "--accept-files", "--dir", dl, "--count", "1", "--timeout",
		    "300", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool
file_has(const char *path, const char *text)
{
	char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

static void
wait_log(struct relay *r, const char *text)
{
	int i;

	for (i = 0; i < 1000 && !relay_log_has(r, text); i++)
		usleep(10000);
	assert_true(relay_log_has(r, text));
}

/* 200 MiB of random bytes arrive identical, under a name with a space and
 * Chinese in it. */
static void
files__arrive_identical__200_mib(void **state)
{
	struct relay r;
	char port[16], src[400], dst[400], da[300], db[300], dl[300], ro[300];
	pid_t rx;
	int st;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(dl, sizeof dl, "%s/downloads", r.dir);
	snprintf(ro, sizeof ro, "%s/recv.out", r.dir);
	snprintf(src, sizeof src, "%s/big file 你好.bin", r.dir);
	h_random_file(src, 200);
	rx = start_receiver(port, db, dl, ro);
	wait_log(&r, "bob logged in");
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err,
	    "sendfile", "--port", port, "--user", "alice", "--data", da, "bob",
	    src, NULL);
	if (st != 0)
		fail_msg("sendfile exited %d: %s", st, err);
	assert_non_null(strstr(err, "verified and saved by bob"));
	assert_int_equal(waitpid(rx, &st, 0), rx);
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(dst, sizeof dst, "%s/big file 你好.bin", dl);
	assert_true(file_has(ro, "FILE\talice\t"));
	assert_true(h_same_file(src, dst));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The relay dies in the middle of a transfer and comes back on the same
 * port: both sides reconnect, the sender offers the same transfer again,
 * the receiver answers with the size of its .part, and the file still
 * verifies.
 */
static void
files__resume__after_relay_restart(void **state)
{
	struct relay r;
	char port[16], src[400], dst[400], da[300], db[300], dl[300], ro[300];
	char part[600];
	pid_t rx, tx;
	int st, i;
	struct stat sb;

	(void)state;
	snprintf(port, sizeof port, "%d", h_free_port());
	assert_int_equal(relay_start(&r, "--port", port, NULL), 0);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(dl, sizeof dl, "%s/downloads", r.dir);
	snprintf(ro, sizeof ro, "%s/recv.out", r.dir);
	snprintf(src, sizeof src, "%s/resume.bin", r.dir);
	h_random_file(src, 300);
	rx = start_receiver(port, db, dl, ro);
	wait_log(&r, "bob logged in");
	tx = fork();
	if (tx == 0) {
		st = run_client(NULL, NULL, out, sizeof out, err, sizeof err,
		    "sendfile", "--port", port, "--user", "alice", "--data", da,
		    "bob", src, NULL);
		if (st != 0)
			fprintf(stderr, "sendfile: %s\n", err);
		_exit(st);
	}
	/* Wait until some data is in bob's .part, then kill the relay. */
	for (i = 0; i < 3000; i++) {
		char cmd[700];
		snprintf(
		    cmd, sizeof cmd, "ls %s/.alice-*.part >/dev/null 2>&1", dl);
		if (system(cmd) == 0) {
			FILE *p;
			snprintf(cmd, sizeof cmd, "ls %s/.alice-*.part", dl);
			p = popen(cmd, "r");
			if (fgets(part, sizeof part, p) != NULL)
				part[strcspn(part, "\n")] = '\0';
			pclose(p);
			if (stat(part, &sb) == 0 && sb.st_size > 20 << 20)
				break;
		}
		usleep(5000);
	}
	assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
	assert_int_equal(stat(part, &sb), 0);
	assert_true(sb.st_size < 300 << 20);
	print_message("relay killed with %lld of %d bytes received\n",
	    (long long)sb.st_size, 300 << 20);
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(waitpid(tx, &st, 0), tx);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(waitpid(rx, &st, 0), rx);
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(dst, sizeof dst, "%s/resume.bin", dl);
	assert_true(h_same_file(src, dst));
	assert_int_not_equal(stat(part, &sb), 0); /* renamed */
	assert_int_equal(relay_finish(&r), 0);
}

/* Offer, wait for FACCEPT, and return its offset (or -1). */
static long
raw_offer(struct raw *a, const char *xfer, unsigned long size, const char *sha,
    const char *name)
{
	raw_send(a, "FOFFER|mallory|bob|%s|%lu|%s|%s\n", xfer, size, sha,
	    h_b64(name));
	while (raw_line(a, 10000) == 0) {
		if (strncmp(a->line, "FACCEPT|bob|mallory|", 20) == 0)
			return atol(strrchr(a->line, '|') + 1);
		if (strncmp(a->line, "FREJECT|", 8) == 0 ||
		    strncmp(a->line, "ERR|", 4) == 0) {
			print_message("offer %s refused: %s\n", xfer, a->line);
			return -1;
		}
	}
	return -1;
}

static void
sha_hex(const void *p, size_t n, char *hex)
{
	unsigned char sum[32];

	crypto_hash_sha256(sum, p, n);
	sodium_bin2hex(hex, 65, sum, sizeof sum);
}

/*
 * A hostile sender: a name that is a path, a name with control
 * characters, a size that lies, a wrong hash. The receiver stays inside
 * its folder, never shows a file it did not verify, and says why.
 */
static void
files__stay_safe__hostile_sender(void **state)
{
	static struct raw a;
	struct relay r;
	char port[16], db[300], dl[300], ro[300], hex[65], path[600];
	const char data[] = "root:x:0:0:pwned\n";
	size_t n = sizeof data - 1;
	pid_t rx;
	int st;
	struct stat sb;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(dl, sizeof dl, "%s/downloads", r.dir);
	snprintf(ro, sizeof ro, "%s/recv.out", r.dir);
	assert_int_equal(raw_login(&a, r.port, "mallory", ""), 0);
	rx = fork();
	if (rx == 0) {
		int fd = open(ro, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(TERMGRAM_BIN_DIR "/termgram", "termgram", "recv",
		    "--port", port, "--user", "bob", "--data", db,
		    "--accept-files", "--dir", dl, "--timeout", "60",
		    (char *)NULL);
		_exit(127);
	}
	wait_log(&r, "bob logged in");
	sha_hex(data, n, hex);

	/* 1. A path for a name: it lands inside the folder as "passwd". */
	assert_int_equal(raw_offer(&a, "x1", n, hex, "../../etc/passwd"), 0);
	raw_send(&a, "FDATA|mallory|bob|x1|0|%zu\n", n);
	raw_write(&a, data, n);
	raw_send(&a, "FDONE|mallory|bob|x1\n");
	assert_int_equal(raw_expect(&a, "FDONE|bob|mallory|x1", 10000), 0);
	snprintf(path, sizeof path, "%s/passwd", dl);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, (long)n);

	/* 2. Control characters and leading dots are neutralised; the
	 * existing name is not clobbered. */
	assert_int_equal(raw_offer(&a, "x2", n, hex, "..\x1b[31mpasswd"), 0);
	raw_send(&a, "FDATA|mallory|bob|x2|0|%zu\n", n);
	raw_write(&a, data, n);
	raw_send(&a, "FDONE|mallory|bob|x2\n");
	assert_int_equal(raw_expect(&a, "FDONE|bob|mallory|x2", 10000), 0);
	snprintf(path, sizeof path, "%s/_[31mpasswd", dl);
	assert_int_equal(stat(path, &sb), 0);

	/* 3. More bytes than offered: cancelled, nothing saved. */
	assert_int_equal(raw_offer(&a, "x3", 4, hex, "liar.txt"), 0);
	raw_send(&a, "FDATA|mallory|bob|x3|0|%zu\n", n);
	raw_write(&a, data, n);
	assert_int_equal(raw_expect(&a, "FCANCEL|bob|mallory|x3|", 10000), 0);
	snprintf(path, sizeof path, "%s/liar.txt", dl);
	assert_int_not_equal(stat(path, &sb), 0);

	/* 4. A wrong hash: refused at the end, its .part removed. */
	assert_int_equal(raw_offer(&a, "x4", n,
	                     "0000000000000000000000000000000000000000000000000"
	                     "000000000000000",
	                     "evil.txt"),
	    0);
	raw_send(&a, "FDATA|mallory|bob|x4|0|%zu\n", n);
	raw_write(&a, data, n);
	raw_send(&a, "FDONE|mallory|bob|x4\n");
	assert_int_equal(raw_expect(&a, "FCANCEL|bob|mallory|x4|", 10000), 0);
	snprintf(path, sizeof path, "%s/evil.txt", dl);
	assert_int_not_equal(stat(path, &sb), 0);
	snprintf(path, sizeof path, "%s/.mallory-x4.part", dl);
	assert_int_not_equal(lstat(path, &sb), 0);

	kill(rx, SIGTERM);
	assert_int_equal(waitpid(rx, &st, 0), rx);
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_true(file_has(ro, "more than it offered"));
	assert_true(file_has(ro, "SHA-256 mismatch"));
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A receiver that accepts and then never reads: the sender is paused by
 * the relay, whose memory stays bounded, and chat still flows for others;
 * after --max-stall the stuck reader is dropped and the sender goes on.
 */
static void
files__relay_stays_bounded__receiver_never_reads(void **state)
{
	static struct raw a, b, c;
	static char chunk[65536];
	struct relay r;
	long before, after;
	size_t sent = 0;
	int flags;
	char hdr[128];
	ssize_t k;
	int n;

	(void)state;
	memset(chunk, 'd', sizeof chunk);
	setenv("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=4", 1);
	assert_int_equal(relay_start(&r, "--max-stall", "2", NULL), 0);
	unsetenv("ASAN_OPTIONS");
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	assert_int_equal(raw_login(&c, r.port, "carol", ""), 0);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	before = relay_rss_kb(&r);
	raw_send(&a,
	    "FOFFER|alice|bob|big|1073741824|"
	    "0000000000000000000000000000000000000000000000000000000000000000|"
	    "YQ==\n");
	assert_int_equal(raw_expect(&b, "FOFFER|alice|bob|big|", 5000), 0);
	raw_send(&b, "FACCEPT|bob|alice|big|0\n");
	assert_int_equal(raw_expect(&a, "FACCEPT|bob|alice|big|0", 5000), 0);
	/* bob reads nothing more. alice ignores the window and pushes as
	 * fast as the relay takes it, until it stops taking. */
	flags = fcntl(a.fd, F_GETFL);
	fcntl(a.fd, F_SETFL, flags | O_NONBLOCK);
	static char frame[65536 + 128];
	size_t len = 0, off = 0;

	while (sent < (256u << 20)) {
		struct pollfd pfd = {.fd = a.fd, .events = POLLOUT};

		off = 0;
		n = snprintf(hdr, sizeof hdr, "FDATA|alice|bob|big|%zu|%zu\n",
		    sent, sizeof chunk);
		memcpy(frame, hdr, (size_t)n);
		memcpy(frame + n, chunk, sizeof chunk);
		len = (size_t)n + sizeof chunk;
		while (off < len) {
			k = raw_send_some(&a, frame + off, len - off);
			if (k > 0) {
				off += (size_t)k;
				continue;
			}
			assert_true(k < 0 && errno == EAGAIN);
			/* One second without progress: the relay stopped
			 * reading alice. */
			if (poll(&pfd, 1, 1000) == 0)
				break;
		}
		if (off < len)
			break;
		sent += sizeof chunk;
	}
	fcntl(a.fd, F_SETFL, flags);
	after = relay_rss_kb(&r);
	print_message("alice got %zu MiB into the pipe before the relay "
	              "stopped reading her; relay RSS %ld -> %ld KiB\n",
	    sent >> 20, before, after);
	assert_true(sent < (256u << 20));
	if (after - before > 24 * 1024)
		fail_msg("relay grew from %ld to %ld KiB", before, after);
	/* Chat between others is not stuck. */
	raw_send(&c, "MSG|carol|carol|1|self|aGk=\n");
	assert_int_equal(raw_expect(&c, "MSG|carol|carol|1|self|", 5000), 0);
	/* bob reads nothing for --max-stall (2 s): dropped as too slow, and
	 * alice is read again: the rest of her frame, then her chat. */
	wait_log(&r, "disconnected as too slow");
	assert_int_equal(raw_write(&a, frame + off, len - off), 0);
	raw_send(&a, "MSG|alice|carol|1|after|aGk=\n");
	assert_int_equal(raw_expect(&c, "MSG|alice|carol|1|after|", 10000), 0);
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(files__arrive_identical__200_mib),
	    cmocka_unit_test(files__resume__after_relay_restart),
	    cmocka_unit_test(files__stay_safe__hostile_sender),
	    cmocka_unit_test(files__relay_stays_bounded__receiver_never_reads),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
