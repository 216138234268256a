/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ui/paths.h"

struct path_case {
	const char *in;
	int n;
	const char *want[3];
};

/* What terminals and file managers paste for a dropped file. */
static const struct path_case cases[] = {
    {"/tmp/a.txt", 1, {"/tmp/a.txt"}},
    {"/tmp/a.txt \n", 1, {"/tmp/a.txt"}},
    {"'/tmp/my file.txt' ", 1, {"/tmp/my file.txt"}},
    {"\"/tmp/my file.txt\"", 1, {"/tmp/my file.txt"}},
    {"/tmp/my\\ file\\ \\(1\\).txt", 1, {"/tmp/my file (1).txt"}},
    {"file:///tmp/my%20file%E4%BD%A0.txt", 1, {"/tmp/my file你.txt"}},
    {"file://localhost/tmp/x%25y", 1, {"/tmp/x%y"}},
    {"/tmp/你好 世界.png", 2, {"/tmp/你好", "世界.png"}},
    {"'/tmp/你好 世界.png'", 1, {"/tmp/你好 世界.png"}},
    {"'/a b' \"/c d\" /e\\ f", 3, {"/a b", "/c d", "/e f"}},
    {"file:///a file:///b%20c\r\n", 2, {"/a", "/b c"}},
    {"~/Downloads/x.pdf", 1, {"/home/u/Downloads/x.pdf"}},
    {"~", 1, {"/home/u"}},
    {"'it'\\''s.txt'", 1, {"it's.txt"}},
    {"   ", 0, {NULL}},
};

static void
ui_paths__parses__dragged_and_pasted_forms(void **state)
{
	struct ui_paths p;
	char err[128];
	size_t i;
	int k, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = ui_paths_parse(cases[i].in, strlen(cases[i].in), "/home/u",
		    &p, err, sizeof err);
		if (n != cases[i].n)
			fail_msg("'%s': %d paths, expected %d", cases[i].in, n,
			    cases[i].n);
		for (k = 0; k < n; k++) {
			if (strcmp(p.v[k], cases[i].want[k]) != 0)
				fail_msg("'%s': path %d is '%s', expected '%s'",
				    cases[i].in, k, p.v[k], cases[i].want[k]);
		}
		ui_paths_free(&p);
	}
}

static void
ui_paths__rejects__unbalanced_quote_and_remote_uri(void **state)
{
	struct ui_paths p;
	char err[128];

	(void)state;
	assert_int_equal(
	    ui_paths_parse("'/tmp/a", 7, NULL, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "quote"));
	assert_int_equal(
	    ui_paths_parse("file://server/x", 15, NULL, &p, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "not a local file"));
}

/* Quoted for the field, a path reads back as itself, one path. */
static void
ui_paths__quote__reads_back_as_one_path(void **state)
{
	static const char *const in[] = {"/tmp/plain.txt",
	    "/tmp/big video \xe8\xa7\x86\xe9\xa2\x91.mp4", "it's \"x\".txt",
	    "a\\b c", "~/my dir/"};
	struct ui_paths p;
	char q[256], err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		assert_true(ui_paths_quote(in[i], q, sizeof q) > 0);
		assert_int_equal(
		    ui_paths_parse(q, strlen(q), NULL, &p, err, sizeof err), 1);
		assert_string_equal(p.v[0], in[i]);
		ui_paths_free(&p);
	}
	assert_int_equal(ui_paths_quote("/tmp/plain.txt", q, sizeof q), 14);
	assert_string_equal(q, "/tmp/plain.txt");
	assert_int_equal(ui_paths_quote("a b", q, 4), -1);
}

/* The path being typed: the last one, unquoted, even with a quote open. */
static void
ui_paths__last__is_the_path_being_typed(void **state)
{
	static const struct {
		const char *in, *want;
		int start;
	} lasts[] = {
	    {"/tmp/b", "/tmp/b", 0},
	    {"/tmp/a.txt '/tmp/big v", "/tmp/big v", 11},
	    {"'/tmp/my dir/'b", "/tmp/my dir/b", 0},
	    {"x /tmp/big\\ v", "/tmp/big v", 2},
	    {"\"/tmp/a \\\"q", "/tmp/a \"q", 0},
	    {"/tmp/a ", NULL, 0},
	    {"", NULL, 0},
	};
	char out[64];
	size_t i, start;
	int n;

	(void)state;
	for (i = 0; i < sizeof lasts / sizeof lasts[0]; i++) {
		start = 99;
		n = ui_paths_last(
		    lasts[i].in, strlen(lasts[i].in), &start, out, sizeof out);
		if (lasts[i].want == NULL) {
			if (n != -1)
				fail_msg("'%s': a path '%s'", lasts[i].in, out);
			continue;
		}
		if (n < 0 || strcmp(out, lasts[i].want) != 0 ||
		    start != (size_t)lasts[i].start)
			fail_msg("'%s': %d '%s' at %zu", lasts[i].in, n,
			    n < 0 ? "" : out, start);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_paths__parses__dragged_and_pasted_forms),
	    cmocka_unit_test(
	        ui_paths__rejects__unbalanced_quote_and_remote_uri),
	    cmocka_unit_test(ui_paths__quote__reads_back_as_one_path),
	    cmocka_unit_test(ui_paths__last__is_the_path_being_typed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
