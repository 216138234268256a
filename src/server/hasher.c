/* SPDX-License-Identifier: MIT */
/*
 * argon2id in a helper process (hasher.h). libsodium maps and fills
 * 64 MiB for every hash and unmaps it after; in the relay's own address
 * space that holds the memory map's lock for tens of milliseconds at a
 * time, and every mmap() or brk() of the loop waits for it (honest PINGs
 * stalled 250 ms in a password storm). So the hashing threads live in a
 * process of their own, forked before the relay starts any thread, that
 * takes jobs and returns results over a SOCK_SEQPACKET pair: one message
 * each way per job. The loop watches its end; a job's owner is touched
 * only by the loop, so forgetting a job only drops its result when it
 * comes back. The helper ends when the relay's end closes.
 *
 * The queue is the relay's, not the socket's: a job goes to the helper
 * only when a thread is free for it, and the waiting jobs take turns by
 * who asked (the client's address): one job of each in turn, those with
 * the fewest wrong passwords in a row first, so that a flood from many
 * addresses delays a login from another one by at most one check per
 * address waiting that has failed no more than it. When the queue is full, a job from
 * someone with fewer jobs waiting (or as many and fewer wrong passwords)
 * takes the place of the newest job of whoever has the most, whose owner
 * is told it was dropped unchecked: an address that keeps failing cannot
 * keep one that does not out of the queue.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net/loop.h"
#include "net/sock.h"
#include "server/hasher.h"
#include "util/map.h"
#include "util/xmalloc.h"

#define HASH_MAX_PW 1024 /* PROTO_MAX_TEXT: a password's longest form */

/* One job, or its result, on the wire between relay and helper. */
struct hash_msg {
	uint64_t id;
	int kind; /* enum server_hash_kind */
	int ok;
	size_t pwlen;
	char pw[HASH_MAX_PW];
	char hash[crypto_pwhash_STRBYTES];
};

TAILQ_HEAD(hash_jobs, server_hash_job);

/* Whoever asked for jobs that wait: their jobs, oldest first. */
struct hash_who {
	TAILQ_ENTRY(hash_who) turn; /* in the hasher's round */
	struct hash_jobs jobs;
	size_t n;
	unsigned fails; /* its wrong passwords, as it last said */
	size_t len;
	char name[];
};

struct server_hash_job {
	TAILQ_ENTRY(server_hash_job) entry; /* sent, or its who's */
	uint64_t id;
	enum server_hash_kind kind;
	void *owner; /* NULL once forgotten */
	struct hash_who *who; /* NULL once sent */
	struct hash_msg *m; /* what is sent, while it waits */
};

struct server_hasher {
	struct hash_jobs jobs; /* sent, not answered yet */
	size_t njobs, threads; /* and the most at once */
	TAILQ_HEAD(, hash_who) round; /* who has jobs waiting, in turn */
	struct util_map *whos; /* name -> hash_who */
	size_t nwait, cap; /* jobs waiting, and the most allowed */
	uint64_t next_id;
	int fd; /* the relay's end */
	pid_t pid; /* the helper */
	struct net_watch *w;
	server_hash_cb cb;
};

/* The work of one job. */
static void
hash_msg_run(struct hash_msg *m)
{
	if (m->kind == SERVER_HASH_CHECK)
		m->ok = crypto_pwhash_str_verify(m->hash, m->pw, m->pwlen) == 0;
	else
		m->ok = crypto_pwhash_str(m->hash, m->pw, m->pwlen,
		            crypto_pwhash_OPSLIMIT_INTERACTIVE,
		            crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
	sodium_memzero(m->pw, sizeof m->pw);
}

/* A helper thread: take jobs until the relay's end closes. */
static void *
helper_thread(void *arg)
{
	int fd = *(int *)arg;
	struct hash_msg m;
	ssize_t n;

	for (;;) {
		n = recv(fd, &m, sizeof m, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof m)
			break;
		hash_msg_run(&m);
		if (send(fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m)
			break;
	}
	sodium_memzero(&m, sizeof m);
	_exit(0);
	return NULL;
}

/*
 * The helper process: threads workers on fd, nothing else of the relay
 * (every other descriptor closed, signals from the terminal ignored).
 */
static void
helper_main(int fd, unsigned threads)
{
	pthread_t t;
	long i, max = sysconf(_SC_OPEN_MAX);

#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	/* Below the relay: its loop first, hashing after. */
	(void)!setpriority(PRIO_PROCESS, 0, 10);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 3; i < (max > 0 && max < 65536 ? max : 65536); i++)
		if (i != fd)
			close((int)i);
	for (i = 1; i < (long)threads; i++)
		if (pthread_create(&t, NULL, helper_thread, &fd) != 0)
			break;
	helper_thread(&fd);
}

/* Free a job and what it kept of a password. */
static void
job_free(struct server_hash_job *j)
{
	if (j->m != NULL) {
		sodium_memzero(j->m, sizeof *j->m);
		free(j->m);
	}
	free(j);
}

/* Take waiting j from its who; a who with none left leaves the round. */
static void
who_unlink(struct server_hasher *h, struct server_hash_job *j)
{
	struct hash_who *w = j->who;

	TAILQ_REMOVE(&w->jobs, j, entry);
	w->n--;
	h->nwait--;
	j->who = NULL;
	if (w->n == 0) {
		TAILQ_REMOVE(&h->round, w, turn);
		util_map_remove(h->whos, w->name, w->len);
		free(w);
	}
}

/*
 * Whose job goes next: of those with the fewest wrong passwords in a
 * row, the first in the round.
 */
static struct hash_who *
hasher_next(struct server_hasher *h)
{
	struct hash_who *w, *best = NULL;

	TAILQ_FOREACH(w, &h->round, turn)
	{
		if (best == NULL || w->fails < best->fails)
			best = w;
	}
	return best;
}

/*
 * Send waiting jobs while a thread is free for them: the first job of
 * the who whose turn it is, which then goes to the end of the round.
 */
static void
hasher_dispatch(struct server_hasher *h)
{
	struct server_hash_job *j;
	struct hash_who *w;
	bool more;

	while (h->njobs < h->threads && (w = hasher_next(h)) != NULL) {
		j = TAILQ_FIRST(&w->jobs);
		if (send(h->fd, j->m, sizeof *j->m,
		        MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof *j->m)
			return; /* tried again at the next result */
		more = w->n > 1;
		who_unlink(h, j);
		if (more) {
			TAILQ_REMOVE(&h->round, w, turn);
			TAILQ_INSERT_TAIL(&h->round, w, turn);
		}
		sodium_memzero(j->m, sizeof *j->m);
		free(j->m);
		j->m = NULL;
		TAILQ_INSERT_TAIL(&h->jobs, j, entry);
		h->njobs++;
	}
}

/*
 * Whether w's newest job is to go before o's: w has more waiting, or as
 * many and more wrong passwords, or the same and a newer job.
 */
static bool
who_worse(struct hash_who *w, struct hash_who *o)
{
	if (w->n != o->n)
		return w->n > o->n;
	if (w->fails != o->fails)
		return w->fails > o->fails;
	return TAILQ_LAST(&w->jobs, hash_jobs)->id >
	    TAILQ_LAST(&o->jobs, hash_jobs)->id;
}

/*
 * The queue is full and someone with mine jobs waiting and fails wrong
 * passwords asks for one more: drop the newest job of whoever has the
 * most waiting (then the most wrong passwords), if that is more than the
 * asker would have, or as many with more wrong passwords, and tell its
 * owner. Between equals the asker's job, the newest, is the one refused.
 * Whether there is room now.
 */
static bool
hasher_make_room(struct server_hasher *h, size_t mine, unsigned fails)
{
	struct hash_who *w, *most = NULL;
	struct server_hash_job *j;
	void *owner;
	enum server_hash_kind kind;

	TAILQ_FOREACH(w, &h->round, turn)
	{
		if (most == NULL || who_worse(w, most))
			most = w;
	}
	if (most == NULL || most->n < mine + 1 ||
	    (most->n == mine + 1 && most->fails <= fails))
		return false;
	j = TAILQ_LAST(&most->jobs, hash_jobs);
	owner = j->owner;
	kind = j->kind;
	who_unlink(h, j);
	job_free(j);
	if (owner != NULL)
		h->cb(owner, kind, false, NULL);
	return true;
}

/* Results: each to its owner, on the loop thread; then more jobs out. */
static void
hasher_ready(struct net_watch *w, short revents, void *arg)
{
	struct server_hasher *h = arg;
	struct server_hash_job *j;
	struct hash_msg m;
	ssize_t n;

	(void)revents;
	while ((n = recv(net_watch_fd(w), &m, sizeof m, MSG_DONTWAIT)) ==
	    (ssize_t)sizeof m) {
		TAILQ_FOREACH(j, &h->jobs, entry)
		{
			if (j->id == m.id)
				break;
		}
		if (j == NULL)
			continue;
		TAILQ_REMOVE(&h->jobs, j, entry);
		h->njobs--;
		if (j->owner != NULL)
			h->cb(j->owner, j->kind, m.ok != 0, m.hash);
		job_free(j);
	}
	sodium_memzero(&m, sizeof m);
	hasher_dispatch(h);
}

/*
 * A hasher with threads workers (in a helper process) and room for
 * queue jobs waiting beside the running ones; cb gets each result on
 * loop. Call it before the process starts any thread. NULL and err if
 * the helper cannot be made.
 */
struct server_hasher *
server_hasher_new(struct net_loop *loop, unsigned threads, unsigned queue,
    server_hash_cb cb, char *err, size_t errlen)
{
	struct server_hasher *h;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return NULL;
	}
	h = xcalloc(1, sizeof *h);
	TAILQ_INIT(&h->jobs);
	TAILQ_INIT(&h->round);
	h->whos = util_map_new();
	h->threads = threads > 0 ? threads : 1;
	h->cap = queue;
	h->cb = cb;
	h->fd = sv[0];
	fflush(NULL);
	if ((h->pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		util_map_free(h->whos);
		free(h);
		return NULL;
	}
	if (h->pid == 0) {
		close(sv[0]);
		helper_main(sv[1], (unsigned)h->threads);
	}
	close(sv[1]);
	net_set_nonblock(h->fd);
	h->w = net_loop_add_fd(loop, h->fd, POLLIN, hasher_ready, h);
	return h;
}

/* End the helper (a running hash ends first) and drop every job. */
void
server_hasher_free(struct server_hasher *h)
{
	struct server_hash_job *j;
	struct hash_who *w;

	if (h == NULL)
		return;
	net_watch_remove(h->w);
	close(h->fd);
	while (waitpid(h->pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	while ((j = TAILQ_FIRST(&h->jobs)) != NULL) {
		TAILQ_REMOVE(&h->jobs, j, entry);
		job_free(j);
	}
	while ((w = TAILQ_FIRST(&h->round)) != NULL) {
		j = TAILQ_FIRST(&w->jobs);
		who_unlink(h, j);
		job_free(j);
	}
	util_map_free(h->whos);
	free(h);
}

/*
 * Queue a job for owner, asked for by who (the client's address, which
 * gave fails wrong passwords in a row): hash pw (SERVER_HASH_NEW) or
 * check it against hash (SERVER_HASH_CHECK). With the queue full, the
 * newest job of whoever has the most waiting makes room if that is more
 * than who would have, or as many and more wrong passwords (its owner
 * gets the callback with no hash). NULL when there is no room (or pw is longer than any
 * password): the caller asks the client to come back later.
 */
struct server_hash_job *
server_hasher_submit(struct server_hasher *h, enum server_hash_kind kind,
    const char *pw, size_t pwlen, const char *hash, const char *who,
    unsigned fails, void *owner)
{
	struct server_hash_job *j;
	struct hash_who *w;
	size_t len = strlen(who), idle;

	if (pwlen > HASH_MAX_PW ||
	    (kind == SERVER_HASH_CHECK &&
	        strlen(hash) >= crypto_pwhash_STRBYTES))
		return NULL;
	w = util_map_get(h->whos, who, len);
	idle = h->njobs < h->threads ? h->threads - h->njobs : 0;
	if (h->nwait >= h->cap + idle &&
	    !hasher_make_room(h, w != NULL ? w->n : 0, fails))
		return NULL;
	j = xcalloc(1, sizeof *j);
	j->m = xcalloc(1, sizeof *j->m);
	j->id = j->m->id = ++h->next_id;
	j->kind = kind;
	j->owner = owner;
	j->m->kind = (int)kind;
	j->m->pwlen = pwlen;
	memcpy(j->m->pw, pw, pwlen);
	if (kind == SERVER_HASH_CHECK)
		snprintf(j->m->hash, sizeof j->m->hash, "%s", hash);
	if ((w = util_map_get(h->whos, who, len)) == NULL) {
		w = xcalloc(1, sizeof *w + len + 1);
		memcpy(w->name, who, len + 1);
		w->len = len;
		TAILQ_INIT(&w->jobs);
		util_map_set(h->whos, w->name, len, w);
		TAILQ_INSERT_TAIL(&h->round, w, turn);
	}
	TAILQ_INSERT_TAIL(&w->jobs, j, entry);
	w->fails = fails;
	j->who = w;
	w->n++;
	h->nwait++;
	hasher_dispatch(h);
	return j;
}

/*
 * The job's owner is gone: its result will not be delivered. A waiting
 * job leaves the queue at once; a running one keeps its thread until the
 * helper answers it.
 */
void
server_hasher_forget(struct server_hasher *h, struct server_hash_job *j)
{
	if (j == NULL)
		return;
	if (j->who != NULL) {
		who_unlink(h, j);
		job_free(j);
		return;
	}
	j->owner = NULL;
}

/* Jobs waiting or running. */
size_t
server_hasher_pending(struct server_hasher *h)
{
	return h->njobs + h->nwait;
}
