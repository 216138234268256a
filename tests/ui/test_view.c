/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ui/view.h"

/*
 * A conversation of entries with known heights: the newest n of them are
 * loaded, the older ones come in pages when the view asks.
 */
struct fake {
	int h[64]; /* heights, oldest first */
	size_t all; /* entries in the history */
	size_t asked; /* what the last load asked for */
	struct ui_view_src src;
};

static int
fake_lines(void *arg, size_t i)
{
	struct fake *f = arg;

	assert_true(i < f->src.n);
	return f->h[f->all - f->src.n + i];
}

static size_t
fake_older(void *arg, size_t want)
{
	struct fake *f = arg;
	size_t left = f->all - f->src.n;

	f->asked = want;
	return want < left ? want : left;
}

/* all entries each h lines high, the newest loaded of them. */
static void
fake_init(struct fake *f, size_t all, size_t loaded, int h)
{
	size_t i;

	memset(f, 0, sizeof *f);
	for (i = 0; i < all; i++)
		f->h[i] = h;
	f->all = all;
	f->src.n = loaded;
	f->src.lines = fake_lines;
	f->src.older = fake_older;
	f->src.arg = f;
}

static void
ui_view__anchors__the_newest_at_the_bottom(void **state)
{
	struct fake f;
	struct ui_view v;

	(void)state;
	fake_init(&f, 10, 10, 3); /* 30 lines */
	ui_view_init(&v);
	ui_view_anchor_bottom(&v, &f.src, 10);
	/* Entries 7..9 fill 9 rows; one line of entry 6 shows. */
	assert_int_equal(v.top, 6);
	assert_int_equal(v.top_line, 2);
	ui_view_anchor_bottom(&v, &f.src, 9); /* exactly 7..9 */
	assert_int_equal(v.top, 7);
	assert_int_equal(v.top_line, 0);
	ui_view_anchor_bottom(&v, &f.src, 100); /* all fit */
	assert_int_equal(v.top, 0);
	assert_int_equal(v.top_line, 0);
}

static void
ui_view__scrolls_up__by_lines_across_entries(void **state)
{
	struct fake f;
	struct ui_view v;

	(void)state;
	fake_init(&f, 10, 10, 3);
	ui_view_init(&v);
	ui_view_scroll_up(&v, &f.src, 10, 1);
	assert_false(v.follow);
	assert_int_equal(v.top, 6);
	assert_int_equal(v.top_line, 1);
	ui_view_scroll_up(&v, &f.src, 10, 4); /* 1 of entry 6, 3 of 5 */
	assert_int_equal(v.top, 5);
	assert_int_equal(v.top_line, 0);
	ui_view_scroll_up(&v, &f.src, 10, 100); /* stops at the top */
	assert_int_equal(v.top, 0);
	assert_int_equal(v.top_line, 0);
}

static void
ui_view__scrolls_up__loads_older_pages_at_the_top(void **state)
{
	struct fake f;
	struct ui_view v;

	(void)state;
	fake_init(&f, 60, 4, 1);
	ui_view_init(&v);
	v.hit = 2;
	ui_view_scroll_up(&v, &f.src, 2, 5);
	assert_int_equal(f.asked, 200); /* a page is at least 200 */
	assert_int_equal(f.src.n, 60);
	/* The indices moved by what came: the anchor and the hit too. */
	assert_int_equal(v.top, 56 + 2 - 5);
	assert_int_equal(v.hit, 2 + 56);
	ui_view_scroll_up(&v, &f.src, 2, 1000);
	assert_int_equal(v.top, 0);
	assert_false(v.follow);
}

static void
ui_view__scrolls_down__follows_again_at_the_bottom(void **state)
{
	struct fake f;
	struct ui_view v;

	(void)state;
	fake_init(&f, 10, 10, 3);
	ui_view_init(&v);
	ui_view_scroll_up(&v, &f.src, 10, 9); /* line 11 at the top */
	assert_int_equal(v.top, 3);
	assert_int_equal(v.top_line, 2);
	v.news = true;
	ui_view_scroll_down(&v, &f.src, 10, 1);
	assert_false(v.follow);
	assert_int_equal(v.top, 4);
	assert_int_equal(v.top_line, 0);
	ui_view_scroll_down(&v, &f.src, 10, 6); /* two lines still below */
	assert_false(v.follow);
	assert_int_equal(v.top, 6);
	assert_int_equal(v.top_line, 0);
	assert_true(v.news);
	ui_view_scroll_down(&v, &f.src, 10, 2); /* back at the bottom */
	assert_true(v.follow);
	assert_false(v.news);
	/* Following: scrolling down does nothing. */
	ui_view_scroll_down(&v, &f.src, 10, 6);
	assert_true(v.follow);
}

static void
ui_view__scroll_up__an_empty_conversation_stays(void **state)
{
	struct fake f;
	struct ui_view v;

	(void)state;
	fake_init(&f, 0, 0, 1);
	ui_view_init(&v);
	ui_view_scroll_up(&v, &f.src, 10, 3);
	assert_true(v.follow);
}

static void
ui_view__jump_and_follow__mark_then_forget_the_hit(void **state)
{
	struct fake f;
	struct ui_view v;

	(void)state;
	fake_init(&f, 10, 10, 3);
	ui_view_init(&v);
	ui_view_jump(&v, 4);
	assert_false(v.follow);
	assert_int_equal(v.top, 4);
	assert_int_equal(v.hit, 4);
	v.top = 20; /* the conversation was cleared under it */
	ui_view_clamp(&v, &f.src, 10);
	assert_int_equal(v.top, 9);
	ui_view_follow(&v);
	assert_true(v.follow);
	assert_int_equal(v.hit, -1);
	ui_view_clamp(&v, &f.src, 10);
	assert_int_equal(v.top, 6);
}

static void
ui_view__list_first__keeps_the_selection_in_sight(void **state)
{
	(void)state;
	/* 10 rows: a title and 9 items, 0..8 fit. */
	assert_int_equal(ui_view_list_first(-1, 10), 0);
	assert_int_equal(ui_view_list_first(0, 10), 0);
	assert_int_equal(ui_view_list_first(8, 10), 0);
	assert_int_equal(ui_view_list_first(9, 10), 1);
	assert_int_equal(ui_view_list_first(30, 10), 22);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_view__anchors__the_newest_at_the_bottom),
	    cmocka_unit_test(ui_view__scrolls_up__by_lines_across_entries),
	    cmocka_unit_test(ui_view__scrolls_up__loads_older_pages_at_the_top),
	    cmocka_unit_test(
	        ui_view__scrolls_down__follows_again_at_the_bottom),
	    cmocka_unit_test(ui_view__scroll_up__an_empty_conversation_stays),
	    cmocka_unit_test(
	        ui_view__jump_and_follow__mark_then_forget_the_hit),
	    cmocka_unit_test(ui_view__list_first__keeps_the_selection_in_sight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
