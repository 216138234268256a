/* SPDX-License-Identifier: MIT */
/*
 * A headless command's command line: the options (getopt) checked against
 * what the command takes, its arguments counted, the user's name checked
 * and the defaults filled in. Prints nothing: the caller says what failed.
 */
#ifndef CMD_ARGS_H
#define CMD_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "client/session.h"

struct cmd_entry;

enum cmd_args_result {
	CMD_ARGS_OK, /* run the command */
	CMD_ARGS_HELP, /* --help: the usage on standard output, exit 0 */
	CMD_ARGS_BAD, /* the error text, exit 2 */
	CMD_ARGS_USAGE /* the error text if any, then the usage, exit 2 */
};

struct cmd_args {
	const struct cmd_entry *cmd;
	struct client_config cfg; /* data_dir may point into data */
	char data[PATH_MAX];
	unsigned long count; /* recv: stop after these; 0: never */
	unsigned long timeout; /* seconds; 0: none */
	bool use_stdin; /* send: a message per line of standard input */
	bool accept_files; /* recv: take every file offered */
	bool raw; /* recv: bodies without terminal escapes */
	bool replace; /* take the name over from the full-screen client */
	bool discover; /* neither --host nor --port: find the relay */
	unsigned wait_ms; /* how long discovery waits for answers */
	char host[64]; /* the relay discovery chose, cfg.host then */
	int argc; /* the command's own arguments */
	char **argv;
};

enum cmd_args_result cmd_args_parse(
    struct cmd_args *, const struct cmd_entry *, int, char **, char *, size_t);
int cmd_args_command_at(int, char **);

#endif
