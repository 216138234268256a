/*
 * Relay-wide limits against many connections at once, over plaintext
 * (the figures are about the relay's memory and queues, not TLS): the
 * output held for many readers that never read, the password queue
 * shared by many addresses, and many connections holding a partial line.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sodium.h>

#include "harness.h"

#define PAIRS 80 /* senders, each with a receiver that never reads */
#define CHUNK 65536
#define PER_SENDER (12u << 20) /* file data each sender tries to push */

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The relay's RSS once it stops shrinking (it gives freed memory back a
 * moment after a burst): no lower for a second and a half, or after 6 s.
 * Raises *peak to what it saw on the way.
 */
static long
relay_settled_kb(const struct relay *r, long *peak)
{
	long long start = ms_now(), low_at = start;
	long low = relay_rss_kb(r), rss;

	while (ms_now() - low_at < 1500 && ms_now() - start < 6000) {
		usleep(50000);
		rss = relay_rss_kb(r);
		if (rss > *peak)
			*peak = rss;
		if (rss < low) {
			low = rss;
			low_at = ms_now();
		}
	}
	return low;
}

/* One sender's FDATA stream: the frame being written and how far. */
struct pump {
	struct raw *c;
	char name[16], to[16];
	size_t sent; /* file bytes in whole frames */
	char frame[CHUNK + 128];
	size_t len, off;
};

/* The next FDATA frame of p, or none once it sent PER_SENDER. */
static bool
pump_next(struct pump *p)
{
	int n;

	if (p->sent >= PER_SENDER)
		return false;
	n = snprintf(p->frame, 128, "FDATA|%s|%s|f|%zu|%d\n", p->name, p->to,
	    p->sent, CHUNK);
	memset(p->frame + n, 'd', CHUNK);
	p->len = (size_t)n + CHUNK;
	p->off = 0;
	return true;
}

/* Write what p's socket takes now; the bytes written. */
static size_t
pump_some(struct pump *p)
{
	size_t done = 0;
	long k;

	while (p->off < p->len || (p->len > 0 && pump_next(p))) {
		if (p->off == p->len)
			continue;
		k = raw_send_some(p->c, p->frame + p->off, p->len - p->off);
		if (k <= 0)
			break;
		p->off += (size_t)k;
		done += (size_t)k;
		if (p->off == p->len) {
			p->sent += CHUNK;
			p->len = p->off = 0;
			if (!pump_next(p))
				break;
		}
	}
	return done;
}

/*
 * PAIRS receivers accept a file and then read nothing; their senders push
 * file data as fast as the relay takes it. The relay's output for them
 * all stays near --max-output-total (here 4 MiB, plus a frame or two per
 * reader) instead of 1 MiB or more per reader, and its RSS (which counts
 * the paused senders' input and the sanitizer's heap too) stays well
 * under the 1.9 MiB per reader it took before. Once they all close the
 * relay gives the freed heap back within a few seconds.
 */
static void
limits__output_bounded__many_receivers_never_read(void **state)
{
	struct raw *snd = calloc(PAIRS, sizeof *snd);
	struct raw *rcv = calloc(PAIRS, sizeof *rcv);
	struct pump *pm = calloc(PAIRS, sizeof *pm);
	struct relay r;
	long before, peak = 0, rss, steady;
	long long idle_since, t0;
	size_t total = 0, k;
	int i, small = 4096;
	char name[16];

	(void)state;
	assert_non_null(snd);
	assert_non_null(rcv);
	assert_non_null(pm);
	setenv("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=4", 1);
	assert_int_equal(
	    relay_start(&r, "--max-per-address", "0", "--max-registrations",
	        "0", "--max-output-total", "4194304", NULL),
	    0);
	unsetenv("ASAN_OPTIONS");
	for (i = 0; i < PAIRS; i++) {
		snprintf(name, sizeof name, "r%d", i);
		assert_int_equal(raw_login(&rcv[i], r.port, name, ""), 0);
		/* The kernel holds little for it: what waits is the relay's. */
		setsockopt(
		    rcv[i].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	}
	for (i = 0; i < PAIRS; i++) {
		snprintf(pm[i].name, sizeof pm[i].name, "s%d", i);
		snprintf(pm[i].to, sizeof pm[i].to, "r%d", i);
		pm[i].c = &snd[i];
		assert_int_equal(raw_login(&snd[i], r.port, pm[i].name, ""), 0);
		raw_send(&snd[i], "FOFFER|%s|%s|f|1073741824|%064d|YQ==\n",
		    pm[i].name, pm[i].to, 0);
		assert_int_equal(raw_expect(&rcv[i], "FOFFER|", 10000), 0);
		raw_send(&rcv[i], "FACCEPT|%s|%s|f|0\n", pm[i].to, pm[i].name);
		assert_int_equal(raw_expect(&snd[i], "FACCEPT|", 10000), 0);
		fcntl(
		    snd[i].fd, F_SETFL, fcntl(snd[i].fd, F_GETFL) | O_NONBLOCK);
		pump_next(&pm[i]);
	}
	before = relay_rss_kb(&r);
	t0 = idle_since = ms_now();
	/* Push until no sender gets a byte in for a second. */
	while (ms_now() - idle_since < 1000 && ms_now() - t0 < 40000) {
		for (i = 0, k = 0; i < PAIRS; i++)
			k += pump_some(&pm[i]);
		total += k;
		if (k > 0)
			idle_since = ms_now();
		else
			usleep(10000);
		if ((rss = relay_rss_kb(&r)) > peak)
			peak = rss;
	}
	steady = relay_settled_kb(&r, &peak);
	print_message("output: %d readers that never read took %zu MiB of file "
	              "data; relay RSS %ld KiB before, %ld KiB at its peak, "
	              "%ld KiB steady (+%ld MiB)\n",
	    PAIRS, total >> 20, before, peak, steady, (steady - before) >> 10);
	if (steady - before > 100 * 1024)
		fail_msg("relay grew by %ld MiB", (steady - before) >> 10);
	for (i = 0; i < PAIRS; i++) {
		raw_close(&snd[i]);
		raw_close(&rcv[i]);
	}
	/* Once they are gone the heap goes back within a few seconds, with
	 * no burst of frames to set it off. */
	t0 = ms_now();
	while ((rss = relay_rss_kb(&r)) - before > 16 * 1024 &&
	    ms_now() - t0 < 8000)
		usleep(50000);
	print_message("output: the %d sessions closed: relay RSS %ld KiB "
	              "before, %ld KiB at its peak, %ld KiB %.1f s after\n",
	    2 * PAIRS, before, peak, rss, (double)(ms_now() - t0) / 1000);
	if (rss - before > 16 * 1024)
		fail_msg("relay kept %ld MiB after they closed",
		    (rss - before) >> 10);
	assert_int_equal(relay_finish(&r), 0);
	free(pm);
	free(snd);
	free(rcv);
}

#define FLOOD_ADDRS 16 /* 127.0.0.2 ... */
#define FLOOD_PER_ADDR 2

/* A socket connected to the relay from the loopback address ip, or -1. */
static int
connect_from(int port, const char *ip)
{
	struct sockaddr_in sa;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto fail;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* A plaintext connection to the relay from the loopback address ip. */
static int
open_from(struct raw *c, int port, const char *ip)
{
	c->len = 0;
	c->ssl = NULL;
	c->fd = connect_from(port, ip);
	return c->fd == -1 ? -1 : 0;
}

/*
 * The flood, in a child until killed: from each address, FLOOD_PER_ADDR
 * connections that send a wrong password for victim and, at its answer,
 * connect and send it again (after a tenth of a second when the answer
 * was that the relay is busy: the flood is about the queue, not about
 * the CPU its reconnections take).
 */
static void
flood(int port)
{
	static struct raw c[FLOOD_ADDRS * FLOOD_PER_ADDR];
	static long long again[FLOOD_ADDRS * FLOOD_PER_ADDR];
	struct pollfd pfd[FLOOD_ADDRS * FLOOD_PER_ADDR];
	char ip[32], junk[4096];
	int i, n = FLOOD_ADDRS * FLOOD_PER_ADDR;
	ssize_t k;

	for (;;) {
		for (i = 0; i < n; i++) {
			if (c[i].fd > 0 || ms_now() < again[i])
				continue;
			snprintf(ip, sizeof ip, "127.0.0.%d",
			    2 + i / FLOOD_PER_ADDR);
			if (open_from(&c[i], port, ip) != 0)
				continue;
			dprintf(
			    c[i].fd, "LOGIN|1|victim|%s|0\n", h_b64("wrong"));
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = c[i].fd > 0 ? c[i].fd : -1;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 20) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & POLLIN))
				continue;
			k = read(c[i].fd, junk, sizeof junk - 1);
			junk[k > 0 ? k : 0] = '\0';
			if (k > 0 && strchr(junk, '\n') == NULL)
				continue;
			if (strstr(junk, "RATE_LIMIT") != NULL)
				again[i] = ms_now() + 100;
			close(c[i].fd);
			c[i].fd = 0;
		}
	}
}

/*
 * While 16 addresses keep two wrong-password LOGINs each in the password
 * queue (the per-address and per-name waits lifted, as if each came from
 * a new address), an honest LOGIN from another address takes its turn
 * among the addresses: at most one hash of each other address (and the
 * one under way) goes before it, where a queue in arrival order would
 * hash all 32 waiting first. Counted in wrong-password
 * lines of the log from the try that got into the queue (one refused as
 * busy, the queue being full, retries after a second as a client does),
 * not in time: how long a hash takes depends on the machine.
 */
static void
limits__honest_login_checked__flood_from_many_addresses(void **state)
{
	struct relay r;
	struct raw *c = calloc(1, sizeof *c);
	long long t0, took = -1;
	int tries = 0, before = 0, after = -1;
	pid_t pid;

	(void)state;
	assert_non_null(c);
	assert_int_equal(
	    relay_start(&r, "--hash-threads", "1", "--name-failures", "1000000",
	        "--addr-failures", "1000000", NULL),
	    0);
	assert_int_equal(raw_login(c, r.port, "victim", "right"), 0);
	raw_close(c);
	assert_int_equal(raw_login(c, r.port, "bob", "bobpw"), 0);
	raw_close(c);
	if ((pid = fork()) == 0) {
		flood(r.port);
		_exit(0);
	}
	/* The flood fills the queue first. */
	for (int i = 0; i < 200 && !relay_log_has(&r, "password"); i++)
		usleep(10000);
	usleep(500000);
	t0 = ms_now();
	while (ms_now() - t0 < 120000) {
		tries++;
		assert_int_equal(open_from(c, r.port, "127.0.0.200"), 0);
		/* Counted from the try that gets into the queue: a try
		 * refused as busy waits in no queue. */
		before = relay_log_count(&r, "wrong password");
		raw_send(c, "LOGIN|1|bob|%s|0\n", h_b64("bobpw"));
		if (raw_line(c, 120000) == 0 &&
		    strncmp(c->line, "WELCOME|", 8) == 0) {
			took = ms_now() - t0;
			after = relay_log_count(&r, "wrong password");
			break;
		}
		/* Refused as busy: retry when told (1 s), as a client does. */
		print_message(
		    "hashing: try %d answered '%.60s'\n", tries, c->line);
		raw_close(c);
		usleep(1000000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	print_message("hashing: honest login during a flood from %d addresses "
	              "x %d: WELCOME after %lld ms (%d tries), %d flood hashes "
	              "done meanwhile\n",
	    FLOOD_ADDRS, FLOOD_PER_ADDR, took, tries, after - before);
	assert_true(took >= 0);
	assert_true(after - before <= FLOOD_ADDRS + 2); /* + one done since */
	raw_close(c);
	free(c);
	assert_int_equal(relay_finish(&r), 0);
}

#define PARTIAL_CONNS 2000
#define PARTIAL_LEN (61 * 1024)
#define PARTIAL_PER_ADDR 60 /* under --max-per-address (64) */

/*
 * The relay's RSS once it holds still: the same within 256 KiB for a
 * second, or after 8 s.
 */
static long
relay_still_kb(const struct relay *r)
{
	long long start = ms_now(), since = start;
	long last = relay_rss_kb(r), rss;

	while (ms_now() - since < 1000 && ms_now() - start < 8000) {
		usleep(50000);
		rss = relay_rss_kb(r);
		if (labs(rss - last) > 256) {
			last = rss;
			since = ms_now();
		}
	}
	return last;
}

/*
 * PARTIAL_CONNS connections (as many as the open-files limit allows),
 * from 34 addresses under the per-address limit, each send 61 KB without
 * a newline and never log in. The relay holds little for each (a line
 * before the login is at most the longest LOGIN), and once they are
 * closed its RSS is back within a few MiB of what it was before.
 */
static void
limits__partial_lines_bounded__2000_connections(void **state)
{
	static char line[PARTIAL_LEN];
	int *fd = calloc(PARTIAL_CONNS, sizeof *fd);
	struct rlimit rl;
	struct relay r;
	long before, with, after;
	char ip[32];
	int i, n, closed = 0;
	long k;
	size_t off;

	(void)state;
	assert_non_null(fd);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	n = rl.rlim_cur > PARTIAL_CONNS + 64 ? PARTIAL_CONNS
	                                     : (int)rl.rlim_cur - 64;
	memset(line, 'x', sizeof line);
	memcpy(line, "LOGIN|1|", 8);
	/* The sanitizer's heap gives freed pages back as glibc's does after
	 * malloc_trim only when asked to, and keeps a quarantine. */
	setenv("ASAN_OPTIONS",
	    "detect_leaks=1:quarantine_size_mb=0:"
	    "allocator_release_to_os_interval_ms=0",
	    1);
	assert_int_equal(relay_start(&r, "--login-timeout", "60", NULL), 0);
	unsetenv("ASAN_OPTIONS");
	before = relay_still_kb(&r);
	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof ip, "127.0.1.%d", 1 + i / PARTIAL_PER_ADDR);
		assert_true((fd[i] = connect_from(r.port, ip)) != -1);
		fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
		for (off = 0; off < sizeof line; off += (size_t)k) {
			k = send(
			    fd[i], line + off, sizeof line - off, MSG_NOSIGNAL);
			if (k <= 0) {
				/* Full, or closed by the relay: done with it. */
				closed += k < 0 && errno != EAGAIN;
				break;
			}
		}
	}
	with = relay_still_kb(&r);
	for (i = 0; i < n; i++)
		close(fd[i]);
	after = relay_still_kb(&r);
	print_message(
	    "partial lines: %d connections x %d KiB without a "
	    "newline (%d closed by the relay while sending): relay RSS "
	    "%ld KiB before, %ld KiB with them (+%ld KiB, %ld bytes "
	    "each), %ld KiB after they closed\n",
	    n, PARTIAL_LEN >> 10, closed, before, with, with - before,
	    (with - before) * 1024 / n, after);
	if (with - before > 24 * 1024)
		fail_msg(
		    "relay grew by %ld MiB with them", (with - before) >> 10);
	if (after - before > 6 * 1024)
		fail_msg("relay kept %ld MiB after they closed",
		    (after - before) >> 10);
	free(fd);
	assert_int_equal(relay_finish(&r), 0);
}

/* One LOGIN from ip on a new connection; the first line of the answer. */
static void
login_from(
    struct raw *c, int port, const char *ip, const char *name, const char *pw)
{
	assert_int_equal(open_from(c, port, ip), 0);
	raw_send(c, "LOGIN|1|%s|%s|0\n", name, h_b64(pw));
	assert_int_equal(raw_line(c, 10000), 0);
	raw_close(c);
}

/*
 * The address of a name's last good login is kept across a restart: a
 * guesser's failures make the name's check wait for addresses that
 * failed lately, the owner's own typo included, but never for that
 * address, before a restart and after it.
 */
static void
limits__owner_address_kept__across_a_restart(void **state)
{
	struct raw *c = calloc(1, sizeof *c);
	struct relay r;

	(void)state;
	assert_non_null(c);
	assert_int_equal(relay_start(&r, "--name-failures", "1",
	                     "--addr-failures", "1000", NULL),
	    0);
	/* Registered, then a checked login from the owner's address. */
	login_from(c, r.port, "127.0.0.1", "vic", "right");
	assert_int_equal(strncmp(c->line, "WELCOME|", 8), 0);
	login_from(c, r.port, "127.0.0.1", "vic", "right");
	assert_int_equal(strncmp(c->line, "WELCOME|", 8), 0);
	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	assert_int_equal(relay_restart(&r), 0);
	/* The owner mistypes once, a guesser elsewhere tries: the name's
	 * check now waits 2 s for every address that failed. */
	login_from(c, r.port, "127.0.0.1", "vic", "typo");
	assert_int_equal(strncmp(c->line, "ERR|AUTH_FAILED|", 16), 0);
	login_from(c, r.port, "127.0.0.9", "vic", "guess");
	assert_int_equal(strncmp(c->line, "ERR|AUTH_FAILED|", 16), 0);
	login_from(c, r.port, "127.0.0.9", "vic", "right");
	print_message("restart: during the name's wait the guesser's address "
	              "got %.30s\n",
	    c->line);
	assert_int_equal(strncmp(c->line, "ERR|RATE_LIMIT|", 15), 0);
	login_from(c, r.port, "127.0.0.1", "vic", "right");
	print_message("restart: the owner's address, which also failed, got "
	              "%.30s\n",
	    c->line);
	assert_int_equal(strncmp(c->line, "WELCOME|", 8), 0);
	free(c);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(limits__output_bounded__many_receivers_never_read),
	    cmocka_unit_test(
	        limits__honest_login_checked__flood_from_many_addresses),
	    cmocka_unit_test(limits__partial_lines_bounded__2000_connections),
	    cmocka_unit_test(limits__owner_address_kept__across_a_restart),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	h_tls = false;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
