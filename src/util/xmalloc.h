/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers that abort on out-of-memory, so that callers need not
 * scatter NULL checks (tmux xmalloc.c). Remote input never reaches an abort
 * here: every size is bounded by the protocol's limits before it is asked for.
 */
#ifndef UTIL_XMALLOC_H
#define UTIL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
void *xmemdup(const void *, size_t);
void *xgrow(void *, size_t *, size_t, size_t, size_t);

/*
 * Make room for at least need elements in the array *arr whose capacity is
 * *cap, doubling from first; the one way arrays grow in this project.
 */
#define XGROW(arr, cap, need, first)                                           \
	((arr) = xgrow((arr), &(cap), (need), (first), sizeof *(arr)))

#endif
