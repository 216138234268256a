/* SPDX-License-Identifier: MIT */
/*
 * What the stateful fuzz targets share: the input read as a script of
 * one-byte operations, some of which take the next frame of the input
 * (through the real decoder, payload and all), and a private temporary
 * folder that goes away at exit.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <sys/stat.h>

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/frame.h"

struct fuzz_input {
	const char *p;
	size_t n;
	struct proto_decoder dec;
};

/* Start reading data as a script. */
static inline void
fuzz_input_init(struct fuzz_input *in, const uint8_t *data, size_t size)
{
	in->p = (const char *)data;
	in->n = size;
	proto_decoder_init(&in->dec, PROTO_MAX_FRAME);
}

/* The next byte of the script, or -1 at its end. */
static inline int
fuzz_input_byte(struct fuzz_input *in)
{
	if (in->n == 0)
		return -1;
	in->n--;
	return (unsigned char)*in->p++;
}

/*
 * The next frame of the script: 1 with fr set, 0 for bytes the decoder
 * refused (skipped, as a connection skips them), -1 at the end.
 */
static inline int
fuzz_input_frame(struct fuzz_input *in, struct proto_frame *fr)
{
	struct proto_error err;
	enum proto_status st;
	size_t used = 0;

	st = proto_decoder_next(&in->dec, in->p, in->n, fr, &err, &used);
	if (st == PROTO_NEED_MORE || (st == PROTO_ERROR && err.fatal) ||
	    used == 0) {
		in->n = 0;
		proto_decoder_init(&in->dec, PROTO_MAX_FRAME);
		return -1;
	}
	in->p += used;
	in->n -= used;
	return st == PROTO_FRAME ? 1 : 0;
}

/*
 * Remove what the folder dir holds but the entries whose names start with
 * keep (NULL: everything); links are not followed.
 */
static inline void
fuzz_clear_dir(const char *dir, const char *keep)
{
	char path[4096];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    (keep != NULL &&
		        strncmp(e->d_name, keep, strlen(keep)) == 0))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			fuzz_clear_dir(path, NULL);
			rmdir(path);
		} else
			unlink(path);
	}
	closedir(d);
}

/* Remove the folder dir and everything in it (links not followed). */
static inline void
fuzz_rm_tree(const char *dir)
{
	fuzz_clear_dir(dir, NULL);
	rmdir(dir);
}

static char fuzz_dir[256];

/* Remove the temporary folder at exit. */
static inline void
fuzz_dir_remove(void)
{
	if (fuzz_dir[0] != '\0')
		fuzz_rm_tree(fuzz_dir);
}

/*
 * A private folder for this process: under $TMPDIR (run.sh points it at a
 * folder it removes, since libFuzzer may end without atexit), else in
 * memory where there is /dev/shm.
 */
static inline const char *
fuzz_dir_get(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/termgram-fuzz.XXXXXX", base);
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

#endif
