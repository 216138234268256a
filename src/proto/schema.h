/* SPDX-License-Identifier: MIT */
/*
 * The schema of every verb (PROTOCOL.md): the shapes its fields may take,
 * which field a refusal names and what the frame costs a rate limit.
 * Private to proto/: frame.c checks frames against it, schema.c answers
 * questions about verbs and decoded frames from it.
 */
#ifndef PROTO_SCHEMA_H
#define PROTO_SCHEMA_H

#include <stddef.h>

#include "proto/frame.h"

/* What a field may hold (PROTOCOL.md section 1, "Field kinds"). */
enum proto_kind {
	K_NAME = 1, /* 1-32 of A-Z a-z 0-9 _ . - */
	K_ID, /* 1-64 of A-Z a-z 0-9 _ - (ids, xfers, tokens) */
	K_INT, /* unsigned decimal, no leading zeros, 64 bits */
	K_PORT, /* K_INT up to 65535 */
	K_HEX64, /* 64 hexadecimal digits */
	K_B64, /* canonical base64 of bytes, decoded size <= max */
	K_TEXT, /* K_B64 whose bytes are valid UTF-8 */
	K_WORD, /* 1-128 printable characters */
	K_CODE, /* an error code: 1-32 of A-Z _ */
	K_REF, /* id, xfer or name that an ERR is about, or "-" */
	K_ENUM, /* one of a fixed list of words */
	K_IP, /* dotted IPv4 or bracketed IPv6 */
	K_ADDR, /* K_IP:K_PORT */
	K_PAD, /* 1 or more '-' */
	K_DEVICE, /* "-", 64 hexadecimal digits, or '@' and a K_ID */
	K_ROOM, /* '#' and a K_NAME */
	K_DEST, /* K_NAME or K_ROOM (MSG and TYPING to) */
	K_TARGET /* K_NAME or "-" (REVENT target) */
};

struct proto_field {
	enum proto_kind kind;
	const char *what;
	size_t max; /* decoded bytes, for K_B64/K_TEXT */
	const char *const *words; /* for K_ENUM */
};

struct proto_shape {
	size_t nargs;
	struct proto_field f[PROTO_MAX_ARGS];
};

#define PROTO_MAX_SHAPES 4

struct proto_schema {
	const char *name;
	int ref; /* index of the id/xfer arg, or -1 */
	unsigned cost; /* rate-limit tokens a frame takes (proto_verb_cost) */
	struct proto_shape shape[PROTO_MAX_SHAPES];
};

extern const struct proto_schema proto_schemas[PROTO_V_COUNT];

#endif
