/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/sys.h"
#include "util/xmalloc.h"

/* Milliseconds since the Unix epoch (the wall clock, for timestamps). */
uint64_t
util_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Create a folder and its parents (mode 0700); fine if it exists. */
int
util_mkdir_p(const char *path, char *err, size_t errlen)
{
	char *p, *tmp = xstrdup(path);

	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 && errno != EEXIST)
		goto fail;
	free(tmp);
	return 0;
fail:
	snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
	free(tmp);
	return -1;
}

/*
 * fsync(2), except in a build made for long fuzzing runs
 * (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), where durability is not
 * under test and a sync per input would set the pace.
 */
int
util_fsync(int fd)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)fd;
	return 0;
#else
	return fsync(fd);
#endif
}

/*
 * Run as root on a folder someone else owns (an admin command, with sudo,
 * on the store of a relay that runs as its own user): give the file path
 * in it that owner, so the relay can still open it. Nothing otherwise; a
 * path that is gone is not an error.
 */
int
util_give_to_dir_owner(const char *dir, const char *path)
{
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) != 0 || st.st_uid == 0)
		return 0;
	if (lchown(path, st.st_uid, st.st_gid) != 0 && errno != ENOENT)
		return -1;
	return 0;
}
