/* SPDX-License-Identifier: MIT */
/*
 * `termgramd admin`: users, passwords, locks, STATS and backups, on a
 * running relay through its admin.sock or on a stopped relay's data
 * folder (admin_cmd.c); the relay's side of the socket is admin.c.
 */
#ifndef SERVER_ADMIN_H
#define SERVER_ADMIN_H

#include <stddef.h>

struct server_config;

int server_admin_main(const struct server_config *, int, char **);
int server_admin_lock(const char *, char *, size_t);
void server_admin_locked_user(void *, const char *);

#endif
