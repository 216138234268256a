/* SPDX-License-Identifier: MIT */
/*
 * Device pins: an owned name may pin the device keys it logs in from, so
 * that over TLS a stolen password alone no longer logs in as that name.
 * DEVICES requests (PROTOCOL.md's device pins) and the LOGIN check.
 */
#include <string.h>

#include "proto/build.h"
#include "server/log.h"
#include "server/relay_int.h"
#include "server/store.h"
#include "util/fingerprint.h"
#include "util/sys.h"

/* Whether the device of s may log in as u: u pins none, or s's key. */
bool
server_pins_allow(struct srv_sess *s, const struct srv_user *u)
{
	struct server_store *st = s->r->store;
	char hex[UTIL_FP_HEX];

	if (server_store_device_count(st, u->key) <= 0)
		return true;
	if (!s->has_fp)
		return false;
	util_fp_hex(s->fp, hex);
	return server_store_device_has(st, u->key, hex);
}

/* Send the answer's end: DEVICES|count of u's pins. */
static void
pins_send_count(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	int64_t n = server_store_device_count(r->store, s->user->key);
	size_t len;

	if (n < 0) {
		server_session_err(s, PROTO_ERR_INTERNAL, server_no_ref,
		    "the relay could not read the pins");
		return;
	}
	if (proto_build_devices_count(
	        r->out, sizeof r->out, &len, (uint64_t)n) == 0)
		server_session_send(s, r->out, len);
}

/* One DEVICE|fp|added line of a list. */
static void
pins_send_one(void *arg, const char *fp, uint64_t added)
{
	struct srv_sess *s = arg;
	struct server_relay *r = s->r;
	unsigned char raw[UTIL_FP_LEN];
	size_t len;

	if (proto_slice_hex32((struct proto_slice){fp, strlen(fp)}, raw) != 0)
		return;
	if (proto_build_device(r->out, sizeof r->out, &len, raw, added) == 0)
		server_session_send(s, r->out, len);
}

/* Refuse a DEVICES request s may not send; true when refused. */
static bool
pins_refused(struct srv_sess *s)
{
	struct server_relay *r = s->r;
	const char *why = NULL;
	char hex[UTIL_FP_HEX];

	if (!r->cfg.tls || !s->has_fp)
		why = "device pins need TLS";
	else if (s->user->pwhash == NULL)
		why = "only an owned name (with a password) can pin devices";
	else if (server_store_device_count(r->store, s->user->key) > 0) {
		util_fp_hex(s->fp, hex);
		if (!server_store_device_has(r->store, s->user->key, hex))
			why = "only a pinned device may change the pins";
	}
	if (why == NULL)
		return false;
	server_session_err(s, PROTO_ERR_FORBIDDEN, server_no_ref, why);
	return true;
}

/*
 * DEVICES|pin (this device), unpin (all), list, add|fp, remove|fp. The
 * answer ends with DEVICES|count; a list has a DEVICE line per pin first.
 * DEVICES|active and drop|device go to devices.c.
 */
void
server_pins_request(struct srv_sess *s, const struct proto_frame *fr)
{
	struct server_store *st = s->r->store;
	const char *key = s->user->key;
	unsigned char raw[UTIL_FP_LEN];
	char hex[UTIL_FP_HEX];
	int rc = 0;

	if (fr->nargs == 1 && proto_slice_eq(fr->arg[0], "active")) {
		server_devices_active(s);
		return;
	}
	if (fr->nargs == 2 && proto_slice_eq(fr->arg[0], "drop")) {
		server_devices_drop(s, fr->arg[1]);
		return;
	}
	/* The parser takes any device here: add and remove take keys. */
	if (fr->nargs == 2 && proto_slice_hex32(fr->arg[1], raw) != 0) {
		server_session_err(s, PROTO_ERR_BAD_FIELD, server_no_ref,
		    "DEVICES field 2 (fingerprint): expected 64 hexadecimal "
		    "digits");
		return;
	}
	if (pins_refused(s))
		return;
	if (fr->nargs == 2) {
		util_fp_hex(raw, hex);
		if (proto_slice_eq(fr->arg[0], "add"))
			rc = server_store_device_add(
			    st, key, hex, util_wall_ms());
		else
			rc = server_store_device_remove(st, key, hex);
	} else if (proto_slice_eq(fr->arg[0], "pin")) {
		util_fp_hex(s->fp, hex);
		rc = server_store_device_add(st, key, hex, util_wall_ms());
	} else if (proto_slice_eq(fr->arg[0], "unpin"))
		rc = server_store_device_clear(st, key);
	else if (proto_slice_eq(fr->arg[0], "list"))
		rc = server_store_device_list(st, key, pins_send_one, s);
	else {
		server_session_err(s, PROTO_ERR_BAD_FIELD, server_no_ref,
		    "DEVICES takes pin, unpin, list, add, remove or active");
		return;
	}
	if (rc != 0) {
		server_log(
		    SERVER_LOG_ERROR, "store: %s", server_store_error(st));
		server_session_err(s, PROTO_ERR_INTERNAL, server_no_ref,
		    "the relay could not change the pins");
		return;
	}
	server_log(SERVER_LOG_INFO, "%s: DEVICES %.*s from %s", s->user->name,
	    (int)fr->arg[0].len, fr->arg[0].p, s->ip);
	pins_send_count(s);
}
