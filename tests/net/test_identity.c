/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/identity.h"

static void
tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/tg-id-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void
cleanup(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
net_id__creates__0600_key_0644_cert_then_loads_same(void **state)
{
	unsigned char fp[NET_ID_FP_LEN];
	struct net_id *id;
	char dir[64], err[256];

	(void)state;
	tmpdir(dir, sizeof dir);
	id = net_id_open(
	    dir, "relay.key", "relay.crt", "relay", err, sizeof err);
	assert_non_null(id);
	memcpy(fp, net_id_fingerprint(id), sizeof fp);
	net_id_free(id);
	assert_int_equal(mode_of(dir, "relay.key"), 0600);
	assert_int_equal(mode_of(dir, "relay.crt"), 0644);

	id = net_id_open(
	    dir, "relay.key", "relay.crt", "relay", err, sizeof err);
	assert_non_null(id);
	assert_memory_equal(fp, net_id_fingerprint(id), sizeof fp);
	net_id_free(id);

	/* A re-issued certificate for the same key keeps the fingerprint. */
	snprintf(err, sizeof err, "%s/relay.crt", dir);
	assert_int_equal(unlink(err), 0);
	id = net_id_open(
	    dir, "relay.key", "relay.crt", "other", err, sizeof err);
	assert_non_null(id);
	assert_memory_equal(fp, net_id_fingerprint(id), sizeof fp);
	net_id_free(id);

	/* The given-pair path loads the same files. */
	{
		char kp[128], cp[128];

		snprintf(kp, sizeof kp, "%s/relay.key", dir);
		snprintf(cp, sizeof cp, "%s/relay.crt", dir);
		id = net_id_load(kp, cp, err, sizeof err);
		assert_non_null(id);
		assert_memory_equal(fp, net_id_fingerprint(id), sizeof fp);
		net_id_free(id);
	}
	cleanup(dir);
}

static void
net_id__differs__two_identities(void **state)
{
	struct net_id *a, *b;
	char dir[64], err[256];

	(void)state;
	tmpdir(dir, sizeof dir);
	a = net_id_open(
	    dir, "a.key", "a.crt", "termgram device", err, sizeof err);
	b = net_id_open(
	    dir, "b.key", "b.crt", "termgram device", err, sizeof err);
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_not_equal(
	    net_id_fingerprint(a), net_id_fingerprint(b), NET_ID_FP_LEN);
	net_id_free(a);
	net_id_free(b);
	cleanup(dir);
}

static void
net_id__refuses__symlink_key(void **state)
{
	char dir[64], path[128], target[128], err[256];
	struct net_id *id;

	(void)state;
	tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/relay.key", dir);
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	assert_int_equal(symlink(target, path), 0);
	id = net_id_open(
	    dir, "relay.key", "relay.crt", "relay", err, sizeof err);
	assert_null(id);
	assert_non_null(strstr(err, "relay.key"));
	/* Nothing was created through the link. */
	assert_int_equal(access(target, F_OK), -1);
	cleanup(dir);
}

static void
net_id__refuses__key_readable_by_others(void **state)
{
	char dir[64], path[128], err[256];
	struct net_id *id;

	(void)state;
	tmpdir(dir, sizeof dir);
	id = net_id_open(dir, "k", "c", "x", err, sizeof err);
	assert_non_null(id);
	net_id_free(id);
	snprintf(path, sizeof path, "%s/k", dir);
	assert_int_equal(chmod(path, 0644), 0);
	id = net_id_open(dir, "k", "c", "x", err, sizeof err);
	assert_null(id);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "0644"));
	cleanup(dir);
}

static void
net_id__refuses__certificate_without_key(void **state)
{
	char dir[64], path[128], err[256];
	struct net_id *id;
	FILE *f;

	(void)state;
	tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/c", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	id = net_id_open(dir, "k", "c", "x", err, sizeof err);
	assert_null(id);
	assert_non_null(strstr(err, "without its key"));
	cleanup(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        net_id__creates__0600_key_0644_cert_then_loads_same),
	    cmocka_unit_test(net_id__differs__two_identities),
	    cmocka_unit_test(net_id__refuses__symlink_key),
	    cmocka_unit_test(net_id__refuses__key_readable_by_others),
	    cmocka_unit_test(net_id__refuses__certificate_without_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
