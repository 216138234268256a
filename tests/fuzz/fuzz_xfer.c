/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the transfer machine (src/client/xfer.c): alice
 * and bob, each with their transfers, wired back to back as in
 * tests/client/test_xfer.c, and a script that picks what happens next:
 * a frame of the script to either side (offers, chunks, ends, cancels in
 * any order, by either route), what one side sent delivered to the other
 * or lost, offers of real files, accept, reject, cancel, the connection
 * or the peer coming and going, refusals from the relay. Nothing may
 * crash, leak or break the machine's promises (done <= size, strings
 * ended); every frame a side sends must be one the decoder takes.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/xfer.h"
#include "fuzz_input.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define WIRE_MAX (512 * 1024)

struct side {
	const char *me;
	struct client_xfers *xs;
	struct side *peer;
	char *wire[2]; /* by the relay, direct */
	char *spare[2]; /* what deliver reads while new frames go in wire */
	size_t len[2];
	bool p2p, refuse;
};

static struct side alice, bob;
static char src[3][300];

/* Queue a frame for the peer, by the transfer's route. */
static int
io_send(void *arg, const struct client_xfer *x, const char *h, size_t n,
    const void *p, size_t m)
{
	struct side *s = arg;
	int r = x->direct ? 1 : 0;

	if (s->refuse || s->len[r] + n + m > WIRE_MAX)
		return -1;
	memcpy(s->wire[r] + s->len[r], h, n);
	if (m > 0)
		memcpy(s->wire[r] + s->len[r] + n, p, m);
	s->len[r] += n + m;
	return 0;
}

static int
io_offer(void *arg, const struct client_xfer *x, const char *h, size_t n)
{
	return io_send(arg, x, h, n, NULL, 0);
}

static size_t
io_room(void *arg, const struct client_xfer *x)
{
	struct side *s = arg;
	size_t len = s->len[x->direct ? 1 : 0];

	return len < WIRE_MAX / 2 ? WIRE_MAX / 2 - len : 0;
}

static bool
io_direct(void *arg, const char *peer)
{
	(void)peer;
	return ((struct side *)arg)->p2p;
}

static const char *
io_me(void *arg)
{
	return ((struct side *)arg)->me;
}

/* What the UI is shown must hold together. */
static void
io_changed(void *arg, const struct client_xfer *x)
{
	(void)arg;
	if (x->done > x->size || strnlen(x->id, sizeof x->id) == sizeof x->id ||
	    strnlen(x->name, sizeof x->name) == sizeof x->name ||
	    strnlen(x->reason, sizeof x->reason) == sizeof x->reason ||
	    strchr(x->name, '/') != NULL)
		abort();
}

/* Hand what s sent to its peer (or lose it); every frame must decode. */
static void
deliver(struct side *s, bool lose)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t off, used, len;
	char *buf;
	int r;

	for (r = 0; r < 2; r++) {
		buf = s->wire[r];
		len = s->len[r];
		s->wire[r] = s->spare[r];
		s->spare[r] = buf;
		s->len[r] = 0;
		proto_decoder_init(&d, PROTO_MAX_FRAME);
		for (off = 0; !lose && off < len; off += used) {
			if (proto_decoder_next(&d, buf + off, len - off, &fr,
			        &err, &used) != PROTO_FRAME)
				abort();
			client_xfers_frame(s->peer->xs, &fr, r == 1);
		}
	}
}

/* The id of the transfer the script's next byte picks, or NULL. */
static const char *
pick(struct side *s, struct fuzz_input *in, char *id)
{
	size_t n = client_xfers_count(s->xs);
	int b = fuzz_input_byte(in);

	if (n == 0 || b < 0)
		return NULL;
	snprintf(id, 65, "%s", client_xfers_at(s->xs, (size_t)b % n)->id);
	return id;
}

/* One operation of the script on side s (the other is its peer). */
static void
step(struct side *s, int op, struct fuzz_input *in, uint64_t *now)
{
	struct proto_frame fr;
	char id[65], out[65], err[256];
	int b;

	switch (op % 12) {
	case 0:
	case 1:
		/* As the session hands them over: file frames to us. */
		if (fuzz_input_frame(in, &fr) == 1 &&
		    proto_verb_is_file(fr.verb) &&
		    proto_name_eq(
		        fr.arg[1], (struct proto_slice){s->me, strlen(s->me)}))
			client_xfers_frame(s->xs, &fr, op % 12 == 1);
		break;
	case 2:
		deliver(s, false);
		break;
	case 3:
		deliver(s, true);
		break;
	case 4:
		if ((b = fuzz_input_byte(in)) >= 0)
			client_xfers_offer(s->xs, s->peer->me, src[b % 3], out,
			    err, sizeof err);
		break;
	case 5:
		if (pick(s, in, id) != NULL)
			client_xfers_accept(s->xs, id, err, sizeof err);
		break;
	case 6:
		if (pick(s, in, id) != NULL)
			client_xfers_reject(s->xs, id, "no");
		break;
	case 7:
		if (pick(s, in, id) != NULL)
			client_xfers_cancel(s->xs, id, "stop");
		break;
	case 8:
		*now += 1000;
		client_xfers_pump(s->xs, *now);
		break;
	case 9:
		b = fuzz_input_byte(in);
		client_xfers_online(s->xs, b >= 0 && (b & 1));
		s->refuse = b >= 0 && (b & 2);
		s->p2p = b >= 0 && (b & 4);
		break;
	case 10:
		client_xfers_peer_online(s->xs, s->peer->me);
		client_xfers_direct_lost(s->xs, s->peer->me);
		break;
	default:
		b = fuzz_input_byte(in);
		if (pick(s, in, id) != NULL)
			client_xfers_error(s->xs, id,
			    b < 0 ? PROTO_ERR_OFFLINE
			          : (enum proto_err)(b % 24),
			    "refused");
		break;
	}
}

/* The side's four wire buffers, made once (a malloc of this size for
 * every frame costs more than the rest of an input). */
static void
wires(struct side *s, int which)
{
	static char *bufs[2][4];
	int i;

	for (i = 0; i < 4; i++)
		if (bufs[which][i] == NULL &&
		    (bufs[which][i] = malloc(WIRE_MAX)) == NULL)
			abort();
	s->wire[0] = bufs[which][0];
	s->wire[1] = bufs[which][1];
	s->spare[0] = bufs[which][2];
	s->spare[1] = bufs[which][3];
}

/* Source files of 0 bytes, 100 bytes and just over three chunks. */
static void
make_sources(const char *dir)
{
	static const size_t sizes[3] = {0, 100, 3 * CLIENT_XFER_CHUNK + 7};
	char *buf = calloc(1, sizes[2]);
	int i, fd;

	for (i = 0; i < 3; i++) {
		snprintf(src[i], sizeof src[i], "%s/file%d.bin", dir, i);
		fd = open(src[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, buf, sizes[i]) != (ssize_t)sizes[i])
			abort();
		close(fd);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dla[300], dlb[300];
	struct client_xfer_io ia = {
	    &alice, io_send, io_offer, io_room, io_direct, io_me, io_changed};
	struct client_xfer_io ib = ia;
	struct fuzz_input in;
	uint64_t now = 0;
	int op;

	if (dla[0] == '\0') {
		if (sodium_init() < 0)
			abort();
		make_sources(fuzz_dir_get());
		snprintf(dla, sizeof dla, "%s/alice", fuzz_dir);
		snprintf(dlb, sizeof dlb, "%s/bob", fuzz_dir);
	}
	ib.arg = &bob;
	memset(&alice, 0, sizeof alice);
	memset(&bob, 0, sizeof bob);
	wires(&alice, 0);
	wires(&bob, 1);
	alice.me = "alice";
	bob.me = "bob";
	alice.peer = &bob;
	bob.peer = &alice;
	alice.xs = client_xfers_new(&ia, dla, 0);
	bob.xs = client_xfers_new(&ib, dlb, 1 << 20);
	client_xfers_online(alice.xs, true);
	client_xfers_online(bob.xs, true);
	fuzz_input_init(&in, data, size);
	while ((op = fuzz_input_byte(&in)) >= 0)
		step(op & 0x80 ? &bob : &alice, op & 0x7f, &in, &now);
	client_xfers_free(alice.xs);
	client_xfers_free(bob.xs);
	deliver(&alice, true);
	deliver(&bob, true);
	fuzz_rm_tree(dla);
	fuzz_rm_tree(dlb);
	return 0;
}
