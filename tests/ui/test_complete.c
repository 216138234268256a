/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ui/complete.h"

static const char *const names[] = {"alice", "bob", "Carol", "carlos"};

/* Type before, Tab: the line becomes after; returns the matches. */
static size_t
tab(const char *before, const char *after, char *list, size_t len)
{
	struct ui_editor e;
	size_t n;

	ui_editor_init(&e);
	ui_editor_insert(&e, before, strlen(before));
	n = ui_complete(&e, names, 4, list, len);
	assert_int_equal(e.len, strlen(after));
	assert_memory_equal(e.buf, after, e.len);
	ui_editor_fini(&e);
	return n;
}

static void
complete__name__unique_in_its_own_case(void **state)
{
	char list[64];

	(void)state;
	assert_int_equal(tab("hi b", "hi bob ", list, sizeof list), 1);
	assert_int_equal(tab("car", "car", list, sizeof list), 2);
	assert_string_equal(list, "Carol carlos");
	assert_int_equal(tab("hi caro", "hi Carol ", list, sizeof list), 1);
	assert_int_equal(tab("x", "x", list, sizeof list), 0);
	assert_int_equal(tab("hi ", "hi ", list, sizeof list), 0);
}

static void
complete__command__first_word_only(void **state)
{
	char list[64];

	(void)state;
	assert_int_equal(tab("/que", "/query ", list, sizeof list), 1);
	assert_int_equal(tab("/qu", "/qu", list, sizeof list), 2);
	assert_string_equal(list, "/query /quit");
	assert_int_equal(tab("/se", "/se", list, sizeof list), 2);
	assert_int_equal(
	    tab("/query a", "/query alice ", list, sizeof list), 1);
	assert_int_equal(tab("a /q", "a /q", list, sizeof list), 0);
	/* Every command of docs/ui.md, the short ones too. */
	assert_int_equal(tab("/xf", "/xfer ", list, sizeof list), 1);
	assert_int_equal(tab("/tr", "/transfers ", list, sizeof list), 1);
	assert_int_equal(tab("/fin", "/find ", list, sizeof list), 1);
	assert_int_equal(tab("/fi", "/fi", list, sizeof list), 2);
	assert_string_equal(list, "/filter /find");
	/* The room commands. */
	assert_int_equal(tab("/jo", "/join ", list, sizeof list), 1);
	assert_int_equal(tab("/mem", "/members ", list, sizeof list), 1);
	assert_int_equal(tab("/rec", "/rec", list, sizeof list), 2);
	assert_string_equal(list, "/receipts /reconnect");
}

static void
complete__shared__extends_to_the_common_part(void **state)
{
	static const char *const two[] = {"user10", "user11"};
	struct ui_editor e;
	char list[64];

	(void)state;
	ui_editor_init(&e);
	ui_editor_insert(&e, "us", 2);
	assert_int_equal(ui_complete(&e, two, 2, list, sizeof list), 2);
	assert_int_equal(e.len, 5);
	assert_memory_equal(e.buf, "user1", 5);
	ui_editor_fini(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(complete__name__unique_in_its_own_case),
	    cmocka_unit_test(complete__command__first_word_only),
	    cmocka_unit_test(complete__shared__extends_to_the_common_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
