/* SPDX-License-Identifier: MIT */
/*
 * The transfers' disk side: SHA-256 over files, .part files that a
 * transfer resumes from (opened without following links, swept when
 * stalled), the free space an offer needs, the final name of a received
 * file, and which paths can be sent.
 */
/* sync_file_range(2): start writing received data back early, so the
 * fsync before the rename has little left to wait for. */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "client/xfer_int.h"
#include "util/sys.h"

#define HASH_PER_TURN (8 * 1024 * 1024)

/*
 * SHA-256 through OpenSSL's libcrypto: it uses the CPU's SHA extensions
 * (about 1.4 GB/s here, libsodium's portable code 0.25 GB/s), so checking
 * a file costs less than reading it from disk.
 */
void
client_xfer_hash_init(struct xfer *x)
{
	if (x->h == NULL)
		x->h = EVP_MD_CTX_new();
	if (x->h == NULL || EVP_DigestInit_ex(x->h, EVP_sha256(), NULL) != 1)
		abort();
}

/* The SHA-256 so far, as 64 hex digits and a NUL in hex. */
void
client_xfer_hash_hex(struct xfer *x, char *hex)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(x->h, sum, &n);
	sodium_bin2hex(hex, 65, sum, 32);
}

/* Close the transfer's file, if open. */
void
client_xfer_close(struct xfer *x)
{
	if (x->fd != -1)
		close(x->fd);
	x->fd = -1;
}

/* Close and free one transfer; its .part stays for a later resume. */
void
client_xfer_destroy(struct xfer *x)
{
	client_xfer_close(x);
	EVP_MD_CTX_free(x->h);
	free(x);
}

/*
 * Hash the next slice of the file to send (8 MiB a turn, so the loop
 * stays responsive): 1 when all of it is hashed, 0 for more, -1 when it
 * cannot be read (why in err).
 */
int
client_xfer_hash_some(
    struct client_xfers *xs, struct xfer *x, char *err, size_t errlen)
{
	uint64_t budget = HASH_PER_TURN;
	ssize_t n;

	while (budget > 0 && x->hashed < x->pub.size) {
		n = pread(x->fd, xs->data, sizeof xs->data, (off_t)x->hashed);
		if (n <= 0) {
			snprintf(err, errlen, "cannot read %s: %s", x->pub.path,
			    n < 0 ? strerror(errno) : "it got shorter");
			return -1;
		}
		EVP_DigestUpdate(x->h, xs->data, (size_t)n);
		x->hashed += (uint64_t)n;
		budget -= (uint64_t)n < budget ? (uint64_t)n : budget;
	}
	return x->hashed < x->pub.size ? 0 : 1;
}

/* Whether path is a regular file we can read; its size goes to *size. */
int
client_xfer_check_path(
    const char *path, uint64_t *size, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s",
		    errno == ENOENT ? "no such file" : strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "a directory, not a file");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if ((fd = open(path, O_RDONLY)) == -1) {
		snprintf(err, errlen, "unreadable: %s", strerror(errno));
		return -1;
	}
	close(fd);
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Where the .part of an incoming transfer is. */
void
client_xfer_part_path(struct client_xfers *xs, struct xfer *x)
{
	snprintf(x->part, sizeof x->part, "%s/.%s-%s.part", xs->dir,
	    x->pub.peer, x->pub.id);
	/* Where it is meant to go, until it is saved under a free name. */
	if (x->pub.path[0] == '\0')
		snprintf(x->pub.path, sizeof x->pub.path, "%s/%s", xs->dir,
		    x->pub.name);
}

/*
 * Open the .part without following a link: the first time (the user just
 * accepted) a new one, replacing whatever had that name (a link planted
 * there is removed, never followed); on a resume the one we wrote. It
 * must be a plain file of ours with one name.
 */
static int
part_fd(struct xfer *x, char *err, size_t errlen)
{
	const int excl = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd;

	if (!x->accepted) {
		if (unlink(x->part) != 0 && errno != ENOENT) {
			snprintf(
			    err, errlen, "%s: %s", x->part, strerror(errno));
			return -1;
		}
		fd = open(x->part, excl, 0600);
	} else if ((fd = open(x->part, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) ==
	        -1 &&
	    errno == ENOENT)
		fd = open(x->part, excl, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", x->part,
		    errno == ELOOP ? "a link, not our file" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: not a plain file of ours", x->part);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Open (or reopen) the .part file and hash what it already holds, so a
 * resumed transfer still verifies end to end. Returns its length or -1.
 */
int64_t
client_xfer_part_open(
    struct client_xfers *xs, struct xfer *x, char *err, size_t errlen)
{
	struct stat st;
	uint64_t off = 0;
	ssize_t n;

	if (util_mkdir_p(xs->dir, err, errlen) != 0)
		return -1;
	client_xfer_close(x);
	if ((x->fd = part_fd(x, err, errlen)) == -1 || fstat(x->fd, &st) != 0)
		return -1;
	if ((uint64_t)st.st_size > x->pub.size) {
		if (ftruncate(x->fd, 0) != 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		st.st_size = 0;
	}
	client_xfer_hash_init(x);
	while (off < (uint64_t)st.st_size) {
		n = pread(x->fd, xs->data, sizeof xs->data, (off_t)off);
		if (n <= 0)
			break;
		EVP_DigestUpdate(x->h, xs->data, (size_t)n);
		off += (uint64_t)n;
	}
	return (int64_t)off;
}

/* The i-th candidate final name: "name.ext", "name (1).ext", ... */
static void
final_name(
    struct client_xfers *xs, struct xfer *x, int i, char *out, size_t cap)
{
	const char *dot = strrchr(x->pub.name, '.');
	size_t stem = dot != NULL && dot != x->pub.name
	    ? (size_t)(dot - x->pub.name)
	    : strlen(x->pub.name);

	if (i == 0)
		snprintf(out, cap, "%s/%s", xs->dir, x->pub.name);
	else
		snprintf(out, cap, "%s/%.*s (%d)%s", xs->dir, (int)stem,
		    x->pub.name, i, x->pub.name + stem);
}

/*
 * Give the .part its final name, the first free one: link(2) fails on
 * any name that exists (a link included, never followed), so nothing is
 * overwritten. Where links cannot be made, a name reserved with O_EXCL
 * and a rename.
 */
static int
place(struct client_xfers *xs, struct xfer *x, char *out, size_t cap)
{
	int i, fd;
	bool links = true;

	for (i = 0; i < 10000; i++) {
		final_name(xs, x, i, out, cap);
		if (links && link(x->part, out) == 0)
			return unlink(x->part) == 0 || errno == ENOENT ? 0 : -1;
		if (links && errno == EEXIST)
			continue;
		if (links && errno != EPERM && errno != ENOTSUP &&
		    errno != EOPNOTSUPP && errno != EMLINK)
			return -1;
		links = false;
		fd = open(out,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1) {
			close(fd);
			return rename(x->part, out);
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* What the receiver's accepted, unfinished transfers still have to write. */
static uint64_t
xfer_promised(const struct client_xfers *xs)
{
	const struct xfer *x;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < xs->n; i++) {
		x = xs->x[i];
		if (x->pub.outgoing || !x->accepted ||
		    (x->pub.state != CLIENT_XFER_ACTIVE &&
		        x->pub.state != CLIENT_XFER_PAUSED))
			continue;
		if (x->pub.size > x->pub.done)
			sum += x->pub.size - x->pub.done;
	}
	return sum;
}

/*
 * Whether the download folder (or the nearest folder above it that
 * exists) has room for size bytes besides what the transfers accepted
 * already will write; -1 with why when it does not.
 */
int
client_xfer_room(
    struct client_xfers *xs, uint64_t size, char *why, size_t whylen)
{
	char dir[sizeof xs->dir], *slash;
	struct statvfs vfs;
	uint64_t avail, promised = xfer_promised(xs);

	snprintf(dir, sizeof dir, "%s", xs->dir);
	while (statvfs(dir, &vfs) != 0) {
		if (errno != ENOENT || (slash = strrchr(dir, '/')) == NULL ||
		    slash == dir)
			return 0; /* cannot tell: the writes will say */
		*slash = '\0';
	}
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	avail = avail > promised ? avail - promised : 0;
	if (size <= avail)
		return 0;
	snprintf(why, whylen,
	    "not enough free disk space: the file is %llu bytes, the "
	    "receiver's download folder has %llu bytes free besides the "
	    "transfers under way",
	    (unsigned long long)size, (unsigned long long)avail);
	return -1;
}

/* The transfer in the list whose .part is called name, or NULL. */
static struct xfer *
part_owner(struct client_xfers *xs, const char *name)
{
	const char *base;
	size_t i;

	for (i = 0; i < xs->n; i++) {
		base = strrchr(xs->x[i]->part, '/');
		if (base != NULL && strcmp(base + 1, name) == 0)
			return xs->x[i];
	}
	return NULL;
}

/* Whether a folder entry has the form of our .part files. */
static bool
is_part_name(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 8 || name[0] != '.' || strcmp(name + n - 5, ".part") != 0)
		return false;
	for (i = 1; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '.' && name[i] != '-')
			return false;
	}
	return true;
}

/*
 * Remove every .part of the download folder not written for part_age
 * seconds (a stalled or abandoned transfer; links of that form too), and
 * end the transfer it belonged to, with a reason.
 */
void
client_xfer_sweep(struct client_xfers *xs)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	struct xfer *x;
	time_t t = time(NULL);

	if ((d = opendir(xs->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!is_part_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
		        0 ||
		    st.st_mtime > t ||
		    (uint64_t)(t - st.st_mtime) < xs->part_age)
			continue;
		x = part_owner(xs, e->d_name);
		if (x != NULL && x->pub.state != CLIENT_XFER_DONE &&
		    x->pub.state != CLIENT_XFER_FAILED) {
			if (x->pub.direct || xs->online)
				client_xfer_send_ctl(xs, x, PROTO_V_FCANCEL,
				    NULL,
				    "stalled too long; the receiver removed "
				    "its partial file");
			client_xfer_fail(xs, x,
			    "stalled for more than %llu s; its partial file "
			    "was removed",
			    (unsigned long long)xs->part_age);
		}
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/*
 * Write len bytes of data received at off to the .part, hashing them;
 * -1 with why when the disk refuses.
 */
int
client_xfer_write(struct xfer *x, const char *p, size_t len, uint64_t off,
    char *why, size_t whylen)
{
	size_t w = 0;
	ssize_t n;

	while (w < len) {
		n = pwrite(x->fd, p + w, len - w, (off_t)(off + w));
		if (n <= 0) {
			snprintf(why, whylen, "the receiver cannot write: %s",
			    n < 0 ? strerror(errno) : "no space");
			return -1;
		}
		w += (size_t)n;
	}
	EVP_DigestUpdate(x->h, p, len);
	/* Start writing back every 8 MiB instead of all at the end. */
	if (((off + len) >> 23) != (off >> 23))
		sync_file_range(x->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

/*
 * A verified .part becomes the user's file under a name of its own;
 * x->pub.path says where. -1 when it cannot be saved.
 */
int
client_xfer_save(struct client_xfers *xs, struct xfer *x)
{
	char final[2048 + 300];

	/* An ordinary file for the user, not the 0600 of a .part. */
	if (fchmod(x->fd, 0644) != 0 || util_fsync(x->fd) != 0 ||
	    place(xs, x, final, sizeof final) != 0)
		return -1;
	client_xfer_close(x);
	snprintf(x->pub.path, sizeof x->pub.path, "%s", final);
	return 0;
}
