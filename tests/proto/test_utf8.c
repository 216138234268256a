/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/utf8.h"

struct utf8_case {
	const char *s;
	size_t len;
	bool ok;
	const char *why;
};

#define C(s, ok, why)                                                          \
	{                                                                      \
		s, sizeof(s) - 1, ok, why                                      \
	}

static const struct utf8_case cases[] = {
    C("", true, "empty"),
    C("hello", true, "ASCII"),
    C("\xc3\xa9", true, "two bytes (e acute)"),
    C("\xe4\xbd\xa0\xe5\xa5\xbd", true, "CJK"),
    C("\xf0\x9f\x98\x80", true, "emoji, four bytes"),
    C("e\xcc\x81", true, "combining mark"),
    C("\xef\xbf\xbf", true, "U+FFFF"),
    C("\xf4\x8f\xbf\xbf", true, "U+10FFFF, the last code point"),
    C("\x00", true, "NUL is a code point"),
    C("\xc0\xaf", false, "overlong slash"),
    C("\xc1\xbf", false, "overlong two bytes"),
    C("\xe0\x80\xaf", false, "overlong three bytes"),
    C("\xf0\x80\x80\xaf", false, "overlong four bytes"),
    C("\xed\xa0\x80", false, "high surrogate U+D800"),
    C("\xed\xbf\xbf", false, "low surrogate U+DFFF"),
    C("\xf4\x90\x80\x80", false, "past U+10FFFF"),
    C("\xf5\x80\x80\x80", false, "lead byte F5"),
    C("\xff", false, "byte FF"),
    C("\x80", false, "lone continuation"),
    C("\xc3", false, "truncated two bytes"),
    C("\xe4\xbd", false, "truncated three bytes"),
    C("\xf0\x9f\x98", false, "truncated four bytes"),
    C("ab\xe4\xbd", false, "truncated at the end"),
    C("\xe4\x41\xa0", false, "ASCII inside a sequence"),
};

static void
proto_utf8__classifies__table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (proto_utf8_is_valid(cases[i].s, cases[i].len) !=
		    cases[i].ok)
			fail_msg("case %zu (%s): expected %s", i, cases[i].why,
			    cases[i].ok ? "valid" : "invalid");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(proto_utf8__classifies__table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
