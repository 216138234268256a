/* SPDX-License-Identifier: MIT */
/* The relay's log: one line per event on stderr, with a level filter. */
#ifndef SERVER_LOG_H
#define SERVER_LOG_H

enum server_log_level {
	SERVER_LOG_ERROR = 0,
	SERVER_LOG_WARN,
	SERVER_LOG_INFO,
	SERVER_LOG_DEBUG
};

int server_log_parse_level(const char *, enum server_log_level *);
void server_log_set_level(enum server_log_level);
void server_log(enum server_log_level, const char *, ...)
    __attribute__((format(printf, 2, 3)));

#endif
