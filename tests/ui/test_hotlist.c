/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ui/hotlist.h"

static const struct client_contact roster[] = {
    {.name = "alice"},
    {.name = "bob", .unread = 1},
    {.name = "carol", .unread = 3},
    {.name = "dave"},
    {.name = "erin", .unread = 1},
};

static void
hotlist__order__most_unread_then_the_sidebar(void **state)
{
	size_t idx[5];

	(void)state;
	assert_int_equal(ui_hotlist_order(roster, 5, idx), 3);
	assert_int_equal(idx[0], 2);
	assert_int_equal(idx[1], 1);
	assert_int_equal(idx[2], 4);
	assert_int_equal(ui_hotlist_order(roster, 1, idx), 0);
}

static void
hotlist__format__fits_and_counts_the_rest(void **state)
{
	size_t idx[5], n = ui_hotlist_order(roster, 5, idx);
	char out[128];

	(void)state;
	ui_hotlist_format(roster, idx, n, 80, out, sizeof out);
	assert_string_equal(out, "[Act: carol(3) bob(1) erin(1)]");
	ui_hotlist_format(roster, idx, n, 24, out, sizeof out);
	assert_string_equal(out, "[Act: carol(3) +2]");
	assert_true(strlen(out) <= 24);
	ui_hotlist_format(roster, idx, n, 14, out, sizeof out);
	assert_string_equal(out, "[Act: +3]");
	ui_hotlist_format(roster, idx, 0, 80, out, sizeof out);
	assert_string_equal(out, "");
}

static void
hotlist__order__a_room_with_mentions_goes_first(void **state)
{
	static const struct client_contact c[] = {
	    {.name = "bob", .unread = 5},
	    {.name = "#team", .unread = 2},
	    {.name = "#ops", .unread = 9},
	};
	static const unsigned mentions[] = {0, 1, 0};
	size_t idx[3], n;
	char out[128];

	(void)state;
	n = ui_hotlist_order_prio(c, mentions, 3, idx);
	assert_int_equal(n, 3);
	assert_int_equal(idx[0], 1);
	assert_int_equal(idx[1], 2);
	assert_int_equal(idx[2], 0);
	ui_hotlist_format_prio(c, mentions, idx, n, 80, out, sizeof out);
	assert_string_equal(out, "[Act: #team(2,@1) #ops(9) bob(5)]");
	/* Without mentions, the most unread first, as before. */
	n = ui_hotlist_order_prio(c, NULL, 3, idx);
	assert_int_equal(idx[0], 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hotlist__order__most_unread_then_the_sidebar),
	    cmocka_unit_test(hotlist__format__fits_and_counts_the_rest),
	    cmocka_unit_test(hotlist__order__a_room_with_mentions_goes_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
