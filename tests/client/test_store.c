/* SPDX-License-Identifier: MIT */
/*
 * The client's store on disk: its folder private (0700) and client.db
 * with its WAL and SHM files 0600, created so and tightened when they were
 * looser; and the transfers it keeps across restarts.
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
#include <sqlite3.h>

#include "client/store.h"

static char dir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/termgram-store.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned
mode_of(const char *sub, const char *name)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s%s%s", dir, sub, name[0] ? "/" : "", name);
	assert_int_equal(stat(p, &st), 0);
	return (unsigned)(st.st_mode & 0777);
}

/* Write something and commit, so the WAL and SHM files exist. */
static void
touch_wal(struct client_store *s)
{
	assert_int_equal(
	    client_store_add_outgoing(s, "alice", "bob", "m1", 1, "hi", 2), 0);
	assert_int_equal(client_store_commit(s), 0);
}

static void
client_store__creates__a_private_folder_and_files(void **state)
{
	char d[300], err[256];
	struct client_store *s;
	mode_t old = umask(022);

	(void)state;
	snprintf(d, sizeof d, "%s/new/alice@host", dir);
	s = client_store_open(d, err, sizeof err);
	umask(old);
	assert_non_null(s);
	touch_wal(s);
	printf("new store: folder %03o, client.db %03o, -wal %03o, -shm %03o\n",
	    mode_of("new/alice@host", ""),
	    mode_of("new/alice@host", "client.db"),
	    mode_of("new/alice@host", "client.db-wal"),
	    mode_of("new/alice@host", "client.db-shm"));
	assert_int_equal(mode_of("new/alice@host", ""), 0700);
	assert_int_equal(mode_of("new", ""), 0700);
	assert_int_equal(mode_of("new/alice@host", "client.db"), 0600);
	assert_int_equal(mode_of("new/alice@host", "client.db-wal"), 0600);
	assert_int_equal(mode_of("new/alice@host", "client.db-shm"), 0600);
	assert_string_equal(client_store_notice(s), "");
	client_store_close(s);
}

static void
client_store__tightens__what_was_readable_by_others(void **state)
{
	char d[300], err[256];
	struct client_store *s;

	(void)state;
	snprintf(d, sizeof d, "%s/old", dir);
	s = client_store_open(d, err, sizeof err);
	assert_non_null(s);
	touch_wal(s);
	client_store_close(s);
	/* As an older client (or the umask) left them. */
	assert_int_equal(chmod(d, 0755), 0);
	snprintf(d, sizeof d, "%s/old/client.db", dir);
	assert_int_equal(chmod(d, 0644), 0);
	snprintf(d, sizeof d, "%s/old", dir);
	s = client_store_open(d, err, sizeof err);
	assert_non_null(s);
	printf("notice: %s\n", client_store_notice(s));
	assert_int_equal(mode_of("old", ""), 0700);
	assert_int_equal(mode_of("old", "client.db"), 0600);
	assert_non_null(strstr(client_store_notice(s), "client.db"));
	assert_non_null(strstr(client_store_notice(s), "644"));
	touch_wal(s);
	assert_int_equal(mode_of("old", "client.db-wal"), 0600);
	client_store_close(s);
}

struct seen {
	int n;
	char last[300];
};

static void
on_rec(void *arg, const struct client_xfer_rec *r)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->last, sizeof s->last, "%s %s %d %s %s %llu %s", r->peer,
	    r->id, r->outgoing, r->name, r->path, (unsigned long long)r->size,
	    r->sha);
}

static void
client_store__keeps__transfers_across_a_restart(void **state)
{
	struct client_xfer_rec r = {.peer = "Bob",
	    .id = "f01",
	    .outgoing = false,
	    .name = "a.txt",
	    .path = "",
	    .size = 12,
	    .sha = "ab",
	    .ts = 5};
	struct client_store *s;
	struct seen seen = {0};
	char err[256];

	(void)state;
	s = client_store_open(dir, err, sizeof err);
	assert_int_equal(client_store_xfer_put(s, &r), 0);
	assert_int_equal(client_store_commit(s), 0);
	client_store_close(s);
	s = client_store_open(dir, err, sizeof err);
	assert_int_equal(client_store_xfers(s, on_rec, &seen), 1);
	assert_string_equal(seen.last, "Bob f01 0 a.txt  12 ab");
	assert_int_equal(client_store_xfer_del(s, "bob", "f01", false), 0);
	seen.n = 0;
	assert_int_equal(client_store_xfers(s, on_rec, &seen), 0);
	client_store_close(s);
}

/* Count the messages of the outbox. */
static void
count_msg(void *arg, const struct client_msg *m)
{
	(void)m;
	(*(int *)arg)++;
}

/*
 * A setting kept across a restart; a message withdrawn is gone from the
 * outbox and the history, and only our pending ones can be withdrawn.
 */
static void
client_store__keeps__settings_and_withdraws_pending(void **state)
{
	char err[256], v[64];
	struct client_store *s;
	int n = 0;

	(void)state;
	s = client_store_open(dir, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(client_store_meta_get(s, "ui.open", v, sizeof v), 0);
	assert_int_equal(client_store_meta_put(s, "ui.open", "carol"), 0);
	assert_int_equal(client_store_meta_put(s, "ui.open", "Dan"), 0);
	assert_int_equal(
	    client_store_add_outgoing(s, "alice", "bob", "m1", 1, "hi", 2), 0);
	assert_int_equal(
	    client_store_add_outgoing(s, "alice", "bob", "m2", 2, "yo", 2), 0);
	assert_int_equal(
	    client_store_add_incoming(s, "bob", "m3", 3, "hey", 3), 1);
	assert_int_equal(client_store_withdraw(s, "m1"), 0);
	assert_int_equal(client_store_withdraw(s, "m3"), 0); /* not ours */
	assert_int_equal(client_store_commit(s), 0);
	client_store_close(s);

	s = client_store_open(dir, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(client_store_meta_get(s, "ui.open", v, sizeof v), 1);
	assert_string_equal(v, "Dan");
	assert_int_equal(client_store_outbox(s, count_msg, &n), 1);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(
	    client_store_history(s, "bob", INT64_MAX, 10, count_msg, &n), 2);
	assert_int_equal(n, 2); /* m2 and m3 */
	client_store_close(s);
}

/* Numbers of the room messages in history. */
static void
seq_of(void *arg, const struct client_msg *m)
{
	uint64_t *v = arg;

	v[v[0] + 1] = m->seq;
	v[0]++;
}

/*
 * A store from before rooms (P2P's direct column, no room_seq) opens with
 * its history, and keeps room entries with their number from then on;
 * our own message is numbered by its echo, once.
 */
static void
client_store__upgrades__to_room_numbers(void **state)
{
	struct client_store *s;
	sqlite3 *db;
	char path[300], err[256];
	uint64_t v[8] = {0};
	uint64_t delivered, read;

	(void)state;
	snprintf(path, sizeof path, "%s/client.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
	        "CREATE TABLE messages(seq INTEGER PRIMARY KEY, peer_key TEXT "
	        "NOT NULL, peer TEXT NOT NULL, sender_key TEXT NOT NULL, "
	        "sender TEXT NOT NULL, msg_id TEXT NOT NULL, ts INTEGER NOT "
	        "NULL, body BLOB NOT NULL, outgoing INTEGER NOT NULL, state "
	        "INTEGER NOT NULL, direct INTEGER NOT NULL DEFAULT 0, "
	        "UNIQUE(sender_key, msg_id));"
	        "INSERT INTO messages(peer_key, peer, sender_key, sender, "
	        "msg_id, ts, body, outgoing, state) VALUES ('bob', 'bob', "
	        "'bob', 'bob', 'old', 1, 'hi', 0, 6);",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	s = client_store_open(dir, err, sizeof err);
	if (s == NULL)
		fail_msg("%s", err);
	assert_int_equal(
	    client_store_history(s, "bob", INT64_MAX, 10, seq_of, v), 1);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 0);
	assert_int_equal(client_store_add_room(
	                     s, "#team", "carol", "m1", 2, "yo", 2, false, 7),
	    1);
	assert_int_equal(
	    client_store_add_outgoing(s, "alice", "#team", "o1", 3, "me", 2),
	    0);
	/* The echo of ours: no new row, its number recorded. */
	assert_int_equal(client_store_add_room(
	                     s, "#Team", "alice", "o1", 3, "me", 2, true, 8),
	    0);
	memset(v, 0, sizeof v);
	assert_int_equal(
	    client_store_history(s, "#TEAM", INT64_MAX, 10, seq_of, v), 2);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 8);
	assert_int_equal(v[2], 7);
	assert_int_equal(
	    client_store_room_pos(s, "#team", &delivered, &read), 0);
	assert_int_equal(delivered, 8);
	assert_int_equal(read, 8); /* ours; carol's 7 is unread */
	assert_int_equal(client_store_room_seen(s, "#team", 7), 1);
	assert_int_equal(client_store_room_seen(s, "#team", 7), 0);
	assert_int_equal(client_store_commit(s), 0);
	client_store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        client_store__creates__a_private_folder_and_files, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_store__tightens__what_was_readable_by_others, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_store__keeps__transfers_across_a_restart, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_store__keeps__settings_and_withdraws_pending, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        client_store__upgrades__to_room_numbers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
