/*
 * The transfers' disk side: SHA-256 over files, .part files that a
 * transfer resumes from, the final name of a received file, and which
 * names and paths are safe.
 */
/* sync_file_range(2): start writing received data back early, so the
 * fsync before the rename has little left to wait for. */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * Make a name from the wire safe to create in the download folder: only
 * its last path component, no control characters, no leading dots or
 * spaces, never "." or "..", at most 200 bytes (whole characters).
 */
void
client_xfer_safe_name(const char *in, size_t len, char *out, size_t cap)
{
	const char *p = in, *end = in + len;
	size_t o = 0, i, keep;

	for (i = 0; i < len; i++) {
		if (in[i] == '/' || in[i] == '\\')
			p = in + i + 1;
	}
	while (p < end && (*p == '.' || *p == ' '))
		p++;
	for (; p < end && o + 1 < cap && o < 200; p++) {
		unsigned char c = (unsigned char)*p;
		out[o++] = (char)(c < 0x20 || c == 0x7f ? '_' : c);
	}
	/* Do not end inside a UTF-8 sequence. */
	keep = o;
	while (keep > 0 && ((unsigned char)out[keep - 1] & 0xc0) == 0x80)
		keep--;
	if (keep > 0 && ((unsigned char)out[keep - 1] & 0x80) != 0) {
		unsigned char lead = (unsigned char)out[keep - 1];
		size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (o - (keep - 1) < need)
			o = keep - 1;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (o == 0)
		snprintf(out, cap, "file");
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
	x->fd = open(x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (x->fd == -1 || fstat(x->fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", x->part, strerror(errno));
		return -1;
	}
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

/* A unique final name: "name.ext", else "name (1).ext", ... */
static int
reserve_name(struct client_xfers *xs, struct xfer *x, char *out, size_t cap)
{
	const char *dot = strrchr(x->pub.name, '.');
	size_t stem = dot != NULL && dot != x->pub.name
	    ? (size_t)(dot - x->pub.name)
	    : strlen(x->pub.name);
	int i, fd;

	for (i = 0; i < 10000; i++) {
		if (i == 0)
			snprintf(out, cap, "%s/%s", xs->dir, x->pub.name);
		else
			snprintf(out, cap, "%s/%.*s (%d)%s", xs->dir, (int)stem,
			    x->pub.name, i, x->pub.name + stem);
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd != -1) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
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
	if (fchmod(x->fd, 0644) != 0 || fsync(x->fd) != 0 ||
	    reserve_name(xs, x, final, sizeof final) != 0 ||
	    rename(x->part, final) != 0)
		return -1;
	client_xfer_close(x);
	snprintf(x->pub.path, sizeof x->pub.path, "%s", final);
	return 0;
}
