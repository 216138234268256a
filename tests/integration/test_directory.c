/* SPDX-License-Identifier: MIT */
/*
 * termgramd as the directory of P2P mode (PROTOCOL.md section 5): LOOKUP
 * and its tickets, VERIFY, light presence over UDP, RESUME while light,
 * and LAN discovery, through raw sockets as a conformance tool sees them.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "harness.h"
#include "proto/build.h"

static struct raw a, b, c;

static int
start(void **state, const char *arg, ...)
{
	static struct relay r;
	const char *args[8];
	va_list ap;
	int n = 0;

	va_start(ap, arg);
	for (; arg != NULL && n < 7; arg = va_arg(ap, const char *))
		args[n++] = arg;
	va_end(ap);
	args[n] = NULL;
	if (relay_start(&r, args[0], args[1], args[2], args[3], args[4],
	        args[5], args[6], NULL) != 0)
		return -1;
	a.fd = b.fd = c.fd = -1;
	*state = &r;
	return 0;
}

static int
setup_default(void **state)
{
	return start(state, NULL);
}

static int
setup_short(void **state)
{
	/* Tickets live one second, light presence three. */
	return start(state, "--ticket-seconds", "1", "--heartbeat", "1",
	    "--name", "office relay", NULL);
}

static int
teardown(void **state)
{
	struct relay *r = *state;

	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	return relay_finish(r) == 0 ? 0 : -1;
}

/* LOGIN with a p2p port; the session token goes to token. */
static void
login_p2p(struct raw *x, int port, const char *name, int p2p, char *token)
{
	char *p, *q;

	assert_int_equal(raw_open(x, port), 0);
	raw_send(x, "LOGIN|1|%s||%d\n", name, p2p);
	assert_int_equal(raw_expect(x, "WELCOME|", 5000), 0);
	p = strchr(x->line + 8, '|');
	assert_non_null(p);
	q = strchr(p + 1, '|');
	assert_non_null(q);
	if (token != NULL) {
		memcpy(token, p + 1, (size_t)(q - p - 1));
		token[q - p - 1] = '\0';
	}
	assert_int_equal(raw_expect(x, "SYNCED", 5000), 0);
}

/* Field k of the line x read last (0: the verb), into out. */
static void
field(const struct raw *x, int k, char *out, size_t cap)
{
	const char *p = x->line, *e;

	for (; k > 0 && p != NULL; k--)
		if ((p = strchr(p, '|')) != NULL)
			p++;
	if (p == NULL)
		fail_msg("no field %d in %s", k, x->line);
	e = strchr(p, '|');
	snprintf(
	    out, cap, "%.*s", (int)(e != NULL ? e - p : (long)strlen(p)), p);
}

/* Whether field k of x's last line is a fingerprint (64 hex digits). */
static bool
has_fp(const struct raw *x, int k)
{
	char fp[128];

	field(x, k, fp, sizeof fp);
	return strlen(fp) == 64 && strspn(fp, "0123456789abcdef") == 64;
}

/*
 * LOOKUP name; the ticket of the PEER answer goes to ticket. Over TLS
 * PEER ends with the target's device fingerprint.
 */
static void
lookup(struct raw *x, const char *name, const char *peer_prefix, char *ticket)
{
	raw_send(x, "LOOKUP|%s\n", name);
	assert_int_equal(raw_expect(x, "PEER|", 5000), 0);
	if (strncmp(x->line, peer_prefix, strlen(peer_prefix)) != 0)
		fail_msg("got %s, expected %s...", x->line, peer_prefix);
	field(x, 4, ticket, 64);
	assert_int_equal(strlen(ticket), 32);
	assert_true(h_tls ? has_fp(x, 5) : strchr(x->line, '|') != NULL);
}

/*
 * VERIFY name|ticket from x; returns the answer (yes or no). Over TLS a
 * yes names the asker's device fingerprint, a no nothing.
 */
static const char *
verify(struct raw *x, const char *name, const char *ticket)
{
	static char answer[8];
	char want[128];

	raw_send(x, "VERIFY|%s|%s\n", name, ticket);
	snprintf(want, sizeof want, "VERIFIED|%s|%s|", name, ticket);
	if (raw_expect(x, want, 5000) != 0)
		fail_msg("no %s (last line %s)", want, x->line);
	field(x, 3, answer, sizeof answer);
	if (h_tls && strcmp(answer, "yes") == 0)
		assert_true(has_fp(x, 4));
	else /* no 4th field */
		assert_null(strchr(x->line + strlen(want), '|'));
	return answer;
}

/*
 * The ALIVE that keeps name online, into q: version 1 with the session
 * token, or over TLS signed with key (exported from its login) and
 * counted.
 */
static void
alive_q(char *q, size_t cap, const char *name, const char *token,
    const unsigned char *key, uint64_t counter)
{
	unsigned char mac[32];
	unsigned maclen = 0;
	size_t n;

	if (!h_tls) {
		snprintf(q, cap, "ALIVE|%s|%s", name, token);
		return;
	}
	assert_int_equal(
	    proto_alive_signed(q, cap, &n, name, counter, (uint64_t)time(NULL)),
	    0);
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)q, n, mac, &maclen);
	assert_int_equal(proto_build_signed(q, cap, &n, mac), 0);
	q[n - 1] = '\0';
}

/* Whether ans is the relay's answer to ALIVE number counter. */
static bool
alive_answer(const char *ans, unsigned pending, uint64_t counter)
{
	char want[64];

	if (!h_tls) {
		snprintf(want, sizeof want, "ALIVE|%u", pending);
		return strcmp(ans, want) == 0;
	}
	snprintf(want, sizeof want, "ALIVE|%u|%llu|", pending,
	    (unsigned long long)counter);
	return strncmp(ans, want, strlen(want)) == 0 &&
	    strlen(ans) == strlen(want) + 64;
}

/*
 * raw_expect for a session that must keep itself alive meanwhile (the
 * relay runs with one-second heartbeats here).
 */
static int
expect_pinging(struct raw *x, const char *prefix, int ms)
{
	int waited;

	for (waited = 0; waited < ms; waited += 400) {
		raw_send(x, "PING|t\n");
		if (raw_expect(x, prefix, 400) == 0)
			return 0;
	}
	return -1;
}

static void
directory__lookup__gives_address_port_and_a_ticket_verified_once(void **state)
{
	struct relay *r = *state;
	char ticket[64];

	login_p2p(&a, r->port, "alice", 5555, NULL);
	login_p2p(&b, r->port, "Bob", 6666, NULL);
	/* The name as registered, the address the relay saw, the port from
	 * LOGIN. */
	lookup(&a, "bob", "PEER|Bob|127.0.0.1|6666|", ticket);
	assert_string_equal(verify(&b, "alice", ticket), "yes");
	/* Single use. */
	assert_string_equal(verify(&b, "alice", ticket), "no");
	/* And the other way. */
	lookup(&b, "ALICE", "PEER|alice|127.0.0.1|5555|", ticket);
	assert_string_equal(verify(&a, "bob", ticket), "yes");
}

static void
directory__verify__refuses_forged_and_misused_tickets(void **state)
{
	struct relay *r = *state;
	char ticket[64];

	login_p2p(&a, r->port, "alice", 5555, NULL);
	login_p2p(&b, r->port, "bob", 6666, NULL);
	login_p2p(&c, r->port, "carol", 7777, NULL);
	lookup(&a, "bob", "PEER|bob|127.0.0.1|6666|", ticket);
	/* carol holds alice's ticket for bob: not hers to check. */
	assert_string_equal(verify(&c, "alice", ticket), "no");
	/* bob is told the ticket is carol's: it is not. */
	assert_string_equal(verify(&b, "carol", ticket), "no");
	/* A made-up ticket, and a ticket of the wrong form. */
	assert_string_equal(
	    verify(&b, "alice", "0123456789abcdef0123456789abcdef"), "no");
	assert_string_equal(verify(&b, "alice", "x"), "no");
	/* None of that used it up: the real check still says yes. */
	assert_string_equal(verify(&b, "alice", ticket), "yes");
}

static void
directory__ticket__expires(void **state)
{
	struct relay *r = *state;
	char ticket[64];

	login_p2p(&a, r->port, "alice", 5555, NULL);
	login_p2p(&b, r->port, "bob", 6666, NULL);
	lookup(&a, "bob", "PEER|bob|127.0.0.1|6666|", ticket);
	/* --ticket-seconds 1: expiry is the thing under test, so time has
	 * to pass. */
	usleep(1300 * 1000);
	assert_string_equal(verify(&b, "alice", ticket), "no");
}

static void
directory__lookup__offline_unknown_and_not_logged_in(void **state)
{
	struct relay *r = *state;

	login_p2p(&a, r->port, "alice", 0, NULL);
	login_p2p(&b, r->port, "bob", 6666, NULL);
	raw_close(&b);
	assert_int_equal(raw_expect(&a, "USER|bob|offline|", 5000), 0);
	raw_send(&a, "LOOKUP|bob\n");
	assert_int_equal(raw_expect(&a, "ERR|OFFLINE|bob|", 5000), 0);
	raw_send(&a, "LOOKUP|nobody\n");
	assert_int_equal(raw_expect(&a, "ERR|NO_SUCH_USER|nobody|", 5000), 0);
	raw_send(&a, "LOOKUP|no body\n");
	assert_int_equal(raw_expect(&a, "ERR|BAD_", 5000), 0);
	/* A client that takes no direct connections says port 0. */
	login_p2p(&b, r->port, "bob", 0, NULL);
	raw_send(&a, "LOOKUP|bob\n");
	assert_int_equal(raw_expect(&a, "PEER|bob|127.0.0.1|0|", 5000), 0);
	assert_int_equal(raw_open(&c, r->port), 0);
	raw_send(&c, "LOOKUP|bob\n");
	assert_int_equal(raw_expect(&c, "ERR|NOT_LOGGED_IN|", 5000), 0);
}

static void
light__alive_keeps_a_user_online_until_three_intervals_pass(void **state)
{
	struct relay *r = *state;
	char token[64], q[256], ans[256], ticket[64];
	unsigned char key[32] = {0};
	unsigned long long light = 99, sessions = 99;
	long long t0;

	login_p2p(&a, r->port, "alice", 5555, NULL);
	login_p2p(&b, r->port, "bob", 6666, token);
	assert_int_equal(raw_expect(&a, "USER|bob|online|", 5000), 0);

	/* bob goes light: an ALIVE, then its connection closes. */
	if (h_tls)
		assert_int_equal(SSL_export_keying_material(b.ssl, key, 32,
		                     "EXPORTER-termgram-alive", 23, NULL, 0, 0),
		    1);
	alive_q(q, sizeof q, "bob", token, key, 1);
	udp_ask(r->port, q, ans, sizeof ans, 2000);
	assert_true(alive_answer(ans, 0, 1));
	raw_close(&b);
	alive_q(q, sizeof q, "bob", token, key, 2);
	udp_ask(r->port, q, ans, sizeof ans, 2000);
	assert_true(alive_answer(ans, 0, 2));
	assert_int_equal(raw_stats(&a, "light", &light), 0);
	assert_int_equal(light, 1);
	/* bob's connection is gone (the relay sees its end soon). */
	for (t0 = 0; t0 < 50; t0++) {
		assert_int_equal(raw_stats(&a, "sessions", &sessions), 0);
		if (sessions == 1)
			break;
		usleep(20000);
	}
	assert_int_equal(sessions, 1);

	/* Shown online to whoever logs in, found by LOOKUP at the
	 * address its ALIVE came from. */
	login_p2p(&c, r->port, "carol", 0, NULL);
	raw_close(&c);
	lookup(&a, "bob", "PEER|bob|127.0.0.1|6666|", ticket);

	/* A message to bob waits in the queue; ALIVE says so. */
	raw_send(&a, "MSG|alice|bob|1|m1|aGk=\n");
	assert_int_equal(raw_expect(&a, "ACK|m1|stored", 5000), 0);
	alive_q(q, sizeof q, "bob", token, key, 3);
	udp_ask(r->port, q, ans, sizeof ans, 2000);
	assert_true(alive_answer(ans, 1, 3));

	/* A short RESUME connection fetches it without the password. */
	assert_int_equal(raw_open(&b, r->port), 0);
	raw_send(&b, "RESUME|1|bob|%s|6666\n", token);
	assert_int_equal(raw_expect(&b, "WELCOME|bob|", 5000), 0);
	assert_int_equal(raw_expect(&b, "MSG|alice|bob|1|m1|aGk=", 5000), 0);
	raw_send(&b, "RCPT|bob|alice|m1|delivered\n");
	assert_int_equal(
	    raw_expect(&a, "RCPT|bob|alice|m1|delivered", 5000), 0);
	raw_close(&b);

	/* No more ALIVE: offline after three one-second intervals. */
	t0 = (long long)time(NULL);
	assert_int_equal(expect_pinging(&a, "USER|bob|offline|", 8000), 0);
	assert_true((long long)time(NULL) - t0 <= 6);
	raw_send(&a, "LOOKUP|bob\n");
	assert_int_equal(raw_expect(&a, "ERR|OFFLINE|bob|", 5000), 0);
}

static void
light__alive_with_a_wrong_token_is_refused(void **state)
{
	struct relay *r = *state;
	char token[64], q[128], ans[256];

	/* Over TLS an answer is never larger than its request: the ERR of
	 * version 1 is not sent. */
	const char *refused = h_tls ? "" : "ERR|AUTH_FAILED|-|";

	login_p2p(&b, r->port, "bob", 6666, token);
	udp_ask(r->port, "ALIVE|bob|0123456789abcdef0123456789abcdef", ans,
	    sizeof ans, h_tls ? 300 : 2000);
	assert_true(strncmp(ans, refused, strlen(refused)) == 0);
	udp_ask(r->port, "ALIVE|nobody|0123456789abcdef0123456789abcdef", ans,
	    sizeof ans, h_tls ? 300 : 2000);
	assert_true(strncmp(ans, refused, strlen(refused)) == 0);
	/* Without an ALIVE first, closing the connection is leaving. */
	login_p2p(&a, r->port, "alice", 0, NULL);
	raw_close(&b);
	assert_int_equal(raw_expect(&a, "USER|bob|offline|", 5000), 0);
	snprintf(q, sizeof q, "ALIVE|bob|%s", token);
	udp_ask(r->port, q, ans, sizeof ans, h_tls ? 300 : 2000);
	assert_true(strncmp(ans, refused, strlen(refused)) == 0);
	/* Garbage gets no answer at all. */
	udp_ask(r->port, "HELLO", ans, sizeof ans, 300);
	assert_string_equal(ans, "");
	raw_open(&b, r->port);
	raw_send(&b, "RESUME|1|bob|%s|0\n", token);
	assert_int_equal(raw_expect(&b, "ERR|AUTH_FAILED|", 5000), 0);
}

static void
discover__relay_answers_with_its_name_and_port(void **state)
{
	struct relay *r = *state;
	char ans[256], want[64];

	static char padded[257] = "DISCOVER|1|";

	/* Over TLS a request must be at least as long as its answer. */
	memset(padded + 11, '-', sizeof padded - 12);
	udp_ask(r->port, h_tls ? padded : "DISCOVER|1", ans, sizeof ans, 2000);
	/* "office relay" in base64. */
	snprintf(want, sizeof want, "RELAY|b2ZmaWNlIHJlbGF5|%d", r->port);
	assert_true(strncmp(ans, want, strlen(want)) == 0);
	/* Over TLS it ends with the relay's fingerprint, to be pinned. */
	if (h_tls)
		assert_true(ans[strlen(want)] == '|' &&
		    strspn(ans + strlen(want) + 1, "0123456789abcdef") == 64);
	else
		assert_true(
		    ans[strlen(want)] == '\0' || ans[strlen(want)] == '\n');
	udp_ask(r->port, "DISCOVER|2", ans, sizeof ans, 300);
	assert_string_equal(ans, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        directory__lookup__gives_address_port_and_a_ticket_verified_once,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        directory__verify__refuses_forged_and_misused_tickets,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        directory__ticket__expires, setup_short, teardown),
	    cmocka_unit_test_setup_teardown(
	        directory__lookup__offline_unknown_and_not_logged_in,
	        setup_default, teardown),
	    cmocka_unit_test_setup_teardown(
	        light__alive_keeps_a_user_online_until_three_intervals_pass,
	        setup_short, teardown),
	    cmocka_unit_test_setup_teardown(
	        light__alive_with_a_wrong_token_is_refused, setup_short,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        discover__relay_answers_with_its_name_and_port, setup_short,
	        teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
