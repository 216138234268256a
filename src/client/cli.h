/* The headless sub-commands of termgram: send, recv, who. */
#ifndef CLIENT_CLI_H
#define CLIENT_CLI_H

int client_cli_main(int, char **);

#endif
