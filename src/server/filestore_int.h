/* SPDX-License-Identifier: MIT */
/*
 * The file store inside the relay (docs/protocol.md "Files stored on the
 * relay"): what filestore.c (files on disk, limits, expiry, the load at
 * start) and filestore_xfer.c (the transfer frames: the relay as
 * receiver of an upload and as sender of a download) share. Private to
 * server/.
 */
#ifndef SERVER_FILESTORE_INT_H
#define SERVER_FILESTORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "proto/frame.h"
#include "server/filestore.h"
#include "server/relay_int.h"

#define FS_SWEEP_MS (60 * 1000)
/* Uploads under way (each holds an open .part): per sender, in all. */
#define FS_MAX_UP_SENDER 4
#define FS_MAX_UP 256
/* Files kept (under way or stored) from one sender. */
#define FS_MAX_FROM_SENDER 64

enum fs_state { FS_UP, FS_STORED, FS_ENDED };

/*
 * A reader of a stored file: one session of its recipient. A session
 * that closes (even from inside a send to it) only clears s; the record
 * is freed later, never under a loop that uses it.
 */
struct fs_dl {
	struct fs_dl *next;
	struct srv_sess *s; /* NULL: its session is gone */
	int fd;
	uint64_t off, acked;
	bool fdone;
};

struct fs_file {
	struct fs_file *next;
	char h[33];
	char from[PROTO_MAX_NAME + 1], to[PROTO_MAX_NAME + 1]; /* keys */
	char xfer[PROTO_MAX_ID + 1];
	char sha[65];
	uint64_t size, have, facked, created;
	char *offer; /* the FOFFER line with its LF */
	size_t offerlen;
	enum fs_state state;
	char end[PROTO_MAX_TEXT * 2]; /* FS_ENDED: the answer to a re-offer */
	int fd; /* FS_UP: the .part, while its sender is there */
	crypto_hash_sha256_state ctx;
	bool ctx_ok; /* ctx has hashed the first have bytes */
	bool asked; /* FACCEPT sent again: data past have is ignored */
	char **done; /* devices that have it */
	size_t ndone, capdone;
	struct fs_dl *dls;
};

struct server_filestore {
	struct server_router *rt;
	char *dir;
	struct server_filestore_limits lim;
	struct fs_file *files;
	struct net_timer timer;
	char line[PROTO_MAX_FRAME + 256];
	char buf[SERVER_FILESTORE_CHUNK + 512];
};

size_t fs_build(struct server_filestore *fs, enum proto_verb verb,
    const char *a, const char *b, const char *xfer, const uint64_t *num,
    const char *text);
void fs_cancel_up(struct server_filestore *fs, struct fs_file *f,
    struct srv_sess *s, const char *why);
unsigned fs_count(const struct server_filestore *fs, const char *from, bool up);
void fs_dl_free(struct fs_dl *d);
void fs_end(struct server_filestore *fs, struct fs_file *f, size_t n);
struct fs_file *fs_file_new(struct server_filestore *fs,
    const struct proto_frame *fr, const char *from, const char *to);
struct fs_file *fs_find(struct server_filestore *fs, const char *from,
    const char *to, struct proto_slice xfer);
void fs_forget(struct server_filestore *fs, struct fs_file *f);
const char *fs_name(struct server_filestore *fs, const char *key);
void fs_note(struct server_filestore *fs, struct fs_file *f, const char *line);
int fs_open_part(struct server_filestore *fs, struct fs_file *f, bool fresh);
void fs_path(const struct server_filestore *fs, const char *h, const char *ext,
    char *buf, size_t len);
void fs_quota(struct server_filestore *, struct srv_sess *, struct proto_slice,
    const char *, ...) __attribute__((format(printf, 4, 5)));
void fs_rehash(struct server_filestore *fs, struct fs_file *f);
void fs_send(struct server_filestore *fs, struct srv_sess *s, size_t n);
void fs_sync_dir(const struct server_filestore *fs);
void fs_tell(struct server_filestore *fs, const char *key, const char *other,
    const char *frame, size_t n);
uint64_t fs_used(const struct server_filestore *fs, const char *to);
struct srv_user *fs_user(struct server_filestore *fs, const char *key);
int fs_write_meta(struct server_filestore *fs, struct fs_file *f);

#endif
