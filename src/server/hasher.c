/*
 * argon2id on worker threads (hasher.h). The queue and the list of
 * finished jobs are shared under one mutex; a job's owner is touched only
 * by the loop thread, so forgetting a job (its session closed) needs no
 * lock beyond taking a job that has not started off the queue. A finished
 * job wakes the loop through a pipe, as a signal does.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net/loop.h"
#include "net/sock.h"
#include "server/hasher.h"
#include "util/xmalloc.h"

#define HASH_MAX_PW 1024 /* PROTO_MAX_TEXT: a password's longest form */

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct server_hash_job {
	TAILQ_ENTRY(server_hash_job) entry;
	enum server_hash_kind kind;
	enum job_state state; /* under the mutex */
	void *owner; /* loop thread only; NULL once forgotten */
	bool ok;
	size_t pwlen;
	char pw[HASH_MAX_PW];
	char hash[crypto_pwhash_STRBYTES];
};

TAILQ_HEAD(hash_jobs, server_hash_job);

struct server_hasher {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hash_jobs queue, done;
	size_t njobs, cap; /* queued or running, and the most allowed */
	bool stopping;
	pthread_t *threads;
	unsigned nthreads;
	int pfd[2]; /* workers write a byte when a job is done */
	struct net_watch *w;
	server_hash_cb cb;
};

/* Wipe a job's secrets and free it. */
static void
job_free(struct server_hash_job *j)
{
	sodium_memzero(j, sizeof *j);
	free(j);
}

/* The work of one job, outside the lock. */
static void
job_run(struct server_hash_job *j)
{
	if (j->kind == SERVER_HASH_CHECK)
		j->ok = crypto_pwhash_str_verify(j->hash, j->pw, j->pwlen) == 0;
	else
		j->ok = crypto_pwhash_str(j->hash, j->pw, j->pwlen,
		            crypto_pwhash_OPSLIMIT_INTERACTIVE,
		            crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
	sodium_memzero(j->pw, sizeof j->pw);
}

/* A worker: take jobs until the hasher stops. */
static void *
hasher_worker(void *arg)
{
	struct server_hasher *h = arg;
	struct server_hash_job *j;
	char b = 1;

#ifdef __linux__
	/* Below the loop thread: honest traffic first, hashing after. */
	(void)!setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (TAILQ_EMPTY(&h->queue) && !h->stopping)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stopping)
			break;
		j = TAILQ_FIRST(&h->queue);
		TAILQ_REMOVE(&h->queue, j, entry);
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&h->mu);
		job_run(j);
		pthread_mutex_lock(&h->mu);
		j->state = JOB_DONE;
		h->njobs--;
		TAILQ_INSERT_TAIL(&h->done, j, entry);
		/* Full pipe: the loop has a wake-up pending already. */
		(void)!write(h->pfd[1], &b, 1);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Finished jobs: each result to its owner, on the loop thread. */
static void
hasher_ready(struct net_watch *w, short revents, void *arg)
{
	struct server_hasher *h = arg;
	struct hash_jobs done;
	struct server_hash_job *j;
	char buf[64];

	(void)revents;
	while (read(net_watch_fd(w), buf, sizeof buf) > 0)
		continue;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&h->mu);
	TAILQ_CONCAT(&done, &h->done, entry);
	pthread_mutex_unlock(&h->mu);
	/* An owner's callback may forget a later job of this list: it
	 * only clears that job's owner. */
	TAILQ_FOREACH(j, &done, entry)
	{
		if (j->owner != NULL)
			h->cb(j->owner, j->kind, j->ok, j->hash);
	}
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		job_free(j);
	}
}

/* Start the workers with every signal blocked: the loop takes those. */
static int
hasher_start(struct server_hasher *h, char *err, size_t errlen)
{
	sigset_t all, old;
	unsigned i;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < h->nthreads && rc == 0; i++) {
		rc = pthread_create(&h->threads[i], NULL, hasher_worker, h);
		if (rc != 0)
			snprintf(err, errlen, "password hashing thread: %s",
			    strerror(rc));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		h->nthreads = i - 1;
	return rc == 0 ? 0 : -1;
}

/*
 * A hasher with threads workers and room for queue jobs waiting beside
 * the running ones; cb gets each result on loop. NULL and err if the
 * threads or the pipe cannot be made.
 */
struct server_hasher *
server_hasher_new(struct net_loop *loop, unsigned threads, unsigned queue,
    server_hash_cb cb, char *err, size_t errlen)
{
	struct server_hasher *h;

	h = xcalloc(1, sizeof *h);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	TAILQ_INIT(&h->queue);
	TAILQ_INIT(&h->done);
	h->cap = (size_t)threads + queue;
	h->cb = cb;
	h->threads = xcalloc(threads, sizeof *h->threads);
	h->nthreads = threads;
	if (pipe(h->pfd) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		h->pfd[0] = h->pfd[1] = -1;
		h->nthreads = 0;
		server_hasher_free(h);
		return NULL;
	}
	net_set_nonblock(h->pfd[0]);
	net_set_nonblock(h->pfd[1]);
	h->w = net_loop_add_fd(loop, h->pfd[0], POLLIN, hasher_ready, h);
	if (hasher_start(h, err, errlen) != 0) {
		server_hasher_free(h);
		return NULL;
	}
	return h;
}

/* Stop the workers (a running hash ends first) and drop every job. */
void
server_hasher_free(struct server_hasher *h)
{
	struct server_hash_job *j;
	unsigned i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	for (i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	TAILQ_CONCAT(&h->done, &h->queue, entry);
	while ((j = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, j, entry);
		job_free(j);
	}
	net_watch_remove(h->w);
	if (h->pfd[0] != -1) {
		close(h->pfd[0]);
		close(h->pfd[1]);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->threads);
	free(h);
}

/*
 * Queue a job for owner: hash pw (SERVER_HASH_NEW) or check it against
 * hash (SERVER_HASH_CHECK). NULL when the queue is full (or pw longer
 * than any password): the caller asks the client to come back later.
 */
struct server_hash_job *
server_hasher_submit(struct server_hasher *h, enum server_hash_kind kind,
    const char *pw, size_t pwlen, const char *hash, void *owner)
{
	struct server_hash_job *j;

	if (pwlen > HASH_MAX_PW ||
	    (kind == SERVER_HASH_CHECK &&
	        strlen(hash) >= crypto_pwhash_STRBYTES))
		return NULL;
	pthread_mutex_lock(&h->mu);
	if (h->njobs >= h->cap) {
		pthread_mutex_unlock(&h->mu);
		return NULL;
	}
	h->njobs++;
	pthread_mutex_unlock(&h->mu);
	j = xcalloc(1, sizeof *j);
	j->kind = kind;
	j->owner = owner;
	j->pwlen = pwlen;
	memcpy(j->pw, pw, pwlen);
	if (kind == SERVER_HASH_CHECK)
		snprintf(j->hash, sizeof j->hash, "%s", hash);
	pthread_mutex_lock(&h->mu);
	j->state = JOB_QUEUED;
	TAILQ_INSERT_TAIL(&h->queue, j, entry);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return j;
}

/*
 * The job's owner is gone: its result will not be delivered. A job not
 * started yet leaves the queue at once; a running one ends unseen.
 */
void
server_hasher_forget(struct server_hasher *h, struct server_hash_job *j)
{
	if (j == NULL)
		return;
	j->owner = NULL;
	pthread_mutex_lock(&h->mu);
	if (j->state == JOB_QUEUED) {
		TAILQ_REMOVE(&h->queue, j, entry);
		h->njobs--;
	} else
		j = NULL;
	pthread_mutex_unlock(&h->mu);
	if (j != NULL)
		job_free(j);
}

/* Jobs queued or running. */
size_t
server_hasher_pending(struct server_hasher *h)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->njobs;
	pthread_mutex_unlock(&h->mu);
	return n;
}
