/* SPDX-License-Identifier: MIT */
/* The table of headless commands, and running one. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/run.h"

static const struct cmd_entry cmd_table[] = {
    {"send", cmd_send_main, CMD_OPT_TIMEOUT | CMD_OPT_STDIN, 2, -1, 30},
    {"recv", cmd_recv_main,
        CMD_OPT_COUNT | CMD_OPT_TIMEOUT | CMD_OPT_ACCEPT | CMD_OPT_DIR |
            CMD_OPT_RAW,
        0, 0, 0},
    {"who", cmd_who_main, 0, 0, 0, 0},
    {"sendfile", cmd_sendfile_main, CMD_OPT_TIMEOUT, 2, 2, 0},
    {"echo-bot", cmd_echo_main, CMD_OPT_TIMEOUT, 0, 0, 0},
    {"trust", cmd_trust_main, 0, 2, 2, 0},
    {"devices", cmd_devices_main, CMD_OPT_TIMEOUT, 1, 2, 30},
    {"discover", cmd_discover_main, CMD_OPT_NOUSER, 0, 0, 0},
    {"room", cmd_room_main, CMD_OPT_TIMEOUT, 1, -1, 30},
};

/*
 * One text for every command: its lines interleave them (recv's file
 * mode comes after sendfile), so it is kept whole rather than assembled
 * from the table.
 */
static const char cmd_usage[] =
    "usage: termgram send [OPTIONS] [--stdin] [--timeout S] TO [TEXT...]\n"
    "       termgram recv [OPTIONS] [--count N] [--timeout S] [--raw]\n"
    "       termgram sendfile [OPTIONS] [--timeout S] TO PATH\n"
    "       termgram recv [OPTIONS] --accept-files [--dir DIR] ...\n"
    "       termgram who  [OPTIONS]\n"
    "       termgram echo-bot [OPTIONS]\n"
    "       termgram trust [OPTIONS] HOST[:PORT] FINGERPRINT\n"
    "       termgram devices [OPTIONS] pin|unpin|list|active|add FP|\n"
    "                remove FP|drop DEVICE\n"
    "       termgram discover [--port P] [--wait MS] [--user NAME]\n"
    "       termgram room [OPTIONS] create #ROOM [--invite-only]|join #ROOM|\n"
    "                leave #ROOM|invite #ROOM NAME|kick #ROOM NAME [REASON]|\n"
    "                ban #ROOM NAME|unban #ROOM NAME|admin #ROOM NAME|\n"
    "                unadmin #ROOM NAME|topic #ROOM TEXT|members #ROOM|\n"
    "                list|receipts #ROOM [SEQ]\n"
    "\n"
    "OPTIONS (any order, before or after the command's name, before its\n"
    "own arguments):\n"
    "  --host H     the relay. Without --host and --port the command\n"
    "               asks the LAN (as discover does) and uses the only\n"
    "               relay that answers; with --port alone, 127.0.0.1\n"
    "  --port P     its port (default 7733)\n"
    "  --wait MS    how long to wait for relays' answers (default 1000)\n"
    "  --user NAME  who you are (required)\n"
    "  --data DIR   your local store (default\n"
    "               $XDG_DATA_HOME/termgram/NAME@HOST)\n"
    "  --p2p        P2P mode: messages and files go straight to peers who\n"
    "               take them, by the relay when they cannot (docs/p2p.md)\n"
    "  --p2p-port P where peers reach you in P2P mode (default: any)\n"
    "  --light      P2P light: no relay connection while idle; UDP ALIVE\n"
    "               keeps you online (implies --p2p)\n"
    "  --heartbeat S  heartbeat interval (default 15); ALIVE goes at this\n"
    "               or the relay's, whichever is shorter\n"
    "  --tls on|off TLS with the relay (default on); off only for a relay\n"
    "               run with --tls off on loopback\n"
    "  --replace    take the name over from a session online (the\n"
    "               full-screen client with this data folder, or one\n"
    "               elsewhere, with the password): it is replaced. Without\n"
    "               it the command refuses at once and keeps nothing\n"
    "  --strict     refuse a relay whose key was not pinned with\n"
    "               `termgram trust` (default: pin it at the first\n"
    "               connection and say so on stderr)\n"
    "The password comes from TERMGRAM_PASSWORD (unset or empty: an open\n"
    "name).\n"
    "\n"
    "send   sends TEXT (or, with --stdin, every line of standard input as\n"
    "       its own message) and waits until each is safe: stored by the\n"
    "       relay or delivered. Exit 0 when all are; 1 otherwise (what was\n"
    "       not confirmed stays in the outbox and goes with the next\n"
    "       connection).\n"
    "recv   prints each new message as TS<TAB>FROM<TAB>TEXT, one line each\n"
    "       (\\n, \\t, \\r, \\0 and \\\\ escaped), and confirms it once\n"
    "       stored; stops after N messages (exit 1 if the timeout comes\n"
    "       first) or S seconds. What could drive the terminal (control\n"
    "       characters as \\x1b, C1 and bidi controls as \\u202e, bytes\n"
    "       that are not UTF-8 as \\xff) is shown escaped, here and in\n"
    "       every command's messages; --raw passes it through in TEXT,\n"
    "       keeping only the line escapes. A message you sent from\n"
    "       another device of yours comes as SENT<TAB>TS<TAB>TO<TAB>TEXT\n"
    "       (not counted by --count). A message to a room comes as\n"
    "       ROOM<TAB>TS<TAB>#ROOM<TAB>FROM<TAB>TEXT (counted), an event of\n"
    "       a room (create, join, leave, invite, kick, ban, unban, admin,\n"
    "       unadmin, topic) as EVENT<TAB>TS<TAB>#ROOM<TAB>ACTOR<TAB>KIND<TAB>\n"
    "       TARGET<TAB>TEXT (TARGET - for none; TEXT a kick's reason or the\n"
    "       topic; not counted).\n"
    "who    prints the contact list: NAME<TAB>online|offline<TAB>LAST-SEEN\n"
    "       (milliseconds since the epoch).\n"
    "sendfile  offers PATH to TO and sends it once accepted, with progress\n"
    "       on stderr; exit 0 when the receiver has verified it (SHA-256)\n"
    "       and saved it, 1 if it was refused, cancelled or failed.\n"
    "recv --accept-files  also accepts every file offered, into --dir DIR\n"
    "       (default $XDG_DOWNLOAD_DIR/termgram or ~/Downloads/termgram),\n"
    "       and prints FILE<TAB>FROM<TAB>PATH<TAB>SIZE when one is saved;\n"
    "       --count counts files too. Offers over --max-file-size SIZE\n"
    "       (default 4G; K, M, G, T; 0: no limit) or over the folder's free\n"
    "       space are refused, with the reason sent to the sender; a\n"
    "       partial file not written for --part-max-age S seconds (default\n"
    "       604800, a week; 0: never) is removed.\n"
    "echo-bot  answers every message with the same text in upper case,\n"
    "       until interrupted.\n"
    "trust  pins FINGERPRINT (as `termgramd --fingerprint` prints it) for\n"
    "       the relay at HOST:PORT (default port 7733) in known_relays of\n"
    "       the data folder, replacing a key pinned before.\n"
    "devices  the device keys the relay accepts for your owned name (over\n"
    "       TLS): pin this device, unpin all (the password alone logs in\n"
    "       again), list them, add or remove one by FP (as a device shows\n"
    "       it, or 64 hex digits). Once pinned, only a pinned device may\n"
    "       log in or change the pins. active lists the devices that\n"
    "       logged in as you (any mode): DEVICE ADDED LAST-SEEN\n"
    "       online|offline BEHIND, one a line; drop DEVICE removes one\n"
    "       (its sessions end, it must log in again as a new device).\n"
    "room   one request about rooms (#ROOM: # and 1-32 of A-Z a-z 0-9\n"
    "       _ . -), exit 0 when the relay did it, 1 with its reason if\n"
    "       not. create (open, or --invite-only), join, leave, invite,\n"
    "       kick, ban, unban, admin, unadmin and topic print the room's\n"
    "       state after it, as list prints every room you may join or are\n"
    "       in: #ROOM<TAB>open|invite<TAB>MEMBERS<TAB>ROLE<TAB>TOPIC.\n"
    "       members prints NAME<TAB>ROLE<TAB>online|offline; receipts\n"
    "       prints NAME<TAB>none|delivered|read per member for message SEQ\n"
    "       (its number in the room), then\n"
    "       RECEIPTS<TAB>SEQ<TAB>MEMBERS<TAB>DELIVERED<TAB>READ. To write\n"
    "       to a room: termgram send '#ROOM' TEXT.\n"
    "discover  broadcasts DISCOVER on UDP port P (default 7733) on each\n"
    "       IPv4 interface, waits MS ms and prints each relay that\n"
    "       answered: NAME<TAB>ADDR:PORT<TAB>FINGERPRINT<TAB>TRUST, the\n"
    "       fingerprint as `termgramd --fingerprint` prints it (- without\n"
    "       TLS), TRUST pinned, new, changed (pinned with another key:\n"
    "       beware), - (no --user to look in) or no-tls. Exit 1 if none\n"
    "       answered.\n";

/* The command of this name, or NULL. */
const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}

/*
 * The headless command a whole command line (argv[0] the program) names,
 * after options or not; its word is moved to argv[1], so that the
 * options before it come after it, where cmd_args_parse reads them.
 * NULL: no command, the full-screen client.
 */
const struct cmd_entry *
cmd_find_argv(int argc, char **argv)
{
	int at = cmd_args_command_at(argc, argv);
	char *word;

	if (at < 1)
		return NULL;
	word = argv[at];
	memmove(argv + 2, argv + 1, (size_t)(at - 1) * sizeof *argv);
	argv[1] = word;
	return cmd_find(word);
}

/* Run a headless command; argv[0] is its name. Returns the exit status. */
int
cmd_main(const struct cmd_entry *cmd, int argc, char **argv)
{
	struct cmd_args a;
	char err[512];

	switch (cmd_args_parse(&a, cmd, argc, argv, err, sizeof err)) {
	case CMD_ARGS_OK:
		break;
	case CMD_ARGS_HELP:
		fputs(cmd_usage, stdout);
		return 0;
	case CMD_ARGS_BAD:
		cmd_run_warn("%s", err);
		return 2;
	case CMD_ARGS_USAGE:
		if (err[0] != '\0')
			cmd_run_warn("%s", err);
		fputs(cmd_usage, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_CTYPE, "");
	/* trust and discover need no relay to talk to. */
	if (a.discover && cmd->run != cmd_trust_main &&
	    cmd->run != cmd_discover_main) {
		int rc = cmd_discover_pick(&a);

		if (rc != 0)
			return rc;
	}
	return cmd->run(&a);
}
