/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the relay's router (src/server/router.c): four
 * users with fake sessions (the router's test does the same, through
 * struct server_router_io) over a real store in a temporary folder, and a
 * script of what happens next: a frame of the script from one of them,
 * logins and logouts, outputs filling and draining, the grace period
 * running out, the turn's commit, a restart of the router on the same
 * store. Nothing may crash or leak; every frame a session is sent must be
 * one the decoder takes; ACKs go out only at a commit; and the queue
 * depth the relay counts must be the store's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "net/loop.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/seqlog.h"
#include "server/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NUSERS 4

struct fake_sess {
	struct srv_sess s;
	bool online, full;
};

static struct {
	struct net_loop *loop;
	struct server_store *store;
	struct server_directory dir;
	struct srv_stats st;
	struct server_router rt;
	struct srv_user *u[NUSERS];
	struct fake_sess f[NUSERS];
	bool committing;
} w;

static const char *const names[NUSERS] = {"alice", "bob", "Carol", "dave"};

/* What a session is sent: a frame the decoder takes; ACKs at commits. */
static void
fk_send(struct srv_sess *s, const char *p, size_t n)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t used;

	proto_decoder_init(&d, PROTO_MAX_FRAME);
	if (s->user == NULL || !s->attached ||
	    proto_decoder_next(&d, p, n, &fr, &err, &used) != PROTO_FRAME ||
	    used != n || (fr.verb == PROTO_V_ACK && !w.committing))
		abort();
}

static bool
fk_is_full(struct srv_sess *s)
{
	return ((struct fake_sess *)s)->full;
}

static void
fk_block_on(struct srv_sess *s, struct srv_sess *dst)
{
	(void)s;
	(void)dst;
}

static const struct server_router_io fake_io = {
    .send = fk_send,
    .is_full = fk_is_full,
    .block_on = fk_block_on,
};

/* The end of a turn: commit, and ACKs follow. */
static void
commit(void)
{
	w.committing = true;
	server_router_commit(&w.rt);
	w.committing = false;
}

/* User i logs in, and gets what waits for it; or leaves. */
static void
toggle(int i)
{
	struct fake_sess *f = &w.f[i];

	char name[PROTO_MAX_NAME + 3];
	int64_t log;

	if (f->online) {
		server_user_detach(w.u[i], &f->s);
		f->online = false;
		server_router_flush(&w.rt, w.u[i]);
		return;
	}
	memset(f, 0, sizeof *f);
	f->online = true;
	f->s.user = w.u[i];
	snprintf(f->s.device, sizeof f->s.device, "-");
	server_user_attach(w.u[i], &f->s);
	snprintf(name, sizeof name, "u:%s", w.u[i]->key);
	if ((log = server_seqlog_open(w.store, name, 1)) <= 0 ||
	    server_seqlog_cursor_add(w.store, log, "-", 1) != 0)
		abort();
	w.u[i]->ndev = -1;
	f->s.backlog = true;
	server_router_sync(&w.rt, &f->s);
}

/* Everyone leaves; the router stores what it held. */
static void
all_leave(void)
{
	int i;

	for (i = 0; i < NUSERS; i++)
		if (w.f[i].online)
			toggle(i);
	server_router_flush(&w.rt, NULL);
	commit();
}

/* A relay restart on the same store: the stored messages load again. */
static void
restart(void)
{
	all_leave();
	server_router_fini(&w.rt);
	server_router_init(
	    &w.rt, w.loop, w.store, &w.dir, &w.st, 200, &fake_io);
	if (server_router_load(&w.rt) != 0)
		abort();
}

/* One operation of the script. */
static void
step(int op, struct fuzz_input *in)
{
	struct proto_frame fr;
	int i = (op >> 4) % NUSERS;

	switch (op & 0x0f) {
	case 0:
	case 1:
	case 2:
	case 3:
		/* A frame from user i, routed as its session would. */
		if (fuzz_input_frame(in, &fr) == 1 && w.f[i].online &&
		    proto_verb_is_routed(fr.verb))
			server_router_route(&w.rt, &w.f[i].s, &fr);
		break;
	case 4:
		toggle(i);
		break;
	case 5:
		w.f[i].full = !w.f[i].full;
		if (w.f[i].online && !w.f[i].full)
			server_router_sync(&w.rt, &w.f[i].s);
		break;
	case 6:
		w.f[i].s.gone = w.f[i].online;
		break;
	case 7:
		server_router_expire(&w.rt, net_loop_now(w.loop) + 1000);
		break;
	case 8:
		server_router_expire(&w.rt, UINT64_MAX);
		break;
	case 9:
	case 10:
		commit();
		break;
	case 11:
		restart();
		break;
	default:
		break;
	}
}

/* At the end of an input: every inbox log goes, with its cursors. */
static void
clear_logs(void)
{
	char name[PROTO_MAX_NAME + 3];
	int64_t log;
	int i;

	for (i = 0; i < NUSERS; i++) {
		snprintf(name, sizeof name, "u:%s", w.u[i]->key);
		if ((log = server_seqlog_lookup(w.store, name)) < 0 ||
		    (log > 0 && server_seqlog_drop(w.store, log) != 0))
			abort();
	}
}

/* The relay, once per process; the store starts empty at every input. */
static void
world_init(void)
{
	char err[256];
	int i;

	server_log_set_level(SERVER_LOG_ERROR);
	w.loop = net_loop_new();
	w.store = server_store_open(fuzz_dir_get(), false, err, sizeof err);
	if (w.store == NULL)
		abort();
	server_directory_init(&w.dir);
	for (i = 0; i < NUSERS; i++)
		w.u[i] = server_directory_add(&w.dir, names[i], NULL, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	int op, i;

	if (w.loop == NULL)
		world_init();
	memset(&w.st, 0, sizeof w.st);
	memset(w.f, 0, sizeof w.f);
	for (i = 0; i < NUSERS; i++) {
		TAILQ_INIT(&w.u[i]->sessions);
		w.u[i]->nsess = 0;
		w.u[i]->ndev = -1;
		w.u[i]->q_frames = w.u[i]->q_bytes = 0;
		w.u[i]->s_frames = w.u[i]->s_bytes = 0;
	}
	server_router_init(
	    &w.rt, w.loop, w.store, &w.dir, &w.st, 200, &fake_io);
	fuzz_input_init(&in, data, size);
	while ((op = fuzz_input_byte(&in)) >= 0)
		step(op, &in);
	all_leave();
	if (w.st.queue_depth != server_store_queue_depth(w.store))
		abort();
	server_router_fini(&w.rt);
	clear_logs();
	commit();
	return 0;
}
