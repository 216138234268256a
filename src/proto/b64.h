/* SPDX-License-Identifier: MIT */
/*
 * Base64 as the wire uses it: RFC 4648 standard alphabet, '=' padding, no
 * line breaks. Encoding and decoding go through libb64; the canonical-form
 * check runs first, because libb64 silently skips characters it does not
 * know.
 */
#ifndef PROTO_B64_H
#define PROTO_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the encoding of n bytes. */
#define PROTO_B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Most bytes that len characters of base64 can decode to. */
#define PROTO_B64_DECODED_MAX(len) (((len) / 4) * 3)

size_t proto_b64_encode(const void *, size_t, char *);
int proto_b64_check(const char *, size_t, size_t *);
int proto_b64_check_ascii(const char *, size_t, size_t *, bool *);
int proto_b64_decode(const char *, size_t, void *, size_t, size_t *);

#endif
