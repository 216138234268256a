/* SPDX-License-Identifier: MIT */
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
#include <unistd.h>

#include <cmocka.h>

#include "net/loop.h"

struct fired {
	int order[16];
	int n;
};

struct tctx {
	struct fired *f;
	int id;
	struct net_loop *loop;
};

static void
on_timer(struct net_timer *t, void *arg)
{
	struct tctx *c = arg;

	(void)t;
	c->f->order[c->f->n++] = c->id;
	if (c->id == 99)
		net_loop_stop(c->loop);
}

static void
net_loop__fires_timers__in_deadline_order(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct fired f = {{0}, 0};
	struct net_timer t[5];
	struct tctx c[5];
	static const uint64_t delay[5] = {30, 10, 20, 10, 40};
	static const int id[5] = {3, 1, 2, 11, 99};
	uint64_t start = net_clock_ms();
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		c[i].f = &f;
		c[i].id = id[i];
		c[i].loop = loop;
		net_timer_init(&t[i], on_timer, &c[i]);
		net_timer_start(loop, &t[i], delay[i]);
	}
	/* Cancelled timers never fire; restarted ones fire once, later. */
	net_timer_stop(loop, &t[2]);
	assert_false(net_timer_is_active(&t[2]));
	net_timer_start(loop, &t[2], 35);
	assert_int_equal(net_loop_run(loop), 0);
	assert_int_equal(f.n, 5);
	assert_int_equal(f.order[0], 1);
	assert_int_equal(f.order[1], 11); /* same deadline: start order */
	assert_int_equal(f.order[2], 3);
	assert_int_equal(f.order[3], 2);
	assert_int_equal(f.order[4], 99);
	assert_true(net_clock_ms() - start >= 40);
	net_loop_free(loop);
}

static void
on_sigterm(struct net_loop *loop, int signo, void *arg)
{
	int *got = arg;

	*got = signo;
	net_loop_stop(loop);
}

static void
net_loop__delivers_signal__through_self_pipe(void **state)
{
	struct net_loop *loop = net_loop_new();
	int got = 0;

	(void)state;
	assert_int_equal(net_loop_signal(loop, SIGTERM, on_sigterm, &got), 0);
	raise(SIGTERM);
	assert_int_equal(net_loop_run(loop), 0);
	assert_int_equal(got, SIGTERM);
	net_loop_free(loop);
}

struct hook_ctx {
	int turns;
	int freed;
};

static void
on_hook(struct net_loop *loop, void *arg)
{
	struct hook_ctx *h = arg;

	(void)loop;
	h->turns++;
}

static void
on_free(void *p)
{
	((struct hook_ctx *)p)->freed++;
}

static void
net_loop__runs_hook_and_deferred_frees__at_turn_end(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct hook_ctx h = {0, 0};

	(void)state;
	net_loop_set_turn_hook(loop, on_hook, &h);
	net_loop_defer_free(loop, on_free, &h);
	assert_int_equal(h.freed, 0);
	assert_true(net_loop_run_once(loop, 0) >= 0);
	assert_int_equal(h.freed, 1);
	assert_true(h.turns >= 1);
	net_loop_free(loop);
}

struct file_ctx {
	char got[64];
	size_t len;
	struct net_watch *w;
};

static void
on_file(struct net_watch *w, short revents, void *arg)
{
	struct file_ctx *f = arg;
	ssize_t n;

	assert_true(revents & POLLIN);
	n = read(net_watch_fd(w), f->got + f->len, 5);
	assert_true(n >= 0);
	f->len += (size_t)n;
	if (n == 0) {
		net_watch_remove(w);
		net_loop_stop(net_watch_loop(w));
	}
}

/* epoll refuses regular files; poll() calls them always ready: so does
 * the loop (standard input may be a file). */
static void
net_loop__watches_a_regular_file__as_always_ready(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct file_ctx f = {{0}, 0, NULL};
	char path[] = "/tmp/termgram-loop-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, file", 11), 11);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	net_loop_add_fd(loop, fd, POLLIN, on_file, &f);
	assert_int_equal(net_loop_run(loop), 0);
	assert_int_equal(f.len, 11);
	assert_memory_equal(f.got, "hello, file", 11);
	close(fd);
	unlink(path);
	net_loop_free(loop);
}

struct pair_ctx {
	struct net_watch *w[2];
	int calls[2];
	int rfd[2];
};

static void
on_pipe(struct net_watch *w, short revents, void *arg)
{
	struct pair_ctx *p = arg;
	int me = w == p->w[0] ? 0 : 1;
	char b[8];

	(void)revents;
	p->calls[me]++;
	(void)!read(p->rfd[me], b, sizeof b);
	/* The first to run removes the other, ready in the same turn. */
	net_watch_remove(p->w[!me]);
	net_loop_stop(net_watch_loop(w));
}

static void
net_loop__skips_a_watch_removed_earlier_in_the_turn(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct pair_ctx p = {{NULL, NULL}, {0, 0}, {-1, -1}};
	int a[2], b[2];

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	p.rfd[0] = a[0];
	p.rfd[1] = b[0];
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "y", 1), 1);
	p.w[0] = net_loop_add_fd(loop, a[0], POLLIN, on_pipe, &p);
	p.w[1] = net_loop_add_fd(loop, b[0], POLLIN, on_pipe, &p);
	assert_int_equal(net_loop_run(loop), 0);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	net_loop_free(loop);
}

static void
on_writable(struct net_watch *w, short revents, void *arg)
{
	int *seen = arg;

	*seen = revents;
	net_watch_set_events(w, 0);
	net_loop_stop(net_watch_loop(w));
}

/* A watch that starts with no events and is then asked for POLLOUT. */
static void
net_loop__reports_events_asked_for_later(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct net_watch *w;
	int fds[2], seen = 0;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	w = net_loop_add_fd(loop, fds[1], 0, on_writable, &seen);
	assert_int_equal(net_loop_run_once(loop, 50), 0);
	assert_int_equal(seen, 0);
	net_watch_set_events(w, POLLOUT);
	assert_int_equal(net_loop_run(loop), 0);
	assert_true(seen & POLLOUT);
	close(fds[0]);
	close(fds[1]);
	net_loop_free(loop);
}

struct many_ctx {
	int fd[4][2];
	struct net_watch *w[4];
	int calls[4];
};

static void
on_many(struct net_watch *w, short revents, void *arg)
{
	struct many_ctx *m = arg;
	char b[8];
	int i;

	assert_true(revents & POLLIN);
	for (i = 0; i < 4 && m->w[i] != w; i++)
		;
	assert_true(i < 4);
	assert_int_equal(net_watch_fd(w), m->fd[i][0]);
	m->calls[i]++;
	(void)!read(m->fd[i][0], b, sizeof b);
}

/* Watches removed in an earlier turn leave the others whole: each ready
 * descriptor still reaches its own watch (poll() fills a removed slot
 * with the last watch). */
static void
net_loop__dispatches_to_the_right_watch__after_removals(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct many_ctx m;
	int i;

	(void)state;
	memset(&m, 0, sizeof m);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pipe(m.fd[i]), 0);
		m.w[i] = net_loop_add_fd(loop, m.fd[i][0], POLLIN, on_many, &m);
	}
	net_watch_remove(m.w[0]);
	net_watch_remove(m.w[3]);
	m.w[0] = m.w[3] = NULL; /* freed at the end of the turn */
	assert_int_equal(net_loop_run_once(loop, 0), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(write(m.fd[i][1], "x", 1), 1);
	assert_int_equal(net_loop_run_once(loop, 1000), 2);
	assert_int_equal(m.calls[0] + m.calls[3], 0);
	assert_int_equal(m.calls[1], 1);
	assert_int_equal(m.calls[2], 1);
	net_watch_set_events(m.w[1], 0);
	assert_int_equal(write(m.fd[2][1], "y", 1), 1);
	assert_int_equal(net_loop_run_once(loop, 1000), 1);
	assert_int_equal(m.calls[1], 1);
	assert_int_equal(m.calls[2], 2);
	for (i = 0; i < 4; i++) {
		close(m.fd[i][0]);
		close(m.fd[i][1]);
	}
	net_loop_free(loop);
}

/* TERMGRAM_LOOP=poll picks poll(); CI runs this file both ways. */
static void
net_loop__uses_backend__named_by_environment(void **state)
{
	struct net_loop *loop = net_loop_new();
	const char *env = getenv("TERMGRAM_LOOP");
	const char *want = "poll";

	(void)state;
#ifdef TERMGRAM_HAVE_EPOLL
	if (env == NULL || strcmp(env, "poll") != 0)
		want = "epoll";
#else
	(void)env;
#endif
	assert_string_equal(net_loop_backend(loop), want);
	net_loop_free(loop);
}

static int again_calls;
static short again_events;

static void
again_io(struct net_watch *w, short revents, void *arg)
{
	(void)w;
	(void)arg;
	again_calls++;
	again_events = revents;
}

static void
net_loop__runs_again__without_events(void **state)
{
	struct net_loop *loop = net_loop_new();
	struct net_watch *w, *gone;
	int fds[2], fds2[2];
	uint64_t t0;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(fds2), 0);
	/* Nothing to read: only the request makes the callback run. */
	w = net_loop_add_fd(loop, fds[0], POLLIN, again_io, NULL);
	gone = net_loop_add_fd(loop, fds2[0], POLLIN, again_io, NULL);
	net_watch_want_again(w);
	net_watch_want_again(w);
	net_watch_want_again(gone);
	net_watch_remove(gone);
	t0 = net_clock_ms();
	net_loop_run_once(loop, 5000);
	assert_true(net_clock_ms() - t0 < 1000);
	assert_int_equal(again_calls, 1);
	assert_int_equal(again_events, POLLIN);
	/* Once only: the next turn waits again. */
	net_loop_run_once(loop, 50);
	assert_int_equal(again_calls, 1);
	net_watch_remove(w);
	net_loop_run_once(loop, 0);
	net_loop_free(loop);
	close(fds[0]);
	close(fds[1]);
	close(fds2[0]);
	close(fds2[1]);
}

#define BUSY_WATCHES 40
#define BUSY_MS 5

struct busy {
	int runs[BUSY_WATCHES];
	int ticks;
	struct net_loop *loop;
};

struct busy_one {
	struct busy *b;
	int i;
};

/* A watch whose descriptor stays readable and that works BUSY_MS. */
static void
busy_io(struct net_watch *w, short revents, void *arg)
{
	struct busy_one *o = arg;
	uint64_t until = net_clock_ms() + BUSY_MS;

	(void)w;
	(void)revents;
	o->b->runs[o->i]++;
	while (net_clock_ms() < until)
		continue;
}

/* A timer that fires every turn it can. */
static void
busy_tick(struct net_timer *t, void *arg)
{
	struct busy *b = arg;

	b->ticks++;
	net_timer_start(b->loop, t, 0);
}

/*
 * Forty connections with work ready at once: no turn runs much longer
 * than its budget, timers run between the turns, and every watch is
 * served within a few turns (the ones left over go first next turn).
 */
static void
net_loop__keeps_turns_short__with_many_busy_watches(void **state)
{
	struct busy ctx = {{0}, 0, NULL};
	struct busy_one one[BUSY_WATCHES];
	struct net_timer tick;
	int fds[BUSY_WATCHES][2];
	uint64_t t0, longest = 0, start = net_clock_ms();
	int i, turns = 0, served;

	(void)state;
	ctx.loop = net_loop_new();
	for (i = 0; i < BUSY_WATCHES; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		assert_int_equal(write(fds[i][1], "x", 1), 1);
		one[i].b = &ctx;
		one[i].i = i;
		net_loop_add_fd(ctx.loop, fds[i][0], POLLIN, busy_io, &one[i]);
	}
	net_timer_init(&tick, busy_tick, &ctx);
	net_timer_start(ctx.loop, &tick, 0);
	do {
		t0 = net_clock_ms();
		net_loop_run_once(ctx.loop, 100);
		if (net_clock_ms() - t0 > longest)
			longest = net_clock_ms() - t0;
		turns++;
		for (i = 0, served = 0; i < BUSY_WATCHES; i++)
			served += ctx.runs[i] > 0;
	} while (served < BUSY_WATCHES && turns < 100);
	printf("%d watches of %d ms each: longest turn %llu ms, all served "
	       "in %d turns (%llu ms), timer ran %d times\n",
	    BUSY_WATCHES, BUSY_MS, (unsigned long long)longest, turns,
	    (unsigned long long)(net_clock_ms() - start), ctx.ticks);
	assert_int_equal(served, BUSY_WATCHES);
	assert_true(longest < 20 + 4 * BUSY_MS + 40);
	assert_true(ctx.ticks >= turns - 1);
	net_timer_stop(ctx.loop, &tick);
	for (i = 0; i < BUSY_WATCHES; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	net_loop_free(ctx.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(net_loop__fires_timers__in_deadline_order),
	    cmocka_unit_test(net_loop__runs_again__without_events),
	    cmocka_unit_test(net_loop__delivers_signal__through_self_pipe),
	    cmocka_unit_test(
	        net_loop__runs_hook_and_deferred_frees__at_turn_end),
	    cmocka_unit_test(net_loop__watches_a_regular_file__as_always_ready),
	    cmocka_unit_test(
	        net_loop__skips_a_watch_removed_earlier_in_the_turn),
	    cmocka_unit_test(net_loop__reports_events_asked_for_later),
	    cmocka_unit_test(
	        net_loop__dispatches_to_the_right_watch__after_removals),
	    cmocka_unit_test(net_loop__uses_backend__named_by_environment),
	    cmocka_unit_test(
	        net_loop__keeps_turns_short__with_many_busy_watches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
