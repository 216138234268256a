/* SPDX-License-Identifier: MIT */
/*
 * A key and certificate identity: every relay and every client device has
 * an Ed25519 key and a self-signed X.509 certificate for it, made on first
 * start and never overwritten; or a given (CA-signed) pair. The
 * fingerprint (SHA-256 of the DER SubjectPublicKeyInfo) is the identity:
 * re-issuing a certificate for the same key keeps it. util/fingerprint.h
 * writes it for the wire and for people.
 */
#ifndef NET_IDENTITY_H
#define NET_IDENTITY_H

#include <stddef.h>

#define NET_ID_FP_LEN 32

struct net_id;

struct net_id *net_id_open(
    const char *, const char *, const char *, const char *, char *, size_t);
struct net_id *net_id_load(const char *, const char *, char *, size_t);
void net_id_free(struct net_id *);
const unsigned char *net_id_fingerprint(const struct net_id *);

#endif
