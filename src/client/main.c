/* termgram: the client program. */
#include <stdio.h>
#include <string.h>

#include "client/cli.h"
#include "proto/frame.h"

static const char usage[] =
    "usage: termgram send|recv|who [OPTIONS] ...   (termgram send --help)\n";

int
main(int argc, char **argv)
{
	if (argc >= 2 &&
	    (strcmp(argv[1], "send") == 0 || strcmp(argv[1], "recv") == 0 ||
	        strcmp(argv[1], "who") == 0))
		return client_cli_main(argc - 1, argv + 1);
	if (argc >= 2 &&
	    (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("termgram %s (protocol %d)\n", TERMGRAM_VERSION,
		    PROTO_VERSION);
		return 0;
	}
	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}
