/*
 * Relay-wide limits against many connections at once, over plaintext
 * (the figures are about the relay's memory and queues, not TLS): the
 * output held for many readers that never read, the password queue
 * shared by many addresses, and many connections holding a partial line.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

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
 * under the 1.9 MiB per reader it took before.
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
	assert_int_equal(relay_finish(&r), 0);
	free(pm);
	free(snd);
	free(rcv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(limits__output_bounded__many_receivers_never_read),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	h_tls = false;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
