/* SPDX-License-Identifier: MIT */
/*
 * termgram devices pin|unpin|list|add FP|remove FP: the device keys the
 * relay accepts for an owned name (docs/relay.md, device pins); and
 * termgram devices active: the devices that hold a cursor on the
 * user's inbox, and termgram devices drop DEVICE: one of them removed
 * (docs/protocol.md "Several devices per account").
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/args.h"
#include "cmd/run.h"
#include "proto/frame.h"
#include "util/fingerprint.h"

/* What was asked. */
struct cmd_devices {
	const char *op;
	const char *device; /* drop DEVICE */
	unsigned char fp[UTIL_FP_LEN];
	bool has_fp;
	unsigned char mine[UTIL_FP_LEN]; /* this device's key */
	bool has_mine;
};

/* Logged in and synced: ask. */
static void
cmd_devices_on_synced(void *arg)
{
	struct cmd_run *r = arg;
	struct cmd_devices *d = r->self;

	d->has_mine = client_session_device_fp(r->s, d->mine);
	if (d->device != NULL
	        ? client_session_devices_drop(r->s, d->device) != 0
	        : client_session_devices(
	              r->s, d->op, d->has_fp ? d->fp : NULL) != 0) {
		cmd_run_warn("devices: could not ask the relay");
		cmd_run_finish(r, 1);
	}
}

/* A pinned key (printed), or the count that ends the answer. */
static void
cmd_devices_on_devices(void *arg, const unsigned char *fp, uint64_t n)
{
	struct cmd_run *r = arg;
	struct cmd_devices *d = r->self;
	char txt[UTIL_FP_TEXT];

	if (fp != NULL) {
		util_fp_text(fp, txt);
		printf("%s%s\n", txt,
		    d->has_mine && memcmp(fp, d->mine, UTIL_FP_LEN) == 0
		        ? "\t(this device)"
		        : "");
		return;
	}
	if (n == 0)
		printf("no device pinned: the password alone logs in\n");
	else
		printf("%llu device%s pinned\n", (unsigned long long)n,
		    n == 1 ? "" : "s");
	fflush(stdout);
	cmd_run_finish(r, 0);
}

/* A time in ms since the epoch as UTC to the minute, into buf. */
static const char *
cmd_devices_time(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%MZ", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

/* One active device (printed), or the count that ends the answer. */
static void
cmd_devices_on_active(void *arg, const char *dev, uint64_t added, uint64_t seen,
    bool online, uint64_t behind)
{
	struct cmd_run *r = arg;
	struct cmd_devices *d = r->self;
	char a[32], b[32];

	if (dev != NULL) {
		printf("%s\t%s\t%s\t%s\t%llu\n", dev,
		    cmd_devices_time(added, a, sizeof a),
		    cmd_devices_time(seen, b, sizeof b),
		    online ? "online" : "offline", (unsigned long long)behind);
		return;
	}
	if (d->device != NULL)
		printf("%s dropped; ", d->device);
	printf("%llu device%s\n", (unsigned long long)added,
	    added == 1 ? "" : "s");
	fflush(stdout);
	cmd_run_finish(r, 0);
}

/* A refusal ends the command. */
static void
cmd_devices_on_error(
    void *arg, const char *code, const char *ref, const char *text)
{
	cmd_run_on_error(arg, code, ref, text);
	cmd_run_finish(arg, 1);
}

static const struct client_events cmd_devices_events = {
    .on_state = cmd_run_on_state,
    .on_synced = cmd_devices_on_synced,
    .on_error = cmd_devices_on_error,
    .on_devices = cmd_devices_on_devices,
    .on_active = cmd_devices_on_active,
};

/* Whether s names a device as ACTIVE does: -, 64 hex digits, @id. */
static bool
cmd_devices_is_device(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "-") == 0)
		return true;
	if (s[0] == '@')
		return proto_is_id(s + 1, n - 1);
	return n == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

/* The request of the command line into d; 0, or -1 said on stderr. */
static int
cmd_devices_parse(const struct cmd_args *a, struct cmd_devices *d)
{
	static const char *const one[] = {
	    "pin", "unpin", "list", "active", NULL};
	char err[256];
	size_t i;

	memset(d, 0, sizeof *d);
	d->op = a->argv[0];
	if (a->argc == 2 && strcmp(d->op, "drop") == 0) {
		if (!cmd_devices_is_device(a->argv[1])) {
			cmd_run_warn("devices: '%s' is not a device: -, 64 "
			             "hexadecimal digits or @ and an id, as "
			             "termgram devices active lists them",
			    a->argv[1]);
			return -1;
		}
		d->device = a->argv[1];
		return 0;
	}
	if (a->argc == 2 &&
	    (strcmp(d->op, "add") == 0 || strcmp(d->op, "remove") == 0)) {
		if (util_fp_parse(a->argv[1], d->fp, err, sizeof err) != 0) {
			cmd_run_warn("devices: %s", err);
			return -1;
		}
		d->has_fp = true;
		return 0;
	}
	for (i = 0; a->argc == 1 && one[i] != NULL; i++)
		if (strcmp(d->op, one[i]) == 0)
			return 0;
	cmd_run_warn("devices: pin, unpin, list, active, add FINGERPRINT, "
	             "remove FINGERPRINT or drop DEVICE");
	return -1;
}

/* termgram devices. */
int
cmd_devices_main(const struct cmd_args *a)
{
	struct cmd_devices d;
	struct cmd_run r;
	int status = 1;

	if (cmd_devices_parse(a, &d) != 0)
		return 2;
	if (cmd_run_open(&r, a, &cmd_devices_events, &d) == 0)
		status = cmd_run_wait(&r, a->timeout);
	cmd_run_close(&r);
	return status;
}
