/* SPDX-License-Identifier: MIT */
/*
 * The headless commands of termgram (send, recv, who, sendfile, echo-bot):
 * one table says what each is called, which options it takes beyond the
 * common ones, how many arguments and which handler runs it.
 */
#ifndef CMD_CMD_H
#define CMD_CMD_H

struct cmd_args;

/* The options only some commands take; the rest go with every command. */
#define CMD_OPT_COUNT 0x01 /* --count N */
#define CMD_OPT_TIMEOUT 0x02 /* --timeout S */
#define CMD_OPT_STDIN 0x04 /* --stdin */
#define CMD_OPT_ACCEPT 0x08 /* --accept-files */
#define CMD_OPT_DIR 0x10 /* --dir DIR */
#define CMD_OPT_RAW 0x20 /* --raw */
#define CMD_OPT_NOUSER 0x40 /* --user may be left out */

/* One row of the table. */
struct cmd_entry {
	const char *name;
	int (*run)(const struct cmd_args *); /* returns the exit status */
	unsigned opts; /* CMD_OPT_* */
	int min_args; /* its own arguments, after the options */
	int max_args; /* -1: no limit */
	unsigned long timeout; /* seconds without --timeout; 0: none */
};

const struct cmd_entry *cmd_find(const char *);
const struct cmd_entry *cmd_find_argv(int, char **);
int cmd_main(const struct cmd_entry *, int, char **);

#endif
