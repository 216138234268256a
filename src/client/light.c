/*
 * P2P light mode: while idle, the relay connection is closed and ALIVE
 * datagrams keep us online; anything that needs the relay (a message to
 * send, a receipt, a file, the relay's word that something waits) opens
 * it again.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/p2p.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/sock.h"
#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"
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
};

/* One ALIVE datagram: we are still here. */
static void
alive_send(struct client_session *s)
{
	size_t n;

	if (s->me[0] == '\0' || s->token[0] == '\0' ||
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

/* While resting, ALIVE at the interval the relay needs. */
static void
alive_timer(struct net_timer *t, void *arg)
{
	struct client_session *s = arg;

	if (s->light->resting)
		alive_send(s);
	net_timer_start(s->loop, t, s->light->alive_ms);
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

/* The relay's answers: ALIVE|pending, or ERR when our token is stale. */
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
	ssize_t n;

	(void)w;
	(void)revents;
	while ((n = net_udp_recvfrom(
	            l->ufd, buf, sizeof buf - 1, &from, &fromlen)) > 0) {
		if (buf[n - 1] != '\n')
			buf[n++] = '\n';
		if (proto_frame_parse(buf, (size_t)n, &fr, &err) != PROTO_FRAME)
			continue;
		if (fr.verb == PROTO_V_ALIVE && fr.nargs == 1) {
			if (l->alive_wait)
				light_rest(s);
			else if (l->resting && proto_slice_u64(fr.arg[0]) > 0)
				light_wake(s); /* something waits for us */
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
