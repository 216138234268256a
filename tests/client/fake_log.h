/* SPDX-License-Identifier: MIT */
/*
 * What the fakes of the client's state machine tests were asked to do:
 * one line each, appended in order to a fixed buffer the test reads back.
 */
#ifndef TESTS_CLIENT_FAKE_LOG_H
#define TESTS_CLIENT_FAKE_LOG_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fake_log(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Append a formatted line to the log of cap bytes (cut if it is full). */
static void
fake_log(char *log, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log + n, cap - n, fmt, ap);
	va_end(ap);
}

#endif
