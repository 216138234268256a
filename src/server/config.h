/* SPDX-License-Identifier: MIT */
/*
 * The relay's configuration file: "key = value" lines, blank lines and
 * lines starting with '#'. What each key means is the caller's (main.c's
 * option table): this module reads the lines and keeps the values.
 */
#ifndef SERVER_CONFIG_H
#define SERVER_CONFIG_H

#include <stddef.h>

struct server_conffile;

/*
 * Called for each setting, in file order: 0, or -1 with a message in err
 * (without the file, line or key: the reader adds them).
 */
typedef int (*server_conffile_cb)(
    const char *key, const char *value, void *arg, char *err, size_t errlen);

struct server_conffile *server_conffile_read(
    const char *, server_conffile_cb, void *, char *, size_t);
void server_conffile_free(struct server_conffile *);

#endif
