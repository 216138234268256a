/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/xmalloc.h"

static void
xgrow__starts__at_first_capacity(void **state)
{
	int *a = NULL;
	size_t cap = 0;

	(void)state;
	XGROW(a, cap, 1, 16);
	assert_non_null(a);
	assert_int_equal(cap, 16);
	free(a);
}

static void
xgrow__doubles__until_need_fits(void **state)
{
	int *a = NULL;
	size_t cap = 0;

	(void)state;
	XGROW(a, cap, 17, 16);
	assert_int_equal(cap, 32);
	XGROW(a, cap, 33, 16);
	assert_int_equal(cap, 64);
	XGROW(a, cap, 200, 16);
	assert_int_equal(cap, 256);
	a[255] = 1; /* the whole capacity is usable */
	free(a);
}

static void
xgrow__keeps__array_that_is_large_enough(void **state)
{
	int *a = NULL, *before;
	size_t cap = 0;

	(void)state;
	XGROW(a, cap, 10, 16);
	before = a;
	XGROW(a, cap, 16, 16);
	XGROW(a, cap, 0, 16);
	assert_ptr_equal(a, before);
	assert_int_equal(cap, 16);
	free(a);
}

static void
xgrow__keeps__contents_when_moving(void **state)
{
	int *a = NULL;
	size_t cap = 0, n = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		XGROW(a, cap, n + 1, 4);
		a[n++] = (int)i * 7;
	}
	assert_true(cap >= 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(a[i], (int)i * 7);
	free(a);
}

/* A first of 0 still makes room (from 1). */
static void
xgrow__starts__at_one_without_first(void **state)
{
	struct {
		char name[40];
	} *a = NULL;
	size_t cap = 0;

	(void)state;
	XGROW(a, cap, 1, 0);
	assert_int_equal(cap, 1);
	XGROW(a, cap, 3, 0);
	assert_int_equal(cap, 4);
	memset(a, 0, cap * sizeof *a); /* sized by element, not by byte */
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(xgrow__starts__at_first_capacity),
	    cmocka_unit_test(xgrow__doubles__until_need_fits),
	    cmocka_unit_test(xgrow__keeps__array_that_is_large_enough),
	    cmocka_unit_test(xgrow__keeps__contents_when_moving),
	    cmocka_unit_test(xgrow__starts__at_one_without_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
