/* SPDX-License-Identifier: MIT */
/*
 * Error codes of the wire protocol, one to one with PROTOCOL.md section 7,
 * plus PROTO_ERR_NONE for success and PROTO_ERR_UNKNOWN for a code in a
 * received ERR that section 7 does not list (never sent).
 */
#ifndef PROTO_ERR_H
#define PROTO_ERR_H

#include <stdbool.h>
#include <stddef.h>

enum proto_err {
	PROTO_ERR_NONE = 0,
	PROTO_ERR_BAD_FRAME,
	PROTO_ERR_BAD_VERB,
	PROTO_ERR_BAD_FIELD,
	PROTO_ERR_BAD_BASE64,
	PROTO_ERR_BAD_UTF8,
	PROTO_ERR_TOO_LONG,
	PROTO_ERR_NOT_LOGGED_IN,
	PROTO_ERR_BAD_NAME,
	PROTO_ERR_NAME_IN_USE,
	PROTO_ERR_AUTH_FAILED,
	PROTO_ERR_FORBIDDEN,
	PROTO_ERR_NO_SUCH_USER,
	PROTO_ERR_OFFLINE,
	PROTO_ERR_RATE_LIMIT,
	PROTO_ERR_QUOTA,
	PROTO_ERR_INTERNAL,
	PROTO_ERR_NO_SUCH_ROOM,
	PROTO_ERR_UNKNOWN,
	PROTO_ERR_COUNT
};

bool proto_err_is_wire(enum proto_err);
const char *proto_err_name(enum proto_err);
int proto_err_from_name(const char *, size_t, enum proto_err *);

#endif
