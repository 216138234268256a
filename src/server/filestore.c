/* SPDX-License-Identifier: MIT */
/*
 * The relay's file store (docs/protocol.md "Files stored on the relay").
 *
 * On disk, in <data>/files (0700), each file is known by h, the first 32
 * hex digits of SHA-256("sender|recipient|xfer") (the keys, lower case):
 * never a name from the wire. h.meta holds the offer as it came and when,
 * then one line per event (a device that has it, the end); h.part is the
 * upload under way, h.file the verified file. Every file is 0600. A meta
 * without its data and without an end is dropped at start.
 *
 * The loop never blocks on a transfer: data is written as FDATA comes
 * (bounded by the sender's window) and read with pread one frame at a
 * time while the reader's output has room and its window allows.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "net/loop.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "server/filestore.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "util/sys.h"
#include "util/xmalloc.h"

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

static void fs_timer(struct net_timer *, void *);

/* dir/h.ext into buf. */
static void
fs_path(const struct server_filestore *fs, const char *h, const char *ext,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", fs->dir, h, ext);
}

/* fsync the folder, so a rename in it survives a crash. */
static void
fs_sync_dir(const struct server_filestore *fs)
{
	int fd = open(fs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Create path afresh, 0600, never through a link; the fd or -1. */
static int
fs_create(const char *path, int flags)
{
	int fd;

	(void)unlink(path);
	fd =
	    open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd != -1)
		(void)fchmod(fd, 0600);
	return fd;
}

/* Whether all of buf went to fd. */
static bool
fs_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* The user of a key, or NULL. */
static struct srv_user *
fs_user(struct server_filestore *fs, const char *key)
{
	return server_router_user(fs->rt, key);
}

/* A user's name as registered, or its key. */
static const char *
fs_name(struct server_filestore *fs, const char *key)
{
	struct srv_user *u = fs_user(fs, key);

	return u != NULL ? u->name : key;
}

/* The file (from, to, xfer), or NULL. */
static struct fs_file *
fs_find(struct server_filestore *fs, const char *from, const char *to,
    struct proto_slice xfer)
{
	struct fs_file *f;

	for (f = fs->files; f != NULL; f = f->next)
		if (strlen(f->xfer) == xfer.len &&
		    memcmp(f->xfer, xfer.p, xfer.len) == 0 &&
		    strcmp(f->from, from) == 0 && strcmp(f->to, to) == 0)
			return f;
	return NULL;
}

/* Bytes kept (or promised to an upload) for to (NULL: for anyone). */
static uint64_t
fs_used(const struct server_filestore *fs, const char *to)
{
	const struct fs_file *f;
	uint64_t n = 0;

	for (f = fs->files; f != NULL; f = f->next)
		if (f->state != FS_ENDED &&
		    (to == NULL || strcmp(f->to, to) == 0))
			n += f->size;
	return n;
}

/* Files not ended from `from` (NULL: anyone); up: uploads only. */
static unsigned
fs_count(const struct server_filestore *fs, const char *from, bool up)
{
	const struct fs_file *f;
	unsigned n = 0;

	for (f = fs->files; f != NULL; f = f->next)
		if (f->state != FS_ENDED && (!up || f->state == FS_UP) &&
		    (from == NULL || strcmp(f->from, from) == 0))
			n++;
	return n;
}

/* Build a file frame VERB|a|b|xfer[|num][|text] into fs->line. */
static size_t
fs_build(struct server_filestore *fs, enum proto_verb verb, const char *a,
    const char *b, const char *xfer, const uint64_t *num, const char *text)
{
	struct proto_writer w;
	size_t n;

	proto_writer_init(&w, fs->line, sizeof fs->line);
	proto_writer_begin(&w, verb);
	proto_writer_str(&w, a);
	proto_writer_str(&w, b);
	proto_writer_str(&w, xfer);
	if (num != NULL)
		proto_writer_u64(&w, *num);
	if (text != NULL)
		proto_writer_b64(&w, text, strlen(text));
	return proto_writer_end(&w, &n) == 0 ? n : 0;
}

/* A frame to s as if from the file's other side. */
static void
fs_send(struct server_filestore *fs, struct srv_sess *s, size_t n)
{
	if (n > 0)
		fs->rt->io->send(s, fs->line, n);
}

/*
 * A frame (in fs->line, or frame) from the user other to the user key:
 * to its sessions online now, and into its inbox for its devices that
 * are not (so a sender away learns it at its next login).
 */
static void
fs_tell(struct server_filestore *fs, const char *key, const char *other,
    const char *frame, size_t n)
{
	struct srv_user *u = fs_user(fs, key), *o = fs_user(fs, other);
	struct srv_sess *s, *next;

	if (u == NULL || n == 0)
		return;
	for (s = TAILQ_FIRST(&u->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, user_entry);
		if (!s->gone)
			fs->rt->io->send(s, frame, n);
	}
	if (o != NULL &&
	    (!server_user_online(u) ||
	        server_user_devices_online(u) <
	            server_devices_number(fs->rt->store, u)))
		server_inbox_once(fs->rt, o, u, frame, n);
}

/* ERR|QUOTA about the offer to s, with the limit it passed. */
static void fs_quota(struct server_filestore *, struct srv_sess *,
    struct proto_slice, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
fs_quota(struct server_filestore *fs, struct srv_sess *s,
    struct proto_slice ref, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (proto_build_err(fs->line, sizeof fs->line, &n, PROTO_ERR_QUOTA,
	        ref.p, ref.len, text) == 0)
		fs->rt->io->send(s, fs->line, n);
}

/* Stop sending f to one reader. */
static void
fs_dl_free(struct fs_dl *d)
{
	if (d->fd != -1)
		close(d->fd);
	free(d);
}

/* Remove f's data (and, with all, its meta) and its readers. */
static void
fs_drop_data(struct server_filestore *fs, struct fs_file *f, bool all)
{
	char path[4096];
	struct fs_dl *d;

	while ((d = f->dls) != NULL) {
		f->dls = d->next;
		fs_dl_free(d);
	}
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	fs_path(fs, f->h, "part", path, sizeof path);
	(void)unlink(path);
	fs_path(fs, f->h, "file", path, sizeof path);
	(void)unlink(path);
	if (all) {
		fs_path(fs, f->h, "meta", path, sizeof path);
		(void)unlink(path);
	}
}

/* Forget f, and remove its files. */
static void
fs_forget(struct server_filestore *fs, struct fs_file *f)
{
	struct fs_file **pp;
	size_t i;

	fs_drop_data(fs, f, true);
	for (pp = &fs->files; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	for (i = 0; i < f->ndone; i++)
		free(f->done[i]);
	free(f->done);
	free(f->offer);
	free(f);
}

/* Append one line to f's meta, durably. */
static void
fs_note(struct server_filestore *fs, struct fs_file *f, const char *line)
{
	char path[4096];
	int fd;

	fs_path(fs, f->h, "meta", path, sizeof path);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return;
	if (!fs_write_all(fd, line, strlen(line)) || fsync(fd) != 0)
		server_log(SERVER_LOG_ERROR, "files: cannot write %s: %s", path,
		    strerror(errno));
	close(fd);
}

/*
 * f has ended: its data goes, its meta stays (until --file-keep-days)
 * with the frame (in fs->line, n bytes) that answers a re-offer.
 */
static void
fs_end(struct server_filestore *fs, struct fs_file *f, size_t n)
{
	char line[sizeof f->end + 8];

	fs_drop_data(fs, f, false);
	f->state = FS_ENDED;
	snprintf(
	    f->end, sizeof f->end, "%.*s", (int)(n > 0 ? n - 1 : 0), fs->line);
	snprintf(line, sizeof line, "end %s\n", f->end);
	fs_note(fs, f, line);
}

/* The relay, as receiver, gives up the upload f: FCANCEL to s. */
static void
fs_cancel_up(struct server_filestore *fs, struct fs_file *f, struct srv_sess *s,
    const char *why)
{
	server_log(SERVER_LOG_INFO, "files: %s to %s (%s) refused: %s",
	    fs_name(fs, f->from), fs_name(fs, f->to), f->xfer, why);
	if (s != NULL)
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FCANCEL, fs_name(fs, f->to),
		        fs_name(fs, f->from), f->xfer, NULL, why));
	fs_forget(fs, f);
}

/* A new record for the offer fr. */
static struct fs_file *
fs_file_new(struct server_filestore *fs, const struct proto_frame *fr,
    const char *from, const char *to)
{
	struct fs_file *f = xcalloc(1, sizeof *f);
	unsigned char d[crypto_hash_sha256_BYTES];
	char key[PROTO_MAX_NAME * 2 + PROTO_MAX_ID + 8];
	size_t i;

	f->fd = -1;
	snprintf(f->from, sizeof f->from, "%s", from);
	snprintf(f->to, sizeof f->to, "%s", to);
	snprintf(
	    f->xfer, sizeof f->xfer, "%.*s", (int)fr->arg[2].len, fr->arg[2].p);
	snprintf(
	    f->sha, sizeof f->sha, "%.*s", (int)fr->arg[4].len, fr->arg[4].p);
	for (i = 0; f->sha[i] != '\0'; i++)
		if (f->sha[i] >= 'A' && f->sha[i] <= 'F')
			f->sha[i] = (char)(f->sha[i] - 'A' + 'a');
	f->size = proto_slice_u64(fr->arg[3]);
	snprintf(key, sizeof key, "%s|%s|%s", f->from, f->to, f->xfer);
	crypto_hash_sha256(d, (const unsigned char *)key, strlen(key));
	for (i = 0; i < 16; i++)
		snprintf(f->h + 2 * i, 3, "%02x", d[i]);
	f->offer = xmalloc(fr->hdrlen);
	memcpy(f->offer, fr->raw, fr->hdrlen);
	f->offerlen = fr->hdrlen;
	crypto_hash_sha256_init(&f->ctx);
	f->ctx_ok = true;
	f->next = fs->files;
	fs->files = f;
	return f;
}

/* Write f's meta afresh (tmp, fsync, rename); 0 or -1. */
static int
fs_write_meta(struct server_filestore *fs, struct fs_file *f)
{
	char path[4096], tmp[4096], head[64];
	int fd;
	bool ok;

	fs_path(fs, f->h, "meta", path, sizeof path);
	fs_path(fs, f->h, "tmp", tmp, sizeof tmp);
	if ((fd = fs_create(tmp, O_WRONLY)) == -1)
		return -1;
	snprintf(head, sizeof head, "created %llu\noffer ",
	    (unsigned long long)f->created);
	ok = fs_write_all(fd, head, strlen(head)) &&
	    fs_write_all(fd, f->offer, f->offerlen) && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) != 0) {
		(void)unlink(tmp);
		return -1;
	}
	fs_sync_dir(fs);
	return 0;
}

/* Open f's .part to append at have (creating it when it is new). */
static int
fs_open_part(struct server_filestore *fs, struct fs_file *f, bool fresh)
{
	char path[4096];
	struct stat st;

	fs_path(fs, f->h, "part", path, sizeof path);
	if (fresh)
		f->fd = fs_create(path, O_RDWR);
	else
		f->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd == -1)
		return -1;
	if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1) {
		close(f->fd);
		f->fd = -1;
		return -1;
	}
	return 0;
}

/*
 * The hash of the first have bytes of f's .part, after a restart of the
 * relay; a .part that cannot be read starts again from 0.
 */
static void
fs_rehash(struct server_filestore *fs, struct fs_file *f)
{
	uint64_t at = 0;
	ssize_t n;
	size_t want;

	crypto_hash_sha256_init(&f->ctx);
	while (at < f->have) {
		want = f->have - at < sizeof fs->buf ? (size_t)(f->have - at)
		                                     : sizeof fs->buf;
		if ((n = pread(f->fd, fs->buf, want, (off_t)at)) <= 0)
			break;
		crypto_hash_sha256_update(
		    &f->ctx, (const unsigned char *)fs->buf, (size_t)n);
		at += (uint64_t)n;
	}
	if (at != f->have) {
		f->have = 0;
		crypto_hash_sha256_init(&f->ctx);
		if (ftruncate(f->fd, 0) != 0)
			server_log(SERVER_LOG_WARN, "files: cannot truncate");
	}
	f->ctx_ok = true;
}

/*
 * An offer to someone not there: take it within the limits, and answer
 * as its receiver would, FACCEPT from 0.
 */
static void
fs_offer_new(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct srv_user *to)
{
	struct proto_slice ref = fr->arg[2];
	uint64_t size = proto_slice_u64(fr->arg[3]), used, zero = 0;
	struct statvfs sv;
	uint64_t freeb;
	struct fs_file *f;

	if (size > fs->lim.max_size) {
		fs_quota(fs, s, ref,
		    "%s is offline, and the file (%llu bytes) is larger than "
		    "the %llu bytes the relay keeps for someone offline "
		    "(--file-max-size)",
		    to->name, (unsigned long long)size,
		    (unsigned long long)fs->lim.max_size);
		return;
	}
	if (fs_count(fs, s->user->key, true) >= FS_MAX_UP_SENDER ||
	    fs_count(fs, NULL, true) >= FS_MAX_UP ||
	    fs_count(fs, s->user->key, false) >= FS_MAX_FROM_SENDER) {
		fs_quota(fs, s, ref,
		    "%s is offline, and the relay already takes %u uploads "
		    "from you (at most %d at once, %d in all) or %d from "
		    "everyone; wait until one is stored or taken",
		    to->name, fs_count(fs, s->user->key, true),
		    FS_MAX_UP_SENDER, FS_MAX_FROM_SENDER, FS_MAX_UP);
		return;
	}
	used = fs_used(fs, to->key);
	if (fs->lim.quota > 0 && used + size > fs->lim.quota) {
		fs_quota(fs, s, ref,
		    "%s is offline, and the relay keeps %llu bytes of files "
		    "for "
		    "%s already; this file (%llu bytes) would pass the %llu "
		    "bytes it keeps for one user (--file-quota)",
		    to->name, (unsigned long long)used, to->name,
		    (unsigned long long)size,
		    (unsigned long long)fs->lim.quota);
		return;
	}
	used = fs_used(fs, NULL);
	if (fs->lim.store_max > 0 && used + size > fs->lim.store_max) {
		fs_quota(fs, s, ref,
		    "%s is offline, and the relay keeps %llu bytes of files "
		    "already; this file (%llu bytes) would pass the %llu bytes "
		    "it keeps in all (--file-store-max)",
		    to->name, (unsigned long long)used,
		    (unsigned long long)size,
		    (unsigned long long)fs->lim.store_max);
		return;
	}
	if (statvfs(fs->dir, &sv) == 0) {
		freeb = (uint64_t)sv.f_bavail * sv.f_frsize;
		if (freeb < size || freeb - size < SERVER_FILESTORE_MIN_FREE) {
			fs_quota(fs, s, ref,
			    "%s is offline, and the relay's disk has %llu "
			    "bytes "
			    "free: this file (%llu bytes) would leave less "
			    "than "
			    "the 1 GiB it keeps free",
			    to->name, (unsigned long long)freeb,
			    (unsigned long long)size);
			return;
		}
	}
	f = fs_file_new(fs, fr, s->user->key, to->key);
	f->created = util_wall_ms();
	if (fs_write_meta(fs, f) != 0 || fs_open_part(fs, f, true) != 0) {
		server_log(SERVER_LOG_ERROR, "files: cannot create %s/%s: %s",
		    fs->dir, f->h, strerror(errno));
		fs_forget(fs, f);
		if (proto_build_err(fs->line, sizeof fs->line, &used,
		        PROTO_ERR_INTERNAL, ref.p, ref.len,
		        "the relay could not store the file") == 0)
			fs->rt->io->send(s, fs->line, (size_t)used);
		return;
	}
	server_log(SERVER_LOG_INFO, "files: %s offers %s (offline) %llu bytes",
	    s->user->name, to->name, (unsigned long long)f->size);
	fs_send(fs, s,
	    fs_build(fs, PROTO_V_FACCEPT, to->name, s->user->name, f->xfer,
	        &zero, NULL));
}

/* The same transfer offered again by its sender. */
static void
fs_offer_again(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct fs_file *f)
{
	size_t n;

	if (proto_slice_u64(fr->arg[3]) != f->size || fr->arg[4].len != 64 ||
	    strncasecmp(fr->arg[4].p, f->sha, 64) != 0) {
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FREJECT, fs_name(fs, f->to),
		        s->user->name, f->xfer, NULL,
		        "this transfer id was offered for another file"));
		return;
	}
	switch (f->state) {
	case FS_UP:
		if (f->fd == -1 && fs_open_part(fs, f, false) != 0) {
			fs_cancel_up(fs, f, s,
			    "the relay lost its partial file; offer it again "
			    "under a new id");
			return;
		}
		if (!f->ctx_ok)
			fs_rehash(fs, f);
		f->asked = true;
		f->facked = f->have;
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FACCEPT, fs_name(fs, f->to),
		        s->user->name, f->xfer, &f->have, NULL));
		break;
	case FS_STORED:
		if (proto_build_ack(fs->line, sizeof fs->line, &n, f->xfer) ==
		    0)
			fs_send(fs, s, n);
		break;
	case FS_ENDED:
		n = strlen(f->end);
		if (n > 0 && n + 1 < sizeof fs->line) {
			memcpy(fs->line, f->end, n);
			fs->line[n++] = '\n';
			fs_send(fs, s, n);
		}
		break;
	}
}

/* FDATA of an upload. */
static void
fs_data(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct fs_file *f)
{
	uint64_t off = proto_slice_u64(fr->arg[3]);
	size_t len = fr->payload_len;
	char why[128];

	if (f->state != FS_UP || f->fd == -1 || off < f->have)
		return; /* left over from before a resume */
	if (off > f->have) {
		if (f->asked)
			return; /* sent before the sender heard the FACCEPT */
		snprintf(why, sizeof why,
		    "data at %llu, but the relay has %llu bytes",
		    (unsigned long long)off, (unsigned long long)f->have);
		fs_cancel_up(fs, f, s, why);
		return;
	}
	if (len > f->size - f->have) {
		fs_cancel_up(fs, f, s, "more data than the offer said");
		return;
	}
	f->asked = false;
	if (len > 0 &&
	    pwrite(f->fd, fr->payload, len, (off_t)off) != (ssize_t)len) {
		snprintf(why, sizeof why,
		    "the relay could not write the file: %s", strerror(errno));
		fs_cancel_up(fs, f, s, why);
		return;
	}
	crypto_hash_sha256_update(
	    &f->ctx, (const unsigned char *)fr->payload, len);
	f->have += len;
	if (f->have - f->facked >= SERVER_FILESTORE_FACK_EVERY ||
	    f->have == f->size) {
		f->facked = f->have;
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FACK, fs_name(fs, f->to),
		        s->user->name, f->xfer, &f->have, NULL));
	}
}

/*
 * The sender's FDONE: check, keep, and put the offer in the recipient's
 * inbox; ACK|<xfer>|stored follows the commit.
 */
static void
fs_upload_done(
    struct server_filestore *fs, struct srv_sess *s, struct fs_file *f)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[65], from[4096], to[4096], why[128];
	struct srv_user *rcpt = fs_user(fs, f->to);
	struct srv_sess *o, *next;
	size_t i;

	if (f->state != FS_UP || f->fd == -1)
		return;
	if (f->have != f->size) {
		snprintf(why, sizeof why,
		    "the relay has %llu of the %llu bytes",
		    (unsigned long long)f->have, (unsigned long long)f->size);
		fs_cancel_up(fs, f, s, why);
		return;
	}
	crypto_hash_sha256_final(&f->ctx, d);
	f->ctx_ok = false;
	for (i = 0; i < sizeof d; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	if (strcmp(hex, f->sha) != 0) {
		fs_cancel_up(fs, f, s,
		    "SHA-256 mismatch: the data is not what was offered");
		return;
	}
	fs_path(fs, f->h, "part", from, sizeof from);
	fs_path(fs, f->h, "file", to, sizeof to);
	if (fsync(f->fd) != 0 || rename(from, to) != 0 || rcpt == NULL) {
		fs_cancel_up(fs, f, s, "the relay could not keep the file");
		return;
	}
	fs_sync_dir(fs);
	close(f->fd);
	f->fd = -1;
	f->state = FS_STORED;
	server_log(SERVER_LOG_INFO, "files: %s to %s (%s) stored, %llu bytes",
	    s->user->name, rcpt->name, f->xfer, (unsigned long long)f->size);
	/* Its sessions online now (one may have come meanwhile) have the
	 * offer at once; the inbox keeps it for the devices that are not. */
	for (o = TAILQ_FIRST(&rcpt->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, user_entry);
		if (!o->gone)
			fs->rt->io->send(o, f->offer, f->offerlen);
	}
	if (server_inbox_once(fs->rt, s->user, rcpt, f->offer, f->offerlen) <
	    0) {
		fs_cancel_up(fs, f, s, "the relay could not keep the file");
		return;
	}
	server_router_ack(fs->rt, s->user, s->device, f->xfer);
}

/* The reader of f that is s, made if asked; readers gone are freed. */
static struct fs_dl *
fs_dl_get(struct fs_file *f, struct srv_sess *s, bool make)
{
	struct fs_dl *d, **pp;

	for (pp = &f->dls; (d = *pp) != NULL;) {
		if (d->s == NULL) {
			*pp = d->next;
			fs_dl_free(d);
		} else
			pp = &d->next;
	}
	for (d = f->dls; d != NULL; d = d->next)
		if (d->s == s)
			return d;
	if (!make)
		return NULL;
	d = xcalloc(1, sizeof *d);
	d->s = s;
	d->fd = -1;
	d->next = f->dls;
	f->dls = d;
	return d;
}

/* Stop sending f to s (freed at the next look-up). */
static void
fs_dl_remove(struct fs_file *f, struct srv_sess *s)
{
	struct fs_dl *d;

	for (d = f->dls; d != NULL; d = d->next)
		if (d->s == s) {
			d->s = NULL;
			if (d->fd != -1)
				close(d->fd);
			d->fd = -1;
		}
}

/* Send d what its window and its session's output allow. */
static void
fs_dl_pump(struct server_filestore *fs, struct fs_file *f, struct fs_dl *d)
{
	struct srv_sess *s = d->s;
	const char *from = fs_name(fs, f->from), *to = fs_name(fs, f->to);
	struct proto_writer w;
	size_t want, n;
	ssize_t got;

	if (s == NULL)
		return;
	while (d->off < f->size &&
	    d->off - d->acked < SERVER_FILESTORE_WINDOW && !s->gone &&
	    !fs->rt->io->is_full(s)) {
		want = f->size - d->off < SERVER_FILESTORE_CHUNK
		    ? (size_t)(f->size - d->off)
		    : SERVER_FILESTORE_CHUNK;
		proto_writer_init(&w, fs->buf, 512);
		proto_writer_begin(&w, PROTO_V_FDATA);
		proto_writer_str(&w, from);
		proto_writer_str(&w, to);
		proto_writer_str(&w, f->xfer);
		proto_writer_u64(&w, d->off);
		proto_writer_u64(&w, want);
		if (proto_writer_end(&w, &n) != 0)
			return;
		got = pread(d->fd, fs->buf + n, want, (off_t)d->off);
		if (got != (ssize_t)want) {
			server_log(SERVER_LOG_ERROR,
			    "files: cannot read %s: %s", f->h,
			    got < 0 ? strerror(errno) : "short read");
			fs_send(fs, s,
			    fs_build(fs, PROTO_V_FCANCEL, from, to, f->xfer,
			        NULL, "the relay could not read the file"));
			fs_dl_remove(f, s);
			return;
		}
		fs->rt->io->send(s, fs->buf, n + want);
		if (d->s == NULL)
			return; /* the send closed it */
		d->off += want;
	}
	if (d->off == f->size && !d->fdone && !s->gone) {
		d->fdone = true;
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FDONE, from, to, f->xfer, NULL, NULL));
	}
}

/* The recipient's FACCEPT: the relay sends from its offset. */
static void
fs_accept(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct fs_file *f)
{
	uint64_t off = proto_slice_u64(fr->arg[3]);
	char path[4096];
	struct fs_dl *d;

	if (f->state == FS_UP)
		return; /* not stored yet: it has no offer from us */
	if (f->state == FS_ENDED) {
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FCANCEL, fs_name(fs, f->from),
		        s->user->name, f->xfer, NULL,
		        "the relay no longer has this file"));
		return;
	}
	if (off > f->size) {
		fs_send(fs, s,
		    fs_build(fs, PROTO_V_FCANCEL, fs_name(fs, f->from),
		        s->user->name, f->xfer, NULL,
		        "the receiver asked for an offset past the end"));
		return;
	}
	d = fs_dl_get(f, s, true);
	if (d->fd == -1) {
		fs_path(fs, f->h, "file", path, sizeof path);
		if ((d->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
		    -1) {
			fs_dl_remove(f, s);
			fs_send(fs, s,
			    fs_build(fs, PROTO_V_FCANCEL, fs_name(fs, f->from),
			        s->user->name, f->xfer, NULL,
			        "the relay could not read the file"));
			return;
		}
	}
	d->off = d->acked = off;
	d->fdone = false;
	fs_dl_pump(fs, f, d);
}

/* Whether device dev of the recipient has f. */
static bool
fs_has_done(const struct fs_file *f, const char *dev)
{
	size_t i;

	for (i = 0; i < f->ndone; i++)
		if (strcmp(f->done[i], dev) == 0)
			return true;
	return false;
}

/*
 * The recipient's FDONE: that device verified and saved the file. The
 * first goes to the sender; the file goes once every device has it.
 */
static void
fs_delivered(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct fs_file *f)
{
	struct srv_user *u = s->user;
	char line[UTIL_FP_HEX + 16];
	size_t n;

	fs_dl_remove(f, s);
	if (f->state != FS_STORED || fs_has_done(f, s->device))
		return;
	XGROW(f->done, f->capdone, f->ndone + 1, 4);
	f->done[f->ndone] = xstrdup(s->device);
	snprintf(line, sizeof line, "done %s\n", s->device);
	fs_note(fs, f, line);
	if (++f->ndone == 1)
		fs_tell(fs, f->from, f->to, fr->raw, fr->rawlen);
	if (f->ndone >= server_devices_number(fs->rt->store, u)) {
		server_log(SERVER_LOG_INFO, "files: %s (%s) delivered to %s",
		    fs_name(fs, f->from), f->xfer, u->name);
		n = fs_build(fs, PROTO_V_FDONE, u->name, fs_name(fs, f->from),
		    f->xfer, NULL, NULL);
		fs_end(fs, f, n);
	}
}

/* The recipient's FREJECT or FCANCEL: to the sender, and the file goes. */
static void
fs_refused(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct fs_file *f)
{
	if (f->state != FS_STORED)
		return;
	fs_tell(fs, f->from, f->to, fr->raw, fr->rawlen);
	server_log(SERVER_LOG_INFO, "files: %s (%s) refused by %s",
	    fs_name(fs, f->from), f->xfer, s->user->name);
	memcpy(fs->line, fr->raw, fr->hdrlen);
	fs_end(fs, f, fr->hdrlen);
}

/* The sender's FCANCEL: the upload, or the stored file, goes. */
static void
fs_sender_cancel(struct server_filestore *fs, const struct proto_frame *fr,
    struct fs_file *f)
{
	if (f->state == FS_STORED)
		fs_tell(fs, f->to, f->from, fr->raw, fr->rawlen);
	if (f->state != FS_ENDED)
		fs_forget(fs, f);
}

/*
 * A file frame from s to to: the store's when it is about a file the
 * store has (or takes now); false when the router handles it as before.
 */
bool
server_filestore_route(struct server_filestore *fs, struct srv_sess *s,
    const struct proto_frame *fr, struct srv_user *to)
{
	struct fs_file *f, *g;
	struct fs_dl *d;
	uint64_t v;

	if (fs == NULL || !proto_verb_is_file(fr->verb) || fr->nargs < 3)
		return false;
	f = fs_find(fs, s->user->key, to->key, fr->arg[2]); /* s sends */
	g = fs_find(fs, to->key, s->user->key, fr->arg[2]); /* s receives */
	switch (fr->verb) {
	case PROTO_V_FOFFER:
		if (f != NULL) {
			fs_offer_again(fs, s, fr, f);
			return true;
		}
		if (server_user_online(to) || to->light ||
		    fs->lim.max_size == 0)
			return false;
		fs_offer_new(fs, s, fr, to);
		return true;
	case PROTO_V_FDATA:
		if (f == NULL)
			return false;
		fs_data(fs, s, fr, f);
		return true;
	case PROTO_V_FDONE:
		if (f != NULL) {
			if (f->state == FS_UP)
				fs_upload_done(fs, s, f);
			return true;
		}
		if (g == NULL)
			return false;
		fs_delivered(fs, s, fr, g);
		return true;
	case PROTO_V_FCANCEL:
		if (f != NULL) {
			fs_sender_cancel(fs, fr, f);
			return true;
		}
		if (g == NULL)
			return false;
		fs_refused(fs, s, fr, g);
		return true;
	case PROTO_V_FREJECT:
		if (g == NULL)
			return false;
		fs_refused(fs, s, fr, g);
		return true;
	case PROTO_V_FACCEPT:
		if (g == NULL)
			return false;
		fs_accept(fs, s, fr, g);
		return true;
	case PROTO_V_FACK:
		if (g == NULL)
			return false;
		if ((d = fs_dl_get(g, s, false)) != NULL) {
			v = proto_slice_u64(fr->arg[3]);
			if (v > d->acked && v <= d->off)
				d->acked = v;
			fs_dl_pump(fs, g, d);
		}
		return true;
	default:
		return false;
	}
}

/* s's output has room: more of the files it reads. */
void
server_filestore_pump(struct server_filestore *fs, struct srv_sess *s)
{
	struct fs_file *f;
	struct fs_dl *d;

	if (fs == NULL)
		return;
	for (f = fs->files; f != NULL; f = f->next)
		if ((d = fs_dl_get(f, s, false)) != NULL)
			fs_dl_pump(fs, f, d);
}

/* s is closing: it reads nothing more, and its uploads wait. */
void
server_filestore_gone(struct server_filestore *fs, struct srv_sess *s)
{
	struct fs_file *f;

	if (fs == NULL)
		return;
	for (f = fs->files; f != NULL; f = f->next)
		fs_dl_remove(f, s);
}

/*
 * Files older than --file-keep-days go: the sender of one not fetched
 * hears FCANCEL "expired" (now, or at its next login).
 */
void
server_filestore_expire(struct server_filestore *fs, uint64_t now)
{
	struct fs_file *f, *next;
	char why[160];
	size_t n;

	for (f = fs->files; f != NULL; f = next) {
		next = f->next;
		if (fs->lim.keep_ms == 0 || now < f->created ||
		    now - f->created < fs->lim.keep_ms)
			continue;
		if (f->state != FS_ENDED) {
			snprintf(why, sizeof why,
			    "expired: the relay kept the file %llu days and %s "
			    "did not take it (--file-keep-days)",
			    (unsigned long long)(fs->lim.keep_ms / 86400000ULL),
			    fs_name(fs, f->to));
			n = fs_build(fs, PROTO_V_FCANCEL, fs_name(fs, f->to),
			    fs_name(fs, f->from), f->xfer, NULL, why);
			fs_tell(fs, f->from, f->to, fs->line, n);
			server_log(SERVER_LOG_INFO,
			    "files: %s to %s (%s) expired",
			    fs_name(fs, f->from), fs_name(fs, f->to), f->xfer);
		}
		fs_forget(fs, f);
	}
}

/*
 * The recipient key is deleted: the files kept for it go with its queue,
 * so that whoever registers the name next finds none of them.
 */
void
server_filestore_forget(struct server_filestore *fs, const char *key)
{
	struct fs_file *f, *next;

	if (fs == NULL)
		return;
	for (f = fs->files; f != NULL; f = next) {
		next = f->next;
		if (strcmp(f->to, key) == 0)
			fs_forget(fs, f);
	}
}

/* Every minute: the expiry pass. */
static void
fs_timer(struct net_timer *t, void *arg)
{
	struct server_filestore *fs = arg;

	server_filestore_expire(fs, util_wall_ms());
	net_timer_start(fs->rt->loop, t, FS_SWEEP_MS);
}

/* Load one file's meta at start; drop it if it does not hold. */
static void
fs_load_one(struct server_filestore *fs, const char *h)
{
	char path[4096], *text = NULL, *line, *nl, copy[PROTO_MAX_FRAME];
	struct proto_error perr;
	struct proto_frame fr;
	struct srv_user *from, *to;
	struct fs_file *f;
	struct stat st;
	uint64_t created = 0;
	size_t len = 0;
	FILE *fp;
	bool stored, part;

	fs_path(fs, h, "meta", path, sizeof path);
	if ((fp = fopen(path, "re")) == NULL)
		return;
	text = xmalloc(PROTO_MAX_FRAME * 4);
	len = fread(text, 1, PROTO_MAX_FRAME * 4 - 1, fp);
	fclose(fp);
	text[len] = '\0';
	f = NULL;
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (strncmp(line, "created ", 8) == 0)
			created = strtoull(line + 8, NULL, 10);
		else if (strncmp(line, "offer ", 6) == 0 && f == NULL) {
			/* The offer as it came: parsed again, as any frame. */
			snprintf(copy, sizeof copy, "%s\n", line + 6);
			if (proto_frame_parse(copy, strlen(copy), &fr, &perr) !=
			        PROTO_FRAME ||
			    fr.verb != PROTO_V_FOFFER)
				break;
			from = server_directory_find(fs->rt->dir, fr.arg[0]);
			to = server_directory_find(fs->rt->dir, fr.arg[1]);
			if (from == NULL || to == NULL)
				break;
			f = fs_file_new(fs, &fr, from->key, to->key);
			if (strcmp(f->h, h) != 0) {
				fs_forget(fs, f);
				f = NULL;
				break;
			}
			f->created = created;
		} else if (strncmp(line, "done ", 5) == 0 && f != NULL) {
			XGROW(f->done, f->capdone, f->ndone + 1, 4);
			f->done[f->ndone++] = xstrdup(line + 5);
		} else if (strncmp(line, "end ", 4) == 0 && f != NULL) {
			f->state = FS_ENDED;
			snprintf(f->end, sizeof f->end, "%s", line + 4);
		}
	}
	free(text);
	if (f == NULL) {
		(void)unlink(path);
		return;
	}
	fs_path(fs, h, "file", path, sizeof path);
	stored = lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == f->size;
	fs_path(fs, h, "part", path, sizeof path);
	part = lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size <= f->size;
	if (f->state == FS_ENDED)
		fs_drop_data(fs, f, false);
	else if (stored)
		f->state = FS_STORED;
	else if (part) {
		f->state = FS_UP;
		f->have = (uint64_t)st.st_size;
		f->ctx_ok = false; /* hashed again at the sender's resume */
	} else {
		fs_forget(fs, f);
		return;
	}
}

/* At start: the files kept, from their metas; strays are removed. */
static int
fs_load(struct server_filestore *fs)
{
	DIR *d;
	struct dirent *e;
	struct fs_file *f;
	char h[33], path[4096];
	size_t len;
	bool known;

	if ((d = opendir(fs->dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len == 37 && strcmp(e->d_name + 32, ".meta") == 0) {
			memcpy(h, e->d_name, 32);
			h[32] = '\0';
			fs_load_one(fs, h);
		}
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		known = false;
		if (strlen(e->d_name) > 33 && e->d_name[32] == '.')
			for (f = fs->files; f != NULL && !known; f = f->next)
				known = strncmp(f->h, e->d_name, 32) == 0 &&
				    strcmp(e->d_name + 33, "tmp") != 0;
		if (!known) {
			snprintf(
			    path, sizeof path, "%s/%s", fs->dir, e->d_name);
			(void)unlink(path);
		}
	}
	closedir(d);
	return 0;
}

/*
 * Open the store in data/files (made 0700; a looser folder is made
 * private), load what it keeps and start the expiry pass.
 */
struct server_filestore *
server_filestore_open(struct server_router *rt, const char *data,
    const struct server_filestore_limits *lim, char *err, size_t errlen)
{
	struct server_filestore *fs = xcalloc(1, sizeof *fs);
	struct stat st;
	size_t len = strlen(data) + 8;

	fs->rt = rt;
	fs->lim = *lim;
	fs->dir = xmalloc(len);
	snprintf(fs->dir, len, "%s/files", data);
	if (mkdir(fs->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", fs->dir,
		    strerror(errno));
		goto fail;
	}
	if (lstat(fs->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a folder", fs->dir);
		goto fail;
	}
	if ((st.st_mode & 0777) != 0700 && chmod(fs->dir, 0700) != 0) {
		snprintf(err, errlen, "cannot make %s private: %s", fs->dir,
		    strerror(errno));
		goto fail;
	}
	if (fs_load(fs) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", fs->dir,
		    strerror(errno));
		goto fail;
	}
	server_filestore_expire(fs, util_wall_ms());
	net_timer_init(&fs->timer, fs_timer, fs);
	net_timer_start(rt->loop, &fs->timer, FS_SWEEP_MS);
	return fs;
fail:
	free(fs->dir);
	free(fs);
	return NULL;
}

/* New limits (a reload). */
void
server_filestore_set_limits(
    struct server_filestore *fs, const struct server_filestore_limits *lim)
{
	if (fs != NULL)
		fs->lim = *lim;
}

/* Free the store; what is on disk stays. */
void
server_filestore_free(struct server_filestore *fs)
{
	struct fs_file *f;
	struct fs_dl *d;
	size_t i;

	if (fs == NULL)
		return;
	net_timer_stop(fs->rt->loop, &fs->timer);
	while ((f = fs->files) != NULL) {
		fs->files = f->next;
		while ((d = f->dls) != NULL) {
			f->dls = d->next;
			fs_dl_free(d);
		}
		if (f->fd != -1)
			close(f->fd);
		for (i = 0; i < f->ndone; i++)
			free(f->done[i]);
		free(f->done);
		free(f->offer);
		free(f);
	}
	free(fs->dir);
	free(fs);
}
