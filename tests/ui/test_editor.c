#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_editor__moves__over_wide_and_combining),
	    cmocka_unit_test(ui_editor__deletes__whole_characters),
	    cmocka_unit_test(ui_editor__kills__word_start_and_end),
	    cmocka_unit_test(ui_editor__scrolls__to_keep_the_cursor_visible),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
