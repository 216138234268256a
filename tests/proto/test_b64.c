/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/b64.h"

struct b64_case {
	const char *plain;
	size_t len;
	const char *enc;
};

/* RFC 4648 section 10, plus text that must survive the wire. */
static const struct b64_case cases[] = {
    {"", 0, ""},
    {"f", 1, "Zg=="},
    {"fo", 2, "Zm8="},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg=="},
    {"fooba", 5, "Zm9vYmE="},
    {"foobar", 6, "Zm9vYmFy"},
    {"a|b", 3, "YXxi"},
    {"line1\nline2\r\n", 13, "bGluZTEKbGluZTINCg=="},
    {"\xe4\xbd\xa0\xe5\xa5\xbd", 6, "5L2g5aW9"},
    {"\xff\xfe\x00\x01", 4, "//4AAQ=="},
};

static void
proto_b64__encodes__rfc4648_vectors(void **state)
{
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = proto_b64_encode(cases[i].plain, cases[i].len, out);
		assert_int_equal(n, strlen(cases[i].enc));
		assert_memory_equal(out, cases[i].enc, n);
		assert_int_equal(n, PROTO_B64_ENCODED_LEN(cases[i].len));
	}
}

static void
proto_b64__decodes__rfc4648_vectors(void **state)
{
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(proto_b64_decode(cases[i].enc,
		                     strlen(cases[i].enc), out, sizeof out, &n),
		    0);
		assert_int_equal(n, cases[i].len);
		assert_memory_equal(out, cases[i].plain, n);
	}
}

/* libb64 breaks lines every 72 characters; the wire form has none. */
static void
proto_b64__has_no_line_breaks__long_input(void **state)
{
	static char in[5000], out[PROTO_B64_ENCODED_LEN(5000)];
	static char back[5000];
	size_t n, k, len;

	(void)state;
	for (k = 0; k < sizeof in; k++)
		in[k] = (char)(k * 131 + 7);
	for (len = 0; len <= sizeof in; len += (len < 200 ? 1 : 397)) {
		n = proto_b64_encode(in, len, out);
		assert_int_equal(n, PROTO_B64_ENCODED_LEN(len));
		assert_null(memchr(out, '\n', n));
		assert_int_equal(proto_b64_check(out, n, NULL), 0);
		assert_int_equal(
		    proto_b64_decode(out, n, back, sizeof back, &k), 0);
		assert_int_equal(k, len);
		assert_memory_equal(back, in, len);
	}
}

/* Every non-canonical form is refused, never decoded to garbage. */
static void
proto_b64__rejects__non_canonical(void **state)
{
	static const char *const bad[] = {
	    "Zg=", /* length not a multiple of 4 */
	    "Zg",
	    "Z",
	    "Zm9vY",
	    "Zg===",
	    "====", /* padding only */
	    "Z===",
	    "Zm=v", /* padding in the middle */
	    "Zg==Zg==", /* padding then more */
	    "Zh==", /* non-zero bits under padding */
	    "Zm9=",
	    "Zm-v", /* URL-safe alphabet */
	    "Zm_v",
	    "Zm9v\n", /* line break (libb64's) */
	    "Zm9v\nYmFy",
	    "Zm 9", /* space */
	    "Zm9\xc3", /* non-ASCII */
	    "Zm9|",
	};
	char out[64];
	size_t i, n = 12345;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(
		    proto_b64_check(bad[i], strlen(bad[i]), NULL), -1);
		assert_int_equal(proto_b64_decode(bad[i], strlen(bad[i]), out,
		                     sizeof out, &n),
		    -1);
		assert_int_equal(n, 12345);
	}
}

static void
proto_b64__rejects__output_too_small(void **state)
{
	char out[2];
	size_t n = 7;

	(void)state;
	assert_int_equal(proto_b64_decode("Zm9v", 4, out, sizeof out, &n), -1);
	assert_int_equal(n, 7);
}

/* The ASCII flag matches the decoded bytes, for every length and place
 * of a high byte. */
static void
proto_b64__tells_ascii__without_decoding(void **state)
{
	char in[16], enc[32];
	size_t len, pos, n;
	bool ascii;

	(void)state;
	for (len = 0; len <= 9; len++) {
		memset(in, 'a', sizeof in);
		n = proto_b64_encode(in, len, enc);
		assert_int_equal(
		    proto_b64_check_ascii(enc, n, NULL, &ascii), 0);
		assert_true(ascii);
		for (pos = 0; pos < len; pos++) {
			in[pos] = (char)0x80;
			n = proto_b64_encode(in, len, enc);
			assert_int_equal(
			    proto_b64_check_ascii(enc, n, NULL, &ascii), 0);
			assert_false(ascii);
			in[pos] = 0x7f;
			n = proto_b64_encode(in, len, enc);
			assert_int_equal(
			    proto_b64_check_ascii(enc, n, NULL, &ascii), 0);
			assert_true(ascii);
			in[pos] = 'a';
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(proto_b64__encodes__rfc4648_vectors),
	    cmocka_unit_test(proto_b64__decodes__rfc4648_vectors),
	    cmocka_unit_test(proto_b64__has_no_line_breaks__long_input),
	    cmocka_unit_test(proto_b64__rejects__non_canonical),
	    cmocka_unit_test(proto_b64__rejects__output_too_small),
	    cmocka_unit_test(proto_b64__tells_ascii__without_decoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
