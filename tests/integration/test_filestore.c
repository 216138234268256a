/* SPDX-License-Identifier: MIT */
/*
 * Files stored on the relay (docs/protocol.md "Files stored on the
 * relay"): a file offered to someone offline is kept by the relay, across
 * a kill -9, and handed over when they log in, verified; uploads and
 * downloads resume; the limits refuse with their names; a wrong SHA-256
 * leaves nothing; every stored file is 0600; --file-max-size 0 is the old
 * ERR|OFFLINE.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
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
#include "proto/b64.h"

static char out[1 << 16], err[1 << 16];
static unsigned char data[3 << 20], got[3 << 20];

static void
sha_hex(const void *p, size_t n, char *hex)
{
	unsigned char sum[32];

	crypto_hash_sha256(sum, p, n);
	sodium_bin2hex(hex, 65, sum, sizeof sum);
}

/* The text of the last field of line (base64), decoded into buf. */
static const char *
reason(const char *line, char *buf, size_t cap)
{
	const char *p = strrchr(line, '|');
	size_t n = 0;

	if (p == NULL ||
	    proto_b64_decode(p + 1, strlen(p + 1), buf, cap - 1, &n) != 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

/* Register name (an open name) and leave: a user who is offline. */
static void
register_user(int port, const char *name)
{
	struct raw c;

	assert_int_equal(raw_login(&c, port, name, ""), 0);
	raw_close(&c);
}

/*
 * Check the modes under the relay's files folder: the folder 0700, each
 * file 0600; how many data files (.part, .file) it holds.
 */
static int
files_checked(const struct relay *r)
{
	char dir[400], path[700];
	struct stat sb;
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof dir, "%s/files", r->dir);
	assert_int_equal(lstat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		assert_int_equal(lstat(path, &sb), 0);
		if ((sb.st_mode & 07777) != 0600)
			fail_msg("%s has mode %o", e->d_name,
			    (unsigned)(sb.st_mode & 07777));
		assert_true(S_ISREG(sb.st_mode));
		if (strstr(e->d_name, ".part") != NULL ||
		    strstr(e->d_name, ".file") != NULL)
			n++;
	}
	closedir(d);
	return n;
}

/* Send data[from, end) of transfer xfer from alice to who. */
static void
send_data_to(
    struct raw *a, const char *who, const char *xfer, size_t from, size_t end)
{
	size_t at, n;

	for (at = from; at < end; at += n) {
		n = end - at < 65536 ? end - at : 65536;
		raw_send(a, "FDATA|alice|%s|%s|%zu|%zu\n", who, xfer, at, n);
		assert_int_equal(raw_write(a, data + at, n), 0);
	}
}

/* Send data[from, end) of transfer xfer from alice to bob. */
static void
send_data(struct raw *a, const char *xfer, size_t from, size_t end)
{
	send_data_to(a, "bob", xfer, from, end);
}

/* alice stores size bytes of data for who, as transfer xfer. */
static void
store_one(struct raw *a, const char *who, const char *xfer, size_t size)
{
	char hex[65], want[128];

	sha_hex(data, size, hex);
	raw_send(a, "FOFFER|alice|%s|%s|%zu|%s|%s\n", who, xfer, size, hex,
	    h_b64("f.bin"));
	snprintf(want, sizeof want, "FACCEPT|%s|alice|%s|0", who, xfer);
	assert_int_equal(raw_expect(a, want, 10000), 0);
	send_data_to(a, who, xfer, 0, size);
	raw_send(a, "FDONE|alice|%s|%s\n", who, xfer);
	snprintf(want, sizeof want, "ACK|%s|stored", xfer);
	assert_int_equal(raw_expect(a, want, 10000), 0);
}

/* An offer of size bytes to who refused: the ERR's text, in text. */
static void
refused(struct raw *a, const char *who, const char *xfer, size_t size,
    char *text, size_t cap)
{
	char hex[65], want[128];

	sha_hex(data, size, hex);
	raw_send(a, "FOFFER|alice|%s|%s|%zu|%s|%s\n", who, xfer, size, hex,
	    h_b64("f.bin"));
	snprintf(want, sizeof want, "ERR|QUOTA|%s|", xfer);
	assert_int_equal(raw_expect(a, want, 10000), 0);
	reason(a->line, text, cap);
	print_message("%zu bytes for %s: %s\n", size, who, text);
}

/*
 * bob reads transfer xfer from the relay into got, from offset off, up to
 * stop bytes (SIZE_MAX: to FDONE), FACK every 256 KiB as a receiver does. Whether
 * FDONE came.
 */
static bool
read_data(struct raw *b, const char *xfer, size_t off, size_t stop)
{
	char want[128];
	unsigned long long at, len;
	size_t acked = off;

	snprintf(want, sizeof want, "FDATA|alice|bob|%s|", xfer);
	while (raw_line(b, 10000) == 0) {
		if (strncmp(b->line, want, strlen(want)) == 0) {
			assert_int_equal(sscanf(b->line + strlen(want),
			                     "%llu|%llu", &at, &len),
			    2);
			assert_int_equal(at, off);
			assert_true(at + len <= sizeof got);
			assert_int_equal(raw_bytes(b, got + at, len, 10000), 0);
			off += len;
			if (off - acked >= 256 * 1024) {
				raw_send(
				    b, "FACK|bob|alice|%s|%zu\n", xfer, off);
				acked = off;
			}
			if (stop != SIZE_MAX && off >= stop)
				return false;
			continue;
		}
		snprintf(want, sizeof want, "FDONE|alice|bob|%s", xfer);
		if (strcmp(b->line, want) == 0)
			return true;
		snprintf(want, sizeof want, "FDATA|alice|bob|%s|", xfer);
	}
	fail_msg("no FDONE for %s (at %zu)", xfer, off);
	return false;
}

/*
 * alice sends a file with `termgram sendfile` to bob, who is offline:
 * it ends "stored on the relay". The relay is killed with SIGKILL and
 * started again; bob's `termgram recv` then gets the file, verified, and
 * alice hears it was delivered; the relay keeps nothing after.
 */
static void
filestore__offline_recipient__gets_file_after_kill_9(void **state)
{
	struct relay r;
	struct raw a;
	char port[16], src[400], dst[400], da[300], db[300], dl[300];
	int st;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	register_user(r.port, "bob");
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(dl, sizeof dl, "%s/downloads", r.dir);
	snprintf(src, sizeof src, "%s/report 报告.bin", r.dir);
	h_random_file(src, 5);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err,
	    "sendfile", "--port", port, "--user", "alice", "--data", da, "bob",
	    src, NULL);
	print_message("sendfile to bob (offline): exit %d: %s\n", st, err);
	assert_int_equal(st, 0);
	assert_non_null(strstr(err, "stored on the relay for bob"));
	assert_int_equal(files_checked(&r), 1);

	assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(files_checked(&r), 1);
	snprintf(port, sizeof port, "%d", r.port);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "recv",
	    "--port", port, "--user", "bob", "--data", db, "--accept-files",
	    "--dir", dl, "--count", "1", "--timeout", "60", NULL);
	if (st != 0)
		fail_msg("recv exited %d: %s", st, err);
	assert_non_null(strstr(out, "FILE\talice\t"));
	snprintf(dst, sizeof dst, "%s/report 报告.bin", dl);
	assert_true(h_same_file(src, dst));
	/* Every device of bob has it: the relay keeps no data. */
	assert_int_equal(files_checked(&r), 0);
	/* alice learns it was delivered, at her next login. */
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	assert_int_equal(raw_expect(&a, "FDONE|bob|alice|", 10000), 0);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The sender's connection drops in the middle of the upload, then the
 * relay is killed: offered again, the relay answers FACCEPT with what it
 * has each time, and the file is stored whole. Then bob's download drops in the middle: he asks from
 * his offset and the relay sends the rest; his FDONE reaches alice.
 */
static void
filestore__resume__upload_and_download(void **state)
{
	struct relay r;
	struct raw a, b;
	char hex[65], line[256];
	size_t size = 3 << 20;

	(void)state;
	randombytes_buf(data, size);
	sha_hex(data, size, hex);
	assert_int_equal(relay_start(&r, NULL), 0);
	register_user(r.port, "bob");
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(
	    &a, "FOFFER|alice|bob|up1|%zu|%s|%s\n", size, hex, h_b64("up.bin"));
	assert_int_equal(raw_expect(&a, "FACCEPT|bob|alice|up1|0", 10000), 0);
	send_data(&a, "up1", 0, 1 << 20);
	assert_int_equal(
	    raw_expect(&a, "FACK|bob|alice|up1|1048576", 10000), 0);
	assert_int_equal(files_checked(&r), 1); /* the .part, 0600 */
	raw_close(&a);

	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(
	    &a, "FOFFER|alice|bob|up1|%zu|%s|%s\n", size, hex, h_b64("up.bin"));
	assert_int_equal(raw_line(&a, 10000), 0);
	print_message("offered again after a drop: %s\n", a.line);
	assert_string_equal(a.line, "FACCEPT|bob|alice|up1|1048576");
	send_data(&a, "up1", 1 << 20, 2 << 20);
	assert_int_equal(
	    raw_expect(&a, "FACK|bob|alice|up1|2097152", 10000), 0);
	/* The relay dies with the upload under way: its .part stays, and
	 * the file still verifies after the rest comes. */
	raw_close(&a);
	assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(files_checked(&r), 1);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(
	    &a, "FOFFER|alice|bob|up1|%zu|%s|%s\n", size, hex, h_b64("up.bin"));
	assert_int_equal(raw_line(&a, 10000), 0);
	print_message("offered again after a restart: %s\n", a.line);
	assert_string_equal(a.line, "FACCEPT|bob|alice|up1|2097152");
	send_data(&a, "up1", 2 << 20, size);
	raw_send(&a, "FDONE|alice|bob|up1\n");
	assert_int_equal(raw_expect(&a, "ACK|up1|stored", 10000), 0);
	/* Offered again once stored: the same answer. */
	raw_send(
	    &a, "FOFFER|alice|bob|up1|%zu|%s|%s\n", size, hex, h_b64("up.bin"));
	assert_int_equal(raw_expect(&a, "ACK|up1|stored", 10000), 0);

	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	assert_int_equal(raw_expect(&b, "FOFFER|alice|bob|up1|", 10000), 0);
	raw_send(&b, "FACCEPT|bob|alice|up1|0\n");
	memset(got, 0, size);
	assert_false(read_data(&b, "up1", 0, 1 << 20));
	raw_close(&b);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_send(&b, "FACCEPT|bob|alice|up1|%d\n", 1 << 20);
	assert_true(read_data(&b, "up1", 1 << 20, SIZE_MAX));
	assert_memory_equal(got, data, size);
	raw_send(&b, "FDONE|bob|alice|up1\n");
	assert_int_equal(raw_expect(&a, "FDONE|bob|alice|up1", 10000), 0);
	assert_int_equal(files_checked(&r), 0);
	/* A late ask: the relay no longer has it, and says so. */
	raw_send(&b, "FACCEPT|bob|alice|up1|0\n");
	assert_int_equal(raw_expect(&b, "FCANCEL|alice|bob|up1|", 10000), 0);
	print_message("late ask: %s\n", reason(b.line, line, sizeof line));
	raw_close(&a);
	raw_close(&b);
	assert_int_equal(relay_finish(&r), 0);
}

/* bob logs in as device who (its TLS key, or "@dev<who>"): 0 once synced. */
static int
dev_login(struct raw *c, int port, int who)
{
	h_tls_identity(who);
	if (raw_open(c, port) != 0) {
		h_tls_identity(0);
		return -1;
	}
	h_tls_identity(0);
	raw_send(c, "LOGIN|1|bob|%s|0|take|dev%d\n", h_b64("pw"), who);
	if (raw_line(c, 30000) != 0 || strncmp(c->line, "WELCOME|", 8) != 0)
		return -1;
	return raw_expect(c, "SYNCED", 5000);
}

/* One device of bob takes the stored file sf, verified. */
static void
device_takes(struct raw *b, size_t size)
{
	assert_int_equal(raw_expect(b, "FOFFER|alice|bob|sf|", 10000), 0);
	raw_send(b, "FACCEPT|bob|alice|sf|0\n");
	memset(got, 0, size);
	assert_true(read_data(b, "sf", 0, SIZE_MAX));
	assert_memory_equal(got, data, size);
	raw_send(b, "FDONE|bob|alice|sf\n");
}

/*
 * bob has two devices, both away: each gets the stored file at its own
 * login; alice hears "delivered" once, at the first, and the relay keeps
 * the file until the second has it too.
 */
static void
filestore__every_device__gets_it_then_it_goes(void **state)
{
	struct relay r;
	struct raw a, b1, b2;
	size_t size = 300000;

	(void)state;
	randombytes_buf(data, size);
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(dev_login(&b1, r.port, 1), 0);
	assert_int_equal(dev_login(&b2, r.port, 2), 0);
	raw_close(&b1);
	raw_close(&b2);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	store_one(&a, "bob", "sf", size);

	assert_int_equal(dev_login(&b1, r.port, 1), 0);
	device_takes(&b1, size);
	assert_int_equal(raw_expect(&a, "FDONE|bob|alice|sf", 10000), 0);
	raw_close(&b1);
	assert_int_equal(files_checked(&r), 1); /* device 2 lacks it */

	assert_int_equal(dev_login(&b2, r.port, 2), 0);
	device_takes(&b2, size);
	/* The store lets it go once the second device has it. */
	for (int i = 0; i < 500 && files_checked(&r) != 0; i++)
		usleep(10000);
	assert_int_equal(files_checked(&r), 0);
	/* alice heard it once: nothing more for her. */
	raw_send(&a, "PING|x\n");
	do {
		assert_int_equal(raw_line(&a, 10000), 0);
		assert_null(strstr(a.line, "FDONE|"));
	} while (strcmp(a.line, "PONG|x") != 0);
	raw_close(&a);
	raw_close(&b2);
	assert_int_equal(relay_finish(&r), 0);
}

/* The limits refuse with ERR|QUOTA naming them, before any data. */
static void
filestore__limits__refuse_with_their_names(void **state)
{
	struct relay r;
	struct raw a;
	char text[600];

	(void)state;
	memset(data, 'x', 5000);
	assert_int_equal(
	    relay_start(&r, "--file-max-size", "4000", "--file-quota", "1500",
	        "--file-store-max", "2500", NULL),
	    0);
	register_user(r.port, "bob");
	register_user(r.port, "carol");
	register_user(r.port, "dave");
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	refused(&a, "bob", "q1", 5000, text, sizeof text);
	assert_non_null(strstr(text, "(--file-max-size)"));
	assert_non_null(strstr(text, "4000 bytes"));
	store_one(&a, "bob", "q2", 1000);
	refused(&a, "bob", "q3", 1000, text, sizeof text);
	assert_non_null(strstr(text, "(--file-quota)"));
	assert_non_null(strstr(text, "1500 bytes"));
	store_one(&a, "carol", "c1", 1400);
	refused(&a, "dave", "d1", 200, text, sizeof text);
	assert_non_null(strstr(text, "(--file-store-max)"));
	assert_non_null(strstr(text, "2500 bytes"));
	assert_int_equal(files_checked(&r), 2);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * Offers that never send data cannot pile up: a sender has at most 4
 * uploads under way at once (each holds an open file on the relay); the
 * fifth is refused in words.
 */
static void
filestore__limits__uploads_under_way_per_sender(void **state)
{
	struct relay r;
	struct raw a;
	char text[600], sha[65];
	int i;

	(void)state;
	memset(sha, 'a', 64);
	sha[64] = '\0';
	memset(data, 'x', 5000);
	assert_int_equal(relay_start(&r, NULL), 0);
	register_user(r.port, "bob");
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	for (i = 0; i < 4; i++) {
		raw_send(&a, "FOFFER|alice|bob|e%d|10|%s|%s\n", i, sha,
		    h_b64("e.bin"));
		assert_int_equal(
		    raw_expect(&a, "FACCEPT|bob|alice|e", 10000), 0);
	}
	refused(&a, "bob", "e4", 10, text, sizeof text);
	assert_non_null(strstr(text, "already takes 4 uploads"));
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/* A wrong SHA-256: FCANCEL saying so, and nothing left in the store. */
static void
filestore__sha_mismatch__removes_the_partial(void **state)
{
	struct relay r;
	struct raw a, b;
	char text[600];
	char zero[65];

	(void)state;
	memset(zero, '0', 64);
	zero[64] = '\0';
	randombytes_buf(data, 300000);
	assert_int_equal(relay_start(&r, NULL), 0);
	register_user(r.port, "bob");
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(
	    &a, "FOFFER|alice|bob|bad|300000|%s|%s\n", zero, h_b64("bad.bin"));
	assert_int_equal(raw_expect(&a, "FACCEPT|bob|alice|bad|0", 10000), 0);
	send_data(&a, "bad", 0, 300000);
	raw_send(&a, "FDONE|alice|bob|bad\n");
	assert_int_equal(raw_expect(&a, "FCANCEL|bob|alice|bad|", 10000), 0);
	print_message("wrong hash: %s\n", reason(a.line, text, sizeof text));
	assert_non_null(strstr(text, "SHA-256 mismatch"));
	assert_int_equal(files_checked(&r), 0);
	/* bob is offered nothing. */
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	assert_int_not_equal(raw_expect(&b, "FOFFER|", 1000), 0);
	raw_close(&a);
	raw_close(&b);
	assert_int_equal(relay_finish(&r), 0);
}

/* --file-max-size 0: no store, an offer to someone offline is OFFLINE. */
static void
filestore__off__offline_as_before(void **state)
{
	struct relay r;
	struct raw a;
	char hex[65];

	(void)state;
	memset(data, 'y', 10);
	sha_hex(data, 10, hex);
	assert_int_equal(relay_start(&r, "--file-max-size", "0", NULL), 0);
	register_user(r.port, "bob");
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	raw_send(&a, "FOFFER|alice|bob|o1|10|%s|%s\n", hex, h_b64("o.bin"));
	assert_int_equal(raw_expect(&a, "ERR|OFFLINE|o1|", 10000), 0);
	raw_close(&a);
	assert_int_equal(files_checked(&r), 0);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        filestore__offline_recipient__gets_file_after_kill_9),
	    cmocka_unit_test(filestore__resume__upload_and_download),
	    cmocka_unit_test(filestore__every_device__gets_it_then_it_goes),
	    cmocka_unit_test(filestore__limits__refuse_with_their_names),
	    cmocka_unit_test(filestore__limits__uploads_under_way_per_sender),
	    cmocka_unit_test(filestore__sha_mismatch__removes_the_partial),
	    cmocka_unit_test(filestore__off__offline_as_before),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
