/* SPDX-License-Identifier: MIT */
/*
 * The event loop shared by relay and client (level-triggered, in poll()'s
 * vocabulary): file descriptor watches, timers on the monotonic clock,
 * signals through a self-pipe, and an end-of-turn sequence (turn hook,
 * pending flushes, deferred frees) so that work of one turn is batched:
 * the relay commits its store in the hook, then the flushes send what the
 * turn produced.
 *
 * It waits with epoll where the system has it and with poll() elsewhere.
 * The environment variable TERMGRAM_LOOP=poll makes a loop created while
 * it is set use poll() on Linux too (any other value: the default), so
 * the tests run the loop both ways.
 */
#ifndef NET_LOOP_H
#define NET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_loop;
struct net_watch;
struct net_timer;

typedef void (*net_io_cb)(struct net_watch *, short, void *);
typedef void (*net_flush_cb)(struct net_watch *, void *);
typedef void (*net_timer_cb)(struct net_timer *, void *);
typedef void (*net_hook_cb)(struct net_loop *, void *);
typedef void (*net_signal_cb)(struct net_loop *, int, void *);
typedef void (*net_free_cb)(void *);

/* A timer lives in caller storage; the loop keeps it in a heap. */
struct net_timer {
	uint64_t when;
	uint64_t seq;
	size_t slot; /* index in the heap while active */
	bool active;
	net_timer_cb cb;
	void *arg;
};

uint64_t net_clock_ms(void);

struct net_loop *net_loop_new(void);
void net_loop_free(struct net_loop *);
const char *net_loop_backend(const struct net_loop *);
int net_loop_run(struct net_loop *);
int net_loop_run_once(struct net_loop *, int);
void net_loop_stop(struct net_loop *);
bool net_loop_is_stopped(struct net_loop *);
uint64_t net_loop_now(struct net_loop *);
void net_loop_set_turn_hook(struct net_loop *, net_hook_cb, void *);
void net_loop_defer_free(struct net_loop *, net_free_cb, void *);
int net_loop_signal(struct net_loop *, int, net_signal_cb, void *);

struct net_watch *net_loop_add_fd(
    struct net_loop *, int, short, net_io_cb, void *);
void net_watch_remove(struct net_watch *);
void net_watch_set_events(struct net_watch *, short);
short net_watch_events(const struct net_watch *);
int net_watch_fd(const struct net_watch *);
void net_watch_set_flush(struct net_watch *, net_flush_cb);
void net_watch_want_flush(struct net_watch *);
void net_watch_want_again(struct net_watch *);
struct net_loop *net_watch_loop(const struct net_watch *);

void net_timer_init(struct net_timer *, net_timer_cb, void *);
void net_timer_start(struct net_loop *, struct net_timer *, uint64_t);
void net_timer_stop(struct net_loop *, struct net_timer *);
bool net_timer_is_active(const struct net_timer *);

#endif
