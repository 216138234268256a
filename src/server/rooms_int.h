/* SPDX-License-Identifier: MIT */
/*
 * Rooms inside the relay (docs/protocol.md "Rooms"): what rooms.c (the
 * rooms, their members and logs, events, fan-out), rooms_req.c (the
 * requests and their rules) and rooms_log.c (messages, positions,
 * receipts, the backlog at login) share. Private to server/.
 */
#ifndef SERVER_ROOMS_INT_H
#define SERVER_ROOMS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "util/fingerprint.h"

#define ROOM_BATCH 64 /* entries per query of a backlog */
#define RLIST_MAX 1000
#define READER_LEN (PROTO_MAX_NAME + 1 + UTIL_FP_HEX + 1)

struct proto_writer;

int rooms_build_rinfo(struct srv_room *room, const struct srv_user *u,
    const char *as, char *buf, size_t cap, size_t *n);
void rooms_drop_cursors(
    struct server_relay *r, struct srv_room *room, struct srv_user *u);
size_t rooms_entry_frame(const struct srv_room *room, int64_t seq, bool event,
    const char *frame, size_t len, char *buf, size_t cap);
int64_t rooms_event(struct server_relay *r, struct srv_room *room,
    const struct srv_user *actor, const char *kind, const char *target,
    const char *text);
void rooms_fan_out(struct server_relay *r, struct srv_room *room, int64_t seq,
    const char *buf, size_t n);
void rooms_forget_member(
    struct server_relay *r, struct srv_room *room, struct srv_user *u);
void rooms_make_cursors(struct server_relay *r, struct srv_room *room,
    struct srv_user *u, int64_t seq);
struct srv_member *member_add(struct srv_room *room, struct srv_user *u);
struct srv_member *member_find(struct srv_room *room, const struct srv_user *u);
struct srv_member *member_of(struct srv_room *room, const struct srv_user *u);
void member_save(
    struct server_relay *r, struct srv_room *room, struct srv_member *m);
struct srv_member *rooms_must_be_member(
    struct srv_sess *s, struct srv_room *room, struct proto_slice ref);
bool rooms_out_full(struct srv_sess *s);
void rooms_reader_of(char *buf, const struct srv_user *u, const char *dev);
void rooms_req_pos(struct srv_sess *s, const struct proto_frame *fr);
void rooms_req_rcpt(struct srv_sess *s, const struct proto_frame *fr);
void room_delete(struct server_relay *r, struct srv_room *room);
struct srv_room *room_find(struct server_relay *r, struct proto_slice name);
void room_free(struct srv_room *room);
struct srv_room *room_new(struct server_relay *r, struct proto_slice name);
struct srv_room *room_of(
    struct srv_sess *s, const struct proto_frame *fr, struct proto_slice ref);
void room_save(struct server_relay *r, struct srv_room *room);
void rooms_failed(struct server_relay *r);
struct srv_rpos *rpos_add(
    struct srv_sess *s, struct srv_room *room, int64_t sent);
struct srv_rpos *rpos_find(struct srv_sess *s, const struct srv_room *room);
void rpos_remove(struct srv_sess *s, const struct srv_room *room);
void rooms_send_all(struct srv_user *u, const struct srv_sess *except,
    const char *buf, size_t n);
void rooms_send_rinfo(struct srv_sess *s, struct srv_room *room);
void rooms_send_rinfo_all(struct srv_room *room, struct srv_user *u);
size_t user_room_count(const struct srv_user *u);

#endif
