/* SPDX-License-Identifier: MIT */
/*
 * A hash map from byte strings to pointers, with chaining and doubling.
 * The map owns copies of its keys; values are borrowed.
 */
#ifndef UTIL_MAP_H
#define UTIL_MAP_H

#include <stdbool.h>
#include <stddef.h>

struct util_map;

struct util_map *util_map_new(void);
void util_map_free(struct util_map *);
void *util_map_get(const struct util_map *, const void *, size_t);
void util_map_set(struct util_map *, const void *, size_t, void *);
void *util_map_remove(struct util_map *, const void *, size_t);
size_t util_map_count(const struct util_map *);
size_t util_map_nbuckets(const struct util_map *);
void util_map_each(const struct util_map *,
    void (*)(const void *, size_t, void *, void *), void *);

#endif
