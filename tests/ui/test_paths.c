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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_paths__parses__dragged_and_pasted_forms),
	    cmocka_unit_test(
	        ui_paths__rejects__unbalanced_quote_and_remote_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
