/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/frame.h"

#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* A frame of every verb and the reference a refusal of it would name. */
struct ref_case {
	const char *line;
	const char *ref;
	unsigned cost;
};

static const struct ref_case refs[] = {
    {"LOGIN|1|alice|c2VjcmV0|0", "-", 10},
    {"WELCOME|alice|tok123|65536|1700000000000", "-", 1},
    {"ERR|NAME_IN_USE|m1|aW4gdXNl", "-", 1},
    {"USER|bob|online|0", "-", 1},
    {"SYNCED", "-", 1},
    {"PING|42", "-", 1},
    {"PONG|42", "-", 1},
    {"BYE|replaced", "-", 1},
    {"BYE|replaced|127.0.0.1:40312", "-", 1},
    {"RESUME|1|alice|tok123|7001", "-", 10},
    {"MSG|alice|bob|1700000000000|m-1|5L2g5aW9", "m-1", 1},
    {"RCPT|bob|alice|m-2|read", "m-2", 1},
    {"TYPING|bob|alice|on", "-", 1},
    {"ACK|m-3|stored", "m-3", 1},
    {"FOFFER|a|b|x1|4|" HASH "|dGVzdC50eHQ=", "x1", 1},
    {"FACCEPT|b|a|x2|0", "x2", 1},
    {"FREJECT|b|a|x3|bm8=", "x3", 1},
    {"FDATA|a|b|x4|0|0", "x4", 0},
    {"FACK|b|a|x5|4", "x5", 0},
    {"FDONE|a|b|x6", "x6", 1},
    {"FCANCEL|a|b|x7|", "x7", 1},
    {"LOOKUP|bob", "-", 1},
    {"PEER|bob|[::1]|7002|tk1", "-", 1},
    {"PHELLO|alice|bob|tk1", "-", 1},
    {"VERIFY|alice|tk1", "-", 1},
    {"VERIFIED|alice|tk1|yes", "-", 1},
    {"PWELCOME|bob|alice", "-", 1},
    {"ALIVE|alice|tok123", "-", 1},
    {"ALIVE|alice|1|1700000000|" HASH, "-", 1},
    {"ALIVE|3|1|" HASH, "-", 1},
    {"PEER|bob|[::1]|7002|tk1|" HASH, "-", 1},
    {"VERIFIED|alice|tk1|yes|" HASH, "-", 1},
    {"RELAY|b2ZmaWNl|7733|" HASH, "-", 1},
    {"STATS", "-", 10},
    {"DISCOVER|1", "-", 1},
    {"DISCOVER|1|----", "-", 1},
    {"RELAY|b2ZmaWNl|7733", "-", 1},
    {"DEVICES|list", "-", 1},
    {"DEVICES|remove|" HASH, "-", 1},
    {"DEVICE|" HASH "|5", "-", 1},
    {"ACTIVE|@k3f9|5|6|online|0", "-", 1},
    {"DEVCOUNT|2", "-", 1},
    {"RCREATE|#team|open", "#team", 1},
    {"RJOIN|#team", "#team", 1},
    {"RLEAVE|#team", "#team", 1},
    {"RINVITE|#team|bob", "#team", 1},
    {"RKICK|#team|bob|", "#team", 1},
    {"RBAN|#team|bob|on", "#team", 1},
    {"RADMIN|#team|bob|on", "#team", 1},
    {"RTOPIC|#team|aGk=", "#team", 1},
    {"RINFO|#team|open|2|member|9|", "#team", 1},
    {"RMEMBERS|#team", "#team", 10},
    {"RMEMBER|#team|bob|owner|online|9|9", "#team", 1},
    {"RLIST", "-", 10},
    {"REVENT|#team|9|17|alice|create|-|", "#team", 1},
    {"RPOS|#team|9|9", "#team", 1},
    {"RRCPT|#team|9", "#team", 1},
    {"RWHO|#team|9|bob|none", "#team", 1},
    {"RSTATE|#team|9|2|1|0", "#team", 1},
    {"MSG|alice|#team|1|m1|aGk=|9", "m1", 1},
    {"ERR|NO_SUCH_ROOM|#team|bm8=", "-", 1},
};

/* Decode one line into buf (FDATA needs the stream decoder). */
static void
decode(const char *line, char *buf, struct proto_frame *fr)
{
	struct proto_decoder d;
	struct proto_error err;
	size_t n = strlen(line), used;

	memcpy(buf, line, n);
	buf[n++] = '\n';
	proto_decoder_init(&d, PROTO_MAX_FRAME);
	if (proto_decoder_next(&d, buf, n, fr, &err, &used) != PROTO_FRAME)
		fail_msg("%s: refused: %s", line, err.text);
}

static void
proto_frame__gives_ref__of_every_verb(void **state)
{
	char buf[256];
	struct proto_frame fr;
	struct proto_slice ref;
	bool seen[PROTO_V_COUNT] = {false};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		decode(refs[i].line, buf, &fr);
		ref = proto_frame_ref(&fr);
		if (!proto_slice_eq(ref, refs[i].ref))
			fail_msg("%s: ref '%.*s', expected '%s'", refs[i].line,
			    (int)ref.len, ref.p, refs[i].ref);
		if (proto_verb_cost(fr.verb) != refs[i].cost)
			fail_msg("%s: cost %u, expected %u", refs[i].line,
			    proto_verb_cost(fr.verb), refs[i].cost);
		seen[fr.verb] = true;
	}
	for (i = 1; i < PROTO_V_COUNT; i++) {
		if (!seen[i])
			fail_msg("verb %s has no ref case",
			    proto_verb_name((enum proto_verb)i));
	}
}

static void
proto_verb_cost__is_one__outside_the_table(void **state)
{
	struct proto_frame fr = {.verb = PROTO_V_NONE};

	(void)state;
	assert_int_equal(proto_verb_cost(PROTO_V_NONE), 1);
	assert_int_equal(proto_verb_cost(PROTO_V_COUNT), 1);
	assert_true(proto_slice_eq(proto_frame_ref(&fr), "-"));
	assert_int_equal(proto_frame_err_code(&fr), PROTO_ERR_NONE);
}

/* The code of a received ERR, one line per case. */
struct code_case {
	const char *line;
	enum proto_err code;
};

static const struct code_case codes[] = {
    {"ERR|BAD_FRAME|-|", PROTO_ERR_BAD_FRAME},
    {"ERR|BAD_VERB", PROTO_ERR_BAD_VERB},
    {"ERR|NAME_IN_USE|-", PROTO_ERR_NAME_IN_USE},
    {"ERR|AUTH_FAILED|-|eA==", PROTO_ERR_AUTH_FAILED},
    {"ERR|OFFLINE|x1|", PROTO_ERR_OFFLINE},
    {"ERR|RATE_LIMIT|m1|", PROTO_ERR_RATE_LIMIT},
    {"ERR|QUOTA|x1|", PROTO_ERR_QUOTA},
    {"ERR|INTERNAL|-|dGhlIHJlbGF5IGlzIGZ1bGw=", PROTO_ERR_INTERNAL},
    {"ERR|NO_SUCH_THING|-|", PROTO_ERR_UNKNOWN},
    {"ERR|NONE|-|", PROTO_ERR_UNKNOWN},
    {"ERR|UNKNOWN|-|", PROTO_ERR_UNKNOWN},
    {"ERR|BAD_FRAMEX|-|", PROTO_ERR_UNKNOWN},
    {"ERR|BAD_FRAM|-|", PROTO_ERR_UNKNOWN},
    {"PING|42", PROTO_ERR_NONE},
    {"MSG|alice|bob|1|m-1|", PROTO_ERR_NONE},
};

static void
proto_frame_err_code__maps__received_codes(void **state)
{
	char buf[256];
	struct proto_frame fr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		decode(codes[i].line, buf, &fr);
		if (proto_frame_err_code(&fr) != codes[i].code)
			fail_msg("%s: code %s, expected %s", codes[i].line,
			    proto_err_name(proto_frame_err_code(&fr)),
			    proto_err_name(codes[i].code));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(proto_frame__gives_ref__of_every_verb),
	    cmocka_unit_test(proto_verb_cost__is_one__outside_the_table),
	    cmocka_unit_test(proto_frame_err_code__maps__received_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
