/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "proto/build.h"
#include "proto/frame.h"
#include "server/relay_int.h"

static struct proto_slice
sl(const char *s)
{
	return (struct proto_slice){s, strlen(s)};
}

/* A token or ticket matches only itself, whole. */
static void
directory__token_eq__only_the_whole_token(void **state)
{
	const char *tok = "0123456789abcdef0123456789abcdef";

	(void)state;
	assert_true(server_directory_token_eq(sl(tok), tok));
	assert_false(server_directory_token_eq(
	    sl("0123456789abcdef0123456789abcdee"), tok));
	assert_false(server_directory_token_eq(
	    sl("1123456789abcdef0123456789abcdef"), tok));
	/* A prefix, a longer one, and nothing are not the token. */
	assert_false(server_directory_token_eq(sl("0123456789abcdef"), tok));
	assert_false(server_directory_token_eq(
	    sl("0123456789abcdef0123456789abcdef0"), tok));
	assert_false(server_directory_token_eq(sl(""), tok));
	/* No token held: nothing matches, not even an empty one. */
	assert_false(server_directory_token_eq(sl(""), ""));
}

#define NOW 1700000000ULL

/* An authenticated ALIVE of name, signed with key, parsed into fr. */
static void
alive_of(char *buf, size_t cap, struct proto_frame *fr, const char *name,
    uint64_t counter, uint64_t t, const unsigned char *key)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	struct proto_error err;
	size_t n;

	assert_int_equal(proto_alive_signed(buf, cap, &n, name, counter, t), 0);
	crypto_auth_hmacsha256(mac, (const unsigned char *)buf, n, key);
	assert_int_equal(proto_build_signed(buf, cap, &n, mac), 0);
	assert_int_equal(proto_frame_parse(buf, n, fr, &err), PROTO_FRAME);
}

/* A user holding a light-presence key, as a TLS login leaves it. */
static void
user_with_key(struct srv_user *u, unsigned char *key)
{
	memset(u, 0, sizeof *u);
	strcpy(u->name, "alice");
	u->namelen = 5;
	memset(key, 0x5a, 32);
	memcpy(u->alive_key, key, 32);
	u->has_alive_key = true;
}

/* A fresh, well-signed ALIVE is believed; the same one again is not. */
static void
directory__alive_ok__drops_a_replay(void **state)
{
	struct srv_user u;
	unsigned char key[32];
	struct proto_frame fr;
	char buf[256];

	(void)state;
	user_with_key(&u, key);
	alive_of(buf, sizeof buf, &fr, "alice", 1, NOW, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	assert_false(server_directory_alive_ok(&u, &fr, NOW + 5));
	alive_of(buf, sizeof buf, &fr, "alice", 2, NOW + 30, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW + 30));
	assert_int_equal(u.alive_counter, 2);
}

/* A counter at or below the last accepted one is old: dropped. */
static void
directory__alive_ok__drops_an_old_counter(void **state)
{
	struct srv_user u;
	unsigned char key[32];
	struct proto_frame fr;
	char buf[256];

	(void)state;
	user_with_key(&u, key);
	alive_of(buf, sizeof buf, &fr, "alice", 5, NOW, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
	alive_of(buf, sizeof buf, &fr, "alice", 4, NOW, key);
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	alive_of(buf, sizeof buf, &fr, "alice", 6, NOW, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
}

/* A mac by another key, a changed field, or no key held: dropped. */
static void
directory__alive_ok__drops_a_wrong_mac(void **state)
{
	struct srv_user u;
	unsigned char key[32], other[32];
	struct proto_frame fr;
	char buf[256], *p;

	(void)state;
	user_with_key(&u, key);
	memset(other, 0x33, sizeof other);
	alive_of(buf, sizeof buf, &fr, "alice", 1, NOW, other);
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	/* A counter raised by hand after signing. */
	alive_of(buf, sizeof buf, &fr, "alice", 1, NOW, key);
	p = strchr(buf, '|') + 7;
	*p = '2';
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	assert_int_equal(u.alive_counter, 0);
	/* The right datagram, but the user's key is gone (offline). */
	alive_of(buf, sizeof buf, &fr, "alice", 1, NOW, key);
	u.has_alive_key = false;
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	u.has_alive_key = true;
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
	assert_false(server_directory_alive_ok(NULL, &fr, NOW));
}

/* A time more than 90 s off the relay's clock is dropped, either way. */
static void
directory__alive_ok__drops_a_skewed_time(void **state)
{
	struct srv_user u;
	unsigned char key[32];
	struct proto_frame fr;
	char buf[256];

	(void)state;
	user_with_key(&u, key);
	alive_of(buf, sizeof buf, &fr, "alice", 1, NOW - 91, key);
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	alive_of(buf, sizeof buf, &fr, "alice", 2, NOW + 91, key);
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
	alive_of(buf, sizeof buf, &fr, "alice", 3, NOW - 90, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
	alive_of(buf, sizeof buf, &fr, "alice", 4, NOW + 90, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
}

/* A new login's key starts the counter again. */
static void
directory__alive_ok__counts_again_for_a_new_key(void **state)
{
	struct srv_user u;
	unsigned char key[32];
	struct proto_frame fr;
	char buf[256];

	(void)state;
	user_with_key(&u, key);
	alive_of(buf, sizeof buf, &fr, "alice", 9, NOW, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
	memset(key, 0x77, sizeof key);
	memcpy(u.alive_key, key, sizeof key);
	alive_of(buf, sizeof buf, &fr, "alice", 1, NOW, key);
	assert_true(server_directory_alive_ok(&u, &fr, NOW));
	assert_false(server_directory_alive_ok(&u, &fr, NOW));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(directory__token_eq__only_the_whole_token),
	    cmocka_unit_test(directory__alive_ok__drops_a_replay),
	    cmocka_unit_test(directory__alive_ok__drops_an_old_counter),
	    cmocka_unit_test(directory__alive_ok__drops_a_wrong_mac),
	    cmocka_unit_test(directory__alive_ok__drops_a_skewed_time),
	    cmocka_unit_test(directory__alive_ok__counts_again_for_a_new_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
