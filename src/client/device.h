/* SPDX-License-Identifier: MIT */
/*
 * This data folder's device id (docs/protocol.md "Several devices per
 * account"): made once, kept in the file device-id.
 */
#ifndef CLIENT_DEVICE_H
#define CLIENT_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#define CLIENT_DEVICE_ID_FILE "device-id"
#define CLIENT_DEVICE_ID_LEN 32 /* hex digits */

int client_device_id(const char *, char *, char *, size_t);

#endif
