#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_text__measures__cjk_emoji_and_combining),
	    cmocka_unit_test(ui_text__steps__whole_characters),
	    cmocka_unit_test(ui_text__fits__never_half_a_wide_character),
	    cmocka_unit_test(ui_wrap__breaks__at_spaces_then_by_width),
	    cmocka_unit_test(ui_wrap__keeps__wide_characters_whole_at_edges),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
