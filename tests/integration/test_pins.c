/* SPDX-License-Identifier: MIT */
/*
 * Device pins: with pins on, the right password from a key not pinned is
 * refused and from a pinned key accepted; a pinned device may add another;
 * unpin restores password-only login; only an owned name over TLS, and
 * only from a pinned device, may change the pins; `termgram devices`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static char out[1 << 16], err[1 << 16];

/* Over plaintext there are no device keys: the test is skipped. */
static void
need_tls(void)
{
	if (!h_tls)
		skip();
}

/* LOGIN as name from the current identity; the first line answered. */
static void
login_answer(struct raw *c, int port, const char *name, const char *pw)
{
	assert_int_equal(raw_open(c, port), 0);
	raw_send(c, "LOGIN|1|%s|%s|0\n", name, h_b64(pw));
	assert_int_equal(raw_line(c, 5000), 0);
}

/* Send a DEVICES request and expect the line that starts with want. */
static void
devices(struct raw *c, const char *req, const char *want)
{
	raw_send(c, "DEVICES|%s\n", req);
	assert_int_equal(raw_line(c, 5000), 0);
	if (strncmp(c->line, want, strlen(want)) != 0)
		fail_msg("DEVICES|%s: got %s, want %s", req, c->line, want);
}

/* The fingerprint (hex) of identity n, as the relay lists it once pinned. */
static void
identity_hex(int port, int n, char *hex)
{
	struct raw c;
	char name[32];

	snprintf(name, sizeof name, "probe%d", n);
	h_tls_identity(n);
	assert_int_equal(raw_login(&c, port, name, "probe-pass"), 0);
	devices(&c, "pin", "DEVICES|1");
	devices(&c, "list", "DEVICE|");
	snprintf(hex, 65, "%.64s", c.line + strlen("DEVICE|"));
	assert_int_equal(raw_expect(&c, "DEVICES|1", 5000), 0);
	raw_close(&c);
}

/*
 * alice pins her device: the password from another key is refused with
 * the text, her key still logs in, an added key gets in, and after unpin
 * the password alone is enough again.
 */
static void
relay__pins__refuse_a_stolen_password(void **state)
{
	struct relay r;
	struct raw a, m;
	char hex1[65];

	(void)state;
	need_tls();
	assert_int_equal(relay_start(&r, NULL), 0);
	identity_hex(r.port, 1, hex1);

	h_tls_identity(0);
	assert_int_equal(raw_login(&a, r.port, "alice", "alice-pass-1"), 0);
	devices(&a, "list", "DEVICES|0");
	devices(&a, "pin", "DEVICES|1");
	raw_close(&a);

	h_tls_identity(1);
	login_answer(&m, r.port, "alice", "alice-pass-1");
	assert_string_equal(m.line,
	    "ERR|AUTH_FAILED|-|"
	    "dGhpcyBuYW1lIGFjY2VwdHMgb25seSBpdHMgcGlu"
	    "bmVkIGRldmljZXM=");
	assert_true(raw_is_closed(&m, 5000));
	raw_close(&m);
	assert_true(relay_log_has(&r, "on a device not pinned: refused"));

	/* The pinned key logs in, and adds the other one. */
	h_tls_identity(0);
	login_answer(&a, r.port, "alice", "alice-pass-1");
	assert_true(strncmp(a.line, "WELCOME|alice|", 14) == 0);
	assert_int_equal(raw_expect(&a, "SYNCED", 5000), 0);
	raw_send(&a, "DEVICES|add|%s\n", hex1);
	assert_int_equal(raw_expect(&a, "DEVICES|2", 5000), 0);
	raw_close(&a);

	h_tls_identity(1);
	login_answer(&m, r.port, "alice", "alice-pass-1");
	assert_true(strncmp(m.line, "WELCOME|alice|", 14) == 0);
	assert_int_equal(raw_expect(&m, "SYNCED", 5000), 0);
	/* Removing itself leaves alice pinned to identity 0 only. */
	raw_send(&m, "DEVICES|remove|%s\n", hex1);
	assert_int_equal(raw_expect(&m, "DEVICES|1", 5000), 0);
	/* Still logged in, but no longer pinned: it may change nothing. */
	devices(&m,
	    "add|"
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "ERR|FORBIDDEN|-|");
	raw_close(&m);

	/* Identity 2 is locked out, and may not change the pins either. */
	h_tls_identity(2);
	login_answer(&m, r.port, "alice", "alice-pass-1");
	assert_true(strncmp(m.line, "ERR|AUTH_FAILED|", 16) == 0);
	raw_close(&m);

	h_tls_identity(0);
	assert_int_equal(raw_login(&a, r.port, "alice", "alice-pass-1"), 0);
	devices(&a, "unpin", "DEVICES|0");
	raw_close(&a);
	h_tls_identity(2);
	assert_int_equal(raw_login(&m, r.port, "alice", "alice-pass-1"), 0);
	raw_close(&m);
	h_tls_identity(0);
	assert_int_equal(relay_finish(&r), 0);
}

/* An open name may not pin: only a password makes a name someone's. */
static void
relay__pins__refused_for_an_open_name(void **state)
{
	struct relay r;
	struct raw a;

	(void)state;
	need_tls();
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&a, r.port, "dave", ""), 0);
	devices(&a, "pin", "ERR|FORBIDDEN|-|");
	devices(&a, "list", "ERR|FORBIDDEN|-|");
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/* Over plaintext there is no device key to pin: refused. */
static void
relay__pins__refused_without_tls(void **state)
{
	bool was = h_tls;
	struct relay r;
	struct raw a;

	(void)state;
	h_tls = false;
	assert_int_equal(relay_start(&r, NULL), 0);
	assert_int_equal(raw_login(&a, r.port, "erin", "erin-pass"), 0);
	devices(&a, "pin", "ERR|FORBIDDEN|-|");
	devices(&a, "list", "ERR|FORBIDDEN|-|");
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
	h_tls = was;
}

/* termgram devices as frank from data folder dir; its exit status. */
static int
devices_cmd(
    const struct relay *r, const char *dir, const char *op, const char *fp)
{
	char port[16];

	snprintf(port, sizeof port, "%d", r->port);
	return run_client(NULL, NULL, out, sizeof out, err, sizeof err,
	    "devices", "--port", port, "--user", "frank", "--data", dir, op, fp,
	    NULL);
}

/*
 * The headless command: pin, list (this device marked), a device not
 * pinned refused with the relay's text, add by the people's form, unpin.
 */
static void
cmd_devices__pins_and_lists(void **state)
{
	struct relay r;
	char da[256], db[256], fpb[80];

	(void)state;
	need_tls();
	h_tmpdir(da, sizeof da);
	h_tmpdir(db, sizeof db);
	assert_int_equal(relay_start(&r, NULL), 0);
	setenv("TERMGRAM_PASSWORD", "frank-pass", 1);
	assert_int_equal(devices_cmd(&r, db, "pin", NULL), 0);
	assert_non_null(strstr(out, "1 device pinned"));
	assert_int_equal(devices_cmd(&r, db, "list", NULL), 0);
	assert_non_null(strstr(out, "\t(this device)\n"));
	snprintf(fpb, sizeof fpb, "%.*s", (int)strcspn(out, "\t"), out);
	assert_int_equal(devices_cmd(&r, db, "unpin", NULL), 0);
	assert_non_null(strstr(out, "no device pinned"));

	assert_int_equal(devices_cmd(&r, da, "pin", NULL), 0);
	assert_int_equal(devices_cmd(&r, db, "list", NULL), 1);
	assert_non_null(
	    strstr(err, "this name accepts only its pinned devices"));
	assert_int_equal(devices_cmd(&r, da, "add", fpb), 0);
	assert_non_null(strstr(out, "2 devices pinned"));
	assert_int_equal(devices_cmd(&r, db, "list", NULL), 0);
	assert_non_null(strstr(out, fpb));
	assert_int_equal(devices_cmd(&r, da, "unpin", NULL), 0);
	assert_int_equal(devices_cmd(&r, da, "bogus", NULL), 2);
	unsetenv("TERMGRAM_PASSWORD");
	assert_int_equal(relay_finish(&r), 0);
	h_rmdir(da);
	h_rmdir(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(relay__pins__refuse_a_stolen_password),
	    cmocka_unit_test(relay__pins__refused_for_an_open_name),
	    cmocka_unit_test(relay__pins__refused_without_tls),
	    cmocka_unit_test(cmd_devices__pins_and_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
