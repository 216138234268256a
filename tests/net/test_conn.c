/* SPDX-License-Identifier: MIT */
#include <sys/types.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>

#include <cmocka.h>

#include "net/conn.h"
#include "net/loop.h"
#include "net/sock.h"

#define ECHO_BYTES (2 * 1024 * 1024)

struct echo {
	struct net_loop *loop;
	struct net_watch *lw;
	struct net_conn *server;
	struct net_conn *client;
	char *sent;
	char *got;
	size_t nsent, ngot;
	bool timed_out;
	bool connected;
	int closes;
	char why[128];
};

static void
server_read(struct net_conn *c, void *arg)
{
	const char *p;
	size_t n;

	(void)arg;
	p = net_conn_input(c, &n);
	assert_int_equal(net_conn_write(c, p, n), 0);
	net_conn_consume(c, n);
}

static void
on_close_record(struct net_conn *c, void *arg, const char *why)
{
	struct echo *e = arg;

	(void)c;
	e->closes++;
	snprintf(e->why, sizeof e->why, "%s", why);
	if (c == e->server)
		e->server = NULL;
	if (c == e->client)
		e->client = NULL;
}

static const struct net_conn_cb server_cb = {
    .on_read = server_read,
    .on_close = on_close_record,
};

static void
on_accept(struct net_watch *w, short revents, void *arg)
{
	struct echo *e = arg;
	char ip[NET_ADDRSTRLEN];
	int fd;

	(void)revents;
	fd = net_tcp_accept(net_watch_fd(w), ip, sizeof ip);
	assert_true(fd != -1);
	/* A small send buffer forces short writes through the queue. */
	net_set_sndbuf(fd, 4096);
	e->server = net_conn_new(e->loop, fd, &server_cb, e);
}

static void
client_read(struct net_conn *c, void *arg)
{
	struct echo *e = arg;
	const char *p;
	size_t n;

	p = net_conn_input(c, &n);
	assert_true(e->ngot + n <= e->nsent);
	memcpy(e->got + e->ngot, p, n);
	e->ngot += n;
	net_conn_consume(c, n);
	if (e->ngot == ECHO_BYTES)
		net_loop_stop(e->loop);
}

static void
client_connected(struct net_conn *c, void *arg)
{
	struct echo *e = arg;

	(void)c;
	e->connected = true;
}

static const struct net_conn_cb client_cb = {
    .on_read = client_read,
    .on_connect = client_connected,
    .on_close = on_close_record,
};

static void
on_deadline(struct net_timer *t, void *arg)
{
	struct echo *e = arg;

	(void)t;
	e->timed_out = true;
	net_loop_stop(e->loop);
}

static void
on_send_more(struct net_timer *t, void *arg)
{
	struct echo *e = arg;
	size_t n = 64 * 1024;

	if (e->nsent < ECHO_BYTES) {
		if (n > ECHO_BYTES - e->nsent)
			n = ECHO_BYTES - e->nsent;
		assert_int_equal(
		    net_conn_write(e->client, e->sent + e->nsent, n), 0);
		e->nsent += n;
		net_timer_start(e->loop, t, 1);
	}
}

static void
echo_through(const char *host)
{
	struct echo e;
	struct net_timer deadline, pump;
	char err[128];
	int lfd, port;
	size_t i;

	memset(&e, 0, sizeof e);
	e.loop = net_loop_new();
	e.sent = malloc(ECHO_BYTES);
	e.got = malloc(ECHO_BYTES);
	for (i = 0; i < ECHO_BYTES; i++)
		e.sent[i] = (char)(i * 7 + i / 1000);

	lfd = net_tcp_listen(host, 0, err, sizeof err);
	if (lfd == -1 && strcmp(host, "::1") == 0) {
		/* No IPv6 on this machine: nothing to test. */
		free(e.sent);
		free(e.got);
		net_loop_free(e.loop);
		skip();
	}
	assert_true(lfd != -1);
	port = net_sock_port(lfd);
	assert_true(port > 0);
	e.lw = net_loop_add_fd(e.loop, lfd, POLLIN, on_accept, &e);
	e.client = net_conn_connect(
	    e.loop, host, (unsigned)port, &client_cb, &e, err, sizeof err);
	assert_non_null(e.client);

	net_timer_init(&deadline, on_deadline, &e);
	net_timer_start(e.loop, &deadline, 20000);
	net_timer_init(&pump, on_send_more, &e);
	net_timer_start(e.loop, &pump, 0);
	assert_int_equal(net_loop_run(e.loop), 0);

	assert_false(e.timed_out);
	assert_true(e.connected);
	assert_int_equal(e.ngot, ECHO_BYTES);
	assert_memory_equal(e.got, e.sent, ECHO_BYTES);

	net_timer_stop(e.loop, &deadline);
	net_timer_stop(e.loop, &pump);
	net_conn_close(e.client, false);
	net_conn_close(e.server, false);
	net_watch_remove(e.lw);
	close(lfd);
	net_loop_run_once(e.loop, 0);
	net_loop_free(e.loop);
	free(e.sent);
	free(e.got);
}

static void
net_conn__echoes__2mib_over_ipv4_loopback(void **state)
{
	(void)state;
	echo_through("127.0.0.1");
}

static void
net_conn__echoes__2mib_over_ipv6_loopback(void **state)
{
	(void)state;
	echo_through("::1");
}

struct stuck {
	int drained;
	int closed;
};

static void
stuck_drain(struct net_conn *c, void *arg)
{
	(void)c;
	((struct stuck *)arg)->drained++;
}

static void
stuck_close(struct net_conn *c, void *arg, const char *why)
{
	(void)c;
	(void)why;
	((struct stuck *)arg)->closed++;
}

static const struct net_conn_cb stuck_cb = {
    .on_drain = stuck_drain,
    .on_close = stuck_close,
};

/* A peer that stops reading fills the queue up to the cap, no further. */
static void
net_conn__reports_full__peer_that_does_not_read(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct net_conn *c;
	struct stuck s = {0, 0};
	char block[4096], sink[65536];
	int sv[2];
	size_t queued = 0;
	int i, refused = 0;
	ssize_t n;

	(void)state;
	memset(block, 'x', sizeof block);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	net_set_nonblock(sv[0]);
	net_set_nonblock(sv[1]);
	net_set_sndbuf(sv[0], 4096);
	c = net_conn_new(loop, sv[0], &stuck_cb, &s);
	net_conn_set_limits(c, 16 * 1024, 64 * 1024, 256 * 1024);

	for (i = 0; i < 400; i++) {
		if (net_conn_write(c, block, sizeof block) == 0)
			queued += sizeof block;
		else
			refused++;
		net_loop_run_once(loop, 0);
		assert_true(net_conn_out_len(c) <= 256 * 1024);
	}
	assert_true(refused > 0);
	assert_true(net_conn_is_full(c));
	assert_int_equal(s.drained, 0);

	/* The peer reads everything: the queue drains and says so. */
	while (net_conn_out_len(c) > 0) {
		while ((n = read(sv[1], sink, sizeof sink)) > 0)
			queued -= (size_t)n;
		net_loop_run_once(loop, 10);
	}
	while ((n = read(sv[1], sink, sizeof sink)) > 0)
		queued -= (size_t)n;
	assert_int_equal(queued, 0);
	assert_false(net_conn_is_full(c));
	assert_int_equal(s.drained, 1);
	assert_int_equal(net_conn_write(c, block, sizeof block), 0);

	/* The peer hangs up: on_close once, and writes are refused. */
	close(sv[1]);
	for (i = 0; i < 10 && s.closed == 0; i++)
		net_loop_run_once(loop, 100);
	assert_int_equal(s.closed, 1);
	net_loop_free(loop);
}

static void
net_conn__reports_refusal__connect_to_closed_port(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct echo e;
	char err[128];
	int lfd, port, i;

	(void)state;
	memset(&e, 0, sizeof e);
	e.loop = loop;
	/* Take a free port and release it, so nothing listens there. */
	lfd = net_tcp_listen("127.0.0.1", 0, err, sizeof err);
	port = net_sock_port(lfd);
	close(lfd);
	e.client = net_conn_connect(
	    loop, "127.0.0.1", (unsigned)port, &client_cb, &e, err, sizeof err);
	assert_non_null(e.client);
	for (i = 0; i < 50 && e.closes == 0; i++)
		net_loop_run_once(loop, 100);
	assert_int_equal(e.closes, 1);
	assert_false(e.connected);
	assert_non_null(strstr(e.why, "refused"));
	net_loop_free(loop);
}

/* Closing with flush still delivers what was queued (a last ERR). */
static void
net_conn__delivers_queued__close_with_flush(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct net_conn *c;
	struct stuck s = {0, 0};
	char buf[64];
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	net_set_nonblock(sv[0]);
	c = net_conn_new(loop, sv[0], &stuck_cb, &s);
	assert_int_equal(net_conn_write(c, "ERR|TOO_LONG|-|\n", 16), 0);
	net_conn_close(c, true);
	assert_int_equal(net_conn_write(c, "more", 4), -1);
	net_loop_run_once(loop, 0);
	n = read(sv[1], buf, sizeof buf);
	assert_int_equal(n, 16);
	assert_memory_equal(buf, "ERR|TOO_LONG|-|\n", 16);
	assert_int_equal(read(sv[1], buf, sizeof buf), 0); /* closed */
	assert_int_equal(s.closed, 0);
	close(sv[1]);
	net_loop_free(loop);
}

struct long_turn {
	struct net_conn *c;
	int trigger[2];
};

/* A callback that closes with flush, then works past the linger. */
static void
long_turn_io(struct net_watch *w, short revents, void *arg)
{
	struct long_turn *lt = arg;
	char b;
	uint64_t until;

	(void)revents;
	(void)!read(lt->trigger[0], &b, 1);
	net_watch_remove(w);
	assert_int_equal(net_conn_write(lt->c, "ERR|AUTH_FAILED|-|\n", 19), 0);
	net_conn_close(lt->c, true);
	until = net_clock_ms() + 5200; /* longer than the 5 s linger */
	while (net_clock_ms() < until)
		continue;
}

/*
 * A close with flush in a turn that runs longer than the linger still
 * delivers its ERR: the turn's output is flushed before timers run.
 */
static void
net_conn__delivers_close_with_flush__after_a_long_turn(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct long_turn lt;
	struct stuck s = {0, 0};
	char buf[64];
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(lt.trigger), 0);
	net_set_nonblock(sv[0]);
	lt.c = net_conn_new(loop, sv[0], &stuck_cb, &s);
	net_loop_add_fd(loop, lt.trigger[0], POLLIN, long_turn_io, &lt);
	assert_int_equal(write(lt.trigger[1], "x", 1), 1);
	net_loop_run_once(loop, 1000);
	net_loop_run_once(loop, 0);
	n = read(sv[1], buf, sizeof buf);
	printf("close after a 5.2 s turn: %zd of 19 bytes delivered\n", n);
	assert_int_equal(n, 19);
	assert_memory_equal(buf, "ERR|AUTH_FAILED|-|\n", 19);
	close(sv[1]);
	close(lt.trigger[0]);
	close(lt.trigger[1]);
	net_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(net_conn__echoes__2mib_over_ipv4_loopback),
	    cmocka_unit_test(net_conn__echoes__2mib_over_ipv6_loopback),
	    cmocka_unit_test(net_conn__reports_full__peer_that_does_not_read),
	    cmocka_unit_test(net_conn__reports_refusal__connect_to_closed_port),
	    cmocka_unit_test(net_conn__delivers_queued__close_with_flush),
	    cmocka_unit_test(
	        net_conn__delivers_close_with_flush__after_a_long_turn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
