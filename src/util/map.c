/* SPDX-License-Identifier: MIT */
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"
#include "util/xmalloc.h"

struct util_map_entry {
	SLIST_ENTRY(util_map_entry) link;
	uint64_t hash;
	void *value;
	size_t klen;
	char key[];
};

#define MAP_SMALL_KEY 112 /* keys up to this long use recycled entries */
#define MAP_SPARE 4096

SLIST_HEAD(util_map_chain, util_map_entry);

struct util_map {
	struct util_map_chain *b;
	size_t nb; /* a power of two */
	size_t n;
	struct util_map_chain spare; /* freed small entries, for reuse */
	size_t nspare;
};

/* FNV-1a, 64 bits: keys are short names and ids. */
static uint64_t
util_map_hash(const void *k, size_t len)
{
	const unsigned char *p = k;
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* n empty chains. */
static struct util_map_chain *
util_map_chains_new(size_t n)
{
	struct util_map_chain *b;
	size_t i;

	b = xreallocarray(NULL, n, sizeof *b);
	for (i = 0; i < n; i++)
		SLIST_INIT(&b[i]);
	return b;
}

/* Free every entry of a chain. */
static void
util_map_free_chain(struct util_map_chain *chain)
{
	struct util_map_entry *e;

	while ((e = SLIST_FIRST(chain)) != NULL) {
		SLIST_REMOVE_HEAD(chain, link);
		free(e);
	}
}

/* An empty map. */
struct util_map *
util_map_new(void)
{
	struct util_map *m;

	m = xcalloc(1, sizeof *m);
	m->nb = 64;
	m->b = util_map_chains_new(m->nb);
	SLIST_INIT(&m->spare);
	return m;
}

/* Free the map and its keys (not the values). */
void
util_map_free(struct util_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nb; i++)
		util_map_free_chain(&m->b[i]);
	util_map_free_chain(&m->spare);
	free(m->b);
	free(m);
}

/* The entry for the key in its chain, or NULL. */
static struct util_map_entry *
util_map_find(const struct util_map *m, const void *k, size_t len, uint64_t h)
{
	struct util_map_entry *e;

	for (e = SLIST_FIRST(&m->b[h & (m->nb - 1)]); e != NULL;
	     e = SLIST_NEXT(e, link)) {
		if (e->hash == h && e->klen == len &&
		    memcmp(e->key, k, len) == 0)
			return e;
	}
	return NULL;
}

/* The value stored under the key, or NULL. */
void *
util_map_get(const struct util_map *m, const void *k, size_t len)
{
	struct util_map_entry *e;

	e = util_map_find(m, k, len, util_map_hash(k, len));
	return e != NULL ? e->value : NULL;
}

/* Rehash into n buckets (a power of two). */
static void
util_map_resize(struct util_map *m, size_t n)
{
	struct util_map_chain *nb;
	struct util_map_entry *e;
	size_t i;

	nb = util_map_chains_new(n);
	for (i = 0; i < m->nb; i++) {
		while ((e = SLIST_FIRST(&m->b[i])) != NULL) {
			SLIST_REMOVE_HEAD(&m->b[i], link);
			SLIST_INSERT_HEAD(&nb[e->hash & (n - 1)], e, link);
		}
	}
	free(m->b);
	m->b = nb;
	m->nb = n;
}

/* Store value under the key, replacing what was there. */
void
util_map_set(struct util_map *m, const void *k, size_t len, void *value)
{
	struct util_map_entry *e;
	uint64_t h = util_map_hash(k, len);

	if ((e = util_map_find(m, k, len, h)) != NULL) {
		e->value = value;
		return;
	}
	/* Small entries are recycled: a map that churns (a message id per
	 * message) does not call malloc once it is warm. */
	if (len <= MAP_SMALL_KEY && !SLIST_EMPTY(&m->spare)) {
		e = SLIST_FIRST(&m->spare);
		SLIST_REMOVE_HEAD(&m->spare, link);
		m->nspare--;
	} else
		e = xmalloc(
		    sizeof *e + (len <= MAP_SMALL_KEY ? MAP_SMALL_KEY : len));
	e->hash = h;
	e->value = value;
	e->klen = len;
	memcpy(e->key, k, len);
	SLIST_INSERT_HEAD(&m->b[h & (m->nb - 1)], e, link);
	if (++m->n > m->nb)
		util_map_resize(m, m->nb * 2);
}

/* Remove the key; returns the value it had, or NULL. */
void *
util_map_remove(struct util_map *m, const void *k, size_t len)
{
	struct util_map_entry *e;
	uint64_t h = util_map_hash(k, len);
	void *v;

	if ((e = util_map_find(m, k, len, h)) == NULL)
		return NULL;
	SLIST_REMOVE(&m->b[h & (m->nb - 1)], e, util_map_entry, link);
	v = e->value;
	if (e->klen <= MAP_SMALL_KEY && m->nspare < MAP_SPARE) {
		SLIST_INSERT_HEAD(&m->spare, e, link);
		m->nspare++;
	} else
		free(e);
	/* A map that emptied after a peak shrinks again, so its buckets
	 * stay in cache; the gap to the growth point avoids flapping. */
	if (--m->n < m->nb / 8 && m->nb > 64)
		util_map_resize(m, m->nb / 2);
	return v;
}

/* How many buckets the map has now: it grows and shrinks with its keys. */
size_t
util_map_nbuckets(const struct util_map *m)
{
	return m->nb;
}

/* How many keys the map holds. */
size_t
util_map_count(const struct util_map *m)
{
	return m->n;
}

/* Call fn(key, len, value, arg) for every entry; fn must not change m. */
void
util_map_each(const struct util_map *m,
    void (*fn)(const void *, size_t, void *, void *), void *arg)
{
	struct util_map_entry *e;
	size_t i;

	for (i = 0; i < m->nb; i++) {
		for (e = SLIST_FIRST(&m->b[i]); e != NULL;
		     e = SLIST_NEXT(e, link))
			fn(e->key, e->klen, e->value, arg);
	}
}
