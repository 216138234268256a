/* SPDX-License-Identifier: MIT */
/*
 * A user's devices (docs/protocol.md "Several devices per account"):
 * each device that logs in holds a cursor on its user's inbox log, made
 * at its first WELCOME and marked seen at each login and logout;
 * DEVICES|active lists them. The router still reads each inbox through
 * one reader (queue.c); the cursors are where per-device delivery goes.
 */
#include <stdio.h>
#include <string.h>

#include "proto/build.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/sys.h"

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

	if (s->device[0] == '\0')
		snprintf(s->device, sizeof s->device, "%s",
		    u->device[0] != '\0' ? u->device : "-");
	memcpy(u->device, s->device, sizeof u->device);
	if ((log = devices_inbox(r, u)) < 0 ||
	    server_seqlog_cursor_add(r->store, log, s->device, now) != 0 ||
	    server_seqlog_cursor_touch(r->store, log, s->device, now) != 0)
		devices_failed(r, u);
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
	const struct srv_sess *on = s->user->sess;
	bool online = on != NULL && strcmp(on->device, c->reader) == 0;
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
	struct srv_sess *on = u->sess;
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
	server_devices_count(s);
	if (on != NULL && strcmp(on->device, name) == 0)
		server_session_close(on, "removed", "its device was dropped");
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
