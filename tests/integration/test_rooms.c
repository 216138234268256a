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
#include "proto/b64.h"

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

/*
 * The next line must start with want: nothing in between but presence
 * (USER lines, which come when they come) and a device count.
 */
static void
next_is(struct raw *c, const char *want)
{
	do
		assert_int_equal(raw_line(c, 10000), 0);
	while (strncmp(want, "USER|", 5) != 0 &&
	    (strncmp(c->line, "USER|", 5) == 0 ||
	        strncmp(c->line, "DEVCOUNT|", 9) == 0));
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
	/* The event first, then the RINFO whose last covers it. */
	ask(&a, "REVENT|#Team|1|", "RCREATE|#Team|open\n");
	assert_non_null(strstr(a.line, "|alice|create|-|"));
	next_is(&a, "RINFO|#Team|open|1|owner|1|");
	raw_send(&b, "RJOIN|#team\n");
	next_is(&b, "REVENT|#Team|");
	assert_non_null(strstr(b.line, "|bob|join|-|"));
	snprintf(want, sizeof want, "RINFO|#Team|open|2|member|%.20s",
	    b.line + strlen("REVENT|#Team|"));
	*strchr(want + strlen("RINFO|#Team|open|2|member|"), '|') = '\0';
	next_is(&b, want);
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
	next_is(&b, "MSG|alice|#Team|2|m2|");
	seq2 = last_field(&b);
	assert_true(seq2 > seq);

	/* A direct message with a room message's id is not a resend of
	 * it (alice has a message stored for carol, so she is looked up). */
	raw_send(&a, "MSG|alice|carol|3|d1|%s\n", h_b64("direct"));
	assert_int_equal(raw_expect(&a, "ACK|d1|stored", 5000), 0);
	raw_send(&a, "MSG|alice|bob|4|m1|%s\n", h_b64("direct"));
	next_is(&b, "MSG|alice|bob|4|m1|");

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

/* Expect an ERR with code and ref whose text holds what. */
static void
err_is(struct raw *c, const char *code, const char *ref, const char *what)
{
	char want[128];

	snprintf(want, sizeof want, "ERR|%s|%s|", code, ref);
	if (raw_expect(c, "ERR|", 10000) != 0 ||
	    strncmp(c->line, want, strlen(want)) != 0) {
		printf("wanted %s (%s), got %s\n", want, what, c->line);
		fail();
	}
	if (what != NULL) {
		char text[512];
		size_t n;
		const char *p = strrchr(c->line, '|') + 1;

		assert_int_equal(
		    proto_b64_decode(p, strlen(p), text, sizeof text - 1, &n),
		    0);
		text[n] = '\0';
		if (strstr(text, what) == NULL) {
			printf("ERR text '%s' lacks '%s'\n", text, what);
			fail();
		}
	}
}

/*
 * Every rule and every row of the error table: who may create, join,
 * leave, invite, kick, ban, make admins and set the topic, and what each
 * refusal says; the owner's leaving hands the room over; the last
 * member's leaving deletes it.
 */
static void
rooms__rules__every_error_row(void **state)
{
	struct relay r;
	struct raw a, b, c, d;

	(void)state;
	assert_int_equal(relay_start(&r, "--max-rooms", "3", "--max-user-rooms",
	                     "2", "--max-room-members", "3", NULL),
	    0);
	login_dev(&a, r.port, "alice", "a1");
	login_dev(&b, r.port, "bob", "b1");
	login_dev(&c, r.port, "carol", "c1");
	login_dev(&d, r.port, "dave", "d1");

	/* No such room: a request, a MSG (its id), a TYPING (the room). */
	raw_send(&b, "RJOIN|#nope\n");
	err_is(&b, "NO_SUCH_ROOM", "#nope", "no room #nope");
	raw_send(&b, "MSG|bob|#nope|1|x1|aGk=\n");
	err_is(&b, "NO_SUCH_ROOM", "x1", "no room #nope");
	raw_send(&b, "TYPING|bob|#nope|on\n");
	err_is(&b, "NO_SUCH_ROOM", "#nope", "no room #nope");

	ask(&a, "RINFO|#Club|invite|1|owner|", "RCREATE|#Club|invite\n");
	raw_send(&b, "RCREATE|#club|open\n");
	err_is(&b, "NAME_IN_USE", "#club", "#club exists");

	/* Not a member. */
	raw_send(&b, "MSG|bob|#club|1|x2|aGk=\n");
	err_is(&b, "FORBIDDEN", "x2", "not a member of #Club");
	raw_send(&b, "TYPING|bob|#club|on\n");
	err_is(&b, "FORBIDDEN", "#club", "not a member");
	raw_send(&b, "RPOS|#club|1|1\n");
	err_is(&b, "FORBIDDEN", "#club", "not a member");
	raw_send(&b, "RRCPT|#club|1\n");
	err_is(&b, "FORBIDDEN", "#club", "not a member");
	raw_send(&b, "RMEMBERS|#club\n");
	err_is(&b, "FORBIDDEN", "#club", "not a member");
	raw_send(&b, "RINVITE|#club|carol\n");
	err_is(&b, "FORBIDDEN", "#club", "not a member");
	raw_send(&b, "RLEAVE|#club\n");
	err_is(&b, "FORBIDDEN", "#club", "not a member");

	/* Invite-only. */
	raw_send(&b, "RJOIN|#club\n");
	err_is(&b, "FORBIDDEN", "#club", "#Club is invite-only");
	raw_send(&a, "RINVITE|#club|zed\n");
	err_is(&a, "NO_SUCH_USER", "#club", "no user zed");
	ask(&a, "RINFO|#Club|invite|1|owner|", "RINVITE|#club|bob\n");
	assert_int_equal(
	    raw_expect(&b, "RINFO|#Club|invite|1|invited|", 5000), 0);
	ask(&b, "RINFO|#Club|invite|2|member|", "RJOIN|#club\n");
	raw_send(&b, "RJOIN|#club\n");
	err_is(&b, "BAD_FIELD", "#club", "already");
	/* A member without the right. */
	raw_send(&b, "RINVITE|#club|carol\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner or an admin may");
	raw_send(&b, "RKICK|#club|alice|\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner or an admin may");
	raw_send(&b, "RBAN|#club|carol|on\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner or an admin may");
	raw_send(&b, "RTOPIC|#club|aGk=\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner or an admin may");
	raw_send(&b, "RADMIN|#club|bob|on\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner");
	/* The owner's rules. */
	raw_send(&a, "RKICK|#club|zed|\n");
	err_is(&a, "NO_SUCH_USER", "#club", "no user zed");
	raw_send(&a, "RADMIN|#club|zed|on\n");
	err_is(&a, "NO_SUCH_USER", "#club", "no user zed");
	raw_send(&a, "RKICK|#club|carol|\n");
	err_is(&a, "BAD_FIELD", "#club", "carol");
	raw_send(&a, "RADMIN|#club|carol|on\n");
	err_is(&a, "BAD_FIELD", "#club", "carol");
	raw_send(&a, "RADMIN|#club|alice|on\n");
	err_is(&a, "FORBIDDEN", "#club", NULL);
	ask(&a, "RINFO|#Club|invite|2|owner|", "RADMIN|#club|bob|on\n");
	assert_int_equal(raw_expect(&b, "REVENT|#Club|", 5000), 0);
	assert_non_null(strstr(b.line, "|alice|admin|bob|"));
	ask(&a, "RINFO|#Club|invite|2|owner|", "RTOPIC|#club|%s\n",
	    h_b64("plans"));
	assert_int_equal(raw_expect(&b, "REVENT|#Club|", 5000), 0);
	assert_non_null(strstr(b.line, "|alice|topic|-|"));
	/* An admin invites carol; she joins; the room is full (3). */
	ask(&b, "RINFO|#Club|invite|2|admin|", "RINVITE|#club|carol\n");
	ask(&c, "RINFO|#Club|invite|3|member|", "RJOIN|#club\n");
	assert_non_null(strstr(c.line, h_b64("plans")));
	ask(&b, "RINFO|#Club|invite|3|admin|", "RINVITE|#club|dave\n");
	raw_send(&d, "RJOIN|#club\n");
	err_is(&d, "QUOTA", "#club", "--max-room-members 3");
	/* An invitee's login: its RINFO before SYNCED. */
	raw_close(&d);
	assert_int_equal(raw_open(&d, r.port), 0);
	raw_send(&d, "LOGIN|1|dave|%s|0|keep|d1\n", h_b64("pw-dave"));
	assert_int_equal(raw_expect(&d, "WELCOME|", 30000), 0);
	assert_int_equal(
	    raw_expect(&d, "RINFO|#Club|invite|3|invited|", 5000), 0);
	next_is(&d, "SYNCED");
	/* An admin may not kick or ban the owner, nor another admin. */
	raw_send(&b, "RKICK|#club|alice|\n");
	err_is(&b, "FORBIDDEN", "#club", NULL);
	ask(&a, "RINFO|#Club|invite|3|owner|", "RADMIN|#club|carol|on\n");
	raw_send(&b, "RKICK|#club|carol|\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner may");
	raw_send(&b, "RBAN|#club|carol|on\n");
	err_is(&b, "FORBIDDEN", "#club", "only the owner may");
	ask(&a, "RINFO|#Club|invite|3|owner|", "RADMIN|#club|carol|off\n");
	/* A ban kicks; the banned cannot join nor be invited. */
	ask(&b, "RINFO|#Club|invite|2|admin|", "RBAN|#club|carol|on\n");
	assert_int_equal(raw_expect(&c, "RINFO|#Club|invite|2|none|", 5000), 0);
	raw_send(&c, "RJOIN|#club\n");
	err_is(&c, "FORBIDDEN", "#club", "carol is banned from #Club");
	raw_send(&a, "RINVITE|#club|carol\n");
	err_is(&a, "FORBIDDEN", "#club", "carol is banned from #Club");
	ask(&b, "RINFO|#Club|invite|2|admin|", "RBAN|#club|carol|off\n");
	/* Members in order: owner, admins, members. */
	raw_send(&b, "RMEMBERS|#club\n");
	assert_int_equal(
	    raw_expect(&b, "RMEMBER|#Club|alice|owner|online|", 5000), 0);
	next_is(&b, "RMEMBER|#Club|bob|admin|online|");
	next_is(&b, "RMEMBERS|#Club|2");

	/* Quotas: rooms on the relay, rooms of one name. */
	ask(&d, "RINFO|#d1|open|1|owner|", "RCREATE|#d1|open\n");
	ask(&d, "RINFO|#d2|open|1|owner|", "RCREATE|#d2|open\n");
	raw_send(&a, "RCREATE|#d3|open\n");
	err_is(&a, "QUOTA", "#d3", "--max-rooms 3");
	ask(&d, "RINFO|#d1|open|0|none|", "RLEAVE|#d1\n");
	raw_send(&b, "RJOIN|#d1\n");
	err_is(&b, "NO_SUCH_ROOM", "#d1", "no room #d1");
	ask(&b, "RINFO|#d2|open|2|member|", "RJOIN|#d2\n");
	raw_send(&b, "RCREATE|#d3|open\n");
	err_is(&b, "QUOTA", "#d3", "--max-user-rooms 2");
	ask(&b, "RINFO|#d2|open|1|none|", "RLEAVE|#d2\n");
	/* A seventh field is the relay's. */
	raw_send(&a, "MSG|alice|#club|1|x9|aGk=|5\n");
	err_is(&a, "BAD_FRAME", "x9", NULL);
	raw_send(&a, "MSG|alice|bob|1|x8|aGk=|5\n");
	err_is(&a, "BAD_FRAME", "x8", NULL);

	/* The owner leaves: the admin who has been one longest owns it,
	 * named by an admin event before the leave. */
	ask(&a, "RINFO|#Club|invite|1|none|", "RLEAVE|#club\n");
	assert_int_equal(raw_expect(&b, "REVENT|#Club|", 5000), 0);
	assert_non_null(strstr(b.line, "|alice|admin|bob|"));
	next_is(&b, "REVENT|#Club|");
	assert_non_null(strstr(b.line, "|alice|leave|-|"));
	raw_send(&b, "RMEMBERS|#club\n");
	assert_int_equal(raw_expect(&b, "RMEMBER|#Club|bob|owner|", 5000), 0);
	/* The last one out deletes it. */
	ask(&b, "RINFO|#Club|invite|0|none|", "RLEAVE|#club\n");
	raw_send(&b, "RJOIN|#club\n");
	err_is(&b, "NO_SUCH_ROOM", "#club", NULL);

	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	raw_close(&d);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A kicked member: its sessions get RINFO none and nothing more of the
 * room; what it sends to the room is refused with FORBIDDEN.
 */
static void
rooms__kick__the_kicked_get_nothing_more(void **state)
{
	struct relay r;
	struct raw a, b, b2;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	login_dev(&a, r.port, "alice", "a1");
	login_dev(&b, r.port, "bob", "b1");
	login_dev(&b2, r.port, "bob", "b2");
	ask(&a, "RINFO|#t|open|1|owner|", "RCREATE|#t|open\n");
	ask(&b, "RINFO|#t|open|2|member|", "RJOIN|#t\n");
	raw_send(&a, "MSG|alice|#t|1|k1|%s\n", h_b64("before"));
	assert_int_equal(raw_expect(&b2, "MSG|alice|#t|1|k1|", 5000), 0);
	ask(&a, "RINFO|#t|open|1|owner|", "RKICK|#t|bob|%s\n", h_b64("bye"));
	assert_int_equal(raw_expect(&b, "RINFO|#t|open|1|none|", 5000), 0);
	assert_int_equal(raw_expect(&b2, "RINFO|#t|open|1|none|", 5000), 0);
	raw_send(&a, "MSG|alice|#t|2|k2|%s\n", h_b64("after"));
	assert_int_equal(raw_expect(&a, "ACK|k2|stored", 5000), 0);
	/* A direct message after it: bob's next line, nothing of #t. */
	raw_send(&a, "MSG|alice|bob|3|k3|%s\n", h_b64("sentinel"));
	next_is(&b, "MSG|alice|bob|3|k3|");
	next_is(&b2, "MSG|alice|bob|3|k3|");
	raw_send(&b, "MSG|bob|#t|4|k4|aGk=\n");
	err_is(&b, "FORBIDDEN", "k4", "not a member of #t");
	raw_send(&b, "RPOS|#t|1|1\n");
	err_is(&b, "FORBIDDEN", "#t", "not a member of #t");
	/* Back on a new login: no RINFO of #t, no backlog of it. */
	raw_close(&b);
	assert_int_equal(raw_open(&b, r.port), 0);
	raw_send(&b, "LOGIN|1|bob|%s|0|keep|b1\n", h_b64("pw-bob"));
	assert_int_equal(raw_expect(&b, "SYNCED", 30000), 0);
	raw_send(&b, "PING|x\n");
	while (raw_line(&b, 5000) == 0 && strcmp(b.line, "PONG|x") != 0)
		assert_null(strstr(b.line, "#t"));
	assert_string_equal(b.line, "PONG|x");
	raw_close(&a);
	raw_close(&b);
	raw_close(&b2);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A member kicked after writing the room's newest message hears no more
 * RSTATE about it when the others report their positions.
 */
static void
rooms__kick__no_receipts_after_it(void **state)
{
	struct relay r;
	struct raw a, b, c;
	const char *seq;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	login_dev(&a, r.port, "alice", "a1");
	login_dev(&b, r.port, "bob", "b1");
	login_dev(&c, r.port, "carol", "c1");
	ask(&a, "RINFO|#t|open|1|owner|", "RCREATE|#t|open\n");
	ask(&b, "RINFO|#t|open|2|member|", "RJOIN|#t\n");
	ask(&c, "RINFO|#t|open|3|member|", "RJOIN|#t\n");
	raw_send(&b, "MSG|bob|#t|1|w1|%s\n", h_b64("mine"));
	assert_int_equal(raw_expect(&b, "ACK|w1|stored", 5000), 0);
	assert_int_equal(raw_expect(&c, "MSG|bob|#t|1|w1|", 5000), 0);
	seq = strrchr(c.line, '|') + 1;
	ask(&a, "RINFO|#t|open|2|owner|", "RKICK|#t|bob|%s\n", h_b64("bye"));
	assert_int_equal(raw_expect(&b, "RINFO|#t|open|2|none|", 5000), 0);
	raw_send(&c, "RPOS|#t|%s|%s\nPING|c\n", seq, seq);
	assert_int_equal(raw_expect(&c, "PONG|c", 5000), 0);
	raw_send(&b, "PING|b\n");
	while (raw_line(&b, 5000) == 0 && strcmp(b.line, "PONG|b") != 0)
		assert_null(strstr(b.line, "#t"));
	assert_string_equal(b.line, "PONG|b");
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * Positions and receipts: delivered to N of M, read by K, without a row
 * per message: RRCPT lists every member but the sender, RSTATE counts;
 * unasked, one RSTATE per room per turn to the newest message's sender.
 */
static void
rooms__receipts__counts_from_positions(void **state)
{
	struct relay r;
	struct raw a, b, c;
	long long seq;
	char want[128];

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	login_dev(&a, r.port, "alice", "a1");
	login_dev(&b, r.port, "bob", "b1");
	login_dev(&c, r.port, "carol", "c1");
	ask(&a, "RINFO|#t|open|1|owner|", "RCREATE|#t|open\n");
	ask(&b, "RINFO|#t|open|2|member|", "RJOIN|#t\n");
	ask(&c, "RINFO|#t|open|3|member|", "RJOIN|#t\n");
	raw_send(&a, "MSG|alice|#t|1|r1|%s\n", h_b64("count me"));
	assert_int_equal(raw_expect(&a, "MSG|alice|#t|1|r1|", 5000), 0);
	seq = last_field(&a);
	assert_int_equal(raw_expect(&b, "MSG|alice|#t|1|r1|", 5000), 0);
	assert_int_equal(raw_expect(&c, "MSG|alice|#t|1|r1|", 5000), 0);
	raw_send(&a, "RRCPT|#t|%lld\n", seq);
	snprintf(want, sizeof want, "RWHO|#t|%lld|", seq);
	assert_int_equal(raw_expect(&a, want, 5000), 0);
	assert_non_null(strstr(a.line, "|none"));
	next_is(&a, want);
	snprintf(want, sizeof want, "RSTATE|#t|%lld|2|0|0", seq);
	next_is(&a, want);
	/* bob has it: delivered and read in one write, one RSTATE. */
	raw_send(&b, "RPOS|#t|%lld|0\nRPOS|#t|%lld|%lld\n", seq, seq, seq);
	snprintf(want, sizeof want, "RSTATE|#t|%lld|2|1|1", seq);
	next_is(&a, want);
	raw_send(&a, "PING|p1\n");
	next_is(&a, "PONG|p1");
	/* carol has it, not read. */
	raw_send(&c, "RPOS|#t|%lld|0\n", seq);
	snprintf(want, sizeof want, "RSTATE|#t|%lld|2|2|1", seq);
	next_is(&a, want);
	raw_send(&a, "RRCPT|#t|%lld\n", seq);
	snprintf(want, sizeof want, "RWHO|#t|%lld|bob|read", seq);
	assert_int_equal(raw_expect(&a, "RWHO|", 5000), 0);
	if (strstr(a.line, "|bob|") != NULL) {
		assert_string_equal(a.line, want);
		next_is(&a, "RWHO|");
		assert_non_null(strstr(a.line, "|carol|delivered"));
	} else {
		assert_non_null(strstr(a.line, "|carol|delivered"));
		next_is(&a, want);
	}
	snprintf(want, sizeof want, "RSTATE|#t|%lld|2|2|1", seq);
	next_is(&a, want);
	/* Lower positions are ignored: nothing moves, no RSTATE. */
	raw_send(&b, "RPOS|#t|1|1\n");
	raw_send(&a, "PING|p2\n");
	next_is(&a, "PONG|p2");
	raw_send(&a, "RRCPT|#t|999999\n");
	err_is(&a, "BAD_FIELD", "#t", "no message 999999 in #t");
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(relay_finish(&r), 0);
}

#define BACKLOG 3000

/*
 * A room backlog is streamed at the pace the reader drains it: 3000
 * messages of 1500 bytes (about 6 MB on the wire) reach a member that
 * was offline, in order, though the relay closes a session holding more
 * than 2 MB of output (--max-output). TYPING reaches the other members
 * online and is never stored.
 */
static void
rooms__backlog__paced_by_the_reader(void **state)
{
	struct relay r;
	struct raw a, b, c;
	char body[1501], want[64];
	int k, got = 0;
	long long last = 0;

	(void)state;
	assert_int_equal(relay_start(&r, "--max-output", "2097152", NULL), 0);
	login_dev(&a, r.port, "alice", "a1");
	login_dev(&b, r.port, "bob", "b1");
	login_dev(&c, r.port, "carol", "c1");
	ask(&a, "RINFO|#t|open|1|owner|", "RCREATE|#t|open\n");
	ask(&b, "RINFO|#t|open|2|member|", "RJOIN|#t\n");
	ask(&c, "RINFO|#t|open|3|member|", "RJOIN|#t\n");
	raw_send(&b, "TYPING|bob|#t|on\n");
	assert_int_equal(raw_expect(&a, "TYPING|bob|#t|on", 5000), 0);
	assert_int_equal(raw_expect(&c, "TYPING|bob|#t|on", 5000), 0);
	raw_close(&b);
	raw_close(&c);
	memset(body, 'x', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	for (k = 0; k < BACKLOG; k++) {
		raw_send(&a, "MSG|alice|#t|%d|q%05d|%s\n", k, k, h_b64(body));
		if (k % 100 == 99)
			for (; got <= k; got++) {
				snprintf(want, sizeof want, "ACK|q%05d|", got);
				assert_int_equal(
				    raw_expect(&a, want, 20000), 0);
			}
	}
	login_dev(&b, r.port, "bob", "b1");
	for (k = 0; k < BACKLOG; k++) {
		snprintf(want, sizeof want, "MSG|alice|#t|%d|q%05d|", k, k);
		if (raw_expect(&b, "MSG|", 20000) != 0 ||
		    strncmp(b.line, want, strlen(want)) != 0) {
			printf("message %d: %.60s\n", k, b.line);
			fail();
		}
		assert_true(last_field(&b) > last);
		last = last_field(&b);
	}
	/* The typing was not stored: carol's login has none. */
	login_dev(&c, r.port, "carol", "c1");
	raw_send(&c, "PING|t\n");
	while (raw_line(&c, 20000) == 0 && strcmp(c.line, "PONG|t") != 0)
		assert_null(strstr(c.line, "TYPING"));
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(relay_finish(&r), 0);
}

#define BIG 50
#define OFF 20
#define NMSG 300

/*
 * A room of 50, 20 of them offline; messages stream in and the relay
 * is killed with SIGKILL mid-stream. After the restart the sender sends
 * again what it had no ACK for (its outbox); then every member logs in
 * and gets every message exactly once, in seq order, from its join on.
 */
static void
rooms__kill9__every_member_every_message_once(void **state)
{
	struct relay r;
	struct raw *m = calloc(BIG, sizeof *m);
	char name[32], dev[32], want[64];
	static bool acked[NMSG];
	static long long seen[NMSG];
	int i, k, got, nacked = 0;
	long long last;

	(void)state;
	assert_non_null(m);
	assert_int_equal(relay_start(&r, "--max-registrations", "0", "--sync",
	                     "normal", NULL),
	    0);
	for (i = 0; i < BIG; i++) {
		snprintf(name, sizeof name, "m%02d", i);
		snprintf(dev, sizeof dev, "d%02d", i);
		login_dev(&m[i], r.port, name, dev);
		if (i == 0)
			ask(&m[0], "RINFO|#big|open|1|owner|",
			    "RCREATE|#big|open\n");
		else
			ask(&m[i], "RINFO|#big|open|", "RJOIN|#big\n");
	}
	for (i = BIG - OFF; i < BIG; i++)
		raw_close(&m[i]);
	/* The stream: the relay dies once about half is acknowledged. */
	for (k = 0; k < NMSG; k++)
		raw_send(&m[0], "MSG|m00|#big|%d|b%03d|%s\n", k, k,
		    h_b64("payload"));
	while (nacked < NMSG / 2) {
		assert_int_equal(raw_expect(&m[0], "ACK|b", 10000), 0);
		acked[atoi(m[0].line + 5)] = true;
		nacked++;
	}
	assert_int_equal(relay_stop(&r, SIGKILL), -SIGKILL);
	for (i = 0; i < BIG - OFF; i++)
		raw_close(&m[i]);
	assert_int_equal(relay_restart(&r), 0);
	/* The sender's outbox: everything without an ACK, again. */
	login_dev(&m[0], r.port, "m00", "d00");
	for (k = 0; k < NMSG; k++)
		if (!acked[k])
			raw_send(&m[0], "MSG|m00|#big|%d|b%03d|%s\n", k, k,
			    h_b64("payload"));
	for (k = 0; k < NMSG; k++) {
		if (acked[k])
			continue;
		snprintf(want, sizeof want, "ACK|b%03d|stored", k);
		while (
		    raw_line(&m[0], 10000) == 0 && strcmp(m[0].line, want) != 0)
			;
		assert_string_equal(m[0].line, want);
	}
	raw_close(&m[0]);
	/* Every member, the sender too: every message once, in order. */
	for (i = 0; i < BIG; i++) {
		snprintf(name, sizeof name, "m%02d", i);
		snprintf(dev, sizeof dev, "d%02d", i);
		login_dev(&m[i], r.port, name, dev);
		memset(seen, 0, sizeof seen);
		got = 0;
		last = 0;
		while (got < NMSG) {
			if (raw_line(&m[i], 10000) != 0) {
				printf("%s: %d of %d\n", name, got, NMSG);
				fail();
			}
			if (strncmp(m[i].line, "MSG|m00|#big|", 13) != 0)
				continue;
			k = atoi(strstr(m[i].line, "|b") + 2);
			assert_true(k >= 0 && k < NMSG);
			if (seen[k] != 0) {
				printf("%s: b%03d twice\n", name, k);
				fail();
			}
			seen[k] = last_field(&m[i]);
			assert_true(seen[k] > last);
			last = seen[k];
			got++;
		}
		raw_send(&m[i], "PING|end\n");
		while (raw_line(&m[i], 10000) == 0 &&
		    strcmp(m[i].line, "PONG|end") != 0)
			assert_true(strncmp(m[i].line, "MSG|", 4) != 0);
		raw_close(&m[i]);
	}
	free(m);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rooms__first_path__create_join_msg_pos_backlog),
	    cmocka_unit_test(rooms__rules__every_error_row),
	    cmocka_unit_test(rooms__kick__the_kicked_get_nothing_more),
	    cmocka_unit_test(rooms__kick__no_receipts_after_it),
	    cmocka_unit_test(rooms__receipts__counts_from_positions),
	    cmocka_unit_test(rooms__backlog__paced_by_the_reader),
	    cmocka_unit_test(rooms__kill9__every_member_every_message_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
