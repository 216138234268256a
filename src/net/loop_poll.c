/* SPDX-License-Identifier: MIT */
/*
 * The loop's poll() backend, for systems without epoll (and for tests of
 * the loop on Linux, TERMGRAM_LOOP=poll). The pollfd array is kept up to
 * date as watches come and go, so a turn is one poll() and one pass over
 * the array; a removed watch's slot is filled by the last one.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "net/loop_backend.h"
#include "util/xmalloc.h"

struct net_poll {
	struct pollfd *pfd;
	struct net_watch **w; /* the watch of each pollfd */
	size_t n, cap, capw;
	struct net_ready *ready;
	size_t capready;
};

/* An empty set of descriptors. */
static void *
net_poll_create(void)
{
	return xcalloc(1, sizeof(struct net_poll));
}

/* Free the set. */
static void
net_poll_destroy(void *be)
{
	struct net_poll *p = be;

	free(p->pfd);
	free(p->w);
	free(p->ready);
	free(p);
}

/* Append the descriptor; poll() takes any, a regular file is ready. */
static int
net_poll_add(void *be, struct net_watch *w)
{
	struct net_poll *p = be;

	XGROW(p->pfd, p->cap, p->n + 1, 64);
	XGROW(p->w, p->capw, p->n + 1, 64);
	p->pfd[p->n].fd = w->fd;
	p->pfd[p->n].events = w->events & (POLLIN | POLLOUT);
	p->pfd[p->n].revents = 0;
	p->w[p->n] = w;
	w->slot = p->n++;
	return 0;
}

/* Drop the descriptor; the last one moves into its slot. */
static void
net_poll_remove(void *be, struct net_watch *w)
{
	struct net_poll *p = be;
	size_t i = w->slot;

	p->n--;
	if (i != p->n) {
		p->pfd[i] = p->pfd[p->n];
		p->w[i] = p->w[p->n];
		p->w[i]->slot = i;
	}
}

/* Follow a change of the events asked for. */
static void
net_poll_modify(void *be, struct net_watch *w)
{
	struct net_poll *p = be;

	p->pfd[w->slot].events = w->events & (POLLIN | POLLOUT);
}

/*
 * One poll(). POLLNVAL (a descriptor closed while still watched) is
 * reported as POLLERR, so the owner sees an error instead of the loop
 * spinning on it.
 */
static int
net_poll_wait(void *be, int timeout, struct net_ready **ready)
{
	struct net_poll *p = be;
	size_t i;
	int rc, k = 0;
	short re;

	rc = poll(p->pfd, (nfds_t)p->n, timeout);
	if (rc <= 0)
		return rc;
	XGROW(p->ready, p->capready, (size_t)rc, 64);
	for (i = 0; i < p->n && k < rc; i++) {
		if ((re = p->pfd[i].revents) == 0)
			continue;
		if (re & POLLNVAL)
			re |= POLLERR;
		p->ready[k].w = p->w[i];
		p->ready[k].revents =
		    re & (POLLIN | POLLOUT | POLLERR | POLLHUP);
		k++;
	}
	*ready = p->ready;
	return k;
}

const struct net_backend net_backend_poll = {
    .name = "poll",
    .create = net_poll_create,
    .destroy = net_poll_destroy,
    .add = net_poll_add,
    .remove = net_poll_remove,
    .modify = net_poll_modify,
    .wait = net_poll_wait,
};
