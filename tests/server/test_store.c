/* SPDX-License-Identifier: MIT */
/*
 * The relay store's device pins: add (twice is once), has, count, list,
 * remove, clear, per name; and they survive a reopen of the store. The
 * modes of the data folder (0700) and of the database files (0600).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/store.h"

#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char dir[128];

/* Collect a listing into a string: "fp@added," per pin. */
static void
collect(void *arg, const char *fp, uint64_t added)
{
	char *s = arg;

	snprintf(s + strlen(s), 512 - strlen(s), "%.1s@%llu,", fp,
	    (unsigned long long)added);
}

/* A store in a fresh folder. */
static struct server_store *
store_open(void)
{
	char err[256];
	struct server_store *s = server_store_open(dir, false, err, sizeof err);

	if (s == NULL)
		fail_msg("open: %s", err);
	return s;
}

static void
server_store__pins__devices_per_name(void **state)
{
	struct server_store *s;
	char list[512] = "";

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(dir));
	s = store_open();
	assert_int_equal(server_store_device_count(s, "alice"), 0);
	assert_false(server_store_device_has(s, "alice", A));
	assert_int_equal(server_store_device_add(s, "alice", A, 5), 0);
	assert_int_equal(server_store_device_add(s, "alice", A, 6), 0);
	assert_int_equal(server_store_device_add(s, "alice", B, 7), 0);
	assert_int_equal(server_store_device_add(s, "bob", B, 8), 0);
	assert_int_equal(server_store_device_count(s, "alice"), 2);
	assert_true(server_store_device_has(s, "alice", A));
	assert_false(server_store_device_has(s, "bob", A));
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);

	s = store_open();
	assert_int_equal(
	    server_store_device_list(s, "alice", collect, list), 0);
	assert_string_equal(list, "a@5,b@7,");
	assert_int_equal(server_store_device_remove(s, "alice", A), 0);
	assert_false(server_store_device_has(s, "alice", A));
	assert_int_equal(server_store_device_count(s, "alice"), 1);
	assert_int_equal(server_store_device_clear(s, "alice"), 0);
	assert_int_equal(server_store_device_count(s, "alice"), 0);
	assert_int_equal(server_store_device_count(s, "bob"), 1);
	assert_int_equal(server_store_commit(s), 0);
	server_store_close(s);
	snprintf(list, sizeof list, "rm -rf '%s'", dir);
	assert_int_equal(system(list), 0);
}

/* The permission bits of the file name in dir (NULL: of dir). */
static unsigned
mode_of(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof path, "%s%s%s", dir, name != NULL ? "/" : "",
	    name != NULL ? name : "");
	if (stat(path, &st) != 0)
		fail_msg("%s: missing", path);
	return (unsigned)(st.st_mode & 07777);
}

/* A store with a user in it, so that the WAL and its index exist. */
static void
store_with_user(void)
{
	struct server_store *s = store_open();

	assert_int_equal(server_store_add_user(s, "alice", "-", 1), 0);
	assert_int_equal(server_store_commit(s), 0);
	assert_int_equal(mode_of(NULL), 0700);
	assert_int_equal(mode_of("relay.db"), 0600);
	assert_int_equal(mode_of("relay.db-wal"), 0600);
	assert_int_equal(mode_of("relay.db-shm"), 0600);
	server_store_close(s);
}

static void
server_store__modes__private_whatever_the_umask(void **state)
{
	char base[64], cmd[256];
	mode_t old = umask(0);

	(void)state;
	snprintf(base, sizeof base, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof dir, "%s/new/data", base);
	store_with_user();
	umask(0277);
	snprintf(dir, sizeof dir, "%s/other", base);
	store_with_user();
	umask(old);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

static void
server_store__modes__tightens_loose_folder_and_says_so(void **state)
{
	char path[256], log[4096] = "", cmd[256];
	int fd, saved;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof path, "%s/relay.db", dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(path, sizeof path, "%s/log", dir);
	fflush(stderr);
	saved = dup(2);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	dup2(fd, 2);
	close(fd);
	store_with_user();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(f = fopen(path, "r"));
	fread(log, 1, sizeof log - 1, f);
	fclose(f);
	printf("%s", log);
	assert_non_null(strstr(log, "was mode 0755, now 0700"));
	assert_non_null(strstr(log, "relay.db was mode 0644, now 0600"));
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(server_store__pins__devices_per_name),
	    cmocka_unit_test(server_store__modes__private_whatever_the_umask),
	    cmocka_unit_test(
	        server_store__modes__tightens_loose_folder_and_says_so),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
