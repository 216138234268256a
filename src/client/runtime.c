/* SPDX-License-Identifier: MIT */
#include <poll.h>
#include <stdlib.h>

#include "client/runtime.h"
#include "net/loop.h"
#include "util/xmalloc.h"

#define RT_MAX 16

struct rt_hook {
	struct client_rt *rt;
	client_rt_cb cb;
	client_rt_sig_cb sig;
	void *arg;
	unsigned every;
	struct net_timer timer;
};

struct client_rt {
	struct net_loop *loop;
	struct rt_hook hooks[RT_MAX];
	int n;
};

/* A new loop. */
struct client_rt *
client_rt_new(void)
{
	struct client_rt *rt;

	rt = xcalloc(1, sizeof *rt);
	rt->loop = net_loop_new();
	return rt;
}

/* Stop its timers and free it. */
void
client_rt_free(struct client_rt *rt)
{
	int i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->n; i++)
		net_timer_stop(rt->loop, &rt->hooks[i].timer);
	net_loop_free(rt->loop);
	free(rt);
}

/* The loop, for the client core. */
struct net_loop *
client_rt_loop(struct client_rt *rt)
{
	return rt->loop;
}

static struct rt_hook *
rt_hook_new(struct client_rt *rt, void *arg)
{
	struct rt_hook *h;

	if (rt->n == RT_MAX)
		abort();
	h = &rt->hooks[rt->n++];
	h->rt = rt;
	h->arg = arg;
	return h;
}

static void
rt_input(struct net_watch *w, short revents, void *arg)
{
	struct rt_hook *h = arg;

	(void)w;
	(void)revents;
	h->cb(h->arg);
}

/* Call cb whenever fd has input. */
int
client_rt_watch_input(struct client_rt *rt, int fd, client_rt_cb cb, void *arg)
{
	struct rt_hook *h = rt_hook_new(rt, arg);

	h->cb = cb;
	net_loop_add_fd(rt->loop, fd, POLLIN, rt_input, h);
	return 0;
}

static void
rt_timer(struct net_timer *t, void *arg)
{
	struct rt_hook *h = arg;

	net_timer_start(h->rt->loop, t, h->every);
	h->cb(h->arg);
}

/* Call cb every ms milliseconds. */
int
client_rt_every(struct client_rt *rt, unsigned ms, client_rt_cb cb, void *arg)
{
	struct rt_hook *h = rt_hook_new(rt, arg);

	h->cb = cb;
	h->every = ms;
	net_timer_init(&h->timer, rt_timer, h);
	net_timer_start(rt->loop, &h->timer, ms);
	return 0;
}

static void
rt_signal(struct net_loop *loop, int sig, void *arg)
{
	struct rt_hook *h = arg;

	(void)loop;
	h->sig(sig, h->arg);
}

/* Call cb from the loop (not from a handler) when sig arrives. */
int
client_rt_signal(struct client_rt *rt, int sig, client_rt_sig_cb cb, void *arg)
{
	struct rt_hook *h = rt_hook_new(rt, arg);

	h->sig = cb;
	return net_loop_signal(rt->loop, sig, rt_signal, h);
}

/* One turn of the loop, waiting at most max_wait ms (-1: no limit). */
int
client_rt_run_once(struct client_rt *rt, int max_wait)
{
	return net_loop_run_once(rt->loop, max_wait);
}

/* Monotonic milliseconds. */
uint64_t
client_rt_now_ms(void)
{
	return net_clock_ms();
}
