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
#include "server/filestore_int.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "util/sys.h"
#include "util/xmalloc.h"

static void fs_timer(struct net_timer *, void *);

/* dir/h.ext into buf. */
void
fs_path(const struct server_filestore *fs, const char *h, const char *ext,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", fs->dir, h, ext);
}

/* fsync the folder, so a rename in it survives a crash. */
void
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
struct srv_user *
fs_user(struct server_filestore *fs, const char *key)
{
	return server_router_user(fs->rt, key);
}

/* A user's name as registered, or its key. */
const char *
fs_name(struct server_filestore *fs, const char *key)
{
	struct srv_user *u = fs_user(fs, key);

	return u != NULL ? u->name : key;
}

/* The file (from, to, xfer), or NULL. */
struct fs_file *
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
uint64_t
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
unsigned
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
size_t
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
void
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
struct fs_file *
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
int
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
int
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
void
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
