/* SPDX-License-Identifier: MIT */
/*
 * Frames of the termgram wire protocol (PROTOCOL.md): limits, verbs, the
 * incremental decoder and the per-verb schemas every frame is checked
 * against. Pure: no I/O, no clocks, no allocation, no global state. Decoded
 * frames are slices into the caller's buffer.
 */
#ifndef PROTO_FRAME_H
#define PROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define PROTO_VERSION 1
#define PROTO_DISCOVER_SIZE 256 /* a padded DISCOVER datagram, LF included */
#define PROTO_MAX_DATAGRAM 1023 /* the longest datagram a relay reads */
#define PROTO_DEFAULT_PORT 7733
#define PROTO_MAX_FRAME 65536 /* default longest header, LF included */
#define PROTO_MIN_FRAME 1024 /* smallest max-frame a relay may set */
#define PROTO_MAX_PAYLOAD 65536 /* FDATA payload */
#define PROTO_MAX_BODY 32768 /* MSG body, decoded */
#define PROTO_MAX_TEXT 1024 /* reasons, file names, passwords */
#define PROTO_MAX_NAME 32
#define PROTO_MAX_ROOM 33 /* '#' and a name */
#define PROTO_MAX_ID 64
#define PROTO_MAX_ARGS 7 /* fields after the verb */
#define PROTO_MAX_DIGITS 20
#define PROTO_MAX_WORD 128 /* PING/PONG tokens, BYE reasons */
#define PROTO_FP_LEN 32 /* a fingerprint's bytes (hex64 on the wire) */
#define PROTO_MAC_LEN 32 /* an ALIVE mac's bytes (hex64 on the wire) */

enum proto_verb {
	PROTO_V_NONE = 0,
	PROTO_V_LOGIN,
	PROTO_V_WELCOME,
	PROTO_V_ERR,
	PROTO_V_USER,
	PROTO_V_SYNCED,
	PROTO_V_PING,
	PROTO_V_PONG,
	PROTO_V_BYE,
	PROTO_V_RESUME,
	PROTO_V_MSG,
	PROTO_V_RCPT,
	PROTO_V_TYPING,
	PROTO_V_ACK,
	PROTO_V_FOFFER,
	PROTO_V_FACCEPT,
	PROTO_V_FREJECT,
	PROTO_V_FDATA,
	PROTO_V_FACK,
	PROTO_V_FDONE,
	PROTO_V_FCANCEL,
	PROTO_V_LOOKUP,
	PROTO_V_PEER,
	PROTO_V_PHELLO,
	PROTO_V_VERIFY,
	PROTO_V_VERIFIED,
	PROTO_V_PWELCOME,
	PROTO_V_ALIVE,
	PROTO_V_STATS,
	PROTO_V_DISCOVER,
	PROTO_V_RELAY,
	PROTO_V_DEVICES,
	PROTO_V_DEVICE,
	PROTO_V_ACTIVE,
	PROTO_V_DEVCOUNT,
	PROTO_V_RCREATE,
	PROTO_V_RJOIN,
	PROTO_V_RLEAVE,
	PROTO_V_RINVITE,
	PROTO_V_RKICK,
	PROTO_V_RBAN,
	PROTO_V_RADMIN,
	PROTO_V_RTOPIC,
	PROTO_V_RINFO,
	PROTO_V_RMEMBERS,
	PROTO_V_RMEMBER,
	PROTO_V_RLIST,
	PROTO_V_REVENT,
	PROTO_V_RPOS,
	PROTO_V_RRCPT,
	PROTO_V_RWHO,
	PROTO_V_RSTATE,
	PROTO_V_COUNT
};

/* A run of bytes inside someone else's buffer. */
struct proto_slice {
	const char *p;
	size_t len;
};

/* One decoded frame; every pointer points into the decoder's input. */
struct proto_frame {
	enum proto_verb verb;
	size_t nargs; /* fields after the verb */
	struct proto_slice arg[PROTO_MAX_ARGS];
	const char *raw; /* the frame as received: header, */
	size_t rawlen; /* LF and any FDATA payload */
	size_t hdrlen; /* header line with its LF */
	const char *payload; /* FDATA only */
	size_t payload_len;
};

/*
 * Why a frame was refused. fatal: the framing itself is broken (a header
 * longer than max-frame, an FDATA length that cannot be trusted), so the
 * connection cannot go on. ref: the id or xfer of the refused frame when it
 * could be read, else "-".
 */
struct proto_error {
	enum proto_err code;
	bool fatal;
	struct proto_slice ref;
	char text[192];
};

enum proto_status { PROTO_NEED_MORE = 0, PROTO_FRAME, PROTO_ERROR };

/* Decoder state: how far the current line has been searched for its LF. */
struct proto_decoder {
	size_t max_frame;
	size_t scanned;
};

/* What a feed callback tells proto_decoder_feed() to do next. */
enum proto_feed { PROTO_FEED_GO = 0, PROTO_FEED_STOP };

/*
 * Called for each frame taken from a connection's input: fr for a frame,
 * or err (fr NULL) for a refused one. Return PROTO_FEED_STOP when the
 * input must not be read further now (the connection was closed, or its
 * owner is paused).
 */
typedef enum proto_feed (*proto_feed_cb)(
    void *, const struct proto_frame *, const struct proto_error *);

void proto_decoder_init(struct proto_decoder *, size_t);
enum proto_status proto_decoder_next(struct proto_decoder *, const char *,
    size_t, struct proto_frame *, struct proto_error *, size_t *);
size_t proto_decoder_feed(
    struct proto_decoder *, const char *, size_t, proto_feed_cb, void *);
enum proto_status proto_frame_parse(
    const char *, size_t, struct proto_frame *, struct proto_error *);

const char *proto_verb_name(enum proto_verb);
enum proto_verb proto_verb_from_name(const char *, size_t);
bool proto_verb_is_routed(enum proto_verb);
bool proto_verb_is_file(enum proto_verb);
unsigned proto_verb_cost(enum proto_verb);
struct proto_slice proto_frame_ref(const struct proto_frame *);
enum proto_err proto_frame_err_code(const struct proto_frame *);

bool proto_is_name(const char *, size_t);
bool proto_is_id(const char *, size_t);
bool proto_is_room(const char *, size_t);
bool proto_verb_is_room(enum proto_verb);
int proto_parse_u64(const char *, size_t, uint64_t *);
bool proto_slice_eq(struct proto_slice, const char *);
bool proto_name_eq(struct proto_slice, struct proto_slice);
uint64_t proto_slice_u64(struct proto_slice);
int proto_text_decode(struct proto_slice, char *, size_t, size_t *);

#endif
