/* SPDX-License-Identifier: MIT */
/* The full-screen client's command line: its options, then the TUI. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/main.h"
#include "ui/tui.h"

static const char usage[] =
    "usage: termgram [-h|--help] [--host H] [--port P] [--user NAME] [--data "
    "DIR]\n"
    "                [--p2p] [--p2p-port P] [--light] [--tls on|off]\n"
    "       termgram send|recv|who|sendfile|room|devices|trust|discover|"
    "echo-bot\n"
    "                [OPTIONS] ...\n"
    "\n"
    "Without a command, the full-screen client. Without --user (or user in\n"
    "the config file, ~/.config/termgram/config) it asks who you are.\n"
    "The password comes from TERMGRAM_PASSWORD or the login form.\n"
    "Without --host and --port (or host and port in the config file) the\n"
    "login form lists the relays that answer on the LAN, to choose from.\n"
    "--p2p sends messages and files straight to peers who take them, by the\n"
    "relay when they cannot (docs/p2p.md); --p2p-port sets where peers\n"
    "reach you (default: any free port); --light also lets the relay\n"
    "connection go while idle (UDP ALIVE keeps you online).\n"
    "At the first connection to a relay it shows the relay's key and asks\n"
    "whether to trust it (compare it with `termgramd --fingerprint` on the\n"
    "relay); --tls off speaks plaintext to a relay run with --tls off.\n"
    "'termgram send --help' explains the headless commands.\n";

/* Read a port 1-65535 for option opt, or say why not. */
static int
ui_main_port(const char *opt, const char *s, unsigned *out)
{
	char *end;
	long port;

	errno = 0;
	port = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "termgram: %s: '%s' is not a port 1-65535\n",
		    opt, s);
		return -1;
	}
	*out = (unsigned)port;
	return 0;
}

/*
 * The termgram program without a headless command: options, then the
 * full-screen client. Returns the exit status.
 */
int
ui_main_run(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'o'},
	    {"port", required_argument, NULL, 'p'},
	    {"user", required_argument, NULL, 'u'},
	    {"data", required_argument, NULL, 'd'},
	    {"p2p", no_argument, NULL, 'P'},
	    {"p2p-port", required_argument, NULL, 'Q'},
	    {"light", no_argument, NULL, 'L'}, {"help", no_argument, NULL, 'H'},
	    {"tls", required_argument, NULL, 'T'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	struct ui_options o;
	int ch;

	memset(&o, 0, sizeof o);
	o.tls = -1;
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.host = optarg;
			break;
		case 'p':
			if (ui_main_port("--port", optarg, &o.port) != 0)
				return 2;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'd':
			o.data_dir = optarg;
			break;
		case 'P':
			o.p2p = true;
			break;
		case 'L':
			o.p2p = true;
			o.light = true;
			break;
		case 'Q':
			if (ui_main_port("--p2p-port", optarg, &o.p2p_port) !=
			    0)
				return 2;
			o.p2p = true;
			break;
		case 'T':
			if (strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0) {
				fprintf(stderr,
				    "termgram: --tls: '%s' is not on or off\n",
				    optarg);
				return 2;
			}
			o.tls = strcmp(optarg, "on") == 0;
			break;
		case 'h':
		case 'H':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("termgram %s (protocol 1)\n", TERMGRAM_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(
		    stderr, "termgram: unknown command '%s'\n", argv[optind]);
		fputs(usage, stderr);
		return 2;
	}
	return ui_tui_main(&o);
}
