/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequences.
 */
#ifndef PROTO_UTF8_H
#define PROTO_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool proto_utf8_is_valid(const void *, size_t);

#endif
