/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/map.h"

#define MAP_FIRST_BUCKETS 64

/* Distinct non-NULL values for key number i. */
static char values[20000];

static size_t
key_of(char *buf, size_t size, int i)
{
	return (size_t)snprintf(buf, size, "key-%d", i);
}

/* FNV-1a 64, as the map hashes, to pick keys that share a bucket. */
static uint64_t
fnv1a(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
util_map__finds__what_was_set(void **state)
{
	struct util_map *m = util_map_new();
	int a, b;

	(void)state;
	assert_null(util_map_get(m, "alice", 5));
	util_map_set(m, "alice", 5, &a);
	util_map_set(m, "bob", 3, &b);
	assert_ptr_equal(util_map_get(m, "alice", 5), &a);
	assert_ptr_equal(util_map_get(m, "bob", 3), &b);
	assert_null(util_map_get(m, "alic", 4)); /* a prefix is not the key */
	assert_null(util_map_get(m, "Alice", 5)); /* bytes, not names */
	assert_int_equal(util_map_count(m), 2);
	util_map_free(m);
}

static void
util_map__replaces__value_of_a_key_set_twice(void **state)
{
	struct util_map *m = util_map_new();
	int a, b;

	(void)state;
	util_map_set(m, "k", 1, &a);
	util_map_set(m, "k", 1, &b);
	assert_ptr_equal(util_map_get(m, "k", 1), &b);
	assert_int_equal(util_map_count(m), 1);
	util_map_free(m);
}

static void
util_map__compares__keys_as_bytes_with_their_length(void **state)
{
	struct util_map *m = util_map_new();
	int a, b, c;

	(void)state;
	util_map_set(m, "a\0b", 3, &a);
	util_map_set(m, "a\0c", 3, &b);
	util_map_set(m, "a", 1, &c);
	assert_ptr_equal(util_map_get(m, "a\0b", 3), &a);
	assert_ptr_equal(util_map_get(m, "a\0c", 3), &b);
	assert_ptr_equal(util_map_get(m, "a", 1), &c);
	assert_null(util_map_get(m, "a\0", 2));
	util_map_free(m);
}

static void
util_map__removes__and_returns_the_value(void **state)
{
	struct util_map *m = util_map_new();
	int a;

	(void)state;
	assert_null(util_map_remove(m, "gone", 4));
	util_map_set(m, "here", 4, &a);
	assert_ptr_equal(util_map_remove(m, "here", 4), &a);
	assert_null(util_map_get(m, "here", 4));
	assert_null(util_map_remove(m, "here", 4));
	assert_int_equal(util_map_count(m), 0);
	util_map_free(m);
}

/* Keys that land in the same chain: the first, a middle and the last
 * entry of a chain can each be removed without losing the others. */
static void
util_map__keeps_chain__when_colliding_keys_are_removed(void **state)
{
	struct util_map *m = util_map_new();
	char keys[8][32];
	size_t len[8];
	int n = 0, i, j;
	static const int order[8] = {3, 0, 7, 5, 1, 6, 2, 4};

	(void)state;
	for (i = 0; n < 8; i++) {
		len[n] = key_of(keys[n], sizeof keys[n], i);
		if ((fnv1a(keys[n], len[n]) & (MAP_FIRST_BUCKETS - 1)) == 5)
			n++;
	}
	for (i = 0; i < 8; i++)
		util_map_set(m, keys[i], len[i], &values[i]);
	assert_int_equal(util_map_nbuckets(m), MAP_FIRST_BUCKETS);
	for (i = 0; i < 8; i++)
		assert_ptr_equal(util_map_get(m, keys[i], len[i]), &values[i]);
	for (j = 0; j < 8; j++) {
		assert_ptr_equal(
		    util_map_remove(m, keys[order[j]], len[order[j]]),
		    &values[order[j]]);
		for (i = j + 1; i < 8; i++)
			assert_ptr_equal(
			    util_map_get(m, keys[order[i]], len[order[i]]),
			    &values[order[i]]);
	}
	assert_int_equal(util_map_count(m), 0);
	util_map_free(m);
}

/* Growth keeps every key; after the peak the buckets shrink back. */
static void
util_map__grows_and_shrinks__around_a_peak(void **state)
{
	struct util_map *m = util_map_new();
	char k[32];
	size_t len;
	int i, n = 10000;

	(void)state;
	for (i = 0; i < n; i++) {
		len = key_of(k, sizeof k, i);
		util_map_set(m, k, len, &values[i]);
	}
	assert_int_equal(util_map_count(m), n);
	assert_true(util_map_nbuckets(m) >= (size_t)n);
	for (i = 0; i < n; i++) {
		len = key_of(k, sizeof k, i);
		assert_ptr_equal(util_map_get(m, k, len), &values[i]);
	}
	for (i = 0; i < n - 10; i++) {
		len = key_of(k, sizeof k, i);
		assert_ptr_equal(util_map_remove(m, k, len), &values[i]);
	}
	assert_int_equal(util_map_count(m), 10);
	assert_int_equal(util_map_nbuckets(m), MAP_FIRST_BUCKETS);
	for (i = n - 10; i < n; i++) {
		len = key_of(k, sizeof k, i);
		assert_ptr_equal(util_map_get(m, k, len), &values[i]);
	}
	util_map_free(m);
}

/* Removed entries are recycled for new keys; a long key is not. */
static void
util_map__reuses_entries__for_keys_short_and_long(void **state)
{
	struct util_map *m = util_map_new();
	char k[300];
	size_t len;
	int round, i;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 200; i++) {
			memset(k, 'x', sizeof k);
			len = key_of(k, sizeof k, i + round * 1000);
			k[len] = 'x';
			len = i % 2 ? len : sizeof k; /* short and long keys */
			util_map_set(m, k, len, &values[i]);
			assert_ptr_equal(util_map_get(m, k, len), &values[i]);
		}
		for (i = 0; i < 200; i++) {
			memset(k, 'x', sizeof k);
			len = key_of(k, sizeof k, i + round * 1000);
			k[len] = 'x';
			len = i % 2 ? len : sizeof k;
			assert_ptr_equal(
			    util_map_remove(m, k, len), &values[i]);
		}
		assert_int_equal(util_map_count(m), 0);
	}
	util_map_free(m);
}

struct seen {
	int count[100];
	int total;
};

static void
count_entry(const void *k, size_t len, void *v, void *arg)
{
	struct seen *s = arg;

	(void)k;
	(void)len;
	s->count[(char *)v - values]++;
	s->total++;
}

static void
util_map__visits__every_entry_once(void **state)
{
	struct util_map *m = util_map_new();
	struct seen s;
	char k[32];
	size_t len;
	int i;

	(void)state;
	memset(&s, 0, sizeof s);
	for (i = 0; i < 100; i++) {
		len = key_of(k, sizeof k, i);
		util_map_set(m, k, len, &values[i]);
	}
	for (i = 0; i < 100; i += 3) {
		len = key_of(k, sizeof k, i);
		util_map_remove(m, k, len);
	}
	util_map_each(m, count_entry, &s);
	assert_int_equal(s.total, util_map_count(m));
	for (i = 0; i < 100; i++)
		assert_int_equal(s.count[i], i % 3 == 0 ? 0 : 1);
	util_map_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(util_map__finds__what_was_set),
	    cmocka_unit_test(util_map__replaces__value_of_a_key_set_twice),
	    cmocka_unit_test(
	        util_map__compares__keys_as_bytes_with_their_length),
	    cmocka_unit_test(util_map__removes__and_returns_the_value),
	    cmocka_unit_test(
	        util_map__keeps_chain__when_colliding_keys_are_removed),
	    cmocka_unit_test(util_map__grows_and_shrinks__around_a_peak),
	    cmocka_unit_test(util_map__reuses_entries__for_keys_short_and_long),
	    cmocka_unit_test(util_map__visits__every_entry_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
