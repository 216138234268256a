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

#include "ui/config.h"

/* A config file of the given text; its path is in path. */
static void
write_file(char *path, size_t len, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, len, "%s/tg-config.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
}

/* The config as one line, to compare with a case's expectation. */
static void
summary(const struct ui_config *c, char *out, size_t len)
{
	snprintf(out, len,
	    "host=%s port=%u user=%s color=%d bell=%d dl=%s max=%llu p2p=%d "
	    "p2p_port=%u light=%d theme=%d tf=%s mouse=%d title=%d notify=%d "
	    "log=%d hl=%s",
	    c->host, c->port, c->user, c->color, c->bell, c->download_dir,
	    c->max_file_size, c->p2p, c->p2p_port, c->light, (int)c->theme,
	    c->time_format, c->mouse, c->title, (int)c->notify, c->log,
	    c->highlight);
}

/* Load text over the defaults: rc, the summary, the error. */
static int
load(const char *text, char *sum, size_t sumlen, char *err, size_t errlen)
{
	struct ui_config c;
	char path[256];
	int rc;

	write_file(path, sizeof path, text);
	ui_config_defaults(&c);
	err[0] = '\0';
	rc = ui_config_load(&c, path, err, (int)errlen);
	unlink(path);
	summary(&c, sum, sumlen);
	return rc;
}

/*
 * One file each: what it holds, whether it loads, and a piece of the
 * summary (or of the error) that must then be there.
 */
static const struct config_case {
	const char *text;
	int rc;
	const char *want; /* in the summary */
	const char *err; /* in the error, or NULL */
} cases[] = {
    {"", 0, "host=127.0.0.1 port=7733 user= color=1 bell=1", NULL},
    {"# a comment\n\n   \t\n", 0, "port=7733", NULL},
    {"host = relay.lan\n", 0, "host=relay.lan ", NULL},
    {"  host\t=\tspaced  \r\n", 0, "host=spaced ", NULL},
    {"port = 9000\n", 0, "port=9000 ", NULL},
    {"highlight = deploy, urgent\n", 0, "hl=deploy, urgent", NULL},
    {"port = 0\n", -1, "port=7733 ", "line 1: port must be 1-65535"},
    {"port = 65536\n", -1, "port=7733 ", "port must be 1-65535"},
    {"port = 80x\n", -1, "port=7733 ", "port must be 1-65535"},
    {"port =\n", -1, "port=7733 ", "port must be 1-65535"},
    {"user = alice\n", 0, "user=alice ", NULL},
    {"theme = mono\n", 0, "color=0 ", NULL},
    {"theme = default\n", 0, "color=1 ", NULL},
    {"theme = pink\n", -1, "color=1 ", "theme is default, light or mono"},
    {"theme = light\n", 0, "color=1 ", NULL},
    {"theme = light\n", 0, "theme=2 ", NULL},
    {"theme = mono\n", 0, "theme=1 ", NULL},
    {"", 0, "theme=0 tf=%H:%M mouse=1 title=1 notify=0 log=0", NULL},
    {"time_format = %I:%M %p\n", 0, "tf=%I:%M %p ", NULL},
    {"time_format = %H:%M:%S\n", 0, "tf=%H:%M:%S ", NULL},
    {"time_format = %A %H:%M\n", -1, "tf=%H:%M ", "at most 11 columns"},
    {"time_format =\n", -1, "tf=%H:%M ", "time_format is a strftime"},
    {"time_format = %H\x1b:%M\n", -1, "tf=%H:%M ", "time_format is"},
    {"mouse = off\n", 0, "mouse=0 ", NULL},
    {"mouse = wheel\n", -1, "mouse=1 ", "mouse is on or off"},
    {"title = no\n", 0, "title=0 ", NULL},
    {"title = 3\n", -1, "title=1 ", "title is on or off"},
    {"notify = osc9\n", 0, "notify=1 ", NULL},
    {"notify = osc777\n", 0, "notify=2 ", NULL},
    {"notify = off\n", 0, "notify=0 ", NULL},
    {"notify = dbus\n", -1, "notify=0 ", "notify is off, osc9 or osc777"},
    {"log = on\n", 0, "log=1", NULL},
    {"log = all\n", -1, "log=0", "log is on or off"},
    {"bell = off\n", 0, "bell=0 ", NULL},
    {"bell = no\n", 0, "bell=0 ", NULL},
    {"bell = false\n", 0, "bell=0 ", NULL},
    {"bell = off\nbell = yes\n", 0, "bell=1 ", NULL},
    {"bell = loud\n", -1, "bell=1 ", "bell is on or off"},
    {"p2p = on\n", 0, "p2p=1 ", NULL},
    {"p2p = true\n", 0, "p2p=1 ", NULL},
    {"p2p = maybe\n", -1, "p2p=0 ", "p2p is on or off"},
    {"light = yes\n", 0, "light=1", NULL},
    {"light = 1\n", -1, "light=0", "light is on or off"},
    {"p2p_port = 0\n", 0, "p2p_port=0 ", NULL},
    {"p2p_port = 7744\n", 0, "p2p_port=7744 ", NULL},
    {"p2p_port = -1\n", -1, "p2p_port=0 ", "p2p_port must be 0-65535"},
    {"p2p_port = 70000\n", -1, "p2p_port=0 ", "p2p_port must be 0-65535"},
    {"download_dir = /srv/in\n", 0, "dl=/srv/in ", NULL},
    {"download_dir = ~/Downloads\n", 0, "dl=/home/u/Downloads ", NULL},
    {"download_dir = ~x\n", 0, "dl=~x ", NULL},
    {"max_file_size = 0\n", 0, "max=0 ", NULL},
    {"max_file_size = 1000\n", 0, "max=1000 ", NULL},
    {"max_file_size = 2K\n", 0, "max=2048 ", NULL},
    {"max_file_size = 3M\n", 0, "max=3145728 ", NULL},
    {"max_file_size = 1G\n", 0, "max=1073741824 ", NULL},
    {"max_file_size = 1T\n", 0, "max=1099511627776 ", NULL},
    {"max_file_size = 5MiB\n", 0, "max=5242880 ", NULL},
    {"max_file_size = 5MB\n", 0, "max=5242880 ", NULL},
    {"max_file_size = 5Q\n", -1, "max=4294967296 ",
        "max_file_size is a number"},
    {"max_file_size = -5\n", -1, "max=4294967296 ",
        "max_file_size is a number"},
    {"max_file_size = M\n", -1, "max=4294967296 ", "max_file_size is a number"},
    {"max_file_size = 5Mx\n", -1, "max=4294967296 ",
        "max_file_size is a number"},
    {"colour = on\n", -1, "color=1 ", "line 1: unknown key 'colour'"},
    {"just words\n", -1, "port=7733 ", "line 1: expected key = value"},
    /* A bad line is reported; the lines around it still apply. */
    {"user = bob\nnonsense\nport = 1234\n", -1, "port=1234 user=bob ",
        "line 2: expected key = value"},
    /* Every bad line is reported. */
    {"a = 1\nb = 2\n", -1, "port=7733 ",
        "line 1: unknown key 'a'; line 2: unknown key 'b'"},
};

static void
ui_config__load__does_what_its_table_line_says(void **state)
{
	char sum[2000], err[256];
	size_t i;
	int rc;

	(void)state;
	setenv("HOME", "/home/u", 1);
	unsetenv("NO_COLOR");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = load(cases[i].text, sum, sizeof sum, err, sizeof err);
		if (rc != cases[i].rc || strstr(sum, cases[i].want) == NULL ||
		    (cases[i].err != NULL && strstr(err, cases[i].err) == NULL))
			fail_msg("case %zu (%s): rc %d, %s; error: %s", i,
			    cases[i].text, rc, sum, err);
	}
}

static void
ui_config__load__a_missing_file_is_fine(void **state)
{
	struct ui_config c;
	char err[64] = "";

	(void)state;
	ui_config_defaults(&c);
	assert_int_equal(
	    ui_config_load(&c, "/nonexistent/termgram/config", err, 64), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.port, 7733);
}

static void
ui_config__defaults__no_color_switches_colour_off(void **state)
{
	struct ui_config c;

	(void)state;
	setenv("NO_COLOR", "1", 1);
	ui_config_defaults(&c);
	assert_false(c.color);
	setenv("NO_COLOR", "", 1);
	ui_config_defaults(&c);
	assert_true(c.color);
	unsetenv("NO_COLOR");
	ui_config_defaults(&c);
	assert_true(c.color);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 7733);
	assert_true(c.bell);
	assert_false(c.p2p);
	assert_int_equal(c.max_file_size, 4ULL << 30);
	assert_int_equal(c.part_max_age, 7 * 24 * 3600);
}

static void
ui_config__path__follows_xdg_then_home(void **state)
{
	char p[64];

	(void)state;
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(ui_config_path(p, sizeof p), 0);
	assert_string_equal(p, "/x/cfg/termgram/config");
	setenv("XDG_CONFIG_HOME", "relative", 1); /* not absolute: ignored */
	assert_int_equal(ui_config_path(p, sizeof p), 0);
	assert_string_equal(p, "/home/u/.config/termgram/config");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(ui_config_path(p, 16), -1); /* too long */
	unsetenv("HOME");
	assert_int_equal(ui_config_path(p, sizeof p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_config__load__does_what_its_table_line_says),
	    cmocka_unit_test(ui_config__load__a_missing_file_is_fine),
	    cmocka_unit_test(ui_config__defaults__no_color_switches_colour_off),
	    cmocka_unit_test(ui_config__path__follows_xdg_then_home),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
