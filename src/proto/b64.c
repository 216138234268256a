/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <b64/cdecode.h>
#include <b64/cencode.h>

#include "proto/b64.h"

/*
 * libb64 breaks its output every 72 characters (18 groups) and ends it with
 * a newline. Full chunks of 16 groups are encoded with a fresh state each, so
 * they never reach a break and go straight to the output; only the tail goes
 * through a scratch buffer whose newline is dropped.
 */
#define B64_CHUNK 48

/* Encode n bytes to out (PROTO_B64_ENCODED_LEN(n) bytes); return its length. */
size_t
proto_b64_encode(const void *in, size_t n, char *out)
{
	const char *p = in;
	char tail[16];
	base64_encodestate st;
	size_t done = 0, o = 0;
	int k, i;

	while (n - done >= B64_CHUNK) {
		base64_init_encodestate(&st);
		o += (size_t)base64_encode_block(
		    p + done, B64_CHUNK, out + o, &st);
		done += B64_CHUNK;
	}
	if (done == n)
		return o;

	base64_init_encodestate(&st);
	k = base64_encode_block(p + done, (int)(n - done), out + o, &st);
	o += (size_t)k;
	k = base64_encode_blockend(tail, &st);
	for (i = 0; i < k; i++) {
		if (tail[i] != '\n')
			out[o++] = tail[i];
	}
	return o;
}

/* Sextet of each byte in the standard alphabet, -1 elsewhere. */
static const signed char b64_sextet[256] = {
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    62,
    -1,
    -1,
    -1,
    63,
    52,
    53,
    54,
    55,
    56,
    57,
    58,
    59,
    60,
    61,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    26,
    27,
    28,
    29,
    30,
    31,
    32,
    33,
    34,
    35,
    36,
    37,
    38,
    39,
    40,
    41,
    42,
    43,
    44,
    45,
    46,
    47,
    48,
    49,
    50,
    51,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
};

static int
b64_value(unsigned char c)
{
	return b64_sextet[c];
}

/*
 * Check that s is canonical base64: a multiple of 4 long, only the standard
 * alphabet, '=' only as one or two final pad characters, and zero bits where
 * the last character carries more than the data needs (RFC 4648 3.5). On
 * success store the decoded length.
 */
int
proto_b64_check(const char *s, size_t len, size_t *decoded)
{
	return proto_b64_check_ascii(s, len, decoded, NULL);
}

/*
 * proto_b64_check, and also tell (in *ascii, if given) whether every
 * decoded byte is below 0x80, from the sextets alone: the top bit of the
 * three bytes of a group is bit 5 of the first sextet, bit 3 of the
 * second and bit 1 of the third. ASCII text is valid UTF-8 without being
 * decoded at all.
 */
int
proto_b64_check_ascii(const char *s, size_t len, size_t *decoded, bool *ascii)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, pad = 0;
	int v, high = 0;

	if (len % 4 != 0)
		return -1;
	if (len == 0) {
		if (decoded != NULL)
			*decoded = 0;
		if (ascii != NULL)
			*ascii = true;
		return 0;
	}
	if (u[len - 1] == '=') {
		pad = 1;
		if (u[len - 2] == '=')
			pad = 2;
	}
	/* Whole groups of four, then what stands before the padding. */
	for (i = 0; i + 4 <= len - pad; i += 4) {
		int a = b64_sextet[u[i]], b = b64_sextet[u[i + 1]];
		int c = b64_sextet[u[i + 2]], d = b64_sextet[u[i + 3]];
		if ((a | b | c | d) < 0)
			return -1;
		high |= (a & 0x20) | (b & 0x08) | (c & 0x02);
	}
	for (; i < len - pad; i++) {
		v = b64_sextet[u[i]];
		if (v < 0)
			return -1;
		high |= v & ((i & 3) == 0 ? 0x20 : (i & 3) == 1 ? 0x08 : 0x02);
	}
	if (pad == 1) {
		v = b64_value(u[len - 2]);
		if ((v & 0x03) != 0)
			return -1;
	} else if (pad == 2) {
		v = b64_value(u[len - 3]);
		if ((v & 0x0f) != 0)
			return -1;
	}
	if (decoded != NULL)
		*decoded = (len / 4) * 3 - pad;
	if (ascii != NULL)
		*ascii = high == 0;
	return 0;
}

/*
 * Decode canonical base64 into out (cap bytes). Returns -1, leaving out
 * untouched, when the input is not canonical or does not fit.
 */
int
proto_b64_decode(
    const char *s, size_t len, void *out, size_t cap, size_t *outlen)
{
	base64_decodestate st;
	size_t need;
	int n;

	if (proto_b64_check(s, len, &need) != 0 || need > cap)
		return -1;
	if (len > INT32_MAX)
		return -1;
	base64_init_decodestate(&st);
	n = base64_decode_block(s, (int)len, out, &st);
	if (n < 0 || (size_t)n != need)
		return -1;
	*outlen = need;
	return 0;
}
