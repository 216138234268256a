/* SPDX-License-Identifier: MIT */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ui/text.h"

#define S(x) x, sizeof(x) - 1

static int
setup(void **state)
{
	(void)state;
	return setlocale(LC_CTYPE, "C.UTF-8") == NULL ? -1 : 0;
}

static void
ui_text__measures__cjk_emoji_and_combining(void **state)
{
	(void)state;
	assert_int_equal(ui_text_width(S("abc")), 3);
	assert_int_equal(ui_text_width(S("你好")), 4);
	assert_int_equal(ui_text_width(S("😀")), 2);
	assert_int_equal(ui_text_width(S("e\xcc\x81")), 1); /* é */
	assert_int_equal(ui_text_width(S("日本語 ok")), 9);
}

static void
ui_text__steps__whole_characters(void **state)
{
	const char s[] = "ae\xcc\x81你"; /* a, e + combining acute, 你 */
	int w;

	(void)state;
	assert_int_equal(ui_text_next(S(s), 0, &w), 1);
	assert_int_equal(w, 1);
	assert_int_equal(ui_text_next(S(s), 1, &w), 4); /* e + mark */
	assert_int_equal(w, 1);
	assert_int_equal(ui_text_next(S(s), 4, &w), 7);
	assert_int_equal(w, 2);
	assert_int_equal(ui_text_prev(s, 7), 4);
	assert_int_equal(ui_text_prev(s, 4), 1);
	assert_int_equal(ui_text_prev(s, 1), 0);
}

static void
ui_text__fits__never_half_a_wide_character(void **state)
{
	int used;

	(void)state;
	/* Five columns hold two CJK characters, not two and a half. */
	assert_int_equal(ui_text_fit(S("你好世界"), 5, &used), 6);
	assert_int_equal(used, 4);
	assert_int_equal(ui_text_fit(S("ab😀c"), 3, &used), 2);
	assert_int_equal(used, 2);
}

static void
ui_wrap__breaks__at_spaces_then_by_width(void **state)
{
	struct ui_span sp[16];
	const char text[] = "the quick brown fox";
	size_t n;

	(void)state;
	n = ui_wrap(S(text), 10, sp, 16);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].len, 9); /* "the quick" */
	assert_memory_equal(text + sp[1].off, "brown fox", 9);
	/* No space: a hard break between characters. */
	n = ui_wrap(S("abcdefghij"), 4, sp, 16);
	assert_int_equal(n, 3);
	assert_int_equal(sp[2].len, 2);
	/* Newlines always break. */
	n = ui_wrap(S("a\nb\n\nc"), 40, sp, 16);
	assert_int_equal(n, 4);
	assert_int_equal(sp[2].len, 0);
}

static void
ui_wrap__keeps__wide_characters_whole_at_edges(void **state)
{
	struct ui_span sp[16];
	const char text[] = "你好世界和平"; /* 12 columns */
	size_t n, i;

	(void)state;
	n = ui_wrap(S(text), 5, sp, 16);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_true(sp[i].cols <= 5);
		assert_int_equal(sp[i].len % 3, 0); /* whole characters */
	}
	/* Combining marks stay with their letter. */
	n = ui_wrap(S("e\xcc\x81"
	              "e\xcc\x81"
	              "e\xcc\x81"),
	    2, sp, 16);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].len, 6);
}

/*
 * What a peer may send to drive the terminal: each is one character,
 * measured as the escape the pane draws, never a mark joined to the
 * character before it.
 */
static const struct {
	const char *in;
	const char *esc;
} shown[] = {
    {"\x1b", "\\x1b"}, /* ESC: ESC[2J, OSC 52 */
    {"\x07", "\\x07"}, /* BEL */
    {"\t", "\\t"}, /* TAB */
    {"\x7f", "\\x7f"}, /* DEL */
    {"\xc2\x9b", "\\u009b"}, /* C1 CSI */
    {"\xc2\x85", "\\u0085"}, /* C1 NEL */
    {"\xe2\x80\xae", "\\u202e"}, /* RIGHT-TO-LEFT OVERRIDE */
    {"\xe2\x81\xa6", "\\u2066"}, /* LEFT-TO-RIGHT ISOLATE */
    {"\xe2\x80\x8f", "\\u200f"}, /* RIGHT-TO-LEFT MARK */
    {"\xd8\x9c", "\\u061c"}, /* ARABIC LETTER MARK */
    {"\xff", "\\xff"}, /* not UTF-8 */
};

static void
ui_text__escapes__controls_c1_and_bidi(void **state)
{
	char buf[32], esc[UI_TEXT_ESC];
	size_t i, n, end;
	int w;

	(void)state;
	for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
		n = (size_t)snprintf(buf, sizeof buf, "a%sb", shown[i].in);
		assert_true(ui_text_is_escaped(buf, n, 1, esc, &end));
		assert_string_equal(esc, shown[i].esc);
		assert_int_equal(end, n - 1);
		/* a, the escape, b: three characters, the escape's width. */
		assert_int_equal(ui_text_next(buf, n, 0, &w), 1);
		assert_int_equal(w, 1);
		assert_int_equal(ui_text_next(buf, n, 1, &w), n - 1);
		assert_int_equal(w, (int)strlen(shown[i].esc));
		assert_int_equal(ui_text_prev(buf, n - 1), 1);
		assert_int_equal(ui_text_prev(buf, 1), 0);
		assert_int_equal(
		    ui_text_width(buf, n), 2 + (int)strlen(shown[i].esc));
	}
	assert_false(ui_text_is_escaped(S("\xc3\xa9"), 0, esc, &end));
	assert_false(ui_text_is_escaped(S("\n"), 0, esc, &end));
}

/* A wrapped line is as wide as what is drawn, escapes included. */
static void
ui_wrap__counts__escapes_at_their_width(void **state)
{
	struct ui_span sp[16];
	const char text[] = "ab\xe2\x80\xae\xe2\x80\xae"
	                    "cd"; /* 2+6+6+2 */
	size_t n;

	(void)state;
	n = ui_wrap(S(text), 10, sp, 16);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].len, 5); /* ab and one \u202e */
	assert_int_equal(sp[0].cols, 8);
	assert_int_equal(sp[1].cols, 8);
	/* Two bytes that are not UTF-8 step one by one, either way. */
	assert_int_equal(ui_text_prev(S("a\xe2\x80")), 2);
	assert_int_equal(ui_text_width(S("a\xe2\x80")), 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_text__measures__cjk_emoji_and_combining),
	    cmocka_unit_test(ui_text__steps__whole_characters),
	    cmocka_unit_test(ui_text__fits__never_half_a_wide_character),
	    cmocka_unit_test(ui_wrap__breaks__at_spaces_then_by_width),
	    cmocka_unit_test(ui_wrap__keeps__wide_characters_whole_at_edges),
	    cmocka_unit_test(ui_text__escapes__controls_c1_and_bidi),
	    cmocka_unit_test(ui_wrap__counts__escapes_at_their_width),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
