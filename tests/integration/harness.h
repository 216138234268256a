/* SPDX-License-Identifier: MIT */
/*
 * Helpers for tests that run the real programs: a termgramd on port 0 with
 * a temporary data folder, raw protocol connections with deadlines, and
 * the headless client as a child process.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct relay {
	pid_t pid;
	int port;
	char dir[256]; /* data folder */
	char log[300]; /* its stderr */
	char args[8][80]; /* extra arguments */
	int nargs;
};

struct raw {
	int fd;
	void *ssl; /* the TLS connection (SSL *), NULL in plaintext */
	char buf[1 << 18];
	size_t len;
	char line[1 << 17]; /* last line read, without LF */
};

extern bool h_tls; /* TLS unless TERMGRAM_TEST_TLS=off */

void h_tmpdir(char *, size_t);
int h_free_port(void);
void h_tls_identity(int);
bool raw_peer_fp(struct raw *, unsigned char *);
long raw_send_some(struct raw *, const void *, size_t);
void h_rmdir(const char *);
int relay_start(struct relay *, const char *, ...);
int relay_restart(struct relay *);
int relay_stop(struct relay *, int);
int relay_finish(struct relay *);
long relay_rss_kb(const struct relay *);
bool relay_log_has(const struct relay *, const char *);
int relay_log_count(const struct relay *, const char *);

int raw_open(struct raw *, int);
void raw_close(struct raw *);
int raw_send(struct raw *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
int raw_write(struct raw *, const void *, size_t);
int raw_line(struct raw *, int);
int raw_expect(struct raw *, const char *, int);
int raw_bytes(struct raw *, void *, size_t, int);
bool raw_is_closed(struct raw *, int);
int raw_login(struct raw *, int, const char *, const char *);
int raw_stats(struct raw *, const char *, unsigned long long *);
int h_stats_until(struct raw *, const char *, unsigned long long, int);
int udp_ask(int, const char *, char *, size_t, int);

pid_t spawn_client(const char *, const char *, ...);
int run_client(const char *, const char *, char *, size_t, char *, size_t,
    const char *, ...);
char *h_b64(const char *);
void h_random_file(const char *, size_t);
bool h_same_file(const char *, const char *);

#endif
