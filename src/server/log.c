/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "util/xmalloc.h"

/* A line longer than this is cut (the text keeps its first bytes). */
#define LOG_LINE_MAX 4096

static enum server_log_level server_log_level = SERVER_LOG_INFO;
static enum server_log_format server_log_format = SERVER_LOG_TEXT;
static int server_log_fd = STDERR_FILENO;
static char *server_log_path; /* NULL: stderr */

static const char *const server_log_names[] = {
    "error", "warn", "info", "debug"};
static const char *const server_log_formats[] = {"text", "json"};

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

/* The word of a level, as --log-level takes it. */
const char *
server_log_level_name(enum server_log_level level)
{
	return server_log_names[level];
}

/* Log only lines at this level or more severe. */
void
server_log_set_level(enum server_log_level level)
{
	server_log_level = level;
}

/* Map "text" or "json" to a format. */
int
server_log_parse_format(const char *s, enum server_log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = SERVER_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = SERVER_LOG_JSON;
	else
		return -1;
	return 0;
}

/* The word of a format, as --log-format takes it. */
const char *
server_log_format_name(enum server_log_format format)
{
	return server_log_formats[format];
}

/* Write the next lines as text or as JSON. */
void
server_log_set_format(enum server_log_format format)
{
	server_log_format = format;
}

/* Open path for appending, private to the relay's user; -1 and err. */
static int
log_open_fd(const char *path, char *err, size_t errlen)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		snprintf(err, errlen, "log file %s: %s", path, strerror(errno));
	return fd;
}

/*
 * Log into the file path from now on (NULL: stderr again). On failure the
 * log stays where it was and err says why.
 */
int
server_log_open(const char *path, char *err, size_t errlen)
{
	int fd = STDERR_FILENO;

	if (path != NULL && (fd = log_open_fd(path, err, errlen)) == -1)
		return -1;
	if (server_log_fd != STDERR_FILENO)
		close(server_log_fd);
	server_log_fd = fd;
	free(server_log_path);
	server_log_path = path != NULL ? xstrdup(path) : NULL;
	return 0;
}

/*
 * Open the log file again by its name, after logrotate (or an admin) moved
 * it: SIGHUP. Nothing to do on stderr.
 */
int
server_log_reopen(char *err, size_t errlen)
{
	int fd;

	if (server_log_path == NULL)
		return 0;
	if ((fd = log_open_fd(server_log_path, err, errlen)) == -1)
		return -1;
	close(server_log_fd);
	server_log_fd = fd;
	return 0;
}

/* Close the log file, if any; the log goes to stderr again. */
void
server_log_close(void)
{
	char err[8];

	server_log_open(NULL, err, sizeof err);
}

/* Append s to the JSON string being built in b (at *n of size), escaped. */
static void
log_json_escape(char *b, size_t *n, size_t size, const char *s)
{
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0' && *n + 7 < size; s++) {
		if (c == '"' || c == '\\') {
			b[(*n)++] = '\\';
			b[(*n)++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			*n += (size_t)snprintf(b + *n, size - *n, "\\u%04x", c);
		else
			b[(*n)++] = (char)c;
	}
}

/*
 * Append ,"key":"value" for each pair of fields (a NULL key ends them) to
 * the JSON object in b, skipping a pair that might not fit in size.
 */
static void
log_json_fields(char *b, size_t *n, size_t size, const char *const *fields)
{
	for (; fields != NULL && fields[0] != NULL; fields += 2) {
		if (*n + 6 * (strlen(fields[0]) + strlen(fields[1])) + 8 >=
		    size)
			continue;
		b[(*n)++] = ',';
		b[(*n)++] = '"';
		log_json_escape(b, n, size, fields[0]);
		memcpy(b + *n, "\":\"", 3);
		*n += 3;
		log_json_escape(b, n, size, fields[1]);
		b[(*n)++] = '"';
	}
}

/* Format one line (no newline yet) into b; returns its length. */
static size_t
log_format_line(char *b, size_t size, const char *when,
    enum server_log_level level, const char *text, const char *const *fields)
{
	size_t n;

	if (server_log_format == SERVER_LOG_TEXT) {
		n = (size_t)snprintf(
		    b, size, "%s %s %s", when, server_log_names[level], text);
		return n < size ? n : size - 1;
	}
	n = (size_t)snprintf(b, size,
	    "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", when,
	    server_log_names[level]);
	log_json_escape(b, &n, size - 3, text);
	b[n++] = '"';
	log_json_fields(b, &n, size - 2, fields);
	b[n++] = '}';
	b[n] = '\0';
	return n;
}

static void log_write(enum server_log_level, const char *const *, const char *,
    va_list) __attribute__((format(printf, 3, 0)));

/* Write one line; one write(2), whole or not at all. */
static void
log_write(enum server_log_level level, const char *const *fields,
    const char *fmt, va_list ap)
{
	char when[64], stamp[32], text[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(
	    when, sizeof when, "%s.%03dZ", stamp, (int)(ts.tv_nsec / 1000000));
	vsnprintf(text, sizeof text, fmt, ap);
	n = log_format_line(line, sizeof line - 1, when, level, text, fields);
	line[n++] = '\n';
	if (write(server_log_fd, line, n) < 0) {
		/* Nowhere left to say it. */
	}
}

/* Log one line: time, level, text. */
void
server_log(enum server_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > server_log_level)
		return;
	va_start(ap, fmt);
	log_write(level, NULL, fmt, ap);
	va_end(ap);
}

/*
 * The same, with fields (key, value, ..., NULL) that a JSON line carries
 * as its own keys besides msg; a text line has only the text.
 */
void
server_log_fields(enum server_log_level level, const char *const *fields,
    const char *fmt, ...)
{
	va_list ap;

	if (level > server_log_level)
		return;
	va_start(ap, fmt);
	log_write(level, fields, fmt, ap);
	va_end(ap);
}
