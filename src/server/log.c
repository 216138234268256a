/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/log.h"

static enum server_log_level server_log_level = SERVER_LOG_INFO;

static const char *const server_log_names[] = {
    "error", "warn", "info", "debug"};

/* Map "error", "warn", "info" or "debug" to a level. */
int
server_log_parse_level(const char *s, enum server_log_level *out)
{
	int i;

	for (i = 0; i <= SERVER_LOG_DEBUG; i++) {
		if (strcmp(s, server_log_names[i]) == 0) {
			*out = (enum server_log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Log only lines at this level or more severe. */
void
server_log_set_level(enum server_log_level level)
{
	server_log_level = level;
}

/* Write one line: time, level, text. */
void
server_log(enum server_log_level level, const char *fmt, ...)
{
	char when[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > server_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s ", when, ts.tv_nsec / 1000000,
	    server_log_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
