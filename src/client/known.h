/* SPDX-License-Identifier: MIT */
/*
 * The relays whose keys this client has pinned, like SSH's known_hosts:
 * the file known_relays in the data folder, one line per relay,
 * "HOST:PORT FINGERPRINT" (the fingerprint in the people's form), with
 * '#' comments and blank lines. Changes rewrite it whole through a
 * temporary file and rename(), mode 0600.
 */
#ifndef CLIENT_KNOWN_H
#define CLIENT_KNOWN_H

#include <stddef.h>

#define CLIENT_KNOWN_FILE "known_relays"

void client_known_hostport(const char *, unsigned, char *, size_t);
int client_known_find(
    const char *, const char *, unsigned char *, char *, size_t);
int client_known_set(
    const char *, const char *, const unsigned char *, char *, size_t);

#endif
