/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "proto/b64.h"
#include "proto/build.h"
#include "proto/schema.h"

/* Start writing frames into the cap bytes at buf. */
void
proto_writer_init(struct proto_writer *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->bad = false;
}

static void
proto_writer_put(struct proto_writer *w, const char *s, size_t n)
{
	if (w->bad || w->cap - w->len < n) {
		w->bad = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* Begin a frame with its verb; the writer is emptied first. */
void
proto_writer_begin(struct proto_writer *w, enum proto_verb v)
{
	const char *name = proto_verb_name(v);

	w->len = 0;
	w->bad = v <= PROTO_V_NONE || v >= PROTO_V_COUNT;
	proto_writer_put(w, name, strlen(name));
}

/* Append a field as it is; only printable ASCII other than '|' may pass. */
void
proto_writer_field(struct proto_writer *w, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '|') {
			w->bad = true;
			return;
		}
	}
	proto_writer_put(w, "|", 1);
	proto_writer_put(w, s, n);
}

/* Append a NUL-terminated field. */
void
proto_writer_str(struct proto_writer *w, const char *s)
{
	proto_writer_field(w, s, strlen(s));
}

/* Append a number in the wire's decimal form. */
void
proto_writer_u64(struct proto_writer *w, uint64_t v)
{
	char tmp[PROTO_MAX_DIGITS + 1];
	int n;

	n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
	proto_writer_put(w, "|", 1);
	proto_writer_put(w, tmp, (size_t)n);
}

/* Append n bytes as base64, encoded in place. */
void
proto_writer_b64(struct proto_writer *w, const void *p, size_t n)
{
	size_t need = PROTO_B64_ENCODED_LEN(n);

	proto_writer_put(w, "|", 1);
	if (w->bad || w->cap - w->len < need) {
		w->bad = true;
		return;
	}
	w->len += proto_b64_encode(p, n, w->buf + w->len);
}

/* End the line with LF; -1 if any part was refused or did not fit. */
int
proto_writer_end(struct proto_writer *w, size_t *outlen)
{
	proto_writer_put(w, "\n", 1);
	if (w->bad)
		return -1;
	if (outlen != NULL)
		*outlen = w->len;
	return 0;
}

/* A frame whose fields are all plain words: VERB|f[0]|...|f[n-1]. */
static int
proto_build_words(char *buf, size_t cap, size_t *len, enum proto_verb v,
    const char *const *f, size_t n)
{
	struct proto_writer w;
	size_t i;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, v);
	for (i = 0; i < n; i++)
		proto_writer_str(&w, f[i]);
	return proto_writer_end(&w, len);
}

/* A frame of one number: VERB|v. */
static int
proto_build_number(
    char *buf, size_t cap, size_t *len, enum proto_verb verb, uint64_t v)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, verb);
	proto_writer_u64(&w, v);
	return proto_writer_end(&w, len);
}

/* MSG|from|to|ts|id|body */
int
proto_build_msg(char *buf, size_t cap, size_t *len, const char *from,
    const char *to, uint64_t ts, const char *id, const char *body,
    size_t bodylen)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_MSG);
	proto_writer_str(&w, from);
	proto_writer_str(&w, to);
	proto_writer_u64(&w, ts);
	proto_writer_str(&w, id);
	proto_writer_b64(&w, body, bodylen);
	return proto_writer_end(&w, len);
}

/* RCPT|from|to|id|state */
int
proto_build_rcpt(char *buf, size_t cap, size_t *len, const char *from,
    const char *to, const char *id, const char *state)
{
	const char *f[] = {from, to, id, state};

	return proto_build_words(buf, cap, len, PROTO_V_RCPT, f, 4);
}

/* ACK|id|stored */
int
proto_build_ack(char *buf, size_t cap, size_t *len, const char *id)
{
	const char *f[] = {id, "stored"};

	return proto_build_words(buf, cap, len, PROTO_V_ACK, f, 2);
}

/*
 * ERR|code|ref|text: ref is the id, xfer or name concerned ("-" if none),
 * text is human text, sent as base64. Only codes of section 7 are sent.
 */
int
proto_build_err(char *buf, size_t cap, size_t *len, enum proto_err code,
    const char *ref, size_t reflen, const char *text)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_ERR);
	w.bad = w.bad || !proto_err_is_wire(code);
	proto_writer_str(&w, proto_err_name(code));
	if (ref == NULL || reflen == 0)
		proto_writer_field(&w, "-", 1);
	else
		proto_writer_field(&w, ref, reflen);
	proto_writer_b64(&w, text, strlen(text));
	return proto_writer_end(&w, len);
}

/* Append a word field (a token, a reason): 1-128 printable characters. */
static void
proto_writer_word(struct proto_writer *w, const char *s, size_t n)
{
	if (n < 1 || n > PROTO_MAX_WORD)
		w->bad = true;
	proto_writer_field(w, s, n);
}

/* A frame of the verb alone: SYNCED, or STATS asking for the figures. */
int
proto_build_bare(char *buf, size_t cap, size_t *len, enum proto_verb v)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, v);
	if (!w.bad && proto_schemas[v].shape[0].nargs != 0)
		w.bad = true;
	return proto_writer_end(&w, len);
}

/* BYE|reason: "quit", "replaced", "too-slow"... */
int
proto_build_bye(char *buf, size_t cap, size_t *len, const char *reason)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_BYE);
	proto_writer_word(&w, reason, strlen(reason));
	return proto_writer_end(&w, len);
}

/*
 * BYE|reason|addr: the address (ip:port, IPv6 in brackets) of whatever
 * made the relay say it, such as the session that replaced this one.
 */
int
proto_build_bye_addr(
    char *buf, size_t cap, size_t *len, const char *reason, const char *addr)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_BYE);
	proto_writer_word(&w, reason, strlen(reason));
	proto_writer_str(&w, addr);
	return proto_writer_end(&w, len);
}

/*
 * DISCOVER|1|pad: padded with '-' so that the datagram (the LF
 * included) is size bytes, and a relay may answer it with as many.
 * A size too small for the shortest padding is refused.
 */
int
proto_build_discover(char *buf, size_t cap, size_t *len, size_t size)
{
	struct proto_writer w;
	char pad[PROTO_MAX_DATAGRAM];
	size_t npad;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_DISCOVER);
	proto_writer_u64(&w, PROTO_VERSION);
	/* What is left after the '|' before the padding and the LF. */
	npad = size > w.len + 2 ? size - w.len - 2 : 0;
	if (npad == 0 || npad > sizeof pad)
		w.bad = true;
	else {
		memset(pad, '-', npad);
		proto_writer_field(&w, pad, npad);
	}
	return proto_writer_end(&w, len);
}

/* PING|token, the token being a number (the sender's clock, say). */
int
proto_build_ping(char *buf, size_t cap, size_t *len, uint64_t token)
{
	return proto_build_number(buf, cap, len, PROTO_V_PING, token);
}

/* PONG|token: the answer to a decoded PING, with the PING's token. */
int
proto_build_pong(
    char *buf, size_t cap, size_t *len, const struct proto_frame *ping)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_PONG);
	if (ping->verb != PROTO_V_PING || ping->nargs != 1)
		w.bad = true;
	else
		proto_writer_word(&w, ping->arg[0].p, ping->arg[0].len);
	return proto_writer_end(&w, len);
}

/* ALIVE|name|session-token: light presence, a client's datagram. */
int
proto_build_alive(
    char *buf, size_t cap, size_t *len, const char *name, const char *token)
{
	const char *f[] = {name, token};

	return proto_build_words(buf, cap, len, PROTO_V_ALIVE, f, 2);
}

/* ALIVE|pending: the relay's answer, frames waiting in its queue. */
int
proto_build_alive_reply(char *buf, size_t cap, size_t *len, uint64_t pending)
{
	return proto_build_number(buf, cap, len, PROTO_V_ALIVE, pending);
}

/* TYPING|from|to|on or off */
int
proto_build_typing(char *buf, size_t cap, size_t *len, const char *from,
    const char *to, bool on)
{
	const char *f[] = {from, to, on ? "on" : "off"};

	return proto_build_words(buf, cap, len, PROTO_V_TYPING, f, 3);
}

/* LOOKUP|name: ask the relay where a peer takes direct connections. */
int
proto_build_lookup(char *buf, size_t cap, size_t *len, const char *name)
{
	const char *f[] = {name};

	return proto_build_words(buf, cap, len, PROTO_V_LOOKUP, f, 1);
}

/* PHELLO|from|to|ticket: the dialer's first frame on a direct connection. */
int
proto_build_phello(char *buf, size_t cap, size_t *len, const char *from,
    const char *to, const char *ticket)
{
	const char *f[] = {from, to, ticket};

	return proto_build_words(buf, cap, len, PROTO_V_PHELLO, f, 3);
}

/* VERIFY|name|ticket: ask the relay whether name's ticket is real. */
int
proto_build_verify(
    char *buf, size_t cap, size_t *len, const char *name, const char *ticket)
{
	const char *f[] = {name, ticket};

	return proto_build_words(buf, cap, len, PROTO_V_VERIFY, f, 2);
}

/* PWELCOME|from|to: the answering peer accepts the direct connection. */
int
proto_build_pwelcome(
    char *buf, size_t cap, size_t *len, const char *from, const char *to)
{
	const char *f[] = {from, to};

	return proto_build_words(buf, cap, len, PROTO_V_PWELCOME, f, 2);
}

/* Append n bytes as lower-case hexadecimal digits. */
void
proto_writer_hex(struct proto_writer *w, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[2];
	size_t i;

	proto_writer_put(w, "|", 1);
	for (i = 0; i < n; i++) {
		tmp[0] = digits[p[i] >> 4];
		tmp[1] = digits[p[i] & 0x0f];
		proto_writer_put(w, tmp, 2);
	}
}

/*
 * PEER|name|ip|port|ticket, and over TLS |fingerprint: the target's
 * device fingerprint (NULL: the version-1 frame).
 */
int
proto_build_peer(char *buf, size_t cap, size_t *len, const char *name,
    const char *ip, unsigned port, const char *ticket, const unsigned char *fp)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_PEER);
	proto_writer_str(&w, name);
	proto_writer_str(&w, ip);
	proto_writer_u64(&w, port);
	proto_writer_str(&w, ticket);
	if (fp != NULL)
		proto_writer_hex(&w, fp, PROTO_FP_LEN);
	return proto_writer_end(&w, len);
}

/*
 * VERIFIED|name|ticket|yes or no; a yes over TLS carries the asker's
 * fingerprint (fp NULL: the version-1 frame; a no never has one).
 */
int
proto_build_verified(char *buf, size_t cap, size_t *len,
    struct proto_slice name, struct proto_slice ticket, bool yes,
    const unsigned char *fp)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_VERIFIED);
	proto_writer_field(&w, name.p, name.len);
	proto_writer_field(&w, ticket.p, ticket.len);
	proto_writer_str(&w, yes ? "yes" : "no");
	if (yes && fp != NULL)
		proto_writer_hex(&w, fp, PROTO_FP_LEN);
	return proto_writer_end(&w, len);
}

/* RELAY|name|port, and over TLS |fingerprint (fp NULL: version 1). */
int
proto_build_relay(char *buf, size_t cap, size_t *len, const char *name,
    unsigned port, const unsigned char *fp)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_RELAY);
	proto_writer_b64(&w, name, strlen(name));
	proto_writer_u64(&w, port);
	if (fp != NULL)
		proto_writer_hex(&w, fp, PROTO_FP_LEN);
	return proto_writer_end(&w, len);
}

/*
 * The bytes a client's authenticated ALIVE is signed over:
 * ALIVE|name|counter|time, no LF. 0, or -1 if it does not fit.
 */
int
proto_alive_signed(char *buf, size_t cap, size_t *len, const char *name,
    uint64_t counter, uint64_t time)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_ALIVE);
	proto_writer_str(&w, name);
	proto_writer_u64(&w, counter);
	proto_writer_u64(&w, time);
	*len = w.len;
	return w.bad ? -1 : 0;
}

/* The bytes the relay's answer is signed over: ALIVE|pending|counter. */
int
proto_alive_reply_signed(
    char *buf, size_t cap, size_t *len, uint64_t pending, uint64_t counter)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_ALIVE);
	proto_writer_u64(&w, pending);
	proto_writer_u64(&w, counter);
	*len = w.len;
	return w.bad ? -1 : 0;
}

/* Close signed bytes (from proto_alive_*signed) into a frame: |mac, LF. */
int
proto_build_signed(char *buf, size_t cap, size_t *len, const unsigned char *mac)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	w.len = *len <= cap ? *len : cap;
	w.bad = *len > cap;
	proto_writer_hex(&w, mac, PROTO_MAC_LEN);
	return proto_writer_end(&w, len);
}

/*
 * The bytes of a decoded frame its last field signs: everything before
 * the '|' in front of that field. An empty slice for a frame without
 * fields.
 */
struct proto_slice
proto_frame_signed(const struct proto_frame *fr)
{
	const struct proto_slice *last;

	if (fr->nargs == 0)
		return (struct proto_slice){fr->raw, 0};
	last = &fr->arg[fr->nargs - 1];
	return (struct proto_slice){fr->raw, (size_t)(last->p - fr->raw) - 1};
}

/* The value of one hexadecimal digit, either case; -1 if it is not one. */
static int
proto_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a K_HEX64 field into 32 bytes; 0, or -1 if it is not one. */
int
proto_slice_hex32(struct proto_slice s, unsigned char *out)
{
	size_t i;
	int hi, lo;

	if (s.len != 2 * PROTO_FP_LEN)
		return -1;
	for (i = 0; i < PROTO_FP_LEN; i++) {
		hi = proto_hex_digit(s.p[2 * i]);
		lo = proto_hex_digit(s.p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * DEVICES|op, or DEVICES|add|fp and DEVICES|remove|fp: a request about
 * the device pins of the sender's name (fp NULL for pin, unpin, list).
 */
int
proto_build_devices(
    char *buf, size_t cap, size_t *len, const char *op, const unsigned char *fp)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_DEVICES);
	proto_writer_str(&w, op);
	if (fp != NULL)
		proto_writer_hex(&w, fp, PROTO_FP_LEN);
	return proto_writer_end(&w, len);
}

/* DEVICES|count: how many devices the name has pinned, ending an answer. */
int
proto_build_devices_count(char *buf, size_t cap, size_t *len, uint64_t n)
{
	return proto_build_number(buf, cap, len, PROTO_V_DEVICES, n);
}

/* DEVICE|fp|added: one pinned device in the answer to DEVICES|list. */
int
proto_build_device(
    char *buf, size_t cap, size_t *len, const unsigned char *fp, uint64_t added)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_DEVICE);
	proto_writer_hex(&w, fp, PROTO_FP_LEN);
	proto_writer_u64(&w, added);
	return proto_writer_end(&w, len);
}

/* ACTIVE|device|added|last-seen|online|offline|behind: one device. */
int
proto_build_active(char *buf, size_t cap, size_t *len, const char *device,
    uint64_t added, uint64_t seen, bool online, uint64_t behind)
{
	struct proto_writer w;

	proto_writer_init(&w, buf, cap);
	proto_writer_begin(&w, PROTO_V_ACTIVE);
	proto_writer_str(&w, device);
	proto_writer_u64(&w, added);
	proto_writer_u64(&w, seen);
	proto_writer_str(&w, online ? "online" : "offline");
	proto_writer_u64(&w, behind);
	return proto_writer_end(&w, len);
}

/* DEVCOUNT|n: how many devices hold a cursor on the user's inbox. */
int
proto_build_devcount(char *buf, size_t cap, size_t *len, uint64_t n)
{
	return proto_build_number(buf, cap, len, PROTO_V_DEVCOUNT, n);
}
