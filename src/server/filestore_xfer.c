/* SPDX-License-Identifier: MIT */
/*
 * The transfer frames of a file stored on the relay (docs/protocol.md
 * "Files stored on the relay"): an offer to someone offline taken within
 * the limits, its upload with the relay as receiver (FACCEPT, FDATA,
 * FACK, the check at FDONE, ACK|x|stored), and the download with the
 * relay as sender, paced by the reader's output and window.
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
#include "server/filestore_int.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "util/sys.h"
#include "util/xmalloc.h"

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
