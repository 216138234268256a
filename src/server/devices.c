/* SPDX-License-Identifier: MIT */
/*
 * A user's devices and sessions (docs/protocol.md "Several devices per
 * account"): the sessions of a name online at once, oldest first, and
 * who may join them; each device that logs in holds a cursor on its
 * user's inbox log, made at its first WELCOME and marked seen at each
 * login and logout, which the router reads and moves (router.c);
 * DEVICES|active lists them.
 */
#include <stdio.h>
#include <string.h>

#include "proto/build.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/sys.h"

/* s is one of u's sessions online now, the newest. */
void
server_user_attach(struct srv_user *u, struct srv_sess *s)
{
	TAILQ_INSERT_TAIL(&u->sessions, s, user_entry);
	u->nsess++;
	s->attached = true;
}

/* s, one of u's sessions, is not online any more. */
void
server_user_detach(struct srv_user *u, struct srv_sess *s)
{
	if (!s->attached)
		return;
	TAILQ_REMOVE(&u->sessions, s, user_entry);
	u->nsess--;
	s->attached = false;
}

/* Whether s is the oldest session of its device (the one fed its
 * backlog). */
bool
server_sess_is_head(const struct srv_sess *s)
{
	const struct srv_sess *o;

	if (!s->attached)
		return true;
	TAILQ_FOREACH(o, &s->user->sessions, user_entry)
	{
		if (o == s)
			return true;
		if (strcmp(o->device, s->device) == 0)
			return false;
	}
	return true;
}

/* How many of u's devices have a session online. */
unsigned
server_user_devices_online(const struct srv_user *u)
{
	const struct srv_sess *o;
	unsigned n = 0;

	TAILQ_FOREACH(o, &u->sessions, user_entry)
	n += server_sess_is_head(o);
	return n;
}

/* How many sessions of u's device dev are online. */
unsigned
server_user_device_sessions(const struct srv_user *u, const char *dev)
{
	const struct srv_sess *o;
	unsigned n = 0;

	TAILQ_FOREACH(o, &u->sessions, user_entry)
	n += strcmp(o->device, dev) == 0;
	return n;
}

/* The inbox log of u, made if absent; -1 on error. */
static int64_t
devices_inbox(struct server_relay *r, const struct srv_user *u)
{
	char name[PROTO_MAX_NAME + 3];

	snprintf(name, sizeof name, "u:%s", u->key);
	return server_seqlog_open(r->store, name, util_wall_ms());
}

/* Log a store error about u's devices. */
static void
devices_failed(struct server_relay *r, const struct srv_user *u)
{
	server_log(SERVER_LOG_ERROR, "store: %s's devices: %s", u->name,
	    server_store_error(r->store));
}

/*
 * s logged in as its user: its device (the one of the session it
 * resumes, for a RESUME) gets a cursor if it had none, and is seen now.
 */
void
server_devices_login(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct srv_user *u = s->user;
	uint64_t now = util_wall_ms();
	int64_t log;
	bool fresh;

	if (s->device[0] == '\0')
		snprintf(s->device, sizeof s->device, "%s",
		    u->device[0] != '\0' ? u->device : "-");
	memcpy(u->device, s->device, sizeof u->device);
	u->ndev = -1; /* perhaps one more */
	if ((log = devices_inbox(r, u)) < 0) {
		devices_failed(r, u);
		return;
	}
	fresh = server_seqlog_cursor_floor(r->store, log, s->device) < 0;
	if (server_seqlog_cursor_add(r->store, log, s->device, now) != 0 ||
	    server_seqlog_cursor_touch(r->store, log, s->device, now) != 0) {
		devices_failed(r, u);
		return;
	}
	if (fresh)
		server_devices_changed(u, s);
}

/* s, logged in, ends: its device was last seen now. */
void
server_devices_logout(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	int64_t log;

	if ((log = devices_inbox(r, s->user)) < 0 ||
	    server_seqlog_cursor_touch(
	        r->store, log, s->device, util_wall_ms()) != 0)
		devices_failed(r, s->user);
}

/* What DEVICES|active writes, device by device. */
struct devices_list {
	struct srv_sess *s;
	uint64_t n;
};

/* One ACTIVE line: a device online (a session of its user has it) or not. */
static void
devices_send_one(void *arg, const struct server_cursor *c)
{
	struct devices_list *l = arg;
	struct srv_sess *s = l->s;
	struct server_relay *r = s->r;
	bool online = server_user_device_sessions(s->user, c->reader) > 0;
	size_t len;

	l->n++;
	if (proto_build_active(r->out, sizeof r->out, &len, c->reader,
	        c->created, online ? util_wall_ms() : c->seen, online,
	        (uint64_t)(c->behind > 0 ? c->behind : 0)) == 0)
		server_session_send(s, r->out, len);
}

/* Count the cursors listed. */
static void
devices_count_one(void *arg, const struct server_cursor *c)
{
	(void)c;
	(*(uint64_t *)arg)++;
}

/* DEVCOUNT|n to s: the devices holding a cursor on its user's inbox. */
void
server_devices_count(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	uint64_t n = 0;
	int64_t log;
	size_t len;

	if ((log = devices_inbox(r, s->user)) < 0 ||
	    server_seqlog_cursor_list(r->store, log, devices_count_one, &n) !=
	        0) {
		devices_failed(r, s->user);
		return;
	}
	if (proto_build_devcount(r->out, sizeof r->out, &len, n) == 0)
		server_session_send(s, r->out, len);
}

/*
 * u's device count changed: DEVCOUNT to each of its device-aware sessions
 * but skip (which has its own answer coming, or none).
 */
void
server_devices_changed(struct srv_user *u, const struct srv_sess *skip)
{
	struct srv_sess *on;

	TAILQ_FOREACH(on, &u->sessions, user_entry)
	{
		if (on != skip && on->device_aware && !on->gone)
			server_devices_count(on);
	}
}

/* Whether u has a cursor for device dev on log. */
static bool
devices_has(struct server_relay *r, int64_t log, const char *dev)
{
	return server_seqlog_cursor_floor(r->store, log, dev) >= 0;
}

/*
 * DEVICES|drop|device: its cursor goes, its pin too, and its session
 * (BYE|removed) after the answer, DEVCOUNT|devices left.
 */
void
server_devices_drop(struct srv_sess *s, struct proto_slice dev)
{
	struct server_relay *r = s->r;
	struct srv_user *u = s->user;
	struct srv_sess *on, *next;
	char name[UTIL_FP_HEX + 1];
	int64_t log;

	snprintf(name, sizeof name, "%.*s", (int)dev.len, dev.p);
	if ((log = devices_inbox(r, u)) < 0)
		goto fail;
	if (!devices_has(r, log, name)) {
		server_session_err(
		    s, PROTO_ERR_BAD_FIELD, server_no_ref, "no such device");
		return;
	}
	if (server_seqlog_cursor_drop(r->store, log, name) != 0 ||
	    (dev.len == 64 &&
	        server_store_device_remove(r->store, u->key, name) != 0))
		goto fail;
	server_log(SERVER_LOG_INFO, "%s: device %s dropped from %s", u->name,
	    name, s->ip);
	u->ndev = -1;
	server_inbox_trim(&r->rt, u, log, 0); /* what only it lacked */
	server_devices_count(s);
	for (on = TAILQ_FIRST(&u->sessions); on != NULL; on = next) {
		next = TAILQ_NEXT(on, user_entry);
		if (on != s && on->device_aware && !on->gone &&
		    strcmp(on->device, name) != 0)
			server_devices_count(on);
	}
	for (on = TAILQ_FIRST(&u->sessions); on != NULL; on = next) {
		next = TAILQ_NEXT(on, user_entry);
		if (strcmp(on->device, name) == 0)
			server_session_close(
			    on, "removed", "its device was dropped");
	}
	return;
fail:
	devices_failed(r, u);
	server_session_err(s, PROTO_ERR_INTERNAL, server_no_ref,
	    "the relay could not drop the device");
}

/* DEVICES|active: an ACTIVE line per device, oldest first, DEVCOUNT. */
void
server_devices_active(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	struct devices_list l = {s, 0};
	int64_t log;
	size_t len;

	if ((log = devices_inbox(r, s->user)) < 0 ||
	    server_seqlog_cursor_list(r->store, log, devices_send_one, &l) !=
	        0) {
		devices_failed(r, s->user);
		server_session_err(s, PROTO_ERR_INTERNAL, server_no_ref,
		    "the relay could not read the devices");
		return;
	}
	if (proto_build_devcount(r->out, sizeof r->out, &len, l.n) == 0)
		server_session_send(s, r->out, len);
}

/* How many devices hold a cursor on u's inbox (counted once, kept). */
unsigned
server_devices_number(struct server_store *st, struct srv_user *u)
{
	char name[PROTO_MAX_NAME + 3];
	int64_t log, n;

	if (u->ndev >= 0)
		return (unsigned)u->ndev;
	snprintf(name, sizeof name, "u:%s", u->key);
	if ((log = server_seqlog_lookup(st, name)) <= 0)
		n = 0;
	else if ((n = server_seqlog_cursor_count(st, log)) < 0)
		return 1;
	u->ndev = (int)n;
	return (unsigned)n;
}

/*
 * Whether s, with the right password for the owned name u, may join its
 * sessions (docs/protocol.md "Who may be online at once"): a device new
 * to u past --max-devices, or u's sessions at --max-name-sessions, are
 * refused and s closed; otherwise, without keep, the sessions of s's
 * device are replaced.
 */
bool
server_devices_admit(struct srv_sess *s, struct srv_user *u)
{
	struct server_relay *r = s->r;
	unsigned same = server_user_device_sessions(u, s->device);
	bool replace = !s->login_keep && same > 0;
	unsigned others = u->nsess - (replace ? same : 0);
	int64_t log;

	if (same == 0 && r->cfg.max_devices > 0 &&
	    server_devices_number(r->store, u) >= r->cfg.max_devices &&
	    ((log = devices_inbox(r, u)) < 0 ||
	        !devices_has(r, log, s->device))) {
		server_log(SERVER_LOG_INFO,
		    "%s: login from %s refused: %u devices", u->name, s->ip,
		    server_devices_number(r->store, u));
		server_session_errf(s, PROTO_ERR_QUOTA, server_no_ref,
		    "%s has %u devices; drop one with termgram devices drop",
		    u->name, server_devices_number(r->store, u));
		server_session_close(s, NULL, NULL);
		return false;
	}
	if (r->cfg.max_name_sessions > 0 &&
	    others >= r->cfg.max_name_sessions) {
		server_log(SERVER_LOG_INFO,
		    "%s: login from %s refused: %u sessions open", u->name,
		    s->ip, u->nsess);
		server_session_errf(s, PROTO_ERR_NAME_IN_USE, server_no_ref,
		    "%s has %u sessions open", u->name, u->nsess);
		server_session_close(s, NULL, NULL);
		return false;
	}
	if (replace)
		server_session_replace(u, s);
	return true;
}
