/* SPDX-License-Identifier: MIT */
/*
 * termgram: the client program. A headless command if the first argument
 * names one (cmd/), else the full-screen client (ui/). The two front ends
 * sit side by side over client/ and neither knows the other; this file is
 * the only one that sees both.
 */
#include <stddef.h>

#include "cmd/cmd.h"
#include "ui/main.h"

int
main(int argc, char **argv)
{
	const struct cmd_entry *cmd;

	if ((cmd = cmd_find_argv(argc, argv)) != NULL)
		return cmd_main(cmd, argc - 1, argv + 1);
	return ui_main_run(argc, argv);
}
