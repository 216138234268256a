/* SPDX-License-Identifier: MIT */
/*
 * A connection over TLS: the handshake, SSL_read into the input buffer
 * under the per-turn cap, and the output queue gathered into records of
 * up to 16 KiB (one SSL_write per record, never one per frame). What one
 * call wants of the socket (a read that needs a write, or the reverse) is
 * remembered and waited for here, so the owner sees plain bytes as over
 * a plaintext socket.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/buf.h"
#include "net/conn.h"
#include "net/conn_int.h"
#include "net/tls.h"
#include "net/tls_int.h"

#define NET_TLS_WHY 256

/* Why an OpenSSL call failed, as words after what. */
static void
net_conn_tls_why(
    struct net_conn *c, int rc, int e, const char *what, char *why, size_t len)
{
	(void)c;
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		snprintf(why, len, "%s: %s", what,
		    rc == 0 || errno == 0 ? "connection closed by peer"
		                          : strerror(errno));
		return;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(why, len, "%s: connection closed by peer", what);
		return;
	}
	net_tls_reason(why, len, what);
}

/*
 * Speak TLS on this connection from now on, in t's role; call right after
 * net_conn_new() (accepted) or net_conn_connect(). 0, or -1 with err set.
 */
int
net_conn_tls_start(
    struct net_conn *c, struct net_tls *t, char *err, size_t errlen)
{
	if (c->ssl != NULL || c->watch == NULL) {
		snprintf(err, errlen, "TLS: connection not fresh");
		return -1;
	}
	c->ssl = net_tls_ssl_new(t, c->fd, err, errlen);
	if (c->ssl == NULL)
		return -1;
	/* The client speaks first: wake on writable to send its hello. */
	c->hs_want_write = !net_tls_is_server(t);
	net_conn_update_events(c);
	return 0;
}

/* The handshake ended well: check ALPN and the peer, then ask the owner. */
static void
net_conn_tls_established(struct net_conn *c)
{
	const unsigned char *alpn = NULL;
	unsigned int alen = 0;
	X509 *peer;

	SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
	if (alen != strlen(NET_TLS_ALPN) ||
	    memcmp(alpn, NET_TLS_ALPN, alen) != 0) {
		net_conn_lost(c, "TLS handshake failed: no ALPN termgram/1");
		return;
	}
	peer = SSL_get0_peer_certificate(c->ssl);
	if (peer == NULL || net_id_cert_fingerprint(peer, c->peer_fp) == -1) {
		net_conn_lost(c,
		    SSL_is_server(c->ssl)
		        ? "TLS handshake failed: no client certificate"
		        : "TLS handshake failed: no server certificate");
		return;
	}
	c->hs_done = true;
	if (c->cb->on_handshake != NULL)
		c->cb->on_handshake(c, c->arg);
	if (c->watch == NULL || c->closing || c->lost)
		return;
	c->tls_open = true;
	net_conn_update_events(c);
	if (c->out > 0)
		net_watch_want_flush(c->watch);
	/* Records that came with the last handshake flight are in OpenSSL
	 * already, invisible to poll: read them next turn. */
	net_watch_want_again(c->watch);
}

/* One step of the handshake, as far as the socket allows. */
static void
net_conn_tls_handshake(struct net_conn *c)
{
	char why[NET_TLS_WHY];
	int rc, e;

	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->hs_want_write = false;
		net_conn_tls_established(c);
		return;
	}
	e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->hs_want_write = e == SSL_ERROR_WANT_WRITE;
		net_conn_update_events(c);
		return;
	}
	net_conn_tls_why(c, rc, e, "TLS handshake failed", why, sizeof why);
	net_conn_lost(c, why);
}

/*
 * Read and decrypt up to the per-turn cap into the input buffer. Bytes
 * OpenSSL still holds after the cap bring the connection back next turn
 * without waiting for the socket. -1 if the connection is gone.
 */
int
net_conn_tls_read(struct net_conn *c)
{
	char why[NET_TLS_WHY], *p;
	const char *lost = NULL;
	size_t total = 0, avail;
	int n, e;

	while (total < c->read_cap) {
		p = net_buf_space(&c->in, NET_BLOCK, &avail);
		if (avail > c->read_cap - total)
			avail = c->read_cap - total;
		if (avail > INT_MAX)
			avail = INT_MAX;
		ERR_clear_error();
		errno = 0;
		n = SSL_read(c->ssl, p, (int)avail);
		if (n > 0) {
			net_buf_commit(&c->in, (size_t)n);
			total += (size_t)n;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_WRITE) {
			c->rd_wants_write = true;
			net_conn_update_events(c);
		} else if (e != SSL_ERROR_WANT_READ) {
			net_conn_tls_why(c, n, e, "TLS", why, sizeof why);
			lost = why;
		}
		break;
	}
	if (lost == NULL && total >= c->read_cap && SSL_has_pending(c->ssl))
		net_watch_want_again(c->watch);
	net_conn_deliver(c, total, lost);
	return c->watch == NULL ? -1 : 0;
}

/*
 * Write the queue as records of up to 16 KiB: the chunks are gathered
 * into one staging block and each SSL_write makes one record. A record
 * the socket did not take stays staged and is written again unchanged.
 * -1 if the connection was lost.
 */
int
net_conn_tls_flush(struct net_conn *c)
{
	char why[NET_TLS_WHY];
	int n, e;

	if (!c->tls_open || c->wr_wants_read)
		return 0;
	while (c->out > 0 && c->watch != NULL) {
		if (c->stage_len == 0) {
			if (c->stage == NULL)
				c->stage = net_block_get();
			c->stage_len = net_conn_take(c, c->stage, NET_BLOCK);
		}
		ERR_clear_error();
		errno = 0;
		n = SSL_write(c->ssl, c->stage, (int)c->stage_len);
		if (n > 0) {
			c->out -= c->stage_len;
			c->stage_len = 0;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			c->wr_wants_read = true;
		else if (e != SSL_ERROR_WANT_WRITE) {
			net_conn_tls_why(c, n, e, "TLS", why, sizeof why);
			net_conn_lost(c, why);
			return -1;
		}
		break;
	}
	if (c->stage_len == 0 && c->stage != NULL) {
		net_block_put(c->stage);
		c->stage = NULL;
	}
	return 0;
}

/* The loop's events for a TLS connection. */
void
net_conn_tls_io(struct net_conn *c, short revents)
{
	if (!c->tls_open) {
		if (!c->hs_done)
			net_conn_tls_handshake(c);
		return;
	}
	if (c->wr_wants_read && (revents & (POLLIN | POLLHUP | POLLERR))) {
		c->wr_wants_read = false;
		revents |= POLLOUT;
	}
	if (c->rd_wants_write && (revents & POLLOUT)) {
		c->rd_wants_write = false;
		revents |= POLLIN;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->paused &&
	    !c->closing) {
		if (net_conn_tls_read(c) == -1)
			return;
	} else if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLOUT)) {
		net_conn_lost(c, "connection lost");
		return;
	}
	if (c->watch != NULL && (revents & POLLOUT))
		net_conn_flush(c);
	else
		net_conn_update_events(c);
}

/* Send close_notify (one try, the socket is non-blocking) and free. */
void
net_conn_tls_fini(struct net_conn *c)
{
	if (c->hs_done && !c->lost) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	ERR_clear_error();
}

/* Whether the connection speaks TLS. */
bool
net_conn_is_tls(const struct net_conn *c)
{
	return c->ssl != NULL;
}

/* Whether the handshake is done and the owner accepted the peer. */
bool
net_conn_tls_ready(const struct net_conn *c)
{
	return c->ssl != NULL && c->tls_open;
}

/* The peer certificate's 32-byte fingerprint; NULL before the handshake. */
const unsigned char *
net_conn_peer_fingerprint(const struct net_conn *c)
{
	return c->ssl != NULL && c->hs_done ? c->peer_fp : NULL;
}

/*
 * Keying material exported from the session (RFC 8446 7.5), with label
 * and an empty context: the same len bytes on both sides. 0, or -1.
 */
int
net_conn_tls_export(
    struct net_conn *c, const char *label, unsigned char *out, size_t len)
{
	if (c->ssl == NULL || !c->hs_done)
		return -1;
	if (SSL_export_keying_material(
	        c->ssl, out, len, label, strlen(label), NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}
