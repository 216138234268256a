/* SPDX-License-Identifier: MIT */
/*
 * The session with several devices per account (docs/protocol.md
 * "Several devices per account"), without a relay: frames fed to the
 * session as the relay would send them, what it writes back read from
 * the other end of a socket pair. Carbons, read marks, DEVCOUNT, the
 * device id and the LOGIN it sends.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/device.h"
#include "client/session_int.h"
#include "net/conn.h"
#include "net/loop.h"
#include "proto/build.h"
#include "proto/frame.h"

/* What the session told its front end. */
struct rec {
	int msgs;
	bool outgoing, fresh;
	char peer[33], id[65];
	int synced;
	int devcounts;
	uint64_t devcount;
};

static void
ev_message(void *arg, const struct client_msg *m, bool fresh)
{
	struct rec *r = arg;

	r->msgs++;
	r->outgoing = m->outgoing;
	r->fresh = fresh;
	snprintf(r->peer, sizeof r->peer, "%s", m->peer);
	snprintf(r->id, sizeof r->id, "%s", m->id);
}

static void
ev_synced(void *arg)
{
	((struct rec *)arg)->synced++;
}

static void
ev_devcount(void *arg, uint64_t n)
{
	struct rec *r = arg;

	r->devcounts++;
	r->devcount = n;
}

static const struct client_events events = {
    .on_message = ev_message,
    .on_synced = ev_synced,
    .on_devcount = ev_devcount,
};

#include "session_fx.h"

/* The same in P2P mode, listening on a free port. */
static struct fx *
fx_new_p2p(void)
{
	p2p = true;
	return fx_attach(fx_new(false));
}

/* bob's unread count as the contact list shows it. */
static unsigned
unread_shown(struct fx *f, const char *peer)
{
	const struct client_contact *c;
	size_t i, n;

	c = client_session_contacts(f->s, &n);
	for (i = 0; i < n; i++)
		if (strcmp(c[i].name, peer) == 0)
			return c[i].unread;
	return 0;
}

/* A MSG from our own name: shown as ours in the conversation with its
 * recipient, stored, confirmed to ourselves only. */
static void
session__carbon__shown_as_own_and_confirmed_to_self(void **state)
{
	struct fx *f = fx_online();
	struct client_convo *cv;
	char out[1024];

	(void)state;
	relay_msg(f, "alice", "bob", "c1", "sent from the laptop");
	assert_int_equal(f->rec.msgs, 1);
	assert_true(f->rec.outgoing);
	assert_true(f->rec.fresh);
	assert_string_equal(f->rec.peer, "bob");
	assert_string_equal(
	    relay_hears(f, out, sizeof out), "RCPT|alice|alice|c1|delivered\n");
	/* In bob's conversation, as ours, from the store; nothing unread. */
	cv = client_convos_get(client_session_convos(f->s), "bob");
	assert_int_equal(cv->n, 1);
	assert_true(cv->e[0].outgoing);
	assert_string_equal(cv->e[0].sender, "alice");
	assert_int_equal(cv->e[0].state, CLIENT_MSG_STORED);
	assert_int_equal(unread_in_store(f, "bob"), 0);
	/* Never into the outbox: nothing to send again. */
	assert_int_equal(client_session_outbox_len(f->s), 0);
	fx_free(f);
}

/* The carbon of a message this data folder sent is a duplicate: not
 * shown again, still confirmed. */
static void
session__carbon__of_own_message_is_dropped(void **state)
{
	struct fx *f = fx_online();
	struct client_convo *cv;
	char id[PROTO_MAX_ID + 1], err[256], out[1024];

	(void)state;
	assert_int_equal(
	    client_session_queue_msg(f->s, "bob", "hi", 2, id, err, sizeof err),
	    0);
	(void)relay_hears(f, out, sizeof out); /* the MSG itself */
	f->rec.msgs = 0;
	relay_msg(f, "alice", "bob", id, "hi");
	assert_true(f->rec.msgs == 0 || !f->rec.fresh);
	snprintf(err, sizeof err, "RCPT|alice|alice|%s|delivered\n", id);
	assert_string_equal(relay_hears(f, out, sizeof out), err);
	cv = client_convos_get(client_session_convos(f->s), "bob");
	assert_int_equal(cv->n, 1);
	fx_free(f);
}

/* RCPT|alice|bob|id|read: read on another device, read here too; no
 * receipt of ours. */
static void
session__read_mark__unread_drops_without_receipt(void **state)
{
	struct fx *f = fx_online();
	char out[1024];

	(void)state;
	relay_says(f, "USER|bob|online|0");
	relay_msg(f, "bob", "alice", "m1", "one");
	relay_msg(f, "bob", "alice", "m2", "two");
	assert_string_equal(relay_hears(f, out, sizeof out),
	    "RCPT|alice|bob|m1|delivered\nRCPT|alice|bob|m2|delivered\n");
	assert_int_equal(unread_shown(f, "bob"), 2);
	relay_says(f, "RCPT|alice|bob|m1|read");
	assert_string_equal(relay_hears(f, out, sizeof out), "");
	assert_int_equal(unread_shown(f, "bob"), 1);
	assert_int_equal(unread_in_store(f, "bob"), 1);
	/* Again, or for a message never here: nothing changes. */
	relay_says(f, "RCPT|alice|bob|m1|read");
	relay_says(f, "RCPT|alice|bob|nothere|read");
	relay_says(f, "RCPT|alice|bob|m2|delivered");
	assert_string_equal(relay_hears(f, out, sizeof out), "");
	assert_int_equal(unread_shown(f, "bob"), 1);
	/* Our own confirmation of a carbon, echoed: nothing. */
	relay_says(f, "RCPT|alice|alice|m2|delivered");
	assert_int_equal(unread_shown(f, "bob"), 1);
	fx_free(f);
}

/* DEVCOUNT is kept and told; a device-aware login waits for the first
 * one after SYNCED before it says it is synced. */
static void
session__devcount__kept_and_completes_the_login(void **state)
{
	struct fx *f = fx_online();

	(void)state;
	f->s->device_aware = true;
	relay_says(f, "SYNCED");
	assert_int_equal(f->rec.synced, 0);
	relay_says(f, "DEVCOUNT|2");
	assert_int_equal(f->rec.synced, 1);
	assert_int_equal(client_session_devcount(f->s), 2);
	relay_says(f, "DEVCOUNT|1");
	assert_int_equal(f->rec.devcounts, 2);
	assert_int_equal(client_session_devcount(f->s), 1);
	assert_int_equal(f->rec.synced, 1);
	fx_free(f);
}

/* The session's first frame into buf, as a string. */
static void
hello(struct fx *f, char *buf, size_t cap)
{
	size_t n;

	assert_int_equal(client_session_hello(f->s, buf, cap - 1, &n), 0);
	buf[n] = '\0';
}

/* alice's session in P2P mode on a socket pair, bob online, the relay
 * saying alice has n devices; a message to bob queued. */
static struct fx *
p2p_with_devices(unsigned n)
{
	struct fx *f = fx_new_p2p();
	char line[64], id[PROTO_MAX_ID + 1], err[256];

	relay_says(f, "USER|bob|online|0");
	snprintf(line, sizeof line, "DEVCOUNT|%u", n);
	relay_says(f, line);
	assert_int_equal(
	    client_session_queue_msg(f->s, "bob", "hi", 2, id, err, sizeof err),
	    0);
	return f;
}

/* With one device a message to a peer online goes direct (first a
 * LOOKUP); with several, by the relay, which carbons it to the others. */
static void
session__devcount__several_devices_send_by_the_relay(void **state)
{
	struct fx *f;
	char out[1024];

	(void)state;
	f = p2p_with_devices(1);
	assert_string_equal(relay_hears(f, out, sizeof out), "LOOKUP|bob\n");
	fx_free(f);
	f = p2p_with_devices(2);
	assert_non_null(
	    strstr(relay_hears(f, out, sizeof out), "MSG|alice|bob|"));
	fx_free(f);
}

/* The first frame: over TLS the LOGIN says take or keep and the device
 * id of the data folder; with TLS off the version-1 frame to the letter. */
static void
session__hello__device_over_tls_only(void **state)
{
	struct fx *f = fx_new(true), *v1 = fx_new(false);
	char buf[512], want[512], id[CLIENT_DEVICE_ID_LEN + 1], err[256];

	(void)state;
	assert_int_equal(client_device_id(f->dir, id, err, sizeof err), 0);
	hello(f, buf, sizeof buf);
	snprintf(want, sizeof want, "LOGIN|1|alice|cHc=|0|take|%s\n", id);
	assert_string_equal(buf, want);
	assert_true(f->s->device_aware);
	f->s->cfg.keep = true;
	hello(f, buf, sizeof buf);
	snprintf(want, sizeof want, "LOGIN|1|alice|cHc=|0|keep|%s\n", id);
	assert_string_equal(buf, want);
	/* An open name has one device: the frame of before, keep and all. */
	f->s->password[0] = '\0';
	hello(f, buf, sizeof buf);
	assert_string_equal(buf, "LOGIN|1|alice||0|keep\n");
	assert_false(f->s->device_aware);
	f->s->cfg.keep = false;
	hello(f, buf, sizeof buf);
	assert_string_equal(buf, "LOGIN|1|alice||0\n");
	f->s->password[0] = 'p';
	hello(f, buf, sizeof buf);
	/* RESUME names no device; the session stays device-aware. */
	snprintf(f->s->token, sizeof f->s->token, "tok");
	hello(f, buf, sizeof buf);
	assert_string_equal(buf, "RESUME|1|alice|tok|0\n");
	assert_true(f->s->device_aware);

	/* Even with an id at hand, as a data folder used over TLS has. */
	snprintf(v1->s->device_id, sizeof v1->s->device_id, "%s", id);
	hello(v1, buf, sizeof buf);
	assert_string_equal(buf, "LOGIN|1|alice|cHc=|0\n");
	v1->s->cfg.keep = true;
	hello(v1, buf, sizeof buf);
	assert_string_equal(buf, "LOGIN|1|alice|cHc=|0\n");
	assert_false(v1->s->device_aware);
	fx_free(f);
	fx_free(v1);
}

/* The id is made once, 0600, and kept. */
static void
device__id__made_0600_and_kept(void **state)
{
	struct fx *f = fx_new(false);
	char a[CLIENT_DEVICE_ID_LEN + 1], b[CLIENT_DEVICE_ID_LEN + 1];
	char path[128], err[256];
	struct stat st;
	size_t i;

	(void)state;
	assert_int_equal(client_device_id(f->dir, a, err, sizeof err), 0);
	assert_int_equal(strlen(a), CLIENT_DEVICE_ID_LEN);
	for (i = 0; i < CLIENT_DEVICE_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	snprintf(path, sizeof path, "%s/device-id", f->dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(client_device_id(f->dir, b, err, sizeof err), 0);
	assert_string_equal(a, b);
	fx_free(f);
}

/* Write text to dir/device-id. */
static void
put_id(const char *dir, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof path, "%s/device-id", dir);
	(void)unlink(path);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* A link, or a file without exactly 32 hex digits: refused, said. */
static void
device__id__refuses_a_link_and_bad_content(void **state)
{
	struct fx *f = fx_new(false);
	char id[CLIENT_DEVICE_ID_LEN + 1], path[128], other[128], err[256];

	(void)state;
	put_id(f->dir, "0123456789abcdef0123456789ABCDEF\n");
	assert_int_equal(client_device_id(f->dir, id, err, sizeof err), 0);
	assert_string_equal(id, "0123456789abcdef0123456789abcdef");
	put_id(f->dir, "0123456789abcdef0123456789abcde\n");
	assert_int_equal(client_device_id(f->dir, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "32 hexadecimal digits"));
	put_id(f->dir, "0123456789abcdef0123456789abcdefg");
	assert_int_equal(client_device_id(f->dir, id, err, sizeof err), -1);
	put_id(f->dir, "");
	assert_int_equal(client_device_id(f->dir, id, err, sizeof err), -1);
	/* A link to a good id: refused all the same. */
	snprintf(other, sizeof other, "%s/elsewhere", f->dir);
	snprintf(path, sizeof path, "%s/device-id", f->dir);
	put_id(f->dir, "0123456789abcdef0123456789abcdef");
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(client_device_id(f->dir, id, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a plain file"));
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        session__carbon__shown_as_own_and_confirmed_to_self),
	    cmocka_unit_test(session__carbon__of_own_message_is_dropped),
	    cmocka_unit_test(session__read_mark__unread_drops_without_receipt),
	    cmocka_unit_test(session__devcount__kept_and_completes_the_login),
	    cmocka_unit_test(
	        session__devcount__several_devices_send_by_the_relay),
	    cmocka_unit_test(session__hello__device_over_tls_only),
	    cmocka_unit_test(device__id__made_0600_and_kept),
	    cmocka_unit_test(device__id__refuses_a_link_and_bad_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
