/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/frame.h"

/* Decode one complete input; it must give exactly one outcome. */
static enum proto_status
decode_one(const char *in, size_t len, struct proto_frame *fr,
    struct proto_error *err, size_t *used)
{
	struct proto_decoder d;

	proto_decoder_init(&d, PROTO_MAX_FRAME);
	return proto_decoder_next(&d, in, len, fr, err, used);
}

struct bad_case {
	const char *line;
	enum proto_err code;
	bool fatal;
	const char *ref;
};

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define B(l, c, r)                                                             \
	{                                                                      \
		l "\n", PROTO_ERR_##c, false, r                                \
	}

/* One line per malformed-input class, each with its own error. */
static const struct bad_case bad[] = {
    B("", BAD_FRAME, "-"),
    B("HELLO|x", BAD_VERB, "-"),
    B("msg|a|b|1|id|", BAD_VERB, "-"),
    B("MSG A|b", BAD_VERB, "-"),
    B("\x01MSG", BAD_VERB, "-"),
    B("MSG|alice|bob|1|m1", BAD_FRAME, "m1"),
    B("MSG|alice|bob|1|m1|aGk=|extra", BAD_FIELD, "m1"),
    B("MSG|alice|bob|1|m1|aGk=|5|6", BAD_FRAME, "m1"),
    B("MSG|alice|#|1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|##team|1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|#alice|#team|1|m1|aGk=", BAD_FIELD, "m1"),
    B("RCPT|alice|#team|m1|read", BAD_FIELD, "m1"),
    B("RJOIN|team", BAD_FIELD, "-"),
    B("RJOIN|#", BAD_FIELD, "-"),
    B("RJOIN|#abcdefghijabcdefghijabcdefghijabc", BAD_FIELD, "-"),
    B("RJOIN|#te am", BAD_FIELD, "-"),
    B("RCREATE|#team|closed", BAD_FIELD, "#team"),
    B("RCREATE|#team", BAD_FRAME, "#team"),
    B("RKICK|#team|bob|not base64!", BAD_BASE64, "#team"),
    B("RBAN|#team|bob|maybe", BAD_FIELD, "#team"),
    B("RPOS|#team|01|2", BAD_FIELD, "#team"),
    B("RINFO|#team|open|1|boss|0|", BAD_FIELD, "#team"),
    B("REVENT|#team|5|6|alice|dance|-|", BAD_FIELD, "#team"),
    B("REVENT|#team|5|6|alice|join|#x|", BAD_FIELD, "#team"),
    B("LOOKUP|#team", BAD_FIELD, "-"),
    B("SYNCED|x", BAD_FRAME, "-"),
    B("MSG|a|b|c|d|e|f|g|h|i|j", BAD_FRAME, "-"),
    B("MSG||bob|1|m1|aGk=", BAD_FIELD, "m1"),
    /* Several devices: the LOGIN's sixth and seventh fields, devices. */
    B("LOGIN|1|alice||0|grab|k3f9", BAD_FIELD, "-"),
    B("LOGIN|1|alice||0|take|k3.f9", BAD_FIELD, "-"),
    B("LOGIN|1|alice||0|take|k3f9|x", BAD_FRAME, "-"),
    B("ACTIVE|@|1|2|online|0", BAD_FIELD, "-"),
    B("ACTIVE|@a.b|1|2|online|0", BAD_FIELD, "-"),
    B("ACTIVE|abc|1|2|online|0", BAD_FIELD, "-"),
    B("ACTIVE|--|1|2|online|0", BAD_FIELD, "-"),
    B("DEVCOUNT|x", BAD_FIELD, "-"),
    B("MSG|al ice|bob|1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|1|m 1|aGk=", BAD_FIELD, "-"),
    B("MSG|a@b|bob|1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|bob|1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|1|m.1|aGk=", BAD_FIELD, "-"),
    B("MSG|alice|bob|01|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|-1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|+1|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|18446744073709551616|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|123456789012345678901|m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob||m1|aGk=", BAD_FIELD, "m1"),
    B("MSG|alice|bob|1|m1|aGk", BAD_BASE64, "m1"),
    B("MSG|alice|bob|1|m1|aG-=", BAD_BASE64, "m1"),
    B("MSG|alice|bob|1|m1|aGl=", BAD_BASE64, "m1"),
    B("MSG|alice|bob|1|m1|wK8=", BAD_UTF8, "m1"),
    B("MSG|alice|bob|1|m1|7aCA", BAD_UTF8, "m1"),
    B("MSG|alice|bob|1|m1|5L0=", BAD_UTF8, "m1"),
    B("MSG|alice|bob|1|m1|aGk=\xc3\xa9", BAD_BASE64, "m1"),
    B("RCPT|alice|bob|m1|seen", BAD_FIELD, "m1"),
    B("USER|alice|away|0", BAD_FIELD, "-"),
    B("LOGIN|1|alice||70000", BAD_FIELD, "-"),
    B("LOGIN|1|alice|=|0", BAD_BASE64, "-"),
    B("FOFFER|a|b|x1|10|abc|bmFtZQ==", BAD_FIELD, "x1"),
    B("FOFFER|a|b|x1|10|"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg|"
      "bmFtZQ==",
        BAD_FIELD, "x1"),
    B("PEER|bob|10.0.0.300|7000|t1", BAD_FIELD, "-"),
    B("PEER|bob|::1|7000|t1", BAD_FIELD, "-"),
    B("PEER|bob|[::1]|7000|t1|abc", BAD_FIELD, "-"),
    B("VERIFIED|alice|t1|no|" HEX, BAD_FIELD, "-"),
    B("VERIFIED|alice|t1|yes|" HEX "0", BAD_FIELD, "-"),
    B("ALIVE|alice|01|1|" HEX, BAD_FIELD, "-"),
    B("ALIVE|alice|1|1|tok", BAD_FIELD, "-"),
    B("ALIVE|3|1|2|3|4", BAD_FRAME, "-"),
    B("RELAY|b2ZmaWNl|7733|xyz", BAD_FIELD, "-"),
    B("ERR|bad code|-|", BAD_FIELD, "-"),
    B("PING|", BAD_FIELD, "-"),
    B("TYPING|a|b|maybe", BAD_FIELD, "-"),
    B("ACK|m1|delivered", BAD_FIELD, "m1"),
    B("BYE|replaced|127.0.0.1", BAD_FIELD, "-"),
    B("BYE|replaced|127.0.0.1:", BAD_FIELD, "-"),
    B("BYE|replaced|127.0.0.1:65536", BAD_FIELD, "-"),
    B("BYE|replaced|::1:4000", BAD_FIELD, "-"),
    B("BYE|replaced|[::1]4000", BAD_FIELD, "-"),
    B("BYE|replaced|:4000", BAD_FIELD, "-"),
    B("BYE|replaced|host:4000", BAD_FIELD, "-"),
    B("BYE|replaced|1.2.3.4:5|x", BAD_FRAME, "-"),
    B("DISCOVER|1|", BAD_FIELD, "-"),
    B("DISCOVER|1|--x-", BAD_FIELD, "-"),
    B("DISCOVER|1|----|-", BAD_FRAME, "-"),
};

static void
proto_frame__rejects__each_malformed_class(void **state)
{
	struct proto_frame fr;
	struct proto_error err;
	size_t i, used;
	enum proto_status st;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		st = decode_one(
		    bad[i].line, strlen(bad[i].line), &fr, &err, &used);
		if (st != PROTO_ERROR)
			fail_msg("case %zu '%s': accepted", i, bad[i].line);
		if (err.code != bad[i].code)
			fail_msg("case %zu '%s': %s, expected %s (%s)", i,
			    bad[i].line, proto_err_name(err.code),
			    proto_err_name(bad[i].code), err.text);
		if (err.fatal != bad[i].fatal)
			fail_msg("case %zu: fatal %d", i, err.fatal);
		if (err.ref.len != strlen(bad[i].ref) ||
		    memcmp(err.ref.p, bad[i].ref, err.ref.len) != 0)
			fail_msg("case %zu: ref '%.*s', expected '%s'", i,
			    (int)err.ref.len, err.ref.p, bad[i].ref);
		/* A refused line is skipped whole: the stream goes on. */
		assert_int_equal(used, strlen(bad[i].line));
		assert_true(err.text[0] != '\0');
	}
}

static void
proto_frame__rejects__body_over_32k(void **state)
{
	static char line[PROTO_MAX_FRAME];
	static char ok[PROTO_MAX_FRAME];
	struct proto_frame fr;
	struct proto_error err;
	size_t n, used, body;

	(void)state;
	/* 32769 bytes of 'a' encode to 43692 characters "YWFh...YQ==". */
	for (body = PROTO_MAX_BODY; body <= PROTO_MAX_BODY + 1; body++) {
		n = (size_t)snprintf(line, sizeof line, "MSG|a|b|1|m1|");
		size_t k, groups = body / 3;
		for (k = 0; k < groups; k++) {
			memcpy(line + n, "YWFh", 4);
			n += 4;
		}
		if (body % 3 == 1) {
			memcpy(line + n, "YQ==", 4);
			n += 4;
		} else if (body % 3 == 2) {
			memcpy(line + n, "YWE=", 4);
			n += 4;
		}
		line[n++] = '\n';
		if (body == PROTO_MAX_BODY) {
			memcpy(ok, line, n);
			assert_int_equal(
			    decode_one(ok, n, &fr, &err, &used), PROTO_FRAME);
		} else {
			assert_int_equal(
			    decode_one(line, n, &fr, &err, &used), PROTO_ERROR);
			assert_int_equal(err.code, PROTO_ERR_TOO_LONG);
			assert_false(err.fatal);
			assert_int_equal(used, n);
		}
	}
}

static void
proto_frame__rejects__header_longer_than_max_frame(void **state)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	char buf[300];
	size_t used;

	(void)state;
	memset(buf, 'A', sizeof buf);
	proto_decoder_init(&d, 256);
	/* No LF within max-frame bytes: refused before the line ends. */
	assert_int_equal(proto_decoder_next(&d, buf, 255, &fr, &err, &used),
	    PROTO_NEED_MORE);
	assert_int_equal(
	    proto_decoder_next(&d, buf, 256, &fr, &err, &used), PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_TOO_LONG);
	assert_true(err.fatal);

	/* Exactly max-frame bytes with the LF is fine. */
	proto_decoder_init(&d, 256);
	memcpy(buf, "PING|", 5);
	buf[255] = '\n';
	assert_int_equal(
	    proto_decoder_next(&d, buf, 256, &fr, &err, &used), PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_BAD_FIELD); /* 250 chars > 128 */
	assert_false(err.fatal);
}

static void
proto_frame__rejects__fdata_without_trustworthy_length(void **state)
{
	struct proto_frame fr;
	struct proto_error err;
	size_t used;
	const char *big = "FDATA|a|b|x1|0|65537\n";
	const char *nan = "FDATA|a|b|x1|0|ten\n";
	const char *count = "FDATA|a|b|x1|5\n";

	(void)state;
	assert_int_equal(
	    decode_one(big, strlen(big), &fr, &err, &used), PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_TOO_LONG);
	assert_true(err.fatal);
	assert_int_equal(
	    decode_one(nan, strlen(nan), &fr, &err, &used), PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_BAD_FIELD);
	assert_true(err.fatal);
	assert_int_equal(
	    decode_one(count, strlen(count), &fr, &err, &used), PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_BAD_FRAME);
	assert_true(err.fatal);
}

/* A bad field in FDATA skips its payload too, and the stream goes on. */
static void
proto_frame__skips_payload__fdata_with_bad_field(void **state)
{
	const char in[] = "FDATA|a|b|x 1|0|3\n|\n|PING|t\n";
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t used;

	(void)state;
	proto_decoder_init(&d, PROTO_MAX_FRAME);
	assert_int_equal(
	    proto_decoder_next(&d, in, sizeof in - 1, &fr, &err, &used),
	    PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_BAD_FIELD);
	assert_false(err.fatal);
	assert_int_equal(used, 21);
	assert_int_equal(proto_decoder_next(&d, in + used, sizeof in - 1 - used,
	                     &fr, &err, &used),
	    PROTO_FRAME);
	assert_int_equal(fr.verb, PROTO_V_PING);
}

static void
proto_frame__accepts__crlf_and_gives_raw_bytes(void **state)
{
	const char in[] = "MSG|Alice|bob|1700000000000|m-1|aGk=\r\n";
	struct proto_frame fr;
	struct proto_error err;
	size_t used;

	(void)state;
	assert_int_equal(
	    decode_one(in, sizeof in - 1, &fr, &err, &used), PROTO_FRAME);
	assert_int_equal(fr.verb, PROTO_V_MSG);
	assert_int_equal(fr.nargs, 5);
	assert_true(proto_slice_eq(fr.arg[0], "Alice"));
	assert_true(proto_slice_eq(fr.arg[4], "aGk="));
	assert_int_equal(proto_slice_u64(fr.arg[2]), 1700000000000ULL);
	assert_ptr_equal(fr.raw, in);
	assert_int_equal(fr.rawlen, sizeof in - 1);
	assert_int_equal(used, sizeof in - 1);
}

static void
proto_frame__gives_payload__fdata_with_binary(void **state)
{
	const char in[] = "FDATA|a|b|x1|65536|4\n\n|\0\xff"
	                  "PING|x\n";
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t used;

	(void)state;
	proto_decoder_init(&d, PROTO_MAX_FRAME);
	/* Header complete, payload not: wait. */
	assert_int_equal(
	    proto_decoder_next(&d, in, 23, &fr, &err, &used), PROTO_NEED_MORE);
	assert_int_equal(
	    proto_decoder_next(&d, in, sizeof in - 1, &fr, &err, &used),
	    PROTO_FRAME);
	assert_int_equal(fr.verb, PROTO_V_FDATA);
	assert_int_equal(fr.payload_len, 4);
	assert_memory_equal(fr.payload, "\n|\0\xff", 4);
	assert_int_equal(used, 25);
	assert_int_equal(fr.rawlen, 25);
	assert_int_equal(fr.hdrlen, 21);
}

static void
proto_frame__accepts__alternate_shapes(void **state)
{
	static const char *const ok[] = {
	    "ERR|NOT_LOGGED_IN\n",
	    "ERR|OFFLINE|bob\n",
	    "ERR|FORBIDDEN|m1|\n",
	    "ALIVE|alice|tok-1\n",
	    "ALIVE|3\n",
	    "STATS\n",
	    "STATS|dXB0aW1lX3M9MQo=\n",
	    "PEER|bob|[::1]|7000|t1\n",
	    "PEER|bob|192.168.1.20|0|t1\n",
	    "PEER|bob|192.168.1.20|0|t1|" HEX "\n",
	    "VERIFIED|alice|t1|yes|" HEX "\n",
	    "ALIVE|alice|1|1700000000|" HEX "\n",
	    "ALIVE|0|12|" HEX "\n",
	    "RELAY|b2ZmaWNl|7733|" HEX "\n",
	    "BYE|replaced\n",
	    "BYE|replaced|127.0.0.1:40312\n",
	    "BYE|replaced|[::1]:40312\n",
	    "DISCOVER|1\n",
	    "DISCOVER|1|-\n",
	    "DISCOVER|1|--------------------------------------------------\n",
	    "LOGIN|1|alice||0\n",
	    "SYNCED\n",
	    "MSG|a|b|0|m1|\n",
	    "MSG|a|b|18446744073709551615|m1|8J+YgA==\n",
	};
	struct proto_frame fr;
	struct proto_error err;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (decode_one(ok[i], strlen(ok[i]), &fr, &err, &used) !=
		    PROTO_FRAME)
			fail_msg("'%s' refused: %s %s", ok[i],
			    proto_err_name(err.code), err.text);
	}
}

static void
proto_frame__parses__datagram_without_lf(void **state)
{
	struct proto_frame fr;
	struct proto_error err;

	(void)state;
	assert_int_equal(
	    proto_frame_parse("DISCOVER|1", 10, &fr, &err), PROTO_FRAME);
	assert_int_equal(fr.verb, PROTO_V_DISCOVER);
	assert_int_equal(
	    proto_frame_parse("ALIVE|bob|t\n", 12, &fr, &err), PROTO_FRAME);
	assert_int_equal(
	    proto_frame_parse("ALIVE|1\nALIVE|2", 15, &fr, &err), PROTO_ERROR);
	assert_int_equal(err.code, PROTO_ERR_BAD_FRAME);
}

/* A tiny deterministic generator, so failures reproduce. */
static uint64_t rng = 88172645463325252ULL;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

struct outcome {
	enum proto_status st;
	enum proto_verb verb;
	enum proto_err code;
	size_t off, len;
};

static size_t
decode_all(const char *stream, size_t total, bool pieces, struct outcome *out,
    size_t max)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t have = 0, start = 0, n = 0, used;
	enum proto_status st;

	proto_decoder_init(&d, 4096);
	while (start < total) {
		if (pieces) {
			size_t add =
			    next_rand() % 7 == 0 ? 1 : next_rand() % 300;
			have = have + add > total ? total : have + add;
		} else
			have = total;
		for (;;) {
			st = proto_decoder_next(
			    &d, stream + start, have - start, &fr, &err, &used);
			if (st == PROTO_NEED_MORE)
				break;
			assert_true(n < max);
			out[n].st = st;
			out[n].verb = st == PROTO_FRAME ? fr.verb : 0;
			out[n].code = st == PROTO_ERROR ? err.code : 0;
			out[n].off = start;
			out[n].len = used;
			n++;
			if (st == PROTO_ERROR && err.fatal)
				return n;
			start += used;
		}
		if (have == total && start < total)
			break;
	}
	return n;
}

static void
proto_frame__decodes_same__whole_or_in_pieces(void **state)
{
	static const char *const lines[] = {
	    "MSG|alice|bob|1|m1|aGVsbG8=\n",
	    "RCPT|bob|alice|m1|delivered\r\n",
	    "BOGUS|1\n",
	    "MSG|alice|bob|1|m1|not base64\n",
	    "USER|carol|online|1700000000000\n",
	    "\n",
	    "PING|abc\n",
	    "STATS\n",
	};
	static char stream[1 << 20];
	static struct outcome a[20000], b[20000];
	size_t total = 0, na, nb, i, k, plen;
	int round;

	(void)state;
	for (round = 0; round < 4000; round++) {
		if (next_rand() % 5 == 0) {
			plen = next_rand() % 200;
			total += (size_t)snprintf(stream + total, 64,
			    "FDATA|a|b|x|%d|%zu\n", round, plen);
			for (k = 0; k < plen; k++)
				stream[total++] = (char)next_rand();
		} else {
			i = next_rand() % (sizeof lines / sizeof lines[0]);
			memcpy(stream + total, lines[i], strlen(lines[i]));
			total += strlen(lines[i]);
		}
	}
	na = decode_all(stream, total, false, a, 20000);
	nb = decode_all(stream, total, true, b, 20000);
	assert_int_equal(na, 4000);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_int_equal(a[i].st, b[i].st);
		assert_int_equal(a[i].verb, b[i].verb);
		assert_int_equal(a[i].code, b[i].code);
		assert_int_equal(a[i].off, b[i].off);
		assert_int_equal(a[i].len, b[i].len);
	}
	/* One byte at a time gives the same too. */
	{
		struct proto_decoder d;
		struct proto_frame fr;
		struct proto_error err;
		size_t start = 0, have, used, j = 0;
		enum proto_status st;

		proto_decoder_init(&d, 4096);
		for (have = 1; have <= total; have++) {
			for (;;) {
				st = proto_decoder_next(&d, stream + start,
				    have - start, &fr, &err, &used);
				if (st == PROTO_NEED_MORE)
					break;
				assert_int_equal(st, a[j].st);
				assert_int_equal(start, a[j].off);
				j++;
				start += used;
				if (start == have)
					break;
			}
		}
		assert_int_equal(j, na);
	}
}

static void
proto_frame__compares_names__case_insensitively(void **state)
{
	struct proto_slice a = {"Randool", 7}, b = {"randOOL", 7};
	struct proto_slice c = {"randoo1", 7};

	(void)state;
	assert_true(proto_name_eq(a, b));
	assert_false(proto_name_eq(a, c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(proto_frame__rejects__each_malformed_class),
	    cmocka_unit_test(proto_frame__rejects__body_over_32k),
	    cmocka_unit_test(
	        proto_frame__rejects__header_longer_than_max_frame),
	    cmocka_unit_test(
	        proto_frame__rejects__fdata_without_trustworthy_length),
	    cmocka_unit_test(proto_frame__skips_payload__fdata_with_bad_field),
	    cmocka_unit_test(proto_frame__accepts__crlf_and_gives_raw_bytes),
	    cmocka_unit_test(proto_frame__gives_payload__fdata_with_binary),
	    cmocka_unit_test(proto_frame__accepts__alternate_shapes),
	    cmocka_unit_test(proto_frame__parses__datagram_without_lf),
	    cmocka_unit_test(proto_frame__decodes_same__whole_or_in_pieces),
	    cmocka_unit_test(proto_frame__compares_names__case_insensitively),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
