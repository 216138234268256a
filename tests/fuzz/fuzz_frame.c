/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the frame decoder: any bytes, fed whole and again in
 * pieces whose sizes the input itself picks, must decode to the same
 * outcomes, never crash, and never read outside the input. The same pieces
 * go through proto_decoder_feed() as a connection's input would, with the
 * callback stopping the feed now and then: the outcomes must not change.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/b64.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct outcome {
	int st;
	int code;
	size_t used;
};

static size_t
run(const char *in, size_t len, size_t max_frame, const uint8_t *steps,
    size_t nsteps, struct outcome *out, size_t max)
{
	struct proto_decoder d;
	struct proto_frame fr;
	struct proto_error err;
	size_t start = 0, have = 0, n = 0, used, k = 0;
	enum proto_status st;

	proto_decoder_init(&d, max_frame);
	while (n < max) {
		if (nsteps == 0)
			have = len;
		else {
			have += 1 + steps[k++ % nsteps];
			if (have > len)
				have = len;
		}
		for (;;) {
			st = proto_decoder_next(
			    &d, in + start, have - start, &fr, &err, &used);
			if (st == PROTO_NEED_MORE)
				break;
			if (st == PROTO_FRAME) {
				/* Touch every slice: ASan checks bounds. */
				size_t i, sum = 0;
				for (i = 0; i < fr.nargs; i++)
					if (fr.arg[i].len > 0)
						sum +=
						    (unsigned char)fr.arg[i]
						        .p[fr.arg[i].len - 1];
				if (fr.payload_len > 0)
					sum +=
					    (unsigned char)
					        fr.payload[fr.payload_len - 1];
				(void)sum;
				if (used != fr.rawlen)
					abort();
			}
			out[n].st = st;
			out[n].code = st == PROTO_ERROR ? err.code : 0;
			out[n].used = used;
			n++;
			if (st == PROTO_ERROR && err.fatal) {
				if (used != 0)
					abort();
				return n;
			}
			if (used == 0 || used > have - start)
				abort();
			start += used;
			if (n == max)
				return n;
		}
		if (have == len)
			break;
	}
	return n;
}

/* A connection's reader: what the feed hands over, and when to stop it. */
struct reader {
	struct outcome *out;
	size_t n, max;
	const char *lo, *hi; /* the input buffer: slices must stay inside */
	unsigned stop_every, calls;
	bool fatal;
};

static enum proto_feed
reader_take(
    void *arg, const struct proto_frame *fr, const struct proto_error *err)
{
	struct reader *r = arg;

	if ((fr == NULL) == (err == NULL) || r->n == r->max || r->fatal)
		abort();
	if (fr != NULL &&
	    (fr->raw < r->lo || fr->raw + fr->rawlen > r->hi ||
	        (fr->nargs > 0 &&
	            fr->arg[fr->nargs - 1].p + fr->arg[fr->nargs - 1].len >
	                r->hi)))
		abort();
	r->out[r->n].st = fr != NULL ? PROTO_FRAME : PROTO_ERROR;
	r->out[r->n].code = fr != NULL ? 0 : (int)err->code;
	r->n++;
	r->fatal = err != NULL && err->fatal;
	if (r->n == r->max ||
	    (r->stop_every != 0 && ++r->calls % r->stop_every == 0))
		return PROTO_FEED_STOP;
	return PROTO_FEED_GO;
}

/*
 * Feed in the pieces steps picks, consuming what the feed is done with as a
 * connection does. Returns how many outcomes; *consumed the bytes done.
 */
static size_t
feed(const char *in, size_t len, size_t max_frame, const uint8_t *steps,
    size_t nsteps, unsigned stop_every, struct outcome *out, size_t max,
    size_t *consumed)
{
	struct proto_decoder d;
	struct reader r = {out, 0, max, NULL, NULL, stop_every, 0, false};
	char *buf = malloc(len + 1);
	size_t off = 0, have = 0, done, k = 0, chunk, before;

	proto_decoder_init(&d, max_frame);
	*consumed = 0;
	while (!r.fatal && r.n < max) {
		chunk = nsteps == 0 ? len : 1 + steps[k++ % nsteps];
		if (chunk > len - off)
			chunk = len - off;
		memcpy(buf + have, in + off, chunk);
		have += chunk;
		off += chunk;
		r.lo = buf;
		r.hi = buf + have;
		before = r.n;
		done = proto_decoder_feed(&d, buf, have, reader_take, &r);
		if (done > have || (done > 0 && r.n == before))
			abort();
		memmove(buf, buf + done, have - done);
		have -= done;
		*consumed += done;
		if (off == len && r.n == before)
			break;
	}
	free(buf);
	return r.n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome a[4096], b[4096], c[4096];
	const char *in;
	size_t na, nb, nc, i, nsteps, max_frame, used = 0, consumed;
	unsigned stop_every;
	char dec[PROTO_B64_DECODED_MAX(4096) + 3];

	if (size < 2)
		return 0;
	/* The first byte picks the chunking and how often the feed is
	 * stopped, the second max-frame. */
	nsteps = data[0] % 16;
	stop_every = data[0] / 16;
	max_frame = 16 + (size_t)data[1] * 8;
	if (size < 2 + nsteps)
		return 0;
	in = (const char *)data + 2 + nsteps;
	size -= 2 + nsteps;

	na = run(in, size, max_frame, NULL, 0, a, 4096);
	nb = run(in, size, max_frame, data + 2, nsteps, b, 4096);
	if (na != nb)
		abort();
	for (i = 0; i < na; i++) {
		if (a[i].st != b[i].st || a[i].code != b[i].code ||
		    a[i].used != b[i].used)
			abort();
	}

	nc = feed(in, size, max_frame, data + 2, nsteps, stop_every, c, 4096,
	    &consumed);
	if (nc != na)
		abort();
	for (i = 0; i < na; i++) {
		if (a[i].st != c[i].st || a[i].code != c[i].code)
			abort();
		used += a[i].used;
	}
	if (consumed != used)
		abort();

	/* Base64: whatever the checker passes must decode, and re-encode to
	 * the same text. */
	if (size <= 4096 && proto_b64_check(in, size, NULL) == 0) {
		char re[4096 + 4];
		size_t n, m;
		if (proto_b64_decode(in, size, dec, sizeof dec, &n) != 0)
			abort();
		m = proto_b64_encode(dec, n, re);
		if (m != size || memcmp(re, in, size) != 0)
			abort();
	}
	return 0;
}
