/* SPDX-License-Identifier: MIT */
/*
 * Names from the wire made safe to create and to show (docs/protocol.md,
 * "Transfers a peer cannot abuse"): the last path component only, no
 * control or direction-changing characters, nothing an option parser or
 * a hidden-file rule would take, no name Windows reserves for a device.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/xfer.h"

#define NAME_MAX_BYTES 200

/* Length of the valid UTF-8 sequence at p (its code point in *cp), or 0. */
static size_t
utf8_at(const unsigned char *p, size_t left, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Whether a character may not be in a name: C0, DEL, C1, the bidi
 * embeddings, overrides, isolates and marks, line separators, BOM. */
static bool
banned(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/* Whether the name before its first dot is a Windows device name. */
static bool
reserved(const char *s)
{
	static const char *const dev[] = {"CON", "PRN", "AUX", "NUL"};
	size_t n = strcspn(s, "."), i;

	while (n > 0 && s[n - 1] == ' ')
		n--;
	for (i = 0; i < sizeof dev / sizeof dev[0]; i++) {
		if (n == 3 && strncasecmp(s, dev[i], 3) == 0)
			return true;
	}
	return n == 4 &&
	    (strncasecmp(s, "COM", 3) == 0 || strncasecmp(s, "LPT", 3) == 0) &&
	    s[3] >= '1' && s[3] <= '9';
}

/*
 * Make a name from the wire safe to create in the download folder: only
 * its last path component (`/` and `\` both separate); control, C1 and
 * bidi characters and bytes that are not UTF-8 become `_`; leading dots,
 * dashes and spaces and trailing dots and spaces go; a Windows device
 * name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, any extension) gets a
 * leading `_`; at most 200 bytes, cut between characters; empty is
 * "file".
 */
void
client_xfer_safe_name(const char *in, size_t len, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	char tmp[NAME_MAX_BYTES + 8];
	size_t o = 0, i, n;
	uint32_t c;

	for (i = 0; i < len; i++) {
		if (in[i] == '/' || in[i] == '\\')
			p = (const unsigned char *)in + i + 1;
	}
	while (p < end && (*p == '.' || *p == ' ' || *p == '-'))
		p++;
	for (; p < end; p += n) {
		if ((n = utf8_at(p, (size_t)(end - p), &c)) == 0 || banned(c)) {
			n = n == 0 ? 1 : n;
			if (o + 1 > NAME_MAX_BYTES)
				break;
			tmp[o++] = '_';
			continue;
		}
		if (o + n > NAME_MAX_BYTES)
			break;
		memcpy(tmp + o, p, n);
		o += n;
	}
	while (o > 0 && (tmp[o - 1] == ' ' || tmp[o - 1] == '.'))
		o--;
	tmp[o] = '\0';
	if (o == 0)
		snprintf(out, cap, "file");
	else
		snprintf(out, cap, "%s%s", reserved(tmp) ? "_" : "", tmp);
}
