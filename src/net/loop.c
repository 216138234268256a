/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one wait per turn, timers in a binary heap, end-of-turn
 * flushes and deferred frees. The wait is epoll on Linux and poll()
 * elsewhere (loop_epoll.c, loop_poll.c); TERMGRAM_LOOP=poll in the
 * environment picks poll() on Linux too, so the tests run both. Watches
 * keep poll()'s vocabulary (POLLIN, POLLOUT, level-triggered) whichever
 * backend waits.
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/loop.h"
#include "net/loop_backend.h"
#include "net/sock.h"
#include "util/xmalloc.h"

struct net_deferred {
	net_free_cb fn;
	void *p;
};

#define NET_MAX_SIGNALS 8

/*
 * How long one turn may run callbacks before the rest of the ready
 * watches wait for the next turn (which does not wait): no burst of work
 * on some connections delays the others, or the timers, by more.
 */
#define NET_TURN_BUDGET_MS 20

struct net_sighandler {
	int signo;
	net_signal_cb cb;
	void *arg;
};

struct net_loop {
	struct net_watch **w;
	size_t nw, capw;
	const struct net_backend *be;
	void *bed; /* the backend's data */
	size_t nalways;
	bool dead_watches;

	struct net_watch **flush;
	size_t nflush, capflush;

	struct net_watch **again, **due; /* next turn's, this turn's */
	size_t nagain, capagain, ndue, capdue;

	/* Watches that were ready in a turn that ran out of its budget:
	 * the next turn serves them first, without waiting. */
	struct net_ready *carry, *carrying;
	size_t ncarry, capcarry, ncarrying, capcarrying;
	uint64_t turn, turn_start;

	struct net_deferred *defer;
	size_t ndefer, capdefer;

	struct net_timer **heap;
	size_t nheap, capheap;
	uint64_t timer_seq;

	net_hook_cb hook;
	void *hook_arg;

	struct net_sighandler sig[NET_MAX_SIGNALS];
	size_t nsig;
	struct net_watch *sigw;

	uint64_t now;
	bool stopped;
};

/*
 * The self-pipe: a signal handler may only write a byte. It is process-wide
 * because signal dispositions are; the loop that installed it reads it.
 */
static int net_sigpipe[2] = {-1, -1};

/* Milliseconds on the monotonic clock: the one clock of the program. */
uint64_t
net_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The backend: epoll where the system has it, unless TERMGRAM_LOOP says
 * poll (tests run the loop both ways); poll() everywhere else.
 */
static const struct net_backend *
net_loop_pick_backend(void)
{
#ifdef TERMGRAM_HAVE_EPOLL
	const char *env = getenv("TERMGRAM_LOOP");

	if (env != NULL && strcmp(env, "poll") == 0)
		return &net_backend_poll;
	return &net_backend_epoll;
#else
	return &net_backend_poll;
#endif
}

/* Create an empty loop. */
struct net_loop *
net_loop_new(void)
{
	struct net_loop *loop;

	loop = xcalloc(1, sizeof *loop);
	loop->now = net_clock_ms();
	loop->be = net_loop_pick_backend();
	loop->bed = loop->be->create();
	return loop;
}

/* The name of the backend that waits: "epoll" or "poll". */
const char *
net_loop_backend(const struct net_loop *loop)
{
	return loop->be->name;
}

static void
net_loop_run_deferred(struct net_loop *loop)
{
	size_t i;

	/* A free may defer another; run until none is left. */
	for (i = 0; i < loop->ndefer; i++)
		loop->defer[i].fn(loop->defer[i].p);
	loop->ndefer = 0;
}

static void
net_loop_sweep_watches(struct net_loop *loop)
{
	size_t i, j = 0;

	if (!loop->dead_watches)
		return;
	for (i = 0; i < loop->nw; i++) {
		if (loop->w[i]->dead)
			free(loop->w[i]);
		else
			loop->w[j++] = loop->w[i];
	}
	loop->nw = j;
	loop->dead_watches = false;
}

/* Free the loop and its watches; the caller has closed its own objects. */
void
net_loop_free(struct net_loop *loop)
{
	size_t i;

	if (loop == NULL)
		return;
	net_loop_run_deferred(loop);
	for (i = 0; i < loop->nw; i++)
		free(loop->w[i]);
	if (loop->nsig > 0) {
		for (i = 0; i < loop->nsig; i++)
			signal(loop->sig[i].signo, SIG_DFL);
		close(net_sigpipe[0]);
		close(net_sigpipe[1]);
		net_sigpipe[0] = net_sigpipe[1] = -1;
	}
	loop->be->destroy(loop->bed);
	free(loop->w);
	free(loop->flush);
	free(loop->again);
	free(loop->due);
	free(loop->carry);
	free(loop->carrying);
	free(loop->defer);
	free(loop->heap);
	free(loop);
}

/* The time at the start of this loop turn (and again before its timers). */
uint64_t
net_loop_now(struct net_loop *loop)
{
	return loop->now;
}

/* Make net_loop_run() return after the current turn. */
void
net_loop_stop(struct net_loop *loop)
{
	loop->stopped = true;
}

/* Whether net_loop_stop() was called. */
bool
net_loop_is_stopped(struct net_loop *loop)
{
	return loop->stopped;
}

/* Call cb at the end of every turn, before output is flushed. */
void
net_loop_set_turn_hook(struct net_loop *loop, net_hook_cb cb, void *arg)
{
	loop->hook = cb;
	loop->hook_arg = arg;
}

/* Call fn(p) at the end of this turn, when no callback can still use p. */
void
net_loop_defer_free(struct net_loop *loop, net_free_cb fn, void *p)
{
	XGROW(loop->defer, loop->capdefer, loop->ndefer + 1, 16);
	loop->defer[loop->ndefer].fn = fn;
	loop->defer[loop->ndefer].p = p;
	loop->ndefer++;
}

/* Watch fd for events (POLLIN, POLLOUT); io is called when they occur. */
struct net_watch *
net_loop_add_fd(
    struct net_loop *loop, int fd, short events, net_io_cb io, void *arg)
{
	struct net_watch *w;

	w = xcalloc(1, sizeof *w);
	w->loop = loop;
	w->fd = fd;
	w->events = events;
	w->io = io;
	w->arg = arg;
	if (loop->be->add(loop->bed, w) == -1) {
		w->always = true;
		loop->nalways++;
	}
	XGROW(loop->w, loop->capw, loop->nw + 1, 64);
	loop->w[loop->nw++] = w;
	return w;
}

/* Take a removed watch off the list of those to run next turn. */
static void
net_watch_drop_again(struct net_watch *w)
{
	struct net_loop *loop = w->loop;
	size_t i;

	for (i = 0; i < loop->nagain; i++) {
		if (loop->again[i] == w) {
			loop->again[i] = loop->again[--loop->nagain];
			break;
		}
	}
	w->again = false;
}

/* Take a removed watch off the list of those left over for next turn. */
static void
net_watch_drop_carried(struct net_watch *w)
{
	struct net_loop *loop = w->loop;
	size_t i;

	for (i = 0; i < loop->ncarry; i++) {
		if (loop->carry[i].w == w) {
			loop->carry[i] = loop->carry[--loop->ncarry];
			break;
		}
	}
	w->carried = false;
}

/* Stop watching; the watch is freed at the end of the turn. */
void
net_watch_remove(struct net_watch *w)
{
	if (w == NULL || w->dead)
		return;
	w->dead = true;
	w->loop->dead_watches = true;
	if (w->again)
		net_watch_drop_again(w);
	if (w->carried)
		net_watch_drop_carried(w);
	if (w->always)
		w->loop->nalways--;
	else
		w->loop->be->remove(w->loop->bed, w);
}

/* Change what the watch waits for. */
void
net_watch_set_events(struct net_watch *w, short events)
{
	if (w->events == events || w->dead)
		return;
	w->events = events;
	if (!w->always)
		w->loop->be->modify(w->loop->bed, w);
}

/* What the watch waits for. */
short
net_watch_events(const struct net_watch *w)
{
	return w->events;
}

/* The watched descriptor. */
int
net_watch_fd(const struct net_watch *w)
{
	return w->fd;
}

/* The loop a watch belongs to. */
struct net_loop *
net_watch_loop(const struct net_watch *w)
{
	return w->loop;
}

/* Set the callback that net_watch_want_flush() schedules. */
void
net_watch_set_flush(struct net_watch *w, net_flush_cb cb)
{
	w->flush = cb;
}

/* Ask for the flush callback once at the end of this turn. */
void
net_watch_want_flush(struct net_watch *w)
{
	struct net_loop *loop = w->loop;

	if (w->flush_pending || w->dead || w->flush == NULL)
		return;
	w->flush_pending = true;
	XGROW(loop->flush, loop->capflush, loop->nflush + 1, 64);
	loop->flush[loop->nflush++] = w;
}

/*
 * Run the watch's io callback in the next turn as if its descriptor were
 * readable, without waiting: for input a library holds that the
 * descriptor does not show (TLS records already decrypted).
 */
void
net_watch_want_again(struct net_watch *w)
{
	struct net_loop *loop = w->loop;

	if (w->again || w->dead)
		return;
	w->again = true;
	XGROW(loop->again, loop->capagain, loop->nagain + 1, 16);
	loop->again[loop->nagain++] = w;
}

/* The watches asked for in the last turn become this turn's. */
static void
net_loop_take_again(struct net_loop *loop)
{
	size_t i;

	if (loop->nagain == 0)
		return;
	XGROW(loop->due, loop->capdue, loop->nagain, 16);
	for (i = 0; i < loop->nagain; i++) {
		loop->due[i] = loop->again[i];
		loop->due[i]->again = false;
		loop->due[i]->due = true;
	}
	loop->ndue = loop->nagain;
	loop->nagain = 0;
}

/* Whether this turn has used up its time. */
static bool
net_loop_over_budget(const struct net_loop *loop)
{
	return net_clock_ms() - loop->turn_start >= NET_TURN_BUDGET_MS;
}

/* Leave a ready watch for the next turn, which will not wait. */
static void
net_loop_carry(struct net_loop *loop, struct net_watch *w, short revents)
{
	if (w->dead || w->carried)
		return;
	w->carried = true;
	XGROW(loop->carry, loop->capcarry, loop->ncarry + 1, 16);
	loop->carry[loop->ncarry].w = w;
	loop->carry[loop->ncarry].revents = revents;
	loop->ncarry++;
}

/*
 * Run one watch's callback for this turn, once, while the turn has time
 * left; past its budget the watch waits for the next turn.
 */
static void
net_loop_dispatch(struct net_loop *loop, struct net_watch *w, short revents)
{
	w->due = false;
	if (w->dead || w->turn == loop->turn)
		return;
	if (net_loop_over_budget(loop)) {
		net_loop_carry(loop, w, revents);
		return;
	}
	w->turn = loop->turn;
	w->io(w, revents, w->arg);
}

/* The watches left over by the last turn go first in this one. */
static void
net_loop_run_carried(struct net_loop *loop)
{
	struct net_ready *tmp;
	size_t i, cap;

	if (loop->ncarry == 0)
		return;
	tmp = loop->carrying;
	cap = loop->capcarrying;
	loop->carrying = loop->carry;
	loop->capcarrying = loop->capcarry;
	loop->ncarrying = loop->ncarry;
	loop->carry = tmp;
	loop->capcarry = cap;
	loop->ncarry = 0;
	for (i = 0; i < loop->ncarrying; i++)
		loop->carrying[i].w->carried = false;
	for (i = 0; i < loop->ncarrying; i++)
		net_loop_dispatch(
		    loop, loop->carrying[i].w, loop->carrying[i].revents);
	loop->ncarrying = 0;
}

/* Run the watches asked for that had no events of their own this turn. */
static void
net_loop_run_due(struct net_loop *loop)
{
	struct net_watch *w;
	size_t i;

	for (i = 0; i < loop->ndue; i++) {
		w = loop->due[i];
		if (w->due)
			net_loop_dispatch(loop, w, POLLIN);
		w->due = false;
	}
	loop->ndue = 0;
}

/* Prepare a timer that calls cb(timer, arg) when it fires. */
void
net_timer_init(struct net_timer *t, net_timer_cb cb, void *arg)
{
	memset(t, 0, sizeof *t);
	t->cb = cb;
	t->arg = arg;
}

/* Whether the timer is waiting to fire. */
bool
net_timer_is_active(const struct net_timer *t)
{
	return t->active;
}

static bool
timer_before(const struct net_timer *a, const struct net_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->seq < b->seq;
}

static void
heap_set(struct net_loop *loop, size_t i, struct net_timer *t)
{
	loop->heap[i] = t;
	t->slot = i;
}

static void
heap_up(struct net_loop *loop, size_t i)
{
	struct net_timer *t = loop->heap[i];

	while (i > 0 && timer_before(t, loop->heap[(i - 1) / 2])) {
		heap_set(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(loop, i, t);
}

static void
heap_down(struct net_loop *loop, size_t i)
{
	struct net_timer *t = loop->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= loop->nheap)
			break;
		if (c + 1 < loop->nheap &&
		    timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

/* Fire the timer delay milliseconds from now; restarts it if active. */
void
net_timer_start(struct net_loop *loop, struct net_timer *t, uint64_t delay)
{
	if (t->active)
		net_timer_stop(loop, t);
	t->when = net_clock_ms() + delay;
	t->seq = loop->timer_seq++;
	XGROW(loop->heap, loop->capheap, loop->nheap + 1, 64);
	t->active = true;
	heap_set(loop, loop->nheap++, t);
	heap_up(loop, t->slot);
}

/* Cancel the timer; harmless if it is not active. */
void
net_timer_stop(struct net_loop *loop, struct net_timer *t)
{
	size_t i;

	if (!t->active)
		return;
	t->active = false;
	i = t->slot;
	loop->nheap--;
	if (i == loop->nheap)
		return;
	heap_set(loop, i, loop->heap[loop->nheap]);
	heap_down(loop, i);
	heap_up(loop, loop->heap[i]->slot);
}

/*
 * Fire the timers that are due; one started again meanwhile (even with
 * no delay) waits for the next turn rather than spin in this one.
 */
static void
net_loop_run_timers(struct net_loop *loop)
{
	struct net_timer *t;
	uint64_t now = net_clock_ms(), seq = loop->timer_seq;

	while (loop->nheap > 0 && loop->heap[0]->when <= now &&
	    loop->heap[0]->seq < seq) {
		t = loop->heap[0];
		net_timer_stop(loop, t);
		t->cb(t, t->arg);
	}
}

static void
net_sig_handler(int signo)
{
	unsigned char b = (unsigned char)signo;
	int saved = errno;

	if (net_sigpipe[1] != -1)
		(void)!write(net_sigpipe[1], &b, 1);
	errno = saved;
}

static void
net_sig_read(struct net_watch *w, short revents, void *arg)
{
	struct net_loop *loop = arg;
	unsigned char b[32];
	ssize_t n, i;
	size_t k;

	(void)revents;
	while ((n = read(net_watch_fd(w), b, sizeof b)) > 0) {
		for (i = 0; i < n; i++) {
			for (k = 0; k < loop->nsig; k++) {
				if (loop->sig[k].signo == b[i])
					loop->sig[k].cb(
					    loop, b[i], loop->sig[k].arg);
			}
		}
	}
}

/* Call cb from the loop (not from the handler) when signo arrives. */
int
net_loop_signal(struct net_loop *loop, int signo, net_signal_cb cb, void *arg)
{
	struct sigaction sa;

	size_t i;

	/* Registering a signal again replaces its callback and reinstalls
	 * the handler (after a caller reset it to stop, say). */
	for (i = 0; i < loop->nsig; i++) {
		if (loop->sig[i].signo == signo)
			break;
	}
	if (i == NET_MAX_SIGNALS)
		return -1;
	if (net_sigpipe[0] == -1) {
		if (pipe(net_sigpipe) == -1)
			return -1;
		net_set_nonblock(net_sigpipe[0]);
		net_set_nonblock(net_sigpipe[1]);
		loop->sigw = net_loop_add_fd(
		    loop, net_sigpipe[0], POLLIN, net_sig_read, loop);
	}
	loop->sig[i].signo = signo;
	loop->sig[i].cb = cb;
	loop->sig[i].arg = arg;
	if (i == loop->nsig)
		loop->nsig++;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = net_sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(signo, &sa, NULL);
}

/* End of a turn: hook, flushes, deferred frees, in that order. */
static void
net_loop_end_turn(struct net_loop *loop)
{
	struct net_watch *w;
	size_t i;

	if (loop->hook != NULL)
		loop->hook(loop, loop->hook_arg);
	/* A flush may schedule another (a close after flush); loop on. */
	for (i = 0; i < loop->nflush; i++) {
		w = loop->flush[i];
		w->flush_pending = false;
		if (!w->dead)
			w->flush(w, w->arg);
	}
	loop->nflush = 0;
	net_loop_run_deferred(loop);
	net_loop_sweep_watches(loop);
}

/* The time the next wait may last: none while work is left over. */
static int
net_loop_timeout(struct net_loop *loop, int max_wait)
{
	uint64_t now = net_clock_ms(), due;
	int timeout = max_wait, t;

	if (loop->nheap > 0) {
		due = loop->heap[0]->when;
		t = due <= now
		    ? 0
		    : (due - now > 86400000 ? 86400000 : (int)(due - now));
		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	if (loop->nflush > 0 || loop->ndefer > 0 || loop->nalways > 0 ||
	    loop->nagain > 0 || loop->ncarry > 0)
		timeout = 0;
	return timeout;
}

/*
 * One turn: wait at most max_wait ms (-1: until something happens) for
 * descriptors and timers, dispatch, then end the turn. Callbacks run
 * while the turn is within its budget (NET_TURN_BUDGET_MS); the watches
 * left are served first in the next turn. The turn's output is flushed
 * before the timers run, so a timer never judges a connection by output
 * that a long turn had not yet written (a close's linger, a sweep).
 * Returns the number of descriptors that had events, or -1 on a poll
 * error.
 */
int
net_loop_run_once(struct net_loop *loop, int max_wait)
{
	struct net_ready *ready = NULL;
	struct net_watch *w;
	size_t i, n;
	int timeout, rc;

	net_loop_end_turn(loop);
	timeout = net_loop_timeout(loop, max_wait);
	net_loop_take_again(loop);

	rc = loop->be->wait(loop->bed, timeout, &ready);
	loop->now = loop->turn_start = net_clock_ms();
	loop->turn++;
	if (rc == -1) {
		if (errno != EINTR)
			return -1;
		rc = 0;
	}
	net_loop_run_carried(loop);
	/* A watch removed by an earlier callback of this turn is marked
	 * dead and freed only at the end of the turn. */
	for (i = 0; i < (size_t)rc; i++)
		net_loop_dispatch(loop, ready[i].w, ready[i].revents);
	net_loop_run_due(loop);
	for (i = 0, n = loop->nw; i < n && loop->nalways > 0; i++) {
		w = loop->w[i];
		if (w->always && !w->dead && (w->events & (POLLIN | POLLOUT)))
			w->io(w, w->events & (POLLIN | POLLOUT), w->arg);
	}
	net_loop_end_turn(loop);
	loop->now = net_clock_ms();
	net_loop_run_timers(loop);
	net_loop_end_turn(loop);
	return rc;
}

/* Run turns until net_loop_stop(); 0, or -1 if the wait failed. */
int
net_loop_run(struct net_loop *loop)
{
	while (!loop->stopped) {
		if (net_loop_run_once(loop, -1) == -1)
			return -1;
	}
	net_loop_end_turn(loop);
	return 0;
}
