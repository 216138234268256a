/* SPDX-License-Identifier: MIT */
/*
 * The relay's housekeeping of logs and devices (docs/relay.md,
 * "Retention and devices: the options"), at the start and then hourly:
 * devices not seen for --device-expire-days lose their cursor (a user's
 * last device never does), then every log loses the entries every cursor
 * on it passed that are older than --keep-days. Its writes join the
 * turn's transaction, committed at the end of the turn like any other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/log.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"
#include "util/sys.h"
#include "util/xmalloc.h"

#define DAY_MS (24ULL * 3600 * 1000)
#define KEEP_EVERY_MS (3600ULL * 1000) /* how often the pass runs */

/* A stale cursor, kept until the listing is over. */
struct stale {
	int64_t log;
	char name[PROTO_MAX_NAME + 3];
	char reader[PROTO_MAX_NAME + UTIL_FP_HEX + 4];
	uint64_t seen;
};

/* What one listing of stale cursors found. */
struct stale_list {
	struct stale *v;
	size_t n, cap;
};

/* Keep one stale cursor of the listing. */
static void
retention_collect(
    void *arg, const char *log, int64_t id, const struct server_cursor *c)
{
	struct stale_list *l = arg;
	struct stale *e;

	XGROW(l->v, l->cap, l->n + 1, 8);
	e = &l->v[l->n++];
	e->log = id;
	e->seen = c->seen;
	snprintf(e->name, sizeof e->name, "%s", log);
	snprintf(e->reader, sizeof e->reader, "%s", c->reader);
}

/* Each session online: its device is seen now, so it cannot expire. */
static int
retention_touch_online(struct server_relay *r, uint64_t now)
{
	char name[PROTO_MAX_NAME + 3];
	struct srv_sess *s;
	int64_t log;

	LIST_FOREACH(s, &r->ss.list, entry)
	{
		if (s->user == NULL || s->gone || s->device[0] == '\0')
			continue;
		snprintf(name, sizeof name, "u:%s", s->user->key);
		server_rooms_touch(s, now);
		if ((log = server_seqlog_lookup(r->store, name)) < 0 ||
		    (log > 0 &&
		        server_seqlog_cursor_touch(
		            r->store, log, s->device, now) != 0))
			return -1;
	}
	return 0;
}

/* The user whose key is key counts its devices again at the next ask. */
static void
retention_recount_devices(struct server_relay *r, const char *key)
{
	struct srv_user *u = server_directory_find(
	    &r->dir, (struct proto_slice){key, strlen(key)});

	if (u != NULL) {
		u->ndev = -1;
		server_devices_changed(u, NULL);
	}
}

/* Drop the cursors of devices unseen for --device-expire-days. */
static int
retention_expire(struct server_relay *r, uint64_t now)
{
	uint64_t before = now - (uint64_t)r->cfg.device_expire_days * DAY_MS;
	struct stale_list l = {0};
	char when[32];
	time_t t;
	size_t i;
	int rc = 0;

	if (r->cfg.device_expire_days == 0 ||
	    (uint64_t)r->cfg.device_expire_days * DAY_MS > now)
		return 0;
	if (retention_touch_online(r, now) != 0 ||
	    server_seqlog_stale(r->store, before, retention_collect, &l) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < l.n; i++) {
		if (server_seqlog_cursor_drop(
		        r->store, l.v[i].log, l.v[i].reader) != 0) {
			rc = -1;
			break;
		}
		t = (time_t)(l.v[i].seen / 1000);
		strftime(when, sizeof when, "%Y-%m-%d", gmtime(&t));
		server_log(SERVER_LOG_INFO,
		    "%s: device %s expired (not seen since %s)",
		    l.v[i].name + 2, l.v[i].reader, when);
		retention_recount_devices(r, l.v[i].name + 2);
	}
	free(l.v);
	return rc;
}

/*
 * The pass: expire, then trim every log by the retention; the users'
 * queue counts again from the store if anything went.
 */
void
server_retention_run(struct server_relay *r)
{
	uint64_t now = util_wall_ms();
	uint64_t keep = (uint64_t)r->cfg.keep_days * DAY_MS;
	int64_t gone;

	if (retention_expire(r, now) != 0 ||
	    (gone = server_seqlog_trim_all(
	         r->store, keep < now ? now - keep : 0)) < 0) {
		server_log(SERVER_LOG_ERROR, "store: retention: %s",
		    server_store_error(r->store));
		return;
	}
	if (gone == 0)
		return;
	server_log(SERVER_LOG_INFO, "retention: %lld entries trimmed",
	    (long long)gone);
	if (server_router_recount(&r->rt) != 0)
		server_log(SERVER_LOG_ERROR, "store: recount: %s",
		    server_store_error(r->store));
	r->st.queue_depth = server_store_queue_depth(r->store);
}

/* The hourly timer. */
static void
retention_tick(struct net_timer *t, void *arg)
{
	struct server_relay *r = arg;

	server_retention_run(r);
	net_timer_start(r->loop, t, KEEP_EVERY_MS);
}

/* Run the pass now and every hour after. */
void
server_retention_start(struct server_relay *r)
{
	net_timer_init(&r->keep, retention_tick, r);
	server_retention_run(r);
	net_timer_start(r->loop, &r->keep, KEEP_EVERY_MS);
}

/* Stop the hourly pass. */
void
server_retention_stop(struct server_relay *r)
{
	net_timer_stop(r->loop, &r->keep);
}
