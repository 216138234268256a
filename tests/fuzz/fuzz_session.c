/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the client session's frame handling
 * (src/client/dispatch.c and what it calls: recv.c, the outbox, the
 * roster, the transfers): a session made as the programs make it, with a
 * real store in a temporary folder, whose relay connection is one end of
 * a socket pair the target drains. Frames of the script reach the session
 * the way session.c hands them over (client_dispatch_frame, by the relay
 * or by a direct route), between ends of turns, messages queued by the
 * user, connections lost and made again, read marks and transfers taken.
 * Nothing may crash, leak or show the UI strings that do not end.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "client/session_int.h"
#include "client/store.h"
#include "client/xfer.h"
#include "fuzz_input.h"
#include "net/conn.h"
#include "net/loop.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct net_loop *loop;
static int peer_fd = -1; /* the relay's end of the connection */

static void
on_read(struct net_conn *c, void *arg)
{
	(void)c;
	(void)arg;
}

/* The connection closed under the session, as session.c handles it. */
static void
on_close(struct net_conn *c, void *arg, const char *why)
{
	struct client_session *s = arg;

	if (s->conn == c) {
		s->conn = NULL;
		client_session_lost(s, why, true);
	}
}

static const struct net_conn_cb conn_cb = {
    .on_read = on_read,
    .on_close = on_close,
};

/* Read and forget what the session sent the relay. */
static void
drain(void)
{
	char buf[65536];

	while (peer_fd >= 0 && read(peer_fd, buf, sizeof buf) > 0)
		;
}

/* A new connection to the relay, as after a connect; logging in. */
static void
connect_session(struct client_session *s)
{
	int sv[2];

	if (peer_fd >= 0)
		close(peer_fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	peer_fd = sv[1];
	s->conn = net_conn_new(loop, sv[0], &conn_cb, s);
	client_session_set_state(s, CLIENT_LOGGING_IN, NULL, 0);
}

/* A message shown to the UI must hold together. */
static void
ev_message(void *arg, const struct client_msg *m, bool fresh)
{
	(void)arg;
	(void)fresh;
	if (m == NULL)
		abort();
}

static void
ev_xfer(void *arg, const struct client_xfer *x)
{
	(void)arg;
	if (x->done > x->size ||
	    strnlen(x->name, sizeof x->name) == sizeof x->name)
		abort();
}

static void
ev_text(void *arg, const char *a, const char *b, const char *c)
{
	(void)arg;
	if (strlen(a) + strlen(b) + strlen(c) > 1 << 20)
		abort();
}

static const struct client_events events = {
    .on_message = ev_message,
    .on_xfer = ev_xfer,
    .on_error = ev_text,
};

/* The first transfer's id, or NULL. */
static const char *
first_xfer(struct client_session *s, char *id)
{
	struct client_xfers *xs = client_session_xfers(s);

	if (client_xfers_count(xs) == 0)
		return NULL;
	snprintf(id, 65, "%s", client_xfers_at(xs, 0)->id);
	return id;
}

/* One operation of the script. */
static void
step(struct client_session *s, int op, struct fuzz_input *in)
{
	struct proto_frame fr;
	char id[PROTO_MAX_ID + 1], err[256];
	static const char *const peers[2] = {"alice", "bob"};
	const char *peer = peers[(op >> 4) & 1];

	switch (op & 0x0f) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		/* Frames come only while a connection is there. */
		if (s->conn == NULL)
			connect_session(s);
		if (fuzz_input_frame(in, &fr) == 1)
			client_dispatch_frame(s, &fr, CLIENT_ROUTE_RELAY);
		break;
	case 5:
		/* From a verified peer: routed frames only. */
		if (fuzz_input_frame(in, &fr) == 1 &&
		    proto_verb_is_routed(fr.verb))
			client_dispatch_frame(s, &fr, CLIENT_ROUTE_DIRECT);
		break;
	case 6:
	case 7:
		net_loop_run_once(loop, 0);
		drain();
		break;
	case 8:
		client_session_queue_msg(
		    s, peer, "hello", 5, id, err, sizeof err);
		break;
	case 9:
		if (s->conn != NULL)
			client_session_lost(s, "lost", true);
		break;
	case 10:
		client_session_set_active(s, peer);
		client_session_mark_read(s, peer);
		break;
	case 11:
		client_session_typing(s, peer, (op >> 5) & 1);
		break;
	case 12:
		if (first_xfer(s, id) != NULL)
			client_xfers_accept(
			    client_session_xfers(s), id, err, sizeof err);
		break;
	case 13:
		if (first_xfer(s, id) != NULL)
			client_xfers_cancel(client_session_xfers(s), id, "no");
		break;
	default:
		break;
	}
}

/*
 * The files of a fresh data folder other than the store (the identity
 * key and its certificate), taken once: every input starts from copies
 * of them rather than making a new identity.
 */
#define SNAP_MAX 8

static struct snap {
	char name[256];
	char *data;
	size_t len;
} snaps[SNAP_MAX];
static size_t nsnaps;

static void
snap_take(const char *dir)
{
	char path[600];
	struct dirent *e;
	struct stat st;
	DIR *d;
	FILE *f;

	if ((d = opendir(dir)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    strncmp(e->d_name, "client.db", 9) == 0)
			continue;
		if (nsnaps == SNAP_MAX || (f = fopen(path, "rb")) == NULL)
			abort();
		snprintf(snaps[nsnaps].name, sizeof snaps[nsnaps].name, "%s",
		    e->d_name);
		snaps[nsnaps].len = (size_t)st.st_size;
		snaps[nsnaps].data = malloc(snaps[nsnaps].len + 1);
		if (fread(snaps[nsnaps].data, 1, snaps[nsnaps].len, f) !=
		    snaps[nsnaps].len)
			abort();
		fclose(f);
		nsnaps++;
	}
	closedir(d);
}

static void
snap_put(const char *dir)
{
	char path[600];
	size_t i;
	int fd;

	for (i = 0; i < nsnaps; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, snaps[i].name);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 ||
		    write(fd, snaps[i].data, snaps[i].len) !=
		        (ssize_t)snaps[i].len)
			abort();
		close(fd);
	}
}

/*
 * One store for the whole run (the link wraps client_store_open and
 * client_store_close, see cmake/Tests.cmake): opening one is mostly
 * SQLite parsing its schema, many times the cost of an input. A "close"
 * commits, and the rows are deleted through a second connection, so each
 * input starts from an empty store as a fresh one would be (rowids
 * start again at 1 in an empty table).
 */
struct client_store *__real_client_store_open(const char *, char *, size_t);
struct client_store *__wrap_client_store_open(const char *, char *, size_t);
void __wrap_client_store_close(struct client_store *);

static struct client_store *kept;
static sqlite3 *side;

struct client_store *
__wrap_client_store_open(const char *dir, char *err, size_t errlen)
{
	char path[600];

	if (kept == NULL) {
		kept = __real_client_store_open(dir, err, errlen);
		snprintf(path, sizeof path, "%s/client.db", dir);
		if (kept == NULL || sqlite3_open(path, &side) != SQLITE_OK)
			abort();
	}
	return kept;
}

void
__wrap_client_store_close(struct client_store *s)
{
	if (s != kept || client_store_commit(s) != 0 ||
	    sqlite3_exec(side,
	        "DELETE FROM messages; DELETE FROM xfers; "
	        "DELETE FROM meta WHERE k <> 'schema';",
	        NULL, NULL, NULL) != SQLITE_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[300], dl[300];
	struct client_config cfg;
	struct client_session *s;
	struct fuzz_input in;
	char err[256];
	int op;

	if (loop == NULL) {
		loop = net_loop_new();
		snprintf(dir, sizeof dir, "%s/data", fuzz_dir_get());
		snprintf(dl, sizeof dl, "%s/dl", fuzz_dir);
		mkdir(dir, 0700);
		client_config_defaults(&cfg);
		cfg.user = "me";
		cfg.data_dir = dir;
		s = client_session_new(
		    loop, &cfg, &events, NULL, err, sizeof err);
		if (s == NULL)
			abort();
		client_session_free(s);
		snap_take(dir);
		fuzz_clear_dir(dir, "client.db");
	}
	mkdir(dir, 0700);
	snap_put(dir);
	client_config_defaults(&cfg);
	cfg.host = "127.0.0.1";
	cfg.port = 9;
	cfg.user = "me";
	cfg.password = "";
	cfg.data_dir = dir;
	cfg.download_dir = dl;
	cfg.max_file_size = 1 << 20;
	cfg.reconnect = false;
	cfg.tls = false;
	s = client_session_new(loop, &cfg, &events, NULL, err, sizeof err);
	if (s == NULL)
		abort();
	fuzz_input_init(&in, data, size);
	while ((op = fuzz_input_byte(&in)) >= 0)
		step(s, op, &in);
	client_session_free(s);
	net_loop_run_once(loop, 0);
	if (peer_fd >= 0)
		close(peer_fd);
	peer_fd = -1;
	fuzz_clear_dir(dir, "client.db");
	fuzz_rm_tree(dl);
	return 0;
}
