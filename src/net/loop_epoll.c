/* SPDX-License-Identifier: MIT */
/*
 * The loop's epoll backend, the default on Linux: epoll_wait() returns
 * only the descriptors that have events, where poll() hands the kernel
 * every descriptor on every turn; with a thousand mostly quiet sessions
 * that difference was most of a core (docs/performance.md).
 */
#include <sys/epoll.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "net/loop_backend.h"
#include "util/xmalloc.h"

struct net_epoll {
	int ep;
	size_t nfd; /* descriptors registered */
	struct epoll_event *ev;
	size_t capev;
	struct net_ready *ready;
	size_t capready;
};

static uint32_t
net_epoll_from_poll(short events)
{
	return (events & POLLIN ? EPOLLIN : 0) |
	    (events & POLLOUT ? EPOLLOUT : 0);
}

static short
net_epoll_to_poll(uint32_t events)
{
	return (short)((events & EPOLLIN ? POLLIN : 0) |
	    (events & EPOLLOUT ? POLLOUT : 0) |
	    (events & EPOLLERR ? POLLERR : 0) |
	    (events & EPOLLHUP ? POLLHUP : 0));
}

/* A new epoll instance. */
static void *
net_epoll_create(void)
{
	struct net_epoll *e;

	e = xcalloc(1, sizeof *e);
	if ((e->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	return e;
}

/* Close the instance. */
static void
net_epoll_destroy(void *be)
{
	struct net_epoll *e = be;

	close(e->ep);
	free(e->ev);
	free(e->ready);
	free(e);
}

/* Register the descriptor; epoll refuses regular files with EPERM. */
static int
net_epoll_add(void *be, struct net_watch *w)
{
	struct net_epoll *e = be;
	struct epoll_event ev = {
	    .events = net_epoll_from_poll(w->events), .data.ptr = w};

	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, w->fd, &ev) == -1) {
		if (errno != EPERM)
			err(1, "epoll_ctl");
		return -1;
	}
	e->nfd++;
	return 0;
}

/* Unregister the descriptor. */
static void
net_epoll_remove(void *be, struct net_watch *w)
{
	struct net_epoll *e = be;

	epoll_ctl(e->ep, EPOLL_CTL_DEL, w->fd, NULL);
	e->nfd--;
}

/* Follow a change of the events asked for. */
static void
net_epoll_modify(void *be, struct net_watch *w)
{
	struct net_epoll *e = be;
	struct epoll_event ev = {
	    .events = net_epoll_from_poll(w->events), .data.ptr = w};

	epoll_ctl(e->ep, EPOLL_CTL_MOD, w->fd, &ev);
}

/* One epoll_wait(), room for every registered descriptor at once. */
static int
net_epoll_wait(void *be, int timeout, struct net_ready **ready)
{
	struct net_epoll *e = be;
	int i, rc;

	XGROW(e->ev, e->capev, e->nfd + 1, 64);
	rc = epoll_wait(e->ep, e->ev, (int)e->capev, timeout);
	if (rc <= 0)
		return rc;
	XGROW(e->ready, e->capready, (size_t)rc, 64);
	for (i = 0; i < rc; i++) {
		e->ready[i].w = e->ev[i].data.ptr;
		e->ready[i].revents = net_epoll_to_poll(e->ev[i].events);
	}
	*ready = e->ready;
	return rc;
}

const struct net_backend net_backend_epoll = {
    .name = "epoll",
    .create = net_epoll_create,
    .destroy = net_epoll_destroy,
    .add = net_epoll_add,
    .remove = net_epoll_remove,
    .modify = net_epoll_modify,
    .wait = net_epoll_wait,
};
