/* SPDX-License-Identifier: MIT */
/*
 * The device id: a random 128-bit id in 32 lower-case hex digits, made
 * once and kept in device-id of the data folder (0600), sent as the
 * seventh LOGIN field over TLS (docs/protocol.md "Several devices per
 * account").
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/device.h"
#include "util/sys.h"

/* Whether p holds exactly a device id, with or without one newline. */
static bool
device_id_ok(const char *p, size_t n)
{
	size_t i;

	if (n == CLIENT_DEVICE_ID_LEN + 1 && p[CLIENT_DEVICE_ID_LEN] == '\n')
		n--;
	if (n != CLIENT_DEVICE_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		        (p[i] >= 'a' && p[i] <= 'f') ||
		        (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	return true;
}

/* Read the id kept at path into out; 0, or -1 and err. */
static int
device_id_read(const char *path, char *out, char *err, size_t errlen)
{
	char buf[CLIENT_DEVICE_ID_LEN + 8];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!device_id_ok(buf, (size_t)n)) {
		snprintf(err, errlen,
		    "%s is not a device id (32 hexadecimal digits); remove it "
		    "and termgram makes a new one (a new device to the relay)",
		    path);
		return -1;
	}
	for (n = 0; n < CLIENT_DEVICE_ID_LEN; n++)
		out[n] = (char)(buf[n] >= 'A' && buf[n] <= 'F' ? buf[n] + 32
		                                               : buf[n]);
	out[CLIENT_DEVICE_ID_LEN] = '\0';
	return 0;
}

/* Make a new id into out and keep it at path (0600); 0, or -1 and err. */
static int
device_id_make(const char *path, char *out, char *err, size_t errlen)
{
	unsigned char raw[CLIENT_DEVICE_ID_LEN / 2];
	char tmp[4200], line[CLIENT_DEVICE_ID_LEN + 2];
	int fd;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, CLIENT_DEVICE_ID_LEN + 1, raw, sizeof raw);
	snprintf(line, sizeof line, "%s\n", out);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    util_fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * The device id kept in dir/device-id into out (33 bytes), made at the
 * first call. A link or anything but a plain file with the id in it is
 * refused: 0, or -1 and err.
 */
int
client_device_id(const char *dir, char *out, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, CLIENT_DEVICE_ID_FILE);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return device_id_make(path, out, err, errlen);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
		    "%s is not a plain file (a link?); termgram keeps its "
		    "device id there itself: remove it",
		    path);
		return -1;
	}
	return device_id_read(path, out, err, errlen);
}
