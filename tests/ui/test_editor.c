/* SPDX-License-Identifier: MIT */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ui/editor.h"

static int
setup(void **state)
{
	(void)state;
	return setlocale(LC_CTYPE, "C.UTF-8") == NULL ? -1 : 0;
}

static void
expect_text(struct ui_editor *e, const char *s)
{
	assert_int_equal(e->len, strlen(s));
	assert_memory_equal(e->buf, s, e->len);
}

static void
ui_editor__moves__over_wide_and_combining(void **state)
{
	struct ui_editor e;

	(void)state;
	ui_editor_init(&e);
	ui_editor_insert(&e, "a你e\xcc\x81", 7);
	assert_int_equal(ui_editor_cursor_col(&e), 4);
	ui_editor_left(&e); /* before é */
	assert_int_equal(e.cur, 4);
	assert_int_equal(ui_editor_cursor_col(&e), 3);
	ui_editor_left(&e); /* before 你 */
	assert_int_equal(e.cur, 1);
	assert_int_equal(ui_editor_cursor_col(&e), 1);
	ui_editor_right(&e);
	assert_int_equal(e.cur, 4);
	ui_editor_home(&e);
	assert_int_equal(e.cur, 0);
	ui_editor_end(&e);
	assert_int_equal(e.cur, 7);
	ui_editor_fini(&e);
}

static void
ui_editor__deletes__whole_characters(void **state)
{
	struct ui_editor e;

	(void)state;
	ui_editor_init(&e);
	ui_editor_insert(&e, "x😀e\xcc\x81y", 9);
	ui_editor_left(&e);
	ui_editor_backspace(&e); /* é with its mark */
	expect_text(&e, "x😀y");
	ui_editor_home(&e);
	ui_editor_right(&e);
	ui_editor_delete(&e); /* the emoji */
	expect_text(&e, "xy");
	assert_int_equal(e.cur, 1);
	/* Insert in the middle. */
	ui_editor_insert(&e, "中", 3);
	expect_text(&e, "x中y");
	assert_int_equal(ui_editor_cursor_col(&e), 3);
	ui_editor_fini(&e);
}

static void
ui_editor__kills__word_start_and_end(void **state)
{
	struct ui_editor e;

	(void)state;
	ui_editor_init(&e);
	ui_editor_insert(&e, "hello big world  ", 17);
	ui_editor_kill_word(&e);
	expect_text(&e, "hello big ");
	ui_editor_left(&e);
	ui_editor_left(&e);
	ui_editor_kill_end(&e);
	expect_text(&e, "hello bi");
	ui_editor_left(&e);
	ui_editor_kill_start(&e);
	expect_text(&e, "i");
	assert_int_equal(e.cur, 0);
	ui_editor_fini(&e);
}

static void
ui_editor__scrolls__to_keep_the_cursor_visible(void **state)
{
	struct ui_editor e;
	int col, i;

	(void)state;
	ui_editor_init(&e);
	for (i = 0; i < 30; i++)
		ui_editor_insert(&e, "你", 3); /* 60 columns */
	col = ui_editor_scroll(&e, 20);
	assert_true(col <= 18);
	assert_true(col >= 16);
	assert_true(e.view > 0);
	assert_int_equal(e.view % 3, 0); /* never half a character */
	ui_editor_home(&e);
	col = ui_editor_scroll(&e, 20);
	assert_int_equal(col, 0);
	assert_int_equal(e.view, 0);
	/* A long paste stays fast: 32 KiB, cursor at the end. */
	ui_editor_clear(&e);
	for (i = 0; i < 10000; i++)
		ui_editor_insert(&e, "abc", 3);
	col = ui_editor_scroll(&e, 80);
	assert_true(col <= 78);
	ui_editor_fini(&e);
}

/*
 * One key on a field, one line each: the text before and after, '|' where
 * the cursor is, and what the editor says it did.
 */
static const struct key_case {
	const char *before;
	int key;
	const char *after;
	enum ui_editor_result result;
} key_cases[] = {
    {"ab|cd", UI_KEY_LEFT, "a|bcd", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_RIGHT, "abc|d", UI_EDITOR_EDITED},
    {"|abcd", UI_KEY_LEFT, "|abcd", UI_EDITOR_EDITED},
    {"abcd|", UI_KEY_RIGHT, "abcd|", UI_EDITOR_EDITED},
    {"a|你b", UI_KEY_RIGHT, "a你|b", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_HOME, "|abcd", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_END, "abcd|", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_CTRL('A'), "|abcd", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_CTRL('E'), "abcd|", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_BACKSPACE, "a|cd", UI_EDITOR_EDITED},
    {"|abcd", UI_KEY_BACKSPACE, "|abcd", UI_EDITOR_EDITED},
    {"a你|b", UI_KEY_BACKSPACE, "a|b", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_DELETE, "ab|d", UI_EDITOR_EDITED},
    {"abcd|", UI_KEY_DELETE, "abcd|", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_CTRL('K'), "ab|", UI_EDITOR_EDITED},
    {"ab|cd", UI_KEY_CTRL('U'), "|cd", UI_EDITOR_EDITED},
    {"one two|", UI_KEY_CTRL('W'), "one |", UI_EDITOR_EDITED},
    {"one two  |x", UI_KEY_CTRL('W'), "one |x", UI_EDITOR_EDITED},
    {"ab|", 'c', "abc|", UI_EDITOR_TYPED},
    {"|b", 0x4f60, "你|b", UI_EDITOR_TYPED},
    {"a|b", ' ', "a |b", UI_EDITOR_TYPED},
    {"ab|", UI_KEY_ENTER, "ab|", UI_EDITOR_UNUSED},
    {"ab|", '\t', "ab|", UI_EDITOR_UNUSED},
    {"ab|", UI_KEY_ESC, "ab|", UI_EDITOR_UNUSED},
    {"ab|", UI_KEY_CTRL('F'), "ab|", UI_EDITOR_UNUSED},
    {"ab|", UI_KEY_UP, "ab|", UI_EDITOR_UNUSED},
    {"ab|", UI_KEY_PGUP, "ab|", UI_EDITOR_UNUSED},
    {"ab|", UI_KEY_PASTE_BEGIN, "ab|", UI_EDITOR_UNUSED},
};

/* Fill e from a case's text: '|' marks the cursor. */
static void
editor_from(struct ui_editor *e, const char *s)
{
	const char *bar = strchr(s, '|');

	ui_editor_set(e, s, (size_t)(bar - s));
	ui_editor_insert(e, bar + 1, strlen(bar + 1));
	e->cur = (size_t)(bar - s);
}

static void
ui_editor__key__does_what_its_table_line_says(void **state)
{
	struct ui_editor e;
	char got[64];
	size_t i;

	(void)state;
	ui_editor_init(&e);
	for (i = 0; i < sizeof key_cases / sizeof key_cases[0]; i++) {
		editor_from(&e, key_cases[i].before);
		assert_int_equal(
		    ui_editor_key(&e, key_cases[i].key), key_cases[i].result);
		snprintf(got, sizeof got, "%.*s|%.*s", (int)e.cur, e.buf,
		    (int)(e.len - e.cur), e.buf + e.cur);
		if (strcmp(got, key_cases[i].after) != 0)
			fail_msg("case %zu (%s): got %s, want %s", i,
			    key_cases[i].before, got, key_cases[i].after);
	}
	ui_editor_fini(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_editor__moves__over_wide_and_combining),
	    cmocka_unit_test(ui_editor__deletes__whole_characters),
	    cmocka_unit_test(ui_editor__kills__word_start_and_end),
	    cmocka_unit_test(ui_editor__scrolls__to_keep_the_cursor_visible),
	    cmocka_unit_test(ui_editor__key__does_what_its_table_line_says),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
