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
	bool resuming; /* offered again after a reconnect */
	uint64_t rate_t, rate_b;
};

struct client_xfers {
	struct client_xfer_io io;
	char dir[2048]; /* download folder */
	uint64_t max_size; /* 0: no limit */
	struct xfer **x;
	size_t n, cap;
	bool online;
	char buf[PROTO_MAX_FRAME];
	char data[CLIENT_XFER_CHUNK];
};

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
