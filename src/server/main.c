/* SPDX-License-Identifier: MIT */
/* termgramd: the relay's command line, signals and main loop. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/loop.h"
#include "proto/frame.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/log.h"
#include "server/relay.h"
#include "server/startup.h"
#include "util/xmalloc.h"

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
    "                 [--queue-max-sender-frames N]\n"
    "                 [--queue-max-sender-bytes BYTES]\n"
    "                 [--tls on|off] [--cert FILE --key FILE]\n"
    "                 [--hash-threads N] [--hash-queue N]\n"
    "                 [--name-failures N] [--addr-failures N]\n"
    "                 [--max-delay S] [--max-per-address N]\n"
    "                 [--max-registrations N] [--config FILE]\n"
    "                 [--keep-days N] [--device-expire-days N]\n"
    "                 [--max-rooms N] [--max-user-rooms N]\n"
    "                 [--max-room-members N]\n"
    "                 [--file-max-size N] [--file-quota N]\n"
    "                 [--file-store-max N] [--file-keep-days N]\n"
    "                 [--log-format text|json] [--log-file PATH]\n"
    "       termgramd --fingerprint [--data DIR] [--cert FILE --key FILE]\n"
    "       termgramd --check-config [--config FILE] [options]\n"
    "       termgramd [--config FILE] [--data DIR] admin COMMAND ...\n"
    "                 (termgramd admin help: the commands)\n"
    "\n"
    "  --config FILE       read the options from FILE, \"key = value\" lines\n"
    "                      (default " TERMGRAM_CONFIG " if it exists);\n"
    "                      the command line wins over it\n"
    "  --check-config      print the settings in force, as a configuration\n"
    "                      file, and exit (2 if the file has an error)\n"
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
    "                      share of --max-output-total) this long, or that\n"
    "                      holds a paused sender this long, is dropped\n"
    "                      (default 30)\n"
    "  --ticket-seconds S  how long a LOOKUP ticket stays valid (default 60)\n"
    "  --login-timeout S   a connection not logged in this long after it was\n"
    "                      accepted (TLS handshake included) is closed\n"
    "                      (default 10)\n"
    "  --queue-max-frames N  frames the relay keeps for one recipient; past\n"
    "                      it a sender gets ERR|QUOTA (default 100000; 0: no\n"
    "                      limit)\n"
    "  --queue-max-bytes BYTES  bytes the relay keeps for one recipient\n"
    "                      (default 268435456, 256 MiB; 0: no limit)\n"
    "  --queue-max-sender-frames N  frames the relay keeps from one sender,\n"
    "                      to all recipients; past it the sender gets\n"
    "                      ERR|QUOTA (default 50000; 0: no limit)\n"
    "  --queue-max-sender-bytes BYTES  bytes the relay keeps from one\n"
    "                      sender (default 134217728, 128 MiB; 0: no limit)\n"
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
    "  --keep-days N       keep each message N days after every device of\n"
    "                      its recipient has it, for devices added later\n"
    "                      (default 0: delete it then)\n"
    "  --device-expire-days N  a device not seen this long loses its place\n"
    "                      in its user's inbox; a user's last device never\n"
    "                      does (default 90; 0: never)\n"
    "  --max-rooms N       rooms on the relay (default 10000; 0: no limit)\n"
    "  --max-user-rooms N  rooms one name may be in (default 100; 0: no\n"
    "                      limit)\n"
    "  --max-room-members N  members of one room (default 1000; 0: no\n"
    "                      limit)\n"
    "  --file-max-size N   the largest file kept for a user who is offline,\n"
    "                      in bytes (default 1073741824; 0: no file store,\n"
    "                      such offers get OFFLINE)\n"
    "  --file-quota N      bytes of files kept for one user (default\n"
    "                      2147483648; 0: no limit)\n"
    "  --file-store-max N  bytes of files kept in all (default 10737418240;\n"
    "                      0: no limit); 1 GiB of the disk stays free\n"
    "  --file-keep-days N  a stored file not taken is dropped after N days\n"
    "                      (default 7)\n"
    "  --name NAME         the relay's name in answers to DISCOVER (default:\n"
    "                      the host name)\n"
    "  --tls on|off        TLS 1.3 on every connection (default on); off\n"
    "                      speaks plaintext, for loopback tests only\n"
    "  --cert FILE         a certificate (PEM) to present instead of the\n"
    "  --key FILE          relay.crt/relay.key made in the data folder\n"
    "  --fingerprint       print the relay's key fingerprint, for clients to\n"
    "                      compare at their first connection, and exit\n"
    "  --log-level L       error, warn, info (default) or debug\n"
    "  --log-format F      text (default) or json: one JSON object a line\n"
    "  --log-file PATH     log into PATH instead of stderr; opened again on\n"
    "                      SIGHUP, which also reads the configuration again\n"
    "  -h, --help          this text\n"
    "  -V, --version       the version\n";

/* A number from min to max, or -1 and why in err. */
static int
parse_num(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char *err, size_t errlen)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || *s == '-' || v < min ||
	    v > max) {
		snprintf(err, errlen, "'%s' is not a number from %llu to %llu",
		    s, min, max);
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
    {"log-format", OPT_OTHER, 0, 0, 0},
    {"log-file", OPT_OTHER, 0, 0, 0},
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
    {"queue-max-sender-frames", OPT_SIZE, CFG(queue_max_s_frames), 0,
        1ULL << 40},
    {"queue-max-sender-bytes", OPT_SIZE, CFG(queue_max_s_bytes), 0, 1ULL << 50},
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
    {"max-devices", OPT_UINT, CFG(max_devices), 1, 1000},
    {"max-name-sessions", OPT_UINT, CFG(max_name_sessions), 1, 100000},
    {"keep-days", OPT_UINT, CFG(keep_days), 0, 36500},
    {"device-expire-days", OPT_UINT, CFG(device_expire_days), 0, 36500},
    {"max-rooms", OPT_UINT, CFG(max_rooms), 0, 100000000},
    {"max-user-rooms", OPT_UINT, CFG(max_user_rooms), 0, 1000000},
    {"max-room-members", OPT_UINT, CFG(max_room_members), 0, 1000000},
    {"file-max-size", OPT_SIZE, CFG(file_max_size), 0, 1ULL << 50},
    {"file-quota", OPT_SIZE, CFG(file_quota), 0, 1ULL << 50},
    {"file-store-max", OPT_SIZE, CFG(file_store_max), 0, 1ULL << 50},
    {"file-keep-days", OPT_UINT, CFG(file_keep_days), 1, 36500},
};

#define NOPTS (sizeof opts / sizeof opts[0])

/*
 * The options SIGHUP changes in the running relay (docs/relay.md); a
 * change of any other is logged as needing a restart, and not applied.
 */
static const char *const live_opts[] = {"log-level", "log-format", "log-file",
    "name", "rate", "max-output", "max-stall", "ticket-seconds",
    "login-timeout", "max-sessions", "name-failures", "addr-failures",
    "max-delay", "max-per-address", "max-registrations", "device-expire-days"};

/* Everything the options set, and where each one came from. */
struct settings {
	struct server_config cfg; /* first: the table's offsets are in it */
	enum server_log_level level;
	enum server_log_format format;
	const char *log_file; /* NULL: stderr */
	bool cli[NOPTS]; /* given on the command line */
	bool file[NOPTS]; /* given in the configuration file */
};

static bool print_fingerprint; /* --fingerprint: print it and exit */
static bool check_config; /* --check-config: print the settings, exit */
static bool admin_mode; /* termgramd ... admin COMMAND */
static const char *config_path; /* --config FILE */

/* The option of the table called name, or NULL. */
static const struct opt *
opt_find(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

/* Whether SIGHUP applies a change of option o. */
static bool
opt_is_live(const struct opt *o)
{
	size_t i;

	for (i = 0; i < sizeof live_opts / sizeof live_opts[0]; i++)
		if (strcmp(live_opts[i], o->name) == 0)
			return true;
	return false;
}

/* A word of two, as --sync and --tls take them: 1, 0, or -1 and err. */
static int
parse_word(
    const char *arg, const char *yes, const char *no, char *err, size_t errlen)
{
	if (strcmp(arg, yes) == 0)
		return 1;
	if (strcmp(arg, no) == 0)
		return 0;
	snprintf(err, errlen, "'%s' is not %s or %s", arg, yes, no);
	return -1;
}

/* The options that are not in the table's terms: a word, or a name. */
static int
set_other(const char *name, const char *arg, struct settings *st, char *err,
    size_t errlen)
{
	int v = 0;

	if (strcmp(name, "log-level") == 0) {
		if ((v = server_log_parse_level(arg, &st->level)) != 0)
			snprintf(err, errlen,
			    "'%s' is not error, warn, info or debug", arg);
	} else if (strcmp(name, "log-format") == 0) {
		if ((v = server_log_parse_format(arg, &st->format)) != 0)
			snprintf(err, errlen, "'%s' is not text or json", arg);
	} else if (strcmp(name, "log-file") == 0) {
		st->log_file = arg;
	} else if (strcmp(name, "sync") == 0) {
		if ((v = parse_word(arg, "full", "normal", err, errlen)) >= 0)
			st->cfg.sync_full = v;
	} else if (strcmp(name, "tls") == 0) {
		if ((v = parse_word(arg, "on", "off", err, errlen)) >= 0)
			st->cfg.tls = v;
	} else {
		if (*arg == '\0' || strlen(arg) > SERVER_MAX_NAME) {
			snprintf(err, errlen,
			    "'%s' is %zu bytes; a relay's name is 1 to %d "
			    "bytes",
			    arg, strlen(arg), SERVER_MAX_NAME);
			return -1;
		}
		st->cfg.name = arg;
	}
	return v < 0 ? -1 : 0;
}

/* Set what option o says from its argument; -1 and why in err. */
static int
set_option(const struct opt *o, const char *arg, struct settings *st, char *err,
    size_t errlen)
{
	char *field = (char *)&st->cfg + o->off;
	unsigned long long v;

	if (o->kind == OPT_OTHER)
		return set_other(o->name, arg, st, err, errlen);
	if (o->kind == OPT_STR) {
		memcpy(field, &arg, sizeof arg);
		return 0;
	}
	if (parse_num(arg, o->min, o->max, &v, err, errlen) != 0)
		return -1;
	if (o->kind == OPT_UINT)
		*(unsigned *)(void *)field = (unsigned)v;
	else
		*(size_t *)(void *)field = (size_t)v;
	return 0;
}

/* Fill the options of getopt_long from the table, and the others. */
static void
fill_longopts(struct option *longopts)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		longopts[i] =
		    (struct option){opts[i].name, required_argument, NULL, 0};
	longopts[i++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[i++] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[i++] = (struct option){"fingerprint", no_argument, NULL, 'F'};
	longopts[i++] = (struct option){"config", required_argument, NULL, 'C'};
	longopts[i++] = (struct option){"check-config", no_argument, NULL, 'K'};
	longopts[i] = (struct option){NULL, 0, NULL, 0};
}

/*
 * The command line into st (again on SIGHUP). Returns 0 to run, 1 when
 * the answer was printed (--help, --version), -1 on a usage error.
 */
static int
parse_args(int argc, char **argv, struct settings *st)
{
	struct option longopts[NOPTS + 6];
	char err[256];
	int c, idx;

	fill_longopts(longopts);
	optind = 0; /* GNU: start over, for the second reading */
	while ((c = getopt_long(argc, argv, "hV", longopts, &idx)) != -1) {
		if (c == 'h' || c == 'V') {
			if (c == 'h')
				fputs(usage, stdout);
			else
				printf("termgramd %s (protocol %d)\n",
				    TERMGRAM_VERSION, PROTO_VERSION);
			return 1;
		}
		if (c == 'F' || c == 'K' || c == 'C') {
			print_fingerprint |= c == 'F';
			check_config |= c == 'K';
			if (c == 'C')
				config_path = optarg;
			continue;
		}
		if (c != 0)
			return -1;
		if (set_option(&opts[idx], optarg, st, err, sizeof err) != 0) {
			fprintf(stderr, "termgramd: --%s: %s\n", opts[idx].name,
			    err);
			return -1;
		}
		st->cli[idx] = true;
	}
	if (optind != argc) {
		fprintf(stderr, "termgramd: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	return 0;
}

/* One setting of the configuration file; the command line wins. */
static int
file_set(
    const char *key, const char *value, void *arg, char *err, size_t errlen)
{
	struct settings *st = arg, scratch;
	const struct opt *o;
	size_t i;

	if ((o = opt_find(key)) == NULL) {
		snprintf(err, errlen, "no such option (termgramd --help)");
		return -1;
	}
	i = (size_t)(o - opts);
	if (*value == '\0') {
		snprintf(err, errlen, "no value");
		return -1;
	}
	if (st->file[i]) {
		snprintf(err, errlen, "given twice");
		return -1;
	}
	st->file[i] = true;
	if (!st->cli[i])
		return set_option(o, value, st, err, errlen);
	scratch = *st; /* checked all the same */
	return set_option(o, value, &scratch, err, errlen);
}

/* The configuration file to read: --config, or the default if it exists. */
static const char *
config_file(void)
{
	if (config_path != NULL)
		return config_path;
	if (access(TERMGRAM_CONFIG, F_OK) == 0)
		return TERMGRAM_CONFIG;
	return NULL;
}

/*
 * Defaults, the command line, then the configuration file for what the
 * command line left. 0, 1 (answered), -1 (usage, said), 2 (the file's
 * error in err); *cf gets the file's values, which st points into.
 */
static int
settings_load(int argc, char **argv, struct settings *st,
    struct server_conffile **cf, char *err, size_t errlen)
{
	const char *path;
	int rc;

	memset(st, 0, sizeof *st);
	server_config_defaults(&st->cfg);
	st->level = SERVER_LOG_INFO;
	st->format = SERVER_LOG_TEXT;
	*cf = NULL;
	if ((rc = parse_args(argc, argv, st)) != 0)
		return rc;
	if ((path = config_file()) == NULL)
		return 0;
	if ((*cf = server_conffile_read(path, file_set, st, err, errlen)) ==
	    NULL)
		return 2;
	return 0;
}

/* The running relay and what SIGHUP needs to read its settings again. */
struct daemon {
	int argc;
	char **argv;
	struct settings st; /* in force */
	struct server_relay *relay;
	struct server_conffile **files; /* every one read: st points in */
	size_t nfiles, capfiles;
};

/*
 * What the options leave to the system: the data folder, and the sessions
 * the open-files limit allows (on SIGHUP, those found at the start).
 */
static int
settings_finish(struct settings *st, const struct settings *running)
{
	static char data[PATH_MAX];
	size_t ms = (size_t)(opt_find("max-sessions") - opts);
	bool set = st->cli[ms] || st->file[ms];

	if (st->cfg.data_dir == NULL) {
		if (data[0] == '\0' &&
		    server_startup_data_dir(data, sizeof data) != 0)
			return -1;
		st->cfg.data_dir = data;
	}
	if (running != NULL && !set)
		st->cfg.max_sessions = running->cfg.max_sessions;
	else if (!check_config && !print_fingerprint && !admin_mode)
		server_startup_fit_sessions(&st->cfg, set);
	return 0;
}

/* The value of option o in st, as the configuration file writes it. */
static void
opt_render(
    const struct opt *o, const struct settings *st, char *buf, size_t len)
{
	const char *field = (const char *)&st->cfg + o->off, *s = NULL;

	if (o->kind == OPT_UINT)
		snprintf(
		    buf, len, "%u", *(const unsigned *)(const void *)field);
	else if (o->kind == OPT_SIZE)
		snprintf(buf, len, "%zu", *(const size_t *)(const void *)field);
	else {
		if (o->kind == OPT_STR)
			memcpy(&s, field, sizeof s);
		else if (strcmp(o->name, "log-level") == 0)
			s = server_log_level_name(st->level);
		else if (strcmp(o->name, "log-format") == 0)
			s = server_log_format_name(st->format);
		else if (strcmp(o->name, "log-file") == 0)
			s = st->log_file;
		else if (strcmp(o->name, "sync") == 0)
			s = st->cfg.sync_full ? "full" : "normal";
		else if (strcmp(o->name, "tls") == 0)
			s = st->cfg.tls ? "on" : "off";
		else
			s = st->cfg.name;
		snprintf(buf, len, "%s", s != NULL ? s : "");
	}
}

/* --check-config: every setting in force, as a configuration file. */
static int
print_settings(const struct settings *st)
{
	char v[PATH_MAX];
	size_t i;

	printf("# termgramd %s: the settings in force (%s)\n", TERMGRAM_VERSION,
	    config_file() != NULL ? config_file() : "no configuration file");
	for (i = 0; i < NOPTS; i++) {
		opt_render(&opts[i], st, v, sizeof v);
		printf("%s%s =%s%s\n", *v == '\0' ? "#" : "", opts[i].name,
		    *v == '\0' ? "" : " ", v);
	}
	return 0;
}

/* Give the running settings to the option o's value from the new ones. */
static void
opt_copy(const struct opt *o, struct settings *to, const struct settings *from)
{
	size_t size = o->kind == OPT_UINT ? sizeof(unsigned)
	    : o->kind == OPT_SIZE         ? sizeof(size_t)
	                                  : sizeof(const char *);

	if (o->kind != OPT_OTHER)
		memcpy((char *)&to->cfg + o->off,
		    (const char *)&from->cfg + o->off, size);
	else if (strcmp(o->name, "log-level") == 0)
		to->level = from->level;
	else if (strcmp(o->name, "log-format") == 0)
		to->format = from->format;
	else if (strcmp(o->name, "log-file") == 0)
		to->log_file = from->log_file;
	else if (strcmp(o->name, "name") == 0)
		to->cfg.name = from->cfg.name;
}

/* Apply what changed from d's settings to st where it can; log each. */
static void
reload_apply(struct daemon *d, const struct settings *st)
{
	char was[PATH_MAX], now[PATH_MAX], err[512];
	unsigned changed = 0;
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const char *const fields[] = {"option", opts[i].name, "was",
		    was, "now", now, "applied",
		    opt_is_live(&opts[i]) ? "yes" : "no", NULL};

		opt_render(&opts[i], &d->st, was, sizeof was);
		opt_render(&opts[i], st, now, sizeof now);
		if (strcmp(was, now) == 0)
			continue;
		changed++;
		if (!opt_is_live(&opts[i])) {
			server_log_fields(SERVER_LOG_WARN, fields,
			    "reload: %s: '%s' -> '%s' needs a restart; "
			    "'%s' stays in force",
			    opts[i].name, was, now, was);
			continue;
		}
		/* The log's own settings first: this line goes as they say. */
		opt_copy(&opts[i], &d->st, st);
		server_log_set_level(d->st.level);
		server_log_set_format(d->st.format);
		if (strcmp(opts[i].name, "log-file") == 0 &&
		    server_log_open(d->st.log_file, err, sizeof err) != 0)
			server_log(SERVER_LOG_ERROR, "reload: %s", err);
		server_log_fields(SERVER_LOG_INFO, fields,
		    "reload: %s: '%s' -> '%s'", opts[i].name, was, now);
	}
	server_relay_set_config(d->relay, &d->st.cfg);
	if (changed == 0)
		server_log(SERVER_LOG_INFO, "reload: nothing changed");
}

/*
 * SIGHUP: open the log file again (it may have been rotated), read the
 * configuration again and apply the options that can change while running.
 */
static void
on_hup(struct net_loop *loop, int signo, void *arg)
{
	struct daemon *d = arg;
	struct server_conffile *cf;
	struct settings st;
	char err[512];

	(void)loop;
	(void)signo;
	if (server_log_reopen(err, sizeof err) != 0)
		server_log(SERVER_LOG_ERROR, "reload: %s", err);
	if (config_file() != NULL)
		server_log(
		    SERVER_LOG_INFO, "reload: reading %s", config_file());
	else
		server_log(SERVER_LOG_INFO, "reload: no configuration file");
	if (settings_load(d->argc, d->argv, &st, &cf, err, sizeof err) != 0 ||
	    settings_finish(&st, &d->st) != 0) {
		server_log(SERVER_LOG_ERROR,
		    "reload: %s; the settings in force stay", err);
		server_conffile_free(cf);
		return;
	}
	if (cf != NULL) {
		XGROW(d->files, d->capfiles, d->nfiles + 1, 4);
		d->files[d->nfiles++] = cf;
	}
	reload_apply(d, &st);
}

/* Run the relay until a signal, then shut it down. */
static int
run(struct daemon *d)
{
	struct net_loop *loop;
	char err[512];
	uint64_t deadline;

	loop = net_loop_new();
	d->relay = server_relay_new(loop, &d->st.cfg, err, sizeof err);
	if (d->relay == NULL) {
		server_log(SERVER_LOG_ERROR, "%s", err);
		net_loop_free(loop);
		return 1;
	}
	net_loop_signal(loop, SIGINT, on_signal, NULL);
	net_loop_signal(loop, SIGTERM, on_signal, NULL);
	net_loop_signal(loop, SIGHUP, on_hup, d);
	/* Said at any level: scripts wait for this line. */
	server_log_set_level(SERVER_LOG_INFO);
	server_log_fields(SERVER_LOG_INFO,
	    (const char *const[]){"addr", server_relay_address(d->relay), NULL},
	    "listening on %s", server_relay_address(d->relay));
	server_log_set_level(d->st.level);

	if (net_loop_run(loop) != 0)
		server_log(SERVER_LOG_ERROR, "event loop: %s", strerror(errno));

	/* Say BYE, store what waits, flush for at most two seconds. */
	server_log(SERVER_LOG_INFO, "shutting down");
	server_relay_shutdown(d->relay);
	deadline = net_clock_ms() + 2000;
	while (!server_relay_is_drained(d->relay) && net_clock_ms() < deadline)
		net_loop_run_once(loop, 50);
	net_loop_run_once(loop, 0);
	server_relay_free(d->relay);
	net_loop_free(loop);
	return 0;
}

/* Start logging where and how the settings say; exit status or 0. */
static int
start(struct daemon *d)
{
	char err[512];
	int rc;

	server_log_set_level(d->st.level);
	server_log_set_format(d->st.format);
	if (d->st.log_file != NULL &&
	    server_log_open(d->st.log_file, err, sizeof err) != 0) {
		fprintf(stderr, "termgramd: %s\n", err);
		return 1;
	}
	if (config_file() != NULL)
		server_log_fields(SERVER_LOG_INFO,
		    (const char *const[]){"file", config_file(), NULL},
		    "configuration: %s", config_file());
	if (settings_finish(&d->st, NULL) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	rc = run(d);
	server_log_close();
	return rc;
}

/* termgramd [options]: see usage. */
int
main(int argc, char **argv)
{
	struct daemon d = {.argc = argc, .argv = argv};
	struct server_conffile *cf;
	char err[512];
	size_t i;
	int rc;

	for (i = 1; i < (size_t)argc && strcmp(argv[i], "admin") != 0; i++)
		;
	rc = settings_load((int)i, argv, &d.st, &cf, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc < 0)
		fputs(usage, stderr);
	if (rc == 2)
		fprintf(stderr, "termgramd: %s\n", err);
	if (rc != 0)
		return 2;
	admin_mode = i < (size_t)argc;
	if (admin_mode)
		rc = settings_finish(&d.st, NULL) != 0
		    ? 2
		    : server_admin_main(&d.st.cfg, argc - (int)i, argv + i);
	else if (check_config)
		rc = settings_finish(&d.st, NULL) != 0 ? 2
		                                       : print_settings(&d.st);
	else if (print_fingerprint)
		rc = settings_finish(&d.st, NULL) != 0
		    ? 2
		    : server_startup_fingerprint(&d.st.cfg);
	else
		rc = start(&d);
	server_conffile_free(cf);
	for (i = 0; i < d.nfiles; i++)
		server_conffile_free(d.files[i]);
	free(d.files);
	return rc;
}
