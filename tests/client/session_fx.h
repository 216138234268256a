/* SPDX-License-Identifier: MIT */
/*
 * One client session of alice on a socket pair, for the tests that feed
 * it the relay's frames and read what it writes back. The including file
 * defines struct rec (what its events record) and `events` first.
 */
#ifndef TESTS_CLIENT_SESSION_FX_H
#define TESTS_CLIENT_SESSION_FX_H

/* One session on a socket pair, in a data folder of its own. */
struct fx {
	char dir[64];
	struct net_loop *loop;
	struct client_session *s;
	int relay; /* the relay's end */
	struct rec rec;
};

static const struct net_conn_cb no_cb;
static bool p2p; /* the next fx_new in P2P mode */

/* A session of alice (tls on or off) that is not connected yet. */
static inline struct fx *
fx_new(bool tls)
{
	struct client_config cfg;
	struct fx *f = calloc(1, sizeof *f);
	char err[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/tg_fx_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->loop = net_loop_new();
	client_config_defaults(&cfg);
	cfg.user = "alice";
	cfg.password = "pw";
	cfg.data_dir = f->dir;
	cfg.reconnect = false;
	cfg.tls = tls;
	cfg.p2p = p2p;
	p2p = false;
	f->s = client_session_new(
	    f->loop, &cfg, &events, &f->rec, err, sizeof err);
	if (f->s == NULL)
		fail_msg("%s", err);
	f->relay = -1;
	return f;
}

/* The session f logged in as alice, on a socket pair. */
static inline struct fx *
fx_attach(struct fx *f)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->s->conn = net_conn_new(f->loop, sv[0], &no_cb, NULL);
	assert_non_null(f->s->conn);
	snprintf(f->s->me, sizeof f->s->me, "alice");
	f->relay = sv[1];
	return f;
}

/* The session logged in as alice, on a socket pair. */
static inline struct fx *
fx_online(void)
{
	return fx_attach(fx_new(false));
}

static inline void
fx_free(struct fx *f)
{
	char cmd[128];

	client_session_free(f->s);
	net_loop_free(f->loop);
	if (f->relay >= 0)
		close(f->relay);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

/* A frame from the relay, line without its newline. */
static inline void
relay_says(struct fx *f, const char *line)
{
	struct proto_frame fr;
	struct proto_error err;
	char buf[2048];
	size_t n = strlen(line);

	assert_true(n + 2 <= sizeof buf);
	memcpy(buf, line, n);
	memcpy(buf + n, "\n", 2);
	assert_int_equal(
	    proto_frame_parse(buf, strlen(buf), &fr, &err), PROTO_FRAME);
	client_dispatch_frame(f->s, &fr, CLIENT_ROUTE_RELAY);
}

/* MSG|from|to|ts|id|body from the relay. */
static inline void
relay_msg(struct fx *f, const char *from, const char *to, const char *id,
    const char *body)
{
	char buf[1024];
	size_t n;

	assert_int_equal(proto_build_msg(buf, sizeof buf, &n, from, to, 1000,
	                     id, body, strlen(body)),
	    0);
	buf[n - 1] = '\0';
	relay_says(f, buf);
}

/* End the turn (the store commits, receipts go) and read what the
 * session wrote to the relay into out. */
static inline const char *
relay_hears(struct fx *f, char *out, size_t cap)
{
	ssize_t n;
	size_t len = 0;

	assert_true(net_loop_run_once(f->loop, 0) >= 0);
	net_conn_flush_now(f->s->conn);
	while (len + 1 < cap &&
	    (n = recv(f->relay, out + len, cap - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	return out;
}

/* Unread messages from peer in the store. */
static inline void
count_one(void *arg, const struct client_msg *m)
{
	(void)m;
	(*(int *)arg)++;
}

static inline int
unread_in_store(struct fx *f, const char *peer)
{
	int n = 0;

	assert_true(client_store_unread_of(
	                client_session_store(f->s), peer, count_one, &n) >= 0);
	return n;
}

#endif
