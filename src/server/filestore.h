/* SPDX-License-Identifier: MIT */
/*
 * Files stored on the relay (docs/protocol.md "Files stored on the
 * relay"): for an offer to a recipient who is not there, the relay takes
 * the receiver's part (FACCEPT, FACK, the SHA-256 check) and keeps the
 * file in <data>/files; when the recipient comes, it takes the sender's
 * part (FDATA as the output drains, within the window, FDONE). A file is
 * known by (sender, recipient, xfer); the recipient is a log key (a
 * user's inbox today, a room's log later), so nothing here is tied to
 * users beyond the two names the frames carry.
 */
#ifndef SERVER_FILESTORE_H
#define SERVER_FILESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proto_frame;
struct server_router;
struct srv_sess;
struct srv_user;
struct server_filestore;

#define SERVER_FILESTORE_MIN_FREE (1ULL << 30) /* disk left free */
#define SERVER_FILESTORE_FACK_EVERY (256 * 1024)
#define SERVER_FILESTORE_WINDOW (1024 * 1024)
#define SERVER_FILESTORE_CHUNK 65536

struct server_filestore_limits {
	uint64_t max_size; /* one file; 0: no store, offers fail OFFLINE */
	uint64_t quota; /* stored for one recipient; 0: any */
	uint64_t store_max; /* stored in all; 0: any */
	uint64_t keep_ms; /* a file not fetched is dropped after this */
};

struct server_filestore *server_filestore_open(struct server_router *,
    const char *, const struct server_filestore_limits *, char *, size_t);
void server_filestore_free(struct server_filestore *);
void server_filestore_set_limits(
    struct server_filestore *, const struct server_filestore_limits *);
bool server_filestore_route(struct server_filestore *, struct srv_sess *,
    const struct proto_frame *, struct srv_user *);
void server_filestore_pump(struct server_filestore *, struct srv_sess *);
void server_filestore_gone(struct server_filestore *, struct srv_sess *);
void server_filestore_expire(struct server_filestore *, uint64_t);
void server_filestore_forget(struct server_filestore *, const char *);

#endif
