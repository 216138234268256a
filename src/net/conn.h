/* SPDX-License-Identifier: MIT */
/*
 * A buffered non-blocking stream connection on the loop: an input buffer
 * that the owner parses in place, and an output queue of chunks that is
 * written with writev() at the end of the turn, with POLLOUT armed only
 * while bytes remain. The queue has low and high water marks and a hard
 * cap; over the cap a write is refused rather than letting a peer that
 * does not read grow the process without bound.
 *
 * net_conn_tls_start() switches a fresh connection to TLS (net/tls.h):
 * the owner still reads and writes plain bytes, and the queue leaves in
 * records of up to 16 KiB (docs/tls.md).
 */
#ifndef NET_CONN_H
#define NET_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct net_loop;
struct net_conn;
struct net_tls;

struct net_conn_cb {
	/* New input is waiting in the input buffer. */
	void (*on_read)(struct net_conn *, void *);
	/* The output queue went from above the high mark to below low. */
	void (*on_drain)(struct net_conn *, void *);
	/* A connect started with net_conn_connect() succeeded. */
	void (*on_connect)(struct net_conn *, void *);
	/* The peer went away (EOF, error, failed connect); the connection
	 * is freed after the turn and must not be used afterwards. */
	void (*on_close)(struct net_conn *, void *, const char *);
	/* TLS only: the handshake is done and net_conn_peer_fingerprint()
	 * is known. Called once, before any application byte is sent or
	 * handed to on_read; it may net_conn_close() the connection, and
	 * then nothing written before reaches the peer. */
	void (*on_handshake)(struct net_conn *, void *);
};

#define NET_CONN_LOW (64 * 1024)
#define NET_CONN_HIGH (1024 * 1024)
#define NET_CONN_HARD (8 * 1024 * 1024)

struct net_conn *net_conn_new(
    struct net_loop *, int, const struct net_conn_cb *, void *);
struct net_conn *net_conn_connect(struct net_loop *, const char *, unsigned,
    const struct net_conn_cb *, void *, char *, size_t);
void net_conn_close(struct net_conn *, bool);
void net_conn_set_limits(struct net_conn *, size_t, size_t, size_t);
void net_conn_set_read_cap(struct net_conn *, size_t);
void net_conn_set_arg(struct net_conn *, void *);
int net_conn_write(struct net_conn *, const void *, size_t);
int net_conn_write2(
    struct net_conn *, const void *, size_t, const void *, size_t);
const char *net_conn_input(struct net_conn *, size_t *);
void net_conn_consume(struct net_conn *, size_t);
void net_conn_pause(struct net_conn *, bool);
bool net_conn_is_paused(const struct net_conn *);
bool net_conn_is_full(const struct net_conn *);
bool net_conn_is_closing(const struct net_conn *);
size_t net_conn_out_len(const struct net_conn *);
int net_conn_fd(const struct net_conn *);
void net_conn_flush_now(struct net_conn *);

/* TLS (net/tls.h, net/conn_tls.c): the layers above see plain bytes. */
int net_conn_tls_start(struct net_conn *, struct net_tls *, char *, size_t);
bool net_conn_is_tls(const struct net_conn *);
bool net_conn_tls_ready(const struct net_conn *);
const unsigned char *net_conn_peer_fingerprint(const struct net_conn *);
int net_conn_tls_export(
    struct net_conn *, const char *, unsigned char *, size_t);

#endif
