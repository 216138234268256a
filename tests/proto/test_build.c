/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"

#define FP "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/*
 * Every verb of PROTOCOL.md, written by the builder: the exact bytes
 * expected on the wire, then parsed back field for field.
 */
struct rt_case {
	enum proto_verb verb;
	const char *fields[PROTO_MAX_ARGS];
	const char *wire;
};

static const struct rt_case rt[] = {
    {PROTO_V_LOGIN, {"1", "alice", "c2VjcmV0", "0"},
        "LOGIN|1|alice|c2VjcmV0|0\n"},
    {PROTO_V_WELCOME, {"alice", "tok123", "65536", "1700000000000"},
        "WELCOME|alice|tok123|65536|1700000000000\n"},
    {PROTO_V_ERR, {"NAME_IN_USE", "-", "aW4gdXNl"},
        "ERR|NAME_IN_USE|-|aW4gdXNl\n"},
    {PROTO_V_USER, {"bob", "online", "0"}, "USER|bob|online|0\n"},
    {PROTO_V_SYNCED, {NULL}, "SYNCED\n"},
    {PROTO_V_PING, {"42"}, "PING|42\n"},
    {PROTO_V_PONG, {"42"}, "PONG|42\n"},
    {PROTO_V_BYE, {"replaced"}, "BYE|replaced\n"},
    {PROTO_V_RESUME, {"1", "alice", "tok123", "7001"},
        "RESUME|1|alice|tok123|7001\n"},
    {PROTO_V_MSG, {"alice", "bob", "1700000000000", "m-1", "5L2g5aW9"},
        "MSG|alice|bob|1700000000000|m-1|5L2g5aW9\n"},
    {PROTO_V_RCPT, {"bob", "alice", "m-1", "read"},
        "RCPT|bob|alice|m-1|read\n"},
    {PROTO_V_TYPING, {"bob", "alice", "on"}, "TYPING|bob|alice|on\n"},
    {PROTO_V_ACK, {"m-1", "stored"}, "ACK|m-1|stored\n"},
    {PROTO_V_FOFFER, {"a", "b", "x1", "4", HASH, "dGVzdC50eHQ="},
        "FOFFER|a|b|x1|4|" HASH "|dGVzdC50eHQ=\n"},
    {PROTO_V_FACCEPT, {"b", "a", "x1", "0"}, "FACCEPT|b|a|x1|0\n"},
    {PROTO_V_FREJECT, {"b", "a", "x1", "bm8="}, "FREJECT|b|a|x1|bm8=\n"},
    {PROTO_V_FDATA, {"a", "b", "x1", "0", "0"}, "FDATA|a|b|x1|0|0\n"},
    {PROTO_V_FACK, {"b", "a", "x1", "4"}, "FACK|b|a|x1|4\n"},
    {PROTO_V_FDONE, {"a", "b", "x1"}, "FDONE|a|b|x1\n"},
    {PROTO_V_FCANCEL, {"a", "b", "x1", ""}, "FCANCEL|a|b|x1|\n"},
    {PROTO_V_LOOKUP, {"bob"}, "LOOKUP|bob\n"},
    {PROTO_V_PEER, {"bob", "[::1]", "7002", "tk1"},
        "PEER|bob|[::1]|7002|tk1\n"},
    {PROTO_V_PEER, {"bob", "[::1]", "7002", "tk1", FP},
        "PEER|bob|[::1]|7002|tk1|" FP "\n"},
    {PROTO_V_PHELLO, {"alice", "bob", "tk1"}, "PHELLO|alice|bob|tk1\n"},
    {PROTO_V_VERIFY, {"alice", "tk1"}, "VERIFY|alice|tk1\n"},
    {PROTO_V_VERIFIED, {"alice", "tk1", "yes"}, "VERIFIED|alice|tk1|yes\n"},
    {PROTO_V_VERIFIED, {"alice", "tk1", "yes", FP},
        "VERIFIED|alice|tk1|yes|" FP "\n"},
    {PROTO_V_PWELCOME, {"bob", "alice"}, "PWELCOME|bob|alice\n"},
    {PROTO_V_ALIVE, {"alice", "tok123"}, "ALIVE|alice|tok123\n"},
    {PROTO_V_ALIVE, {"3"}, "ALIVE|3\n"},
    {PROTO_V_ALIVE, {"alice", "1", "1700000000", HASH},
        "ALIVE|alice|1|1700000000|" HASH "\n"},
    {PROTO_V_ALIVE, {"3", "1", HASH}, "ALIVE|3|1|" HASH "\n"},
    {PROTO_V_STATS, {NULL}, "STATS\n"},
    {PROTO_V_STATS, {"eD0xCg=="}, "STATS|eD0xCg==\n"},
    {PROTO_V_DISCOVER, {"1"}, "DISCOVER|1\n"},
    {PROTO_V_RELAY, {"b2ZmaWNl", "7733"}, "RELAY|b2ZmaWNl|7733\n"},
    {PROTO_V_RELAY, {"b2ZmaWNl", "7733", FP}, "RELAY|b2ZmaWNl|7733|" FP "\n"},
    {PROTO_V_DEVICES, {"pin"}, "DEVICES|pin\n"},
    {PROTO_V_DEVICES, {"2"}, "DEVICES|2\n"},
    {PROTO_V_DEVICES, {"add", FP}, "DEVICES|add|" FP "\n"},
    {PROTO_V_DEVICE, {FP, "17"}, "DEVICE|" FP "|17\n"},
    {PROTO_V_ACTIVE, {FP, "17", "18", "online", "0"},
        "ACTIVE|" FP "|17|18|online|0\n"},
    {PROTO_V_ACTIVE, {"@k3f9", "17", "18", "offline", "4"},
        "ACTIVE|@k3f9|17|18|offline|4\n"},
    {PROTO_V_ACTIVE, {"-", "17", "18", "offline", "4"},
        "ACTIVE|-|17|18|offline|4\n"},
    {PROTO_V_DEVCOUNT, {"3"}, "DEVCOUNT|3\n"},
    {PROTO_V_RCREATE, {"#Team", "invite"}, "RCREATE|#Team|invite\n"},
    {PROTO_V_RJOIN, {"#team"}, "RJOIN|#team\n"},
    {PROTO_V_RLEAVE, {"#team"}, "RLEAVE|#team\n"},
    {PROTO_V_RINVITE, {"#team", "bob"}, "RINVITE|#team|bob\n"},
    {PROTO_V_RKICK, {"#team", "bob", "YnllIQ=="}, "RKICK|#team|bob|YnllIQ==\n"},
    {PROTO_V_RBAN, {"#team", "bob", "on"}, "RBAN|#team|bob|on\n"},
    {PROTO_V_RADMIN, {"#team", "bob", "off"}, "RADMIN|#team|bob|off\n"},
    {PROTO_V_RTOPIC, {"#team", ""}, "RTOPIC|#team|\n"},
    {PROTO_V_RINFO, {"#Team", "open", "3", "invited", "0", ""},
        "RINFO|#Team|open|3|invited|0|\n"},
    {PROTO_V_RMEMBERS, {"#team"}, "RMEMBERS|#team\n"},
    {PROTO_V_RMEMBERS, {"#team", "2"}, "RMEMBERS|#team|2\n"},
    {PROTO_V_RMEMBER, {"#team", "bob", "admin", "online", "7", "5"},
        "RMEMBER|#team|bob|admin|online|7|5\n"},
    {PROTO_V_RLIST, {NULL}, "RLIST\n"},
    {PROTO_V_RLIST, {"4"}, "RLIST|4\n"},
    {PROTO_V_REVENT, {"#team", "9", "17", "alice", "kick", "bob", "YnllIQ=="},
        "REVENT|#team|9|17|alice|kick|bob|YnllIQ==\n"},
    {PROTO_V_REVENT, {"#team", "9", "17", "alice", "join", "-", ""},
        "REVENT|#team|9|17|alice|join|-|\n"},
    {PROTO_V_RPOS, {"#team", "9", "8"}, "RPOS|#team|9|8\n"},
    {PROTO_V_RRCPT, {"#team", "9"}, "RRCPT|#team|9\n"},
    {PROTO_V_RWHO, {"#team", "9", "bob", "read"}, "RWHO|#team|9|bob|read\n"},
    {PROTO_V_RSTATE, {"#team", "9", "3", "2", "1"}, "RSTATE|#team|9|3|2|1\n"},
    {PROTO_V_MSG, {"alice", "#team", "1", "m1", "aGk=", "42"},
        "MSG|alice|#team|1|m1|aGk=|42\n"},
    {PROTO_V_TYPING, {"alice", "#team", "on"}, "TYPING|alice|#team|on\n"},
    {PROTO_V_DEVICES, {"drop", "@k3f9"}, "DEVICES|drop|@k3f9\n"},
    {PROTO_V_DEVICES, {"drop", "-"}, "DEVICES|drop|-\n"},
    {PROTO_V_LOGIN, {"1", "alice", "", "0", "take", "k3f9"},
        "LOGIN|1|alice||0|take|k3f9\n"},
};

static void
proto_build__round_trips__every_verb(void **state)
{
	char buf[512];
	struct proto_writer w;
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t i, k, n, used;
	bool seen[PROTO_V_COUNT] = {false};

	(void)state;
	for (i = 0; i < sizeof rt / sizeof rt[0]; i++) {
		proto_writer_init(&w, buf, sizeof buf);
		proto_writer_begin(&w, rt[i].verb);
		for (k = 0; k < PROTO_MAX_ARGS && rt[i].fields[k] != NULL; k++)
			proto_writer_str(&w, rt[i].fields[k]);
		assert_int_equal(proto_writer_end(&w, &n), 0);
		if (n != strlen(rt[i].wire) || memcmp(buf, rt[i].wire, n) != 0)
			fail_msg("%s: built '%.*s'", rt[i].wire, (int)n, buf);

		proto_decoder_init(&d, PROTO_MAX_FRAME);
		if (proto_decoder_next(&d, buf, n, &fr, &err, &used) !=
		    PROTO_FRAME)
			fail_msg("%s: refused: %s", rt[i].wire, err.text);
		assert_int_equal(fr.verb, rt[i].verb);
		assert_int_equal(used, n);
		for (k = 0; k < fr.nargs; k++)
			assert_true(proto_slice_eq(fr.arg[k], rt[i].fields[k]));
		assert_true(k == PROTO_MAX_ARGS || rt[i].fields[k] == NULL);
		seen[rt[i].verb] = true;
	}
	for (i = 1; i < PROTO_V_COUNT; i++) {
		if (!seen[i])
			fail_msg("verb %s has no round-trip case",
			    proto_verb_name((enum proto_verb)i));
	}
}

static void
proto_build__encodes__text_as_base64(void **state)
{
	char buf[256], body[64];
	const char text[] = "a|b\nc \xe4\xbd\xa0\xf0\x9f\x98\x80";
	struct proto_frame fr;
	struct proto_error err;
	size_t n, blen;

	(void)state;
	assert_int_equal(proto_build_msg(buf, sizeof buf, &n, "alice", "bob", 5,
	                     "id1", text, sizeof text - 1),
	    0);
	assert_int_equal(proto_frame_parse(buf, n, &fr, &err), PROTO_FRAME);
	assert_int_equal(
	    proto_text_decode(fr.arg[4], body, sizeof body, &blen), 0);
	assert_int_equal(blen, sizeof text - 1);
	assert_memory_equal(body, text, blen);
}

static void
proto_build__refuses__fields_that_break_framing(void **state)
{
	char buf[64];
	size_t n = 99;

	(void)state;
	assert_int_equal(
	    proto_build_rcpt(buf, sizeof buf, &n, "al|ce", "bob", "m1", "read"),
	    -1);
	assert_int_equal(
	    proto_build_rcpt(buf, sizeof buf, &n, "al ce", "bob", "m1", "read"),
	    -1);
	assert_int_equal(proto_build_rcpt(buf, sizeof buf, &n, "alice", "bob",
	                     "m\n1", "read"),
	    -1);
	assert_int_equal(n, 99);
}

static void
proto_build__refuses__frame_that_does_not_fit(void **state)
{
	char buf[16];
	size_t n;

	(void)state;
	assert_int_equal(
	    proto_build_ack(buf, sizeof buf, &n, "a-very-long-message-id"), -1);
	assert_int_equal(proto_build_ack(buf, sizeof buf, &n, "m1"), 0);
	assert_int_equal(n, 14);
	assert_memory_equal(buf, "ACK|m1|stored\n", 14);
}

static void
proto_build__writes__err_with_reason(void **state)
{
	char buf[128];
	size_t n;

	(void)state;
	assert_int_equal(proto_build_err(buf, sizeof buf, &n,
	                     PROTO_ERR_NO_SUCH_USER, "m1", 2, "no user carol"),
	    0);
	assert_int_equal(
	    n, strlen("ERR|NO_SUCH_USER|m1|bm8gdXNlciBjYXJvbA==\n"));
	assert_memory_equal(
	    buf, "ERR|NO_SUCH_USER|m1|bm8gdXNlciBjYXJvbA==\n", n);
	assert_int_equal(proto_build_err(buf, sizeof buf, &n,
	                     PROTO_ERR_NOT_LOGGED_IN, NULL, 0, ""),
	    0);
	assert_memory_equal(buf, "ERR|NOT_LOGGED_IN|-|\n", n);
}

static void
proto_err__maps__names_both_ways(void **state)
{
	enum proto_err e;
	int i;

	(void)state;
	for (i = 1; i < PROTO_ERR_UNKNOWN; i++) {
		const char *name = proto_err_name((enum proto_err)i);
		assert_int_equal(
		    proto_err_from_name(name, strlen(name), &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(proto_err_name(PROTO_ERR_BAD_BASE64), "BAD_BASE64");
	assert_int_equal(proto_err_from_name("NOPE", 4, &e), -1);
	assert_int_equal(proto_err_from_name("NONE", 4, &e), -1);
	assert_int_equal(proto_err_from_name("UNKNOWN", 7, &e), -1);
	assert_false(proto_err_is_wire(PROTO_ERR_NONE));
	assert_false(proto_err_is_wire(PROTO_ERR_UNKNOWN));
	assert_true(proto_err_is_wire(PROTO_ERR_BAD_FRAME));
	assert_true(proto_err_is_wire(PROTO_ERR_INTERNAL));
}

/* A PING as decoded from the wire, for the PONG builder. */
static struct proto_frame
ping_of(const char *line)
{
	struct proto_frame fr;
	struct proto_error err;

	assert_int_equal(
	    proto_frame_parse(line, strlen(line), &fr, &err), PROTO_FRAME);
	return fr;
}

/* What a builder wrote must be exactly want, or (want NULL) refused. */
static void
check_built(int line, int rc, const char *buf, size_t n, const char *want)
{
	if (want == NULL) {
		if (rc != -1)
			fail_msg("line %d: built '%.*s', expected a refusal",
			    line, (int)n, buf);
		return;
	}
	if (rc != 0)
		fail_msg("line %d: refused, expected '%s'", line, want);
	if (n != strlen(want) || memcmp(buf, want, n) != 0)
		fail_msg("line %d: built '%.*s', expected '%s'", line, (int)n,
		    buf, want);
}

#define B buf, sizeof buf, &n
#define BUILT(call, want)                                                      \
	do {                                                                   \
		int rc_;                                                       \
		n = 0;                                                         \
		rc_ = (call);                                                  \
		check_built(__LINE__, rc_, buf, n, (want));                    \
	} while (0)

static void
proto_build__writes__every_frame_builder(void **state)
{
	char buf[256];
	struct proto_frame ping = ping_of("PING|1700000000000\n");
	struct proto_frame crping = ping_of("PING|t-1\r\n");
	size_t n;

	(void)state;
	BUILT(proto_build_bare(B, PROTO_V_SYNCED), "SYNCED\n");
	BUILT(proto_build_bare(B, PROTO_V_STATS), "STATS\n");
	BUILT(proto_build_bye(B, "replaced"), "BYE|replaced\n");
	BUILT(proto_build_bye(B, "quit"), "BYE|quit\n");
	BUILT(proto_build_bye(B, "too-slow"), "BYE|too-slow\n");
	BUILT(proto_build_bye_addr(B, "replaced", "127.0.0.1:40312"),
	    "BYE|replaced|127.0.0.1:40312\n");
	BUILT(proto_build_bye_addr(B, "replaced", "[::1]:40312"),
	    "BYE|replaced|[::1]:40312\n");
	BUILT(proto_build_ping(B, 1700000000000), "PING|1700000000000\n");
	BUILT(proto_build_ping(B, 0), "PING|0\n");
	BUILT(proto_build_pong(B, &ping), "PONG|1700000000000\n");
	BUILT(proto_build_pong(B, &crping), "PONG|t-1\n");
	BUILT(proto_build_alive(B, "alice", "tok123"), "ALIVE|alice|tok123\n");
	BUILT(proto_build_alive_reply(B, 3), "ALIVE|3\n");
	BUILT(proto_build_alive_reply(B, 0), "ALIVE|0\n");
	BUILT(proto_build_typing(B, "bob", "alice", true),
	    "TYPING|bob|alice|on\n");
	BUILT(proto_build_typing(B, "bob", "alice", false),
	    "TYPING|bob|alice|off\n");
	BUILT(proto_build_lookup(B, "bob"), "LOOKUP|bob\n");
	BUILT(proto_build_phello(B, "alice", "bob", "tk1"),
	    "PHELLO|alice|bob|tk1\n");
	BUILT(proto_build_verify(B, "alice", "tk1"), "VERIFY|alice|tk1\n");
	BUILT(proto_build_pwelcome(B, "bob", "alice"), "PWELCOME|bob|alice\n");
	BUILT(proto_build_err(
	          B, PROTO_ERR_INTERNAL, NULL, 0, "the relay is full"),
	    "ERR|INTERNAL|-|dGhlIHJlbGF5IGlzIGZ1bGw=\n");
	BUILT(proto_build_err(B, PROTO_ERR_AUTH_FAILED, "-", 1,
	          "unknown or expired session token"),
	    "ERR|AUTH_FAILED|-|"
	    "dW5rbm93biBvciBleHBpcmVkIHNlc3Npb24gdG9rZW4=\n");
}

/* The extensions over TLS: fingerprints, and ALIVE signed and closed. */
static void
proto_build__writes__the_tls_extensions(void **state)
{
	char buf[256];
	unsigned char fp[PROTO_FP_LEN], back[PROTO_FP_LEN];
	struct proto_slice al = {"alice", 5}, tk = {"tk1", 3};
	struct proto_frame fr;
	struct proto_error err;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof fp; i++)
		fp[i] = (unsigned char)i;
	BUILT(proto_build_peer(B, "bob", "[::1]", 7002, "tk1", NULL),
	    "PEER|bob|[::1]|7002|tk1\n");
	BUILT(proto_build_peer(B, "bob", "[::1]", 7002, "tk1", fp),
	    "PEER|bob|[::1]|7002|tk1|" FP "\n");
	BUILT(proto_build_verified(B, al, tk, true, fp),
	    "VERIFIED|alice|tk1|yes|" FP "\n");
	BUILT(proto_build_verified(B, al, tk, true, NULL),
	    "VERIFIED|alice|tk1|yes\n");
	BUILT(proto_build_verified(B, al, tk, false, fp),
	    "VERIFIED|alice|tk1|no\n");
	BUILT(proto_build_relay(B, "office", 7733, NULL),
	    "RELAY|b2ZmaWNl|7733\n");
	BUILT(proto_build_relay(B, "office", 7733, fp),
	    "RELAY|b2ZmaWNl|7733|" FP "\n");
	BUILT(proto_build_devices(B, "list", NULL), "DEVICES|list\n");
	BUILT(proto_build_devices(B, "remove", fp), "DEVICES|remove|" FP "\n");
	BUILT(proto_build_devices_count(B, 3), "DEVICES|3\n");
	BUILT(proto_build_device(B, fp, 42), "DEVICE|" FP "|42\n");
	assert_int_equal(proto_alive_signed(B, "alice", 7, 1700000000), 0);
	assert_int_equal(n, strlen("ALIVE|alice|7|1700000000"));
	assert_memory_equal(buf, "ALIVE|alice|7|1700000000", n);
	assert_int_equal(proto_build_signed(B, fp), 0);
	check_built(__LINE__, 0, buf, n, "ALIVE|alice|7|1700000000|" FP "\n");
	/* What the mac covers is what was signed, read back from the wire. */
	assert_int_equal(proto_frame_parse(buf, n, &fr, &err), PROTO_FRAME);
	assert_int_equal(proto_frame_signed(&fr).len, 24);
	assert_memory_equal(proto_frame_signed(&fr).p, buf, 24);
	assert_int_equal(proto_slice_hex32(fr.arg[3], back), 0);
	assert_memory_equal(back, fp, sizeof fp);
	assert_int_equal(proto_alive_reply_signed(B, 3, 7), 0);
	assert_memory_equal(buf, "ALIVE|3|7", n);
	assert_int_equal(proto_build_signed(B, fp), 0);
	check_built(__LINE__, 0, buf, n, "ALIVE|3|7|" FP "\n");
	assert_int_equal(
	    proto_slice_hex32((struct proto_slice){FP, 63}, back), -1);
	assert_int_equal(proto_alive_signed(buf, 10, &n, "alice", 7, 1), -1);
}

static void
proto_build__refuses__what_would_break_a_frame(void **state)
{
	char buf[256], big[PROTO_MAX_WORD + 2], want[PROTO_MAX_WORD + 8];
	struct proto_frame pong = ping_of("PONG|42\n");
	size_t n;

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	BUILT(proto_build_bare(B, PROTO_V_MSG), NULL);
	BUILT(proto_build_bare(B, PROTO_V_NONE), NULL);
	BUILT(proto_build_bare(B, PROTO_V_COUNT), NULL);
	BUILT(proto_build_bye(B, ""), NULL);
	BUILT(proto_build_bye(B, "a|b"), NULL);
	BUILT(proto_build_bye(B, "good bye"), NULL);
	BUILT(proto_build_bye(B, big), NULL);
	snprintf(want, sizeof want, "BYE|%s\n", big + 1);
	BUILT(proto_build_bye(B, big + 1), want);
	BUILT(proto_build_bye_addr(B, "replaced", "a|b"), NULL);
	BUILT(proto_build_bye_addr(B, "", "1.2.3.4:5"), NULL);
	BUILT(proto_build_pong(B, &pong), NULL);
	BUILT(proto_build_alive(B, "al|ce", "tok"), NULL);
	BUILT(proto_build_typing(B, "bob", "al ice", true), NULL);
	BUILT(proto_build_lookup(B, "bob\n"), NULL);
	BUILT(proto_build_phello(B, "alice", "bob", "t|k"), NULL);
	BUILT(proto_build_verify(B, "alice", "t\x01k"), NULL);
	BUILT(proto_build_pwelcome(B, "bob", "\x80"), NULL);
	BUILT(proto_build_err(B, PROTO_ERR_NONE, NULL, 0, "x"), NULL);
	BUILT(proto_build_err(B, PROTO_ERR_UNKNOWN, NULL, 0, "x"), NULL);
	BUILT(proto_build_err(B, PROTO_ERR_COUNT, NULL, 0, "x"), NULL);
	BUILT(proto_build_lookup(buf, 10, &n, "bob"), NULL);
	BUILT(proto_build_lookup(buf, 11, &n, "bob"), "LOOKUP|bob\n");
}

/* A padded DISCOVER is exactly the size asked, LF included, and parses. */
static void
proto_build__pads__discover_to_the_size_asked(void **state)
{
	char buf[PROTO_MAX_DATAGRAM + 64];
	struct proto_frame fr;
	struct proto_error err;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(proto_build_discover(B, PROTO_DISCOVER_SIZE), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(buf, "DISCOVER|1|---", 14);
	for (i = 11; i < n - 1; i++)
		assert_int_equal(buf[i], '-');
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(proto_frame_parse(buf, n, &fr, &err), PROTO_FRAME);
	assert_int_equal(fr.verb, PROTO_V_DISCOVER);
	assert_int_equal(fr.nargs, 2);
	assert_int_equal(fr.arg[1].len, 256 - 12);
	/* The shortest: one '-'. Shorter, or more than a relay reads, or
	 * more than the buffer holds: refused. */
	BUILT(proto_build_discover(B, 13), "DISCOVER|1|-\n");
	BUILT(proto_build_discover(B, 12), NULL);
	BUILT(proto_build_discover(B, 0), NULL);
	BUILT(proto_build_discover(B, PROTO_MAX_DATAGRAM + 20), NULL);
	BUILT(proto_build_discover(buf, 100, &n, 256), NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(proto_build__round_trips__every_verb),
	    cmocka_unit_test(proto_build__encodes__text_as_base64),
	    cmocka_unit_test(proto_build__refuses__fields_that_break_framing),
	    cmocka_unit_test(proto_build__refuses__frame_that_does_not_fit),
	    cmocka_unit_test(proto_build__writes__err_with_reason),
	    cmocka_unit_test(proto_err__maps__names_both_ways),
	    cmocka_unit_test(proto_build__writes__every_frame_builder),
	    cmocka_unit_test(proto_build__writes__the_tls_extensions),
	    cmocka_unit_test(proto_build__refuses__what_would_break_a_frame),
	    cmocka_unit_test(proto_build__pads__discover_to_the_size_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
