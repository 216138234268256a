/* SPDX-License-Identifier: MIT */
/* termgramd before its relay runs: data folder, open files, fingerprint. */
#ifndef SERVER_STARTUP_H
#define SERVER_STARTUP_H

#include <stdbool.h>
#include <stddef.h>

struct server_config;

int server_startup_data_dir(char *, size_t);
void server_startup_fit_sessions(struct server_config *, bool);
int server_startup_fingerprint(const struct server_config *);

#endif
