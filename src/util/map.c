#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"
#include "util/xmalloc.h"

struct util_map_entry {
	struct util_map_entry *next;
	uint64_t hash;
	void *value;
	size_t klen;
	char key[];
};

#define MAP_SMALL_KEY 112 /* keys up to this long use recycled entries */
#define MAP_SPARE 4096

struct util_map {
	struct util_map_entry **b;
	size_t nb; /* a power of two */
	size_t n;
	struct util_map_entry *spare; /* freed small entries, for reuse */
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

/* An empty map. */
struct util_map *
util_map_new(void)
{
	struct util_map *m;

	m = xcalloc(1, sizeof *m);
	m->nb = 64;
	m->b = xcalloc(m->nb, sizeof *m->b);
	return m;
}

/* Free the map and its keys (not the values). */
void
util_map_free(struct util_map *m)
{
	struct util_map_entry *e, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nb; i++) {
		for (e = m->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	while (m->spare != NULL) {
		e = m->spare;
		m->spare = e->next;
		free(e);
	}
	free(m->b);
	free(m);
}

static struct util_map_entry **
util_map_find(const struct util_map *m, const void *k, size_t len, uint64_t h)
{
	struct util_map_entry **ep;

	for (ep = &m->b[h & (m->nb - 1)]; *ep != NULL; ep = &(*ep)->next) {
		if ((*ep)->hash == h && (*ep)->klen == len &&
		    memcmp((*ep)->key, k, len) == 0)
			break;
	}
	return ep;
}

/* The value stored under the key, or NULL. */
void *
util_map_get(const struct util_map *m, const void *k, size_t len)
{
	struct util_map_entry **ep;

	ep = util_map_find(m, k, len, util_map_hash(k, len));
	return *ep != NULL ? (*ep)->value : NULL;
}

/* Rehash into n buckets (a power of two). */
static void
util_map_resize(struct util_map *m, size_t n)
{
	struct util_map_entry **nb, *e, *next;
	size_t i;

	nb = xcalloc(n, sizeof *nb);
	for (i = 0; i < m->nb; i++) {
		for (e = m->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
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
	struct util_map_entry **ep, *e;
	uint64_t h = util_map_hash(k, len);

	ep = util_map_find(m, k, len, h);
	if (*ep != NULL) {
		(*ep)->value = value;
		return;
	}
	/* Small entries are recycled: a map that churns (a message id per
	 * message) does not call malloc once it is warm. */
	if (len <= MAP_SMALL_KEY && m->spare != NULL) {
		e = m->spare;
		m->spare = e->next;
		m->nspare--;
	} else
		e = xmalloc(
		    sizeof *e + (len <= MAP_SMALL_KEY ? MAP_SMALL_KEY : len));
	e->next = NULL;
	e->hash = h;
	e->value = value;
	e->klen = len;
	memcpy(e->key, k, len);
	*ep = e;
	if (++m->n > m->nb)
		util_map_resize(m, m->nb * 2);
}

/* Remove the key; returns the value it had, or NULL. */
void *
util_map_remove(struct util_map *m, const void *k, size_t len)
{
	struct util_map_entry **ep, *e;
	void *v;

	ep = util_map_find(m, k, len, util_map_hash(k, len));
	if ((e = *ep) == NULL)
		return NULL;
	*ep = e->next;
	v = e->value;
	if (e->klen <= MAP_SMALL_KEY && m->nspare < MAP_SPARE) {
		e->next = m->spare;
		m->spare = e;
		m->nspare++;
	} else
		free(e);
	/* A map that emptied after a peak shrinks again, so its buckets
	 * stay in cache; the gap to the growth point avoids flapping. */
	if (--m->n < m->nb / 8 && m->nb > 64)
		util_map_resize(m, m->nb / 2);
	return v;
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
		for (e = m->b[i]; e != NULL; e = e->next)
			fn(e->key, e->klen, e->value, arg);
	}
}
