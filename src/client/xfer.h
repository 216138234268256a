/* SPDX-License-Identifier: MIT */
/*
 * File transfers (PROTOCOL.md section 4), both ways: offers, the window of
 * FDATA beyond the last FACK, .part files verified by SHA-256 before they
 * get their final name, resume after a dropped connection, cancel. The
 * session feeds it frames and gives it a way to send; it never blocks on
 * the network (file reads and writes are local and bounded per turn).
 *
 * Each transfer has a route: through the relay, or (P2P mode) over the
 * direct connection to its peer. The sender picks it at every offer and
 * the receiver follows the offer; when a direct connection ends, the
 * sender offers again (with the same id, so the receiver resumes from its
 * .part) by whatever route works then.
 */
#ifndef CLIENT_XFER_H
#define CLIENT_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/frame.h"

struct proto_frame;
struct client_store;
struct client_xfers;

#define CLIENT_XFER_WINDOW (1024 * 1024)
/* Offers larger than this are refused unless the user sets another
 * limit (max_file_size; 0: none). */
#define CLIENT_XFER_MAX_SIZE (4ULL << 30)
/* A .part not written for this long is removed (part_max_age). */
#define CLIENT_XFER_PART_AGE (7ULL * 24 * 3600)
#define CLIENT_XFER_CHUNK 65536
/* The rate is the average of the last 4 s; nothing for 5 s is stalled. */
#define CLIENT_XFER_RATE_SAMPLES 16
#define CLIENT_XFER_STALL_MS 5000
/* After a direct connection ends, the relay's word on the peer's
 * presence is awaited this long before offering by the relay. */
#define CLIENT_XFER_PRESENCE_MS 1000

enum client_xfer_state {
	CLIENT_XFER_HASHING, /* sender: computing the SHA-256 */
	CLIENT_XFER_OFFERED, /* sender: waiting for FACCEPT */
	CLIENT_XFER_INCOMING, /* receiver: waiting for the user */
	CLIENT_XFER_ACTIVE,
	CLIENT_XFER_PAUSED, /* connection lost; resumes after reconnect */
	CLIENT_XFER_VERIFYING, /* sender: all sent, waiting for the check */
	CLIENT_XFER_DONE, /* verified and saved */
	CLIENT_XFER_FAILED, /* refused, cancelled or broken: see reason */
};

struct client_xfer {
	char id[65];
	char peer[33];
	bool outgoing;
	char name[256]; /* safe file name */
	char path[4096]; /* source, or where it was saved */
	uint64_t size;
	uint64_t done; /* acknowledged (or written) */
	uint64_t sent; /* sender: bytes sent */
	char sha_hex[65];
	enum client_xfer_state state;
	char reason[256];
	double rate; /* bytes per second, over the last seconds */
	bool stalled; /* under way, but nothing moved for a while */
	uint64_t started; /* monotonic ms */
	bool direct; /* route: the direct connection, not the relay */
	bool stored; /* sender: the relay keeps it until the peer takes it */
};

/* What the transfers need from the session. */
struct client_xfer_io {
	void *arg;
	/* Queue a frame of this transfer by its route (header, then
	 * payload); -1 if it cannot go now. */
	int (*send)(void *, const struct client_xfer *, const char *, size_t,
	    const void *, size_t);
	/* Send an offer by its route. A direct one may wait for the
	 * connection to be made; if it never is, the session calls
	 * client_xfers_direct_failed. -1 if it cannot go now. */
	int (*offer)(void *, const struct client_xfer *, const char *, size_t);
	/* Bytes the route can take before chat would wait behind it. */
	size_t (*room)(void *, const struct client_xfer *);
	/* Whether an offer to this peer should go direct (may be NULL). */
	bool (*direct)(void *, const char *);
	const char *(*me)(void *);
	void (*changed)(void *, const struct client_xfer *);
	/* Whether peer is known to be offline (may be NULL: not known). */
	bool (*peer_away)(void *, const char *);
};

struct client_xfers *client_xfers_new(
    const struct client_xfer_io *, const char *, uint64_t);
void client_xfers_free(struct client_xfers *);
void client_xfers_attach(
    struct client_xfers *, struct client_store *, uint64_t);
int client_xfers_offer(
    struct client_xfers *, const char *, const char *, char *, char *, size_t);
int client_xfers_accept(struct client_xfers *, const char *, char *, size_t);
int client_xfers_reject(struct client_xfers *, const char *, const char *);
void client_xfers_frame(
    struct client_xfers *, const struct proto_frame *, bool);
bool client_xfers_stored(struct client_xfers *, struct proto_slice);
void client_xfers_error(
    struct client_xfers *, const char *, enum proto_err, const char *);
void client_xfers_pump(struct client_xfers *, uint64_t);
void client_xfers_online(struct client_xfers *, bool);
void client_xfers_peer_online(struct client_xfers *, const char *);
void client_xfers_direct_lost(struct client_xfers *, const char *);
bool client_xfers_direct_failed(struct client_xfers *, const char *);
int client_xfers_cancel(struct client_xfers *, const char *, const char *);
size_t client_xfers_count(const struct client_xfers *);
const struct client_xfer *client_xfers_at(const struct client_xfers *, size_t);
const struct client_xfer *client_xfers_find(
    const struct client_xfers *, const char *);
bool client_xfers_busy(const struct client_xfers *);
bool client_xfers_open(const struct client_xfers *);
bool client_xfers_has_work(const struct client_xfers *);
uint64_t client_xfers_wake_at(const struct client_xfers *);
void client_xfer_safe_name(const char *, size_t, char *, size_t);
int client_xfer_check_path(const char *, uint64_t *, char *, size_t);

#endif
