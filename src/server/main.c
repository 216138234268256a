/* termgramd: the relay's command line, signals and main loop. */
#include <sys/resource.h>

#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/identity.h"
#include "net/loop.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay.h"
#include "util/fingerprint.h"

static const char usage[] =
    "usage: termgramd [--bind ADDR] [--port P] [--data DIR]\n"
    "                 [--heartbeat SECONDS] [--max-frame N]\n"
    "                 [--max-login-line N]\n"
    "                 [--log-level error|warn|info|debug] [--grace-ms MS]\n"
    "                 [--max-sessions N] [--rate FRAMES] [--max-output BYTES]\n"
    "                 [--max-output-total BYTES]\n"
    "                 [--sync full|normal] [--max-stall SECONDS]\n"
    "                 [--ticket-seconds S] [--name NAME] [--login-timeout S]\n"
    "                 [--queue-max-frames N] [--queue-max-bytes BYTES]\n"
    "                 [--tls on|off] [--cert FILE --key FILE]\n"
    "                 [--hash-threads N] [--hash-queue N]\n"
    "                 [--name-failures N] [--addr-failures N]\n"
    "                 [--max-delay S] [--max-per-address N]\n"
    "                 [--max-registrations N]\n"
    "       termgramd --fingerprint [--data DIR] [--cert FILE --key FILE]\n"
    "\n"
    "  --bind ADDR         address to listen on (default 0.0.0.0; :: for "
    "IPv6)\n"
    "  --port P            TCP port (default 7733; 0 takes any free port)\n"
    "  --data DIR          the durable store (default "
    "$XDG_STATE_HOME/termgram\n"
    "                      or ~/.local/state/termgram)\n"
    "  --heartbeat S       heartbeat interval; silent sessions are dropped "
    "after\n"
    "                      three (default 15)\n"
    "  --max-frame N       longest header line, advertised in WELCOME\n"
    "                      (default 65536, at least 1024)\n"
    "  --max-login-line N  longest line before the login; longer gets\n"
    "                      TOO_LONG and the close (default 4096, at least\n"
    "                      2048, more than any LOGIN)\n"
    "  --grace-ms MS       how long a forwarded message may wait for its RCPT\n"
    "                      before it is stored (default 200, at most 1000;\n"
    "                      0 stores every message at once)\n"
    "  --max-sessions N    connections at once (default 20000, or what the\n"
    "                      open-files limit allows)\n"
    "  --rate N            frames per second per session before RATE_LIMIT\n"
    "                      (default 50000, bursts of twice that; 0: no limit)\n"
    "  --max-output BYTES  a session's unsent output before it is dropped as\n"
    "                      too slow (default 8388608)\n"
    "  --max-output-total BYTES  unsent output of all sessions together;\n"
    "                      past it, readers over their share pause their\n"
    "                      senders (default 268435456, 256 MiB; 0: no limit)\n"
    "  --sync full|normal  fsync every commit (default full) or let the OS\n"
    "                      write it back (survives a crash of the relay, not\n"
    "                      of the machine)\n"
    "  --max-stall S       a session whose output stays over 1 MiB (or its\n"
    "                      share of --max-output-total) this long (it reads\n"
    "                      nothing) is dropped (default 30)\n"
    "  --ticket-seconds S  how long a LOOKUP ticket stays valid (default 60)\n"
    "  --login-timeout S   a connection not logged in this long after it was\n"
    "                      accepted (TLS handshake included) is closed\n"
    "                      (default 10)\n"
    "  --queue-max-frames N  frames the relay keeps for one recipient; past\n"
    "                      it a sender gets ERR|QUOTA (default 100000; 0: no\n"
    "                      limit)\n"
    "  --queue-max-bytes BYTES  bytes the relay keeps for one recipient\n"
    "                      (default 268435456, 256 MiB; 0: no limit)\n"
    "  --hash-threads N    passwords hashed at once, each with 64 MiB of\n"
    "                      memory (default: one fewer than the CPUs, 1 to 2)\n"
    "  --hash-queue N      logins waiting for a hashing thread; more get\n"
    "                      RATE_LIMIT (default 16)\n"
    "  --name-failures N   wrong passwords for a name before each next try\n"
    "                      waits, 1 s and doubling (default 3)\n"
    "  --addr-failures N   the same per client address (default 10)\n"
    "  --max-delay S       the longest of those waits (default 300)\n"
    "  --max-per-address N connections from one address, loopback included\n"
    "                      (default 64; 0: no limit)\n"
    "  --max-registrations N  new names per address per hour (default 20;\n"
    "                      0: no limit)\n"
    "  --name NAME         the relay's name in answers to DISCOVER (default:\n"
    "                      the host name)\n"
    "  --tls on|off        TLS 1.3 on every connection (default on); off\n"
    "                      speaks plaintext, for loopback tests only\n"
    "  --cert FILE         a certificate (PEM) to present instead of the\n"
    "  --key FILE          relay.crt/relay.key made in the data folder\n"
    "  --fingerprint       print the relay's key fingerprint, for clients to\n"
    "                      compare at their first connection, and exit\n"
    "  --log-level L       error, warn, info (default) or debug\n"
    "  -h, --help          this text\n"
    "  -V, --version       the version\n";

/* A number from min to max for opt, or -1 and a word on stderr. */
static int
parse_num(const char *opt, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || *s == '-' || v < min ||
	    v > max) {
		fprintf(stderr,
		    "termgramd: %s: '%s' is not a number from %llu "
		    "to %llu\n",
		    opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* SIGINT, SIGTERM: leave the loop, to shut down in order. */
static void
on_signal(struct net_loop *loop, int signo, void *arg)
{
	(void)signo;
	(void)arg;
	net_loop_stop(loop);
}

/*
 * One descriptor per session, and a few for the store: many systems start
 * a process with a soft limit of 1024, far below --max-sessions. Raise it
 * as far as the hard limit allows; returns how many sessions fit.
 */
static unsigned
raise_fd_limit(unsigned sessions)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)sessions + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return sessions;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
		    ? want
		    : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return sessions;
	return rl.rlim_cur > 64 ? (unsigned)(rl.rlim_cur - 64) : 1;
}

/*
 * The options that set a number or a string of the configuration: where
 * it goes and its bounds. The others are handled in set_other().
 */
enum opt_kind { OPT_STR, OPT_UINT, OPT_SIZE, OPT_OTHER };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off; /* in struct server_config */
	unsigned long long min, max;
};

#define CFG(field) offsetof(struct server_config, field)

static const struct opt opts[] = {
    {"bind", OPT_STR, CFG(bind), 0, 0},
    {"port", OPT_UINT, CFG(port), 0, 65535},
    {"data", OPT_STR, CFG(data_dir), 0, 0},
    {"heartbeat", OPT_UINT, CFG(heartbeat_s), 1, 3600},
    {"max-frame", OPT_SIZE, CFG(max_frame), PROTO_MIN_FRAME, 16 * 1024 * 1024},
    {"max-login-line", OPT_SIZE, CFG(max_login_line), 2048, 16 * 1024 * 1024},
    {"log-level", OPT_OTHER, 0, 0, 0},
    {"grace-ms", OPT_UINT, CFG(grace_ms), 0, 1000},
    {"max-sessions", OPT_UINT, CFG(max_sessions), 1, 1000000},
    {"rate", OPT_UINT, CFG(rate), 0, 100000000},
    {"max-output", OPT_SIZE, CFG(max_output), 1024 * 1024, 1ULL << 34},
    {"max-output-total", OPT_SIZE, CFG(max_output_total), 0, 1ULL << 40},
    {"sync", OPT_OTHER, 0, 0, 0},
    {"max-stall", OPT_UINT, CFG(max_stall_s), 1, 3600},
    {"ticket-seconds", OPT_UINT, CFG(ticket_s), 1, 3600},
    {"login-timeout", OPT_UINT, CFG(login_timeout_s), 1, 3600},
    {"queue-max-frames", OPT_SIZE, CFG(queue_max_frames), 0, 1ULL << 40},
    {"queue-max-bytes", OPT_SIZE, CFG(queue_max_bytes), 0, 1ULL << 50},
    {"name", OPT_OTHER, 0, 0, 0},
    {"tls", OPT_OTHER, 0, 0, 0},
    {"cert", OPT_STR, CFG(cert), 0, 0},
    {"key", OPT_STR, CFG(key), 0, 0},
    {"hash-threads", OPT_UINT, CFG(hash_threads), 0, 64},
    {"hash-queue", OPT_UINT, CFG(hash_queue), 0, 100000},
    {"name-failures", OPT_UINT, CFG(name_failures), 1, 1000000},
    {"addr-failures", OPT_UINT, CFG(addr_failures), 1, 1000000},
    {"max-delay", OPT_UINT, CFG(max_delay_s), 1, 86400},
    {"max-per-address", OPT_UINT, CFG(max_per_addr), 0, 1000000},
    {"max-registrations", OPT_UINT, CFG(max_regs), 0, 1000000},
};

static bool print_fingerprint; /* --fingerprint: print it and exit */

#define NOPTS (sizeof opts / sizeof opts[0])

/* The options that are not in the table's terms: a word, or a name. */
static int
set_other(const char *name, const char *arg, struct server_config *cfg)
{
	enum server_log_level level;

	if (strcmp(name, "log-level") == 0) {
		if (server_log_parse_level(arg, &level) != 0) {
			fprintf(stderr,
			    "termgramd: --log-level: '%s' "
			    "is not error, warn, info or debug\n",
			    arg);
			return -1;
		}
		server_log_set_level(level);
	} else if (strcmp(name, "sync") == 0) {
		if (strcmp(arg, "full") == 0)
			cfg->sync_full = true;
		else if (strcmp(arg, "normal") == 0)
			cfg->sync_full = false;
		else {
			fprintf(stderr,
			    "termgramd: --sync: '%s' is "
			    "not full or normal\n",
			    arg);
			return -1;
		}
	} else if (strcmp(name, "tls") == 0) {
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
			fprintf(stderr,
			    "termgramd: --tls: '%s' is not on or off\n", arg);
			return -1;
		}
		cfg->tls = strcmp(arg, "on") == 0;
	} else {
		if (*arg == '\0' || strlen(arg) > SERVER_MAX_NAME) {
			fprintf(stderr,
			    "termgramd: --name: '%s' is %zu bytes; a relay's "
			    "name is 1 to %d bytes\n",
			    arg, strlen(arg), SERVER_MAX_NAME);
			return -1;
		}
		cfg->name = arg;
	}
	return 0;
}

/* Set what option o says from its argument. */
static int
set_option(const struct opt *o, const char *arg, struct server_config *cfg)
{
	char *field = (char *)cfg + o->off;
	char optname[32];
	unsigned long long v;

	if (o->kind == OPT_OTHER)
		return set_other(o->name, arg, cfg);
	if (o->kind == OPT_STR) {
		memcpy(field, &arg, sizeof arg);
		return 0;
	}
	snprintf(optname, sizeof optname, "--%s", o->name);
	if (parse_num(optname, arg, o->min, o->max, &v) != 0)
		return -1;
	if (o->kind == OPT_UINT)
		*(unsigned *)(void *)field = (unsigned)v;
	else
		*(size_t *)(void *)field = (size_t)v;
	return 0;
}

/*
 * The command line into cfg. Returns 0 to run, 1 when the answer was
 * printed (--help, --version), -1 on a usage error.
 */
static int
parse_args(
    int argc, char **argv, struct server_config *cfg, bool *max_sessions_set)
{
	struct option longopts[NOPTS + 4];
	size_t i;
	int c, idx;

	for (i = 0; i < NOPTS; i++)
		longopts[i] =
		    (struct option){opts[i].name, required_argument, NULL, 0};
	longopts[i++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[i++] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[i++] = (struct option){"fingerprint", no_argument, NULL, 'F'};
	longopts[i] = (struct option){NULL, 0, NULL, 0};
	while ((c = getopt_long(argc, argv, "hV", longopts, &idx)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (c == 'F') {
			print_fingerprint = true;
			continue;
		}
		if (c == 'V') {
			printf("termgramd %s (protocol %d)\n", TERMGRAM_VERSION,
			    PROTO_VERSION);
			return 1;
		}
		if (c != 0 || set_option(&opts[idx], optarg, cfg) != 0)
			return -1;
		if (opts[idx].off == CFG(max_sessions))
			*max_sessions_set = true;
	}
	if (optind != argc) {
		fprintf(stderr, "termgramd: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	return 0;
}

/* Without --data: $XDG_STATE_HOME/termgram or ~/.local/state/termgram. */
static int
default_data_dir(char *data, size_t len)
{
	const char *base;

	if ((base = getenv("XDG_STATE_HOME")) != NULL && *base == '/')
		snprintf(data, len, "%s/termgram", base);
	else if ((base = getenv("HOME")) != NULL && *base != '\0')
		snprintf(data, len, "%s/.local/state/termgram", base);
	else {
		fprintf(stderr, "termgramd: no HOME; give --data\n");
		return -1;
	}
	return 0;
}

/*
 * Fit the sessions to the open-files limit: the default follows the
 * system; a number asked for is kept, and its shortfall said.
 */
static void
fit_sessions(struct server_config *cfg, bool max_sessions_set)
{
	unsigned fit;

	if ((fit = raise_fd_limit(cfg->max_sessions)) >= cfg->max_sessions)
		return;
	server_log(max_sessions_set ? SERVER_LOG_WARN : SERVER_LOG_INFO,
	    "open files limited (ulimit -n): about %u sessions%s", fit,
	    max_sessions_set ? ", fewer than --max-sessions" : "");
	if (!max_sessions_set)
		cfg->max_sessions = fit;
}

/*
 * termgramd --fingerprint: the relay's key fingerprint in the form people
 * compare, made first if the data folder has none yet (said on stderr).
 */
static int
fingerprint(const struct server_config *cfg)
{
	struct net_id *id;
	char path[PATH_MAX], err[512], txt[UTIL_FP_TEXT];
	bool had;

	snprintf(path, sizeof path, "%s/relay.key", cfg->data_dir);
	had = cfg->key != NULL || access(path, F_OK) == 0;
	if ((id = server_relay_identity(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "termgramd: %s\n", err);
		return 1;
	}
	if (!had)
		fprintf(stderr, "termgramd: made a new key in %s\n", path);
	util_fp_text(net_id_fingerprint(id), txt);
	printf("%s\n", txt);
	net_id_free(id);
	return 0;
}

/* Run the relay until a signal, then shut it down. */
static int
run(const struct server_config *cfg)
{
	struct server_relay *r;
	struct net_loop *loop;
	char err[512];
	uint64_t deadline;

	loop = net_loop_new();
	r = server_relay_new(loop, cfg, err, sizeof err);
	if (r == NULL) {
		fprintf(stderr, "termgramd: %s\n", err);
		net_loop_free(loop);
		return 1;
	}
	net_loop_signal(loop, SIGINT, on_signal, NULL);
	net_loop_signal(loop, SIGTERM, on_signal, NULL);
	fprintf(
	    stderr, "termgramd: listening on %s\n", server_relay_address(r));
	fflush(stderr);

	if (net_loop_run(loop) != 0)
		server_log(SERVER_LOG_ERROR, "event loop: %s", strerror(errno));

	/* Say BYE, store what waits, flush for at most two seconds. */
	server_log(SERVER_LOG_INFO, "shutting down");
	server_relay_shutdown(r);
	deadline = net_clock_ms() + 2000;
	while (!server_relay_is_drained(r) && net_clock_ms() < deadline)
		net_loop_run_once(loop, 50);
	net_loop_run_once(loop, 0);
	server_relay_free(r);
	net_loop_free(loop);
	return 0;
}

/* termgramd [options]: see usage. */
int
main(int argc, char **argv)
{
	struct server_config cfg;
	char data[PATH_MAX];
	bool max_sessions_set = false;
	int rc;

	server_config_defaults(&cfg);
	if ((rc = parse_args(argc, argv, &cfg, &max_sessions_set)) != 0) {
		if (rc > 0)
			return 0;
		fputs(usage, stderr);
		return 2;
	}
	if (cfg.data_dir == NULL) {
		if (default_data_dir(data, sizeof data) != 0)
			return 2;
		cfg.data_dir = data;
	}
	if (print_fingerprint)
		return fingerprint(&cfg);
	signal(SIGPIPE, SIG_IGN);
	fit_sessions(&cfg, max_sessions_set);
	return run(&cfg);
}
