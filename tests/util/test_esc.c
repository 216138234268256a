/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/esc.h"

#define T UTIL_ESC_TERM
#define L UTIL_ESC_LINE
#define TL (UTIL_ESC_TERM | UTIL_ESC_LINE)

/* One row: what a peer sent, the flags, what is shown. */
struct esc_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	unsigned flags;
	const char *out;
};

static const struct esc_case esc_cases[] = {
    {"plain text", 0, TL, "plain text"},
    {"caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80", 0, TL,
        "caf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80"},
    {"\x1b[2Jwiped", 0, TL, "\\x1b[2Jwiped"},
    {"\x1b]52;c;cHduZWQ=\x07", 0, TL, "\\x1b]52;c;cHduZWQ=\\x07"},
    {"ding\x07", 0, TL, "ding\\x07"},
    {"del\x7f", 0, TL, "del\\x7f"},
    {"a\nb", 0, TL, "a\\nb"},
    {"a\nb", 0, T, "a\nb"},
    {"a\tb\rc", 0, T, "a\\tb\\rc"},
    {"a\\b", 0, TL, "a\\\\b"},
    {"a\\b", 0, T, "a\\b"},
    {"nul\0x", 5, TL, "nul\\0x"},
    {"csi \xc2\x9b"
     "2J",
        0, TL, "csi \\u009b2J"},
    {"nel \xc2\x85", 0, TL, "nel \\u0085"},
    {"c1 ends \xc2\x9f, nbsp \xc2\xa0", 0, TL,
        "c1 ends \\u009f, nbsp \xc2\xa0"},
    {"invoice\xe2\x80\xaetxt.exe", 0, TL, "invoice\\u202etxt.exe"},
    {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0, T,
        "\\u202a\\u202b\\u202c\\u202d"},
    {"\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0, T,
        "\\u2066\\u2067\\u2068\\u2069"},
    {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0, T, "\\u200e\\u200f\\u061c"},
    {"zwj \xe2\x80\x8d kept", 0, TL, "zwj \xe2\x80\x8d kept"},
    {"bad \xff\xfe", 0, TL, "bad \\xff\\xfe"},
    {"overlong \xc0\xaf", 0, TL, "overlong \\xc0\\xaf"},
    {"surrogate \xed\xa0\x80", 0, TL, "surrogate \\xed\\xa0\\x80"},
    {"too big \xf4\x90\x80\x80", 0, TL, "too big \\xf4\\x90\\x80\\x80"},
    {"cut \xe2\x80", 0, TL, "cut \\xe2\\x80"},
    {"raw \x1b[2J\xe2\x80\xae\xc2\x9b\xff\n\\", 0, L,
        "raw \x1b[2J\xe2\x80\xae\xc2\x9b\xff\\n\\\\"},
};

/* Every row, through util_esc_dup and util_esc_write. */
static void
util_esc__shows__table(void **state)
{
	const struct esc_case *c;
	char *got, *buf;
	size_t i, len, blen;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof esc_cases / sizeof esc_cases[0]; i++) {
		c = &esc_cases[i];
		len = c->len != 0 ? c->len : strlen(c->in);
		got = util_esc_dup(c->in, len, c->flags);
		if (strcmp(got, c->out) != 0)
			fail_msg(
			    "row %zu: \"%s\" shown as \"%s\"", i, c->out, got);
		free(got);
		buf = NULL;
		f = open_memstream(&buf, &blen);
		assert_non_null(f);
		util_esc_write(f, c->in, len, c->flags);
		fclose(f);
		assert_string_equal(buf, c->out);
		free(buf);
	}
}

/* The step the UI measures widths by: one code point, its escape. */
static void
util_esc__next__steps_by_code_point(void **state)
{
	const char *s = "a\xe2\x80\xae\xc3\xa9\xff";
	char esc[UTIL_ESC_MAX];
	size_t len = strlen(s);

	(void)state;
	assert_int_equal(util_esc_next(s, len, 0, T, esc), 1);
	assert_string_equal(esc, "");
	assert_int_equal(util_esc_next(s, len, 1, T, esc), 4);
	assert_string_equal(esc, "\\u202e");
	assert_int_equal(util_esc_next(s, len, 4, T, esc), 6);
	assert_string_equal(esc, "");
	assert_int_equal(util_esc_next(s, len, 6, T, esc), 7);
	assert_string_equal(esc, "\\xff");
	assert_int_equal(util_esc_next(s, len, 7, T, esc), 7);
	assert_string_equal(esc, "");
}

/* Every byte value alone: no raw control ever comes out. */
static void
util_esc__hides__every_control_byte(void **state)
{
	char in[1], *got;
	size_t k;
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		in[0] = (char)b;
		got = util_esc_dup(in, 1, TL);
		for (k = 0; got[k] != '\0'; k++)
			assert_true((unsigned char)got[k] >= 0x20 &&
			    (unsigned char)got[k] < 0x7f);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(util_esc__shows__table),
	    cmocka_unit_test(util_esc__next__steps_by_code_point),
	    cmocka_unit_test(util_esc__hides__every_control_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
