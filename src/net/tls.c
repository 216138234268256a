/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/identity.h"
#include "net/tls.h"
#include "net/tls_int.h"
#include "util/xmalloc.h"

struct net_tls {
	SSL_CTX *ctx;
	enum net_tls_role role;
};

/* The ALPN list on the wire: a length byte and the protocol id. */
static const unsigned char net_tls_alpn[] = "\x0atermgram/1";

/* Accept any certificate: the key is the identity, checked by the owner. */
static int
net_tls_verify_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* The server picks termgram/1 or ends the handshake. */
static int
net_tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, net_tls_alpn,
	        sizeof net_tls_alpn - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* OpenSSL's last reason after what, into buf; clears its error queue. */
void
net_tls_reason(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (e != 0 &&
	    ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		r = "no client certificate";
	else if (e != 0 &&
	    ERR_GET_REASON(e) == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
		r = "no ALPN termgram/1";
	snprintf(buf, len, "%s: %s", what, r != NULL ? r : "unknown error");
	ERR_clear_error();
}

/* Settings both roles share; 0, or -1 with err set. */
static int
net_tls_setup(
    struct net_tls *t, const struct net_id *id, char *err, size_t errlen)
{
	SSL_CTX *ctx = t->ctx;

	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* No resumption: every connection shows its certificate, and the
	 * server sends no tickets nobody uses. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (getenv("TERMGRAM_KTLS") != NULL)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	if (SSL_CTX_use_certificate(ctx, id->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, id->key) != 1) {
		net_tls_reason(err, errlen, "TLS: cannot use the identity");
		return -1;
	}
	if (t->role == NET_TLS_SERVER) {
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    net_tls_verify_any);
		SSL_CTX_set_alpn_select_cb(ctx, net_tls_alpn_select, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, net_tls_verify_any);
		if (SSL_CTX_set_alpn_protos(
		        ctx, net_tls_alpn, sizeof net_tls_alpn - 1) != 0) {
			net_tls_reason(err, errlen, "TLS: ALPN");
			return -1;
		}
	}
	return 0;
}

/*
 * A context for role presenting id's certificate. The context keeps its
 * own references: id may be freed afterwards. SIGPIPE, if at its default,
 * is ignored from now on. NULL with err set.
 */
struct net_tls *
net_tls_new(
    enum net_tls_role role, const struct net_id *id, char *err, size_t errlen)
{
	struct net_tls *t = xcalloc(1, sizeof *t);
	struct sigaction sa;

	/* OpenSSL writes to the socket without MSG_NOSIGNAL: a peer that
	 * hung up must be an error, not a SIGPIPE to die of. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	t->role = role;
	t->ctx = SSL_CTX_new(
	    role == NET_TLS_SERVER ? TLS_server_method() : TLS_client_method());
	if (t->ctx == NULL) {
		net_tls_reason(err, errlen, "TLS: cannot make a context");
		free(t);
		return NULL;
	}
	if (net_tls_setup(t, id, err, errlen) == -1) {
		net_tls_free(t);
		return NULL;
	}
	return t;
}

/* Free a context; connections made from it keep what they need. */
void
net_tls_free(struct net_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* Whether the context is the server's (accepting) side. */
bool
net_tls_is_server(const struct net_tls *t)
{
	return t->role == NET_TLS_SERVER;
}

/* A TLS session on the connected socket fd, in t's role. */
SSL *
net_tls_ssl_new(struct net_tls *t, int fd, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(t->ctx);

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		net_tls_reason(err, errlen, "TLS");
		SSL_free(ssl);
		return NULL;
	}
	if (t->role == NET_TLS_SERVER)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}
