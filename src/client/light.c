/* SPDX-License-Identifier: MIT */
/*
 * P2P light mode: while idle, the relay connection is closed and ALIVE
 * datagrams keep us online; anything that needs the relay (a message to
 * send, a receipt, a file, the relay's word that something waits) opens
 * it again. Over TLS every ALIVE and every answer is signed with the key
 * of our last login, counted and timed; a datagram from anywhere but the
 * relay, or not a signed answer to our latest ALIVE, is ignored, and
 * three unanswered ALIVEs mean: log in again.
 */
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/p2p.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/sock.h"
#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define REST_CHECK_MS 500
#define REST_AFTER_MS 1000 /* quiet this long before closing */

struct client_light {
	bool resting; /* without a relay connection */
	bool alive_wait; /* an ALIVE sent before resting, not answered */
	uint64_t alive_ms; /* ALIVE interval: ours or the relay's, shorter */
	int ufd;
	struct net_watch *uw;
	struct net_timer alive, rest;
	char *pending; /* frames for the relay while resting */
	size_t npending;
	/* Over TLS: the counter of our latest ALIVE (from 1 per login),
	 * whether it was answered, ALIVEs unanswered in a row, and where
	 * the relay is (answers come from there only). */
	uint64_t counter;
	bool answered;
	unsigned missed;
	struct sockaddr_storage relay;
	socklen_t relaylen;
	bool has_relay;
};

/*
 * Where the relay's UDP side is, found once per login: the first IPv4
 * address of its host. ALIVE goes there, and only answers from there
 * count.
 */
static bool
relay_resolve(struct client_session *s)
{
	struct client_light *l = s->light;
	struct addrinfo hints, *res;
	char port[8];

	if (l->has_relay)
		return true;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(port, sizeof port, "%u", (unsigned)s->cfg.port);
	if (getaddrinfo(s->host, port, &hints, &res) != 0)
		return false;
	if (res != NULL && res->ai_addrlen <= sizeof l->relay) {
		memcpy(&l->relay, res->ai_addr, res->ai_addrlen);
		l->relaylen = res->ai_addrlen;
		l->has_relay = true;
	}
	freeaddrinfo(res);
	return l->has_relay;
}

/* ALIVE|name|counter|time|mac: the next counter, signed with our key. */
static int
alive_build_signed(struct client_session *s, size_t *n)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	if (!s->has_alive_key ||
	    proto_alive_signed(s->buf, sizeof s->buf, n, s->me,
	        s->light->counter + 1, util_wall_ms() / 1000) != 0)
		return -1;
	crypto_auth_hmacsha256(
	    mac, (const unsigned char *)s->buf, *n, s->alive_key);
	if (proto_build_signed(s->buf, sizeof s->buf, n, mac) != 0)
		return -1;
	s->light->counter++;
	s->light->answered = false;
	return 0;
}

/* One ALIVE datagram: we are still here. */
static void
alive_send(struct client_session *s)
{
	size_t n;

	if (s->me[0] == '\0')
		return;
	if (s->tls != NULL) {
		if (!relay_resolve(s) || alive_build_signed(s, &n) != 0)
			return;
		(void)net_udp_reply(s->light->ufd, &s->light->relay,
		    s->light->relaylen, s->buf, n);
		return;
	}
	if (s->token[0] == '\0' ||
	    proto_build_alive(s->buf, sizeof s->buf, &n, s->me, s->token) != 0)
		return;
	(void)net_udp_sendto(
	    s->light->ufd, s->host, (uint16_t)s->cfg.port, s->buf, n);
}

/* Open a relay connection again: something needs the relay. */
static void
light_wake(struct client_session *s)
{
	if (!s->light->resting)
		return;
	s->light->resting = false;
	s->light->alive_wait = false;
	s->light->missed = 0;
	client_session_connect(s);
}

/* Whether the relay connection has nothing to do, and has had for a while. */
static bool
light_idle(struct client_session *s)
{
	return s->state == CLIENT_ONLINE && s->conn != NULL &&
	    client_outbox_len(s->outbox) == 0 && s->nrcpts == 0 &&
	    s->nreads == 0 && s->light->npending == 0 &&
	    !client_p2p_is_busy(s->p2p) && !client_xfers_open(s->xfers) &&
	    net_loop_now(s->loop) - s->last_work >= REST_AFTER_MS;
}

/* Close the relay connection; ALIVE keeps our presence meanwhile. */
static void
light_rest(struct client_session *s)
{
	s->light->alive_wait = false;
	if (!light_idle(s))
		return;
	net_conn_close(s->conn, true);
	s->conn = NULL;
	s->light->resting = true;
	client_xfers_online(s->xfers, false);
	net_timer_stop(s->loop, &s->heartbeat);
}

/* Every tick: wake for work, or offer to rest. */
static void
rest_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;

	/* Messages, read marks or a file to send: back to the relay. */
	if (s->light->resting &&
	    (client_outbox_len(s->outbox) > 0 || s->nreads > 0 ||
	        client_xfers_busy(s->xfers)))
		light_wake(s);
	/* First an ALIVE, so the relay keeps us online when we leave;
	 * again each tick until its answer comes (a datagram may be lost). */
	if (!s->light->resting && light_idle(s)) {
		s->light->alive_wait = true;
		alive_send(s);
	}
	net_timer_start(s->loop, t, REST_CHECK_MS);
}

/*
 * While resting, ALIVE at the interval the relay needs. Over TLS a relay
 * that lost our key (it restarted) does not answer: after three
 * unanswered intervals we log in again.
 */
static void
alive_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;
	struct client_light *l = s->light;

	net_timer_start(s->loop, t, l->alive_ms);
	if (!l->resting)
		return;
	if (s->tls != NULL) {
		l->missed = l->answered ? 0 : l->missed + 1;
		if (l->missed >= 3) {
			s->token[0] = '\0';
			light_wake(s);
			return;
		}
	}
	alive_send(s);
}

/*
 * The relay's STATS: its heartbeat_s is the interval whose three misses
 * make us offline, so ALIVE goes at least that often.
 */
void
client_light_learn(struct client_session *s, struct proto_slice b64)
{
	char kv[2048];
	const char *p;
	size_t n;
	uint64_t ms;

	if (proto_b64_decode(b64.p, b64.len, kv, sizeof kv - 1, &n) != 0)
		return;
	kv[n] = '\0';
	if ((p = strstr(kv, "\nheartbeat_s=")) == NULL)
		return;
	ms = strtoull(p + 13, NULL, 10) * 1000;
	if (ms > 0 && ms < s->light->alive_ms) {
		s->light->alive_ms = ms;
		net_timer_start(s->loop, &s->light->alive, ms);
	}
}

/* Whether two addresses are the same host and port. */
bool
client_light_same_addr(
    const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	char x[NET_ADDRSTRLEN], y[NET_ADDRSTRLEN];

	if (a->ss_family != b->ss_family ||
	    net_addr_port(a) != net_addr_port(b))
		return false;
	net_addr_format(a, x, sizeof x);
	net_addr_format(b, y, sizeof y);
	return strcmp(x, y) == 0;
}

/*
 * Whether fr is the relay's signed answer ALIVE|pending|counter|mac to
 * our latest ALIVE (counter latest), by key.
 */
bool
client_light_answer_ok(
    const unsigned char *key, uint64_t latest, const struct proto_frame *fr)
{
	struct proto_slice signed_part = proto_frame_signed(fr);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	return fr->verb == PROTO_V_ALIVE && fr->nargs == 3 && latest > 0 &&
	    proto_slice_u64(fr->arg[1]) == latest &&
	    proto_slice_hex32(fr->arg[2], mac) == 0 &&
	    crypto_auth_hmacsha256_verify(mac,
	        (const unsigned char *)signed_part.p, signed_part.len,
	        key) == 0;
}

/*
 * A datagram over TLS: only the relay's signed answer to our latest
 * ALIVE counts, and nothing else (no ERR) is acted upon. Returns the
 * frames waiting for us, or -1 to ignore it.
 */
static int64_t
light_answer_tls(struct client_session *s, const struct proto_frame *fr,
    const struct sockaddr_storage *from)
{
	struct client_light *l = s->light;

	if (!l->has_relay || !s->has_alive_key ||
	    !client_light_same_addr(from, &l->relay) ||
	    !client_light_answer_ok(s->alive_key, l->counter, fr))
		return -1;
	l->answered = true;
	l->missed = 0;
	return (int64_t)proto_slice_u64(fr->arg[0]);
}

/* What an answer from the relay with pending frames waiting means. */
static void
light_answer(struct client_session *s, uint64_t pending)
{
	if (s->light->alive_wait)
		light_rest(s);
	else if (s->light->resting && pending > 0)
		light_wake(s); /* something waits for us */
}

/*
 * The relay's answers: ALIVE|pending, or ERR when our token is stale;
 * over TLS only signed answers from the relay (light_answer_tls).
 */
static void
light_read(struct net_watch *w, short revents, void *arg)
{
	struct client_session *s = arg;
	struct client_light *l = s->light;
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct proto_frame fr;
	struct proto_error err;
	char buf[512];
	int64_t pending;
	ssize_t n;

	(void)w;
	(void)revents;
	while ((n = net_udp_recvfrom(
	            l->ufd, buf, sizeof buf - 1, &from, &fromlen)) > 0) {
		if (buf[n - 1] != '\n')
			buf[n++] = '\n';
		if (proto_frame_parse(buf, (size_t)n, &fr, &err) != PROTO_FRAME)
			continue;
		if (s->tls != NULL) {
			if ((pending = light_answer_tls(s, &fr, &from)) >= 0)
				light_answer(s, (uint64_t)pending);
		} else if (fr.verb == PROTO_V_ALIVE && fr.nargs == 1) {
			light_answer(s, proto_slice_u64(fr.arg[0]));
		} else if (fr.verb == PROTO_V_ERR && l->resting) {
			/* Our light presence lapsed: log in again. */
			s->token[0] = '\0';
			light_wake(s);
		}
	}
}

/*
 * A frame for the relay while it is away (resting, or not logged in
 * again yet): it waits for the connection, which is woken. False when
 * the connection is there to take it.
 */
bool
client_light_hold(struct client_session *s, const char *p, size_t n)
{
	struct client_light *l = s->light;

	if (!l->resting && (s->conn == NULL || s->state == CLIENT_ONLINE))
		return false;
	l->pending = xrealloc(l->pending, l->npending + n);
	memcpy(l->pending + l->npending, p, n);
	l->npending += n;
	light_wake(s);
	return true;
}

/* Logged in again: ask for the relay's heartbeat, send what waited. */
void
client_light_synced(struct client_session *s)
{
	struct client_light *l = s->light;
	size_t n;

	/* A new login, a new key: its ALIVEs count from 1. */
	l->counter = 0;
	l->has_relay = false;
	l->answered = true;
	l->missed = 0;
	if (proto_build_bare(s->buf, sizeof s->buf, &n, PROTO_V_STATS) == 0)
		net_conn_write(s->conn, s->buf, n);
	if (l->npending > 0) {
		net_conn_write(s->conn, l->pending, l->npending);
		l->npending = 0;
	}
}

/* Light mode for s: a UDP socket for ALIVE, and the timers. */
int
client_light_new(struct client_session *s, char *err, size_t errlen)
{
	struct client_light *l;

	l = s->light = xcalloc(1, sizeof *l);
	if ((l->ufd = net_udp_socket(AF_INET)) == -1) {
		snprintf(err, errlen, "no UDP socket for ALIVE: %s",
		    strerror(errno));
		return -1;
	}
	l->uw = net_loop_add_fd(s->loop, l->ufd, POLLIN, light_read, s);
	net_timer_init(&l->rest, rest_timer, s);
	net_timer_init(&l->alive, alive_timer, s);
	l->alive_ms = (uint64_t)s->cfg.heartbeat_s * 1000;
	net_timer_start(s->loop, &l->rest, REST_CHECK_MS);
	net_timer_start(s->loop, &l->alive, l->alive_ms);
	return 0;
}

/* Stop light mode and free its state. */
void
client_light_free(struct client_session *s)
{
	struct client_light *l = s->light;

	if (l == NULL)
		return;
	if (l->uw != NULL) {
		net_timer_stop(s->loop, &l->rest);
		net_timer_stop(s->loop, &l->alive);
		net_watch_remove(l->uw);
	}
	if (l->ufd != -1)
		close(l->ufd);
	free(l->pending);
	free(l);
	s->light = NULL;
}
