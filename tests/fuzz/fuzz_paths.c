/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the path parser (src/ui/paths.c): any bytes pasted
 * into the input line must split into paths or be refused with a reason,
 * never crash or leak; and every path it gives back, quoted again, must
 * parse back to itself alone.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/paths.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A path p quoted as a terminal would paste it must come back unchanged. */
static void
check_round_trip(const char *p)
{
	struct ui_paths again;
	char err[256], *q;
	size_t n = strlen(p);
	int k;

	/* Single quotes take everything but themselves; a file:// or '~'
	 * would be expanded again. */
	if (n == 0 || strchr(p, '\'') != NULL ||
	    strncmp(p, "file://", 7) == 0 || p[0] == '~')
		return;
	q = malloc(n + 3);
	q[0] = '\'';
	memcpy(q + 1, p, n);
	q[n + 1] = '\'';
	q[n + 2] = '\0';
	k = ui_paths_parse(q, n + 2, "/home/u", &again, err, sizeof err);
	if (k != 1 || strcmp(again.v[0], p) != 0)
		abort();
	ui_paths_free(&again);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ui_paths out;
	char err[256];
	int n, i;

	/* The first byte: with or without a home for '~'. */
	if (size < 1)
		return 0;
	err[0] = '\0';
	n = ui_paths_parse((const char *)data + 1, size - 1,
	    data[0] & 1 ? "/home/u" : NULL, &out, err, sizeof err);
	if (n < 0) {
		if (err[0] == '\0' || out.v != NULL || out.n != 0)
			abort();
		return 0;
	}
	if ((size_t)n != out.n)
		abort();
	for (i = 0; i < n; i++)
		check_round_trip(out.v[i]);
	ui_paths_free(&out);
	return 0;
}
