/* SPDX-License-Identifier: MIT */
/*
 * termgramd admin on a running relay (through admin.sock) and on a
 * stopped one: delete a user, reset a password, lock a name, and a
 * backup taken while a client sends holds every acknowledged message.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define BACKUP_MSGS 3000

/*
 * Run `termgramd --data DIR admin ARGS...` with input on its stdin; its
 * stdout in out. Returns its exit status.
 */
static int
admin(const struct relay *r, const char *input, char *out, size_t outlen,
    const char *arg, ...)
{
	char *argv[16], path[64];
	int in[2], fd, st, n = 0;
	va_list ap;
	pid_t pid;
	ssize_t k;

	argv[n++] = TERMGRAM_BIN_DIR "/termgramd";
	argv[n++] = "--data";
	argv[n++] = (char *)r->dir;
	argv[n++] = "admin";
	va_start(ap, arg);
	for (; arg != NULL && n < 15; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
	snprintf(path, sizeof path, "/tmp/tg-admin-out.%d", (int)getpid());
	if (pipe(in) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		close(in[1]);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	if (input != NULL)
		(void)!write(in[1], input, strlen(input));
	close(in[1]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	fd = open(path, O_RDONLY);
	k = fd == -1 ? 0 : read(fd, out, outlen - 1);
	out[k > 0 ? k : 0] = '\0';
	if (fd != -1)
		close(fd);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* LOGIN as name: the first line of the answer in c->line (closed). */
static void
login_answer(struct raw *c, int port, const char *name, const char *pw)
{
	assert_int_equal(raw_open(c, port), 0);
	raw_send(c, "LOGIN|1|%s|%s|0\n", name, h_b64(pw));
	assert_int_equal(raw_line(c, 10000), 0);
	raw_close(c);
}

/* alice sends n messages k<from>.. to bob (offline), each ACKed stored. */
static void
send_stored(struct raw *a, int from, int n, const char *text)
{
	int i, acked = 0;

	for (i = from; i < from + n; i++)
		raw_send(a, "MSG|alice|bob|%d|k%d|%s\n", i, i, h_b64(text));
	while (acked < n && raw_line(a, 10000) == 0)
		if (strncmp(a->line, "ACK|k", 5) == 0)
			acked++;
	assert_int_equal(acked, n);
}

/* How many frames the relay's store holds for the key rcpt. */
static int
queued_for(const struct relay *r, const char *rcpt)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[300];
	int n = -1;

	snprintf(path, sizeof path, "%s/relay.db", r->dir);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM queue WHERE rcpt = ?1",
	        -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

/*
 * user delete: its session ends with BYE|deleted, others see it offline,
 * what was queued for it is gone, and the name registers anew.
 */
static void
admin__delete__drops_queue_and_frees_name(void **state)
{
	static struct raw a, b;
	static char out[8192];
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", "bobpw"), 0);
	raw_close(&b);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	send_stored(&a, 0, 3, "for bob");
	assert_int_equal(queued_for(&r, "bob"), 3);
	assert_int_equal(admin(&r, NULL, out, sizeof out, "users", NULL), 0);
	printf("%s", out);
	assert_non_null(strstr(out, "bob                  owned"));
	assert_non_null(strstr(out, "3 (")); /* three frames queued */
	assert_int_equal(raw_login(&b, r.port, "carol", ""), 0);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "delete", "carol", NULL),
	    0);
	assert_int_equal(raw_expect(&b, "BYE|deleted", 5000), 0);
	assert_int_equal(raw_expect(&a, "USER|carol|offline", 5000), 0);
	raw_close(&b);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "delete", "bob", NULL), 0);
	assert_int_equal(admin(&r, NULL, out, sizeof out, "users", NULL), 0);
	assert_null(strstr(out, "bob"));
	assert_true(relay_log_has(&r, "deleted bob and its 3 queued frames"));
	assert_int_equal(queued_for(&r, "bob"), 0);
	/* The name is free: another password registers it, and nothing
	 * of the old bob's queue comes. */
	assert_int_equal(raw_open(&b, r.port), 0);
	raw_send(&b, "LOGIN|1|bob|%s|0\n", h_b64("another"));
	assert_int_equal(raw_line(&b, 10000), 0);
	assert_memory_equal(b.line, "WELCOME|", 8);
	while (raw_line(&b, 5000) == 0 && strcmp(b.line, "SYNCED") != 0)
		assert_false(strncmp(b.line, "MSG|", 4) == 0);
	assert_string_equal(b.line, "SYNCED");
	raw_close(&b);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/* user reset-password: the old password is refused, the new one works. */
static void
admin__reset_password__refuses_the_old_one(void **state)
{
	static struct raw b;
	static char out[4096];
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", "old"), 0);
	assert_int_equal(admin(&r, "new\n", out, sizeof out, "user",
	                     "reset-password", "bob", NULL),
	    0);
	assert_int_equal(raw_expect(&b, "BYE|password", 5000), 0);
	raw_close(&b);
	login_answer(&b, r.port, "bob", "old");
	assert_memory_equal(b.line, "ERR|AUTH_FAILED|", 16);
	assert_int_equal(raw_login(&b, r.port, "bob", "new"), 0);
	raw_close(&b);
	/* An empty password is refused; nothing changes. */
	assert_int_equal(admin(&r, "\n", out, sizeof out, "user",
	                     "reset-password", "bob", NULL),
	    1);
	assert_int_equal(raw_login(&b, r.port, "bob", "new"), 0);
	raw_close(&b);
	assert_true(relay_log_has(&r, "reset the password of bob"));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * user lock: the session ends, LOGIN gets FORBIDDEN; kept across a
 * restart, and set on a stopped relay too; unlock lets it in again.
 */
static void
admin__lock__refuses_login_until_unlocked(void **state)
{
	static struct raw b;
	static char out[4096];
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", "pw"), 0);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "lock", "bob", NULL), 0);
	assert_int_equal(raw_expect(&b, "BYE|locked", 5000), 0);
	raw_close(&b);
	login_answer(&b, r.port, "bob", "pw");
	assert_memory_equal(b.line, "ERR|FORBIDDEN|", 14);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "unlock", "bob", NULL), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", "pw"), 0);
	raw_close(&b);
	/* Stopped: the store itself; the lock holds after the start. */
	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "lock", "bob", NULL), 0);
	assert_int_equal(admin(&r, NULL, out, sizeof out, "users", NULL), 0);
	assert_non_null(strstr(out, "locked"));
	assert_int_equal(relay_restart(&r), 0);
	login_answer(&b, r.port, "bob", "pw");
	assert_memory_equal(b.line, "ERR|FORBIDDEN|", 14);
	assert_int_equal(relay_finish(&r), 0);
}

/* Connect to the relay's admin.sock. */
static int
admin_socket(const struct relay *r)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (strlen(r->dir) + 12 > sizeof sun.sun_path) {
		close(fd);
		return -1;
	}
	memcpy(sun.sun_path, r->dir, strlen(r->dir));
	memcpy(sun.sun_path + strlen(r->dir), "/admin.sock", 11);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether fd has something to read now. */
static bool
readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

/*
 * Send while the backup runs; an ACK read while the relay had not yet
 * answered the backup (its socket still silent after the ACK was read)
 * was committed before the copy ended: it must be in the copy.
 */
static int
send_during_backup(struct raw *a, int afd, unsigned char *counted)
{
	int i = 1000, j, n, ncounted = 0, round[256], nround;
	char pad[2001];

	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	while (!readable(afd)) {
		for (j = 0; j < 8 && i < BACKUP_MSGS; j++, i++)
			raw_send(
			    a, "MSG|alice|bob|%d|k%d|%s\n", i, i, h_b64(pad));
		nround = 0;
		while (raw_line(a, i < BACKUP_MSGS ? 0 : 20) == 0)
			if (sscanf(a->line, "ACK|k%d|", &n) == 1 &&
			    nround < 256)
				round[nround++] = n;
		if (readable(afd))
			break; /* read after the answer, perhaps: not counted */
		for (n = 0; n < nround; n++)
			if (round[n] >= 0 && round[n] < BACKUP_MSGS &&
			    !counted[round[n]]) {
				counted[round[n]] = 1;
				ncounted++;
			}
	}
	return ncounted;
}

/* How many of the counted ids the copy at path holds. */
static int
count_in_copy(const char *path, const unsigned char *counted)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char id[16];
	int i, found = 0;

	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	        "SELECT count(*) FROM queue WHERE msg_id = ?1", -1, &st, NULL),
	    SQLITE_OK);
	for (i = 0; i < BACKUP_MSGS; i++) {
		if (!counted[i])
			continue;
		snprintf(id, sizeof id, "k%d", i);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int(st, 0) == 1)
			found++;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return found;
}

/*
 * backup while alice sends: the copy opens, is mode 0600, and holds every
 * message acknowledged before the backup answered.
 */
static void
admin__backup__holds_every_acked_message(void **state)
{
	static struct raw a;
	static unsigned char counted[BACKUP_MSGS];
	static char out[4096], path[300], line[512], big[16385];
	struct relay r;
	struct stat sb;
	int afd, ncounted, found, i;
	ssize_t k;
	long long t0;
	struct timespec ts;

	(void)state;
	memset(counted, 0, sizeof counted);
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&a, r.port, "bob", ""), 0);
	raw_close(&a);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	/* 16 MiB in the store: the copy takes many turns. */
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (i = 0; i < 1000; i += 50)
		send_stored(&a, i, 50, big);
	for (i = 0; i < 1000; i++)
		counted[i] = 1;
	snprintf(path, sizeof path, "%s.bak", r.dir);
	unlink(path);
	assert_int_not_equal(afd = admin_socket(&r), -1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	snprintf(line, sizeof line, "backup\t%s\n", path);
	assert_int_equal(write(afd, line, strlen(line)), (ssize_t)strlen(line));
	ncounted = send_during_backup(&a, afd, counted);
	k = read(afd, line, sizeof line - 1);
	assert_true(k > 0);
	line[k] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_memory_equal(line, "OK", 2);
	close(afd);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	found = count_in_copy(path, counted);
	printf("backup: %d ms, %d messages acknowledged during it, %d of %d "
	       "acknowledged in the copy\n",
	    (int)(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 - t0), ncounted,
	    found, 1000 + ncounted);
	assert_int_equal(found, 1000 + ncounted);
	assert_true(ncounted > 0); /* the copy did not hold the sender up */
	/* The command line's backup refuses a file that exists. */
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "backup", path, NULL), 1);
	raw_close(&a);
	/* restore: refused while the relay runs; once stopped, the copy
	 * is the store, with every counted message queued. */
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "restore", path, NULL), 1);
	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "restore", path, NULL), 0);
	snprintf(line, sizeof line, "%s/relay.db", r.dir);
	assert_int_equal(count_in_copy(line, counted), 1000 + ncounted);
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(admin(&r, NULL, out, sizeof out, "stats", NULL), 0);
	printf("%s", out);
	assert_int_equal(relay_finish(&r), 0);
	unlink(path);
}

/*
 * admin.sock is 0600; another uid is refused even when the file's mode
 * would let it in (SO_PEERCRED). The second part needs root.
 */
static void
admin__socket__is_private(void **state)
{
	struct relay r;
	struct stat sb;
	char path[300], buf[256];
	int st, fd;
	pid_t pid;
	ssize_t k;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(path, sizeof path, "%s/admin.sock", r.dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	if (geteuid() != 0) {
		printf("not root: another uid's refusal not tested\n");
		assert_int_equal(relay_finish(&r), 0);
		return;
	}
	chmod(r.dir, 0711);
	chmod(path, 0666);
	if ((pid = fork()) == 0) {
		if (setuid(65534) != 0 || (fd = admin_socket(&r)) == -1)
			_exit(2);
		(void)!send(fd, "users\n", 6, MSG_NOSIGNAL);
		k = read(fd, buf, sizeof buf - 1);
		buf[k > 0 ? k : 0] = '\0';
		_exit(strncmp(buf, "ERR\tuid 65534", 13) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(relay_log_has(&r, "admin: uid 65534 refused"));
	assert_int_equal(relay_finish(&r), 0);
}

/* A running relay whose socket cannot be reached: refused, clearly. */
static void
admin__running_but_unreachable__refuses(void **state)
{
	struct relay r;
	char path[300], out[1024];

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(path, sizeof path, "%s/admin.sock", r.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(admin(&r, NULL, out, sizeof out, "users", NULL), 1);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "restore", "/x", NULL), 1);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A deleted user leaves its rooms: an owner hands the room over as if it
 * had left, and the last member's deletion deletes the room, also after
 * a restart.
 */
static void
admin__delete__leaves_its_rooms(void **state)
{
	static struct raw a, b, c;
	static char out[8192];
	struct relay r;

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	assert_int_equal(raw_login(&b, r.port, "bob", ""), 0);
	assert_int_equal(raw_login(&c, r.port, "carol", ""), 0);
	raw_send(&a, "RCREATE|#r|open\n");
	assert_int_equal(raw_expect(&a, "RINFO|#r|open|1|owner|", 5000), 0);
	raw_send(&b, "RJOIN|#r\n");
	assert_int_equal(raw_expect(&b, "RINFO|#r|open|2|member|", 5000), 0);
	raw_send(&c, "RJOIN|#r\n");
	assert_int_equal(raw_expect(&c, "RINFO|#r|open|3|member|", 5000), 0);
	raw_send(&a, "RADMIN|#r|carol|on\n");
	assert_int_equal(raw_expect(&a, "RINFO|#r|open|3|owner|", 5000), 0);
	do
		assert_int_equal(raw_expect(&b, "REVENT|#r|", 5000), 0);
	while (strstr(b.line, "|alice|admin|carol|") == NULL);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "delete", "alice", NULL),
	    0);
	assert_int_equal(raw_expect(&b, "REVENT|#r|", 5000), 0);
	assert_non_null(strstr(b.line, "|alice|admin|carol|"));
	assert_int_equal(raw_expect(&b, "REVENT|#r|", 5000), 0);
	assert_non_null(strstr(b.line, "|alice|leave|-|"));
	raw_send(&b, "RMEMBERS|#r\n");
	assert_int_equal(raw_expect(&b, "RMEMBER|#r|carol|owner|", 5000), 0);
	assert_int_equal(raw_expect(&b, "RMEMBER|#r|bob|member|", 5000), 0);
	assert_int_equal(raw_expect(&b, "RMEMBERS|#r|2", 5000), 0);
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "delete", "bob", NULL), 0);
	assert_int_equal(
	    admin(&r, NULL, out, sizeof out, "user", "delete", "carol", NULL),
	    0);
	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	assert_int_equal(relay_restart(&r), 0);
	assert_int_equal(raw_login(&a, r.port, "dave", ""), 0);
	raw_send(&a, "RJOIN|#r\n");
	assert_int_equal(raw_expect(&a, "ERR|NO_SUCH_ROOM|#r|", 5000), 0);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(admin__delete__drops_queue_and_frees_name),
	    cmocka_unit_test(admin__delete__leaves_its_rooms),
	    cmocka_unit_test(admin__reset_password__refuses_the_old_one),
	    cmocka_unit_test(admin__lock__refuses_login_until_unlocked),
	    cmocka_unit_test(admin__backup__holds_every_acked_message),
	    cmocka_unit_test(admin__socket__is_private),
	    cmocka_unit_test(admin__running_but_unreachable__refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
