/* SPDX-License-Identifier: MIT */
/*
 * The login path: LOGIN and RESUME (PROTOCOL.md section 2), with the
 * password hashed or checked on the hasher's threads while the session's
 * input waits, and the limits that keep anyone from stalling the relay or
 * guessing passwords before a login: connections per address, new names
 * per address per hour, and a growing wait after wrong passwords, per
 * name and per address (docs/protocol.md, "Login limits").
 */
#include <sys/types.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net/conn.h"
#include "net/loop.h"
#include "proto/frame.h"
#include "server/hasher.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/store.h"
#include "util/map.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define LOGIN_FIRST_DELAY_MS 1000 /* the wait after the free failures */
#define LOGIN_REG_WINDOW_MS (3600 * 1000ULL) /* --max-registrations */
#define LOGIN_CONN_RETRY_S 5 /* said to a connection over the limit */
#define LOGIN_ADDR_HASHING 2 /* password checks one address may have */

static_assert(PROTO_MAX_TEXT <= 1024, "the hasher holds 1024 bytes");

/* The wait in ms after n failures in a row, of which free cost nothing. */
static uint64_t
login_delay(unsigned n, unsigned free_n, unsigned max_s)
{
	uint64_t d = LOGIN_FIRST_DELAY_MS, max = max_s * 1000ULL;
	unsigned i;

	if (n < free_n || n == 0)
		return 0;
	for (i = free_n; i < n && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

/*
 * One more failure. A run of failures is forgotten once it has been
 * quiet for twice the longest wait.
 */
static void
login_fails_add(
    struct srv_fails *f, unsigned free_n, unsigned max_s, uint64_t now)
{
	if (f->n > 0 && now - f->at > 2000ULL * max_s)
		f->n = 0;
	f->n++;
	f->at = now;
	f->until = now + login_delay(f->n, free_n, max_s);
}

/* How long f still makes a login wait, in ms. */
static uint64_t
login_fails_wait(const struct srv_fails *f, uint64_t now)
{
	return f->until > now ? f->until - now : 0;
}

/* Refuse s's LOGIN for wait ms more: RATE_LIMIT, then close. */
static void
login_refuse_wait(struct srv_sess *s, uint64_t wait, const char *why)
{
	server_session_errf(s, PROTO_ERR_RATE_LIMIT, server_no_ref,
	    "%s; retry in %llu s", why,
	    (unsigned long long)((wait + 999) / 1000));
	server_session_close(s, NULL, why);
}

/* Refuse s's LOGIN or RESUME: ERR|code|-|text, then close. */
static void
login_refuse(struct srv_sess *s, enum proto_err code, const char *text)
{
	server_session_err(s, code, server_no_ref, text);
	server_session_close(s, NULL, NULL);
}

/* The counters of s's address, made at its first connection. */
void
server_login_accept(struct srv_sess *s)
{
	struct server_logins *lg = &s->r->lg;
	struct srv_addr *a;
	size_t len = strlen(s->ip);

	if ((a = util_map_get(lg->addrs, s->ip, len)) == NULL) {
		a = xcalloc(1, sizeof *a);
		memcpy(a->ip, s->ip, len + 1);
		util_map_set(lg->addrs, a->ip, len, a);
	}
	a->conns++;
	s->addr = a;
	s->refused =
	    s->r->cfg.max_per_addr != 0 && a->conns > s->r->cfg.max_per_addr;
}

/* s is over its address's connection limit: tell it, and close. */
void
server_login_refuse(struct srv_sess *s)
{
	server_log(SERVER_LOG_WARN, "refused %s: %u connections from it", s->ip,
	    s->addr->conns - 1);
	server_session_errf(s, PROTO_ERR_RATE_LIMIT, server_no_ref,
	    "too many connections from %s (at most %u); retry in %d s", s->ip,
	    s->r->cfg.max_per_addr, LOGIN_CONN_RETRY_S);
	server_session_close(s, NULL, "over the connections per address");
}

/* s closes: its password job is forgotten, its address counts it out. */
void
server_login_gone(struct srv_sess *s)
{
	struct server_logins *lg = &s->r->lg;

	if (s->hashing != NULL) {
		server_hasher_forget(lg->hasher, s->hashing);
		s->addr->hashing--;
	}
	s->hashing = NULL;
	if (s->addr != NULL)
		s->addr->conns--;
	s->addr = NULL;
	lg->closed++;
}

/* RESUME|version|name|token|port: the token must be u's, and alive. */
static void
login_resume(struct srv_sess *s, const struct proto_frame *fr,
    struct srv_user *u, unsigned port)
{
	if (u == NULL || (!server_user_online(u) && !u->light) ||
	    u->token[0] == '\0' ||
	    !server_directory_token_eq(fr->arg[2], u->token)) {
		login_refuse(s, PROTO_ERR_AUTH_FAILED,
		    "unknown or expired session token");
		return;
	}
	if (s->r->cfg.tls &&
	    (!s->has_fp || !u->has_fp ||
	        sodium_memcmp(s->fp, u->fp, sizeof s->fp) != 0)) {
		server_log(SERVER_LOG_WARN,
		    "%s: RESUME from %s with another device key: refused",
		    u->name, s->ip);
		login_refuse(s, PROTO_ERR_AUTH_FAILED,
		    "unknown or expired session token");
		return;
	}
	/* The token is that of u's last login: s is of its device. */
	snprintf(s->device, sizeof s->device, "%s",
	    u->device[0] != '\0' ? u->device : "-");
	server_session_replace(u, s);
	server_session_welcome(s, u, port);
}

/*
 * Hand the password to a hashing thread; s reads nothing meanwhile. One
 * address has at most LOGIN_ADDR_HASHING checks queued or running, so
 * that it cannot fill the queue (right passwords included) and keep
 * everyone else's logins out.
 */
static void
login_submit(struct srv_sess *s, enum server_hash_kind kind, const char *pw,
    size_t pwlen, const char *hash)
{
	if (s->addr->hashing >= LOGIN_ADDR_HASHING) {
		server_log(SERVER_LOG_WARN,
		    "%s: login from %s refused: %u password checks from it "
		    "already",
		    s->login_name, s->ip, s->addr->hashing);
		login_refuse_wait(s, 1000,
		    "too many password checks from this address at once");
		return;
	}
	s->hashing = server_hasher_submit(
	    s->r->lg.hasher, kind, pw, pwlen, hash, s->ip, s->addr->fails.n, s);
	if (s->hashing == NULL) {
		server_log(SERVER_LOG_WARN,
		    "%s: login from %s refused: password queue full",
		    s->login_name, s->ip);
		login_refuse_wait(
		    s, 1000, "the relay is busy checking passwords");
		return;
	}
	s->addr->hashing++;
	net_conn_pause(s->conn, true);
}

/* A LOGIN for u, whose name is owned: unless a wait holds, check pw. */
static void
login_owned(
    struct srv_sess *s, struct srv_user *u, const char *pw, size_t pwlen)
{
	uint64_t now = net_clock_ms(), wait;

	if ((wait = login_fails_wait(&s->addr->fails, now)) > 0) {
		login_refuse_wait(
		    s, wait, "too many wrong passwords from this address");
		return;
	}
	/* A name's wait holds only addresses that have failed a password
	 * lately: a guesser elsewhere cannot keep its owner out, and each
	 * fresh address a guesser brings gets one try before it waits. */
	if (strcmp(s->ip, u->good_ip) != 0 && s->addr->fails.n > 0 &&
	    (wait = login_fails_wait(&u->fails, now)) > 0) {
		login_refuse_wait(
		    s, wait, "too many wrong passwords for this name");
		return;
	}
	login_submit(s, SERVER_HASH_CHECK, pw, pwlen, u->pwhash);
}

/* A LOGIN for a new name: within the address's registrations, register. */
static bool
login_may_register(struct srv_sess *s)
{
	struct srv_addr *a = s->addr;
	unsigned max = s->r->cfg.max_regs;
	uint64_t now = net_clock_ms();

	if (max == 0)
		return true;
	if (a->regs == 0 || now - a->regs_since >= LOGIN_REG_WINDOW_MS) {
		a->regs = 0;
		a->regs_since = now;
	}
	if (a->regs < max)
		return true;
	login_refuse_wait(s, a->regs_since + LOGIN_REG_WINDOW_MS - now,
	    "too many new names from this address");
	return false;
}

/* Register the name s asked for, owned if hash is not NULL. */
static struct srv_user *
login_register(struct srv_sess *s, const char *hash)
{
	struct server_relay *r = s->r;
	struct srv_user *u;

	if (server_store_add_user(
	        r->store, s->login_name, hash, util_wall_ms()) != 0) {
		server_log(SERVER_LOG_ERROR, "store: %s",
		    server_store_error(r->store));
		login_refuse(s, PROTO_ERR_INTERNAL,
		    "the relay could not register the name");
		return NULL;
	}
	u = server_directory_add(&r->dir, s->login_name, hash, 0);
	s->addr->regs++;
	server_log(SERVER_LOG_INFO, "%s registered (%s name) from %s", u->name,
	    hash != NULL ? "owned" : "open", s->ip);
	return u;
}

/*
 * A LOGIN that asked to keep (docs/protocol.md) for a name online in
 * another session: refused, and true. Only for the version-1 device or
 * an open name: a device of an owned name is admitted beside its other
 * sessions (server_devices_admit).
 */
static bool
login_kept(struct srv_sess *s, const struct srv_user *u)
{
	if (!s->login_keep || u == NULL)
		return false;
	if (u->pwhash != NULL && strcmp(s->device, "-") != 0)
		return false;
	if (u->pwhash != NULL
	        ? server_user_device_sessions(u, "-") == 0 && !u->light
	        : !server_user_online(u) && !u->light)
		return false;
	server_session_errf(s, PROTO_ERR_NAME_IN_USE, server_no_ref,
	    "%s is signed in elsewhere; this login asked not to take the "
	    "session over",
	    u->name);
	server_session_close(s, NULL, NULL);
	return true;
}

/*
 * The device a LOGIN names (its seventh field): "-" without one, the
 * connection's key over TLS, "@" and the id without TLS.
 */
static void
login_device(struct srv_sess *s, const struct proto_frame *fr)
{
	s->device_aware = fr->nargs > 5;
	if (!s->device_aware || proto_slice_eq(fr->arg[5], "-"))
		snprintf(s->device, sizeof s->device, "-");
	else if (s->has_fp)
		util_fp_hex(s->fp, s->device);
	else
		snprintf(s->device, sizeof s->device, "@%.*s",
		    (int)fr->arg[5].len, fr->arg[5].p);
}

/*
 * LOGIN|version|name|password|port[|keep|take[|device]] or
 * RESUME|version|name|token|port.
 */
void
server_login_frame(struct srv_sess *s, const struct proto_frame *fr)
{
	struct srv_user *u;
	char pw[PROTO_MAX_TEXT + 1];
	size_t pwlen = 0;
	unsigned port = (unsigned)proto_slice_u64(fr->arg[3]);

	if (proto_slice_u64(fr->arg[0]) != PROTO_VERSION) {
		login_refuse(s, PROTO_ERR_BAD_FIELD,
		    "this relay speaks protocol version 1");
		return;
	}
	u = server_directory_find(&s->r->dir, fr->arg[1]);
	if (u != NULL && u->locked) {
		server_log(SERVER_LOG_INFO, "%s: login from %s refused: locked",
		    u->name, s->ip);
		login_refuse(s, PROTO_ERR_FORBIDDEN,
		    "this name is locked by the relay's administrator");
		return;
	}
	if (fr->verb == PROTO_V_RESUME) {
		login_resume(s, fr, u, port);
		return;
	}
	s->login_keep = fr->nargs > 4 && proto_slice_eq(fr->arg[4], "keep");
	login_device(s, fr);
	if (login_kept(s, u))
		return;
	memcpy(s->login_name, fr->arg[1].p, fr->arg[1].len);
	s->login_name[fr->arg[1].len] = '\0';
	s->login_port = port;
	if (proto_text_decode(fr->arg[2], pw, sizeof pw - 1, &pwlen) != 0)
		pwlen = 0;
	if (u != NULL && u->pwhash != NULL)
		login_owned(s, u, pw, pwlen);
	else if (u != NULL && server_user_online(u)) {
		server_session_errf(s, PROTO_ERR_NAME_IN_USE, server_no_ref,
		    "%s is online already (an open name cannot be taken over;"
		    " register a name with a password to own it)",
		    u->name);
		server_session_close(s, NULL, NULL);
	} else if (u != NULL)
		server_session_welcome(s, u, port);
	else if (!login_may_register(s))
		;
	else if (pwlen > 0)
		login_submit(s, SERVER_HASH_NEW, pw, pwlen, NULL);
	else if ((u = login_register(s, NULL)) != NULL)
		server_session_welcome(s, u, port);
	sodium_memzero(pw, sizeof pw);
}

/*
 * A right password for u from s: its failures are forgotten, and s's
 * address is the one its wait never holds (kept in the store).
 */
static void
login_good(struct srv_sess *s, struct srv_user *u)
{
	memset(&u->fails, 0, sizeof u->fails);
	if (strcmp(u->good_ip, s->ip) == 0)
		return;
	snprintf(u->good_ip, sizeof u->good_ip, "%s", s->ip);
	if (server_store_set_good_ip(s->r->store, u->key, s->ip) != 0)
		server_log(SERVER_LOG_ERROR, "store: %s",
		    server_store_error(s->r->store));
}

/* A wrong password for u from s: count it, refuse, close. */
static void
login_wrong(struct srv_sess *s, struct srv_user *u)
{
	const struct server_config *cfg = &s->r->cfg;
	uint64_t now = net_clock_ms();

	login_fails_add(&u->fails, cfg->name_failures, cfg->max_delay_s, now);
	login_fails_add(
	    &s->addr->fails, cfg->addr_failures, cfg->max_delay_s, now);
	server_log(SERVER_LOG_INFO,
	    "%s: wrong password from %s (%u for the name, %u from the "
	    "address)",
	    u->name, s->ip, u->fails.n, s->addr->fails.n);
	if (server_user_online(u))
		server_session_errf(s, PROTO_ERR_NAME_IN_USE, server_no_ref,
		    "%s is online already", u->name);
	else
		server_session_err(s, PROTO_ERR_AUTH_FAILED, server_no_ref,
		    "wrong password for this name");
	server_session_close(s, NULL, NULL);
}

/*
 * The password of s's LOGIN for the owned name u was checked (ok: it
 * matched). PROTOCOL.md section 2: then the new session wins.
 */
static void
login_checked(struct srv_sess *s, struct srv_user *u, bool ok)
{
	if (!ok) {
		login_wrong(s, u);
		return;
	}
	if (!server_pins_allow(s, u)) {
		server_log(SERVER_LOG_WARN,
		    "%s: right password from %s on a device not pinned: "
		    "refused",
		    u->name, s->ip);
		login_refuse(s, PROTO_ERR_AUTH_FAILED,
		    "this name accepts only its pinned devices");
		return;
	}
	login_good(s, u);
	if (login_kept(s, u)) /* it came online during the check */
		return;
	if (!server_devices_admit(s, u))
		return;
	server_session_welcome(s, u, s->login_port);
}

/* A new name's password was hashed (hash), unless ok is false. */
static void
login_hashed_new(
    struct srv_sess *s, struct srv_user *u, bool ok, const char *hash)
{
	if (!ok) {
		login_refuse(s, PROTO_ERR_INTERNAL,
		    "out of memory hashing the password");
		return;
	}
	if (u != NULL) {
		server_session_errf(s, PROTO_ERR_NAME_IN_USE, server_no_ref,
		    "%s was registered meanwhile", u->name);
		server_session_close(s, NULL, NULL);
		return;
	}
	if ((u = login_register(s, hash)) != NULL)
		server_session_welcome(s, u, s->login_port);
}

/* The hasher's answer for a session still open: finish its LOGIN. */
static void
login_hash_done(
    void *owner, enum server_hash_kind kind, bool ok, const char *hash)
{
	struct srv_sess *s = owner;
	struct proto_slice nm = {s->login_name, strlen(s->login_name)};
	struct srv_user *u = server_directory_find(&s->r->dir, nm);

	s->hashing = NULL;
	s->addr->hashing--;
	if (hash == NULL) {
		/* Dropped for a login from an address with fewer waiting. */
		server_log(SERVER_LOG_WARN,
		    "%s: login from %s refused: its place in the password "
		    "queue went to another address",
		    s->login_name, s->ip);
		login_refuse_wait(
		    s, 1000, "the relay is busy checking passwords");
		return;
	}
	if (kind == SERVER_HASH_NEW)
		login_hashed_new(s, u, ok, hash);
	else if (u != NULL && u->pwhash != NULL)
		login_checked(s, u, ok);
	if (!s->gone)
		server_session_kick(s);
}

/*
 * A refused LOGIN or RESUME line: its ERR (BAD_NAME when the name is not
 * one), then the connection closes (PROTOCOL.md section 2).
 */
static void
login_refuse_line(
    struct srv_sess *s, const char *p, size_t len, struct proto_error *err)
{
	const char *f = p, *end = p + len, *bar;
	int i;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (i = 0; i < 2 && f != NULL; i++) {
		bar = memchr(f, '|', (size_t)(end - f));
		f = bar != NULL ? bar + 1 : NULL;
	}
	if (f != NULL) {
		bar = memchr(f, '|', (size_t)(end - f));
		if (!proto_is_name(
		        f, (size_t)((bar != NULL ? bar : end) - f))) {
			err->code = PROTO_ERR_BAD_NAME;
			snprintf(err->text, sizeof err->text,
			    "a name is 1-32 of A-Z a-z 0-9 _ . -");
		}
	}
	s->r->st.frames_in++;
	server_session_err(s, err->code, server_no_ref, err->text);
	server_session_close(s, NULL, "refused login line");
}

/* Whether a header line's verb is LOGIN or RESUME. */
static bool
login_line_is_login(const char *p, size_t len)
{
	const char *bar = memchr(p, '|', len);
	enum proto_verb v =
	    proto_verb_from_name(p, bar != NULL ? (size_t)(bar - p) : len);

	return v == PROTO_V_LOGIN || v == PROTO_V_RESUME;
}

/*
 * Input before WELCOME, a frame at a time: a LOGIN or RESUME that does
 * not parse is refused and closes the connection; anything else goes to
 * the session's frame handling. Stops once logged in, waiting for a
 * password check, or closed. Returns the bytes used.
 */
size_t
server_login_feed(struct srv_sess *s, const char *p, size_t len)
{
	struct proto_frame fr;
	struct proto_error err;
	enum proto_status st;
	enum proto_feed go;
	size_t used, done = 0;

	while (
	    done < len && !s->gone && s->user == NULL && s->hashing == NULL) {
		st = proto_decoder_next(
		    &s->dec, p + done, len - done, &fr, &err, &used);
		if (st == PROTO_NEED_MORE)
			break;
		if (st == PROTO_ERROR && !err.fatal &&
		    login_line_is_login(p + done, used)) {
			login_refuse_line(s, p + done, used, &err);
			return done + used;
		}
		go = server_session_feed(s, st == PROTO_FRAME ? &fr : NULL,
		    st == PROTO_ERROR ? &err : NULL);
		if (st == PROTO_ERROR && err.fatal)
			break;
		done += used;
		if (go == PROTO_FEED_STOP)
			break;
	}
	return done;
}

/*
 * The hashing threads when not given: one fewer than the CPUs, so that
 * hashing never takes the loop's core, and at most two (128 MiB).
 */
static unsigned
login_hash_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) - 1;

	return n < 1 ? 1 : n > 2 ? 2 : (unsigned)n;
}

/* A name's last good login address, from the store. */
static void
login_load_good_ip(void *arg, const char *key, const char *ip)
{
	struct server_relay *r = arg;
	struct srv_user *u;

	u = server_directory_find(
	    &r->dir, (struct proto_slice){key, strlen(key)});
	if (u != NULL)
		snprintf(u->good_ip, sizeof u->good_ip, "%s", ip);
}

/*
 * The hasher, the table of addresses and the names' last good login
 * addresses; -1 and err if no thread starts or the store fails.
 */
int
server_logins_init(struct server_relay *r, char *err, size_t errlen)
{
	if (r->cfg.hash_threads == 0)
		r->cfg.hash_threads = login_hash_threads();
	if (server_store_load_good_ips(r->store, login_load_good_ip, r) != 0) {
		snprintf(err, errlen, "%s", server_store_error(r->store));
		return -1;
	}
	r->lg.addrs = util_map_new();
	r->lg.hasher = server_hasher_new(r->loop, r->cfg.hash_threads,
	    r->cfg.hash_queue, login_hash_done, err, errlen);
	if (r->lg.hasher == NULL)
		return -1;
	server_log(SERVER_LOG_INFO,
	    "passwords hashed on %u thread%s (at most %u MiB), %u may wait",
	    r->cfg.hash_threads, r->cfg.hash_threads == 1 ? "" : "s",
	    r->cfg.hash_threads * 64, r->cfg.hash_queue);
	return 0;
}

/* Free an address's counters. */
static void
login_addr_free(const void *key, size_t len, void *val, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	free(val);
}

/* Stop the hasher, free the table. */
void
server_logins_fini(struct server_relay *r)
{
	server_hasher_free(r->lg.hasher);
	r->lg.hasher = NULL;
	if (r->lg.addrs != NULL) {
		util_map_each(r->lg.addrs, login_addr_free, NULL);
		util_map_free(r->lg.addrs);
	}
	r->lg.addrs = NULL;
}

struct login_idle {
	struct srv_addr **list;
	size_t n, cap;
	uint64_t now, forget;
};

/* Collect an address that holds nothing any more. */
static void
login_addr_idle(const void *key, size_t len, void *val, void *arg)
{
	struct login_idle *idle = arg;
	struct srv_addr *a = val;

	(void)key;
	(void)len;
	if (a->conns > 0 ||
	    (a->fails.n > 0 && idle->now - a->fails.at < idle->forget) ||
	    (a->regs > 0 && idle->now - a->regs_since < LOGIN_REG_WINDOW_MS))
		return;
	XGROW(idle->list, idle->cap, idle->n + 1, 16);
	idle->list[idle->n++] = a;
}

/* Once a second: forget the addresses that hold nothing any more. */
void
server_logins_sweep(struct server_relay *r, uint64_t now)
{
	struct login_idle idle = {
	    .now = now, .forget = 2000ULL * r->cfg.max_delay_s};
	size_t i;

	util_map_each(r->lg.addrs, login_addr_idle, &idle);
	for (i = 0; i < idle.n; i++) {
		util_map_remove(
		    r->lg.addrs, idle.list[i]->ip, strlen(idle.list[i]->ip));
		free(idle.list[i]);
	}
	free(idle.list);
}
