/* SPDX-License-Identifier: MIT */
/*
 * Inside net/: the connection's record, shared by conn.c (the queue, the
 * plaintext socket) and conn_tls.c (the same connection over TLS).
 */
#ifndef NET_CONN_INT_H
#define NET_CONN_INT_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

#include "net/buf.h"
#include "net/loop.h"

#define NET_SMALL_CHUNK 512 /* a queue's first chunk, for a few lines */
#define NET_IOV 64
#define NET_READ (16 * 1024)
#define NET_LINGER_MS 5000

struct net_chunk {
	TAILQ_ENTRY(net_chunk) link;
	size_t off; /* first byte not yet written */
	size_t len; /* bytes filled */
	size_t cap;
	char data[];
};

#define NET_CHUNK (NET_BLOCK - sizeof(struct net_chunk))

TAILQ_HEAD(net_chunks, net_chunk);

struct net_conn {
	struct net_loop *loop;
	struct net_watch *watch;
	int fd;
	const struct net_conn_cb *cb;
	void *arg;

	struct net_buf in;
	size_t read_cap; /* bytes read per turn */
	bool paused;

	struct net_chunks chunks; /* the output queue, oldest first */
	size_t out; /* bytes queued */
	size_t low, high, hard;
	bool over_high;

	bool connecting;
	bool closing; /* owner closed it */
	bool lost; /* peer or error ended it */
	bool flush_then_close;
	struct net_timer linger;

	struct ssl_st *ssl; /* NULL: plaintext */
	bool hs_done; /* handshake finished, peer_fp valid */
	bool tls_open; /* on_handshake accepted: application bytes flow */
	bool hs_want_write; /* the handshake waits for POLLOUT */
	bool rd_wants_write; /* SSL_read needs the socket writable */
	bool wr_wants_read; /* SSL_write needs the socket readable */
	char *stage; /* the next record's plaintext, up to NET_BLOCK */
	size_t stage_len;
	unsigned char peer_fp[32];
};

void net_conn_lost(struct net_conn *, const char *);
void net_conn_update_events(struct net_conn *);
void net_conn_after_flush(struct net_conn *);
void net_conn_flush(struct net_conn *);
void net_conn_deliver(struct net_conn *, size_t, const char *);
size_t net_conn_take(struct net_conn *, char *, size_t);
void net_conn_tls_io(struct net_conn *, short);
int net_conn_tls_read(struct net_conn *);
int net_conn_tls_flush(struct net_conn *);
void net_conn_tls_fini(struct net_conn *);

#endif
