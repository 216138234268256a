/* SPDX-License-Identifier: MIT */
/*
 * The headless commands' table and command lines, without a relay: what
 * each command is called, which options it takes, how many arguments, and
 * the exact words of each refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/run.h"

static char line_buf[1024];
static char *line_argv[64];
static char err[512];

/* Split prefix and line, words separated by single spaces, into
 * line_argv; returns their count. */
static int
split(const char *prefix, const char *line)
{
	char *p;
	int argc = 0;

	snprintf(line_buf, sizeof line_buf, "%s%s", prefix, line);
	for (p = strtok(line_buf, " "); p != NULL; p = strtok(NULL, " "))
		line_argv[argc++] = p;
	line_argv[argc] = NULL;
	return argc;
}

/* Parse a command line given as words separated by single spaces. */
static enum cmd_args_result
parse(struct cmd_args *a, const char *line)
{
	const struct cmd_entry *cmd;
	int argc = split("", line);

	cmd = cmd_find(line_argv[0]);
	assert_non_null(cmd);
	return cmd_args_parse(a, cmd, argc, line_argv, err, sizeof err);
}

static int
setup(void **state)
{
	(void)state;
	setenv("HOME", "/home/t", 1);
	unsetenv("XDG_DATA_HOME");
	unsetenv("TERMGRAM_PASSWORD");
	return 0;
}

static void
cmd_find__finds__every_command(void **state)
{
	const char *names[] = {
	    "send", "recv", "who", "sendfile", "echo-bot", "discover", "room"};
	const struct cmd_entry *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		c = cmd_find(names[i]);
		assert_non_null(c);
		assert_string_equal(c->name, names[i]);
		assert_non_null(c->run);
	}
}

static void
cmd_find__rejects__other_words(void **state)
{
	const char *words[] = {
	    "", "sen", "sends", "Send", "echo", "-h", "--help", "-V", "help"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		assert_null(cmd_find(words[i]));
}

static void
cmd_args__parse__send_with_common_options(void **state)
{
	struct cmd_args a;

	(void)state;
	setenv("TERMGRAM_PASSWORD", "pw", 1);
	assert_int_equal(parse(&a,
	                     "send --host h --port 7000 --user alice "
	                     "--heartbeat 3 bob hello world"),
	    CMD_ARGS_OK);
	assert_string_equal(a.cfg.host, "h");
	assert_int_equal(a.cfg.port, 7000);
	assert_string_equal(a.cfg.user, "alice");
	assert_string_equal(a.cfg.password, "pw");
	assert_int_equal(a.cfg.heartbeat_s, 3);
	assert_string_equal(
	    a.cfg.data_dir, "/home/t/.local/share/termgram/alice@h");
	assert_int_equal(a.timeout, 30); /* send's own default */
	assert_false(a.use_stdin);
	assert_false(a.cfg.p2p);
	assert_int_equal(a.argc, 3);
	assert_string_equal(a.argv[0], "bob");
	assert_string_equal(a.argv[2], "world");
}

static void
cmd_args__parse__defaults_and_overrides(void **state)
{
	struct cmd_args a;

	(void)state;
	assert_int_equal(parse(&a, "recv --user a"), CMD_ARGS_OK);
	assert_string_equal(a.cfg.host, "127.0.0.1");
	assert_int_equal(a.cfg.port, 7733);
	assert_string_equal(a.cfg.password, ""); /* unset: an open name */
	assert_int_equal(a.timeout, 0);
	assert_int_equal(a.count, 0);
	assert_null(a.cfg.download_dir);
	assert_false(a.raw); /* escaped unless asked */
	assert_int_equal(parse(&a, "recv --user a --raw"), CMD_ARGS_OK);
	assert_true(a.raw);
	assert_int_equal(
	    parse(&a, "send --timeout 0 --user a b c"), CMD_ARGS_OK);
	assert_int_equal(a.timeout, 0);
	assert_int_equal(parse(&a,
	                     "recv --user a --count 4 --timeout 9 "
	                     "--accept-files --dir /d --data /s"),
	    CMD_ARGS_OK);
	assert_int_equal(a.count, 4);
	assert_int_equal(a.timeout, 9);
	assert_true(a.accept_files);
	assert_string_equal(a.cfg.download_dir, "/d");
	assert_string_equal(a.cfg.data_dir, "/s");
}

static void
cmd_args__parse__p2p_options(void **state)
{
	struct cmd_args a;

	(void)state;
	assert_int_equal(parse(&a, "who --user a --light"), CMD_ARGS_OK);
	assert_true(a.cfg.p2p);
	assert_true(a.cfg.light);
	assert_int_equal(parse(&a, "who --user a --p2p-port 0"), CMD_ARGS_OK);
	assert_true(a.cfg.p2p);
	assert_false(a.cfg.light);
	assert_int_equal(a.cfg.p2p_port, 0);
	assert_int_equal(
	    parse(&a, "who --user a --p2p-port 9000"), CMD_ARGS_OK);
	assert_int_equal(a.cfg.p2p_port, 9000);
}

static void
cmd_args__rejects__option_of_another_command(void **state)
{
	static const struct {
		const char *line, *cmd;
	} cases[] = {
	    {"who --timeout 5 --user a", "who"},
	    {"who --timeout x --user a", "who"}, /* before the value */
	    {"send --count 3 --user a b c", "send"},
	    {"recv --stdin --user a", "recv"},
	    {"sendfile --accept-files --user a b p", "sendfile"},
	    {"echo-bot --dir /d --user a", "echo-bot"},
	    {"who --accept-files --user a", "who"},
	    {"send --raw --user a b c", "send"},
	};
	struct cmd_args a;
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(parse(&a, cases[i].line), CMD_ARGS_BAD);
		snprintf(want, sizeof want, "that option does not go with %s",
		    cases[i].cmd);
		assert_string_equal(err, want);
	}
}

static void
cmd_args__rejects__bad_numbers(void **state)
{
	static const struct {
		const char *line, *err;
	} cases[] = {
	    {"who --port 0 --user a", "--port: 0 is not a port to connect to"},
	    {"who --port 65536 --user a",
	        "--port: '65536' is not a number up to 65535"},
	    {"who --port x --user a",
	        "--port: 'x' is not a number up to 65535"},
	    {"who --port -1 --user a",
	        "--port: '-1' is not a number up to 65535"},
	    {"who --heartbeat 0 --user a", "--heartbeat: at least 1"},
	    {"who --heartbeat 3601 --user a",
	        "--heartbeat: '3601' is not a number up to 3600"},
	    {"recv --count 1x --user a",
	        "--count: '1x' is not a number up to 9223372036854775807"},
	    {"recv --timeout 31536001 --user a",
	        "--timeout: '31536001' is not a number up to 31536000"},
	    {"who --p2p-port 65536 --user a",
	        "--p2p-port: '65536' is not a number up to 65535"},
	};
	struct cmd_args a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(parse(&a, cases[i].line), CMD_ARGS_BAD);
		assert_string_equal(err, cases[i].err);
	}
}

static void
cmd_args__counts__arguments(void **state)
{
	static const struct {
		const char *line;
		enum cmd_args_result r;
	} cases[] = {
	    {"send --user a", CMD_ARGS_USAGE},
	    {"send --user a bob", CMD_ARGS_USAGE},
	    {"send --user a bob hi", CMD_ARGS_OK},
	    {"send --user a --stdin", CMD_ARGS_USAGE},
	    {"send --user a --stdin bob", CMD_ARGS_OK},
	    {"send --user a --stdin bob hi", CMD_ARGS_USAGE},
	    {"sendfile --user a bob", CMD_ARGS_USAGE},
	    {"sendfile --user a bob /p", CMD_ARGS_OK},
	    {"sendfile --user a bob /p /q", CMD_ARGS_USAGE},
	    {"recv --user a x", CMD_ARGS_USAGE},
	    {"who --user a x", CMD_ARGS_USAGE},
	    {"echo-bot --user a x", CMD_ARGS_USAGE},
	    {"echo-bot --user a", CMD_ARGS_OK},
	    /* options go before the command's own arguments */
	    {"who x --user a", CMD_ARGS_BAD},
	};
	struct cmd_args a;
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(parse(&a, cases[i].line), cases[i].r);
		if (cases[i].r != CMD_ARGS_USAGE)
			continue;
		snprintf(want, sizeof want, "%s: wrong arguments", a.cmd->name);
		assert_string_equal(err, want);
	}
}

static void
cmd_args__requires__a_valid_user(void **state)
{
	struct cmd_args a;

	(void)state;
	assert_int_equal(parse(&a, "who"), CMD_ARGS_BAD);
	assert_string_equal(err, "--user NAME is required");
	assert_int_equal(parse(&a, "who --user a/b"), CMD_ARGS_BAD);
	assert_string_equal(
	    err, "'a/b' is not a valid name: 1-32 of A-Z a-z 0-9 _ . -");
	/* the name is checked before the arguments are counted */
	assert_int_equal(parse(&a, "send --user a/b"), CMD_ARGS_BAD);
}

static void
cmd_args__help__where_it_comes(void **state)
{
	struct cmd_args a;

	(void)state;
	assert_int_equal(parse(&a, "send --help"), CMD_ARGS_HELP);
	assert_int_equal(parse(&a, "who --help --port 0"), CMD_ARGS_HELP);
	assert_int_equal(parse(&a, "who --port 0 --help"), CMD_ARGS_BAD);
	assert_int_equal(parse(&a, "who --bogus --help"), CMD_ARGS_USAGE);
	assert_string_equal(err, ""); /* getopt has said it */
	assert_int_equal(parse(&a, "who --user"), CMD_ARGS_USAGE);
}

static void
cmd_args__needs__home_or_data(void **state)
{
	struct cmd_args a;

	(void)state;
	unsetenv("HOME");
	assert_int_equal(parse(&a, "who --user a"), CMD_ARGS_BAD);
	assert_string_equal(err, "no HOME; give --data");
	assert_int_equal(parse(&a, "who --user a --data /x"), CMD_ARGS_OK);
	assert_string_equal(a.cfg.data_dir, "/x");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	assert_int_equal(parse(&a, "who --user a"), CMD_ARGS_OK);
	assert_string_equal(a.cfg.data_dir, "/xdg/termgram/a@127.0.0.1");
}

/* Neither --host nor --port: the relay is to be found on the LAN. */
static void
cmd_args__discover__without_host_or_port(void **state)
{
	struct cmd_args a;

	(void)state;
	assert_int_equal(parse(&a, "send --user a bob hi"), CMD_ARGS_OK);
	assert_true(a.discover);
	assert_int_equal(a.wait_ms, 1000);
	assert_int_equal(
	    parse(&a, "send --user a --host h bob hi"), CMD_ARGS_OK);
	assert_false(a.discover);
	assert_int_equal(
	    parse(&a, "send --user a --port 7000 bob hi"), CMD_ARGS_OK);
	assert_false(a.discover); /* --port alone: 127.0.0.1, as before */
	assert_string_equal(a.cfg.host, "127.0.0.1");
	assert_int_equal(parse(&a, "who --user a --wait 250"), CMD_ARGS_OK);
	assert_int_equal(a.wait_ms, 250);
	assert_int_equal(parse(&a, "who --user a --wait 60001"), CMD_ARGS_BAD);
	/* discover needs no name; the others still do. */
	assert_int_equal(parse(&a, "discover --wait 10"), CMD_ARGS_OK);
	assert_null(a.cfg.user);
	assert_null(a.cfg.data_dir);
	assert_int_equal(parse(&a, "who"), CMD_ARGS_BAD);
	assert_int_equal(parse(&a, "discover bob"), CMD_ARGS_USAGE);
}

/*
 * Parse a whole command line, program name first, as termgram's main
 * does: the command word found wherever the global options leave it.
 */
static enum cmd_args_result
parse_whole(struct cmd_args *a, const char *line)
{
	const struct cmd_entry *cmd;
	int argc = split("termgram ", line);

	cmd = cmd_find_argv(argc, line_argv);
	if (cmd == NULL)
		return CMD_ARGS_BAD;
	return cmd_args_parse(a, cmd, argc - 1, line_argv + 1, err, sizeof err);
}

/* The global options go before or after the command word, alike. */
static void
cmd_args__global_options__before_or_after_the_command(void **state)
{
	static const char *const lines[] = {
	    "--host h.lan --port 7800 --user a --data /d send --timeout 5 bob "
	    "hi there",
	    "send --host h.lan --port 7800 --user a --data /d --timeout 5 bob "
	    "hi there",
	    "--host=h.lan --port 7800 send --user=a --data /d --timeout 5 bob "
	    "hi there",
	    "--user a --replace --tls off --host h.lan --port=7800 --data /d "
	    "send --timeout=5 bob hi there",
	};
	struct cmd_args a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		assert_int_equal(parse_whole(&a, lines[i]), CMD_ARGS_OK);
		assert_string_equal(a.cmd->name, "send");
		assert_string_equal(a.cfg.host, "h.lan");
		assert_int_equal(a.cfg.port, 7800);
		assert_string_equal(a.cfg.user, "a");
		assert_string_equal(a.cfg.data_dir, "/d");
		assert_int_equal(a.timeout, 5);
		assert_int_equal(a.argc, 3);
		assert_string_equal(a.argv[0], "bob");
		assert_string_equal(a.argv[2], "there");
	}
	assert_true(a.replace);
	assert_false(a.cfg.keep);
	assert_int_equal(
	    parse_whole(&a, "--user a --data /d who"), CMD_ARGS_OK);
	assert_string_equal(a.cmd->name, "who");
	assert_true(a.cfg.keep); /* without --replace, never take over */
	/* No command word: the full-screen client's line, left as it is. */
	assert_int_equal(
	    parse_whole(&a, "--host h.lan --user a"), CMD_ARGS_BAD);
	assert_int_equal(parse_whole(&a, "--bogus send bob hi"), CMD_ARGS_BAD);
	assert_int_equal(parse_whole(&a, "--user a bob send"), CMD_ARGS_BAD);
	assert_int_equal(cmd_args_command_at(
	                     3, (char *[]){"termgram", "--host", "send", NULL}),
	    -1);
}

/* termgram room: the options go before the request, its own words
 * after; the request is checked before any relay is asked. */
static void
cmd_room__checks__its_request(void **state)
{
	static const char *const good[] = {"create #team",
	    "create #team --invite-only", "join #Team.x", "leave #t", "list",
	    "invite #t bob", "kick #t bob", "kick #t bob for spam",
	    "ban #t bob", "unban #t bob", "admin #t bob", "unadmin #t bob",
	    "topic #t new topic", "members #t", "receipts #t 12",
	    "receipts #t"};
	static const char *const bad[] = {"", "create", "create team",
	    "create #team --open", "join #", "join #a/b", "list #t",
	    "invite #t", "invite #t bob carol", "members #t x",
	    "receipts #t 1 2", "fly #t",
	    "join #123456789012345678901234567890123"};
	struct cmd_args a;
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		argc = split("", good[i]);
		if (cmd_room_check(argc, line_argv) != 0)
			fail_msg("refused: '%s'", good[i]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		argc = split("", bad[i]);
		if (cmd_room_check(argc, line_argv) == 0)
			fail_msg("taken: '%s'", bad[i]);
	}
	/* --invite-only after the request is the request's, not an option;
	 * the common options before it still are. */
	assert_int_equal(parse(&a,
	                     "room --user alice --port 1 create #t "
	                     "--invite-only"),
	    CMD_ARGS_OK);
	assert_int_equal(a.argc, 3);
	assert_string_equal(a.argv[2], "--invite-only");
	assert_string_equal(a.cfg.user, "alice");
	assert_int_equal(
	    parse(&a, "room --user alice --port 1"), CMD_ARGS_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cmd_find__finds__every_command),
	    cmocka_unit_test(cmd_find__rejects__other_words),
	    cmocka_unit_test(cmd_args__discover__without_host_or_port),
	    cmocka_unit_test_setup(cmd_room__checks__its_request, setup),
	    cmocka_unit_test_setup(
	        cmd_args__parse__send_with_common_options, setup),
	    cmocka_unit_test_setup(
	        cmd_args__parse__defaults_and_overrides, setup),
	    cmocka_unit_test_setup(cmd_args__parse__p2p_options, setup),
	    cmocka_unit_test_setup(
	        cmd_args__rejects__option_of_another_command, setup),
	    cmocka_unit_test_setup(cmd_args__rejects__bad_numbers, setup),
	    cmocka_unit_test_setup(cmd_args__counts__arguments, setup),
	    cmocka_unit_test_setup(cmd_args__requires__a_valid_user, setup),
	    cmocka_unit_test_setup(cmd_args__help__where_it_comes, setup),
	    cmocka_unit_test_setup(cmd_args__needs__home_or_data, setup),
	    cmocka_unit_test_setup(
	        cmd_args__global_options__before_or_after_the_command, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
