/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/frame.h"

/* What the callback saw, one word per call: "MSG:m1", "!BAD_FIELD:m1". */
struct seen {
	char log[1024];
	int calls;
	int stop_at; /* answer STOP on this call (1-based), 0: never */
};

static enum proto_feed
record(void *arg, const struct proto_frame *fr, const struct proto_error *err)
{
	struct seen *sn = arg;
	size_t at = strlen(sn->log);
	struct proto_slice ref;

	if (fr != NULL) {
		ref = proto_frame_ref(fr);
		snprintf(sn->log + at, sizeof sn->log - at, "%s:%.*s%s ",
		    proto_verb_name(fr->verb), (int)ref.len, ref.p,
		    fr->payload_len > 0 ? "+" : "");
	} else
		snprintf(sn->log + at, sizeof sn->log - at, "!%s:%.*s%s ",
		    proto_err_name(err->code), (int)err->ref.len, err->ref.p,
		    err->fatal ? ":fatal" : "");
	return ++sn->calls == sn->stop_at ? PROTO_FEED_STOP : PROTO_FEED_GO;
}

static const char stream[] = "PING|1\n"
                             "MSG|alice|bob|1|m1|aGk=\r\n"
                             "MSG|alice|b@b|1|m2|aGk=\n"
                             "FDATA|alice|bob|x1|0|5\nab\ncd"
                             "HELLO|x\n"
                             "ACK|m3|stored\n";

static const char stream_log[] = "PING:- MSG:m1 !BAD_FIELD:m2 FDATA:x1+ "
                                 "!BAD_VERB:- ACK:m3 ";

/*
 * Feed a stream to the decoder as a connection would: chunk bytes arrive
 * at a time, what the feed is done with is consumed, the rest waits.
 */
static size_t
feed_in_chunks(const char *in, size_t len, size_t chunk, struct seen *sn)
{
	char buf[512];
	struct proto_decoder d;
	size_t have = 0, off = 0, done, total = 0, k;

	proto_decoder_init(&d, 64);
	while (off < len) {
		k = len - off < chunk ? len - off : chunk;
		memcpy(buf + have, in + off, k);
		have += k;
		off += k;
		done = proto_decoder_feed(&d, buf, have, record, sn);
		assert_true(done <= have);
		memmove(buf, buf + done, have - done);
		have -= done;
		total += done;
	}
	return total;
}

static void
proto_decoder_feed__hands_over__several_frames_in_one_buffer(void **state)
{
	struct seen sn = {{0}};
	struct proto_decoder d;

	(void)state;
	proto_decoder_init(&d, 64);
	assert_int_equal(
	    proto_decoder_feed(&d, stream, sizeof stream - 1, record, &sn),
	    sizeof stream - 1);
	assert_string_equal(sn.log, stream_log);
}

static void
proto_decoder_feed__gives_same__whatever_the_split(void **state)
{
	size_t chunk;

	(void)state;
	for (chunk = 1; chunk <= sizeof stream; chunk++) {
		struct seen sn = {{0}};

		assert_int_equal(
		    feed_in_chunks(stream, sizeof stream - 1, chunk, &sn),
		    sizeof stream - 1);
		if (strcmp(sn.log, stream_log) != 0)
			fail_msg("chunk %zu: %s", chunk, sn.log);
	}
}

static void
proto_decoder_feed__keeps__an_unfinished_frame(void **state)
{
	static const char in[] = "PING|1\nPING|2\nPIN";
	static const char fd[] = "FDATA|a|b|x1|0|4\nab";
	struct seen sn = {{0}};
	struct proto_decoder d;

	(void)state;
	proto_decoder_init(&d, 64);
	assert_int_equal(
	    proto_decoder_feed(&d, in, sizeof in - 1, record, &sn), 14);
	assert_string_equal(sn.log, "PING:- PING:- ");
	assert_int_equal(
	    proto_decoder_feed(&d, in + 14, sizeof in - 15, record, &sn), 0);
	assert_int_equal(
	    proto_decoder_feed(&d, fd, sizeof fd - 1, record, &sn), 0);
	assert_int_equal(proto_decoder_feed(&d, "", 0, record, &sn), 0);
	assert_int_equal(sn.calls, 2);
}

static void
proto_decoder_feed__stops__when_told_to(void **state)
{
	struct seen sn = {.stop_at = 2};
	struct proto_decoder d;
	size_t first, rest;

	(void)state;
	proto_decoder_init(&d, 64);
	first = proto_decoder_feed(&d, stream, sizeof stream - 1, record, &sn);
	/* The frame the callback stopped at is done with. */
	assert_int_equal(first, strlen("PING|1\nMSG|alice|bob|1|m1|aGk=\r\n"));
	assert_string_equal(sn.log, "PING:- MSG:m1 ");

	sn.stop_at = 3; /* a refused frame may stop the feed as well */
	rest = proto_decoder_feed(
	    &d, stream + first, sizeof stream - 1 - first, record, &sn);
	assert_int_equal(rest, strlen("MSG|alice|b@b|1|m2|aGk=\n"));
	sn.stop_at = 0;
	first += rest;
	rest = proto_decoder_feed(
	    &d, stream + first, sizeof stream - 1 - first, record, &sn);
	assert_int_equal(first + rest, sizeof stream - 1);
	assert_string_equal(sn.log, stream_log);
}

static void
proto_decoder_feed__ends__at_a_fatal_error(void **state)
{
	char in[256];
	struct seen sn = {{0}};
	struct proto_decoder d;
	int n;

	(void)state;
	/* A header over max-frame: the bytes before it are done with, the
	 * rest is not, and nothing after it is handed over. */
	n = snprintf(in, sizeof in, "PING|1\nPING|%070d\nPING|2\n", 0);
	proto_decoder_init(&d, 64);
	assert_int_equal(proto_decoder_feed(&d, in, (size_t)n, record, &sn), 7);
	assert_string_equal(sn.log, "PING:- !TOO_LONG:-:fatal ");

	/* An FDATA whose length cannot be trusted. */
	memset(&sn, 0, sizeof sn);
	proto_decoder_init(&d, 64);
	n = snprintf(in, sizeof in, "FDATA|a|b|x1|0|99999999\nPING|2\n");
	assert_int_equal(proto_decoder_feed(&d, in, (size_t)n, record, &sn), 0);
	assert_string_equal(sn.log, "!TOO_LONG:-:fatal ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        proto_decoder_feed__hands_over__several_frames_in_one_buffer),
	    cmocka_unit_test(
	        proto_decoder_feed__gives_same__whatever_the_split),
	    cmocka_unit_test(proto_decoder_feed__keeps__an_unfinished_frame),
	    cmocka_unit_test(proto_decoder_feed__stops__when_told_to),
	    cmocka_unit_test(proto_decoder_feed__ends__at_a_fatal_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
