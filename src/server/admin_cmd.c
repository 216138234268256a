/* SPDX-License-Identifier: MIT */
/*
 * `termgramd [options] admin COMMAND`: the administrator's side. With the
 * relay running it asks through DATA/admin.sock (admin.c); with the relay
 * stopped (its DATA/admin.lock free) it opens relay.db itself, holding
 * the lock meanwhile. Either way the answer is the socket's lines, which
 * are then printed for a person (or as JSON).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "proto/frame.h"
#include "server/admin.h"
#include "server/log.h"
#include "server/relay.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

static const char admin_usage[] =
    "usage: termgramd [--data DIR | --config FILE] admin COMMAND\n"
    "  users [--json]              every user: owned or open, last seen,\n"
    "                              online, queued, devices, locked\n"
    "  user delete NAME            end its sessions, drop its queue, free "
    "the name\n"
    "  user reset-password NAME    a new password, read from stdin (or\n"
    "                              asked for without echo); sessions end\n"
    "  user lock NAME              the name can no longer log in\n"
    "  user unlock NAME\n"
    "  stats                       the relay's STATS figures\n"
    "  backup FILE                 a consistent copy of the store (mode "
    "0600)\n"
    "  restore FILE                a stopped relay's store from a backup\n";

/* What the command asked for, and where its answer goes. */
struct admin_ctx {
	const char *dir;
	bool json;
	char *ans; /* the answer's lines */
	size_t len, cap;
	struct server_store *store; /* stopped relay: the store itself */
};

/* Append to the answer. */
static void ans_printf(struct admin_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ans_printf(struct admin_ctx *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	XGROW(x->ans, x->cap, x->len + (size_t)n + 1, 4096);
	va_start(ap, fmt);
	vsnprintf(x->ans + x->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	x->len += (size_t)n;
}

/*
 * Connect to the running relay's socket: the descriptor, -1 if no relay
 * listens there (errno ENOENT or ECONNREFUSED), -1 with another errno if
 * one may but cannot be reached.
 */
static int
admin_connect(const char *dir)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/admin.sock",
	        dir) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Send the request line to the relay and read its whole answer. */
static int
admin_ask(struct admin_ctx *x, int fd, const char *req)
{
	char buf[4096];
	ssize_t k;
	size_t n = strlen(req);

	if (write(fd, req, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "termgramd admin: %s\n", strerror(errno));
		return -1;
	}
	while ((k = read(fd, buf, sizeof buf)) > 0) {
		XGROW(x->ans, x->cap, x->len + (size_t)k + 1, 4096);
		memcpy(x->ans + x->len, buf, (size_t)k);
		x->len += (size_t)k;
		x->ans[x->len] = '\0';
	}
	return 0;
}

/* Per user key, what the stopped relay's store holds. */
struct admin_urow {
	char name[PROTO_MAX_NAME + 1];
	bool owned, locked;
	uint64_t seen;
	int64_t frames, bytes;
};

/* users, stopped: a user from the store. */
static void
off_user(void *arg, const char *name, const char *pwhash, uint64_t seen)
{
	struct util_map *m = arg;
	struct admin_urow *u = xcalloc(1, sizeof *u);
	char key[PROTO_MAX_NAME + 1];
	size_t i, n = strlen(name);

	snprintf(u->name, sizeof u->name, "%s", name);
	u->owned = pwhash != NULL;
	u->seen = seen;
	for (i = 0; i <= n && i < sizeof key; i++)
		key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
		        ? name[i] - 'A' + 'a'
		        : name[i]);
	util_map_set(m, key, n, u);
}

/* users, stopped: what is queued for a key. */
static void
off_total(void *arg, const char *key, int64_t frames, int64_t bytes)
{
	struct admin_urow *u = util_map_get(arg, key, strlen(key));

	if (u != NULL) {
		u->frames = frames;
		u->bytes = bytes;
	}
}

/* users, stopped: a locked key. */
static void
off_locked(void *arg, const char *key)
{
	struct admin_urow *u = util_map_get(arg, key, strlen(key));

	if (u != NULL)
		u->locked = true;
}

/* users, stopped: one answer line per user (in no set order). */
static void
off_user_line(const void *k, size_t klen, void *v, void *arg)
{
	struct admin_ctx *x = arg;
	struct admin_urow *u = v;
	char key[PROTO_MAX_NAME + 1];

	snprintf(key, sizeof key, "%.*s", (int)klen, (const char *)k);
	ans_printf(x, "user\t%s\t%d\t%llu\t0\t%lld\t%lld\t%lld\t%d\n", u->name,
	    u->owned, (unsigned long long)u->seen, (long long)u->frames,
	    (long long)u->bytes,
	    (long long)server_store_device_count(x->store, key), u->locked);
}

/* Free a row of the map. */
static void
off_free(const void *k, size_t klen, void *v, void *arg)
{
	(void)k;
	(void)klen;
	(void)arg;
	free(v);
}

/* users on a stopped relay. */
static int
off_users(struct admin_ctx *x, struct util_map *m)
{
	if (server_store_load_users(x->store, off_user, m) != 0 ||
	    server_store_queue_totals(x->store, off_total, m) != 0 ||
	    server_store_load_locked(x->store, off_locked, m) != 0)
		return -1;
	util_map_each(m, off_user_line, x);
	return 0;
}

/* The request, done on the stopped relay's store. */
static int
off_request(struct admin_ctx *x, char **w, size_t n)
{
	struct util_map *m = util_map_new();
	struct admin_urow *u = NULL;
	char key[PROTO_MAX_NAME + 1];
	int rc = 0;
	size_t i;

	if (strcmp(w[0], "users") == 0 || strcmp(w[0], "stats") == 0) {
		rc = off_users(x, m);
		if (rc == 0 && strcmp(w[0], "stats") == 0) {
			x->len = 0;
			ans_printf(x,
			    "running=no\nusers=%zu\nqueue_depth=%lld\n",
			    util_map_count(m),
			    (long long)server_store_queue_depth(x->store));
		}
	} else if (n >= 2) {
		for (i = 0; w[1][i] != '\0' && i < PROTO_MAX_NAME; i++)
			key[i] = (char)(w[1][i] >= 'A' && w[1][i] <= 'Z'
			        ? w[1][i] - 'A' + 'a'
			        : w[1][i]);
		key[i] = '\0';
		if (server_store_load_users(x->store, off_user, m) == 0)
			u = util_map_get(m, key, i);
		if (u == NULL)
			ans_printf(x, "ERR\tno user %s\n", w[1]);
		else if (strcmp(w[0], "delete") == 0)
			rc = server_store_delete_user(x->store, key);
		else if (strcmp(w[0], "password") == 0 && n == 3)
			rc = server_store_set_pwhash(x->store, key, w[2]);
		else
			rc = server_store_set_locked(x->store, key,
			    strcmp(w[0], "lock") == 0, util_wall_ms());
		if (u != NULL && rc == 0)
			server_log(SERVER_LOG_INFO,
			    "admin (uid %u, relay stopped): %s %s",
			    (unsigned)getuid(), w[0], u->name);
	}
	util_map_each(m, off_free, NULL);
	util_map_free(m);
	if (rc != 0 || server_store_commit(x->store) != 0) {
		ans_printf(x, "ERR\tstore: %s\n", server_store_error(x->store));
		return -1;
	}
	if (u != NULL || n < 2)
		ans_printf(x, "OK\n");
	return 0;
}

/* backup on a stopped relay: the whole copy at once. */
static void
off_backup(struct admin_ctx *x, const char *path)
{
	char err[PATH_MAX + 128];
	sqlite3 *dst;
	sqlite3_backup *b;

	b = server_store_backup_start(x->store, path, &dst, err, sizeof err);
	if (b == NULL ||
	    server_store_backup_step(b, dst, -1, err, sizeof err) != 1) {
		if (b != NULL)
			unlink(path);
		ans_printf(x, "ERR\t%s\n", err);
		return;
	}
	server_log(SERVER_LOG_INFO,
	    "admin (uid %u, relay stopped): backup to %s", (unsigned)getuid(),
	    path);
	ans_printf(x, "OK\t%s\n", path);
}

/* Run by root: the store's files go back to the folder's owner, the
 * relay's user, should opening it have made any. */
static void
admin_give_store(const char *dir)
{
	static const char *const files[] = {
	    "relay.db", "relay.db-wal", "relay.db-shm"};
	char path[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		(void)util_give_to_dir_owner(dir, path);
	}
}

/*
 * Run the request (tab-separated words in req) on the running relay, or
 * on the stopped one's store; the answer lands in x. -1 when neither can
 * be done (said on stderr).
 */
static int
admin_run(struct admin_ctx *x, char *req)
{
	char err[PATH_MAX + 256], *w[3] = {NULL, NULL, NULL};
	size_t n = 0;
	int fd, lock, e;

	if ((fd = admin_connect(x->dir)) != -1) {
		e = admin_ask(x, fd, req);
		close(fd);
		return e;
	}
	e = errno;
	if ((lock = server_admin_lock(x->dir, err, sizeof err)) == -1) {
		fprintf(stderr,
		    "termgramd admin: %s, and its socket %s/admin.sock cannot "
		    "be reached (%s): run this as the relay's user or root\n",
		    err, x->dir, strerror(e));
		return -1;
	}
	if ((x->store = server_store_open(x->dir, true, err, sizeof err)) ==
	    NULL) {
		fprintf(stderr, "termgramd admin: %s\n", err);
		close(lock);
		return -1;
	}
	w[n++] = strtok(req, "\t");
	while (n < 3 && (w[n] = strtok(NULL, "\t")) != NULL)
		n++;
	if (strcmp(w[0], "backup") == 0)
		off_backup(x, w[1]);
	else
		(void)off_request(x, w, n);
	server_store_close(x->store);
	admin_give_store(x->dir);
	close(lock);
	return 0;
}

/* A byte count for a person: 512 B, 1.5 KiB, 3.0 MiB. */
static void
admin_bytes(char *buf, size_t len, unsigned long long b)
{
	if (b < 1024)
		snprintf(buf, len, "%llu B", b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", (double)b / 1024);
	else
		snprintf(buf, len, "%.1f MiB", (double)b / (1024 * 1024));
}

/* One user line of the answer as a row of the table, or as JSON. */
static void
admin_print_user(const struct admin_ctx *x, char *line, bool first)
{
	char *f[9], seen[32], q[48], bytes[24];
	size_t n = 0;
	unsigned long long ms;
	time_t t;
	struct tm tm;

	f[n++] = strtok(line, "\t");
	while (n < 9 && (f[n] = strtok(NULL, "\t")) != NULL)
		n++;
	if (n != 9)
		return;
	ms = strtoull(f[3], NULL, 10);
	if (x->json) {
		printf("%s\n  {\"name\": \"%s\", \"owned\": %s, "
		       "\"last_seen_ms\": %llu, \"online\": %s, "
		       "\"queued_frames\": %s, \"queued_bytes\": %s, "
		       "\"devices\": %s, \"locked\": %s}",
		    first ? "" : ",", f[1], *f[2] == '1' ? "true" : "false", ms,
		    *f[4] == '1' ? "true" : "false", f[5], f[6], f[7],
		    *f[8] == '1' ? "true" : "false");
		return;
	}
	t = (time_t)(ms / 1000);
	if (ms == 0)
		snprintf(seen, sizeof seen, "never");
	else if (gmtime_r(&t, &tm) == NULL ||
	    strftime(seen, sizeof seen, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(seen, sizeof seen, "?");
	admin_bytes(bytes, sizeof bytes, strtoull(f[6], NULL, 10));
	snprintf(q, sizeof q, "%s (%s)", f[5], bytes);
	printf("%-20s %-5s %-20s %-6s %-20s %7s %s\n", f[1],
	    *f[2] == '1' ? "owned" : "open", seen, *f[4] == '1' ? "yes" : "no",
	    q, f[7], *f[8] == '1' ? "locked" : "");
}

/* stats: each key=value line with a label. */
static void
admin_print_stat(const char *line)
{
	static const char *const labels[][2] = {
	    {"running", "relay running"},
	    {"uptime_s", "uptime (seconds)"},
	    {"sessions", "sessions now"},
	    {"users", "registered users"},
	    {"frames_in", "frames received"},
	    {"frames_out", "frames sent"},
	    {"msgs_stored", "messages stored for later"},
	    {"msgs_relayed", "messages relayed"},
	    {"bytes_relayed", "bytes relayed"},
	    {"queue_depth", "frames queued on disk"},
	    {"grace_pending", "messages awaiting receipt"},
	    {"grace_ms", "grace period (ms)"},
	    {"light", "light presences alive"},
	    {"heartbeat_s", "heartbeat (seconds)"},
	};
	const char *eq = strchr(line, '=');
	size_t i, k;

	if (eq == NULL)
		return;
	k = (size_t)(eq - line);
	for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strlen(labels[i][0]) == k &&
		    strncmp(labels[i][0], line, k) == 0)
			break;
	printf("%-28s %s\n",
	    i < sizeof labels / sizeof labels[0] ? labels[i][1] : line, eq + 1);
}

/* Print the answer; the exit status (1 if it ends with ERR or nothing). */
static int
admin_print(struct admin_ctx *x, const char *cmd)
{
	char *line, *save = NULL, *last = "";
	bool first = true, users = strcmp(cmd, "users") == 0;

	if (users && x->json)
		printf("[");
	else if (users)
		printf("%-20s %-5s %-20s %-6s %-20s %7s\n", "NAME", "KIND",
		    "LAST SEEN", "ONLINE", "QUEUED", "PINNED");
	XGROW(x->ans, x->cap, x->len + 1, 64);
	x->ans[x->len] = '\0';
	for (line = strtok_r(x->ans, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		last = line;
		if (strncmp(line, "user\t", 5) == 0) {
			admin_print_user(x, line, first);
			first = false;
		} else if (strchr(line, '=') != NULL && !users)
			admin_print_stat(line);
	}
	if (users && x->json)
		printf("\n]\n");
	if (strncmp(last, "OK", 2) == 0) {
		if (last[2] == '\t')
			printf("%s: %s\n", cmd, last + 3);
		return 0;
	}
	fprintf(stderr, "termgramd admin: %s: %s\n", cmd,
	    strncmp(last, "ERR\t", 4) == 0 ? last + 4 : "no answer");
	return 1;
}

/* One line of stdin into buf without its newline; -1 at its end. */
static int
admin_read_line(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, stdin) == NULL)
		return -1;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

/* Ask for a password on the terminal, without echo. */
static int
admin_prompt(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = admin_read_line(buf, len);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

/*
 * The new password of name, from the terminal (asked twice, no echo) or
 * a line of stdin, hashed as the relay hashes (argon2id) into hash.
 */
static int
admin_new_password(const char *name, char *hash)
{
	char pw[PROTO_MAX_TEXT + 2], again[PROTO_MAX_TEXT + 2], prompt[128];
	int rc = -1;

	snprintf(prompt, sizeof prompt, "new password for %s: ", name);
	if (isatty(STDIN_FILENO)) {
		if (admin_prompt(prompt, pw, sizeof pw) != 0 ||
		    admin_prompt("again: ", again, sizeof again) != 0)
			goto out;
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "termgramd admin: the two differ\n");
			goto out;
		}
	} else if (admin_read_line(pw, sizeof pw) != 0)
		pw[0] = '\0';
	if (pw[0] == '\0' || strlen(pw) > PROTO_MAX_TEXT) {
		fprintf(stderr,
		    "termgramd admin: a password of 1 to %d bytes "
		    "is needed\n",
		    PROTO_MAX_TEXT);
		goto out;
	}
	if (sodium_init() < 0 ||
	    crypto_pwhash_str(hash, pw, strlen(pw),
	        crypto_pwhash_OPSLIMIT_INTERACTIVE,
	        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fprintf(stderr, "termgramd admin: hashing failed\n");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(again, sizeof again);
	return rc;
}

/* Copy the database at from into the new file to (0600), whole. */
static int
admin_copy_db(const char *from, const char *to, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int fd, rc = -1;

	if ((fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE, NULL) ==
	        SQLITE_OK &&
	    (b = sqlite3_backup_init(dst, "main", src, "main")) != NULL) {
		if (sqlite3_backup_step(b, -1) == SQLITE_DONE)
			rc = 0;
		sqlite3_backup_finish(b);
	}
	if (rc != 0)
		snprintf(err, errlen, "copying %s: %s", from,
		    dst != NULL ? sqlite3_errmsg(dst) : "cannot open");
	sqlite3_close(src);
	if (sqlite3_close(dst) != SQLITE_OK)
		rc = -1;
	return rc;
}

/*
 * restore FILE: only on a stopped relay; FILE must be a store this
 * version reads. The store in place moves aside (with its WAL) first.
 */
static int
admin_restore(const char *dir, const char *file)
{
	char err[PATH_MAX + 256], db[PATH_MAX], aside[PATH_MAX + 64];
	char wal[PATH_MAX + 8], walaside[PATH_MAX + 80];
	time_t now = time(NULL);
	struct tm tm;
	int fd, lock;

	if ((fd = admin_connect(dir)) != -1 || errno == EACCES) {
		if (fd != -1)
			close(fd);
		fprintf(stderr,
		    "termgramd admin: the relay on %s is running: "
		    "stop it before a restore\n",
		    dir);
		return 1;
	}
	if ((lock = server_admin_lock(dir, err, sizeof err)) == -1 ||
	    server_store_check_file(file, err, sizeof err) != 0) {
		fprintf(stderr, "termgramd admin: restore: %s\n", err);
		if (lock != -1)
			close(lock);
		return 1;
	}
	gmtime_r(&now, &tm);
	snprintf(db, sizeof db, "%s/relay.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", db);
	snprintf(aside, sizeof aside, "%s.before-restore-", db);
	strftime(aside + strlen(aside), 32, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(walaside, sizeof walaside, "%s-wal", aside);
	if ((rename(db, aside) != 0 && errno != ENOENT) ||
	    (rename(wal, walaside) != 0 && errno != ENOENT)) {
		fprintf(stderr,
		    "termgramd admin: restore: moving %s aside: %s\n", db,
		    strerror(errno));
		close(lock);
		return 1;
	}
	snprintf(wal, sizeof wal, "%s-shm", db);
	(void)unlink(wal);
	if (admin_copy_db(file, db, err, sizeof err) != 0) {
		fprintf(stderr,
		    "termgramd admin: restore: %s; the old store "
		    "is %s\n",
		    err, aside);
		close(lock);
		return 1;
	}
	(void)util_give_to_dir_owner(dir, db);
	server_log(SERVER_LOG_INFO,
	    "admin (uid %u): restored %s from %s; the old store is %s",
	    (unsigned)getuid(), db, file, aside);
	close(lock);
	return 0;
}

/*
 * The request line of the command in argv (after its options) into req;
 * -1 for a usage error (hash[0] set: said already).
 */
static int
admin_request_line(int argc, char **argv, char *hash, char *req, size_t len)
{
	char cwd[PATH_MAX];
	const char *c = argv[0], *sub = argc > 1 ? argv[1] : "";

	if (argc == 1 && (strcmp(c, "users") == 0 || strcmp(c, "stats") == 0))
		return snprintf(req, len, "%s", c) < 0 ? -1 : 0;
	if (argc == 2 && strcmp(c, "backup") == 0) {
		if (strpbrk(argv[1], "\t\n") != NULL)
			return -1;
		if (argv[1][0] != '/' && getcwd(cwd, sizeof cwd) == NULL)
			return -1;
		return (size_t)snprintf(req, len, "backup\t%s%s%s",
		           argv[1][0] == '/' ? "" : cwd,
		           argv[1][0] == '/' ? "" : "/", argv[1]) >= len
		    ? -1
		    : 0;
	}
	if (argc != 3 || strcmp(c, "user") != 0 ||
	    !proto_is_name(argv[2], strlen(argv[2])))
		return -1;
	if (strcmp(sub, "reset-password") == 0) {
		if (admin_new_password(argv[2], hash) != 0) {
			hash[0] = '-';
			return -1;
		}
		snprintf(req, len, "password\t%s\t%s", argv[2], hash);
		return 0;
	}
	if (strcmp(sub, "delete") != 0 && strcmp(sub, "lock") != 0 &&
	    strcmp(sub, "unlock") != 0)
		return -1;
	snprintf(req, len, "%s\t%s", sub, argv[2]);
	return 0;
}

/*
 * termgramd admin COMMAND (argv[0] is "admin"): see admin_usage. The
 * exit status: 0 done, 1 refused or failed, 2 a usage error.
 */
int
server_admin_main(const struct server_config *cfg, int argc, char **argv)
{
	struct admin_ctx x = {.dir = cfg->data_dir};
	char hash[crypto_pwhash_STRBYTES] = "", req[PATH_MAX + 256];
	int rc;

	argc--;
	argv++;
	if (argc > 0 && strcmp(argv[0], "users") == 0 && argc == 2 &&
	    strcmp(argv[1], "--json") == 0) {
		x.json = true;
		argc--;
	}
	if (argc == 1 && strcmp(argv[0], "help") == 0) {
		fputs(admin_usage, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "restore") == 0)
		return admin_restore(x.dir, argv[1]);
	if (argc < 1 ||
	    admin_request_line(argc, argv, hash, req, sizeof req) != 0) {
		if (hash[0] != '\0')
			return 1; /* no password: said already */
		fputs(admin_usage, stderr);
		return 2;
	}
	rc = admin_run(&x, req) != 0 ? 1 : admin_print(&x, argv[0]);
	free(x.ans);
	return rc;
}
