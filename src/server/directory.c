/* SPDX-License-Identifier: MIT */
/*
 * The directory: registered users, LOOKUP tickets and VERIFY for P2P mode,
 * and the UDP side with light presence (ALIVE) and DISCOVER (PROTOCOL.md
 * sections 3 and 5). USER lines are presence.c's.
 */
#include <sys/types.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net/loop.h"
#include "net/sock.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define TICKETS_PER_USER 64 /* outstanding LOOKUP tickets of one user */

/* Set up an empty directory. */
void
server_directory_init(struct server_directory *d)
{
	memset(d, 0, sizeof *d);
	d->col.gen = 2; /* users start at 0 and sessions at 0: in no batch */
	d->out.gen = 1;
	d->users = util_map_new();
	d->tickets = util_map_new();
	crypto_shorthash_keygen(d->tkkey);
	TAILQ_INIT(&d->tklist);
	d->ufd = -1;
}

/* Free the users and tickets; the UDP socket is closed already. */
void
server_directory_fini(struct server_directory *d)
{
	struct srv_ticket *t;
	size_t i;

	while ((t = TAILQ_FIRST(&d->tklist)) != NULL) {
		TAILQ_REMOVE(&d->tklist, t, entry);
		free(t);
	}
	util_map_free(d->tickets);
	for (i = 0; i < d->nusers; i++) {
		free(d->list[i]->pwhash);
		free(d->list[i]);
	}
	free(d->list);
	for (i = 0; i < d->ngone; i++) {
		free(d->gone[i]->pwhash);
		free(d->gone[i]);
	}
	free(d->gone);
	free(d->clist);
	free(d->col.buf);
	free(d->col.ent);
	free(d->out.buf);
	free(d->out.ent);
	util_map_free(d->users);
}

/* A name's key: the name in lower case. */
static void
name_key(char *key, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = name[i];
		key[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	key[len] = '\0';
}

/* The user of that name, whatever its case, or NULL. */
struct srv_user *
server_directory_find(struct server_directory *d, struct proto_slice name)
{
	char key[PROTO_MAX_NAME + 1];

	if (name.len > PROTO_MAX_NAME)
		return NULL;
	name_key(key, name.p, name.len);
	return util_map_get(d->users, key, name.len);
}

/* Register a user in memory (the store has it already). */
struct srv_user *
server_directory_add(struct server_directory *d, const char *name,
    const char *pwhash, uint64_t last_seen)
{
	struct srv_user *u;
	size_t len = strlen(name);

	u = xcalloc(1, sizeof *u);
	memcpy(u->name, name, len);
	u->namelen = len;
	name_key(u->key, name, len);
	u->pwhash = pwhash != NULL ? xstrdup(pwhash) : NULL;
	u->last_seen = last_seen;
	u->order = d->nusers;
	TAILQ_INIT(&u->sessions);
	u->ndev = -1;
	XGROW(d->list, d->capusers, d->nusers + 1, 64);
	d->list[d->nusers++] = u;
	util_map_set(d->users, u->key, len, u);
	return u;
}

/*
 * Take u out of the directory (its name is free again); its memory stays
 * until the end, since grace records, tickets and presence batches may
 * still point at it.
 */
void
server_directory_remove(struct server_directory *d, struct srv_user *u)
{
	size_t i;

	(void)util_map_remove(d->users, u->key, u->namelen);
	for (i = 0; i < d->nusers && d->list[i] != u; i++)
		;
	if (i < d->nusers) {
		memmove(&d->list[i], &d->list[i + 1],
		    (d->nusers - i - 1) * sizeof d->list[0]);
		d->nusers--;
	}
	XGROW(d->gone, d->capgone, d->ngone + 1, 8);
	d->gone[d->ngone++] = u;
}

/* One user from the store, at start. */
static void
directory_load_user(
    void *arg, const char *name, const char *pwhash, uint64_t seen)
{
	server_directory_add(arg, name, pwhash, seen);
}

/* Load every registered user from the store. */
int
server_directory_load(struct server_directory *d, struct server_store *store)
{
	return server_store_load_users(store, directory_load_user, d);
}

/* A fresh random token in hex: a session's, or a ticket's. */
void
server_directory_make_token(char *out)
{
	unsigned char raw[TOKEN_LEN / 2];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, TOKEN_LEN + 1, raw, sizeof raw);
}

/*
 * Whether a secret from the wire (a session token, a ticket) is the one
 * we hold: a length check, then a comparison in constant time.
 */
bool
server_directory_token_eq(struct proto_slice got, const char *ours)
{
	size_t len = strlen(ours);

	return len > 0 && got.len == len &&
	    sodium_memcmp(got.p, ours, len) == 0;
}

/*
 * A ticket's key in the map: SipHash of it under a key of this start, so
 * that how a lookup walks the map tells nothing about the tickets held.
 */
static void
ticket_key(const struct server_directory *d, const char *id, size_t len,
    unsigned char out[8])
{
	crypto_shorthash(out, (const unsigned char *)id, len, d->tkkey);
}

/* A new ticket that lets asker prove itself to target. */
static struct srv_ticket *
ticket_new(
    struct server_relay *r, struct srv_user *asker, struct srv_user *target)
{
	struct srv_ticket *t;

	t = xcalloc(1, sizeof *t);
	t->asker = asker;
	t->target = target;
	t->expires = net_loop_now(r->loop) + r->cfg.ticket_s * 1000ULL;
	server_directory_make_token(t->id);
	ticket_key(&r->dir, t->id, TOKEN_LEN, t->key);
	TAILQ_INSERT_TAIL(&r->dir.tklist, t, entry);
	util_map_set(r->dir.tickets, t->key, sizeof t->key, t);
	asker->ntickets++;
	return t;
}

/*
 * LOOKUP|name: where the peer takes direct connections, and a ticket that
 * lets the asker prove to it who it is. The address is the one the relay
 * saw the peer come from: its connection, or its last ALIVE.
 */
void
server_directory_lookup(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_user *u = server_directory_find(&r->dir, fr->arg[0]);
	struct srv_ticket *t;
	size_t n;

	if (u == NULL) {
		server_session_errf(s, PROTO_ERR_NO_SUCH_USER, fr->arg[0],
		    "no user named %.*s on this relay", (int)fr->arg[0].len,
		    fr->arg[0].p);
		return;
	}
	if (!server_user_online(u) && !u->light) {
		server_session_errf(
		    s, PROTO_ERR_OFFLINE, fr->arg[0], "%s is offline", u->name);
		return;
	}
	if (s->user->ntickets >= TICKETS_PER_USER) {
		server_session_err(s, PROTO_ERR_RATE_LIMIT, fr->arg[0],
		    "too many tickets outstanding; use them or wait a minute");
		return;
	}
	t = ticket_new(r, s->user, u);
	if (s->has_fp) {
		memcpy(t->asker_fp, s->fp, sizeof t->asker_fp);
		t->has_asker_fp = true;
	}
	/* A direct connection reaches one device: a name with more takes
	 * none (docs/protocol.md "Delivery to every device"). */
	if (proto_build_peer(r->out, sizeof r->out, &n, u->name,
	        server_user_online(u) ? server_user_first(u)->ip : u->light_ip,
	        server_devices_number(r->store, u) > 1 ? 0 : u->p2p_port, t->id,
	        r->cfg.tls && u->has_fp ? u->fp : NULL) == 0)
		server_session_send(s, r->out, n);
}

/*
 * VERIFY|A|ticket from B: yes once, if the ticket is one the relay gave A
 * for B and it has not expired. Anything else is no, and a wrong try does
 * not use the ticket up. Over TLS a yes names the device A asked from, so
 * B can check that the caller holds its key.
 */
void
server_directory_verify(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_relay *r = s->r;
	struct srv_ticket *t = NULL;
	unsigned char key[8];
	bool yes = false;
	size_t n;

	if (fr->arg[1].len == TOKEN_LEN) {
		ticket_key(&r->dir, fr->arg[1].p, TOKEN_LEN, key);
		t = util_map_get(r->dir.tickets, key, sizeof key);
	}
	if (t != NULL && server_directory_token_eq(fr->arg[1], t->id) &&
	    !t->used && t->target == s->user &&
	    net_loop_now(r->loop) < t->expires &&
	    proto_name_eq(fr->arg[0],
	        (struct proto_slice){t->asker->name, t->asker->namelen})) {
		t->used = true;
		util_map_remove(r->dir.tickets, t->key, sizeof t->key);
		yes = true;
	}
	server_log(SERVER_LOG_DEBUG, "%s verified a ticket of %.*s: %s",
	    s->user->name, (int)fr->arg[0].len, fr->arg[0].p,
	    yes ? "yes" : "no");
	if (proto_build_verified(r->out, sizeof r->out, &n, fr->arg[0],
	        fr->arg[1], yes,
	        r->cfg.tls && yes && t->has_asker_fp ? t->asker_fp : NULL) == 0)
		server_session_send(s, r->out, n);
}

/* Drop tickets that expired or were used; they leave in creation order. */
static void
tickets_sweep(struct server_relay *r)
{
	struct server_directory *d = &r->dir;
	uint64_t now = net_loop_now(r->loop);
	struct srv_ticket *t;

	while ((t = TAILQ_FIRST(&d->tklist)) != NULL &&
	    (t->used || t->expires <= now)) {
		TAILQ_REMOVE(&d->tklist, t, entry);
		if (!t->used)
			util_map_remove(d->tickets, t->key, sizeof t->key);
		t->asker->ntickets--;
		free(t);
	}
}

/* Where a datagram came from, and how long it was. */
struct udp_req {
	struct sockaddr_storage from;
	socklen_t fromlen;
	size_t len;
};

/*
 * Send the n bytes in r->out back to where the request came from. Over
 * TLS an answer is never larger than its request: a forged source address
 * gets no more bytes than it was sent.
 */
static void
udp_reply(struct server_relay *r, size_t n, const struct udp_req *q)
{
	if (r->cfg.tls && n > q->len)
		return;
	(void)net_udp_reply(r->dir.ufd, &q->from, q->fromlen, r->out, n);
}

/*
 * Whether an authenticated ALIVE|name|counter|time|mac may be believed:
 * a mac by the key of u's TLS login, a counter past the last accepted one
 * and a time within SERVER_ALIVE_SKEW_S of now (wall clock seconds). An
 * accepted datagram's counter becomes the last accepted.
 */
bool
server_directory_alive_ok(
    struct srv_user *u, const struct proto_frame *fr, uint64_t now)
{
	struct proto_slice signed_part = proto_frame_signed(fr);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	uint64_t counter, t;

	if (u == NULL || !u->has_alive_key || fr->verb != PROTO_V_ALIVE ||
	    fr->nargs != 4 || proto_slice_hex32(fr->arg[3], mac) != 0)
		return false;
	if (crypto_auth_hmacsha256_verify(mac,
	        (const unsigned char *)signed_part.p, signed_part.len,
	        u->alive_key) != 0)
		return false;
	/* A new login has a new key, and its counter starts again. */
	if (memcmp(u->alive_keyof, u->alive_key, sizeof u->alive_key) != 0) {
		memcpy(u->alive_keyof, u->alive_key, sizeof u->alive_key);
		u->alive_counter = 0;
	}
	counter = proto_slice_u64(fr->arg[1]);
	t = proto_slice_u64(fr->arg[2]);
	if (counter <= u->alive_counter ||
	    (t > now ? t - now : now - t) > SERVER_ALIVE_SKEW_S)
		return false;
	u->alive_counter = counter;
	return true;
}

/*
 * Whether the ALIVE in fr keeps its user online: version 1 by the
 * session token, or AUTH_FAILED back; over TLS only an authenticated
 * one, and anything else is dropped without a word.
 */
static struct srv_user *
udp_alive_user(struct server_relay *r, const struct proto_frame *fr,
    const struct udp_req *q)
{
	struct srv_user *u = server_directory_find(&r->dir, fr->arg[0]);
	size_t n;

	if (u != NULL && !server_user_online(u) && !u->light)
		u = NULL; /* gone: its key and token are stale */
	if (r->cfg.tls)
		return server_directory_alive_ok(u, fr, util_wall_ms() / 1000)
		    ? u
		    : NULL;
	if (u == NULL || u->token[0] == '\0' ||
	    !server_directory_token_eq(fr->arg[1], u->token)) {
		if (proto_build_err(r->out, sizeof r->out, &n,
		        PROTO_ERR_AUTH_FAILED, NULL, 0,
		        "unknown or expired session token") == 0)
			udp_reply(r, n, q);
		return NULL;
	}
	return u;
}

/*
 * ALIVE keeps a user online without a TCP connection, for three
 * heartbeat intervals, and is where its peers reach it; the answer is
 * how many frames wait for it, signed over TLS.
 */
static void
udp_alive(struct server_relay *r, const struct proto_frame *fr,
    const struct udp_req *q)
{
	struct srv_user *u = udp_alive_user(r, fr, q);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	uint64_t pending;
	int64_t queued;
	size_t n;

	if (u == NULL)
		return;
	if (!u->light) {
		u->light = true;
		r->dir.nlight++;
	}
	u->light_until =
	    net_loop_now(r->loop) + 3ULL * r->cfg.heartbeat_s * 1000;
	net_addr_format(&q->from, u->light_ip, sizeof u->light_ip);
	queued = server_store_queue_count(r->store, u->key);
	pending = queued > 0 ? (uint64_t)queued : 0;
	if (!r->cfg.tls) {
		if (proto_build_alive_reply(
		        r->out, sizeof r->out, &n, pending) == 0)
			udp_reply(r, n, q);
		return;
	}
	if (proto_alive_reply_signed(r->out, sizeof r->out, &n, pending,
	        proto_slice_u64(fr->arg[1])) != 0)
		return;
	crypto_auth_hmacsha256(
	    mac, (const unsigned char *)r->out, n, u->alive_key);
	if (proto_build_signed(r->out, sizeof r->out, &n, mac) == 0)
		udp_reply(r, n, q);
}

/*
 * DISCOVER: the relay's name and port, to whoever asks on the LAN; over
 * TLS only to a request at least as long as the answer (a client pads
 * it to PROTO_DISCOVER_SIZE bytes).
 */
static void
udp_discover(struct server_relay *r, const struct udp_req *q)
{
	char host[256];
	const char *name = r->cfg.name;
	size_t n;

	if (name == NULL) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "termgramd");
		host[sizeof host - 1] = '\0';
		name = host;
	}
	if (proto_build_relay(r->out, sizeof r->out, &n, name,
	        (unsigned)r->port, r->cfg.tls ? r->fp : NULL) == 0)
		udp_reply(r, n, q);
}

/*
 * Datagrams: ALIVE and DISCOVER are answered; anything else is dropped
 * without a word, so the relay never answers a forged source address
 * with more bytes than it was sent.
 */
static void
udp_read(struct net_watch *wt, short revents, void *arg)
{
	struct server_relay *r = arg;
	struct udp_req q;
	struct proto_frame fr;
	struct proto_error err;
	char buf[PROTO_MAX_DATAGRAM + 1];
	ssize_t n;
	int i;

	(void)wt;
	(void)revents;
	for (i = 0; i < 64; i++) {
		n = net_udp_recvfrom(
		    r->dir.ufd, buf, sizeof buf - 1, &q.from, &q.fromlen);
		if (n <= 0)
			return;
		q.len = (size_t)n;
		if (buf[n - 1] != '\n')
			buf[n++] = '\n';
		if (proto_frame_parse(buf, (size_t)n, &fr, &err) != PROTO_FRAME)
			continue;
		if (fr.verb == PROTO_V_ALIVE &&
		    fr.nargs == (r->cfg.tls ? 4 : 2))
			udp_alive(r, &fr, &q);
		else if (fr.verb == PROTO_V_DISCOVER &&
		    proto_slice_u64(fr.arg[0]) == PROTO_VERSION &&
		    (fr.nargs == 1 || r->cfg.tls))
			udp_discover(r, &q);
	}
}

/* Take the bound UDP socket fd and answer what comes in on it. */
void
server_directory_udp_start(struct server_relay *r, int fd)
{
	r->dir.ufd = fd;
	r->dir.uw = net_loop_add_fd(r->loop, fd, POLLIN, udp_read, r);
}

/* Stop answering datagrams and close the socket. */
void
server_directory_udp_stop(struct server_relay *r)
{
	if (r->dir.uw != NULL)
		net_watch_remove(r->dir.uw);
	r->dir.uw = NULL;
	if (r->dir.ufd != -1)
		close(r->dir.ufd);
	r->dir.ufd = -1;
}

/* Light presences not renewed for three intervals end: offline. */
static void
light_sweep(struct server_relay *r)
{
	struct server_directory *d = &r->dir;
	uint64_t now = net_loop_now(r->loop);
	struct srv_user *u;
	size_t i;

	for (i = 0; i < d->nusers && d->nlight > 0; i++) {
		u = d->list[i];
		if (!u->light || u->light_until > now)
			continue;
		u->light = false;
		d->nlight--;
		if (server_user_online(u))
			continue;
		u->token[0] = '\0';
		u->has_alive_key = false;
		u->last_seen = util_wall_ms();
		server_store_set_last_seen(r->store, u->key, u->last_seen);
		server_presence_change(r, u);
		server_log(SERVER_LOG_INFO,
		    "%s left (no ALIVE for three intervals)", u->name);
	}
}

/* Once a second: expired tickets and light presences go. */
void
server_directory_sweep(struct server_relay *r)
{
	tickets_sweep(r);
	light_sweep(r);
}
