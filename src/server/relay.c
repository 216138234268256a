/* SPDX-License-Identifier: MIT */
/*
 * The relay's own life: it opens the store and loads it, listens on TCP
 * and UDP, accepts sessions, sweeps once a second, ends each turn (the
 * presence batch, the commit, the ACKs), answers STATS, and shuts down.
 * Sessions, the router and the directory are in session.c, router.c and
 * directory.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net/identity.h"
#include "net/loop.h"
#include "net/sock.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "server/filestore.h"
#include "server/log.h"
#include "server/relay.h"
#include "server/relay_int.h"
#include "net/tls.h"
#include "server/store.h"
#include "util/fingerprint.h"
#include "util/xmalloc.h"

#define ACCEPT_PER_TURN 64
#define SWEEP_MS 1000

/*
 * Replace the settings the relay reads while it runs (main.c keeps the
 * bind address, port, data folder and the others read once at the start).
 */
void
server_relay_set_config(struct server_relay *r, const struct server_config *cfg)
{
	r->cfg = *cfg;
}

/* Fill cfg with the documented defaults. */
void
server_config_defaults(struct server_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->bind = "0.0.0.0";
	cfg->port = PROTO_DEFAULT_PORT;
	cfg->data_dir = NULL;
	cfg->heartbeat_s = 15;
	cfg->max_frame = PROTO_MAX_FRAME;
	cfg->max_login_line = 4096;
	cfg->grace_ms = 200;
	cfg->max_sessions = 20000;
	cfg->rate = 50000;
	cfg->max_output = 8 * 1024 * 1024;
	cfg->max_output_total = 256ULL * 1024 * 1024;
	cfg->sync_full = true;
	cfg->max_stall_s = 30;
	cfg->login_timeout_s = 10;
	cfg->ticket_s = 60;
	cfg->queue_max_frames = 100000;
	cfg->queue_max_bytes = 256ULL * 1024 * 1024;
	cfg->queue_max_s_frames = 50000;
	cfg->queue_max_s_bytes = 128ULL * 1024 * 1024;
	cfg->max_rooms = 10000;
	cfg->max_user_rooms = 100;
	cfg->max_room_members = 1000;
	cfg->tls = true;
	cfg->hash_threads = 0; /* one fewer than the CPUs, 1 to 2 */
	cfg->hash_queue = 16;
	cfg->name_failures = 3;
	cfg->addr_failures = 10;
	cfg->max_delay_s = 300;
	cfg->max_per_addr = 64;
	cfg->max_regs = 20;
	cfg->max_devices = 8;
	cfg->max_name_sessions = 16;
	cfg->device_expire_days = 90;
	cfg->file_max_size = 1ULL << 30;
	cfg->file_quota = 2ULL << 30;
	cfg->file_store_max = 10ULL << 30;
	cfg->file_keep_days = 7;
}

/*
 * The relay's key and certificate: the pair of --cert/--key, or
 * relay.key/relay.crt in the data folder, made on first start with the
 * relay's name (or the host name) as CN. NULL and err when refused.
 */
struct net_id *
server_relay_identity(const struct server_config *cfg, char *err, size_t errlen)
{
	char host[256];
	const char *cn = cfg->name;

	if (cfg->cert != NULL || cfg->key != NULL) {
		if (cfg->cert == NULL || cfg->key == NULL) {
			snprintf(err, errlen, "--cert and --key go together");
			return NULL;
		}
		return net_id_load(cfg->key, cfg->cert, err, errlen);
	}
	if (cn == NULL) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "termgram");
		host[sizeof host - 1] = '\0';
		cn = host;
	}
	return net_id_open(
	    cfg->data_dir, "relay.key", "relay.crt", cn, err, errlen);
}

/* Whether the address to listen on is a loopback one. */
static bool
relay_is_loopback(const char *bind)
{
	return strncmp(bind, "127.", 4) == 0 || strcmp(bind, "::1") == 0 ||
	    strcmp(bind, "localhost") == 0;
}

/* Over TLS: the server context from the relay's key; -1 and err if not. */
static int
relay_tls_start(struct server_relay *r, char *err, size_t errlen)
{
	struct net_id *id;
	char txt[UTIL_FP_TEXT];

	if (!r->cfg.tls) {
		if (!relay_is_loopback(r->cfg.bind))
			server_log(SERVER_LOG_WARN,
			    "--tls off on %s: passwords, tokens and messages "
			    "cross the network in clear",
			    r->cfg.bind);
		return 0;
	}
	if ((id = server_relay_identity(&r->cfg, err, errlen)) == NULL)
		return -1;
	memcpy(r->fp, net_id_fingerprint(id), sizeof r->fp);
	r->tls = net_tls_new(NET_TLS_SERVER, id, err, errlen);
	net_id_free(id);
	if (r->tls == NULL)
		return -1;
	util_fp_text(r->fp, txt);
	server_log(SERVER_LOG_INFO, "TLS on; the relay's key is %s", txt);
	return 0;
}

/*
 * The end of a turn: readers back under their share of the output bound,
 * presence, then the commit and its ACKs.
 */
static void
relay_turn_end(struct net_loop *loop, void *arg)
{
	struct server_relay *r = arg;

	(void)loop;
	server_output_turn(r);
	server_presence_due(r);
	server_rooms_trim(r);
	server_router_commit(&r->rt);
	server_rooms_turn(r);
}

/* The relay's counters as key=value lines in buf; their length. */
int
server_relay_stats_text(const struct server_relay *r, char *buf, size_t len)
{
	return snprintf(buf, len,
	    "uptime_s=%llu\nsessions=%u\nusers=%zu\nframes_in=%llu\n"
	    "frames_out=%llu\nmsgs_stored=%llu\nmsgs_relayed=%llu\n"
	    "bytes_relayed=%llu\nqueue_depth=%lld\ngrace_pending=%zu\n"
	    "grace_ms=%u\nlight=%zu\nheartbeat_s=%u\n",
	    (unsigned long long)((net_clock_ms() - r->started) / 1000), r->ss.n,
	    r->dir.nusers, (unsigned long long)r->st.frames_in,
	    (unsigned long long)r->st.frames_out,
	    (unsigned long long)r->st.msgs_stored,
	    (unsigned long long)r->st.msgs_relayed,
	    (unsigned long long)r->st.bytes_relayed,
	    (long long)r->st.queue_depth, r->rt.ngrace, r->cfg.grace_ms,
	    r->dir.nlight, r->cfg.heartbeat_s);
}

/* STATS: the relay's counters, as key=value lines. */
void
server_relay_send_stats(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct proto_writer w;
	char kv[1024];
	int len;
	size_t n;

	len = server_relay_stats_text(r, kv, sizeof kv);
	proto_writer_init(&w, r->out, sizeof r->out);
	proto_writer_begin(&w, PROTO_V_STATS);
	proto_writer_b64(&w, kv, (size_t)len);
	if (proto_writer_end(&w, &n) == 0)
		server_session_send(s, r->out, n);
}

/* Listen again after running out of descriptors. */
static void
accept_resume(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;

	(void)t;
	if (!r->shutting_down)
		net_watch_set_events(r->lw, POLLIN);
}

/* New connections, a bounded number per turn. */
static void
relay_accept(struct net_watch *w, short revents, void *arg)
{
	struct server_relay *r = arg;
	char ip[NET_ADDRSTRLEN], full[128];
	size_t n;
	int i, fd;

	(void)revents;
	for (i = 0; i < ACCEPT_PER_TURN; i++) {
		fd = net_tcp_accept(net_watch_fd(w), ip, sizeof ip);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: stop listening a while
				 * rather than spin on the listener. */
				server_log(SERVER_LOG_WARN,
				    "accept: %s; pausing for a second",
				    strerror(errno));
				net_watch_set_events(w, 0);
				net_timer_start(
				    r->loop, &r->accept_again, 1000);
			}
			return;
		}
		if (r->ss.n >= r->cfg.max_sessions) {
			/* Over TLS a plaintext ERR would only garble the
			 * handshake: the connection just closes. */
			if (r->tls == NULL &&
			    proto_build_err(full, sizeof full, &n,
			        PROTO_ERR_INTERNAL, NULL, 0,
			        "the relay is full") == 0)
				(void)!write(fd, full, n);
			close(fd);
			server_log(SERVER_LOG_WARN,
			    "refused %s: %u sessions already", ip, r->ss.n);
			continue;
		}
		server_session_new(r, fd, ip);
	}
}

/* Under the address sanitizer, its heap is the one to trim. */
#if defined(__SANITIZE_ADDRESS__)
#define RELAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RELAY_ASAN 1
#endif
#endif
#if defined(RELAY_ASAN) && defined(__has_include)
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#define RELAY_ASAN_PURGE 1
#endif
#endif

#define TRIM_FRAMES 10000 /* frames sent */
#define TRIM_CLOSED 64 /* sessions closed */
#define TRIM_FREED (8u << 20) /* bytes of output let go */

/* The counts the heap trim follows, as they are now. */
static struct srv_trim_marks
relay_trim_now(const struct server_relay *r)
{
	return (struct srv_trim_marks){
	    r->st.frames_out, r->lg.closed, r->ss.out_freed};
}

/* Whether now is past since by any of the trim's thresholds (times k). */
static bool
relay_trim_past(const struct srv_trim_marks *now,
    const struct srv_trim_marks *since, uint64_t k)
{
	return now->frames - since->frames > TRIM_FRAMES * k ||
	    now->closed - since->closed > TRIM_CLOSED * k ||
	    now->freed - since->freed > TRIM_FREED * k;
}

/*
 * After a burst (a login storm, a backlog delivered) or a trickle (the
 * sessions of an attack dropped a few at a time) the heap keeps the freed
 * buffers; give them back to the system, so that the resident size
 * reflects the sessions, not the last storm. What was freed is counted
 * from the last trim on: once it is enough, the next sweep whose second
 * was quiet trims. That is a turn later, after the sessions closed in
 * this one are freed (at the end of the turn, with their buffers).
 */
static void
relay_trim(struct server_relay *r)
{
	struct srv_trim_marks now = relay_trim_now(r);
	bool busy = relay_trim_past(&now, &r->sweep_mark, 4);

	r->sweep_mark = now;
	if (!r->trim_wanted) {
		r->trim_wanted = relay_trim_past(&now, &r->trim_mark, 1);
		return;
	}
	if (busy)
		return;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
#ifdef RELAY_ASAN_PURGE
	__sanitizer_purge_allocator();
#endif
	r->trim_wanted = false;
	r->trim_mark = now;
}

/* Once a second: idle and stalled sessions, tickets, light presence. */
static void
relay_sweep(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;

	server_session_sweep(r, net_clock_ms());
	server_logins_sweep(r, net_clock_ms());
	server_directory_sweep(r);
	relay_trim(r);
	net_timer_start(r->loop, t, SWEEP_MS);
}

/* TCP and UDP on the same port; with port 0, try until both are free. */
static int
relay_listen(struct server_relay *r, char *err, size_t errlen)
{
	const struct server_config *cfg = &r->cfg;
	int tries, ufd;

	for (tries = 0;; tries++) {
		r->lfd =
		    net_tcp_listen(cfg->bind, (uint16_t)cfg->port, err, errlen);
		if (r->lfd == -1)
			return -1;
		r->port = net_sock_port(r->lfd);
		ufd = net_udp_bind(cfg->bind, (uint16_t)r->port, err, errlen);
		if (ufd != -1)
			break;
		close(r->lfd);
		r->lfd = -1;
		if (cfg->port != 0 || tries == 20)
			return -1;
	}
	snprintf(r->addr, sizeof r->addr, "%s%s%s:%d",
	    strchr(cfg->bind, ':') != NULL ? "[" : "", cfg->bind,
	    strchr(cfg->bind, ':') != NULL ? "]" : "", r->port);
	r->lw = net_loop_add_fd(r->loop, r->lfd, POLLIN, relay_accept, r);
	server_directory_udp_start(r, ufd);
	return 0;
}

/* Open the store, load users and queued messages, and start listening. */
struct server_relay *
server_relay_new(struct net_loop *loop, const struct server_config *cfg,
    char *err, size_t errlen)
{
	struct server_filestore_limits lim;
	struct server_relay *r;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->loop = loop;
	r->cfg = *cfg;
	r->lfd = -1;
	r->started = net_clock_ms();
	server_directory_init(&r->dir);
	server_sessions_init(r);
	net_timer_init(&r->sweep, relay_sweep, r);
	net_timer_init(&r->accept_again, accept_resume, r);
	r->store =
	    server_store_open(cfg->data_dir, cfg->sync_full, err, errlen);
	server_router_init(&r->rt, loop, r->store, &r->dir, &r->st,
	    cfg->grace_ms, &server_session_io);
	server_router_set_quota(&r->rt, cfg->queue_max_frames,
	    cfg->queue_max_bytes, cfg->queue_max_s_frames,
	    cfg->queue_max_s_bytes);
	server_router_set_keep(&r->rt, cfg->keep_days * 24ULL * 3600 * 1000);
	r->rt.rooms_route = server_rooms_route;
	server_rooms_init(r);
	if (r->store == NULL)
		goto fail;
	if (server_directory_load(&r->dir, r->store) != 0 ||
	    server_router_load(&r->rt) != 0 || server_rooms_load(r) != 0) {
		snprintf(err, errlen, "%s", server_store_error(r->store));
		goto fail;
	}
	r->st.queue_depth = server_store_queue_depth(r->store);
	lim.max_size = cfg->file_max_size;
	lim.quota = cfg->file_quota;
	lim.store_max = cfg->file_store_max;
	lim.keep_ms = cfg->file_keep_days * 24ULL * 3600 * 1000;
	if ((r->rt.fs = server_filestore_open(
	         &r->rt, cfg->data_dir, &lim, err, errlen)) == NULL)
		goto fail;
	if (server_logins_init(r, err, errlen) != 0)
		goto fail;
	if (relay_tls_start(r, err, errlen) != 0)
		goto fail;
	if (relay_listen(r, err, errlen) != 0)
		goto fail;
	if ((r->admin = server_admin_start(r, err, errlen)) == NULL)
		goto fail;
	net_timer_start(loop, &r->sweep, SWEEP_MS);
	net_loop_set_turn_hook(loop, relay_turn_end, r);
	server_retention_start(r);
	server_log(SERVER_LOG_INFO, "data in %s: %zu users, %lld queued frames",
	    cfg->data_dir, r->dir.nusers, (long long)r->st.queue_depth);
	return r;
fail:
	server_relay_free(r);
	return NULL;
}

/* The port the relay listens on (the chosen one when asked for 0). */
int
server_relay_port(const struct server_relay *r)
{
	return r->port;
}

/* "ADDR:PORT" as the relay listens. */
const char *
server_relay_address(const struct server_relay *r)
{
	return r->addr;
}

/* Stop listening on TCP. */
static void
relay_unlisten(struct server_relay *r)
{
	if (r->lw != NULL)
		net_watch_remove(r->lw);
	r->lw = NULL;
	if (r->lfd != -1)
		close(r->lfd);
	r->lfd = -1;
}

/*
 * Stop accepting, store what waits in the grace period, say BYE to every
 * session and let their output flush; the caller runs the loop until
 * server_relay_is_drained() or a deadline.
 */
void
server_relay_shutdown(struct server_relay *r)
{
	if (r->shutting_down)
		return;
	r->shutting_down = true;
	relay_unlisten(r);
	server_directory_udp_stop(r);
	net_timer_stop(r->loop, &r->accept_again);
	net_timer_stop(r->loop, &r->sweep);
	server_retention_stop(r);
	server_router_flush(&r->rt, NULL);
	server_sessions_close_all(r, "shutdown", "relay shutting down");
}

/* Whether every session is gone. */
bool
server_relay_is_drained(const struct server_relay *r)
{
	return LIST_EMPTY(&r->ss.list);
}

/* Free everything; commits what is open. */
void
server_relay_free(struct server_relay *r)
{
	if (r == NULL)
		return;
	net_loop_set_turn_hook(r->loop, NULL, NULL);
	server_admin_stop(r->admin);
	net_timer_stop(r->loop, &r->sweep);
	net_timer_stop(r->loop, &r->accept_again);
	server_retention_stop(r);
	net_timer_stop(r->loop, &r->ss.kick);
	net_timer_stop(r->loop, &r->rt.timer);
	if (r->store != NULL) {
		server_presence_flush(r);
		server_router_commit(&r->rt);
	}
	relay_unlisten(r);
	server_directory_udp_stop(r);
	server_logins_fini(r);
	server_filestore_free(r->rt.fs);
	r->rt.fs = NULL;
	server_router_fini(&r->rt);
	server_rooms_fini(r);
	server_store_close(r->store);
	server_directory_fini(&r->dir);
	net_tls_free(r->tls);
	free(r);
}
