/* SPDX-License-Identifier: MIT */
/*
 * The P2P connection state machine without sockets: the handshake from
 * both sides, who may speak on a verified connection, and which messages
 * fall back to the relay when a direct send does not work out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_log.h"

#include "client/outbox.h"
#include "client/peer.h"
#include "proto/frame.h"

/* Everything the machine asked for, one line each, in order. */
struct fake {
	char log[8192];
	char fallback[1024]; /* ids, space-separated */
	char frames[1024]; /* verbs handed to the session */
	bool connect_fails;
};

#define logf_(f, ...)                                                          \
	fake_log(((struct fake *)(f))->log, sizeof((struct fake *)(f))->log,   \
	    __VA_ARGS__)

static int
fk_peer(void *arg, const char *p, size_t n, const void *payload, size_t m)
{
	logf_(arg, "peer %.*s", (int)n, p);
	if (m > 0)
		logf_(arg, "payload %.*s\n", (int)m, (const char *)payload);
	return 0;
}

static int
fk_relay(void *arg, const char *p, size_t n)
{
	logf_(arg, "relay %.*s", (int)n, p);
	return 0;
}

static int
fk_connect(void *arg, const char *ip, unsigned port)
{
	struct fake *f = arg;

	logf_(f, "connect %s %u\n", ip, port);
	return f->connect_fails ? -1 : 0;
}

static void
fk_close(void *arg, const char *why)
{
	logf_(arg, "close %s\n", why);
}

static void
fk_fallback(void *arg, const char *id)
{
	struct fake *f = arg;

	strcat(f->fallback, id);
	strcat(f->fallback, " ");
}

static void
fk_frame(void *arg, const struct proto_frame *fr)
{
	struct fake *f = arg;

	strcat(f->frames, proto_verb_name(fr->verb));
	strcat(f->frames, " ");
}

static void
fk_ended(void *arg, const char *why)
{
	logf_(arg, "ended %s\n", why);
}

static struct fake fk;
static const struct client_peer_io io = {
    .arg = &fk,
    .send_peer = fk_peer,
    .send_relay = fk_relay,
    .connect = fk_connect,
    .close = fk_close,
    .fallback = fk_fallback,
    .frame = fk_frame,
    .ended = fk_ended,
};

/* The same owner with direct connections over TLS. */
static struct client_peer_io
tls_io(void)
{
	struct client_peer_io t = io;

	t.tls = true;
	return t;
}

/* Two device keys: bob's (the one the relay knows) and an impostor's. */
#define FP_BOB                                                                 \
	"b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
#define FP_ALICE                                                               \
	"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
static const unsigned char key_bob[32] = {0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0,
    0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0,
    0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0,
    0xb0, 0xb0};
static const unsigned char key_alice[32] = {0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
    0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
    0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
    0xa1, 0xa1};
static const unsigned char key_mallory[32] = {0x66};

static int
reset(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	return 0;
}

/* Parse one frame line (LF added) into fr; its text lives in buf. */
static void
parse(const char *line, char *buf, size_t cap, struct proto_frame *fr)
{
	struct proto_error err;
	int n = snprintf(buf, cap, "%s\n", line);

	assert_int_equal(
	    proto_frame_parse(buf, (size_t)n, fr, &err), PROTO_FRAME);
}

static void
relay_says(struct client_peer *p, const char *line, uint64_t now)
{
	char buf[512];
	struct proto_frame fr;

	parse(line, buf, sizeof buf, &fr);
	client_peer_relay_frame(p, &fr, now);
}

static void
peer_says(struct client_peer *p, const char *line, uint64_t now)
{
	char buf[512];
	struct proto_frame fr;

	parse(line, buf, sizeof buf, &fr);
	client_peer_frame(p, &fr, now);
}

static void
expect_log(const char *want)
{
	if (strstr(fk.log, want) == NULL)
		fail_msg("no \"%s\" in:\n%s", want, fk.log);
}

static const char *const T = "0123456789abcdef0123456789abcdef";

#define MSG1 "MSG|alice|bob|1|m1|aGk=\n"
#define MSG2 "MSG|alice|bob|2|m2|aGk=\n"

/* alice dials bob through to an open connection, for the owner of t. */
static struct client_peer *
dial_open_for(const struct client_peer_io *t, uint64_t now)
{
	struct client_peer *p = client_peer_dial(t, "alice", "bob", now);
	char line[128];

	snprintf(line, sizeof line, "PEER|bob|192.168.1.20|40213|%s", T);
	relay_says(p, line, now);
	client_peer_connected(p, now);
	peer_says(p, "PWELCOME|bob|alice", now);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	return p;
}

/* alice dials bob through to an open connection. */
static struct client_peer *
dial_open(uint64_t now)
{
	return dial_open_for(&io, now);
}

static void
client_peer__dials__lookup_connect_hello_welcome(void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	p = client_peer_dial(&io, "alice", "bob", 1000);
	assert_string_equal(fk.log, "relay LOOKUP|bob\n");
	assert_int_equal(client_peer_state(p), CLIENT_PEER_LOOKUP);
	/* A message given meanwhile waits for the connection. */
	assert_int_equal(
	    client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 1001), 0);
	assert_null(strstr(fk.log, "peer MSG"));
	/* The answer about someone else is not ours. */
	relay_says(p, "PEER|carol|10.0.0.9|5555|aaaa", 1002);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_LOOKUP);
	snprintf(line, sizeof line, "PEER|Bob|[fe80::1]|40213|%s", T);
	relay_says(p, line, 1003);
	expect_log("connect [fe80::1] 40213\n");
	client_peer_connected(p, 1004);
	snprintf(line, sizeof line, "peer PHELLO|alice|bob|%s\n", T);
	expect_log(line);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_HELLO);
	peer_says(p, "PWELCOME|BOB|alice", 1005);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	expect_log("peer " MSG1);
	/* Its receipt (after the ACK) settles it: closing now hands
	 * nothing back. */
	peer_says(p, "ACK|m1|stored", 1006);
	assert_int_equal(client_peer_pending(p), 1);
	peer_says(p, "RCPT|bob|alice|m1|delivered", 1006);
	assert_int_equal(client_peer_pending(p), 0);
	client_peer_closed(p, "gone");
	assert_string_equal(fk.fallback, "");
	client_peer_free(p);
}

static void
client_peer__falls_back__when_it_cannot_connect(void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	/* No port: the peer takes no direct connections. */
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 0);
	relay_says(p, "PEER|bob|10.0.0.2|0|abc", 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_string_equal(fk.fallback, "m1 ");
	/* Closed: the next message goes by the relay at once. */
	assert_int_equal(
	    client_peer_send_msg(p, "m2", MSG2, strlen(MSG2), 2), -1);
	client_peer_free(p);

	/* Offline in the directory. */
	reset(NULL);
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 0);
	relay_says(p, "ERR|OFFLINE|bob|Ym9iIGlzIG9mZmxpbmU=", 1);
	assert_string_equal(fk.fallback, "m1 ");
	client_peer_free(p);

	/* The relay never answers. */
	reset(NULL);
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 0);
	client_peer_tick(p, CLIENT_PEER_RELAY_MS - 1);
	assert_string_equal(fk.fallback, "");
	client_peer_tick(p, CLIENT_PEER_RELAY_MS);
	assert_string_equal(fk.fallback, "m1 ");
	client_peer_free(p);

	/* The connect times out. */
	reset(NULL);
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 0);
	snprintf(line, sizeof line, "PEER|bob|10.0.0.2|4000|%s", T);
	relay_says(p, line, 10);
	client_peer_tick(p, 10 + CLIENT_PEER_CONNECT_MS);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	expect_log("close the peer did not answer\n");
	assert_string_equal(fk.fallback, "m1 ");
	client_peer_free(p);

	/* The connect is refused at once. */
	reset(NULL);
	fk.connect_fails = true;
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 0);
	relay_says(p, line, 10);
	assert_string_equal(fk.fallback, "m1 ");
	client_peer_free(p);
}

static void
client_peer__falls_back__only_what_is_not_settled(void **state)
{
	struct client_peer *p;

	(void)state;
	p = dial_open(0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 10);
	client_peer_send_msg(p, "m2", MSG2, strlen(MSG2), 11);
	client_peer_send_msg(p, "m3", MSG2, strlen(MSG2), 12);
	/* m3 by its receipt (which also goes to the session); m1 has its
	 * ACK only, the receipt after it cut off: not settled. */
	peer_says(p, "ACK|m1|stored", 20);
	peer_says(p, "RCPT|bob|alice|m3|delivered", 21);
	assert_string_equal(fk.frames, "RCPT ");
	assert_int_equal(client_peer_pending(p), 2);
	client_peer_closed(p, "connection reset");
	assert_string_equal(fk.fallback, "m1 m2 ");
	assert_string_equal(client_peer_reason(p), "connection reset");
	client_peer_free(p);
}

static void
client_peer__falls_back__when_an_ack_is_overdue(void **state)
{
	struct client_peer *p;

	(void)state;
	p = dial_open(0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 100);
	client_peer_tick(p, 100 + CLIENT_PEER_ACK_MS - 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	client_peer_tick(p, 100 + CLIENT_PEER_ACK_MS);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	expect_log("close the peer did not acknowledge\n");
	assert_string_equal(fk.fallback, "m1 ");
	client_peer_free(p);
}

#define OFFER                                                                  \
	"FOFFER|alice|bob|f1|5|"                                               \
	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824|"    \
	"aGk=\n"
#define FDATA "FDATA|alice|bob|f1|0|5\n"

static void
client_peer__sends_once__a_file_offer_and_its_data(void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	p = client_peer_dial(&io, "alice", "bob", 0);
	assert_int_equal(
	    client_peer_send_once(p, "f1", OFFER, strlen(OFFER), 0), 0);
	/* Data needs an open connection; the offer waits for it. */
	assert_int_equal(
	    client_peer_send(p, FDATA, strlen(FDATA), "hello", 5, 0), -1);
	snprintf(line, sizeof line, "PEER|bob|10.0.0.2|4000|%s", T);
	relay_says(p, line, 1);
	client_peer_connected(p, 2);
	assert_null(strstr(fk.log, "peer FOFFER"));
	peer_says(p, "PWELCOME|bob|alice", 3);
	expect_log("peer " OFFER);
	/* It wants no ACK: nothing pending, nothing overdue. */
	assert_int_equal(client_peer_pending(p), 0);
	client_peer_tick(p, 3 + CLIENT_PEER_ACK_MS);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	assert_int_equal(
	    client_peer_send(p, FDATA, strlen(FDATA), "hello", 5, 4), 0);
	expect_log("peer " FDATA "payload hello\n");
	/* The peer's transfer frames go to the session. */
	peer_says(p, "FACK|bob|alice|f1|5", 5);
	assert_string_equal(fk.frames, "FACK ");
	/* Once open, its end is told; nothing comes back. */
	client_peer_closed(p, "connection reset");
	expect_log("ended connection reset\n");
	assert_string_equal(fk.fallback, "");
	client_peer_free(p);

	/* Never open: the offer comes back by its id, no end is told. */
	reset(NULL);
	fk.connect_fails = true;
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_once(p, "f1", OFFER, strlen(OFFER), 0);
	relay_says(p, line, 1);
	assert_string_equal(fk.fallback, "f1 ");
	assert_null(strstr(fk.log, "ended"));
	client_peer_free(p);
}

static void
client_peer__refuses__a_welcome_from_someone_else(void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	p = client_peer_dial(&io, "alice", "bob", 0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 0);
	snprintf(line, sizeof line, "PEER|bob|10.0.0.2|4000|%s", T);
	relay_says(p, line, 1);
	client_peer_connected(p, 2);
	peer_says(p, "PWELCOME|mallory|alice", 3);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_string_equal(fk.fallback, "m1 ");
	assert_null(strstr(fk.log, "peer MSG"));
	client_peer_free(p);
}

/* bob answers a connection from alice. */
static struct client_peer *
answer_open(uint64_t now)
{
	struct client_peer *p = client_peer_answer(&io, "bob", now);
	char line[128];

	snprintf(line, sizeof line, "PHELLO|alice|bob|%s", T);
	peer_says(p, line, now);
	snprintf(line, sizeof line, "VERIFIED|alice|%s|yes", T);
	relay_says(p, line, now);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	return p;
}

static void
client_peer__answers__verifies_the_ticket_then_welcomes(void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	p = client_peer_answer(&io, "bob", 0);
	assert_string_equal(fk.log, "");
	snprintf(line, sizeof line, "PHELLO|alice|Bob|%s", T);
	peer_says(p, line, 1);
	snprintf(line, sizeof line, "relay VERIFY|alice|%s\n", T);
	expect_log(line);
	assert_string_equal(client_peer_name(p), "alice");
	/* Until the relay vouches, nothing is welcome. */
	assert_null(strstr(fk.log, "PWELCOME"));
	peer_says(p, "MSG|alice|bob|1|m1|aGk=", 2);
	assert_string_equal(fk.frames, "");
	/* A VERIFIED about another ticket is not the answer. */
	relay_says(p, "VERIFIED|alice|ffffffffffffffffffffffffffffffff|yes", 3);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_VERIFYING);
	snprintf(line, sizeof line, "VERIFIED|alice|%s|yes", T);
	relay_says(p, line, 4);
	expect_log("peer PWELCOME|bob|alice\n");
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	peer_says(p, "MSG|alice|bob|5|m5|aGk=", 5);
	peer_says(p, "TYPING|alice|bob|on", 6);
	assert_string_equal(fk.frames, "MSG TYPING ");
	/* It may carry our messages back too. */
	assert_int_equal(
	    client_peer_send_msg(p, "r1", "MSG|bob|alice|7|r1|aGk=\n", 24, 7),
	    0);
	expect_log("peer MSG|bob|alice|7|r1|aGk=\n");
	client_peer_free(p);
}

static void
client_peer__answers__refuses_a_ticket_the_relay_does_not_vouch_for(
    void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	p = client_peer_answer(&io, "bob", 0);
	snprintf(line, sizeof line, "PHELLO|alice|bob|%s", T);
	peer_says(p, line, 1);
	snprintf(line, sizeof line, "VERIFIED|alice|%s|no", T);
	relay_says(p, line, 2);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_null(strstr(fk.log, "PWELCOME"));
	expect_log("close the relay did not vouch for it\n");
	client_peer_free(p);
}

static void
client_peer__answers__drops_a_connection_without_a_proper_hello(void **state)
{
	struct client_peer *p;
	char line[128];

	(void)state;
	/* Silence. */
	p = client_peer_answer(&io, "bob", 0);
	client_peer_tick(p, CLIENT_PEER_HELLO_MS - 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_WAIT_HELLO);
	client_peer_tick(p, CLIENT_PEER_HELLO_MS);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	client_peer_free(p);

	/* Talking before the hello. */
	reset(NULL);
	p = client_peer_answer(&io, "bob", 0);
	peer_says(p, "MSG|alice|bob|1|m1|aGk=", 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_string_equal(fk.frames, "");
	assert_null(strstr(fk.log, "relay VERIFY"));
	client_peer_free(p);

	/* A hello meant for someone else. */
	reset(NULL);
	p = client_peer_answer(&io, "bob", 0);
	snprintf(line, sizeof line, "PHELLO|alice|carol|%s", T);
	peer_says(p, line, 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_null(strstr(fk.log, "relay VERIFY"));
	client_peer_free(p);

	/* The relay does not answer the VERIFY. */
	reset(NULL);
	p = client_peer_answer(&io, "bob", 0);
	snprintf(line, sizeof line, "PHELLO|alice|bob|%s", T);
	peer_says(p, line, 1);
	client_peer_tick(p, 1 + CLIENT_PEER_RELAY_MS);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	client_peer_free(p);
}

static void
client_peer__refuses__frames_not_from_the_verified_peer(void **state)
{
	struct client_peer *p;

	(void)state;
	p = answer_open(0);
	/* alice, verified, speaks for carol: refused, closed. */
	peer_says(p, "MSG|carol|bob|1|c1|aGk=", 1);
	expect_log("peer ERR|FORBIDDEN|-|");
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_string_equal(fk.frames, "");
	client_peer_free(p);

	/* Or to someone other than us. */
	reset(NULL);
	p = answer_open(0);
	peer_says(p, "MSG|alice|dave|1|d1|aGk=", 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_string_equal(fk.frames, "");
	client_peer_free(p);
}

/*
 * The session's outbox wired to one direct connection as links.c and
 * p2p.c do: what the connection hands back goes by the relay, and the
 * peer's receipt is what settles a message that went direct.
 */
struct wired {
	struct client_outbox *ob;
	struct client_peer *p;
	char relay[1024]; /* frames the outbox sent by the relay */
	char settled[256]; /* ids it let go, space-separated */
};

static struct wired wd;

static int
wd_relay(void *arg, const char *p, size_t n)
{
	(void)arg;
	fake_log(wd.relay, sizeof wd.relay, "%.*s", (int)n, p);
	return 0;
}

static bool
wd_may_direct(void *arg, const char *to)
{
	(void)arg;
	(void)to;
	return true;
}

static int
wd_direct(void *arg, const char *to, const char *id, const char *p, size_t n)
{
	(void)arg;
	(void)to;
	return client_peer_send_msg(wd.p, id, p, n, 30);
}

static void
wd_settled(void *arg, const char *to, const char *id, enum client_msg_state st,
    bool direct)
{
	(void)arg;
	(void)to;
	(void)st;
	(void)direct;
	fake_log(wd.settled, sizeof wd.settled, "%s ", id);
}

static void
wd_fallback(void *arg, const char *id)
{
	fk_fallback(arg, id);
	client_outbox_fallback(wd.ob, id);
}

static void
wd_frame(void *arg, const struct proto_frame *fr)
{
	char id[PROTO_MAX_ID + 1], from[PROTO_MAX_NAME + 1];

	fk_frame(arg, fr);
	if (fr->verb != PROTO_V_RCPT)
		return;
	snprintf(id, sizeof id, "%.*s", (int)fr->arg[2].len, fr->arg[2].p);
	snprintf(from, sizeof from, "%.*s", (int)fr->arg[0].len, fr->arg[0].p);
	client_outbox_settle(
	    wd.ob, id, from, CLIENT_MSG_DELIVERED, CLIENT_ROUTE_DIRECT);
}

static void
client_peer__hands_back__a_message_whose_receipt_never_came(void **state)
{
	const struct client_outbox_io oio = {
	    .send_relay = wd_relay,
	    .may_direct = wd_may_direct,
	    .send_direct = wd_direct,
	    .settled = wd_settled,
	};
	struct client_peer_io pio = io;

	(void)state;
	memset(&wd, 0, sizeof wd);
	pio.fallback = wd_fallback;
	pio.frame = wd_frame;
	wd.ob = client_outbox_new(&oio, 8);
	wd.p = dial_open_for(&pio, 0);
	client_outbox_add(wd.ob, "m1", "bob", 1, "hi", 2);
	client_outbox_add(wd.ob, "m2", "bob", 2, "hi", 2);
	client_outbox_pump(wd.ob, "alice", 4096);
	expect_log("peer MSG|alice|bob|1|m1|aGk=\npeer MSG|alice|bob|2|m2|");
	/* bob stores both and answers ACK and RCPT for each in one write,
	 * which reaches us cut after m2's ACK: he was killed in between. */
	peer_says(wd.p, "ACK|m1|stored", 40);
	peer_says(wd.p, "RCPT|bob|alice|m1|delivered", 40);
	peer_says(wd.p, "ACK|m2|stored", 40);
	client_peer_closed(wd.p, "connection reset");
	assert_string_equal(wd.settled, "m1 ");
	assert_string_equal(fk.fallback, "m2 ");
	/* m2 is not left waiting for a receipt no one will send. */
	client_outbox_pump(wd.ob, "alice", 4096);
	assert_string_equal(wd.relay, "MSG|alice|bob|2|m2|aGk=\n");
	client_outbox_settle(
	    wd.ob, "m2", NULL, CLIENT_MSG_STORED, CLIENT_ROUTE_RELAY);
	assert_int_equal(client_outbox_len(wd.ob), 0);
	client_peer_free(wd.p);
	client_outbox_free(wd.ob);
}

static void
client_peer__closes__when_idle_with_nothing_pending(void **state)
{
	struct client_peer *p;

	(void)state;
	p = dial_open(0);
	client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 10);
	peer_says(p, "ACK|m1|stored", 20);
	peer_says(p, "RCPT|bob|alice|m1|delivered", 20);
	client_peer_tick(p, 20 + CLIENT_PEER_IDLE_MS - 1);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	client_peer_tick(p, 20 + CLIENT_PEER_IDLE_MS);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	expect_log("close idle\n");
	assert_string_equal(fk.fallback, "");
	client_peer_free(p);
}

/*
 * alice dials bob over TLS with m1 waiting; the relay answers PEER with
 * fp (NULL: none) and bob's address.
 */
static struct client_peer *
tls_dial(const struct client_peer_io *t, const char *fp)
{
	struct client_peer *p = client_peer_dial(t, "alice", "bob", 1000);
	char line[192];

	assert_int_equal(
	    client_peer_send_msg(p, "m1", MSG1, strlen(MSG1), 1001), 0);
	snprintf(line, sizeof line, "PEER|bob|10.0.0.2|40213|%s%s%s", T,
	    fp != NULL ? "|" : "", fp != NULL ? fp : "");
	relay_says(p, line, 1002);
	return p;
}

/* Over TLS: PHELLO goes only to the key PEER named, then as before. */
static void
client_peer__dials_over_tls__hello_only_to_the_named_key(void **state)
{
	struct client_peer_io t = tls_io();
	struct client_peer *p = tls_dial(&t, FP_BOB);
	char line[192];

	(void)state;
	expect_log("connect 10.0.0.2 40213\n");
	/* TCP is up, but who answers is not known yet: no PHELLO. */
	client_peer_connected(p, 1003);
	assert_null(strstr(fk.log, "PHELLO"));
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CONNECTING);
	client_peer_handshake(p, key_bob, 1004);
	snprintf(line, sizeof line, "peer PHELLO|alice|bob|%s\n", T);
	expect_log(line);
	peer_says(p, "PWELCOME|bob|alice", 1005);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	expect_log("peer " MSG1);
	client_peer_free(p);
}

/*
 * Over TLS an impostor answering the dial (the address moved to it) has
 * another key, or none: closed before PHELLO, the message goes by the
 * relay.
 */
static void
client_peer__dials_over_tls__refuses_an_impostor(void **state)
{
	struct client_peer_io t = tls_io();
	const unsigned char *shown[] = {key_mallory, NULL};
	struct client_peer *p;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		reset(NULL);
		p = tls_dial(&t, FP_BOB);
		client_peer_connected(p, 1003);
		client_peer_handshake(p, shown[i], 1004);
		assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
		assert_null(strstr(fk.log, "PHELLO"));
		assert_null(strstr(fk.log, "peer MSG"));
		expect_log(
		    "close the peer's key is not the one the relay knows\n");
		assert_string_equal(fk.fallback, "m1 ");
		client_peer_free(p);
	}
}

/* Over TLS a PEER without a key cannot be checked: no dial at all. */
static void
client_peer__dials_over_tls__needs_a_key_in_peer(void **state)
{
	struct client_peer_io t = tls_io();
	struct client_peer *p = tls_dial(&t, NULL);

	(void)state;
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_null(strstr(fk.log, "connect"));
	assert_string_equal(fk.fallback, "m1 ");
	client_peer_free(p);
}

/*
 * bob answers over TLS a caller that showed key; PHELLO with the ticket,
 * then the relay's VERIFIED|alice|ticket|yes and its tail (say "|fp").
 */
static struct client_peer *
tls_answer(
    const struct client_peer_io *t, const unsigned char *key, const char *tail)
{
	struct client_peer *p = client_peer_answer(t, "bob", 1000);
	char line[192];

	client_peer_handshake(p, key, 1001);
	snprintf(line, sizeof line, "PHELLO|alice|bob|%s", T);
	peer_says(p, line, 1002);
	assert_int_equal(client_peer_state(p), CLIENT_PEER_VERIFYING);
	snprintf(line, sizeof line, "VERIFIED|alice|%s|yes%s", T, tail);
	relay_says(p, line, 1003);
	return p;
}

/* bob answers over TLS: VERIFIED must name the key alice showed. */
static void
client_peer__answers_over_tls__welcomes_the_vouched_key(void **state)
{
	struct client_peer_io t = tls_io();
	struct client_peer *p = tls_answer(&t, key_alice, "|" FP_ALICE);

	(void)state;
	assert_int_equal(client_peer_state(p), CLIENT_PEER_OPEN);
	expect_log("peer PWELCOME|bob|alice\n");
	client_peer_free(p);
}

/*
 * A ticket stolen from a PEER line and used first from another device:
 * the relay says yes, but for alice's key, not the thief's. No PWELCOME;
 * nor for a yes without a key.
 */
static void
client_peer__answers_over_tls__refuses_a_stolen_ticket(void **state)
{
	struct client_peer_io t = tls_io();
	struct client_peer *p = tls_answer(&t, key_mallory, "|" FP_ALICE);

	(void)state;
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_null(strstr(fk.log, "PWELCOME"));
	expect_log("close the caller's key is not the one the relay vouches "
	           "for\n");
	client_peer_free(p);

	reset(NULL);
	p = tls_answer(&t, key_alice, "");
	assert_int_equal(client_peer_state(p), CLIENT_PEER_CLOSED);
	assert_null(strstr(fk.log, "PWELCOME"));
	client_peer_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(
	        client_peer__dials__lookup_connect_hello_welcome, reset),
	    cmocka_unit_test_setup(
	        client_peer__falls_back__when_it_cannot_connect, reset),
	    cmocka_unit_test_setup(
	        client_peer__falls_back__only_what_is_not_settled, reset),
	    cmocka_unit_test_setup(
	        client_peer__falls_back__when_an_ack_is_overdue, reset),
	    cmocka_unit_test_setup(
	        client_peer__sends_once__a_file_offer_and_its_data, reset),
	    cmocka_unit_test_setup(
	        client_peer__refuses__a_welcome_from_someone_else, reset),
	    cmocka_unit_test_setup(
	        client_peer__answers__verifies_the_ticket_then_welcomes, reset),
	    cmocka_unit_test_setup(
	        client_peer__answers__refuses_a_ticket_the_relay_does_not_vouch_for,
	        reset),
	    cmocka_unit_test_setup(
	        client_peer__answers__drops_a_connection_without_a_proper_hello,
	        reset),
	    cmocka_unit_test_setup(
	        client_peer__refuses__frames_not_from_the_verified_peer, reset),
	    cmocka_unit_test_setup(
	        client_peer__hands_back__a_message_whose_receipt_never_came,
	        reset),
	    cmocka_unit_test_setup(
	        client_peer__closes__when_idle_with_nothing_pending, reset),
	    cmocka_unit_test_setup(
	        client_peer__dials_over_tls__hello_only_to_the_named_key,
	        reset),
	    cmocka_unit_test_setup(
	        client_peer__dials_over_tls__refuses_an_impostor, reset),
	    cmocka_unit_test_setup(
	        client_peer__dials_over_tls__needs_a_key_in_peer, reset),
	    cmocka_unit_test_setup(
	        client_peer__answers_over_tls__welcomes_the_vouched_key, reset),
	    cmocka_unit_test_setup(
	        client_peer__answers_over_tls__refuses_a_stolen_ticket, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
