/* SPDX-License-Identifier: MIT */
/*
 * The login path under attack: passwords hashed off the loop while
 * honest sessions are served, growing waits after wrong passwords, the
 * connections per address, refused LOGIN lines that close, the login
 * deadline, and ERR answers under the rate limit. Each test prints the
 * figure it measures.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "proto/b64.h"

#define STORM_BURST 270 /* bad LOGINs sent at once */
#define STORM_SLOTS 50 /* wrong-password logins in parallel, again and again */
#define STORM_MS 6000
#define PING_EVERY_MS 20

static struct raw conn[6];

/* Monotonic milliseconds. */
static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A plaintext connection to the relay, non-blocking once connected. */
static int
plain_connect(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* One attacking connection: what it read, and how it ended. */
struct peer {
	int fd;
	char buf[1024];
	size_t len;
	bool got_err, closed;
	long long again_at; /* a slot connects again then (0: not yet) */
};

/* Read what p has; note an ERR line and the close. */
static void
peer_read(struct peer *p)
{
	ssize_t k;

	while ((k = read(p->fd, p->buf + p->len, sizeof p->buf - p->len - 1)) >
	    0) {
		p->len += (size_t)k;
		p->buf[p->len] = '\0';
		if (strncmp(p->buf, "ERR|", 4) == 0 && strchr(p->buf, '\n'))
			p->got_err = true;
		if (p->len > sizeof p->buf / 2)
			p->len = 0;
	}
	if (k == 0 || (k < 0 && errno != EAGAIN)) {
		p->closed = true;
		close(p->fd);
		p->fd = -1;
	}
}

/* Send a LOGIN for victim with a wrong password on a new connection. */
static void
peer_attack(struct peer *p, int port, int n)
{
	char line[128];
	int len;

	memset(p, 0, sizeof *p);
	p->fd = plain_connect(port);
	assert_true(p->fd != -1);
	len = snprintf(line, sizeof line, "LOGIN|1|victim|%s|0\n",
	    h_b64(n % 2 ? "guess-odd" : "guess-even"));
	assert_int_equal(write(p->fd, line, (size_t)len), len);
}

struct pinger {
	int fd;
	char buf[8192];
	size_t len;
	long long sent[4096]; /* send time of PING|i */
	int rtt[4096];
	int nsent, nrtt;
	volatile bool lost;
	volatile bool stop; /* set by the attacker's thread */
};

/* Read the honest session's PONGs. */
static void
pinger_read(struct pinger *h)
{
	char *lf;
	ssize_t k;
	int i;

	k = read(h->fd, h->buf + h->len, sizeof h->buf - h->len - 1);
	if (k == 0 || (k < 0 && errno != EAGAIN)) {
		h->lost = true;
		return;
	}
	if (k > 0)
		h->len += (size_t)k;
	while ((lf = memchr(h->buf, '\n', h->len)) != NULL) {
		*lf = '\0';
		if (sscanf(h->buf, "PONG|%d", &i) == 1 && i >= 0 &&
		    i < h->nsent)
			h->rtt[h->nrtt++] = (int)(ms_now() - h->sent[i]);
		else if (strncmp(h->buf, "BYE|", 4) == 0)
			h->lost = true;
		h->len -= (size_t)(lf + 1 - h->buf);
		memmove(h->buf, lf + 1, h->len);
	}
}

/*
 * The honest session, on a thread of its own so that the attack's work
 * in this process does not delay it: a PING every PING_EVERY_MS until
 * told to stop, then until every PING has its PONG (or 5 s).
 */
static void *
pinger_run(void *arg)
{
	struct pinger *h = arg;
	struct pollfd pfd;
	long long next = 0, stopped = 0;
	char line[64];
	int len;

	while (!h->lost) {
		if (h->stop && stopped == 0)
			stopped = ms_now();
		if (stopped != 0 &&
		    (h->nrtt == h->nsent || ms_now() - stopped > 5000))
			break;
		if (stopped == 0 && ms_now() >= next && h->nsent < 4096) {
			len =
			    snprintf(line, sizeof line, "PING|%d\n", h->nsent);
			h->sent[h->nsent++] = ms_now();
			if (write(h->fd, line, (size_t)len) != len)
				h->lost = true;
			next = ms_now() + PING_EVERY_MS;
		}
		pfd = (struct pollfd){h->fd, POLLIN, 0};
		if (poll(&pfd, 1, 5) > 0)
			pinger_read(h);
	}
	return NULL;
}

/* Sort for percentiles. */
static int
int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static struct peer burst[STORM_BURST], slots[STORM_SLOTS];
static struct pinger honest;
static struct pollfd pfd[STORM_BURST + STORM_SLOTS];

/* One round of the storm: wait, read everyone, retry the slots. */
static void
storm_round(int port, int *attempts, bool slots_on)
{
	int i, n = 0;

	for (i = 0; i < STORM_BURST; i++)
		pfd[n++] = (struct pollfd){burst[i].fd, POLLIN, 0};
	for (i = 0; i < STORM_SLOTS; i++)
		pfd[n++] = (struct pollfd){slots[i].fd, POLLIN, 0};
	poll(pfd, (nfds_t)n, 5);
	for (i = 0; i < STORM_BURST; i++)
		if (burst[i].fd != -1 && pfd[i].revents != 0)
			peer_read(&burst[i]);
	for (i = 0; i < STORM_SLOTS; i++) {
		if (slots[i].fd != -1 && pfd[STORM_BURST + i].revents)
			peer_read(&slots[i]);
		if (slots[i].fd != -1 && slots[i].got_err) {
			close(slots[i].fd);
			slots[i].fd = -1;
		}
		if (slots[i].fd == -1 && slots[i].again_at == 0)
			slots[i].again_at = ms_now() + 20;
		if (slots_on && slots[i].fd == -1 &&
		    ms_now() >= slots[i].again_at) {
			peer_attack(&slots[i], port, ++*attempts);
		}
	}
}

/*
 * 270 wrong-password LOGINs at once and 50 more again and again: every
 * one gets its ERR, and an honest session's PINGs are answered within
 * 50 ms (p99) all along, with no honest session dropped.
 */
static void
login__keeps_honest_pings_fast__under_a_password_storm(void **state)
{
	struct relay r;
	struct raw *c = &conn[0];
	long long start, all_errs_at = -1;
	pthread_t th;
	int i, errs = 0, attempts = 0, p50, p99, max;
	bool tls = h_tls;

	(void)state;
	h_tls = false;
	assert_int_equal(
	    relay_start(&r, "--tls", "off", "--max-per-address", "0", NULL), 0);
	assert_int_equal(raw_login(c, r.port, "victim", "right"), 0);
	raw_close(c);
	assert_int_equal(raw_login(c, r.port, "honest", ""), 0);
	memset(&honest, 0, sizeof honest);
	honest.fd = c->fd;
	fcntl(honest.fd, F_SETFL, fcntl(honest.fd, F_GETFL) | O_NONBLOCK);
	assert_int_equal(pthread_create(&th, NULL, pinger_run, &honest), 0);
	for (i = 0; i < STORM_BURST; i++)
		burst[i].fd = plain_connect(r.port);
	start = ms_now();
	for (i = 0; i < STORM_BURST; i++) {
		assert_true(burst[i].fd != -1);
		peer_attack(&burst[i], r.port, i);
	}
	for (i = 0; i < STORM_SLOTS; i++)
		peer_attack(&slots[i], r.port, ++attempts);
	while (!honest.lost &&
	    (ms_now() - start < STORM_MS ||
	        (all_errs_at < 0 && ms_now() - start < 40000))) {
		storm_round(r.port, &attempts, ms_now() - start < STORM_MS);
		for (i = 0, errs = 0; i < STORM_BURST; i++)
			errs += burst[i].got_err;
		if (errs == STORM_BURST && all_errs_at < 0)
			all_errs_at = ms_now() - start;
	}
	/* The last PINGs are answered too. */
	honest.stop = true;
	pthread_join(th, NULL);
	qsort(honest.rtt, (size_t)honest.nrtt, sizeof honest.rtt[0], int_cmp);
	p50 = honest.nrtt > 0 ? honest.rtt[honest.nrtt / 2] : -1;
	p99 = honest.nrtt > 0 ? honest.rtt[honest.nrtt * 99 / 100] : -1;
	max = honest.nrtt > 0 ? honest.rtt[honest.nrtt - 1] : -1;
	printf("storm: %d of %d ERRs received (all by %lld ms); %d "
	       "wrong-password logins from %d parallel connections; honest "
	       "PING p50 %d ms, p99 %d ms, max %d ms, %d of %d answered; "
	       "honest session %s; relay RSS %ld KiB\n",
	    errs, STORM_BURST, all_errs_at, attempts, STORM_SLOTS, p50, p99,
	    max, honest.nrtt, honest.nsent,
	    honest.lost ? "DROPPED" : "still up", relay_rss_kb(&r));
	assert_int_equal(errs, STORM_BURST);
	assert_false(honest.lost);
	assert_int_equal(honest.nrtt, honest.nsent);
	assert_true(p99 < 50);
	for (i = 0; i < STORM_BURST; i++)
		if (burst[i].fd != -1)
			close(burst[i].fd);
	for (i = 0; i < STORM_SLOTS; i++)
		if (slots[i].fd != -1)
			close(slots[i].fd);
	raw_close(c);
	h_tls = tls;
	assert_int_equal(relay_finish(&r), 0);
}

/* A plaintext connection to the relay from 127.0.0.2; -1 if none. */
static int
plain_connect_from_2(int port)
{
	struct sockaddr_in sa;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Right passwords cost a hash too: one address that sends many LOGINs
 * with its own name's right password at once gets only a couple of
 * checks queued, so that the password queue keeps room for a login
 * from elsewhere.
 */
static void
login__keeps_the_password_queue__for_other_addresses(void **state)
{
	struct relay r;
	struct peer flood[12];
	struct raw *c = &conn[0];
	char line[128], buf[512];
	int i, fd, len, refused = 0;
	ssize_t k;
	size_t got = 0;
	long long t0;
	bool tls = h_tls;

	(void)state;
	h_tls = false;
	assert_int_equal(relay_start(&r, "--tls", "off", "--hash-threads", "1",
	                     "--hash-queue", "4", NULL),
	    0);
	assert_int_equal(raw_login(c, r.port, "mal", "malpw"), 0);
	raw_close(c);
	assert_int_equal(raw_login(c, r.port, "bob", "bobpw"), 0);
	raw_close(c);
	len = snprintf(line, sizeof line, "LOGIN|1|mal|%s|0\n", h_b64("malpw"));
	for (i = 0; i < 12; i++) {
		memset(&flood[i], 0, sizeof flood[i]);
		flood[i].fd = plain_connect(r.port);
		assert_true(flood[i].fd != -1);
	}
	for (i = 0; i < 12; i++)
		assert_int_equal(write(flood[i].fd, line, (size_t)len), len);
	usleep(50000);
	fd = plain_connect_from_2(r.port);
	if (fd == -1) {
		printf("no 127.0.0.2 here: skipped\n");
		skip();
	}
	len = snprintf(line, sizeof line, "LOGIN|1|bob|%s|0\n", h_b64("bobpw"));
	assert_int_equal(write(fd, line, (size_t)len), len);
	t0 = ms_now();
	while (got < sizeof buf - 1 && memchr(buf, '\n', got) == NULL &&
	    (k = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)k;
	buf[got] = '\0';
	for (i = 0; i < 12; i++) {
		while (!flood[i].closed && !flood[i].got_err &&
		    ms_now() - t0 < 10000) {
			peer_read(&flood[i]);
			if (strncmp(flood[i].buf, "WELCOME|", 8) == 0)
				break;
			usleep(10000);
		}
		refused += flood[i].got_err;
		if (flood[i].fd != -1)
			close(flood[i].fd);
	}
	printf("12 right-password LOGINs at once from one address "
	       "(--hash-queue 4): %d refused; a LOGIN from another address "
	       "then got %.40s in %lld ms\n",
	    refused, buf, ms_now() - t0);
	assert_true(strncmp(buf, "WELCOME|bob|", 12) == 0);
	assert_true(refused >= 8);
	close(fd);
	h_tls = tls;
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * Over TLS a connection over the address's limit is told once its
 * handshake is done; but connections that never send a ClientHello
 * must not pile up from one address: past twice the limit they are
 * closed at once.
 */
static void
login__closes_silent_tls_connections__far_over_the_address_limit(void **state)
{
	struct relay r;
	int fd[24], i, closed = 0, open_ = 0;
	char b;
	struct pollfd p;
	bool tls = h_tls;

	(void)state;
	h_tls = true;
	assert_int_equal(
	    relay_start(&r, "--tls", "on", "--max-per-address", "4", NULL), 0);
	for (i = 0; i < 24; i++) {
		fd[i] = plain_connect(r.port);
		assert_true(fd[i] != -1);
	}
	usleep(500000);
	for (i = 0; i < 24; i++) {
		p.fd = fd[i];
		p.events = POLLIN;
		if (poll(&p, 1, i < 8 ? 0 : 300) == 1 &&
		    read(fd[i], &b, 1) <= 0)
			closed++;
		else
			open_++;
		close(fd[i]);
	}
	printf("24 connections without a ClientHello from one address "
	       "(--max-per-address 4): %d closed at once, %d held\n",
	    closed, open_);
	assert_int_equal(closed, 16);
	h_tls = tls;
	assert_int_equal(relay_finish(&r), 0);
}

/* The wait an ERR|RATE_LIMIT line asks for, in seconds; -1: none. */
static int
retry_in(const char *line)
{
	const char *t = strrchr(line, '|');
	char text[256];
	size_t n = 0;
	int s;

	if (strncmp(line, "ERR|RATE_LIMIT|", 15) != 0 || t == NULL ||
	    proto_b64_decode(t + 1, strlen(t + 1), text, sizeof text - 1, &n) !=
	        0)
		return -1;
	text[n] = '\0';
	t = strstr(text, "retry in ");
	return t != NULL && sscanf(t, "retry in %d s", &s) == 1 ? s : -1;
}

/* One LOGIN on a new connection; the first line of the answer in c. */
static void
try_login(struct raw *c, int port, const char *name, const char *pw)
{
	assert_int_equal(raw_open(c, port), 0);
	raw_send(c, "LOGIN|1|%s|%s|0\n", name, h_b64(pw));
	assert_int_equal(raw_line(c, 10000), 0);
	if (strncmp(c->line, "WELCOME|", 8) != 0)
		assert_true(raw_is_closed(c, 5000));
	raw_close(c);
}

/*
 * After the free failures each wrong password makes the next check of
 * the name wait, 1 s and doubling; the answer says how long, and the
 * right password during the wait is refused the same way.
 */
static void
login__makes_wrong_passwords_wait__longer_each_time(void **state)
{
	struct relay r;
	struct raw *c = &conn[0];
	int waits[3], k, s;
	long long t0, took[3];

	(void)state;
	assert_int_equal(relay_start(&r, "--name-failures", "2",
	                     "--addr-failures", "1000", NULL),
	    0);
	assert_int_equal(raw_login(c, r.port, "vic", "right"), 0);
	raw_close(c);
	for (k = 0; k < 2; k++) {
		try_login(c, r.port, "vic", "wrong");
		assert_non_null(strstr(c->line, "ERR|AUTH_FAILED|"));
	}
	for (k = 0; k < 3; k++) {
		/* Right after a failure: refused unchecked, told the wait
		 * (the right password too). */
		t0 = ms_now();
		try_login(c, r.port, "vic", k == 0 ? "right" : "wrong");
		waits[k] = retry_in(c->line);
		/* Poll until the wait is over: the password is checked
		 * again, and this wrong one makes the next wait longer. */
		do {
			usleep(100000);
			try_login(c, r.port, "vic", "wrong");
			s = retry_in(c->line);
		} while (s > 0 && ms_now() - t0 < 20000);
		took[k] = ms_now() - t0;
		assert_non_null(strstr(c->line, "ERR|AUTH_FAILED|"));
	}
	printf("wrong-password waits: %d s, %d s, %d s (the wait measured: "
	       "%lld, %lld, %lld ms)\n",
	    waits[0], waits[1], waits[2], took[0], took[1], took[2]);
	for (k = 0; k < 3; k++)
		assert_int_equal(waits[k], 1 << k);
	assert_int_equal(relay_finish(&r), 0);
}

/* Past --max-per-address, a connection gets a clear ERR and is closed. */
static void
login__refuses_connections__over_the_address_limit(void **state)
{
	struct relay r;
	char name[16];
	int i;

	(void)state;
	assert_int_equal(relay_start(&r, "--max-per-address", "4", NULL), 0);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "user%d", i);
		assert_int_equal(raw_login(&conn[i], r.port, name, ""), 0);
	}
	assert_int_equal(raw_open(&conn[4], r.port), 0);
	assert_int_equal(raw_line(&conn[4], 5000), 0);
	printf("5th connection from one address with --max-per-address 4: "
	       "%s\n",
	    conn[4].line);
	assert_true(strncmp(conn[4].line, "ERR|RATE_LIMIT|-|", 17) == 0);
	assert_true(retry_in(conn[4].line) > 0);
	assert_true(raw_is_closed(&conn[4], 5000));
	raw_close(&conn[4]);
	/* One leaves: the next one gets in. */
	raw_close(&conn[0]);
	assert_int_equal(raw_login(&conn[0], r.port, "user0", ""), 0);
	for (i = 0; i < 4; i++)
		raw_close(&conn[i]);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * Past --max-registrations new names from one address in an hour, a
 * LOGIN of a new name is refused with the time left; known names still
 * log in.
 */
static void
login__refuses_new_names__past_the_registrations_per_hour(void **state)
{
	struct relay r;
	struct raw *c = &conn[0];
	int wait;

	(void)state;
	assert_int_equal(relay_start(&r, "--max-registrations", "2", NULL), 0);
	assert_int_equal(raw_login(c, r.port, "first", ""), 0);
	raw_close(c);
	assert_int_equal(raw_login(c, r.port, "second", "pw"), 0);
	raw_close(c);
	try_login(c, r.port, "third", "");
	wait = retry_in(c->line);
	printf("3rd new name from one address with --max-registrations 2: "
	       "%s (retry in %d s)\n",
	    c->line, wait);
	assert_true(wait > 3500 && wait <= 3600);
	assert_int_equal(raw_login(c, r.port, "first", ""), 0);
	raw_close(c);
	assert_int_equal(raw_login(c, r.port, "second", "pw"), 0);
	raw_close(c);
	assert_int_equal(relay_finish(&r), 0);
}

/* The answer to a LOGIN line on a new connection, and whether it closed. */
static bool
refused_line(int port, const char *line, const char *want)
{
	struct raw *c = &conn[5];
	bool closed;

	assert_int_equal(raw_open(c, port), 0);
	raw_send(c, "%s\n", line);
	assert_int_equal(raw_line(c, 5000), 0);
	closed = raw_is_closed(c, 3000);
	printf("%s -> %s, %s\n", line, c->line, closed ? "closed" : "OPEN");
	raw_close(c);
	return strncmp(c->line, want, strlen(want)) == 0 && closed;
}

/*
 * PROTOCOL.md sections 2 and 7: a name that is not one is BAD_NAME, a
 * password that is not canonical base64 is BAD_BASE64, and a refused
 * LOGIN closes the connection.
 */
static void
login__refuses_bad_name_and_bad_password__and_closes(void **state)
{
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_true(
	    refused_line(r.port, "LOGIN|1|b@d|aGk=|0", "ERR|BAD_NAME|-|"));
	assert_true(refused_line(r.port,
	    "LOGIN|1|a-name-that-is-longer-than-32-bytes|aGk=|0",
	    "ERR|BAD_NAME|-|"));
	assert_true(
	    refused_line(r.port, "RESUME|1|n@me|abc|0", "ERR|BAD_NAME|-|"));
	assert_true(
	    refused_line(r.port, "LOGIN|1|alice|aGk|0", "ERR|BAD_BASE64|-|"));
	assert_true(
	    refused_line(r.port, "LOGIN|1|alice|aG=k|0", "ERR|BAD_BASE64|-|"));
	/* Nothing was registered by them. */
	assert_int_equal(raw_login(&conn[0], r.port, "alice", "pw"), 0);
	raw_close(&conn[0]);
	assert_int_equal(relay_finish(&r), 0);
}

/* A connection that only PINGs is closed at the login deadline. */
static void
login__closes_ping_only_connection__at_the_deadline(void **state)
{
	struct relay r;
	struct raw *c = &conn[0];
	long long t0;
	int pings = 0;

	(void)state;
	assert_int_equal(relay_start(&r, "--login-timeout", "2", NULL), 0);
	assert_int_equal(raw_open(c, r.port), 0);
	t0 = ms_now();
	do
		raw_send(c, "PING|%d\n", pings++);
	while (!raw_is_closed(c, 300) && ms_now() - t0 < 10000);
	printf("pre-login PING every 300 ms: closed after %lld ms, %d PINGs "
	       "(--login-timeout 2)\n",
	    ms_now() - t0, pings);
	assert_true(ms_now() - t0 >= 1700 && ms_now() - t0 < 4500);
	raw_close(c);
	assert_int_equal(relay_finish(&r), 0);
}

/* Malformed lines past the rate budget are not each answered. */
static void
login__counts_err_answers__in_the_rate_limit(void **state)
{
	struct relay r;
	struct raw *c = &conn[0];
	char junk[400];
	int errs = 0;

	(void)state;
	assert_int_equal(relay_start(&r, "--rate", "20", NULL), 0);
	assert_int_equal(raw_login(c, r.port, "alice", ""), 0);
	memset(junk, '\n', sizeof junk);
	assert_int_equal(raw_write(c, junk, sizeof junk), 0);
	while (raw_line(c, 1500) == 0)
		errs += strncmp(c->line, "ERR|", 4) == 0;
	printf("%zu empty lines at --rate 20: %d ERRs answered\n", sizeof junk,
	    errs);
	assert_true(errs > 0 && errs <= 60);
	raw_close(c);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        login__keeps_honest_pings_fast__under_a_password_storm),
	    cmocka_unit_test(
	        login__keeps_the_password_queue__for_other_addresses),
	    cmocka_unit_test(
	        login__closes_silent_tls_connections__far_over_the_address_limit),
	    cmocka_unit_test(
	        login__makes_wrong_passwords_wait__longer_each_time),
	    cmocka_unit_test(
	        login__refuses_connections__over_the_address_limit),
	    cmocka_unit_test(
	        login__refuses_new_names__past_the_registrations_per_hour),
	    cmocka_unit_test(
	        login__refuses_bad_name_and_bad_password__and_closes),
	    cmocka_unit_test(
	        login__closes_ping_only_connection__at_the_deadline),
	    cmocka_unit_test(login__counts_err_answers__in_the_rate_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
