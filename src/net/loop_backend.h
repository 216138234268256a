/* SPDX-License-Identifier: MIT */
/*
 * Inside net/loop: what the loop shares with its two ways of waiting,
 * epoll (Linux) and poll() (any POSIX system). A backend keeps its own
 * record of the watched descriptors and, once per turn, waits and hands
 * back the watches that had events; the loop dispatches them, so both
 * backends skip a watch removed earlier in the turn the same way.
 */
#ifndef NET_LOOP_BACKEND_H
#define NET_LOOP_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"

struct net_watch {
	struct net_loop *loop;
	int fd;
	short events;
	size_t slot; /* the backend's index for this watch, if it keeps one */
	bool always; /* the backend refused the descriptor (epoll and a
	                regular file): always ready, as poll() would say */
	bool dead;
	bool flush_pending;
	bool again; /* asked to run next turn without waiting */
	bool due; /* asked last turn; runs this turn unless events did */
	bool carried; /* ready, left over from a turn out of budget */
	uint64_t turn; /* the last turn its callback ran in */
	net_io_cb io;
	net_flush_cb flush;
	void *arg;
};

/* A watch that had events in this turn's wait. */
struct net_ready {
	struct net_watch *w;
	short revents; /* POLLIN, POLLOUT, POLLERR, POLLHUP */
};

struct net_backend {
	const char *name;
	void *(*create)(void);
	void (*destroy)(void *);
	/* Start watching w->fd for w->events; -1 if the descriptor cannot
	 * be waited for and must be treated as always ready. */
	int (*add)(void *, struct net_watch *);
	void (*remove)(void *, struct net_watch *);
	/* w->events changed. */
	void (*modify)(void *, struct net_watch *);
	/* Wait at most timeout ms (-1: no limit); set *ready to the watches
	 * that had events and return how many, or -1 with errno set. */
	int (*wait)(void *, int, struct net_ready **);
};

#ifdef TERMGRAM_HAVE_EPOLL
extern const struct net_backend net_backend_epoll;
#endif
extern const struct net_backend net_backend_poll;

#endif
