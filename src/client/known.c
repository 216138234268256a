/* SPDX-License-Identifier: MIT */
/* known_relays: the pinned keys of relays (client/known.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client/known.h"
#include "util/fingerprint.h"

/* "host:port", with an IPv6 address in brackets: the key of a line. */
void
client_known_hostport(const char *host, unsigned port, char *out, size_t len)
{
	if (strchr(host, ':') != NULL && host[0] != '[')
		snprintf(out, len, "[%s]:%u", host, port);
	else
		snprintf(out, len, "%s:%u", host, port);
}

/*
 * Split a line into its relay and fingerprint (in place). Returns 0 for
 * a blank line or a comment, 1 for an entry, -1 for a bad line (*hp is
 * then still its first word, so a bad line for another relay can be
 * passed over).
 */
static int
known_split(char *line, char **hp, unsigned char *fp, char *err, size_t errlen)
{
	char *p = line, *end;

	p[strcspn(p, "\r\n")] = '\0';
	p += strspn(p, " \t");
	if (*p == '\0' || *p == '#')
		return 0;
	*hp = p;
	p += strcspn(p, " \t");
	if (*p == '\0') {
		snprintf(err, errlen, "no fingerprint after '%s'", *hp);
		return -1;
	}
	*p++ = '\0';
	p += strspn(p, " \t");
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return util_fp_parse(p, fp, err, errlen) == 0 ? 1 : -1;
}

/*
 * Open known_relays for reading: not through a link, and only if no one
 * else may write it (who can write it chooses the keys trusted). NULL
 * with *rc 0 when there is none, -1 and err when it may not be used.
 */
static FILE *
known_open(const char *path, char *err, size_t errlen, int *rc)
{
	struct stat st;
	FILE *f;
	int fd;

	*rc = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return NULL;
		snprintf(err, errlen, "%s: %s", path,
		    errno == ELOOP ? "a symbolic link, not a file"
		                   : strerror(errno));
		*rc = -1;
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 022) != 0 || (f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen,
		    "%s: not a regular file only its owner may write "
		    "(chmod 600 %s)",
		    path, path);
		close(fd);
		*rc = -1;
		return NULL;
	}
	return f;
}

/*
 * The pinned fingerprint of hostport in the file at path, into fp.
 * Returns 1 when found, 0 when not (or no file), -1 with err naming the
 * file and line when a line cannot be read.
 */
int
client_known_find(const char *path, const char *hostport, unsigned char *fp,
    char *err, size_t errlen)
{
	FILE *f;
	char line[512], why[256], *hp;
	unsigned char lfp[UTIL_FP_LEN];
	unsigned lineno = 0;
	int rc = 0, k;

	if ((f = known_open(path, err, errlen, &rc)) == NULL)
		return rc;
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		k = known_split(line, &hp, lfp, why, sizeof why);
		if (k == 0 || strcasecmp(hp, hostport) != 0)
			continue; /* a bad line for another relay is not ours */
		if (k < 0) {
			snprintf(err, errlen,
			    "%s:%u: %s (termgram trust replaces the line)",
			    path, lineno, why);
			rc = -1;
		} else {
			memcpy(fp, lfp, UTIL_FP_LEN);
			rc = 1;
		}
	}
	fclose(f);
	return rc;
}

/* Copy the lines of old (if any) to out, but those for hostport. */
static void
known_copy(FILE *old, FILE *out, const char *hostport)
{
	char line[512], copy[512], why[256], *hp;
	unsigned char fp[UTIL_FP_LEN];

	while (fgets(line, sizeof line, old) != NULL) {
		memcpy(copy, line, sizeof copy);
		if (known_split(copy, &hp, fp, why, sizeof why) != 0 &&
		    strcasecmp(hp, hostport) == 0)
			continue; /* replaced, even if it could not be read */
		fputs(line, out);
		if (strchr(line, '\n') == NULL)
			fputc('\n', out);
	}
}

/*
 * Pin fp for hostport in the file at path: a new line, or the one for
 * hostport changed. Written whole to a temporary file, then renamed over
 * the old one. 0, or -1 and err.
 */
int
client_known_set(const char *path, const char *hostport,
    const unsigned char *fp, char *err, size_t errlen)
{
	char tmp[4096], txt[UTIL_FP_TEXT];
	FILE *old, *out;
	int fd, rc;
	bool ok;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || (out = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((old = known_open(path, err, errlen, &rc)) == NULL && rc != 0) {
		fclose(out);
		unlink(tmp);
		return -1;
	}
	if (old != NULL) {
		known_copy(old, out, hostport);
		fclose(old);
	} else
		fputs("# Relays whose keys termgram has pinned: "
		      "HOST:PORT FINGERPRINT\n",
		    out);
	util_fp_text(fp, txt);
	fprintf(out, "%s %s\n", hostport, txt);
	ok = fflush(out) == 0 && fsync(fileno(out)) == 0;
	if (fclose(out) != 0 || !ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
