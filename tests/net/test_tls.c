/* SPDX-License-Identifier: MIT */
#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/conn.h"
#include "net/identity.h"
#include "net/loop.h"
#include "net/sock.h"
#include "net/tls.h"

/* One end of a connection under test. */
struct side {
	struct net_conn *c;
	unsigned char fp[NET_ID_FP_LEN];
	bool hs;
	bool refuse;
	int closes;
	char why[256];
	size_t ngot;
	uint64_t sum; /* what was read, checked against the pattern */
	bool pattern_ok;
	bool echo; /* write back what is read */
	bool pause_once; /* pause after the first read, resume in 20 ms */
};

struct fix {
	struct net_loop *loop;
	char dir[64];
	struct net_id *sid, *cid;
	struct net_tls *stls, *ctls;
	struct side srv, cli;
	size_t want; /* stop once srv has this many bytes */
	size_t nsent, total;
	bool timed_out;
	struct net_timer deadline, pump;
	int lfd;
	struct net_watch *lw;
};

static struct fix F;

static void raw_cleanup(void);

static char
pattern(size_t i)
{
	return (char)(i * 7 + i / 1000);
}

static void
side_read(struct net_conn *c, void *arg)
{
	struct side *s = arg;
	const char *p;
	size_t n, i;

	p = net_conn_input(c, &n);
	for (i = 0; i < n; i++) {
		if (p[i] != pattern(s->ngot + i))
			s->pattern_ok = false;
	}
	if (s->echo) {
		assert_int_equal(net_conn_write(c, p, n), 0);
		if (net_conn_is_full(c))
			net_conn_pause(c, true);
	}
	s->ngot += n;
	net_conn_consume(c, n);
	if (s->pause_once) {
		s->pause_once = false;
		net_conn_pause(c, true);
		net_timer_start(F.loop, &F.pump, 20);
	}
	if (F.want > 0 && s->ngot >= F.want && (s == &F.cli) == F.srv.echo)
		net_loop_stop(F.loop);
}

static void
side_close(struct net_conn *c, void *arg, const char *why)
{
	struct side *s = arg;

	(void)c;
	s->closes++;
	s->c = NULL;
	snprintf(s->why, sizeof s->why, "%s", why);
	net_loop_stop(F.loop);
}

static void
side_handshake(struct net_conn *c, void *arg)
{
	struct side *s = arg;

	s->hs = true;
	assert_non_null(net_conn_peer_fingerprint(c));
	memcpy(s->fp, net_conn_peer_fingerprint(c), NET_ID_FP_LEN);
	if (s->refuse) {
		/* Even a close with flush sends nothing queued before. */
		net_conn_close(c, true);
		s->c = NULL;
		net_loop_stop(F.loop);
	}
}

/* The echoing side's queue drained: read again. */
static void
side_drain(struct net_conn *c, void *arg)
{
	(void)arg;
	net_conn_pause(c, false);
}

static const struct net_conn_cb side_cb = {
    .on_read = side_read,
    .on_drain = side_drain,
    .on_close = side_close,
    .on_handshake = side_handshake,
};

static void
on_deadline(struct net_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	F.timed_out = true;
	net_loop_stop(F.loop);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	memset(&F, 0, sizeof F);
	F.srv.pattern_ok = F.cli.pattern_ok = true;
	F.lfd = -1;
	snprintf(F.dir, sizeof F.dir, "/tmp/tg-tls-XXXXXX");
	assert_non_null(mkdtemp(F.dir));
	F.sid = net_id_open(
	    F.dir, "relay.key", "relay.crt", "relay", err, sizeof err);
	assert_non_null(F.sid);
	F.cid = net_id_open(F.dir, "identity.key", "identity.crt",
	    "termgram device", err, sizeof err);
	assert_non_null(F.cid);
	F.stls = net_tls_new(NET_TLS_SERVER, F.sid, err, sizeof err);
	F.ctls = net_tls_new(NET_TLS_CLIENT, F.cid, err, sizeof err);
	assert_non_null(F.stls);
	assert_non_null(F.ctls);
	F.loop = net_loop_new();
	net_timer_init(&F.deadline, on_deadline, NULL);
	net_timer_start(F.loop, &F.deadline, 20000);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	raw_cleanup();
	net_timer_stop(F.loop, &F.deadline);
	net_timer_stop(F.loop, &F.pump);
	net_conn_close(F.srv.c, false);
	net_conn_close(F.cli.c, false);
	if (F.lw != NULL)
		net_watch_remove(F.lw);
	if (F.lfd != -1)
		close(F.lfd);
	net_loop_run_once(F.loop, 0);
	net_loop_free(F.loop);
	net_tls_free(F.stls);
	net_tls_free(F.ctls);
	net_id_free(F.sid);
	net_id_free(F.cid);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", F.dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* A connected pair of non-blocking sockets. */
static void
pair(int sv[2], int sndbuf)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(net_set_nonblock(sv[0]), 0);
	assert_int_equal(net_set_nonblock(sv[1]), 0);
	if (sndbuf > 0) {
		net_set_sndbuf(sv[0], sndbuf);
		net_set_sndbuf(sv[1], sndbuf);
	}
}

/* A TLS connection on fd for side s, in t's role. */
static struct net_conn *
tls_conn(
    struct side *s, int fd, struct net_tls *t, const struct net_conn_cb *cb)
{
	char err[256];

	s->c = net_conn_new(F.loop, fd, cb, s);
	assert_int_equal(net_conn_tls_start(s->c, t, err, sizeof err), 0);
	return s->c;
}

/* Both ends of a socketpair as TLS connections on the loop. */
static void
tls_pair(int sndbuf)
{
	int sv[2];

	pair(sv, sndbuf);
	tls_conn(&F.srv, sv[0], F.stls, &side_cb);
	tls_conn(&F.cli, sv[1], F.ctls, &side_cb);
}

/* Queue n bytes of the pattern on the client. */
static void
send_pattern(size_t n)
{
	char buf[4096];
	size_t k, i;

	while (n > 0) {
		k = n < sizeof buf ? n : sizeof buf;
		for (i = 0; i < k; i++)
			buf[i] = pattern(F.nsent + i);
		assert_int_equal(net_conn_write(F.cli.c, buf, k), 0);
		F.nsent += k;
		n -= k;
	}
}

static void
on_accept(struct net_watch *w, short revents, void *arg)
{
	char ip[NET_ADDRSTRLEN], err[256];
	int fd;

	(void)revents;
	(void)arg;
	fd = net_tcp_accept(net_watch_fd(w), ip, sizeof ip);
	assert_true(fd != -1);
	F.srv.c = net_conn_new(F.loop, fd, &side_cb, &F.srv);
	assert_int_equal(
	    net_conn_tls_start(F.srv.c, F.stls, err, sizeof err), 0);
}

static void
net_tls__handshakes__over_loopback_with_right_fingerprints(void **state)
{
	unsigned char ka[32], kb[32], zero[32] = {0};
	char err[256];
	int port;

	(void)state;
	F.lfd = net_tcp_listen("127.0.0.1", 0, err, sizeof err);
	assert_true(F.lfd != -1);
	port = net_sock_port(F.lfd);
	F.lw = net_loop_add_fd(F.loop, F.lfd, POLLIN, on_accept, NULL);
	F.cli.c = net_conn_connect(F.loop, "127.0.0.1", (unsigned)port,
	    &side_cb, &F.cli, err, sizeof err);
	assert_non_null(F.cli.c);
	assert_int_equal(
	    net_conn_tls_start(F.cli.c, F.ctls, err, sizeof err), 0);
	assert_true(net_conn_is_tls(F.cli.c));
	assert_null(net_conn_peer_fingerprint(F.cli.c));
	/* Written before the handshake: held until the hook accepted. */
	send_pattern(1000);
	F.want = 1000;
	net_loop_run(F.loop);
	assert_false(F.timed_out);
	assert_int_equal(F.srv.ngot, 1000);
	assert_true(F.srv.pattern_ok);
	assert_true(F.cli.hs && F.srv.hs);
	assert_memory_equal(F.cli.fp, net_id_fingerprint(F.sid), 32);
	assert_memory_equal(F.srv.fp, net_id_fingerprint(F.cid), 32);
	assert_true(net_conn_tls_ready(F.cli.c));
	assert_int_equal(
	    net_conn_tls_export(F.cli.c, NET_TLS_EXPORTER, ka, 32), 0);
	assert_int_equal(
	    net_conn_tls_export(F.srv.c, NET_TLS_EXPORTER, kb, 32), 0);
	assert_memory_equal(ka, kb, 32);
	assert_memory_not_equal(ka, zero, 32);
	assert_int_equal(
	    net_conn_tls_export(F.srv.c, "EXPORTER-other", kb, 32), 0);
	assert_memory_not_equal(ka, kb, 32);
}

static void
pump_64mib(struct net_timer *t, void *arg)
{
	(void)arg;
	while (
	    F.cli.c != NULL && F.nsent < F.total && !net_conn_is_full(F.cli.c))
		send_pattern(
		    F.total - F.nsent < 65536 ? F.total - F.nsent : 65536);
	if (F.nsent < F.total)
		net_timer_start(F.loop, t, 1);
}

static void
net_tls__moves__64mib_with_small_sndbuf(void **state)
{
	(void)state;
	tls_pair(4096);
	F.total = F.want = 64u * 1024 * 1024;
	net_timer_init(&F.pump, pump_64mib, NULL);
	net_timer_start(F.loop, &F.pump, 0);
	net_loop_run(F.loop);
	assert_false(F.timed_out);
	assert_int_equal(F.srv.closes, 0);
	assert_int_equal(F.srv.ngot, F.total);
	assert_true(F.srv.pattern_ok);
}

static void
net_tls__echoes__64mib_both_ways_with_backpressure(void **state)
{
	(void)state;
	tls_pair(4096);
	F.srv.echo = true;
	F.total = F.want = 64u * 1024 * 1024;
	net_timer_init(&F.pump, pump_64mib, NULL);
	net_timer_start(F.loop, &F.pump, 0);
	net_loop_run(F.loop);
	assert_false(F.timed_out);
	assert_int_equal(F.srv.closes + F.cli.closes, 0);
	assert_int_equal(F.srv.ngot, F.total);
	assert_int_equal(F.cli.ngot, F.total);
	assert_true(F.srv.pattern_ok);
	assert_true(F.cli.pattern_ok);
}

/* Send n bytes of the pattern; the server must get them all. */
static void
srv_gets(size_t n)
{
	send_pattern(n);
	F.want = n;
	net_loop_run(F.loop);
	assert_false(F.timed_out);
	assert_int_equal(F.srv.ngot, n);
	assert_true(F.srv.pattern_ok);
}

static void
net_tls__reads_pending__after_read_cap(void **state)
{
	(void)state;
	tls_pair(0);
	/* 1000 bytes a turn out of 16 KiB records: most of each record
	 * waits inside OpenSSL, where poll does not see it. */
	net_conn_set_read_cap(F.srv.c, 1000);
	srv_gets(100000);
}

static void
resume_srv(struct net_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	net_conn_pause(F.srv.c, false);
}

static void
net_tls__reads_pending__after_unpause(void **state)
{
	(void)state;
	tls_pair(0);
	/* The rest of the record waits in OpenSSL while reading is
	 * paused; resuming must read it without any new socket input. */
	net_conn_set_read_cap(F.srv.c, 1000);
	net_timer_init(&F.pump, resume_srv, NULL);
	F.srv.pause_once = true;
	srv_gets(5000);
}

static void
net_tls__answers__both_ways(void **state)
{
	(void)state;
	tls_pair(0);
	/* The server writes first this time, before any handshake. */
	assert_int_equal(net_conn_write(F.srv.c, "\0\7\16", 3), 0);
	send_pattern(10);
	F.want = 10;
	net_loop_run(F.loop);
	while (F.cli.ngot < 3 && !F.timed_out)
		net_loop_run_once(F.loop, 100);
	assert_int_equal(F.cli.ngot, 3);
	assert_true(F.cli.pattern_ok);
	assert_int_equal(F.srv.ngot, 10);
}

/* A peer in the test's own hands: OpenSSL on a plain socket. */
struct raw {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	bool hs, eof, failed;
	size_t got, stop_at;
	int records; /* records read after the handshake */
	struct net_timer t;
};

static void
raw_msg(int write_p, int version, int type, const void *buf, size_t len,
    SSL *ssl, void *arg)
{
	struct raw *r = arg;

	(void)version;
	(void)ssl;
	if (!write_p && type == SSL3_RT_HEADER && len >= 1 && r->hs &&
	    ((const unsigned char *)buf)[0] == SSL3_RT_APPLICATION_DATA)
		r->records++;
}

static int
raw_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen,
	        (const unsigned char *)"\x0atermgram/1", 11, in,
	        inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

static int
raw_verify(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* Drive the raw peer a step each millisecond. */
static void
raw_step(struct net_timer *t, void *arg)
{
	struct raw *r = arg;
	char buf[16384];
	int n, e;

	if (!r->hs) {
		ERR_clear_error();
		n = SSL_do_handshake(r->ssl);
		if (n == 1)
			r->hs = true;
		else {
			e = SSL_get_error(r->ssl, n);
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE) {
				r->failed = true;
				return;
			}
		}
	}
	while (r->hs && !r->eof) {
		ERR_clear_error();
		n = SSL_read(r->ssl, buf, sizeof buf);
		if (n > 0) {
			r->got += (size_t)n;
			continue;
		}
		e = SSL_get_error(r->ssl, n);
		if (e == SSL_ERROR_ZERO_RETURN)
			r->eof = true;
		else if (e != SSL_ERROR_WANT_READ)
			r->failed = true;
		break;
	}
	if (!r->eof && !r->failed)
		net_timer_start(F.loop, t, 1);
}

/* A raw TLS peer on fd: server or client, with or without cert/ALPN. */
static void
raw_start(struct raw *r, int fd, bool server, bool cert, bool alpn)
{
	char kp[128], cp[128];

	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->ctx =
	    SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	assert_non_null(r->ctx);
	SSL_CTX_set_min_proto_version(r->ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, raw_verify);
	if (cert) {
		snprintf(kp, sizeof kp, "%s/relay.key", F.dir);
		snprintf(cp, sizeof cp, "%s/relay.crt", F.dir);
		assert_int_equal(
		    SSL_CTX_use_certificate_file(r->ctx, cp, SSL_FILETYPE_PEM),
		    1);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(r->ctx, kp, SSL_FILETYPE_PEM),
		    1);
	}
	if (alpn && server)
		SSL_CTX_set_alpn_select_cb(r->ctx, raw_alpn, NULL);
	if (alpn && !server)
		SSL_CTX_set_alpn_protos(
		    r->ctx, (const unsigned char *)"\x0atermgram/1", 11);
	r->ssl = SSL_new(r->ctx);
	SSL_set_fd(r->ssl, fd);
	SSL_set_msg_callback(r->ssl, raw_msg);
	SSL_set_msg_callback_arg(r->ssl, r);
	if (server)
		SSL_set_accept_state(r->ssl);
	else
		SSL_set_connect_state(r->ssl);
	net_timer_init(&r->t, raw_step, r);
	net_timer_start(F.loop, &r->t, 0);
}

static struct raw R; /* freed by teardown if a test failed */

static void
raw_free(struct raw *r)
{
	if (r->ssl == NULL)
		return;
	net_timer_stop(F.loop, &r->t);
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	close(r->fd);
}

static void
raw_cleanup(void)
{
	raw_free(&R);
	memset(&R, 0, sizeof R);
}

/* Run turns until done() or the deadline. */
static void
run_until(bool (*done)(void *), void *arg)
{
	while (!done(arg) && !F.timed_out)
		net_loop_run_once(F.loop, 50);
	assert_false(F.timed_out);
}

static bool
raw_done(void *arg)
{
	struct raw *r = arg;

	return r->eof || r->failed || (r->stop_at > 0 && r->got >= r->stop_at);
}

static bool
srv_closed(void *arg)
{
	(void)arg;
	return F.srv.closes > 0;
}

/* A TLS client conn against a raw server on a socketpair. */
static void
client_vs_raw(struct raw *r)
{
	int sv[2];

	pair(sv, 0);
	tls_conn(&F.cli, sv[1], F.ctls, &side_cb);
	raw_start(r, sv[0], true, true, true);
}

static void
write_frames(struct net_conn *c, void *arg)
{
	char frame[40];
	int i;

	side_handshake(c, arg);
	for (i = 0; i < 1000; i++) {
		snprintf(frame, sizeof frame, "MSG|alice|bob|%04d|hello\n", i);
		assert_int_equal(net_conn_write(c, frame, strlen(frame)), 0);
	}
}

static const struct net_conn_cb frames_cb = {
    .on_read = side_read,
    .on_close = side_close,
    .on_handshake = write_frames,
};

static void
net_tls__gathers__1000_frames_into_few_records(void **state)
{
	int sv[2];

	(void)state;
	pair(sv, 0);
	tls_conn(&F.cli, sv[1], F.ctls, &frames_cb);
	raw_start(&R, sv[0], true, true, true);
	R.stop_at = 25000;
	run_until(raw_done, &R);
	assert_false(R.failed);
	/* 25 000 bytes written in one turn: two records of 16 KiB. */
	assert_int_equal(R.got, 25000);
	assert_true(R.records >= 1);
	assert_true(R.records <= 5);
	raw_free(&R);
	memset(&R, 0, sizeof R);
}

static void
net_tls__sends_nothing__hook_refuses(void **state)
{
	(void)state;
	F.cli.refuse = true;
	client_vs_raw(&R);
	send_pattern(5000); /* a LOGIN queued right after connect */
	run_until(raw_done, &R);
	assert_true(F.cli.hs);
	assert_memory_equal(F.cli.fp, net_id_fingerprint(F.sid), 32);
	assert_int_equal(R.got, 0);
	assert_int_equal(F.cli.closes, 0);
	raw_free(&R);
	memset(&R, 0, sizeof R);
}

static void
net_tls__sends_close_notify__close_with_flush(void **state)
{
	(void)state;
	client_vs_raw(&R);
	while (!F.cli.hs && !F.timed_out)
		net_loop_run_once(F.loop, 50);
	send_pattern(100000);
	net_conn_close(F.cli.c, true);
	F.cli.c = NULL;
	run_until(raw_done, &R);
	assert_false(R.failed);
	assert_int_equal(R.got, 100000);
	assert_true(SSL_get_shutdown(R.ssl) & SSL_RECEIVED_SHUTDOWN);
	raw_free(&R);
	memset(&R, 0, sizeof R);
}

/* A server conn against a raw client without cert or without ALPN. */
static void
server_vs_raw_client(bool cert, bool alpn, const char *why)
{
	int sv[2];

	pair(sv, 0);
	tls_conn(&F.srv, sv[0], F.stls, &side_cb);
	raw_start(&R, sv[1], false, cert, alpn);
	run_until(srv_closed, NULL);
	assert_false(F.srv.hs);
	assert_non_null(strstr(F.srv.why, why));
	assert_non_null(strstr(F.srv.why, "TLS handshake failed"));
	raw_free(&R);
	memset(&R, 0, sizeof R);
}

static void
net_tls__refuses__client_without_alpn(void **state)
{
	(void)state;
	server_vs_raw_client(true, false, "no ALPN termgram/1");
}

static void
net_tls__refuses__client_without_certificate(void **state)
{
	(void)state;
	server_vs_raw_client(false, true, "no client certificate");
}

static void
net_tls__server_hook_refuses__client_sees_close(void **state)
{
	(void)state;
	F.srv.refuse = true;
	tls_pair(0);
	send_pattern(10);
	while (F.cli.closes == 0 && !F.timed_out)
		net_loop_run_once(F.loop, 50);
	assert_false(F.timed_out);
	assert_int_equal(F.srv.ngot, 0);
	assert_int_equal(F.cli.closes, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(net_tls__handshakes__over_loopback_with_right_fingerprints),
	    T(net_tls__moves__64mib_with_small_sndbuf),
	    T(net_tls__echoes__64mib_both_ways_with_backpressure),
	    T(net_tls__reads_pending__after_read_cap),
	    T(net_tls__reads_pending__after_unpause),
	    T(net_tls__answers__both_ways),
	    T(net_tls__gathers__1000_frames_into_few_records),
	    T(net_tls__sends_nothing__hook_refuses),
	    T(net_tls__sends_close_notify__close_with_flush),
	    T(net_tls__refuses__client_without_alpn),
	    T(net_tls__refuses__client_without_certificate),
	    T(net_tls__server_hook_refuses__client_sees_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
