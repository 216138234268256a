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

struct server_hash_job {
	TAILQ_ENTRY(server_hash_job) entry;
	uint64_t id;
	enum server_hash_kind kind;
	void *owner; /* NULL once forgotten */
};

TAILQ_HEAD(hash_jobs, server_hash_job);

struct server_hasher {
	struct hash_jobs jobs; /* sent, not answered yet */
	size_t njobs, cap; /* and the most allowed */
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

/* Results: each to its owner, on the loop thread. */
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
		free(j);
	}
	sodium_memzero(&m, sizeof m);
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
	h->cap = (size_t)threads + queue;
	h->cb = cb;
	h->fd = sv[0];
	fflush(NULL);
	if ((h->pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(h);
		return NULL;
	}
	if (h->pid == 0) {
		close(sv[0]);
		helper_main(sv[1], threads > 0 ? threads : 1);
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

	if (h == NULL)
		return;
	net_watch_remove(h->w);
	close(h->fd);
	while (waitpid(h->pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	while ((j = TAILQ_FIRST(&h->jobs)) != NULL) {
		TAILQ_REMOVE(&h->jobs, j, entry);
		free(j);
	}
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
	struct hash_msg m;
	ssize_t n;

	if (h->njobs >= h->cap || pwlen > HASH_MAX_PW ||
	    (kind == SERVER_HASH_CHECK &&
	        strlen(hash) >= crypto_pwhash_STRBYTES))
		return NULL;
	memset(&m, 0, sizeof m);
	m.id = ++h->next_id;
	m.kind = (int)kind;
	m.pwlen = pwlen;
	memcpy(m.pw, pw, pwlen);
	if (kind == SERVER_HASH_CHECK)
		snprintf(m.hash, sizeof m.hash, "%s", hash);
	n = send(h->fd, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL);
	sodium_memzero(&m, sizeof m);
	if (n != (ssize_t)sizeof m)
		return NULL;
	j = xcalloc(1, sizeof *j);
	j->id = h->next_id;
	j->kind = kind;
	j->owner = owner;
	TAILQ_INSERT_TAIL(&h->jobs, j, entry);
	h->njobs++;
	return j;
}

/*
 * The job's owner is gone: its result will not be delivered. The job
 * keeps its place in the queue until the helper answers it.
 */
void
server_hasher_forget(struct server_hasher *h, struct server_hash_job *j)
{
	(void)h;
	if (j != NULL)
		j->owner = NULL;
}

/* Jobs sent and not answered yet. */
size_t
server_hasher_pending(struct server_hasher *h)
{
	return h->njobs;
}
