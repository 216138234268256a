/* SPDX-License-Identifier: MIT */
/*
 * A certificate fingerprint (32 bytes, SHA-256 of the DER public key) in
 * its two written forms: 64 lower-case hex digits on the wire, and for
 * people the Syncthing device-ID form, base32 with a Luhn mod 32 check
 * character after each 13 characters, shown as 8 groups of 7 joined by
 * '-'. Pure: no I/O, no allocation.
 */
#ifndef UTIL_FINGERPRINT_H
#define UTIL_FINGERPRINT_H

#include <stddef.h>

#define UTIL_FP_LEN 32
#define UTIL_FP_HEX 65 /* 64 hex digits and the NUL */
#define UTIL_FP_TEXT 64 /* 56 characters, 7 dashes and the NUL */

void util_fp_hex(const unsigned char *, char *);
void util_fp_text(const unsigned char *, char *);
int util_fp_parse(const char *, unsigned char *, char *, size_t);

#endif
