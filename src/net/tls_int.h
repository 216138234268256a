/* SPDX-License-Identifier: MIT */
/*
 * Inside net/: what the identity, the TLS context and the connection
 * share of OpenSSL. Nothing above net/ includes this.
 */
#ifndef NET_TLS_INT_H
#define NET_TLS_INT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/identity.h"

struct net_tls;

struct net_id {
	EVP_PKEY *key;
	X509 *cert;
	unsigned char fp[NET_ID_FP_LEN];
};

int net_id_cert_fingerprint(X509 *, unsigned char *);
SSL *net_tls_ssl_new(struct net_tls *, int, char *, size_t);
void net_tls_reason(char *, size_t, const char *);

#endif
