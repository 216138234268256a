/* SPDX-License-Identifier: MIT */
/*
 * termgram-bench: shared state of the load generator and the three wire
 * protocols it speaks (termgram, IRC, MQTT), so that the same workload
 * runs against termgramd, ngIRCd, InspIRCd and mosquitto.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"
#include "proto/frame.h"

struct bench;
struct bench_tls;
struct peer;

/* A body starts with "<send time µs> <seq> ", padded to BENCH_HEAD bytes. */
#define BENCH_HEAD 30

/* One protocol: how a client logs in, sends a message, reads input. */
struct bench_wire {
	const char *name;
	/* Queue the login; the wire calls bench_ready() when done. */
	void (*login)(struct peer *);
	/* Send one message with this body to the peer's partner. */
	int (*send)(struct peer *, unsigned long, const char *, size_t);
	/* Handle input; returns the bytes used (a partial frame stays). */
	size_t (*input)(struct peer *, const char *, size_t);
	/* Keep an idle session alive. */
	void (*ping)(struct peer *);
	/* rooms: join (create, for the first member) the room; the wire
	 * calls bench_joined() when the server confirmed it. */
	void (*join)(struct peer *, bool create);
	/* rooms: say goodbye before the connection closes (MQTT). */
	void (*leave)(struct peer *);
	/* true: the server acknowledges to the sender (ACK, RCPT,
	 * PUBACK); false (IRC): the receiver's copy settles the send. */
	bool acks;
};

extern const struct bench_wire bench_wire_termgram;
extern const struct bench_wire bench_wire_irc;
extern const struct bench_wire bench_wire_mqtt;

/* A file transfer between a pair (files mode, termgram only). */
struct bench_xfer {
	uint64_t size;
	uint64_t sent, acked; /* sender */
	uint64_t got, acked_at; /* receiver */
	bool accepted, done;
};

struct peer {
	struct bench *b;
	struct net_conn *conn;
	struct bench_tls *tls; /* --tls: the connection instead of conn */
	uint64_t connect_us; /* when the connect started */
	struct proto_decoder dec;
	char name[PROTO_MAX_NAME + 1];
	struct peer *partner;
	int state; /* the wire's login steps */
	bool registered, ready, sends, drain, logged_in;
	unsigned pid; /* MQTT packet ids */
	/* rooms: a member counted in the fan-out; offline: leaves before
	 * the messages and logs in again after them (backlog); device: a
	 * device id (termgram, "@id" without TLS), its name owned. */
	bool member, offline, joined;
	const char *device;
	unsigned long rpos, rpos_sent; /* termgram: room log positions */
	/* sending */
	unsigned long next, done, inflight;
	uint64_t due_us;
	/* receiving */
	unsigned char *settled;
	unsigned char *seen;
	unsigned long got, dups;
	struct bench_xfer x;
};

struct bench {
	const struct bench_wire *wire;
	struct net_loop *loop;
	const char *host;
	unsigned port;
	const char *oper; /* IRC: "name:password" to become an operator */
	unsigned long pairs, msgs, size, inflight;
	unsigned long rate, seconds, files, ping_s, settle_s;
	unsigned long max_connecting; /* logins in progress at once */
	uint64_t file_size;
	int pid;
	struct peer *peers;
	unsigned long npeers, connecting, ready, senders_done, recv_done;
	unsigned long errors, xfers_done;
	uint64_t *lat; /* microseconds, one per message received */
	size_t nlat, caplat;
	uint64_t t0, t1;
	bool sending, tls;
	uint64_t *hs; /* --tls: connect to handshake done, µs */
	size_t nhs;
	unsigned long logged_in; /* login mode: sessions welcomed */
	char buf[PROTO_MAX_FRAME + 16];
	char *body;
	unsigned run;
	/* rooms mode */
	const char *room; /* "#b123" (MQTT topic "r/b123") */
	unsigned long members, offline, devices, online, joined, acks;
	unsigned *fan; /* per message: members it reached */
	bool persist; /* MQTT: clean_session=false */
};

uint64_t bench_now_us(void);
void bench_logged_in(struct peer *);
void bench_registered(struct peer *);
void bench_ready(struct peer *);
void bench_received(struct peer *, const char *, size_t);
#define BENCH_NO_SEQ ((unsigned long)-1)
void bench_settled(struct peer *, unsigned long);
void bench_fail(struct peer *, const char *, size_t);
void bench_file_frame(struct peer *, const struct proto_frame *);
void bench_joined(struct peer *);
void bench_acked(struct peer *);

int bench_write(struct peer *, const void *, size_t);
int bench_write2(struct peer *, const void *, size_t, const void *, size_t);
void bench_tls_init(bool);
struct bench_tls *bench_tls_connect(struct peer *, char *, size_t);
void bench_tls_close(struct bench_tls *);
void bench_tls_done(void);

#endif
