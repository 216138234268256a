/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <b64/cdecode.h>

#include "proto/b64.h"
#include "proto/frame.h"
#include "proto/schema.h"
#include "proto/utf8.h"

/* Write a reason into err; the code and fatality are set by the caller. */
static void __attribute__((format(printf, 4, 5)))
proto_error_set(struct proto_error *err, enum proto_err code, bool fatal,
    const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->fatal = fatal;
	err->ref.p = "-";
	err->ref.len = 1;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof err->text, fmt, ap);
	va_end(ap);
}

/* Which bytes names (bit 1) and ids (bit 2) may hold. */
static const unsigned char proto_chars[256] = {
    ['-'] = 3,
    ['.'] = 1,
    ['_'] = 3,
    ['0'] = 3,
    ['1'] = 3,
    ['2'] = 3,
    ['3'] = 3,
    ['4'] = 3,
    ['5'] = 3,
    ['6'] = 3,
    ['7'] = 3,
    ['8'] = 3,
    ['9'] = 3,
    ['A'] = 3,
    ['B'] = 3,
    ['C'] = 3,
    ['D'] = 3,
    ['E'] = 3,
    ['F'] = 3,
    ['G'] = 3,
    ['H'] = 3,
    ['I'] = 3,
    ['J'] = 3,
    ['K'] = 3,
    ['L'] = 3,
    ['M'] = 3,
    ['N'] = 3,
    ['O'] = 3,
    ['P'] = 3,
    ['Q'] = 3,
    ['R'] = 3,
    ['S'] = 3,
    ['T'] = 3,
    ['U'] = 3,
    ['V'] = 3,
    ['W'] = 3,
    ['X'] = 3,
    ['Y'] = 3,
    ['Z'] = 3,
    ['a'] = 3,
    ['b'] = 3,
    ['c'] = 3,
    ['d'] = 3,
    ['e'] = 3,
    ['f'] = 3,
    ['g'] = 3,
    ['h'] = 3,
    ['i'] = 3,
    ['j'] = 3,
    ['k'] = 3,
    ['l'] = 3,
    ['m'] = 3,
    ['n'] = 3,
    ['o'] = 3,
    ['p'] = 3,
    ['q'] = 3,
    ['r'] = 3,
    ['s'] = 3,
    ['t'] = 3,
    ['u'] = 3,
    ['v'] = 3,
    ['w'] = 3,
    ['x'] = 3,
    ['y'] = 3,
    ['z'] = 3,
};

/* Whether s is a user name: 1-32 of A-Z a-z 0-9 _ . - */
bool
proto_is_name(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > PROTO_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if ((proto_chars[(unsigned char)s[i]] & 1) == 0)
			return false;
	}
	return true;
}

/* Whether s is a message id, transfer id, token or ticket. */
bool
proto_is_id(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > PROTO_MAX_ID)
		return false;
	for (i = 0; i < len; i++) {
		if ((proto_chars[(unsigned char)s[i]] & 2) == 0)
			return false;
	}
	return true;
}

/* Whether s is a room: '#' and a name. */
bool
proto_is_room(const char *s, size_t len)
{
	return len >= 2 && s[0] == '#' && proto_is_name(s + 1, len - 1);
}

/* Parse an unsigned decimal: no sign, no leading zeros, at most 64 bits. */
int
proto_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	unsigned d;

	if (len < 1 || len > PROTO_MAX_DIGITS)
		return -1;
	if (s[0] == '0' && len > 1)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The value of a field already checked as an int. */
uint64_t
proto_slice_u64(struct proto_slice s)
{
	uint64_t v = 0;

	if (proto_parse_u64(s.p, s.len, &v) != 0)
		return 0;
	return v;
}

/* Whether a slice holds exactly the NUL-terminated word w. */
bool
proto_slice_eq(struct proto_slice s, const char *w)
{
	return strlen(w) == s.len && memcmp(s.p, w, s.len) == 0;
}

/* Whether two user names are the same user (case-insensitive ASCII). */
bool
proto_name_eq(struct proto_slice a, struct proto_slice b)
{
	size_t i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++) {
		unsigned char x = (unsigned char)a.p[i];
		unsigned char y = (unsigned char)b.p[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Decode a field already checked as base64 text into out (cap bytes). */
int
proto_text_decode(struct proto_slice s, char *out, size_t cap, size_t *len)
{
	return proto_b64_decode(s.p, s.len, out, cap, len);
}

/*
 * Check that base64 decodes to valid UTF-8 without a buffer the size of the
 * text: decode in pieces and carry an unfinished sequence over.
 */
static bool
proto_b64_is_utf8(const char *s, size_t len)
{
	char buf[3072 + 4];
	base64_decodestate st;
	size_t carry = 0, piece, done = 0, n, ok;
	int got;

	base64_init_decodestate(&st);
	while (done < len) {
		piece = len - done;
		if (piece > 4096)
			piece = 4096;
		got =
		    base64_decode_block(s + done, (int)piece, buf + carry, &st);
		done += piece;
		n = carry + (size_t)got;
		/* Find the longest prefix that ends on a sequence boundary. */
		ok = n;
		if (done < len) {
			size_t back = 0;
			while (back < 3 && back < n &&
			    ((unsigned char)buf[n - 1 - back] & 0xc0) == 0x80)
				back++;
			if (back < n &&
			    ((unsigned char)buf[n - 1 - back] & 0xc0) == 0xc0)
				ok = n - 1 - back;
		}
		if (!proto_utf8_is_valid(buf, ok))
			return false;
		carry = n - ok;
		memmove(buf, buf + ok, carry);
	}
	return carry == 0;
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static bool
proto_is_ip(const char *s, size_t len)
{
	char tmp[64];
	unsigned char addr[16];

	if (len < 2 || len >= sizeof tmp)
		return false;
	if (s[0] == '[') {
		if (s[len - 1] != ']')
			return false;
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
		return inet_pton(AF_INET6, tmp, addr) == 1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET, tmp, addr) == 1;
}

/* Whether s is ip:port, the ip as K_IP (IPv6 in brackets). */
static bool
proto_is_addr(const char *s, size_t len)
{
	uint64_t port;
	size_t i = len;

	while (i > 0 && s[i - 1] != ':')
		i--;
	return i > 1 && proto_is_ip(s, i - 1) &&
	    proto_parse_u64(s + i, len - i, &port) == 0 && port <= 65535;
}

/* Whether s is a value of field f; base64 fields are checked apart. */
static bool
proto_field_ok(const struct proto_field *f, struct proto_slice s)
{
	uint64_t v;
	size_t i = 0;

	switch (f->kind) {
	case K_NAME:
		return proto_is_name(s.p, s.len);
	case K_ID:
		return proto_is_id(s.p, s.len);
	case K_INT:
	case K_PORT:
		return proto_parse_u64(s.p, s.len, &v) == 0 &&
		    (f->kind == K_INT || v <= 65535);
	case K_HEX64:
		while (i < s.len && is_hex((unsigned char)s.p[i]))
			i++;
		return s.len == 64 && i == 64;
	case K_WORD:
		while (i < s.len && s.p[i] >= 0x21 && s.p[i] <= 0x7e)
			i++;
		return s.len >= 1 && s.len <= PROTO_MAX_WORD && i == s.len;
	case K_CODE:
		while (i < s.len &&
		    ((s.p[i] >= 'A' && s.p[i] <= 'Z') || s.p[i] == '_'))
			i++;
		return s.len >= 1 && s.len <= 32 && i == s.len;
	case K_REF:
		return (s.len == 1 && s.p[0] == '-') ||
		    proto_is_name(s.p, s.len) || proto_is_id(s.p, s.len) ||
		    proto_is_room(s.p, s.len);
	case K_ROOM:
		return proto_is_room(s.p, s.len);
	case K_DEST:
		return proto_is_name(s.p, s.len) || proto_is_room(s.p, s.len);
	case K_TARGET:
		return (s.len == 1 && s.p[0] == '-') ||
		    proto_is_name(s.p, s.len);
	case K_ENUM:
		for (i = 0; f->words[i] != NULL; i++) {
			if (proto_slice_eq(s, f->words[i]))
				return true;
		}
		return false;
	case K_IP:
		return proto_is_ip(s.p, s.len);
	case K_ADDR:
		return proto_is_addr(s.p, s.len);
	case K_PAD:
		while (i < s.len && s.p[i] == '-')
			i++;
		return s.len >= 1 && i == s.len;
	case K_DEVICE:
		if (s.len == 1 && s.p[0] == '-')
			return true;
		if (s.len > 1 && s.p[0] == '@')
			return proto_is_id(s.p + 1, s.len - 1);
		while (i < s.len && is_hex((unsigned char)s.p[i]))
			i++;
		return s.len == 64 && i == 64;
	default:
		return false;
	}
}

/* Fill err with what field idx of sc should have held. */
static void
proto_field_refuse(const struct proto_schema *sc, const struct proto_field *f,
    size_t idx, struct proto_error *err)
{
	static const char *const want[] = {
	    [K_NAME] = "a name is 1-32 of A-Z a-z 0-9 _ . -",
	    [K_ID] = "an id is 1-64 of A-Z a-z 0-9 _ -",
	    [K_INT] = "expected an unsigned decimal without leading zeros, "
	              "64 bits",
	    [K_PORT] = "expected a port number 0-65535",
	    [K_HEX64] = "expected 64 hexadecimal digits",
	    [K_WORD] = "expected 1-128 printable characters",
	    [K_CODE] = "expected an error code",
	    [K_REF] = "expected an id, a name, a room or -",
	    [K_IP] = "expected an IPv4 or [IPv6] address",
	    [K_ADDR] = "expected an IPv4 or [IPv6] address, ':' and a port",
	    [K_PAD] = "expected one or more '-'",
	    [K_DEVICE] = "a device is -, 64 hexadecimal digits, or @ and an "
	                 "id",
	    [K_ROOM] = "a room is # and 1-32 of A-Z a-z 0-9 _ . -",
	    [K_DEST] = "expected a name or a room (# and a name)",
	    [K_TARGET] = "expected a name or -",
	};

	if (f->kind == K_ENUM)
		proto_error_set(err, PROTO_ERR_BAD_FIELD, false,
		    "%s field %zu (%s): expected %s%s%s", sc->name, idx + 1,
		    f->what, f->words[0], f->words[1] != NULL ? " or " : "",
		    f->words[1] != NULL ? f->words[1] : "");
	else if ((size_t)f->kind < sizeof want / sizeof want[0] &&
	    want[f->kind] != NULL)
		proto_error_set(err, PROTO_ERR_BAD_FIELD, false,
		    "%s field %zu (%s): %s", sc->name, idx + 1, f->what,
		    want[f->kind]);
	else
		proto_error_set(
		    err, PROTO_ERR_INTERNAL, false, "unknown field kind");
}

/* Check a base64 field: canonical, not over its size, UTF-8 if text. */
static int
proto_b64_field_check(const struct proto_schema *sc,
    const struct proto_field *f, size_t idx, struct proto_slice s,
    struct proto_error *err)
{
	size_t dec;
	bool ascii = false;

	if (proto_b64_check_ascii(s.p, s.len, &dec, &ascii) != 0) {
		proto_error_set(err, PROTO_ERR_BAD_BASE64, false,
		    "%s field %zu (%s): not canonical base64", sc->name,
		    idx + 1, f->what);
		return -1;
	}
	if (dec > f->max) {
		proto_error_set(err, PROTO_ERR_TOO_LONG, false,
		    "%s field %zu (%s): %zu bytes, at most %zu", sc->name,
		    idx + 1, f->what, dec, f->max);
		return -1;
	}
	if (f->kind == K_TEXT && !ascii && !proto_b64_is_utf8(s.p, s.len)) {
		proto_error_set(err, PROTO_ERR_BAD_UTF8, false,
		    "%s field %zu (%s): text is not valid UTF-8", sc->name,
		    idx + 1, f->what);
		return -1;
	}
	return 0;
}

/* Check one field against its kind; fill err and return -1 if it fails. */
static int
proto_field_check(const struct proto_schema *sc, const struct proto_field *f,
    size_t idx, struct proto_slice s, struct proto_error *err)
{
	if (f->kind == K_B64 || f->kind == K_TEXT)
		return proto_b64_field_check(sc, f, idx, s, err);
	if (proto_field_ok(f, s))
		return 0;
	proto_field_refuse(sc, f, idx, err);
	return -1;
}

/*
 * Cut a header line at its bars into f (verb first). Returns how many
 * fields there are; past PROTO_MAX_ARGS + 1 only the count is right.
 */
static size_t
proto_header_split(
    const char *line, size_t len, struct proto_slice f[PROTO_MAX_ARGS + 1])
{
	const char *p = line, *end = line + len, *bar;
	size_t n = 0, i;

	for (;;) {
		bar = memchr(p, '|', (size_t)(end - p));
		if (n == PROTO_MAX_ARGS + 1) {
			/* Too many fields: count them for the reason. */
			for (n = 0, i = 0; i < len; i++)
				n += line[i] == '|';
			return n + 1;
		}
		f[n].p = p;
		f[n].len = (size_t)((bar != NULL ? bar : end) - p);
		n++;
		if (bar == NULL)
			return n;
		p = bar + 1;
	}
}

/* Refuse an unknown verb, quoting it with what cannot be shown as '?'. */
static void
proto_verb_refuse(struct proto_slice verb, struct proto_error *err)
{
	size_t i;

	proto_error_set(err, PROTO_ERR_BAD_VERB, false, "unknown verb '%.*s'",
	    (int)(verb.len > 32 ? 32 : verb.len), verb.p);
	for (i = 0; err->text[i] != '\0'; i++) {
		if ((unsigned char)err->text[i] < 0x20 ||
		    (unsigned char)err->text[i] > 0x7e)
			err->text[i] = '?';
	}
}

/* Whether a field may stand as the ref of an ERR: an id or a room. */
static bool
proto_ref_ok(struct proto_slice s)
{
	return proto_is_id(s.p, s.len) || proto_is_room(s.p, s.len);
}

/* The shape of sc with nargs fields, or NULL. */
static const struct proto_shape *
proto_shape_find(const struct proto_schema *sc, size_t nargs)
{
	size_t k;

	/* Unused shape slots are zero; only the first may take no fields. */
	for (k = 0; k < PROTO_MAX_SHAPES; k++) {
		if (k > 0 && sc->shape[k].nargs == 0)
			break;
		if (sc->shape[k].nargs == nargs)
			return &sc->shape[k];
	}
	return NULL;
}

/*
 * Split a header line (without its LF) into verb and fields and check them
 * against the verb's schema. The frame is filled only on success.
 */
static enum proto_status
proto_header_parse(const char *line, size_t len, struct proto_frame *fr,
    struct proto_error *err)
{
	struct proto_slice f[PROTO_MAX_ARGS + 1];
	const struct proto_schema *sc;
	const struct proto_shape *sh;
	enum proto_verb verb;
	size_t n, i;

	if (len == 0) {
		proto_error_set(err, PROTO_ERR_BAD_FRAME, false, "empty line");
		return PROTO_ERROR;
	}
	n = proto_header_split(line, len, f);
	verb = proto_verb_from_name(f[0].p, f[0].len);
	if (verb == PROTO_V_NONE) {
		proto_verb_refuse(f[0], err);
		return PROTO_ERROR;
	}
	sc = &proto_schemas[verb];
	if ((sh = proto_shape_find(sc, n - 1)) == NULL) {
		proto_error_set(err, PROTO_ERR_BAD_FRAME, false,
		    "%s takes %zu fields after the verb, not %zu", sc->name,
		    sc->shape[0].nargs, n - 1);
		if (sc->ref >= 0 && (size_t)sc->ref + 1 < n &&
		    n <= PROTO_MAX_ARGS + 1 && proto_ref_ok(f[sc->ref + 1]))
			err->ref = f[sc->ref + 1];
		return PROTO_ERROR;
	}
	for (i = 0; i < sh->nargs; i++) {
		if (proto_field_check(sc, &sh->f[i], i, f[i + 1], err) != 0) {
			if (sc->ref >= 0 && (size_t)sc->ref != i &&
			    proto_ref_ok(f[sc->ref + 1]))
				err->ref = f[sc->ref + 1];
			return PROTO_ERROR;
		}
	}

	fr->verb = verb;
	fr->nargs = n - 1;
	for (i = 0; i < n - 1; i++)
		fr->arg[i] = f[i + 1];
	for (; i < PROTO_MAX_ARGS; i++) {
		fr->arg[i].p = line + len;
		fr->arg[i].len = 0;
	}
	fr->payload = NULL;
	fr->payload_len = 0;
	return PROTO_FRAME;
}

/* Parse one header line (trailing CR LF optional), as a UDP datagram is. */
enum proto_status
proto_frame_parse(const char *line, size_t len, struct proto_frame *fr,
    struct proto_error *err)
{
	size_t n = len;
	struct proto_frame tmp;

	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (memchr(line, '\n', n) != NULL) {
		proto_error_set(
		    err, PROTO_ERR_BAD_FRAME, false, "more than one line");
		return PROTO_ERROR;
	}
	if (proto_header_parse(line, n, &tmp, err) != PROTO_FRAME)
		return PROTO_ERROR;
	if (tmp.verb == PROTO_V_FDATA) {
		proto_error_set(err, PROTO_ERR_BAD_FRAME, false,
		    "FDATA needs a stream, not a datagram");
		return PROTO_ERROR;
	}
	tmp.raw = line;
	tmp.rawlen = len;
	tmp.hdrlen = len;
	*fr = tmp;
	return PROTO_FRAME;
}

/* Start decoding a stream whose header lines are at most max_frame bytes. */
void
proto_decoder_init(struct proto_decoder *d, size_t max_frame)
{
	d->max_frame = max_frame;
	d->scanned = 0;
}

/*
 * Find the length an FDATA header announces. Its payload must be skipped
 * even when another field is bad, so the length is read before the rest.
 * Returns -1 (and fills err as fatal) when it cannot be trusted.
 */
static int
proto_fdata_len(
    const char *line, size_t len, size_t *out, struct proto_error *err)
{
	const char *p = line + len;
	uint64_t v;
	size_t bars = 0, i;

	for (i = 0; i < len; i++) {
		if (line[i] == '|')
			bars++;
	}
	if (bars != 5) {
		proto_error_set(err, PROTO_ERR_BAD_FRAME, true,
		    "FDATA takes 5 fields after the verb, not %zu", bars);
		return -1;
	}
	while (p > line && p[-1] != '|')
		p--;
	if (proto_parse_u64(p, (size_t)(line + len - p), &v) != 0) {
		proto_error_set(err, PROTO_ERR_BAD_FIELD, true,
		    "FDATA field 5 (len): expected an unsigned decimal");
		return -1;
	}
	if (v > PROTO_MAX_PAYLOAD) {
		proto_error_set(err, PROTO_ERR_TOO_LONG, true,
		    "FDATA payload of %llu bytes, at most %d",
		    (unsigned long long)v, PROTO_MAX_PAYLOAD);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

/*
 * Take the next frame from the len bytes at buf, which begin where the
 * previous frame ended. PROTO_NEED_MORE: no complete frame yet, feed more
 * and call again with the same start. PROTO_FRAME or PROTO_ERROR: *used
 * bytes are done with (a refused frame is skipped whole); on a fatal error
 * the stream cannot go on.
 */
enum proto_status
proto_decoder_next(struct proto_decoder *d, const char *buf, size_t len,
    struct proto_frame *fr, struct proto_error *err, size_t *used)
{
	const char *lf;
	size_t hdr, line, plen = 0, scan;
	enum proto_status st;

	*used = 0;
	scan = d->scanned < len ? d->scanned : len;
	lf = memchr(buf + scan, '\n', len - scan);
	if (lf == NULL) {
		d->scanned = len;
		if (len >= d->max_frame) {
			proto_error_set(err, PROTO_ERR_TOO_LONG, true,
			    "header line longer than %zu bytes", d->max_frame);
			d->scanned = 0;
			return PROTO_ERROR;
		}
		return PROTO_NEED_MORE;
	}
	hdr = (size_t)(lf - buf) + 1;
	if (hdr > d->max_frame) {
		proto_error_set(err, PROTO_ERR_TOO_LONG, true,
		    "header line of %zu bytes, longer than %zu", hdr,
		    d->max_frame);
		d->scanned = 0;
		return PROTO_ERROR;
	}
	line = hdr - 1;
	if (line > 0 && buf[line - 1] == '\r')
		line--;

	if (line >= 6 && memcmp(buf, "FDATA|", 6) == 0) {
		if (proto_fdata_len(buf, line, &plen, err) != 0) {
			d->scanned = 0;
			return PROTO_ERROR;
		}
		if (len - hdr < plen) {
			d->scanned = hdr - 1;
			return PROTO_NEED_MORE;
		}
	}
	d->scanned = 0;
	*used = hdr + plen;
	st = proto_header_parse(buf, line, fr, err);
	if (st != PROTO_FRAME)
		return st;
	fr->raw = buf;
	fr->rawlen = hdr + plen;
	fr->hdrlen = hdr;
	if (fr->verb == PROTO_V_FDATA) {
		fr->payload = buf + hdr;
		fr->payload_len = plen;
	}
	return PROTO_FRAME;
}

/*
 * Hand every complete frame of the len bytes at buf to cb, in order: a frame
 * as (fr, NULL), a refused one as (NULL, err). Stops when the input runs out,
 * when cb returns PROTO_FEED_STOP (that frame counts as done) or after a
 * fatal error (which does not). Returns how many bytes are done with: the
 * caller consumes them and feeds the rest again when more has come.
 */
size_t
proto_decoder_feed(struct proto_decoder *d, const char *buf, size_t len,
    proto_feed_cb cb, void *arg)
{
	struct proto_frame fr;
	struct proto_error err;
	enum proto_status st;
	enum proto_feed go;
	size_t used, done = 0;

	while (done < len) {
		st = proto_decoder_next(
		    d, buf + done, len - done, &fr, &err, &used);
		if (st == PROTO_NEED_MORE)
			break;
		if (st == PROTO_FRAME)
			go = cb(arg, &fr, NULL);
		else {
			go = cb(arg, NULL, &err);
			if (err.fatal)
				break;
		}
		done += used;
		if (go == PROTO_FEED_STOP)
			break;
	}
	return done;
}
