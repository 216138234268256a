/* SPDX-License-Identifier: MIT */
/*
 * The relay's administration socket: admin.sock in the data folder
 * (AF_UNIX, mode 0600), watched by the relay's loop. Only the relay's own
 * uid and root may use it (SO_PEERCRED). One request per connection, a
 * line of tab-separated words; the answer is lines, the last one "OK" or
 * "ERR<TAB>text" (docs/relay.md, "Administration"). The relay also holds
 * admin.lock, so that `termgramd admin` knows a running relay from a
 * stopped one. Every action is logged with the uid that asked.
 */
#define _GNU_SOURCE /* SO_PEERCRED, struct ucred, accept4 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/loop.h"
#include "server/admin.h"
#include "server/filestore.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/store.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define ADMIN_LINE 8192 /* the longest request */
#define ADMIN_PAGES 64 /* database pages a backup copies per turn */
#define ADMIN_WRITE_MS 5000 /* a reader this slow loses its answer */

struct admin_conn {
	struct server_admin *a;
	int fd;
	struct net_watch *w;
	unsigned uid;
	char buf[ADMIN_LINE];
	size_t len;
};

struct server_admin {
	struct server_relay *r;
	int lfd, lockfd;
	struct net_watch *lw;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* The backup under way, and who waits for its answer. */
	sqlite3_backup *bk;
	sqlite3 *bkdst;
	char bkpath[ADMIN_LINE];
	struct admin_conn *bkconn;
	struct net_timer bktimer;
};

/* Write all of p to c (blocking up to ADMIN_WRITE_MS); -1 if it fails. */
static int
admin_write(struct admin_conn *c, const char *p, size_t n)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
	ssize_t k;

	while (n > 0) {
		k = send(c->fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		} else if (k == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (poll(&pfd, 1, ADMIN_WRITE_MS) <= 0)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* printf to c. */
static void admin_printf(struct admin_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
admin_printf(struct admin_conn *c, const char *fmt, ...)
{
	char line[ADMIN_LINE + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)admin_write(c, line,
		    (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Close c. */
static void
admin_conn_free(struct admin_conn *c)
{
	if (c == NULL)
		return;
	if (c->a->bkconn == c)
		c->a->bkconn = NULL;
	net_watch_remove(c->w);
	close(c->fd);
	free(c);
}

/*
 * End u's sessions and light presence, with BYE|bye: it is offline, and
 * its token no longer resumes.
 */
static void
admin_end_sessions(struct server_relay *r, struct srv_user *u, const char *bye,
    const char *why)
{
	bool light = u->light;

	if (u->light) {
		u->light = false;
		r->dir.nlight--;
	}
	u->token[0] = '\0';
	u->has_alive_key = false;
	if (server_user_online(u)) {
		while (server_user_first(u) != NULL)
			server_session_close(server_user_first(u), bye, why);
	} else if (light) {
		u->last_seen = util_wall_ms();
		server_store_set_last_seen(r->store, u->key, u->last_seen);
		server_presence_change(r, u);
	}
}

/* users: a line per user. */
static void
admin_users(struct admin_conn *c)
{
	struct server_relay *r = c->a->r;
	struct srv_user *u;
	size_t i;

	for (i = 0; i < r->dir.nusers; i++) {
		u = r->dir.list[i];
		admin_printf(c,
		    "user\t%s\t%d\t%llu\t%d\t%llu\t%llu\t%lld\t%d\n", u->name,
		    u->pwhash != NULL, (unsigned long long)u->last_seen,
		    server_user_online(u) || u->light,
		    (unsigned long long)u->q_frames,
		    (unsigned long long)u->q_bytes,
		    (long long)server_store_device_count(r->store, u->key),
		    u->locked);
	}
	admin_printf(c, "OK\n");
}

/* stats: the STATS figures, key=value lines. */
static void
admin_stats(struct admin_conn *c)
{
	char kv[1024];
	int n = server_relay_stats_text(c->a->r, kv, sizeof kv);

	if (n > 0)
		(void)admin_write(c, kv, (size_t)n);
	admin_printf(c, "OK\n");
}

/* The user of name, or NULL after telling c. */
static struct srv_user *
admin_user(struct admin_conn *c, const char *name)
{
	struct srv_user *u = server_directory_find(&c->a->r->dir,
	    (struct proto_slice){.p = name, .len = strlen(name)});

	if (u == NULL)
		admin_printf(c, "ERR\tno user %s\n", name);
	return u;
}

/*
 * delete NAME: its sessions end, what is queued for it goes, and its name
 * is free for the next LOGIN.
 */
static void
admin_delete(struct admin_conn *c, const char *name)
{
	struct server_relay *r = c->a->r;
	struct srv_user *u = admin_user(c, name);
	struct srv_ticket *t;

	if (u == NULL)
		return;
	admin_end_sessions(r, u, "deleted", "deleted by the administrator");
	server_router_flush(&r->rt, u);
	server_filestore_forget(r->rt.fs, u->key);
	if (server_store_delete_user(r->store, u->key) != 0) {
		admin_printf(
		    c, "ERR\tstore: %s\n", server_store_error(r->store));
		return;
	}
	TAILQ_FOREACH(t, &r->dir.tklist, entry)
	if (t->asker == u || t->target == u)
		t->used = true;
	r->st.queue_depth = server_store_queue_depth(r->store);
	server_rooms_forget_user(r, u);
	server_directory_remove(&r->dir, u);
	server_log(SERVER_LOG_INFO,
	    "admin (uid %u): deleted %s and its %llu queued frames", c->uid,
	    u->name, (unsigned long long)u->q_frames);
	admin_printf(c, "OK\n");
}

/* password NAME HASH: the new password; its sessions end. */
static void
admin_password(struct admin_conn *c, const char *name, const char *hash)
{
	struct server_relay *r = c->a->r;
	struct srv_user *u = admin_user(c, name);

	if (u == NULL)
		return;
	if (strncmp(hash, "$argon2id$", 10) != 0) {
		admin_printf(c, "ERR\tnot an argon2id hash\n");
		return;
	}
	if (server_store_set_pwhash(r->store, u->key, hash) != 0) {
		admin_printf(
		    c, "ERR\tstore: %s\n", server_store_error(r->store));
		return;
	}
	free(u->pwhash);
	u->pwhash = xstrdup(hash);
	memset(&u->fails, 0, sizeof u->fails);
	admin_end_sessions(r, u, "password", "password reset");
	server_log(SERVER_LOG_INFO, "admin (uid %u): reset the password of %s",
	    c->uid, u->name);
	admin_printf(c, "OK\n");
}

/* lock NAME / unlock NAME. */
static void
admin_lock(struct admin_conn *c, const char *name, bool lock)
{
	struct server_relay *r = c->a->r;
	struct srv_user *u = admin_user(c, name);

	if (u == NULL)
		return;
	if (server_store_set_locked(r->store, u->key, lock, util_wall_ms()) !=
	    0) {
		admin_printf(
		    c, "ERR\tstore: %s\n", server_store_error(r->store));
		return;
	}
	u->locked = lock;
	if (lock)
		admin_end_sessions(
		    r, u, "locked", "locked by the administrator");
	server_log(SERVER_LOG_INFO, "admin (uid %u): %s %s", c->uid,
	    lock ? "locked" : "unlocked", u->name);
	admin_printf(c, "OK\n");
}

/* A backup step, once a turn, while no transaction is open. */
static void
admin_backup_step(struct net_timer *t, void *arg)
{
	struct server_admin *a = arg;
	char err[256];
	int rc = 0;

	if (!server_store_in_txn(a->r->store))
		rc = server_store_backup_step(
		    a->bk, a->bkdst, ADMIN_PAGES, err, sizeof err);
	if (rc == 0) {
		net_timer_start(a->r->loop, t, 1);
		return;
	}
	a->bk = NULL;
	a->bkdst = NULL;
	if (rc < 0) {
		unlink(a->bkpath);
		server_log(SERVER_LOG_ERROR, "admin: backup to %s: %s",
		    a->bkpath, err);
		if (a->bkconn != NULL)
			admin_printf(a->bkconn, "ERR\t%s\n", err);
	} else {
		server_log(
		    SERVER_LOG_INFO, "admin: backup to %s done", a->bkpath);
		if (a->bkconn != NULL)
			admin_printf(a->bkconn, "OK\t%s\n", a->bkpath);
	}
	admin_conn_free(a->bkconn);
}

/* backup PATH: start the copy; c has its answer when it is done. */
static bool
admin_backup(struct admin_conn *c, const char *path)
{
	struct server_admin *a = c->a;
	char err[ADMIN_LINE + 64];

	if (a->bk != NULL) {
		admin_printf(
		    c, "ERR\ta backup to %s is under way\n", a->bkpath);
		return false;
	}
	if (path[0] != '/') {
		admin_printf(c, "ERR\tthe backup's path must be absolute\n");
		return false;
	}
	a->bk = server_store_backup_start(
	    a->r->store, path, &a->bkdst, err, sizeof err);
	if (a->bk == NULL) {
		admin_printf(c, "ERR\t%s\n", err);
		return false;
	}
	snprintf(a->bkpath, sizeof a->bkpath, "%s", path);
	a->bkconn = c;
	server_log(
	    SERVER_LOG_INFO, "admin (uid %u): backup to %s", c->uid, path);
	net_timer_start(a->r->loop, &a->bktimer, 0);
	return true;
}

/* Split line at tabs into at most n words; how many. */
static size_t
admin_split(char *line, char **w, size_t n)
{
	size_t k = 0;
	char *p = line;

	while (k < n) {
		w[k++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return k;
}

/* One request; true if c waits for a later answer (a backup). */
static bool
admin_request(struct admin_conn *c, char *line)
{
	char *w[4];
	size_t n = admin_split(line, w, 4);

	if (n == 1 && strcmp(w[0], "users") == 0)
		admin_users(c);
	else if (n == 1 && strcmp(w[0], "stats") == 0)
		admin_stats(c);
	else if (n == 2 && strcmp(w[0], "delete") == 0)
		admin_delete(c, w[1]);
	else if (n == 3 && strcmp(w[0], "password") == 0)
		admin_password(c, w[1], w[2]);
	else if (n == 2 && strcmp(w[0], "lock") == 0)
		admin_lock(c, w[1], true);
	else if (n == 2 && strcmp(w[0], "unlock") == 0)
		admin_lock(c, w[1], false);
	else if (n == 2 && strcmp(w[0], "backup") == 0)
		return admin_backup(c, w[1]);
	else
		admin_printf(c, "ERR\tunknown request %s\n", w[0]);
	return false;
}

/* A request's bytes; handled at its newline. */
static void
admin_read(struct net_watch *w, short revents, void *arg)
{
	struct admin_conn *c = arg;
	char *nl;
	ssize_t k;

	(void)w;
	(void)revents;
	k = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
	if (k == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k <= 0) {
		admin_conn_free(c);
		return;
	}
	c->len += (size_t)k;
	c->buf[c->len] = '\0';
	if ((nl = strchr(c->buf, '\n')) == NULL) {
		if (c->len == sizeof c->buf - 1) {
			admin_printf(c, "ERR\trequest too long\n");
			admin_conn_free(c);
		}
		return;
	}
	*nl = '\0';
	net_watch_set_events(c->w, 0);
	if (!admin_request(c, c->buf))
		admin_conn_free(c);
}

/* A connection: its uid must be the relay's or root's. */
static void
admin_accept(struct net_watch *w, short revents, void *arg)
{
	struct server_admin *a = arg;
	struct admin_conn *c;
	struct ucred cr;
	socklen_t len = sizeof cr;
	int fd;

	(void)w;
	(void)revents;
	fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	c = xcalloc(1, sizeof *c);
	c->a = a;
	c->fd = fd;
	c->uid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0
	    ? cr.uid
	    : (unsigned)-1;
	if (c->uid != geteuid() && c->uid != 0) {
		server_log(SERVER_LOG_WARN,
		    "admin: uid %d refused on %s (only uid %u and root)",
		    (int)c->uid, a->path, (unsigned)geteuid());
		admin_printf(c, "ERR\tuid %d may not administer this relay\n",
		    (int)c->uid);
		close(fd);
		free(c);
		return;
	}
	c->w = net_loop_add_fd(a->r->loop, fd, POLLIN, admin_read, c);
}

/* Listen on admin.sock in the data folder, mode 0600; NULL and err. */
struct server_admin *
server_admin_start(struct server_relay *r, char *err, size_t errlen)
{
	struct server_admin *a = xcalloc(1, sizeof *a);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;

	a->r = r;
	a->lfd = -1;
	net_timer_init(&a->bktimer, admin_backup_step, a);
	if ((a->lockfd = server_admin_lock(r->cfg.data_dir, err, errlen)) ==
	    -1) {
		server_admin_stop(a);
		return NULL;
	}
	if (server_store_load_locked(r->store, server_admin_locked_user, r) !=
	    0) {
		snprintf(err, errlen, "%s", server_store_error(r->store));
		server_admin_stop(a);
		return NULL;
	}
	if ((size_t)snprintf(a->path, sizeof a->path, "%s/admin.sock",
	        r->cfg.data_dir) >= sizeof a->path) {
		server_log(SERVER_LOG_WARN,
		    "admin: %s/admin.sock is too long a socket path; no "
		    "administration of the running relay",
		    r->cfg.data_dir);
		a->path[0] = '\0';
		return a;
	}
	memcpy(sun.sun_path, a->path, strlen(a->path));
	(void)unlink(a->path); /* a stale one: the lock is ours */
	old = umask(0177);
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->lfd == -1 ||
	    bind(a->lfd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    chmod(a->path, 0600) != 0 || listen(a->lfd, 8) != 0) {
		umask(old);
		snprintf(err, errlen, "admin socket %s: %s", a->path,
		    strerror(errno));
		server_admin_stop(a);
		return NULL;
	}
	umask(old);
	a->lw = net_loop_add_fd(r->loop, a->lfd, POLLIN, admin_accept, a);
	server_log(SERVER_LOG_INFO, "admin socket %s", a->path);
	return a;
}

/* Stop listening, end a backup under way, let the lock go. */
void
server_admin_stop(struct server_admin *a)
{
	char err[64];

	if (a == NULL)
		return;
	if (a->bk != NULL) {
		(void)server_store_backup_step(
		    a->bk, a->bkdst, -1, err, sizeof err);
		server_log(SERVER_LOG_INFO,
		    "admin: backup to %s finished "
		    "at the shutdown",
		    a->bkpath);
		if (a->bkconn != NULL)
			admin_printf(a->bkconn, "OK\t%s\n", a->bkpath);
		admin_conn_free(a->bkconn);
	}
	net_timer_stop(a->r->loop, &a->bktimer);
	if (a->lw != NULL)
		net_watch_remove(a->lw);
	if (a->lfd != -1) {
		close(a->lfd);
		unlink(a->path);
	}
	if (a->lockfd != -1)
		close(a->lockfd);
	free(a);
}

/* A locked name from the store, at start. */
void
server_admin_locked_user(void *arg, const char *key)
{
	struct server_relay *r = arg;
	struct srv_user *u = server_directory_find(
	    &r->dir, (struct proto_slice){.p = key, .len = strlen(key)});

	if (u != NULL)
		u->locked = true;
}

/*
 * Hold dir/admin.lock (made 0600): the descriptor, or -1 and err if a
 * running relay (or another admin command) holds it.
 */
int
server_admin_lock(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/admin.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	         0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	(void)util_give_to_dir_owner(dir, path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen,
		    "%s is in use: a termgramd runs on %s (or a termgramd "
		    "admin command)",
		    path, dir);
		close(fd);
		return -1;
	}
	return fd;
}
