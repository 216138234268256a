/* SPDX-License-Identifier: MIT */
/*
 * Building frames byte-exact into caller memory. A writer collects one
 * header line field by field; any field that could break the framing (a '|',
 * a space, a control byte) or a line that does not fit marks the writer bad
 * and proto_writer_end() refuses it, so no malformed frame is ever sent.
 */
#ifndef PROTO_BUILD_H
#define PROTO_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/frame.h"

struct proto_writer {
	char *buf;
	size_t cap;
	size_t len; /* bytes of the frame so far */
	bool bad;
};

void proto_writer_init(struct proto_writer *, char *, size_t);
void proto_writer_begin(struct proto_writer *, enum proto_verb);
void proto_writer_field(struct proto_writer *, const char *, size_t);
void proto_writer_str(struct proto_writer *, const char *);
void proto_writer_u64(struct proto_writer *, uint64_t);
void proto_writer_b64(struct proto_writer *, const void *, size_t);
void proto_writer_hex(struct proto_writer *, const unsigned char *, size_t);
int proto_writer_end(struct proto_writer *, size_t *);

int proto_build_msg(char *, size_t, size_t *, const char *, const char *,
    uint64_t, const char *, const char *, size_t);
int proto_build_rcpt(char *, size_t, size_t *, const char *, const char *,
    const char *, const char *);
int proto_build_ack(char *, size_t, size_t *, const char *);
int proto_build_err(char *, size_t, size_t *, enum proto_err, const char *,
    size_t, const char *);
int proto_build_bare(char *, size_t, size_t *, enum proto_verb);
int proto_build_bye(char *, size_t, size_t *, const char *);
int proto_build_bye_addr(char *, size_t, size_t *, const char *, const char *);
int proto_build_discover(char *, size_t, size_t *, size_t);
int proto_build_ping(char *, size_t, size_t *, uint64_t);
int proto_build_pong(char *, size_t, size_t *, const struct proto_frame *);
int proto_build_alive(char *, size_t, size_t *, const char *, const char *);
int proto_build_alive_reply(char *, size_t, size_t *, uint64_t);
int proto_build_typing(
    char *, size_t, size_t *, const char *, const char *, bool);
int proto_build_lookup(char *, size_t, size_t *, const char *);
int proto_build_phello(
    char *, size_t, size_t *, const char *, const char *, const char *);
int proto_build_devices(
    char *, size_t, size_t *, const char *, const unsigned char *);
int proto_build_devices_count(char *, size_t, size_t *, uint64_t);
int proto_build_active(
    char *, size_t, size_t *, const char *, uint64_t, uint64_t, bool, uint64_t);
int proto_build_devcount(char *, size_t, size_t *, uint64_t);
int proto_build_device(
    char *, size_t, size_t *, const unsigned char *, uint64_t);
int proto_build_verify(char *, size_t, size_t *, const char *, const char *);
int proto_build_pwelcome(char *, size_t, size_t *, const char *, const char *);

/* The extensions over TLS (docs/protocol.md, "Verified peers and
 * authenticated presence"): fingerprints and authenticated ALIVE. */
int proto_build_peer(char *, size_t, size_t *, const char *, const char *,
    unsigned, const char *, const unsigned char *);
int proto_build_verified(char *, size_t, size_t *, struct proto_slice,
    struct proto_slice, bool, const unsigned char *);
int proto_build_relay(
    char *, size_t, size_t *, const char *, unsigned, const unsigned char *);
int proto_alive_signed(
    char *, size_t, size_t *, const char *, uint64_t, uint64_t);
int proto_alive_reply_signed(char *, size_t, size_t *, uint64_t, uint64_t);
int proto_build_signed(char *, size_t, size_t *, const unsigned char *);
struct proto_slice proto_frame_signed(const struct proto_frame *);
int proto_slice_hex32(struct proto_slice, unsigned char *);

#endif
