/* SPDX-License-Identifier: MIT */
/*
 * Password hashing off the event loop: a few worker threads in a helper
 * process take argon2id jobs (hash a new password, or check one against
 * its stored hash) from a bounded queue that takes turns between the
 * addresses that asked, and hand each result back to the
 * loop through a socket the loop watches. The loop never waits on a
 * worker. At most `threads` hashes run at once, so their memory (64 MiB
 * each for libsodium's interactive limits) is bounded by threads x 64 MiB.
 */
#ifndef SERVER_HASHER_H
#define SERVER_HASHER_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

struct net_loop;
struct server_hasher;
struct server_hash_job;

enum server_hash_kind {
	SERVER_HASH_NEW, /* hash a password for a new name */
	SERVER_HASH_CHECK, /* check a password against a stored hash */
};

/*
 * A job's result, on the loop thread: for SERVER_HASH_CHECK ok says
 * whether the password matched; for SERVER_HASH_NEW ok says the hash was
 * made, and hash holds it. hash NULL: the job was dropped unchecked to
 * make room for someone with fewer jobs waiting (the caller asks the
 * client to retry). Never called for a forgotten job.
 */
typedef void (*server_hash_cb)(
    void *owner, enum server_hash_kind, bool ok, const char *hash);

struct server_hasher *server_hasher_new(
    struct net_loop *, unsigned, unsigned, server_hash_cb, char *, size_t);
void server_hasher_free(struct server_hasher *);
struct server_hash_job *server_hasher_submit(struct server_hasher *,
    enum server_hash_kind, const char *, size_t, const char *, const char *,
    unsigned, void *);
void server_hasher_forget(struct server_hasher *, struct server_hash_job *);
size_t server_hasher_pending(struct server_hasher *);

#endif
