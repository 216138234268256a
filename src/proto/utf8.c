/* SPDX-License-Identifier: MIT */
#include "proto/utf8.h"

/* Whether the n bytes at p are well-formed UTF-8. */
bool
proto_utf8_is_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;
	unsigned char c, lo, hi;
	int more, k;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		/* Table 3-7 of the Unicode standard: the second byte's range
		 * depends on the first, which rules out overlongs, surrogates
		 * and code points past U+10FFFF. */
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c == 0xe0) {
			more = 2;
			lo = 0xa0;
		} else if (c >= 0xe1 && c <= 0xec)
			more = 2;
		else if (c == 0xed) {
			more = 2;
			hi = 0x9f;
		} else if (c >= 0xee && c <= 0xef)
			more = 2;
		else if (c == 0xf0) {
			more = 3;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			more = 3;
		else if (c == 0xf4) {
			more = 3;
			hi = 0x8f;
		} else
			return false;
		if (n - i <= (size_t)more)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k <= more; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		}
		i += (size_t)more + 1;
	}
	return true;
}
