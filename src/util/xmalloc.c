/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static void
xmalloc_fatal(size_t size)
{
	fprintf(stderr, "out of memory allocating %zu bytes\n", size);
	abort();
}

/* Allocate size bytes, never returning NULL. */
void *
xmalloc(size_t size)
{
	void *p;

	p = malloc(size == 0 ? 1 : size);
	if (p == NULL)
		xmalloc_fatal(size);
	return p;
}

/* Allocate a zeroed array of n elements of size bytes. */
void *
xcalloc(size_t n, size_t size)
{
	void *p;

	p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
	if (p == NULL)
		xmalloc_fatal(n * size);
	return p;
}

/* Resize p to size bytes. */
void *
xrealloc(void *p, size_t size)
{
	void *q;

	q = realloc(p, size == 0 ? 1 : size);
	if (q == NULL)
		xmalloc_fatal(size);
	return q;
}

/* Resize p to n elements of size bytes, checking the product for overflow. */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_fatal(SIZE_MAX);
	return xrealloc(p, n * size);
}

/* Duplicate a NUL-terminated string. */
char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

/* Duplicate at most n bytes of s into a new NUL-terminated string. */
char *
xstrndup(const char *s, size_t n)
{
	char *p;

	n = strnlen(s, n);
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Duplicate n bytes. */
void *
xmemdup(const void *s, size_t n)
{
	void *p;

	p = xmalloc(n);
	if (n != 0)
		memcpy(p, s, n);
	return p;
}

/*
 * Grow an array of elements of size bytes so that it holds at least need:
 * the capacity *cap doubles, starting at first, and is updated. Returns the
 * (possibly moved) array; an array that is large enough comes back as is.
 */
void *
xgrow(void *p, size_t *cap, size_t need, size_t first, size_t size)
{
	size_t n;

	if (need <= *cap)
		return p;
	n = *cap != 0 ? *cap : (first != 0 ? first : 1);
	while (n < need) {
		if (n > SIZE_MAX / 2)
			xmalloc_fatal(SIZE_MAX);
		n *= 2;
	}
	p = xreallocarray(p, n, size);
	*cap = n;
	return p;
}
