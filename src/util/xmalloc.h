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

#endif
