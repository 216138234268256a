/* SPDX-License-Identifier: MIT */
/* known_relays: find, add, change, comments, bad lines, atomic rewrite. */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/known.h"
#include "util/fingerprint.h"

static char dir[64], path[128];
static unsigned char fp1[UTIL_FP_LEN], fp2[UTIL_FP_LEN];

static int
setup(void **state)
{
	int i;

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_known.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/known_relays", dir);
	for (i = 0; i < UTIL_FP_LEN; i++) {
		fp1[i] = (unsigned char)i;
		fp2[i] = (unsigned char)(0xff - i);
	}
	return 0;
}

static int
teardown(void **state)
{
	char tmp[160];

	(void)state;
	unlink(path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

/* Write text as the whole file. */
static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
known__find__nothing_without_a_file(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[256];

	(void)state;
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), 0);
}

static void
known__set__adds_then_changes_one_line(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[256];
	struct stat st;

	(void)state;
	assert_int_equal(
	    client_known_set(path, "a.lan:7733", fp1, err, sizeof err), 0);
	assert_int_equal(
	    client_known_set(path, "b.lan:7733", fp1, err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(
	    client_known_find(path, "B.LAN:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp1, UTIL_FP_LEN);
	assert_int_equal(
	    client_known_set(path, "b.lan:7733", fp2, err, sizeof err), 0);
	assert_int_equal(
	    client_known_find(path, "b.lan:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp2, UTIL_FP_LEN);
	assert_int_equal(
	    client_known_find(path, "a.lan:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp1, UTIL_FP_LEN);
	assert_int_equal(
	    client_known_find(path, "a.lan:7734", fp, err, sizeof err), 0);
	/* No temporary file is left behind. */
	snprintf(err, sizeof err, "%s.tmp", path);
	assert_int_not_equal(access(err, F_OK), 0);
}

static void
known__find__skips_comments_and_blank_lines(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[256], text[512], txt[UTIL_FP_TEXT];

	(void)state;
	util_fp_text(fp2, txt);
	snprintf(text, sizeof text,
	    "# pinned by hand\n\n   \n  [::1]:7733   %s  \n", txt);
	write_file(text);
	assert_int_equal(
	    client_known_find(path, "[::1]:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp2, UTIL_FP_LEN);
	/* A change keeps the comment. */
	assert_int_equal(
	    client_known_set(path, "[::1]:7733", fp1, err, sizeof err), 0);
	assert_int_equal(
	    client_known_find(path, "[::1]:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp1, UTIL_FP_LEN);
	{
		FILE *f = fopen(path, "r");
		char line[256];

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof line, f));
		assert_string_equal(line, "# pinned by hand\n");
		fclose(f);
	}
}

static void
known__find__reports_a_bad_line_with_its_number(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[512], want[256];

	(void)state;
	write_file("# comment\nrelay:7733 NOT-A-KEY\n");
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: ", path);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	write_file("\nrelay:7733\n");
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: no fingerprint", path);
	assert_true(strncmp(err, want, strlen(want)) == 0);
}

static void
known__find__passes_over_a_bad_line_for_another_relay(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[512], txt[UTIL_FP_TEXT], text[256];

	(void)state;
	util_fp_text(fp1, txt);
	snprintf(
	    text, sizeof text, "other:7733 NOT-A-KEY\nrelay:7733 %s\n", txt);
	write_file(text);
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp1, UTIL_FP_LEN);
}

static void
known__set__replaces_a_bad_line_for_the_same_relay(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[512];

	(void)state;
	write_file("relay:7733 NOT-A-KEY\nother:7733 ALSO-BAD\n");
	assert_int_equal(
	    client_known_set(path, "relay:7733", fp2, err, sizeof err), 0);
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), 1);
	assert_memory_equal(fp, fp2, UTIL_FP_LEN);
}

static void
known__find__refuses_a_link_or_a_file_others_may_write(void **state)
{
	unsigned char fp[UTIL_FP_LEN];
	char err[512], target[160];

	(void)state;
	write_file("# nothing\n");
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), -1);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(
	    client_known_set(path, "relay:7733", fp1, err, sizeof err), -1);
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(chmod(target, 0600), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(
	    client_known_find(path, "relay:7733", fp, err, sizeof err), -1);
	assert_non_null(strstr(err, "symbolic link"));
	unlink(target);
}

static void
known__hostport__brackets_ipv6(void **state)
{
	char hp[64];

	(void)state;
	client_known_hostport("::1", 7733, hp, sizeof hp);
	assert_string_equal(hp, "[::1]:7733");
	client_known_hostport("relay.lan", 80, hp, sizeof hp);
	assert_string_equal(hp, "relay.lan:80");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        known__find__nothing_without_a_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        known__set__adds_then_changes_one_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        known__find__skips_comments_and_blank_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        known__find__reports_a_bad_line_with_its_number, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        known__find__passes_over_a_bad_line_for_another_relay, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        known__set__replaces_a_bad_line_for_the_same_relay, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        known__find__refuses_a_link_or_a_file_others_may_write, setup,
	        teardown),
	    cmocka_unit_test(known__hostport__brackets_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
