/* SPDX-License-Identifier: MIT */
/*
 * TLS against plaintext over loopback, both ends in one process and one
 * loop (so each figure pays for both ends): MB/s for 64 MiB, frames/s for
 * 100-byte frames written in batches of 64 (one flush per batch), and
 * handshake time (median and p99 over 1,000 handshakes, Ed25519 keys).
 *
 *	termgram-tls-bench [dir]
 */
#include <sys/socket.h>

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/identity.h"
#include "net/loop.h"
#include "net/sock.h"
#include "net/tls.h"

#define BULK (64u * 1024 * 1024)
#define FRAMES 500000
#define BATCH 64
#define HANDSHAKES 1000

struct bench {
	struct net_loop *loop;
	struct net_conn *tx, *rx;
	size_t got, want, sent, total, frame;
	int ready;
	bool done;
	struct net_tls *stls, *ctls;
	struct net_watch *lw;
	int lfd;
};

static struct bench B;

/* Turn the loop until a callback says done. */
static void
run(void)
{
	B.done = false;
	while (!B.done)
		net_loop_run_once(B.loop, -1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rx_read(struct net_conn *c, void *arg)
{
	size_t n;

	(void)arg;
	net_conn_input(c, &n);
	B.got += n;
	net_conn_consume(c, n);
	if (B.got >= B.want)
		B.done = true;
}

static void
on_hs(struct net_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	if (++B.ready == 2)
		B.done = true;
}

static void
on_close(struct net_conn *c, void *arg, const char *why)
{
	(void)c;
	(void)arg;
	fprintf(stderr, "closed: %s\n", why);
	exit(1);
}

static const struct net_conn_cb cb = {
    .on_read = rx_read, .on_close = on_close, .on_handshake = on_hs};

static void
on_accept(struct net_watch *w, short ev, void *arg)
{
	char ip[NET_ADDRSTRLEN], err[256];
	int fd = net_tcp_accept(net_watch_fd(w), ip, sizeof ip);

	(void)ev;
	(void)arg;
	B.rx = net_conn_new(B.loop, fd, &cb, NULL);
	if (B.stls != NULL)
		net_conn_tls_start(B.rx, B.stls, err, sizeof err);
	else
		on_hs(B.rx, NULL);
}

/* Write more each turn: bulk blocks, or batches of 64 frames. */
static void
pump(struct net_timer *t, void *arg)
{
	static char buf[65536];

	(void)arg;
	while (B.sent < B.total && !net_conn_is_full(B.tx)) {
		if (B.frame > 0) {
			for (int i = 0; i < BATCH && B.sent < B.total; i++) {
				net_conn_write(B.tx, buf, B.frame);
				B.sent += B.frame;
			}
			net_conn_flush_now(B.tx);
		} else {
			net_conn_write(B.tx, buf, sizeof buf);
			B.sent += sizeof buf;
		}
	}
	if (B.sent < B.total)
		net_timer_start(B.loop, t, 0);
}

/* A connected pair over TCP loopback, TLS or not. */
static void
connect_pair(bool tls)
{
	char err[256];

	B.ready = 0;
	B.tx = net_conn_connect(B.loop, "127.0.0.1",
	    (unsigned)net_sock_port(B.lfd), &cb, NULL, err, sizeof err);
	if (tls)
		net_conn_tls_start(B.tx, B.ctls, err, sizeof err);
	else
		on_hs(B.tx, NULL);
	if (B.ready < 2)
		run();
	B.ready = 0;
	net_loop_run_once(B.loop, 0);
}

static double
transfer(bool tls, size_t frame, size_t total)
{
	struct net_timer t;
	double t0;

	connect_pair(tls);
	B.got = B.sent = 0;
	B.want = B.total = total;
	B.frame = frame;
	net_timer_init(&t, pump, NULL);
	t0 = now_s();
	net_timer_start(B.loop, &t, 0);
	run();
	t0 = now_s() - t0;
	net_timer_stop(B.loop, &t);
	net_conn_close(B.tx, false);
	net_conn_close(B.rx, false);
	net_loop_run_once(B.loop, 0);
	return t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
handshakes(void)
{
	static double t[HANDSHAKES];
	char err[256];
	int sv[2];
	double t0;

	for (int i = 0; i < HANDSHAKES; i++) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		net_set_nonblock(sv[0]);
		net_set_nonblock(sv[1]);
		B.ready = 0;
		t0 = now_s();
		B.rx = net_conn_new(B.loop, sv[0], &cb, NULL);
		B.tx = net_conn_new(B.loop, sv[1], &cb, NULL);
		net_conn_tls_start(B.rx, B.stls, err, sizeof err);
		net_conn_tls_start(B.tx, B.ctls, err, sizeof err);
		run();
		t[i] = now_s() - t0;
		net_conn_close(B.tx, false);
		net_conn_close(B.rx, false);
		net_loop_run_once(B.loop, 0);
	}
	qsort(t, HANDSHAKES, sizeof t[0], cmp_double);
	printf("handshake (both ends, Ed25519): median %.0f us, p99 %.0f us\n",
	    t[HANDSHAKES / 2] * 1e6, t[HANDSHAKES * 99 / 100] * 1e6);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/termgram-tls-bench";
	struct net_id *sid, *cid;
	char err[256];
	double p, s;

	sid = net_id_open(dir, "s.key", "s.crt", "bench", err, sizeof err);
	cid = net_id_open(dir, "c.key", "c.crt", "bench", err, sizeof err);
	if (sid == NULL || cid == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	B.stls = net_tls_new(NET_TLS_SERVER, sid, err, sizeof err);
	B.ctls = net_tls_new(NET_TLS_CLIENT, cid, err, sizeof err);
	B.loop = net_loop_new();
	B.lfd = net_tcp_listen("127.0.0.1", 0, err, sizeof err);
	B.lw = net_loop_add_fd(B.loop, B.lfd, POLLIN, on_accept, NULL);

	struct net_tls *keep = B.stls;
	B.stls = NULL;
	p = transfer(false, 0, BULK);
	B.stls = keep;
	s = transfer(true, 0, BULK);
	printf("64 MiB bulk: plaintext %.0f MB/s, TLS %.0f MB/s\n",
	    BULK / p / 1e6, BULK / s / 1e6);
	B.stls = NULL;
	p = transfer(false, 100, (size_t)FRAMES * 100);
	B.stls = keep;
	s = transfer(true, 100, (size_t)FRAMES * 100);
	printf("100-byte frames, batches of 64: plaintext %.0f k/s, TLS %.0f "
	       "k/s\n",
	    FRAMES / p / 1e3, FRAMES / s / 1e3);
	handshakes();
	net_watch_remove(B.lw);
	close(B.lfd);
	net_loop_free(B.loop);
	net_tls_free(B.stls);
	net_tls_free(B.ctls);
	net_id_free(sid);
	net_id_free(cid);
	return 0;
}
