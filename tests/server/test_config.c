/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/config.h"

/* What the callback was given, one "key=value;" after the other. */
struct seen {
	char text[1024];
	const char *refuse; /* a key the callback says is wrong */
};

/* The callback: note each setting, refuse the key asked for. */
static int
note(const char *key, const char *value, void *arg, char *err, size_t errlen)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	if (s->refuse != NULL && strcmp(key, s->refuse) == 0) {
		snprintf(err, errlen, "'%s' is not allowed", value);
		return -1;
	}
	snprintf(s->text + n, sizeof s->text - n, "%s=%s;", key, value);
	return 0;
}

/* Write text into a new temporary file; returns its path (static). */
static const char *
file_with(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "/tmp/termgram-conf-XXXXXX");
	assert_int_not_equal(fd = mkstemp(path), -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

/* Blank lines, comments and blanks around keys and values are ignored. */
static void
conffile__read__keys_values_and_comments(void **state)
{
	struct server_conffile *cf;
	struct seen s = {0};
	const char *path =
	    file_with("# a comment\n\n  port = 7733\n"
	              "\t# indented comment\nname=office relay  \n"
	              "bind =   ::\n");
	char err[256];

	(void)state;
	cf = server_conffile_read(path, note, &s, err, sizeof err);
	unlink(path);
	assert_non_null(cf);
	assert_string_equal(s.text, "port=7733;name=office relay;bind=::;");
	server_conffile_free(cf);
}

/* A line without '=' is refused with the file and its line number. */
static void
conffile__read__refuses_a_line_without_equals(void **state)
{
	struct seen s = {0};
	const char *path = file_with("port = 1\n\nrate 5\n");
	char err[256], want[300];

	(void)state;
	assert_null(server_conffile_read(path, note, &s, err, sizeof err));
	snprintf(want, sizeof want, "%s:3: 'rate 5': not 'key = value'", path);
	unlink(path);
	assert_string_equal(err, want);
}

/* A key with characters no option has is refused before the callback. */
static void
conffile__read__refuses_a_bad_key(void **state)
{
	struct seen s = {0};
	const char *path = file_with("Port = 1\n");
	char err[256];

	(void)state;
	assert_null(server_conffile_read(path, note, &s, err, sizeof err));
	unlink(path);
	assert_non_null(strstr(err, ":1: 'Port' is not a key"));
	assert_string_equal(s.text, "");
}

/* The callback's error comes back with the file, line and key. */
static void
conffile__read__names_file_line_and_key(void **state)
{
	struct seen s = {.refuse = "rate"};
	const char *path = file_with("port = 1\n# c\nrate = lots\nname = x\n");
	char err[256], want[300];

	(void)state;
	assert_null(server_conffile_read(path, note, &s, err, sizeof err));
	snprintf(want, sizeof want, "%s:3: rate: 'lots' is not allowed", path);
	unlink(path);
	assert_string_equal(err, want);
	assert_string_equal(s.text, "port=1;");
}

/* A file that cannot be opened is an error that names it. */
static void
conffile__read__names_a_missing_file(void **state)
{
	struct seen s = {0};
	char err[256];

	(void)state;
	assert_null(server_conffile_read(
	    "/nonexistent/termgramd.conf", note, &s, err, sizeof err));
	assert_string_equal(
	    err, "/nonexistent/termgramd.conf: No such file or directory");
}

/* The values stay readable until the file is freed. */
static void
conffile__read__values_outlive_the_reading(void **state)
{
	struct server_conffile *cf;
	struct seen s = {0};
	const char *path = file_with("name = kept\n");
	char err[256];

	(void)state;
	assert_non_null(
	    cf = server_conffile_read(path, note, &s, err, sizeof err));
	unlink(path);
	assert_string_equal(s.text, "name=kept;");
	server_conffile_free(cf);
	server_conffile_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(conffile__read__keys_values_and_comments),
	    cmocka_unit_test(conffile__read__refuses_a_line_without_equals),
	    cmocka_unit_test(conffile__read__refuses_a_bad_key),
	    cmocka_unit_test(conffile__read__names_file_line_and_key),
	    cmocka_unit_test(conffile__read__names_a_missing_file),
	    cmocka_unit_test(conffile__read__values_outlive_the_reading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
