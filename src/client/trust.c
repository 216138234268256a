/* SPDX-License-Identifier: MIT */
/*
 * TLS with the relay: the device identity (identity.key/identity.crt in
 * the data folder, and the device id kept in device-id), its client
 * context, and the check of the relay's key against known_relays before
 * anything is sent (PIN, STRICT or ASK at the first connection; a changed
 * key is refused for good). The requests about the user's devices.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "client/device.h"
#include "client/known.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "net/identity.h"
#include "net/tls.h"
#include "proto/build.h"
#include "util/fingerprint.h"

/* The device identity and the client context; 0, or -1 and err. */
int
client_trust_init(struct client_session *s, char *err, size_t errlen)
{
	if (!s->cfg.tls)
		return 0;
	s->id = net_id_open(s->data_dir, "identity.key", "identity.crt",
	    "termgram device", err, errlen);
	if (s->id == NULL ||
	    client_device_id(s->data_dir, s->device_id, err, errlen) != 0)
		return -1;
	s->tls = net_tls_new(NET_TLS_CLIENT, s->id, err, errlen);
	return s->tls != NULL ? 0 : -1;
}

/* Free the identity and the context. */
void
client_trust_free(struct client_session *s)
{
	net_tls_free(s->tls);
	net_id_free(s->id);
	s->tls = NULL;
	s->id = NULL;
}

/* The relay's "host:port" and the path of known_relays. */
static void
trust_names(const struct client_session *s, char *hp, size_t hplen, char *path,
    size_t pathlen)
{
	client_known_hostport(s->host, s->cfg.port, hp, hplen);
	snprintf(path, pathlen, "%s/%s", s->data_dir, CLIENT_KNOWN_FILE);
}

/*
 * The command that pins key txt for this relay in this very data folder
 * (known_relays lives in each user's data folder, so both are named).
 */
static void
trust_command(const struct client_session *s, const char *hp, const char *txt,
    char *out, size_t outlen)
{
	snprintf(out, outlen, "termgram trust --user %s --data %s %s %s",
	    s->user, s->data_dir, hp, txt);
}

/* Drop the connection before anything was sent; stop with st and why. */
static void
trust_refuse(struct client_session *s, struct net_conn *c,
    enum client_conn_state st, const char *why)
{
	net_conn_close(c, false);
	if (s->conn == c)
		s->conn = NULL;
	client_session_down(s);
	client_session_set_state(s, st, why, 0);
}

/* A relay not pinned yet, whose key is fp: pin, refuse or ask. */
static bool
trust_first(
    struct client_session *s, struct net_conn *c, const unsigned char *fp)
{
	char hp[300], path[4096], txt[UTIL_FP_TEXT], msg[9400], cmd[4500];

	trust_names(s, hp, sizeof hp, path, sizeof path);
	util_fp_text(fp, txt);
	trust_command(s, hp, txt, cmd, sizeof cmd);
	memcpy(s->seen_fp, fp, sizeof s->seen_fp);
	s->has_seen_fp = true;
	if (s->cfg.trust == CLIENT_TRUST_STRICT) {
		snprintf(msg, sizeof msg,
		    "the relay at %s is not pinned (its key is %s); check it "
		    "with the relay's admin (termgramd --fingerprint) and run: "
		    "%s",
		    hp, txt, cmd);
		trust_refuse(s, c, CLIENT_FAILED, msg);
		return false;
	}
	if (s->cfg.trust == CLIENT_TRUST_ASK) {
		snprintf(msg, sizeof msg,
		    "first connection to %s; its key is %s", hp, txt);
		trust_refuse(s, c, CLIENT_UNTRUSTED, msg);
		return false;
	}
	if (client_known_set(path, hp, fp, msg, sizeof msg) != 0) {
		trust_refuse(s, c, CLIENT_FAILED, msg);
		return false;
	}
	snprintf(msg, sizeof msg,
	    "first connection to %s; its key is %s; pinned in %s. Check it "
	    "with the relay's admin (termgramd --fingerprint).",
	    hp, txt, path);
	if (s->ev->on_notice != NULL)
		s->ev->on_notice(s->arg, msg);
	return true;
}

/* The relay's key is not the pinned one: the documented refusal. */
static void
trust_changed(struct client_session *s, struct net_conn *c,
    const unsigned char *fp, const unsigned char *pinned)
{
	char hp[300], path[4096], now[UTIL_FP_TEXT], was[UTIL_FP_TEXT];
	char msg[9600], cmd[4500];

	trust_names(s, hp, sizeof hp, path, sizeof path);
	util_fp_text(fp, now);
	util_fp_text(pinned, was);
	trust_command(s, hp, now, cmd, sizeof cmd);
	snprintf(msg, sizeof msg,
	    "the relay at %s presented key %s, but %s was pinned in %s. If "
	    "its admin changed the key on purpose, compare %s with "
	    "`termgramd --fingerprint` on the relay and run: %s. Otherwise "
	    "someone may be intercepting the connection.",
	    hp, now, was, path, now, cmd);
	trust_refuse(s, c, CLIENT_FAILED, msg);
}

/*
 * The on_handshake hook of the relay connection: nothing queued (LOGIN)
 * leaves unless the relay's key is the pinned one, or is pinned now.
 */
void
client_trust_handshake(struct net_conn *c, void *arg)
{
	struct client_session *s = arg;
	const unsigned char *fp = net_conn_peer_fingerprint(c);
	unsigned char pinned[UTIL_FP_LEN];
	char hp[300], path[4096], err[4400];
	int rc;

	if (fp == NULL)
		return;
	trust_names(s, hp, sizeof hp, path, sizeof path);
	rc = client_known_find(path, hp, pinned, err, sizeof err);
	if (rc < 0) {
		trust_refuse(s, c, CLIENT_FAILED, err);
		return;
	}
	if (rc == 1 && sodium_memcmp(pinned, fp, UTIL_FP_LEN) != 0) {
		trust_changed(s, c, fp, pinned);
		return;
	}
	if (rc == 0 && !trust_first(s, c, fp))
		return;
	memcpy(s->relay_fp, fp, sizeof s->relay_fp);
	s->has_relay_fp = true;
}

/* After WELCOME over TLS: the key that authenticates light presence. */
void
client_trust_welcome(struct client_session *s)
{
	s->has_alive_key = s->conn != NULL && net_conn_is_tls(s->conn) &&
	    net_conn_tls_export(s->conn, NET_TLS_EXPORTER, s->alive_key,
	        sizeof s->alive_key) == 0;
}

/*
 * The user said yes to the relay's key shown in CLIENT_UNTRUSTED: pin it
 * and connect again. 0, or -1 and err.
 */
int
client_session_trust_relay(struct client_session *s, char *err, size_t errlen)
{
	char hp[300], path[4096];

	if (!s->has_seen_fp) {
		snprintf(err, errlen, "no relay key waits for an answer");
		return -1;
	}
	trust_names(s, hp, sizeof hp, path, sizeof path);
	if (client_known_set(path, hp, s->seen_fp, err, errlen) != 0)
		return -1;
	s->has_seen_fp = false;
	client_session_connect(s);
	return 0;
}

/*
 * Ask the relay about the device pins of our name: op is pin, unpin,
 * list, or add or remove with fp. The answer comes to on_devices, a
 * refusal to on_error. -1 when not logged in.
 */
int
client_session_devices(
    struct client_session *s, const char *op, const unsigned char *fp)
{
	size_t n;

	if (!client_session_is_up(s) ||
	    proto_build_devices(s->buf, sizeof s->buf, &n, op, fp) != 0 ||
	    net_conn_write(s->conn, s->buf, n) != 0)
		return -1;
	/* Its answer ends with DEVCOUNT (pins: with DEVICES|count). */
	if (strcmp(op, "active") == 0)
		s->dev_asked = true;
	return 0;
}

/* DEVICES|drop|device: remove one of the user's devices; the answer is
 * DEVCOUNT (on_active, device NULL). 0, or -1 if it cannot be asked. */
int
client_session_devices_drop(struct client_session *s, const char *device)
{
	struct proto_writer w;
	size_t n;

	if (!client_session_is_up(s))
		return -1;
	proto_writer_init(&w, s->buf, sizeof s->buf);
	proto_writer_begin(&w, PROTO_V_DEVICES);
	proto_writer_str(&w, "drop");
	proto_writer_str(&w, device);
	if (proto_writer_end(&w, &n) != 0 ||
	    net_conn_write(s->conn, s->buf, n) != 0)
		return -1;
	s->dev_asked = true;
	return 0;
}

/* How many devices the user has, as the relay last said (0: not said). */
uint64_t
client_session_devcount(const struct client_session *s)
{
	return s->devcount;
}

/* Whether device (as ACTIVE names it) is this one: the key's fingerprint
 * over TLS, the version-1 device "-" without (and for an open name, whose
 * one device it is). */
bool
client_session_is_this_device(const struct client_session *s, const char *dev)
{
	char hex[2 * UTIL_FP_LEN + 1];

	if (s->id == NULL || !s->device_aware || s->password[0] == '\0')
		return strcmp(dev, "-") == 0;
	sodium_bin2hex(hex, sizeof hex, net_id_fingerprint(s->id), UTIL_FP_LEN);
	return strcasecmp(dev, hex) == 0;
}

/* This device's fingerprint into fp; false with TLS off. */
bool
client_session_device_fp(const struct client_session *s, unsigned char *fp)
{
	if (s->id == NULL)
		return false;
	memcpy(fp, net_id_fingerprint(s->id), UTIL_FP_LEN);
	return true;
}
