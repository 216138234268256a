/* SPDX-License-Identifier: MIT */
/*
 * The three protocols termgram-bench speaks. Each turns the same
 * workload — log in, send a text to the partner, settle it — into its own
 * frames: termgram (MSG, answered with RCPT as a real client does), IRC
 * (PRIVMSG; nothing comes back to the sender) and MQTT 3.1.1 (PUBLISH at
 * QoS 1 to the partner's topic, PUBACK from the broker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "net/conn.h"
#include "proto/b64.h"

/* --- termgram ---------------------------------------------------------- */

static void
tg_login(struct peer *p)
{
	size_t n;

	if (p->device != NULL) /* an owned name (password "pw") */
		n = (size_t)snprintf(p->b->buf, sizeof p->b->buf,
		    "LOGIN|1|%s|cHc=|0|take|%s\n", p->name, p->device);
	else
		n = (size_t)snprintf(
		    p->b->buf, sizeof p->b->buf, "LOGIN|1|%s||0\n", p->name);
	bench_write(p, p->b->buf, n);
}

/* Where a message goes: the room (rooms mode) or the partner. */
static const char *
dest(const struct peer *p)
{
	return p->b->room != NULL ? p->b->room : p->partner->name;
}

static void
tg_join(struct peer *p, bool create)
{
	size_t n;

	n = (size_t)snprintf(p->b->buf, sizeof p->b->buf,
	    create ? "RCREATE|%s|open\n" : "RJOIN|%s\n", p->b->room);
	bench_write(p, p->b->buf, n);
}

/* A room log position handed to this session. */
static void
tg_pos(struct peer *p, struct proto_slice seq)
{
	unsigned long v = (unsigned long)proto_slice_u64(seq);

	if (v > p->rpos)
		p->rpos = v;
}

/* One RPOS per read batch, as a client that stored the batch does. */
static void
tg_flush(struct peer *p)
{
	size_t n;

	if (p->rpos <= p->rpos_sent)
		return;
	p->rpos_sent = p->rpos;
	n = (size_t)snprintf(p->b->buf, sizeof p->b->buf, "RPOS|%s|%lu|%lu\n",
	    p->b->room, p->rpos, p->rpos);
	bench_write(p, p->b->buf, n);
}

/*
 * The load generator must not be what limits the relay: only the head of
 * a body changes from message to message (time and sequence number, in its
 * first BENCH_HEAD bytes, a multiple of 3), so only the head is encoded
 * each time and the rest of the base64 is reused.
 */
static char tail64[PROTO_MAX_FRAME];
static size_t tail64_len;

static int
tg_send(struct peer *p, unsigned long seq, const char *body, size_t len)
{
	char *buf = p->b->buf;
	int n;

	if (tail64_len == 0)
		tail64_len = proto_b64_encode(
		    body + BENCH_HEAD, len - BENCH_HEAD, tail64);
	n = snprintf(
	    buf, sizeof p->b->buf, "MSG|%s|%s|1|m%lu|", p->name, dest(p), seq);
	n += (int)proto_b64_encode(body, BENCH_HEAD, buf + n);
	memcpy(buf + n, tail64, tail64_len);
	n += (int)tail64_len;
	buf[n++] = '\n';
	return bench_write(p, buf, (size_t)n);
}

/* The sequence number in a message id "m<seq>". */
static unsigned long
id_seq(struct proto_slice id)
{
	unsigned long seq = 0;
	size_t i;

	if (id.len < 2 || id.p[0] != 'm')
		return BENCH_NO_SEQ - 1;
	for (i = 1; i < id.len && i < 12; i++)
		seq = seq * 10 + (unsigned long)(id.p[i] - '0');
	return seq;
}

/* Append a slice to a frame being built. */
static char *
put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

static void
tg_frame(struct peer *p, const struct proto_frame *fr)
{
	char head[BENCH_HEAD], *o;
	size_t len, b64 = BENCH_HEAD / 3 * 4;

	switch (fr->verb) {
	case PROTO_V_WELCOME:
		bench_logged_in(p);
		break;
	case PROTO_V_SYNCED:
		bench_ready(p);
		break;
	case PROTO_V_MSG:
		/* The relay has checked the body; the head is all we need. */
		if (fr->arg[4].len < b64 ||
		    proto_b64_decode(
		        fr->arg[4].p, b64, head, sizeof head, &len) != 0)
			break;
		if (p->b->room != NULL) {
			/* A room message: confirmed by position (RPOS). */
			if (fr->nargs >= 6)
				tg_pos(p, fr->arg[5]);
			bench_received(p, head, len);
			break;
		}
		bench_received(p, head, len);
		o = put(p->b->buf, "RCPT|", 5);
		o = put(o, p->name, strlen(p->name));
		*o++ = '|';
		o = put(o, fr->arg[0].p, fr->arg[0].len);
		*o++ = '|';
		o = put(o, fr->arg[3].p, fr->arg[3].len);
		o = put(o, "|delivered\n", 11);
		bench_write(p, p->b->buf, (size_t)(o - p->b->buf));
		break;
	case PROTO_V_ACK:
		if (p->b->room != NULL)
			bench_acked(p);
		else
			bench_settled(p, id_seq(fr->arg[0]));
		break;
	case PROTO_V_RINFO:
		if (p->b->room != NULL && !p->joined)
			bench_joined(p);
		break;
	case PROTO_V_REVENT:
		if (p->b->room != NULL && fr->nargs >= 2)
			tg_pos(p, fr->arg[1]);
		break;
	case PROTO_V_RCPT:
		if (p->sends)
			bench_settled(p, id_seq(fr->arg[2]));
		break;
	case PROTO_V_FOFFER:
	case PROTO_V_FACCEPT:
	case PROTO_V_FDATA:
	case PROTO_V_FACK:
	case PROTO_V_FDONE:
	case PROTO_V_FREJECT:
	case PROTO_V_FCANCEL:
		bench_file_frame(p, fr);
		break;
	case PROTO_V_ERR:
	case PROTO_V_BYE:
		bench_fail(p, fr->raw, fr->hdrlen - 1);
		break;
	default:
		break;
	}
}

static size_t
tg_input(struct peer *p, const char *in, size_t len)
{
	struct proto_frame fr;
	struct proto_error err;
	size_t used, done = 0;
	enum proto_status st;

	/* An idle session reads presence lines it has no use for. */
	if (p->drain)
		return len;
	while (done < len && !p->drain) {
		st = proto_decoder_next(
		    &p->dec, in + done, len - done, &fr, &err, &used);
		if (st == PROTO_NEED_MORE)
			break;
		if (st == PROTO_FRAME)
			tg_frame(p, &fr);
		else if (err.fatal) {
			fprintf(stderr, "%s: %s\n", p->name, err.text);
			exit(1);
		}
		done += used;
	}
	if (p->b->room != NULL)
		tg_flush(p);
	return p->drain ? len : done;
}

static void
tg_ping(struct peer *p)
{
	bench_write(p, "PING|b\n", 7);
}

const struct bench_wire bench_wire_termgram = {
    .name = "termgram",
    .login = tg_login,
    .send = tg_send,
    .input = tg_input,
    .ping = tg_ping,
    .join = tg_join,
    .acks = true,
};

/* --- IRC ---------------------------------------------------------------- */

enum { IRC_REGISTERING, IRC_OPERING, IRC_MODING, IRC_READY };

static void
irc_login(struct peer *p)
{
	size_t n;

	n = (size_t)snprintf(p->b->buf, sizeof p->b->buf,
	    "NICK %s\r\nUSER %s 0 * :bench\r\n", p->name, p->name);
	bench_write(p, p->b->buf, n);
}

static int
irc_send(struct peer *p, unsigned long seq, const char *body, size_t len)
{
	size_t n;

	(void)seq;
	n = (size_t)snprintf(p->b->buf, sizeof p->b->buf,
	    "PRIVMSG %s :%.*s\r\n", dest(p), (int)len, body);
	return bench_write(p, p->b->buf, n);
}

/* The numeric of a server reply ":server 001 nick ...", or -1. */
static int
irc_numeric(const char *l, size_t n)
{
	const char *sp = memchr(l, ' ', n);

	if (l[0] != ':' || sp == NULL || (size_t)(sp - l) + 4 >= n ||
	    sp[4] != ' ')
		return -1;
	if (sp[1] < '0' || sp[1] > '9' || sp[2] < '0' || sp[2] > '9' ||
	    sp[3] < '0' || sp[3] > '9')
		return -1;
	return (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
}

static void
irc_line(struct peer *p, const char *l, size_t n)
{
	const char *cmd, *text;
	int num;
	size_t k;

	if (n >= 5 && memcmp(l, "PING ", 5) == 0) {
		k = (size_t)snprintf(p->b->buf, sizeof p->b->buf,
		    "PONG %.*s\r\n", (int)(n - 5), l + 5);
		bench_write(p, p->b->buf, k);
		return;
	}
	if (n >= 6 && memcmp(l, "ERROR ", 6) == 0) {
		bench_fail(p, l, n);
		return;
	}
	cmd = memchr(l, ' ', n);
	if (cmd != NULL && (size_t)(cmd - l) + 9 < n &&
	    memcmp(cmd, " PRIVMSG ", 9) == 0) {
		text = memchr(cmd + 9, ':', n - (size_t)(cmd + 9 - l));
		if (text != NULL)
			bench_received(p, text + 1, n - (size_t)(text + 1 - l));
		return;
	}
	num = irc_numeric(l, n);
	if (num == 366 && p->b->room != NULL && !p->joined) {
		bench_joined(p); /* the end of the channel's NAMES */
		return;
	}
	if (p->state == IRC_REGISTERING && num == 1) {
		/* ngIRCd makes OPER wait: let the next client connect. */
		bench_logged_in(p);
		bench_registered(p);
		if (p->b->oper == NULL) {
			p->state = IRC_READY;
			bench_ready(p);
			return;
		}
		k = (size_t)snprintf(p->b->buf, sizeof p->b->buf,
		    "OPER %.*s %s\r\n", (int)strcspn(p->b->oper, ":"),
		    p->b->oper,
		    p->b->oper + strcspn(p->b->oper, ":") +
		        (strchr(p->b->oper, ':') != NULL));
		bench_write(p, p->b->buf, k);
		p->state = IRC_OPERING;
	} else if (p->state == IRC_OPERING && num == 381) {
		/* ngIRCd: user mode F lifts its flood throttling. */
		k = (size_t)snprintf(
		    p->b->buf, sizeof p->b->buf, "MODE %s +F\r\n", p->name);
		bench_write(p, p->b->buf, k);
		p->state = IRC_MODING;
	} else if (p->state == IRC_MODING && cmd != NULL &&
	    (size_t)(cmd - l) + 6 < n && memcmp(cmd, " MODE ", 6) == 0) {
		p->state = IRC_READY;
		bench_ready(p);
	} else if (num >= 400 && num < 600 && num != 422)
		bench_fail(p, l, n);
}

static size_t
irc_input(struct peer *p, const char *in, size_t len)
{
	const char *nl;
	size_t done = 0, n;

	while (
	    done < len && (nl = memchr(in + done, '\n', len - done)) != NULL) {
		n = (size_t)(nl - (in + done));
		if (n > 0 && in[done + n - 1] == '\r')
			n--;
		if (n > 0)
			irc_line(p, in + done, n);
		done = (size_t)(nl - in) + 1;
	}
	return done;
}

static void
irc_join(struct peer *p, bool create)
{
	size_t n;

	(void)create; /* the first JOIN makes the channel */
	n = (size_t)snprintf(
	    p->b->buf, sizeof p->b->buf, "JOIN %s\r\n", p->b->room);
	bench_write(p, p->b->buf, n);
}

static void
irc_ping(struct peer *p)
{
	bench_write(p, "PING :b\r\n", 9);
}

const struct bench_wire bench_wire_irc = {
    .name = "irc",
    .login = irc_login,
    .send = irc_send,
    .input = irc_input,
    .ping = irc_ping,
    .join = irc_join,
    .acks = false,
};

/* --- MQTT 3.1.1 -------------------------------------------------------- */

enum { MQTT_CONNECTING, MQTT_SUBSCRIBING, MQTT_READY, MQTT_JOINING };

/* Fixed header: type and flags, then the remaining length (varint). */
static size_t
mqtt_header(unsigned char *out, unsigned type, size_t rem)
{
	size_t n = 0;

	out[n++] = (unsigned char)type;
	do {
		out[n] = (unsigned char)(rem & 0x7f);
		rem >>= 7;
		if (rem > 0)
			out[n] |= 0x80;
		n++;
	} while (rem > 0);
	return n;
}

static size_t
mqtt_str(unsigned char *out, const char *s, size_t len)
{
	out[0] = (unsigned char)(len >> 8);
	out[1] = (unsigned char)len;
	memcpy(out + 2, s, len);
	return len + 2;
}

static void
mqtt_topic(const char *name, char *out, size_t cap)
{
	/* A room "#b1" is the topic "r/b1". */
	if (name[0] == '#')
		snprintf(out, cap, "r/%s", name + 1);
	else
		snprintf(out, cap, "t/%s", name);
}

static void
mqtt_login(struct peer *p)
{
	unsigned char vh[12 + 2 + PROTO_MAX_NAME], hdr[8];
	size_t n = 0, h;

	n += mqtt_str(vh, "MQTT", 4);
	vh[n++] = 4; /* 3.1.1 */
	/* Clean session, but for a member of a room with a backlog
	 * (persistent session: QoS 1 messages queue while it is away). */
	vh[n++] = p->b->persist && p->member ? 0x00 : 0x02;
	vh[n++] = 0;
	vh[n++] = 120; /* keep alive, seconds */
	n += mqtt_str(vh + n, p->name, strlen(p->name));
	h = mqtt_header(hdr, 0x10, n);
	bench_write2(p, hdr, h, vh, n);
}

static void
mqtt_subscribe_to(struct peer *p, const char *to)
{
	unsigned char pkt[64 + PROTO_MAX_NAME];
	char topic[PROTO_MAX_NAME + 3];
	size_t n, h;

	mqtt_topic(to, topic, sizeof topic);
	n = 2 + 2 + strlen(topic) + 1;
	h = mqtt_header(pkt, 0x82, n);
	pkt[h++] = 0;
	pkt[h++] = 1; /* packet id */
	h += mqtt_str(pkt + h, topic, strlen(topic));
	pkt[h++] = 1; /* QoS 1 */
	bench_write(p, pkt, h);
}

static void
mqtt_subscribe(struct peer *p)
{
	mqtt_subscribe_to(p, p->name);
}

static void
mqtt_join(struct peer *p, bool create)
{
	if (create) {
		/* The sender only publishes (MQTT 3.1.1 has no "no local":
		 * subscribed, it would get its own messages back). */
		bench_joined(p);
		return;
	}
	p->state = MQTT_JOINING;
	mqtt_subscribe_to(p, p->b->room);
}

static void
mqtt_leave(struct peer *p)
{
	static const unsigned char bye[2] = {0xe0, 0}; /* DISCONNECT */

	bench_write(p, bye, 2);
}

static int
mqtt_send(struct peer *p, unsigned long seq, const char *body, size_t len)
{
	unsigned char *pkt = (unsigned char *)p->b->buf;
	char topic[PROTO_MAX_NAME + 3];
	size_t tl, h;

	(void)seq;
	mqtt_topic(dest(p), topic, sizeof topic);
	tl = strlen(topic);
	if (++p->pid > 0xffff)
		p->pid = 1;
	h = mqtt_header(pkt, 0x32, 2 + tl + 2 + len);
	h += mqtt_str(pkt + h, topic, tl);
	pkt[h++] = (unsigned char)(p->pid >> 8);
	pkt[h++] = (unsigned char)p->pid;
	memcpy(pkt + h, body, len);
	return bench_write(p, pkt, h + len);
}

static void
mqtt_packet(struct peer *p, unsigned type, const unsigned char *v, size_t n)
{
	unsigned char ack[4];
	size_t tl, off;
	unsigned qos;

	switch (type >> 4) {
	case 2: /* CONNACK */
		if (n < 2 || v[1] != 0) {
			bench_fail(p, "CONNACK refused", 15);
			return;
		}
		bench_logged_in(p);
		p->state = MQTT_SUBSCRIBING;
		mqtt_subscribe(p);
		break;
	case 9: /* SUBACK */
		if (n < 3 || v[2] == 0x80) {
			bench_fail(p, "SUBACK refused", 14);
			return;
		}
		if (p->state == MQTT_JOINING) {
			p->state = MQTT_READY;
			bench_joined(p);
			break;
		}
		p->state = MQTT_READY;
		bench_ready(p);
		break;
	case 3: /* PUBLISH */
		qos = (type >> 1) & 3;
		if (n < 2)
			return;
		tl = (size_t)v[0] << 8 | v[1];
		off = 2 + tl + (qos > 0 ? 2 : 0);
		if (off > n)
			return;
		bench_received(p, (const char *)v + off, n - off);
		if (qos > 0) {
			ack[0] = 0x40;
			ack[1] = 2;
			ack[2] = v[2 + tl];
			ack[3] = v[3 + tl];
			bench_write(p, ack, 4);
		}
		break;
	case 4: /* PUBACK */
		if (p->b->room != NULL)
			bench_acked(p);
		else
			bench_settled(p, BENCH_NO_SEQ);
		break;
	default:
		break;
	}
}

static size_t
mqtt_input(struct peer *p, const char *in, size_t len)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t done = 0, rem, i, shift;

	for (;;) {
		if (len - done < 2)
			break;
		rem = 0;
		shift = 0;
		for (i = 1; i <= 4 && done + i < len; i++) {
			rem |= (size_t)(u[done + i] & 0x7f) << shift;
			shift += 7;
			if ((u[done + i] & 0x80) == 0)
				break;
		}
		if (done + i >= len || (u[done + i] & 0x80) != 0)
			break; /* the length is not all here yet */
		if (len - done - i - 1 < rem)
			break;
		mqtt_packet(p, u[done], u + done + i + 1, rem);
		done += i + 1 + rem;
	}
	return done;
}

static void
mqtt_ping(struct peer *p)
{
	static const unsigned char req[2] = {0xc0, 0};

	bench_write(p, req, 2);
}

const struct bench_wire bench_wire_mqtt = {
    .name = "mqtt",
    .login = mqtt_login,
    .send = mqtt_send,
    .input = mqtt_input,
    .ping = mqtt_ping,
    .join = mqtt_join,
    .leave = mqtt_leave,
    .acks = true,
};
