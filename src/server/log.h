/* SPDX-License-Identifier: MIT */
/*
 * The relay's log: one line per event, each with its time (UTC) and level,
 * as text or as JSON lines, on stderr or in a file reopened on SIGHUP.
 */
#ifndef SERVER_LOG_H
#define SERVER_LOG_H

#include <stddef.h>

enum server_log_level {
	SERVER_LOG_ERROR = 0,
	SERVER_LOG_WARN,
	SERVER_LOG_INFO,
	SERVER_LOG_DEBUG
};

enum server_log_format { SERVER_LOG_TEXT = 0, SERVER_LOG_JSON };

int server_log_parse_level(const char *, enum server_log_level *);
const char *server_log_level_name(enum server_log_level);
void server_log_set_level(enum server_log_level);
int server_log_parse_format(const char *, enum server_log_format *);
const char *server_log_format_name(enum server_log_format);
void server_log_set_format(enum server_log_format);
int server_log_open(const char *, char *, size_t);
int server_log_reopen(char *, size_t);
void server_log_close(void);
void server_log(enum server_log_level, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void server_log_fields(enum server_log_level, const char *const *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

#endif
