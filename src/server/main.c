/* termgramd: the relay's command line, signals and main loop. */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/loop.h"
#include "proto/frame.h"
#include "server/log.h"
#include "server/relay.h"

static const char usage[] =
    "usage: termgramd [--bind ADDR] [--port P] [--data DIR]\n"
    "                 [--heartbeat SECONDS] [--max-frame N]\n"
    "                 [--log-level error|warn|info|debug] [--grace-ms MS]\n"
    "                 [--max-sessions N] [--rate FRAMES] [--max-output BYTES]\n"
    "                 [--sync full|normal] [--max-stall SECONDS]\n"
    "                 [--ticket-seconds S] [--name NAME]\n"
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
    "  --grace-ms MS       how long a forwarded message may wait for its RCPT\n"
    "                      before it is stored (default 200, at most 1000;\n"
    "                      0 stores every message at once)\n"
    "  --max-sessions N    connections at once (default 20000, or what the\n"
    "                      open-files limit allows)\n"
    "  --rate N            frames per second per session before RATE_LIMIT\n"
    "                      (default 50000, bursts of twice that; 0: no limit)\n"
    "  --max-output BYTES  a session's unsent output before it is dropped as\n"
    "                      too slow (default 8388608)\n"
    "  --sync full|normal  fsync every commit (default full) or let the OS\n"
    "                      write it back (survives a crash of the relay, not\n"
    "                      of the machine)\n"
    "  --max-stall S       a session whose output stays over 1 MiB this long\n"
    "                      (it reads nothing) is dropped (default 30)\n"
    "  --ticket-seconds S  how long a LOOKUP ticket stays valid (default 60)\n"
    "  --name NAME         the relay's name in answers to DISCOVER (default:\n"
    "                      the host name)\n"
    "  --log-level L       error, warn, info (default) or debug\n"
    "  -h, --help          this text\n"
    "  -V, --version       the version\n";

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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"bind", required_argument, NULL, 'b'},
	    {"port", required_argument, NULL, 'p'},
	    {"data", required_argument, NULL, 'd'},
	    {"heartbeat", required_argument, NULL, 'H'},
	    {"max-frame", required_argument, NULL, 'F'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"grace-ms", required_argument, NULL, 'g'},
	    {"max-sessions", required_argument, NULL, 's'},
	    {"rate", required_argument, NULL, 'r'},
	    {"max-output", required_argument, NULL, 'o'},
	    {"sync", required_argument, NULL, 'S'},
	    {"max-stall", required_argument, NULL, 'T'},
	    {"ticket-seconds", required_argument, NULL, 't'},
	    {"name", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	struct server_config cfg;
	struct server_relay *r;
	struct net_loop *loop;
	enum server_log_level level;
	unsigned long long v;
	char err[512], data[PATH_MAX];
	const char *base;
	uint64_t deadline;
	unsigned fit;
	bool max_sessions_set = false;
	int c;

	server_config_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			cfg.bind = optarg;
			break;
		case 'p':
			if (parse_num("--port", optarg, 0, 65535, &v) != 0)
				goto bad;
			cfg.port = (unsigned)v;
			break;
		case 'd':
			cfg.data_dir = optarg;
			break;
		case 'H':
			if (parse_num("--heartbeat", optarg, 1, 3600, &v) != 0)
				goto bad;
			cfg.heartbeat_s = (unsigned)v;
			break;
		case 'F':
			if (parse_num("--max-frame", optarg, PROTO_MIN_FRAME,
			        16 * 1024 * 1024, &v) != 0)
				goto bad;
			cfg.max_frame = (size_t)v;
			break;
		case 'l':
			if (server_log_parse_level(optarg, &level) != 0) {
				fprintf(stderr,
				    "termgramd: --log-level: '%s' "
				    "is not error, warn, info or debug\n",
				    optarg);
				goto bad;
			}
			server_log_set_level(level);
			break;
		case 'g':
			if (parse_num("--grace-ms", optarg, 0, 1000, &v) != 0)
				goto bad;
			cfg.grace_ms = (unsigned)v;
			break;
		case 's':
			if (parse_num(
			        "--max-sessions", optarg, 1, 1000000, &v) != 0)
				goto bad;
			cfg.max_sessions = (unsigned)v;
			max_sessions_set = true;
			break;
		case 'r':
			if (parse_num("--rate", optarg, 0, 100000000, &v) != 0)
				goto bad;
			cfg.rate = (unsigned)v;
			break;
		case 'o':
			if (parse_num("--max-output", optarg, 1024 * 1024,
			        1ULL << 34, &v) != 0)
				goto bad;
			cfg.max_output = (size_t)v;
			break;
		case 'S':
			if (strcmp(optarg, "full") == 0)
				cfg.sync_full = true;
			else if (strcmp(optarg, "normal") == 0)
				cfg.sync_full = false;
			else {
				fprintf(stderr,
				    "termgramd: --sync: '%s' is "
				    "not full or normal\n",
				    optarg);
				goto bad;
			}
			break;
		case 'T':
			if (parse_num("--max-stall", optarg, 1, 3600, &v) != 0)
				goto bad;
			cfg.max_stall_s = (unsigned)v;
			break;
		case 't':
			if (parse_num(
			        "--ticket-seconds", optarg, 1, 3600, &v) != 0)
				goto bad;
			cfg.ticket_s = (unsigned)v;
			break;
		case 'n':
			if (*optarg == '\0' || strlen(optarg) > 200) {
				fprintf(stderr,
				    "termgramd: --name: 1 to 200 "
				    "bytes\n");
				goto bad;
			}
			cfg.name = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("termgramd %s (protocol %d)\n", TERMGRAM_VERSION,
			    PROTO_VERSION);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "termgramd: unexpected argument '%s'\n",
		    argv[optind]);
		goto bad;
	}
	if (cfg.data_dir == NULL) {
		if ((base = getenv("XDG_STATE_HOME")) != NULL && *base == '/')
			snprintf(data, sizeof data, "%s/termgram", base);
		else if ((base = getenv("HOME")) != NULL && *base != '\0')
			snprintf(data, sizeof data, "%s/.local/state/termgram",
			    base);
		else {
			fprintf(stderr, "termgramd: no HOME; give --data\n");
			return 2;
		}
		cfg.data_dir = data;
	}

	signal(SIGPIPE, SIG_IGN);
	if ((fit = raise_fd_limit(cfg.max_sessions)) < cfg.max_sessions) {
		/* The default follows the system; a number asked for is
		 * kept, and its shortfall said. */
		server_log(max_sessions_set ? SERVER_LOG_WARN : SERVER_LOG_INFO,
		    "open files limited (ulimit -n): about %u sessions%s", fit,
		    max_sessions_set ? ", fewer than --max-sessions" : "");
		if (!max_sessions_set)
			cfg.max_sessions = fit;
	}
	loop = net_loop_new();
	r = server_relay_new(loop, &cfg, err, sizeof err);
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
bad:
	fputs(usage, stderr);
	return 2;
}
