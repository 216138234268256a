/* SPDX-License-Identifier: MIT */
/*
 * Light mode over TLS without sockets: which of the relay's datagrams a
 * resting client believes (a signed answer to its latest ALIVE, from the
 * relay's address and port) and which it ignores.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "client/session_int.h"
#include "proto/build.h"
#include "proto/frame.h"

/* The relay's answer ALIVE|pending|counter, signed with key, parsed. */
static void
answer_of(char *buf, size_t cap, struct proto_frame *fr, uint64_t pending,
    uint64_t counter, const unsigned char *key)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	struct proto_error err;
	size_t n;

	assert_int_equal(
	    proto_alive_reply_signed(buf, cap, &n, pending, counter), 0);
	crypto_auth_hmacsha256(mac, (const unsigned char *)buf, n, key);
	assert_int_equal(proto_build_signed(buf, cap, &n, mac), 0);
	assert_int_equal(proto_frame_parse(buf, n, fr, &err), PROTO_FRAME);
}

static void
parse(char *buf, const char *line, struct proto_frame *fr)
{
	struct proto_error err;

	strcpy(buf, line);
	assert_int_equal(
	    proto_frame_parse(buf, strlen(buf), fr, &err), PROTO_FRAME);
}

/* Only the signed answer to the latest counter is taken. */
static void
client_light__answer_ok__only_the_latest_signed_answer(void **state)
{
	unsigned char key[32], other[32];
	struct proto_frame fr;
	char buf[256];

	(void)state;
	memset(key, 0x5a, sizeof key);
	memset(other, 0x33, sizeof other);
	answer_of(buf, sizeof buf, &fr, 2, 7, key);
	assert_true(client_light_answer_ok(key, 7, &fr));
	/* An answer to an older ALIVE (a replay): ignored. */
	assert_false(client_light_answer_ok(key, 8, &fr));
	/* Signed with another key (forged): ignored. */
	answer_of(buf, sizeof buf, &fr, 2, 7, other);
	assert_false(client_light_answer_ok(key, 7, &fr));
	/* Before the first ALIVE nothing is an answer. */
	answer_of(buf, sizeof buf, &fr, 0, 0, key);
	assert_false(client_light_answer_ok(key, 0, &fr));
}

/* The version-1 answer and any ERR are not answers over TLS. */
static void
client_light__answer_ok__ignores_unsigned_and_err(void **state)
{
	unsigned char key[32];
	struct proto_frame fr;
	char buf[256];

	(void)state;
	memset(key, 0x5a, sizeof key);
	parse(buf, "ALIVE|3\n", &fr);
	assert_false(client_light_answer_ok(key, 1, &fr));
	parse(buf, "ERR|AUTH_FAILED|-|\n", &fr);
	assert_false(client_light_answer_ok(key, 1, &fr));
	/* A signed answer whose pending count was raised after signing. */
	answer_of(buf, sizeof buf, &fr, 0, 1, key);
	buf[6] = '9';
	assert_false(client_light_answer_ok(key, 1, &fr));
}

static struct sockaddr_storage
v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof ss);
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return ss;
}

/* Datagrams count only from the relay's own address and port. */
static void
client_light__same_addr__host_and_port(void **state)
{
	struct sockaddr_storage relay = v4("10.0.0.1", 7733);
	struct sockaddr_storage same = v4("10.0.0.1", 7733);
	struct sockaddr_storage port = v4("10.0.0.1", 7734);
	struct sockaddr_storage host = v4("10.0.0.66", 7733);
	struct sockaddr_storage v6;

	(void)state;
	memset(&v6, 0, sizeof v6);
	v6.ss_family = AF_INET6;
	assert_true(client_light_same_addr(&same, &relay));
	assert_false(client_light_same_addr(&port, &relay));
	assert_false(client_light_same_addr(&host, &relay));
	assert_false(client_light_same_addr(&v6, &relay));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        client_light__answer_ok__only_the_latest_signed_answer),
	    cmocka_unit_test(client_light__answer_ok__ignores_unsigned_and_err),
	    cmocka_unit_test(client_light__same_addr__host_and_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
