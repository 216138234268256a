/* SPDX-License-Identifier: MIT */
/*
 * A TLS context for one role, made from an identity (net/identity.h):
 * TLS 1.3 only, ALPN "termgram/1", both sides present their certificate.
 * The server requires a client certificate but accepts any self-signed
 * one; the client accepts any server certificate. Either way the key is
 * the identity: the owner compares net_conn_peer_fingerprint() in the
 * connection's on_handshake hook (net/conn.h), which runs before any
 * application byte is sent. Kernel TLS is asked for only when the
 * environment has TERMGRAM_KTLS (see docs/tls.md).
 */
#ifndef NET_TLS_H
#define NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#define NET_TLS_ALPN "termgram/1"
#define NET_TLS_EXPORTER "EXPORTER-termgram-alive"

enum net_tls_role { NET_TLS_SERVER, NET_TLS_CLIENT };

struct net_id;
struct net_tls;

struct net_tls *net_tls_new(
    enum net_tls_role, const struct net_id *, char *, size_t);
void net_tls_free(struct net_tls *);
bool net_tls_is_server(const struct net_tls *);

#endif
