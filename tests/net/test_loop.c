#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(net_loop__fires_timers__in_deadline_order),
	    cmocka_unit_test(net_loop__delivers_signal__through_self_pipe),
	    cmocka_unit_test(
	        net_loop__runs_hook_and_deferred_frees__at_turn_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
