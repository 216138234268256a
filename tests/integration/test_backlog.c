/* SPDX-License-Identifier: MIT */
/*
 * Store and forward at scale: a backlog far larger than a session's output
 * limit delivered in full at the first login, the relay's memory with a
 * million queued frames, the queue quota per recipient and the share of
 * one sender.
 */
#include <sys/types.h>
#include <sys/socket.h>
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
#include "proto/b64.h"
#include "server/store.h"

#define BACKLOG_MSGS 2400
#define BACKLOG_BODY (32 * 1024)

static char out[1 << 16], err[1 << 16];

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read ACKs (and count them) until n have come or ms passed. */
static int
read_acks(struct raw *c, int *nacked, int n, int ms)
{
	long long deadline = ms_now() + ms;

	while (*nacked < n) {
		if (raw_line(c, ms < 0 ? 0 : (int)(deadline - ms_now())) != 0)
			return ms < 0 ? 0 : -1;
		if (strncmp(c->line, "ACK|", 4) == 0)
			(*nacked)++;
		else if (strncmp(c->line, "ERR|", 4) == 0)
			fail_msg("sender got %s", c->line);
		if (ms >= 0 && ms_now() > deadline)
			return -1;
	}
	return 0;
}

/*
 * 2,400 messages of 32 KiB (105 MB of frames, 13 times --max-output)
 * wait for bob. At his first login they all arrive, in order, on the one
 * connection: the relay streams them as his output drains instead of
 * writing the queue at once and dropping him as too slow.
 */
static void
relay__delivers__2400_x_32k_backlog_at_first_login(void **state)
{
	static struct raw a, b;
	static char body[BACKLOG_BODY + 1];
	struct relay r;
	char *b64, rcpts[64 * 64];
	size_t nr = 0;
	int i, n, nacked = 0, next = 0;
	long long t0, ms;
	char *p;

	(void)state;
	memset(body, 'x', BACKLOG_BODY);
	b64 = strdup(h_b64(body));
	assert_int_equal(relay_start(&r, "--sync", "normal", NULL), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	for (i = 0; i < BACKLOG_MSGS; i++) {
		assert_int_equal(
		    raw_send(&a, "MSG|alice|bob|%d|b%d|%s\n", i, i, b64), 0);
		read_acks(&a, &nacked, BACKLOG_MSGS, -1);
	}
	assert_int_equal(read_acks(&a, &nacked, BACKLOG_MSGS, 60000), 0);
	raw_close(&a);
	free(b64);

	t0 = ms_now();
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	while (next < BACKLOG_MSGS) {
		if (raw_line(&b, 30000) != 0)
			fail_msg(
			    "bob's connection ended or stalled after %d of "
			    "%d messages",
			    next, BACKLOG_MSGS);
		if (strncmp(b.line, "BYE|", 4) == 0)
			fail_msg("bob got %s after %d of %d messages", b.line,
			    next, BACKLOG_MSGS);
		if (strncmp(b.line, "MSG|alice|bob|", 14) != 0)
			continue;
		assert_non_null(p = strstr(b.line + 14, "|b"));
		n = atoi(p + 2);
		if (n != next)
			fail_msg("message b%d came where b%d was due", n, next);
		assert_int_equal(strlen(strrchr(b.line, '|') + 1),
		    PROTO_B64_ENCODED_LEN(BACKLOG_BODY));
		next++;
		/* Receipts as a client sends them: a turn's worth at once. */
		nr += (size_t)snprintf(rcpts + nr, sizeof rcpts - nr,
		    "RCPT|bob|alice|b%d|delivered\n", n);
		if (nr > sizeof rcpts - 64 || next == BACKLOG_MSGS) {
			assert_int_equal(raw_write(&b, rcpts, nr), 0);
			nr = 0;
		}
	}
	ms = ms_now() - t0;
	print_message("backlog: %d x 32 KiB delivered in order at the first "
	              "login in %.1f s\n",
	    BACKLOG_MSGS, (double)ms / 1000);
	/* Every receipt settled its message: nothing waits any more. */
	raw_send(&b, "PING|end\n");
	assert_int_equal(raw_expect(&b, "PONG|end", 10000), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_send(&b, "PING|again\n");
	assert_int_equal(raw_line(&b, 5000), 0);
	assert_string_equal(b.line, "PONG|again");
	raw_close(&b);
	assert_false(relay_log_has(&r, "too slow"));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * How many frames the memory test queues: 200,000 in CI, where filling
 * the store under the sanitizers takes 35 us a frame;
 * TERMGRAM_TEST_QUEUED=1000000 for the full figure.
 */
static long
queued_target(void)
{
	const char *e = getenv("TERMGRAM_TEST_QUEUED");

	return e != NULL && atol(e) > 0 ? atol(e) : 200000;
}

#define RECIPIENTS 50

/*
 * Queue n messages from alice to r0..r49 straight into the store of a
 * stopped relay, in transactions of 20,000: as the relay would, faster
 * than the wire.
 */
static void
fill_store(const char *dir, long n)
{
	struct server_store *s;
	char e[256], frame[128], id[32], rcpt[16];
	long i;
	int len;

	assert_non_null(s = server_store_open(dir, false, e, sizeof e));
	for (i = 0; i < n; i++) {
		snprintf(rcpt, sizeof rcpt, "r%ld", i % RECIPIENTS);
		snprintf(id, sizeof id, "q%ld", i);
		len = snprintf(frame, sizeof frame,
		    "MSG|alice|%s|1700000000000|%s|aGVsbG8gdGhlcmU=\n", rcpt,
		    id);
		assert_true(server_store_queue_add(s, rcpt, SERVER_QUEUE_MSG,
		                "alice", id, frame, (size_t)len, 0) > 0);
		if (i % 20000 == 19999)
			assert_int_equal(server_store_commit(s), 0);
	}
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
}

/* The relay's RSS once it answers STATS (it loaded its store). */
static long
rss_when_up(struct relay *r, unsigned long long *depth)
{
	static struct raw c;

	assert_int_equal(raw_login(&c, r->port, "watcher", ""), 0);
	assert_int_equal(raw_stats(&c, "queue_depth", depth), 0);
	raw_close(&c);
	return relay_rss_kb(r);
}

/*
 * The relay's resident size does not grow with its queue: with 200,000
 * frames queued (a million by hand) for 50 recipients it stays within
 * 20 MiB of the same relay with an empty queue, at start and after one
 * recipient read its whole backlog.
 */
static void
relay__rss__stays_flat_with_queued_frames(void **state)
{
	static struct raw c;
	struct server_store *s;
	struct relay r;
	char e[256], name[16];
	unsigned long long depth;
	long n = queued_target(), idle, full, after, i;
	long long t0;
	int got = 0;

	(void)state;
	assert_int_equal(relay_start(&r, "--sync", "normal", NULL), 0);
	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	assert_non_null(s = server_store_open(r.dir, false, e, sizeof e));
	assert_int_equal(server_store_add_user(s, "alice", NULL, 0), 0);
	for (i = 0; i < RECIPIENTS; i++) {
		snprintf(name, sizeof name, "r%ld", i);
		assert_int_equal(server_store_add_user(s, name, NULL, 0), 0);
	}
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);

	assert_int_equal(relay_restart(&r), 0);
	idle = rss_when_up(&r, &depth);
	assert_int_equal(depth, 0);
	assert_int_equal(relay_stop(&r, SIGTERM), 0);

	t0 = ms_now();
	fill_store(r.dir, n);
	print_message("queued %ld frames through the store in %.1f s\n", n,
	    (double)(ms_now() - t0) / 1000);
	t0 = ms_now();
	assert_int_equal(relay_restart(&r), 0);
	full = rss_when_up(&r, &depth);
	assert_int_equal(depth, (unsigned long long)n);
	print_message("relay up with %ld queued in %.1f s\n", n,
	    (double)(ms_now() - t0) / 1000);

	/* r7 reads all of its backlog, oldest first. */
	assert_int_equal(raw_login(&c, r.port, "r7", ""), 0);
	while (got < n / RECIPIENTS) {
		assert_int_equal(raw_line(&c, 20000), 0);
		if (strncmp(c.line, "MSG|alice|r7|", 13) == 0)
			got++;
	}
	after = relay_rss_kb(&r);
	raw_close(&c);
	print_message("relay RSS: %ld KiB idle, %ld KiB with %ld frames "
	              "queued (%+ld KiB), %ld KiB after a backlog of %d\n",
	    idle, full, n, full - idle, after, got);
	assert_true(full - idle < 20 * 1024);
	assert_true(after - idle < 20 * 1024);
	assert_int_equal(relay_finish(&r), 0);
}

/* Send n MSGs from c (as from) to to, ids prefix0..; body b64. */
static void
send_msgs(struct raw *c, const char *from, const char *to, const char *prefix,
    int n, const char *body)
{
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(raw_send(c, "MSG|%s|%s|1|%s%d|%s\n", from, to,
		                     prefix, i, body),
		    0);
}

static char refused[64]; /* the id of the last ERR|QUOTA */
static char why[512]; /* and its text */

/* Keep the id and the decoded text of an ERR|QUOTA's rest, id|text. */
static void
quota_text(const char *rest)
{
	size_t idlen = strcspn(rest, "|"), n = 0;
	const char *t = rest[idlen] == '|' ? rest + idlen + 1 : "";

	snprintf(refused, sizeof refused, "%.*s", (int)idlen, rest);
	if (proto_b64_decode(t, strlen(t), why, sizeof why - 1, &n) != 0)
		n = 0;
	why[n] = '\0';
}

/* Read n answers from c: how many were ACKs and how many ERR|QUOTA. */
static void
answers(struct raw *c, int n, int *acks, int *quota)
{
	int i;

	*acks = *quota = 0;
	for (i = 0; i < n; i++) {
		assert_int_equal(raw_line(c, 10000), 0);
		if (strncmp(c->line, "USER|", 5) == 0)
			i--; /* presence, not an answer */
		else if (strncmp(c->line, "ACK|", 4) == 0)
			(*acks)++;
		else if (strncmp(c->line, "ERR|QUOTA|", 10) == 0) {
			(*quota)++;
			quota_text(c->line + 10);
		} else
			fail_msg("unexpected answer %s", c->line);
	}
}

/*
 * Over its recipient's quota a message is refused with ERR|QUOTA naming
 * it, never dropped: the ones under it are all delivered, other
 * recipients are not affected, the quota frees as the recipient reads,
 * and the headless client reports the refusal as a failure.
 */
static void
relay__answers__quota_with_err_and_keeps_the_rest(void **state)
{
	static struct raw a, b;
	static char big[30001];
	struct relay r;
	char port[16], da[300];
	int acks, quota, i, got = 0;

	(void)state;
	assert_int_equal(relay_start(&r, "--queue-max-frames", "10",
	                     "--queue-max-bytes", "100000", NULL),
	    0);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&b, r.port, "dave", ""), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);

	/* Frames: 10 of 15 fit. */
	send_msgs(&a, "alice", "bob", "q", 15, h_b64("hi"));
	answers(&a, 15, &acks, &quota);
	print_message("quota of 10 frames: %d stored, %d refused with "
	              "ERR|QUOTA\n",
	    acks, quota);
	assert_int_equal(acks, 10);
	assert_int_equal(quota, 5);
	/* Bytes: two frames of 40 KB fit in 100,000 bytes, not three. */
	memset(big, 'y', sizeof big - 1);
	send_msgs(&a, "alice", "dave", "d", 3, h_b64(big));
	answers(&a, 3, &acks, &quota);
	assert_int_equal(acks, 2);
	assert_int_equal(quota, 1);
	assert_string_equal(refused, "d2");

	/* The headless client: the message failed, and it says why. */
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/carol", r.dir);
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	        "--port", port, "--user", "carol", "--data", da, "bob",
	        "one too many", NULL),
	    1);
	assert_non_null(strstr(err, "QUOTA"));

	/* bob gets the 10, in order, and his receipts free the quota. */
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	while (got < 10) {
		assert_int_equal(raw_line(&b, 10000), 0);
		if (strncmp(b.line, "MSG|alice|bob|1|", 16) != 0)
			continue;
		assert_true(strncmp(b.line + 16, "q", 1) == 0);
		assert_int_equal(atoi(b.line + 17), got);
		raw_send(&b, "RCPT|bob|alice|q%d|delivered\n", got);
		got++;
	}
	raw_send(&b, "PING|x\n");
	assert_int_equal(raw_expect(&b, "PONG|x", 5000), 0);
	raw_close(&b);
	for (i = 0; i < 10; i++)
		assert_int_equal(raw_expect(&a, "RCPT|bob|alice|q", 10000), 0);
	/* The 5 refused ones, sent again: stored now. */
	for (i = 10; i < 15; i++)
		raw_send(&a, "MSG|alice|bob|1|q%d|%s\n", i, h_b64("hi"));
	answers(&a, 5, &acks, &quota);
	assert_int_equal(acks, 5);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * One sender alone cannot fill a recipient's queue: past its own share
 * (over all recipients) it gets ERR|QUOTA saying so, while a second
 * sender's message to the same offline recipient is still stored and
 * delivered.
 */
static void
relay__keeps__room_for_other_senders_past_one_senders_share(void **state)
{
	static struct raw m, c, b;
	static char body[24001];
	struct relay r;
	int acks, quota, got = 0, from_carol = 0;

	(void)state;
	assert_int_equal(
	    relay_start(&r, "--queue-max-frames", "100", "--queue-max-bytes",
	        "1000000", "--queue-max-sender-frames", "50",
	        "--queue-max-sender-bytes", "500000", NULL),
	    0);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&m, r.port, "mal", ""), 0);
	assert_int_equal(raw_login(&c, r.port, "carol", ""), 0);

	/* mal: 24 KB frames until refused; bytes end its share first. */
	memset(body, 'z', sizeof body - 1);
	send_msgs(&m, "mal", "bob", "f", 30, h_b64(body));
	answers(&m, 30, &acks, &quota);
	print_message("sender share of 500000 bytes: %d frames of 32 KB "
	              "stored, %d refused: %s\n",
	    acks, quota, why);
	assert_int_equal(acks, 15);
	assert_int_equal(quota, 15);
	assert_non_null(strstr(why, "your own share"));
	/* Small ones: the frame count ends it too. */
	send_msgs(&m, "mal", "bob", "s", 40, h_b64("hi"));
	answers(&m, 40, &acks, &quota);
	assert_int_equal(acks, 35);
	assert_int_equal(quota, 5);
	assert_non_null(strstr(why, "your own share"));

	/* carol still gets through to offline bob. */
	raw_send(&c, "MSG|carol|bob|1|hi|%s\n", h_b64("hi bob"));
	answers(&c, 1, &acks, &quota);
	print_message("second sender after the first one's share is full: "
	              "%d stored, %d refused\n",
	    acks, quota);
	assert_int_equal(acks, 1);

	/* bob gets all 51; his receipts free mal's share. */
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	while (got < 51) {
		assert_int_equal(raw_line(&b, 10000), 0);
		if (strncmp(b.line, "MSG|", 4) != 0)
			continue;
		from_carol += strncmp(b.line, "MSG|carol|bob|1|hi|", 19) == 0;
		got++;
	}
	assert_int_equal(from_carol, 1);
	raw_send(&b, "RCPT|bob|mal|s0|delivered\n");
	raw_send(&b, "PING|x\n");
	assert_int_equal(raw_expect(&b, "PONG|x", 5000), 0);
	assert_int_equal(raw_expect(&m, "RCPT|bob|mal|s0|", 5000), 0);
	raw_send(&m, "MSG|mal|bob|1|again|%s\n", h_b64("hi"));
	answers(&m, 1, &acks, &quota);
	assert_int_equal(acks, 1);
	raw_close(&b);
	raw_close(&c);
	raw_close(&m);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        relay__delivers__2400_x_32k_backlog_at_first_login),
	    cmocka_unit_test(relay__rss__stays_flat_with_queued_frames),
	    cmocka_unit_test(relay__answers__quota_with_err_and_keeps_the_rest),
	    cmocka_unit_test(
	        relay__keeps__room_for_other_senders_past_one_senders_share),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
