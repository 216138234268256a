/* SPDX-License-Identifier: MIT */
/*
 * termgram-bench --tls: the clients' own TLS path, OpenSSL on a
 * non-blocking socket watched by the bench's event loop. A wire's frames
 * are gathered for the whole turn and leave in one SSL_write at its end
 * (one batch, as few records as fit), never one record per frame.
 *
 * termgram: TLS 1.3, ALPN "termgram/1", and a throwaway Ed25519
 * certificate made in memory at start (the relay wants a client
 * certificate, any self-signed one). IRC and MQTT: a plain TLS client.
 * No side checks the other's certificate: the servers run test ones.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bench/bench.h"
#include "net/conn.h"
#include "util/xmalloc.h"

#define TLS_READ_CHUNK (64 * 1024)
#define TLS_OUT_MAX (64 * 1024 * 1024)

struct bench_tls {
	struct peer *p;
	SSL *ssl;
	int fd;
	struct net_watch *w;
	char *out, *in;
	size_t outlen, outcap, inlen, incap;
	size_t retry; /* length of an SSL_write to repeat, or 0 */
	bool up;
};

static SSL_CTX *ctx;

/* Print OpenSSL's error queue after a message and give up. */
static void
tls_die(const char *who, const char *what)
{
	unsigned long e;
	char buf[256];

	fprintf(stderr, "%s: %s", who, what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		fprintf(stderr, ": %s", buf);
	}
	fputc('\n', stderr);
	exit(1);
}

/* A self-signed Ed25519 certificate, valid for a day, for this run. */
static void
tls_client_cert(void)
{
	EVP_PKEY *key;
	X509 *crt;
	X509_NAME *name;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	crt = X509_new();
	if (key == NULL || crt == NULL)
		tls_die("tls", "cannot make a client key");
	X509_set_version(crt, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(crt), (long)getpid());
	X509_gmtime_adj(X509_getm_notBefore(crt), -60);
	X509_gmtime_adj(X509_getm_notAfter(crt), 86400);
	name = X509_get_subject_name(crt);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"termgram-bench", -1, -1, 0);
	X509_set_issuer_name(crt, name);
	X509_set_pubkey(crt, key);
	if (X509_sign(crt, key, NULL) <= 0 ||
	    SSL_CTX_use_certificate(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		tls_die("tls", "cannot use the client certificate");
	X509_free(crt);
	EVP_PKEY_free(key);
}

/* Set up the client context; termgram adds ALPN and a certificate. */
void
bench_tls_init(bool termgram)
{
	static const unsigned char alpn[] = "\x0atermgram/1";

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		tls_die("tls", "SSL_CTX_new");
	SSL_CTX_set_min_proto_version(
	    ctx, termgram ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (termgram) {
		if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1) != 0)
			tls_die("tls", "ALPN");
		tls_client_cert();
	}
}

/* The peer is gone: the bench cannot go on without it. */
static void
tls_lost(struct bench_tls *t, const char *why)
{
	tls_die(t->p->name, why);
}

/* Ask the loop for what the connection waits on. */
static void
tls_want(struct bench_tls *t, bool write)
{
	net_watch_set_events(t->w, (short)(POLLIN | (write ? POLLOUT : 0)));
}

/* Send what the turn gathered: one SSL_write for all of it. */
static void
tls_flush(struct bench_tls *t)
{
	size_t n;
	int r, e;

	while (t->up && t->outlen > 0) {
		n = t->retry > 0 ? t->retry : t->outlen;
		ERR_clear_error();
		r = SSL_write(
		    t->ssl, t->out, (int)(n > INT32_MAX ? INT32_MAX : n));
		if (r > 0) {
			t->retry = 0;
			t->outlen -= (size_t)r;
			memmove(t->out, t->out + r, t->outlen);
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ)
			tls_lost(t, "SSL_write failed");
		t->retry = n;
		tls_want(t, e == SSL_ERROR_WANT_WRITE);
		return;
	}
	if (t->up)
		tls_want(t, false);
}

/* End of the loop's turn: the batch leaves now. */
static void
tls_on_flush(struct net_watch *w, void *arg)
{
	(void)w;
	tls_flush(arg);
}

/* Decrypt what is there and hand it to the wire. */
static void
tls_read(struct bench_tls *t)
{
	struct peer *p = t->p;
	size_t used;
	int r, e;

	for (;;) {
		if (t->incap - t->inlen < TLS_READ_CHUNK)
			XGROW(t->in, t->incap, t->inlen + TLS_READ_CHUNK, 0);
		ERR_clear_error();
		r = SSL_read(t->ssl, t->in + t->inlen, TLS_READ_CHUNK);
		if (r <= 0) {
			e = SSL_get_error(t->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				return;
			if (e == SSL_ERROR_WANT_WRITE) {
				tls_want(t, true);
				return;
			}
			tls_lost(t,
			    e == SSL_ERROR_ZERO_RETURN ? "connection closed"
			                               : "SSL_read failed");
		}
		t->inlen += (size_t)r;
		used = p->b->wire->input(p, t->in, t->inlen);
		t->inlen -= used;
		memmove(t->in, t->in + used, t->inlen);
	}
}

/* Drive the handshake; once up, send what waited for it. */
static void
tls_handshake(struct bench_tls *t)
{
	struct bench *b = t->p->b;
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->up = true;
		b->hs[b->nhs++] = bench_now_us() - t->p->connect_us;
		tls_flush(t);
		return;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		tls_want(t, false);
	else if (e == SSL_ERROR_WANT_WRITE)
		tls_want(t, true);
	else
		tls_lost(t, "TLS handshake failed");
}

static void
tls_on_io(struct net_watch *w, short ev, void *arg)
{
	struct bench_tls *t = arg;

	(void)w;
	if (!t->up) {
		tls_handshake(t);
		if (!t->up)
			return;
	}
	(void)ev; /* records may wait inside OpenSSL: always read */
	tls_read(t);
	if (t->outlen > 0)
		tls_flush(t);
}

/* A non-blocking TCP connect to host:port. */
static int
tls_dial(const char *host, unsigned port, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	char serv[16];
	int fd, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof serv, "%u", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(
	    res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 &&
		    errno != EINPROGRESS) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		snprintf(err, errlen, "%s:%u: %s", host, port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Connect a peer over TLS; its output waits for the handshake. */
struct bench_tls *
bench_tls_connect(struct peer *p, char *err, size_t errlen)
{
	struct bench_tls *t;

	t = xcalloc(1, sizeof *t);
	t->p = p;
	if ((t->fd = tls_dial(p->b->host, p->b->port, err, errlen)) < 0) {
		free(t);
		return NULL;
	}
	if ((t->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(t->ssl, t->fd) != 1)
		tls_die(p->name, "SSL_new");
	SSL_set_connect_state(t->ssl);
	t->w = net_loop_add_fd(p->b->loop, t->fd, POLLOUT, tls_on_io, t);
	net_watch_set_flush(t->w, tls_on_flush);
	return t;
}

/* Queue bytes for the end of the turn. */
static int
tls_append(struct bench_tls *t, const void *a, size_t n)
{
	if (t->outlen + n > TLS_OUT_MAX)
		return -1;
	XGROW(t->out, t->outcap, t->outlen + n, 4096);
	memcpy(t->out + t->outlen, a, n);
	t->outlen += n;
	net_watch_want_flush(t->w);
	return 0;
}

/* Send bytes to the peer's server, over TLS or not. */
int
bench_write(struct peer *p, const void *a, size_t n)
{
	if (p->tls == NULL && p->conn == NULL)
		return -1; /* rooms: a member gone offline */
	if (p->tls == NULL)
		return net_conn_write(p->conn, a, n);
	return tls_append(p->tls, a, n);
}

/* Send two pieces as one, over TLS or not. */
int
bench_write2(struct peer *p, const void *a, size_t an, const void *b, size_t bn)
{
	if (p->tls == NULL)
		return net_conn_write2(p->conn, a, an, b, bn);
	if (p->tls->outlen + an + bn > TLS_OUT_MAX)
		return -1;
	tls_append(p->tls, a, an);
	return tls_append(p->tls, b, bn);
}

/* Close a peer's TLS connection and free it. */
void
bench_tls_close(struct bench_tls *t)
{
	if (t == NULL)
		return;
	net_watch_remove(t->w);
	SSL_free(t->ssl);
	close(t->fd);
	free(t->out);
	free(t->in);
	free(t);
}

/* Free the context at exit. */
void
bench_tls_done(void)
{
	SSL_CTX_free(ctx);
	ctx = NULL;
}
