/* SPDX-License-Identifier: MIT */
/*
 * The transfers' own header, shared by xfer.c (the protocol's state
 * machine) and xfer_file.c (the disk side: hashing, .part files, final
 * names). Not for use outside client/.
 */
#ifndef CLIENT_XFER_INT_H
#define CLIENT_XFER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "client/xfer.h"
#include "proto/frame.h"

struct xfer {
	struct client_xfer pub; /* first: what the UI sees */
	int fd;
	EVP_MD_CTX *h;
	char part[2048 + 160];
	uint64_t hashed; /* sender: bytes hashed */
	uint64_t acked; /* receiver: last FACK */
	bool fdone_sent;
	bool resuming; /* offered (or asked for) again after a reconnect */
	bool accepted; /* receiver: the user said yes; the store keeps it */
	bool asked; /* receiver: asked for the rest on this connection */
	bool restored; /* sender: from the store; the hash must match */
	bool recorded; /* ended, and noted in the conversation's history */
	bool offered; /* offered to us, or under way: worth a note */
	bool taken; /* sender: the receiver answered it (it has a .part) */
	uint64_t relay_at; /* sender: offer by the relay then (0: no wait) */
	/* The rate's window: a sample (ms, bytes) every quarter second, the
	 * last CLIENT_XFER_RATE_SAMPLES; and when bytes last moved. */
	uint64_t rate_t[CLIENT_XFER_RATE_SAMPLES],
	    rate_b[CLIENT_XFER_RATE_SAMPLES];
	unsigned rate_n;
	uint64_t moved_at;
};

struct client_xfers {
	struct client_xfer_io io;
	char dir[2048]; /* download folder */
	uint64_t max_size; /* 0: no limit */
	uint64_t part_age; /* seconds before a still .part is swept; 0: never */
	uint64_t swept; /* monotonic ms of the last sweep */
	struct client_store *store; /* NULL: nothing survives a restart */
	struct xfer **x;
	size_t n, cap;
	bool online;
	char buf[PROTO_MAX_FRAME];
	char data[CLIENT_XFER_CHUNK];
};

struct xfer *client_xfer_add(struct client_xfers *);
struct xfer *client_xfer_find(
    const struct client_xfers *, const char *, size_t);
void client_xfer_send_ctl(struct client_xfers *, struct xfer *, enum proto_verb,
    const char *, const char *);
void client_xfer_offer_now(struct client_xfers *, struct xfer *, bool, bool);
int client_xfer_accept_now(
    struct client_xfers *, struct xfer *, char *, size_t);
void client_xfer_fail(struct client_xfers *, struct xfer *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
struct xfer *client_xfer_find_from(
    const struct client_xfers *, const char *, size_t, const char *, size_t);
void client_xfer_changed(struct client_xfers *, struct xfer *);
void client_xfer_on_offer(
    struct client_xfers *, const struct proto_frame *, bool);
void client_xfer_keep(struct client_xfers *, struct xfer *);
void client_xfer_forget(struct client_xfers *, struct xfer *);
void client_xfer_record(struct client_xfers *, struct xfer *);
int client_xfer_consent(struct client_xfers *, const struct xfer *, bool *);
void client_xfer_sweep(struct client_xfers *);
int client_xfer_room(struct client_xfers *, uint64_t, char *, size_t);
void client_xfer_hash_init(struct xfer *);
void client_xfer_hash_hex(struct xfer *, char *);
int client_xfer_hash_some(struct client_xfers *, struct xfer *, char *, size_t);
void client_xfer_close(struct xfer *);
void client_xfer_destroy(struct xfer *);
void client_xfer_part_path(struct client_xfers *, struct xfer *);
int64_t client_xfer_part_open(
    struct client_xfers *, struct xfer *, char *, size_t);
int client_xfer_write(
    struct xfer *, const char *, size_t, uint64_t, char *, size_t);
int client_xfer_save(struct client_xfers *, struct xfer *);

#endif
