/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "proto/err.h"

static const char *const proto_err_names[PROTO_ERR_COUNT] = {
    [PROTO_ERR_NONE] = "NONE",
    [PROTO_ERR_BAD_FRAME] = "BAD_FRAME",
    [PROTO_ERR_BAD_VERB] = "BAD_VERB",
    [PROTO_ERR_BAD_FIELD] = "BAD_FIELD",
    [PROTO_ERR_BAD_BASE64] = "BAD_BASE64",
    [PROTO_ERR_BAD_UTF8] = "BAD_UTF8",
    [PROTO_ERR_TOO_LONG] = "TOO_LONG",
    [PROTO_ERR_NOT_LOGGED_IN] = "NOT_LOGGED_IN",
    [PROTO_ERR_BAD_NAME] = "BAD_NAME",
    [PROTO_ERR_NAME_IN_USE] = "NAME_IN_USE",
    [PROTO_ERR_AUTH_FAILED] = "AUTH_FAILED",
    [PROTO_ERR_FORBIDDEN] = "FORBIDDEN",
    [PROTO_ERR_NO_SUCH_USER] = "NO_SUCH_USER",
    [PROTO_ERR_OFFLINE] = "OFFLINE",
    [PROTO_ERR_RATE_LIMIT] = "RATE_LIMIT",
    [PROTO_ERR_QUOTA] = "QUOTA",
    [PROTO_ERR_INTERNAL] = "INTERNAL",
    [PROTO_ERR_NO_SUCH_ROOM] = "NO_SUCH_ROOM",
    [PROTO_ERR_UNKNOWN] = "UNKNOWN",
};

/* Whether a code is one of section 7, so it may be sent in an ERR. */
bool
proto_err_is_wire(enum proto_err e)
{
	return e > PROTO_ERR_NONE && e < PROTO_ERR_UNKNOWN;
}

/* Return the wire name of an error code ("BAD_FIELD"). */
const char *
proto_err_name(enum proto_err e)
{
	if ((unsigned)e >= PROTO_ERR_COUNT)
		return "INTERNAL";
	return proto_err_names[e];
}

/* Map a wire name back to its code; -1 if the name is not one of section 7. */
int
proto_err_from_name(const char *s, size_t len, enum proto_err *out)
{
	int i;

	for (i = 1; i < PROTO_ERR_UNKNOWN; i++) {
		if (strlen(proto_err_names[i]) == len &&
		    memcmp(proto_err_names[i], s, len) == 0) {
			*out = (enum proto_err)i;
			return 0;
		}
	}
	return -1;
}
