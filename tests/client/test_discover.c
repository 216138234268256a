/* SPDX-License-Identifier: MIT */
/* DISCOVER's answers: every field checked, one entry per relay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/discover.h"
#include "proto/build.h"

static const char hex[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* Parse a NUL-terminated datagram from 10.0.0.5. */
static int
parse(const char *s, struct client_relay_ad *ad)
{
	return client_discover_parse(s, strlen(s), "10.0.0.5", ad);
}

static void
discover__parse__takes_both_versions(void **state)
{
	struct client_relay_ad ad;
	unsigned char fp[32];
	char buf[512];
	size_t n;
	int i;

	(void)state;
	/* Version 1 (--tls off): RELAY|name|port; the LF is optional. */
	assert_int_equal(parse("RELAY|b2ZmaWNl|7733", &ad), 0);
	assert_string_equal(ad.name, "office");
	assert_string_equal(ad.addr, "10.0.0.5");
	assert_int_equal(ad.port, 7733);
	assert_false(ad.tls);
	/* Over TLS, with the fingerprint, as the relay builds it. */
	for (i = 0; i < 32; i++)
		fp[i] = (unsigned char)i;
	assert_int_equal(
	    proto_build_relay(buf, sizeof buf, &n, "b\xc3\xbcro", 9000, fp), 0);
	assert_int_equal(client_discover_parse(buf, n, "10.0.0.6", &ad), 0);
	assert_string_equal(ad.name, "b\xc3\xbcro");
	assert_int_equal(ad.port, 9000);
	assert_true(ad.tls);
	assert_memory_equal(ad.fp, fp, 32);
}

static void
discover__parse__refuses_what_is_not_a_relay(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "RELAY",
	    "RELAY|b2ZmaWNl",
	    "DISCOVER|1",
	    "ALIVE|3",
	    "RELAY|b2ZmaWNl|0", /* port 0 */
	    "RELAY|b2ZmaWNl|65536",
	    "RELAY|b2ZmaWNl|-1",
	    "RELAY|b2ZmaWNl|x",
	    "RELAY||7733", /* no name */
	    "RELAY|b2ZmaWN|7733", /* not base64 */
	    "RELAY|/w==|7733", /* not UTF-8 */
	    "RELAY|YQBi|7733", /* a NUL inside */
	    "RELAY|b2ZmaWNl|7733|abcd", /* a short fingerprint */
	    "relay|b2ZmaWNl|7733", /* verbs are upper case */
	    ("RELAY|b2ZmaWNl|7733|" /* not hex */
	     "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1"
	     "f"),
	};
	struct client_relay_ad ad;
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i], &ad) == 0)
			fail_msg("took '%s'", bad[i]);
	}
	snprintf(buf, sizeof buf, "RELAY|b2ZmaWNl|7733|%s|x", hex);
	assert_int_equal(parse(buf, &ad), -1); /* a field too many */
	snprintf(buf, sizeof buf, "RELAY|b2ZmaWNl|7733|%s", hex);
	assert_int_equal(parse(buf, &ad), 0);
	assert_int_equal(
	    client_discover_parse(buf, strlen(buf), NULL, &ad), -1);
}

static void
discover__parse__names_up_to_64_bytes(void **state)
{
	struct client_relay_ad ad;
	char name[80], buf[512];
	size_t n;

	(void)state;
	memset(name, 'r', 64);
	name[64] = '\0';
	assert_int_equal(
	    proto_build_relay(buf, sizeof buf, &n, name, 1, NULL), 0);
	assert_int_equal(client_discover_parse(buf, n, "10.0.0.5", &ad), 0);
	assert_int_equal(strlen(ad.name), 64);
	name[64] = 'r';
	name[65] = '\0';
	assert_int_equal(
	    proto_build_relay(buf, sizeof buf, &n, name, 1, NULL), 0);
	assert_int_equal(client_discover_parse(buf, n, "10.0.0.5", &ad), -1);
	/* A datagram longer than a relay ever sends. */
	memset(buf, 'A', sizeof buf);
	assert_int_equal(client_discover_parse(buf, 1024, "10.0.0.5", &ad), -1);
}

static void
discover__add__keeps_each_relay_once(void **state)
{
	struct client_discover d;
	struct client_relay_ad a, b;
	char buf[256];
	unsigned i;

	(void)state;
	memset(&d, 0, sizeof d);
	snprintf(buf, sizeof buf, "RELAY|b2ZmaWNl|7733|%s", hex);
	assert_int_equal(parse(buf, &a), 0);
	assert_true(client_discover_add(&d, &a));
	/* The same key heard from another address: the same relay. */
	b = a;
	snprintf(b.addr, sizeof b.addr, "192.168.1.5");
	assert_false(client_discover_add(&d, &b));
	/* The same address without TLS: another relay (another port). */
	assert_int_equal(parse("RELAY|b2ZmaWNl|7733", &b), 0);
	assert_true(client_discover_add(&d, &b));
	assert_false(client_discover_add(&d, &b));
	b.port = 7734;
	assert_true(client_discover_add(&d, &b));
	assert_int_equal(d.n, 3);
	/* A flood fills the list and no more. */
	for (i = 0; i < 100; i++) {
		b.port = 10000 + i;
		client_discover_add(&d, &b);
	}
	assert_int_equal(d.n, CLIENT_DISCOVER_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(discover__parse__takes_both_versions),
	    cmocka_unit_test(discover__parse__refuses_what_is_not_a_relay),
	    cmocka_unit_test(discover__parse__names_up_to_64_bytes),
	    cmocka_unit_test(discover__add__keeps_each_relay_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
