/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ui/history.h"

static void
history__recall__older_newer_and_back_to_the_typed(void **state)
{
	struct ui_history *h = ui_history_new();

	(void)state;
	assert_null(ui_history_older(h, "x", 1));
	ui_history_add(h, "one", 3);
	ui_history_add(h, "two", 3);
	ui_history_add(h, "two", 3); /* the same again: once */
	assert_null(ui_history_newer(h));
	assert_string_equal(ui_history_older(h, "typed", 5), "two");
	assert_string_equal(ui_history_older(h, "two", 3), "one");
	assert_null(ui_history_older(h, "one", 3));
	assert_string_equal(ui_history_newer(h), "two");
	assert_string_equal(ui_history_newer(h), "typed");
	assert_null(ui_history_newer(h));
	/* Sending ends browsing: the next step starts at the newest. */
	assert_string_equal(ui_history_older(h, NULL, 0), "two");
	ui_history_add(h, "three", 5);
	assert_string_equal(ui_history_older(h, NULL, 0), "three");
	ui_history_free(h);
}

static void
history__add__keeps_the_newest_up_to_the_limit(void **state)
{
	struct ui_history *h = ui_history_new();
	char line[32];
	const char *s = NULL;
	int i;

	(void)state;
	for (i = 0; i < UI_HISTORY_MAX + 5; i++) {
		snprintf(line, sizeof line, "line %d", i);
		ui_history_add(h, line, strlen(line));
	}
	for (i = 0; i < UI_HISTORY_MAX; i++)
		s = ui_history_older(h, "", 0);
	assert_string_equal(s, "line 5");
	assert_null(ui_history_older(h, "", 0));
	ui_history_free(h);
}

static void
history__draft__one_per_conversation_any_case(void **state)
{
	struct ui_history *h = ui_history_new();

	(void)state;
	assert_string_equal(ui_history_draft(h, "bob"), "");
	ui_history_save_draft(h, "bob", "for bob", 7);
	ui_history_save_draft(h, "Carol", "for carol", 9);
	assert_string_equal(ui_history_draft(h, "BOB"), "for bob");
	assert_string_equal(ui_history_draft(h, "carol"), "for carol");
	ui_history_save_draft(h, "bob", "", 0);
	assert_string_equal(ui_history_draft(h, "bob"), "");
	ui_history_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        history__recall__older_newer_and_back_to_the_typed),
	    cmocka_unit_test(history__add__keeps_the_newest_up_to_the_limit),
	    cmocka_unit_test(history__draft__one_per_conversation_any_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
