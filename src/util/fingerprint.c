/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/fingerprint.h"

#define FP_B32 52 /* base32 characters of 32 bytes, unpadded */
#define FP_CHUNK 13 /* characters per Luhn check */
#define FP_CHECKED 56

static const char fp_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* The value of a base32 character, or -1. */
static int
fp_b32_value(char ch)
{
	const char *p;

	ch = (char)toupper((unsigned char)ch);
	if (ch == '\0' || (p = strchr(fp_alpha, ch)) == NULL)
		return -1;
	return (int)(p - fp_alpha);
}

/*
 * Syncthing's luhnBase32: the factor starts at 1 and alternates with 2;
 * each product is folded as (a / 32) + (a % 32); the check makes the sum
 * a multiple of 32.
 */
static char
fp_luhn(const char *s, size_t n)
{
	int factor = 1, sum = 0, a;
	size_t i;

	for (i = 0; i < n; i++) {
		a = factor * fp_b32_value(s[i]);
		factor = factor == 2 ? 1 : 2;
		sum += a / 32 + a % 32;
	}
	return fp_alpha[(32 - sum % 32) % 32];
}

/* The wire form: 64 lower-case hex digits and a NUL in out. */
void
util_fp_hex(const unsigned char *fp, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < UTIL_FP_LEN; i++) {
		out[2 * i] = hex[fp[i] >> 4];
		out[2 * i + 1] = hex[fp[i] & 15];
	}
	out[2 * UTIL_FP_LEN] = '\0';
}

/* RFC 4648 base32 of the 32 bytes, no padding: 52 characters. */
static void
fp_base32(const unsigned char *fp, char *out)
{
	unsigned int acc = 0, bits = 0;
	size_t i, o = 0;

	for (i = 0; i < UTIL_FP_LEN; i++) {
		acc = (acc << 8) | fp[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = fp_alpha[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = fp_alpha[(acc << (5 - bits)) & 31];
}

/* The people's form: 8 groups of 7 joined by '-', and a NUL, in out. */
void
util_fp_text(const unsigned char *fp, char *out)
{
	char b32[FP_B32], checked[FP_CHECKED];
	size_t i, o = 0;

	fp_base32(fp, b32);
	for (i = 0; i < 4; i++) {
		memcpy(
		    checked + i * (FP_CHUNK + 1), b32 + i * FP_CHUNK, FP_CHUNK);
		checked[i * (FP_CHUNK + 1) + FP_CHUNK] =
		    fp_luhn(b32 + i * FP_CHUNK, FP_CHUNK);
	}
	for (i = 0; i < FP_CHECKED; i++) {
		if (i > 0 && i % 7 == 0)
			out[o++] = '-';
		out[o++] = checked[i];
	}
	out[o] = '\0';
}

/* The 64-hex form; false if s is not exactly that. */
static bool
fp_parse_hex(const char *s, size_t n, unsigned char *fp)
{
	size_t i;
	int hi, lo;

	if (n != 2 * UTIL_FP_LEN)
		return false;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	for (i = 0; i < UTIL_FP_LEN; i++) {
		hi = isdigit((unsigned char)s[2 * i])
		    ? s[2 * i] - '0'
		    : tolower((unsigned char)s[2 * i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[2 * i + 1])
		    ? s[2 * i + 1] - '0'
		    : tolower((unsigned char)s[2 * i + 1]) - 'a' + 10;
		fp[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* Decode 52 base32 characters into 32 bytes; the 4 spare bits must be 0. */
static bool
fp_unbase32(const char *s, unsigned char *fp)
{
	unsigned int acc = 0, bits = 0;
	size_t i, o = 0;

	for (i = 0; i < FP_B32; i++) {
		acc = (acc << 5) | (unsigned int)fp_b32_value(s[i]);
		bits += 5;
		if (bits >= 8) {
			fp[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
		acc &= 0xff;
	}
	return (acc & ((1u << bits) - 1)) == 0;
}

/*
 * Read a fingerprint a person typed or pasted: the people's form (any
 * case, '-' and spaces ignored, the four checks right) or the 64-hex
 * wire form. 0, or -1 with the reason in err.
 */
int
util_fp_parse(const char *s, unsigned char *fp, char *err, size_t errlen)
{
	char c[2 * UTIL_FP_LEN], b32[FP_B32];
	size_t n = 0, i;

	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		if (n == sizeof c) {
			snprintf(err, errlen, "fingerprint too long");
			return -1;
		}
		c[n++] = *s;
	}
	if (fp_parse_hex(c, n, fp))
		return 0;
	if (n != FP_CHECKED) {
		snprintf(err, errlen,
		    "fingerprint has %zu characters, not 56 (or 64 hex digits)",
		    n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (fp_b32_value(c[i]) < 0) {
			snprintf(err, errlen,
			    "fingerprint has '%c' at %zu: only A-Z and 2-7",
			    c[i], i + 1);
			return -1;
		}
	}
	for (i = 0; i < 4; i++) {
		memcpy(b32 + i * FP_CHUNK, c + i * (FP_CHUNK + 1), FP_CHUNK);
		if (fp_luhn(b32 + i * FP_CHUNK, FP_CHUNK) !=
		    toupper((unsigned char)c[i * (FP_CHUNK + 1) + FP_CHUNK])) {
			snprintf(err, errlen,
			    "fingerprint check %zu of 4 is wrong: a typo in "
			    "characters %zu-%zu",
			    i + 1, i * (FP_CHUNK + 1) + 1,
			    (i + 1) * (FP_CHUNK + 1));
			return -1;
		}
	}
	if (!fp_unbase32(b32, fp)) {
		snprintf(err, errlen, "fingerprint is not 32 bytes");
		return -1;
	}
	return 0;
}
