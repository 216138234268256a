/* SPDX-License-Identifier: MIT */
#include <sys/queue.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client/p2p.h"
#include "client/peer.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/sock.h"
#include "net/tls.h"
#include "proto/frame.h"
#include "util/fingerprint.h"
#include "util/xmalloc.h"

#define P2P_TICK_MS 250
#define P2P_MAX_LINKS 256

/* One direct connection and the machine that drives it. */
struct p2p_link {
	struct client_p2p *p;
	struct client_peer *sm;
	struct net_conn *conn;
	struct proto_decoder dec;
	LIST_ENTRY(p2p_link) entry;
};

/* A peer that could not be reached: by the relay until then. */
struct p2p_cool {
	char name[PROTO_MAX_NAME + 1];
	uint64_t until;
};

struct client_p2p {
	struct net_loop *loop;
	struct client_p2p_hooks h;
	int lfd;
	unsigned port;
	struct net_watch *lw;
	LIST_HEAD(, p2p_link) links; /* newest first */
	size_t nlinks;
	struct p2p_cool cool[32];
	struct net_timer tick;
	/* TLS (NULL: plaintext): ours to answer, the session's to dial. */
	struct net_tls *tls_server, *tls_client;
};

static const struct net_conn_cb link_cb;

static struct p2p_link *
link_for(struct client_p2p *p, const char *name, bool open_only)
{
	struct p2p_link *l;

	LIST_FOREACH(l, &p->links, entry)
	{
		enum client_peer_state st = client_peer_state(l->sm);
		if (st == CLIENT_PEER_CLOSED ||
		    strcasecmp(client_peer_name(l->sm), name) != 0)
			continue;
		if (!open_only || st == CLIENT_PEER_OPEN)
			return l;
	}
	return NULL;
}

static bool
cooling(struct client_p2p *p, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof p->cool / sizeof p->cool[0]; i++) {
		if (strcasecmp(p->cool[i].name, name) == 0 &&
		    p->cool[i].until > net_loop_now(p->loop))
			return true;
	}
	return false;
}

static void
cool_down(struct client_p2p *p, const char *name)
{
	size_t i, oldest = 0;

	for (i = 0; i < sizeof p->cool / sizeof p->cool[0]; i++) {
		if (strcasecmp(p->cool[i].name, name) == 0) {
			oldest = i;
			break;
		}
		if (p->cool[i].until < p->cool[oldest].until)
			oldest = i;
	}
	snprintf(p->cool[oldest].name, sizeof p->cool[oldest].name, "%s", name);
	p->cool[oldest].until = net_loop_now(p->loop) + CLIENT_P2P_COOLDOWN_MS;
}

/* --- what the state machines ask for ------------------------------------ */

static int
io_send_peer(void *arg, const char *hdr, size_t n, const void *p, size_t m)
{
	struct p2p_link *l = arg;

	return l->conn != NULL ? net_conn_write2(l->conn, hdr, n, p, m) : -1;
}

static int
io_send_relay(void *arg, const char *buf, size_t n)
{
	struct p2p_link *l = arg;

	return l->p->h.send_relay(l->p->h.arg, buf, n);
}

static int
io_connect(void *arg, const char *ip, unsigned port)
{
	struct p2p_link *l = arg;
	char host[NET_ADDRSTRLEN], err[256];
	size_t n = strlen(ip);

	/* PEER writes IPv6 in brackets; the resolver wants it bare. */
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']')
		snprintf(host, sizeof host, "%.*s", (int)(n - 2), ip + 1);
	else
		snprintf(host, sizeof host, "%s", ip);
	l->conn = net_conn_connect(
	    l->p->loop, host, port, &link_cb, l, err, sizeof err);
	if (l->conn != NULL && l->p->tls_client != NULL &&
	    net_conn_tls_start(l->conn, l->p->tls_client, err, sizeof err) !=
	        0) {
		net_conn_close(l->conn, false);
		l->conn = NULL;
	}
	return l->conn != NULL ? 0 : -1;
}

static void
io_close(void *arg, const char *why)
{
	struct p2p_link *l = arg;

	(void)why;
	if (l->conn != NULL) {
		net_conn_close(l->conn, true);
		l->conn = NULL;
	}
}

static void
io_fallback(void *arg, const char *id)
{
	struct p2p_link *l = arg;

	cool_down(l->p, client_peer_name(l->sm));
	l->p->h.fallback(l->p->h.arg, id);
}

static void
io_frame(void *arg, const struct proto_frame *fr)
{
	struct p2p_link *l = arg;

	l->p->h.frame(l->p->h.arg, fr);
}

static void
io_ended(void *arg, const char *why)
{
	struct p2p_link *l = arg;
	const char *name = client_peer_name(l->sm);

	(void)why;
	/* Both may have dialled at once: the other connection carries on. */
	if (link_for(l->p, name, true) == NULL)
		l->p->h.lost(l->p->h.arg, name);
}

static struct p2p_link *
link_new(struct client_p2p *p)
{
	struct p2p_link *l = xcalloc(1, sizeof *l);

	l->p = p;
	proto_decoder_init(&l->dec, PROTO_MAX_FRAME);
	LIST_INSERT_HEAD(&p->links, l, entry);
	p->nlinks++;
	return l;
}

static const struct client_peer_io peer_io = {
    .send_peer = io_send_peer,
    .send_relay = io_send_relay,
    .connect = io_connect,
    .close = io_close,
    .fallback = io_fallback,
    .frame = io_frame,
    .ended = io_ended,
};

static struct client_peer_io
io_for(struct p2p_link *l)
{
	struct client_peer_io io = peer_io;

	io.arg = l;
	io.tls = l->p->tls_client != NULL;
	return io;
}

/* --- the direct connections --------------------------------------------- */

/* The link and the connection being read, which a frame may end. */
struct link_reading {
	struct p2p_link *l;
	struct net_conn *c;
};

/* One frame from the peer; a refused one is skipped unless fatal. */
static enum proto_feed
link_feed(
    void *arg, const struct proto_frame *fr, const struct proto_error *err)
{
	struct link_reading *r = arg;

	if (err != NULL && err->fatal) {
		client_peer_closed(r->l->sm, err->text);
		io_close(r->l, err->text);
		return PROTO_FEED_STOP;
	}
	if (fr != NULL)
		client_peer_frame(r->l->sm, fr, net_loop_now(r->l->p->loop));
	return r->l->conn == r->c ? PROTO_FEED_GO : PROTO_FEED_STOP;
}

/* Bytes from a peer: decode and hand every whole frame to its machine. */
static void
link_read(struct net_conn *c, void *arg)
{
	struct p2p_link *l = arg;
	struct link_reading r = {l, c};
	const char *in;
	size_t len, done;

	in = net_conn_input(c, &len);
	done = proto_decoder_feed(&l->dec, in, len, link_feed, &r);
	if (l->conn == c)
		net_conn_consume(c, done);
}

static void
link_connected(struct net_conn *c, void *arg)
{
	struct p2p_link *l = arg;

	(void)c;
	client_peer_connected(l->sm, net_loop_now(l->p->loop));
}

static void
link_lost(struct net_conn *c, void *arg, const char *why)
{
	struct p2p_link *l = arg;

	(void)c;
	l->conn = NULL;
	client_peer_closed(l->sm, why);
}

/* Log why the machine of l closed, with the key the other end showed. */
static void
link_log_refusal(struct p2p_link *l, const unsigned char *fp)
{
	char line[256], text[UTIL_FP_TEXT];

	if (l->p->h.log == NULL)
		return;
	if (fp != NULL)
		util_fp_text(fp, text);
	snprintf(line, sizeof line, "direct connection with %s refused: %s%s%s",
	    client_peer_name(l->sm)[0] != '\0' ? client_peer_name(l->sm)
	                                       : "a caller",
	    client_peer_reason(l->sm), fp != NULL ? "; its key is " : "",
	    fp != NULL ? text : "");
	l->p->h.log(l->p->h.arg, line);
}

/* TLS is up: the machine holds the other end's key against the relay's. */
static void
link_handshake(struct net_conn *c, void *arg)
{
	struct p2p_link *l = arg;
	const unsigned char *fp = net_conn_peer_fingerprint(c);

	client_peer_handshake(l->sm, fp, net_loop_now(l->p->loop));
	if (client_peer_state(l->sm) == CLIENT_PEER_CLOSED)
		link_log_refusal(l, fp);
}

static const struct net_conn_cb link_cb = {
    .on_read = link_read,
    .on_connect = link_connected,
    .on_close = link_lost,
    .on_handshake = link_handshake,
};

static void
p2p_accept(struct net_watch *w, short revents, void *arg)
{
	struct client_p2p *p = arg;
	struct client_peer_io io;
	struct p2p_link *l;
	char ip[NET_ADDRSTRLEN], err[256];
	int fd;

	(void)revents;
	while ((fd = net_tcp_accept(net_watch_fd(w), ip, sizeof ip)) != -1) {
		if (p->nlinks >= P2P_MAX_LINKS) {
			close(fd);
			continue;
		}
		l = link_new(p);
		io = io_for(l);
		l->sm = client_peer_answer(
		    &io, p->h.me(p->h.arg), net_loop_now(p->loop));
		l->conn = net_conn_new(p->loop, fd, &link_cb, l);
		if (p->tls_server != NULL &&
		    net_conn_tls_start(
		        l->conn, p->tls_server, err, sizeof err) != 0) {
			client_peer_closed(l->sm, err);
			io_close(l, err);
		}
	}
}

/* Deadlines of every machine; closed links go. */
static void
p2p_tick(struct net_timer *t, void *arg)
{
	struct client_p2p *p = arg;
	struct p2p_link *l, *next;
	uint64_t now = net_loop_now(p->loop);

	LIST_FOREACH(l, &p->links, entry)
	client_peer_tick(l->sm, now);
	for (l = LIST_FIRST(&p->links); l != NULL; l = next) {
		next = LIST_NEXT(l, entry);
		if (client_peer_state(l->sm) != CLIENT_PEER_CLOSED)
			continue;
		io_close(l, "closed");
		LIST_REMOVE(l, entry);
		p->nlinks--;
		client_peer_free(l->sm);
		free(l);
	}
	net_timer_start(p->loop, t, P2P_TICK_MS);
}

/* Listen for peers on port (0: any free one). */
struct client_p2p *
client_p2p_new(struct net_loop *loop, unsigned port,
    const struct client_p2p_hooks *h, char *err, size_t errlen)
{
	struct client_p2p *p = xcalloc(1, sizeof *p);

	p->loop = loop;
	p->h = *h;
	LIST_INIT(&p->links);
	p->lfd = net_tcp_listen("0.0.0.0", (uint16_t)port, err, errlen);
	if (p->lfd == -1) {
		free(p);
		return NULL;
	}
	p->port = (unsigned)net_sock_port(p->lfd);
	p->lw = net_loop_add_fd(loop, p->lfd, POLLIN, p2p_accept, p);
	net_timer_init(&p->tick, p2p_tick, p);
	net_timer_start(loop, &p->tick, P2P_TICK_MS);
	return p;
}

/*
 * Direct connections over TLS: answered as a server with the device
 * identity id, dialled with the session's client context (borrowed).
 */
int
client_p2p_tls(struct client_p2p *p, const struct net_id *id,
    struct net_tls *client, char *err, size_t errlen)
{
	p->tls_server = net_tls_new(NET_TLS_SERVER, id, err, errlen);
	if (p->tls_server == NULL)
		return -1;
	p->tls_client = client;
	return 0;
}

void
client_p2p_free(struct client_p2p *p)
{
	struct p2p_link *l, *next;

	if (p == NULL)
		return;
	net_timer_stop(p->loop, &p->tick);
	for (l = LIST_FIRST(&p->links); l != NULL; l = next) {
		next = LIST_NEXT(l, entry);
		if (l->conn != NULL)
			net_conn_close(l->conn, false);
		client_peer_free(l->sm);
		free(l);
	}
	net_watch_remove(p->lw);
	close(p->lfd);
	if (p->tls_server != NULL)
		net_tls_free(p->tls_server);
	free(p);
}

/* The port peers reach us on: what LOGIN reports. */
unsigned
client_p2p_port(const struct client_p2p *p)
{
	return p->port;
}

/* The relay's PEER, VERIFIED and ERR about a name go to the machines. */
bool
client_p2p_relay_frame(struct client_p2p *p, const struct proto_frame *fr)
{
	struct p2p_link *l;

	if (fr->verb != PROTO_V_PEER && fr->verb != PROTO_V_VERIFIED &&
	    !(fr->verb == PROTO_V_ERR && fr->nargs >= 2))
		return false;
	LIST_FOREACH(l, &p->links, entry)
	{
		bool was_open = client_peer_state(l->sm) != CLIENT_PEER_CLOSED;

		client_peer_relay_frame(l->sm, fr, net_loop_now(p->loop));
		if (fr->verb == PROTO_V_VERIFIED && was_open &&
		    client_peer_state(l->sm) == CLIENT_PEER_CLOSED)
			link_log_refusal(l, NULL);
	}
	return fr->verb != PROTO_V_ERR;
}

/* The connection to name, open or being made; a new one is dialled. */
static struct client_peer *
dial(struct client_p2p *p, const char *name)
{
	struct client_peer_io io;
	struct p2p_link *l;

	if (!client_p2p_may_dial(p, name))
		return NULL;
	if ((l = link_for(p, name, false)) == NULL) {
		if (p->nlinks >= P2P_MAX_LINKS)
			return NULL;
		l = link_new(p);
		io = io_for(l);
		l->sm = client_peer_dial(
		    &io, p->h.me(p->h.arg), name, net_loop_now(p->loop));
	}
	return l->sm;
}

/*
 * Carry a MSG frame (id) to name directly: over an open connection, or one
 * being made. -1: not now (the peer could not be reached lately), so the
 * session sends it by the relay.
 */
int
client_p2p_send_msg(struct client_p2p *p, const char *name, const char *id,
    const char *frame, size_t len)
{
	struct client_peer *sm = dial(p, name);

	return sm != NULL
	    ? client_peer_send_msg(sm, id, frame, len, net_loop_now(p->loop))
	    : -1;
}

/*
 * A frame that wants no ACK (a file offer, by its transfer id) to name,
 * over a connection that may first have to be made; if it never opens,
 * the id comes back through the fallback hook. -1: not now.
 */
int
client_p2p_send_once(struct client_p2p *p, const char *name, const char *id,
    const char *frame, size_t len)
{
	struct client_peer *sm = dial(p, name);

	return sm != NULL
	    ? client_peer_send_once(sm, id, frame, len, net_loop_now(p->loop))
	    : -1;
}

/*
 * Any other frame to name (header, then payload) over an open connection;
 * -1 if there is none.
 */
int
client_p2p_send(struct client_p2p *p, const char *name, const char *hdr,
    size_t n, const void *payload, size_t m)
{
	struct p2p_link *l = link_for(p, name, true);

	return l != NULL
	    ? client_peer_send(l->sm, hdr, n, payload, m, net_loop_now(p->loop))
	    : -1;
}

/* Bytes queued on the open connection to name; SIZE_MAX without one. */
size_t
client_p2p_out_len(struct client_p2p *p, const char *name)
{
	struct p2p_link *l = link_for(p, name, true);

	return l != NULL && l->conn != NULL ? net_conn_out_len(l->conn)
	                                    : SIZE_MAX;
}

/* name came back online: dial it again without waiting out the minute. */
void
client_p2p_forget_failure(struct client_p2p *p, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof p->cool / sizeof p->cool[0]; i++) {
		if (strcasecmp(p->cool[i].name, name) == 0)
			p->cool[i].until = 0;
	}
}

/* Whether a connection to name may be tried now (logged in, and the peer
 * did not fail us lately). */
bool
client_p2p_may_dial(struct client_p2p *p, const char *name)
{
	const char *me = p->h.me(p->h.arg);

	/* Notes to ourselves go by the relay, which keeps them. */
	return me[0] != '\0' && strcasecmp(me, name) != 0 && !cooling(p, name);
}

/* Whether a verified connection to name is open. */
bool
client_p2p_is_open(struct client_p2p *p, const char *name)
{
	return link_for(p, name, true) != NULL;
}

/* Whether a connection is being made (it needs the relay meanwhile). */
bool
client_p2p_is_busy(struct client_p2p *p)
{
	struct p2p_link *l;

	LIST_FOREACH(l, &p->links, entry)
	{
		enum client_peer_state st = client_peer_state(l->sm);
		if (st != CLIENT_PEER_OPEN && st != CLIENT_PEER_CLOSED)
			return true;
	}
	return false;
}
