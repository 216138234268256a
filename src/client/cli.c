#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <wchar.h>
#include <wctype.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/session.h"
#include "net/loop.h"
#include "proto/frame.h"
#include "util/map.h"
#include "util/xmalloc.h"

enum cli_cmd { CLI_SEND, CLI_RECV, CLI_WHO, CLI_ECHO, CLI_SENDFILE };

struct cli {
	enum cli_cmd cmd;
	struct net_loop *loop;
	struct client_session *s;
	struct util_map *waiting; /* send: ids not yet safe */
	size_t failed;
	unsigned long count; /* recv: stop after these */
	unsigned long got;
	bool done;
	int status;
	struct net_timer deadline;
	struct net_timer progress;
	bool accept_files; /* recv: take every offer */
	char xfer[PROTO_MAX_ID + 1]; /* sendfile: ours */
};

static const char usage[] =
    "usage: termgram send [OPTIONS] [--stdin] [--timeout S] TO [TEXT...]\n"
    "       termgram recv [OPTIONS] [--count N] [--timeout S]\n"
    "       termgram sendfile [OPTIONS] [--timeout S] TO PATH\n"
    "       termgram recv [OPTIONS] --accept-files [--dir DIR] ...\n"
    "       termgram who  [OPTIONS]\n"
    "       termgram echo-bot [OPTIONS]\n"
    "\n"
    "OPTIONS (any order, before the command's own arguments):\n"
    "  --host H     the relay (default 127.0.0.1)\n"
    "  --port P     its port (default 7733)\n"
    "  --user NAME  who you are (required)\n"
    "  --data DIR   your local store (default\n"
    "               $XDG_DATA_HOME/termgram/NAME@HOST)\n"
    "  --p2p        P2P mode: messages and files go straight to peers who\n"
    "               take them, by the relay when they cannot (docs/p2p.md)\n"
    "  --p2p-port P where peers reach you in P2P mode (default: any)\n"
    "  --light      P2P light: no relay connection while idle; UDP ALIVE\n"
    "               keeps you online (implies --p2p)\n"
    "  --heartbeat S  heartbeat interval (default 15); ALIVE goes at this\n"
    "               or the relay's, whichever is shorter\n"
    "The password comes from TERMGRAM_PASSWORD (unset or empty: an open\n"
    "name).\n"
    "\n"
    "send   sends TEXT (or, with --stdin, every line of standard input as\n"
    "       its own message) and waits until each is safe: stored by the\n"
    "       relay or delivered. Exit 0 when all are; 1 otherwise (what was\n"
    "       not confirmed stays in the outbox and goes with the next\n"
    "       connection).\n"
    "recv   prints each new message as TS<TAB>FROM<TAB>TEXT (\\n, \\t, \\r\n"
    "       and \\\\ escaped) and confirms it once stored; stops after N\n"
    "       messages (exit 1 if the timeout comes first) or S seconds.\n"
    "who    prints the contact list: NAME<TAB>online|offline<TAB>LAST-SEEN\n"
    "       (milliseconds since the epoch).\n"
    "sendfile  offers PATH to TO and sends it once accepted, with progress\n"
    "       on stderr; exit 0 when the receiver has verified it (SHA-256)\n"
    "       and saved it, 1 if it was refused, cancelled or failed.\n"
    "recv --accept-files  also accepts every file offered, into --dir DIR\n"
    "       (default $XDG_DOWNLOAD_DIR/termgram or ~/Downloads/termgram),\n"
    "       and prints FILE<TAB>FROM<TAB>PATH<TAB>SIZE when one is saved;\n"
    "       --count counts files too.\n"
    "echo-bot  answers every message with the same text in upper case,\n"
    "       until interrupted.\n";

static const char *
cmd_name(enum cli_cmd cmd)
{
	switch (cmd) {
	case CLI_SEND:
		return "send";
	case CLI_RECV:
		return "recv";
	case CLI_WHO:
		return "who";
	case CLI_SENDFILE:
		return "sendfile";
	case CLI_ECHO:
		break;
	}
	return "echo-bot";
}

static void
cli_finish(struct cli *c, int status)
{
	if (c->done)
		return;
	c->done = true;
	c->status = status;
	net_loop_stop(c->loop);
}

static void
cli_state(
    void *arg, enum client_conn_state st, const char *detail, uint64_t retry)
{
	struct cli *c = arg;

	if (st == CLIENT_WAITING)
		fprintf(stderr, "termgram: %s; retrying in %.1f s\n",
		    detail != NULL ? detail : "disconnected",
		    (double)retry / 1000);
	else if (st == CLIENT_FAILED) {
		fprintf(stderr, "termgram: %s\n",
		    detail != NULL ? detail : "refused");
		cli_finish(c, 1);
	}
}

static void
cli_error(void *arg, const char *code, const char *ref, const char *text)
{
	(void)arg;
	fprintf(stderr, "termgram: relay error %s%s%s: %s\n", code,
	    strcmp(ref, "-") != 0 ? " about " : "",
	    strcmp(ref, "-") != 0 ? ref : "", text);
}

static void
cli_msg_state(void *arg, const char *id, enum client_msg_state st)
{
	struct cli *c = arg;

	if (c->cmd != CLI_SEND ||
	    util_map_remove(c->waiting, id, strlen(id)) == NULL)
		return;
	if (st == CLIENT_MSG_FAILED)
		c->failed++;
	if (util_map_count(c->waiting) == 0)
		cli_finish(c, c->failed > 0 ? 1 : 0);
}

/* Print text on one line: escape what would break it. */
static void
print_escaped(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\0':
			fputs("\\0", stdout);
			break;
		default:
			putchar(p[i]);
		}
	}
}

/* Print a received message once and remember that it was shown. */
static void
cli_show(struct cli *c, const struct client_msg *m)
{
	if (c->done)
		return;
	client_store_mark_seen(client_session_store(c->s), m->sender, m->id);
	printf("%llu\t%s\t", (unsigned long long)m->ts, m->sender);
	print_escaped(m->body, m->len);
	putchar('\n');
	fflush(stdout);
	if (c->count > 0 && ++c->got >= c->count)
		cli_finish(c, 0);
}

static void
cli_unread(void *arg, const struct client_msg *m)
{
	cli_show(arg, m);
}

/*
 * The echo bot, the seed design's first "naive" server: every message
 * comes back in upper case.
 */
static void
echo_reply(struct cli *c, const struct client_msg *m)
{
	char *out, id[PROTO_MAX_ID + 1], err[256];
	mbstate_t in, outst;
	size_t i = 0, o = 0, n;
	wchar_t wc;

	out = xmalloc(m->len * 2 + 8);
	memset(&in, 0, sizeof in);
	memset(&outst, 0, sizeof outst);
	while (i < m->len) {
		n = mbrtowc(&wc, m->body + i, m->len - i, &in);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			out[o++] = m->body[i++];
			memset(&in, 0, sizeof in);
			continue;
		}
		i += n;
		n = wcrtomb(out + o, (wchar_t)towupper((wint_t)wc), &outst);
		if (n == (size_t)-1)
			n = 0;
		o += n;
	}
	if (o > PROTO_MAX_BODY)
		o = PROTO_MAX_BODY;
	if (client_session_queue_msg(
	        c->s, m->sender, out, o, id, err, sizeof err) != 0)
		fprintf(stderr, "termgram: echo: %s\n", err);
	client_store_mark_seen(client_session_store(c->s), m->sender, m->id);
	free(out);
}

static void
cli_message(void *arg, const struct client_msg *m, bool fresh)
{
	struct cli *c = arg;

	if (m->outgoing)
		return;
	if (c->cmd == CLI_RECV && fresh)
		cli_show(c, m);
	else if (c->cmd == CLI_ECHO && fresh)
		echo_reply(c, m);
}

static void
cli_synced(void *arg)
{
	struct cli *c = arg;
	const struct client_contact *ct;
	size_t i, n;

	if (c->cmd != CLI_WHO)
		return;
	ct = client_session_contacts(c->s, &n);
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%llu\n", ct[i].name,
		    ct[i].online ? "online" : "offline",
		    (unsigned long long)ct[i].last_seen);
	fflush(stdout);
	cli_finish(c, 0);
}

static void
human(double v, char *out, size_t len)
{
	const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, "%.1f %s", v, unit[u]);
}

static void
print_progress(struct cli *c, const struct client_xfer *x, bool end)
{
	char a[32], b[32], r[32];
	double pct =
	    x->size > 0 ? 100.0 * (double)x->done / (double)x->size : 100.0;

	human((double)x->done, a, sizeof a);
	human((double)x->size, b, sizeof b);
	human(x->rate, r, sizeof r);
	fprintf(stderr, "\r%s: %5.1f%% %s of %s, %s/s%s", x->name, pct, a, b, r,
	    end ? "\n" : "   ");
	(void)c;
}

static void
cli_xfer(void *arg, const struct client_xfer *x)
{
	struct cli *c = arg;
	char err[256];

	if (c->cmd == CLI_SENDFILE && strcmp(x->id, c->xfer) == 0) {
		if (x->state == CLIENT_XFER_DONE) {
			print_progress(c, x, true);
			fprintf(stderr,
			    "termgram: %s verified and saved by %s%s\n",
			    x->name, x->peer,
			    x->direct ? " (direct)" : " (through the relay)");
			cli_finish(c, 0);
		} else if (x->state == CLIENT_XFER_FAILED) {
			fprintf(
			    stderr, "\ntermgram: %s: %s\n", x->name, x->reason);
			cli_finish(c, 1);
		}
		return;
	}
	if (c->cmd != CLI_RECV || x->outgoing)
		return;
	if (x->state == CLIENT_XFER_INCOMING && c->accept_files) {
		if (client_xfers_accept(client_session_xfers(c->s), x->id, err,
		        sizeof err) != 0)
			fprintf(stderr, "termgram: %s\n", err);
	} else if (x->state == CLIENT_XFER_DONE) {
		printf("FILE\t%s\t%s\t%llu\n", x->peer, x->path,
		    (unsigned long long)x->size);
		fflush(stdout);
		if (c->count > 0 && ++c->got >= c->count)
			cli_finish(c, 0);
	} else if (x->state == CLIENT_XFER_FAILED)
		fprintf(stderr, "termgram: file %s from %s: %s\n", x->name,
		    x->peer, x->reason);
}

static void
cli_progress(struct net_timer *t, void *arg)
{
	struct cli *c = arg;
	const struct client_xfer *x;

	x = client_xfers_find(client_session_xfers(c->s), c->xfer);
	if (x != NULL &&
	    (x->state == CLIENT_XFER_ACTIVE ||
	        x->state == CLIENT_XFER_VERIFYING))
		print_progress(c, x, false);
	net_timer_start(c->loop, t, 500);
}

static const struct client_events cli_events = {
    .on_xfer = cli_xfer,
    .on_state = cli_state,
    .on_synced = cli_synced,
    .on_message = cli_message,
    .on_msg_state = cli_msg_state,
    .on_error = cli_error,
};

static void
cli_timeout(struct net_timer *t, void *arg)
{
	struct cli *c = arg;

	(void)t;
	if (c->cmd == CLI_SEND)
		fprintf(stderr,
		    "termgram: %zu message(s) not confirmed in time;"
		    " they stay in the outbox and go with the next "
		    "connection\n",
		    util_map_count(c->waiting));
	else if (c->cmd == CLI_RECV && c->count > 0)
		fprintf(stderr,
		    "termgram: %lu of %lu messages before the "
		    "timeout\n",
		    c->got, c->count);
	cli_finish(c, c->cmd == CLI_RECV && c->count == 0 ? 0 : 1);
}

static void
cli_signal(struct net_loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	cli_finish(arg, 130);
}

static int
parse_ulong(
    const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' || v > max) {
		fprintf(stderr,
		    "termgram: %s: '%s' is not a number up to %lu\n", opt, s,
		    max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Read standard input; every line is one message. */
static int
send_stdin(struct cli *c, const char *to)
{
	char *line = NULL, id[PROTO_MAX_ID + 1], err[256];
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (client_session_queue_msg(
		        c->s, to, line, (size_t)n, id, err, sizeof err) != 0) {
			fprintf(stderr, "termgram: %s\n", err);
			rc = -1;
			break;
		}
		util_map_set(c->waiting, id, strlen(id), c);
	}
	free(line);
	return rc;
}

/* Run a headless command; argv[0] is its name. Returns the exit status. */
int
client_cli_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'h'},
	    {"port", required_argument, NULL, 'p'},
	    {"user", required_argument, NULL, 'u'},
	    {"data", required_argument, NULL, 'd'},
	    {"count", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 't'},
	    {"stdin", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'H'},
	    {"accept-files", no_argument, NULL, 'A'},
	    {"dir", required_argument, NULL, 'D'},
	    {"p2p", no_argument, NULL, 'P'},
	    {"p2p-port", required_argument, NULL, 'Q'},
	    {"light", no_argument, NULL, 'L'},
	    {"heartbeat", required_argument, NULL, 'B'}, {NULL, 0, NULL, 0}};
	struct client_config cfg;
	struct cli c;
	char err[512], data[PATH_MAX], id[PROTO_MAX_ID + 1], *text = NULL;
	const char *pw;
	unsigned long v, v2, timeout = 0;
	bool use_stdin = false, has_timeout = false;
	size_t len = 0, k;
	int ch, i, status;

	memset(&c, 0, sizeof c);
	if (strcmp(argv[0], "send") == 0)
		c.cmd = CLI_SEND;
	else if (strcmp(argv[0], "recv") == 0)
		c.cmd = CLI_RECV;
	else if (strcmp(argv[0], "who") == 0)
		c.cmd = CLI_WHO;
	else if (strcmp(argv[0], "echo-bot") == 0)
		c.cmd = CLI_ECHO;
	else if (strcmp(argv[0], "sendfile") == 0)
		c.cmd = CLI_SENDFILE;
	else {
		fprintf(stderr, "termgram: unknown command '%s'\n", argv[0]);
		fputs(usage, stderr);
		return 2;
	}
	client_config_defaults(&cfg);
	cfg.user = NULL;
	cfg.data_dir = NULL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cfg.host = optarg;
			break;
		case 'p':
			if (parse_ulong("--port", optarg, 65535, &v) != 0 ||
			    v == 0) {
				if (v == 0)
					fprintf(stderr,
					    "termgram: --port: 0 "
					    "is not a port to connect to\n");
				return 2;
			}
			cfg.port = (unsigned)v;
			break;
		case 'u':
			cfg.user = optarg;
			break;
		case 'd':
			cfg.data_dir = optarg;
			break;
		case 'c':
			if (c.cmd != CLI_RECV)
				goto only;
			if (parse_ulong("--count", optarg, ULONG_MAX / 2,
			        &c.count) != 0)
				return 2;
			break;
		case 't':
			if (c.cmd == CLI_WHO)
				goto only;
			if (parse_ulong("--timeout", optarg, 86400 * 365,
			        &timeout) != 0)
				return 2;
			has_timeout = true;
			break;
		case 's':
			if (c.cmd != CLI_SEND)
				goto only;
			use_stdin = true;
			break;
		case 'A':
			if (c.cmd != CLI_RECV)
				goto only;
			c.accept_files = true;
			break;
		case 'D':
			if (c.cmd != CLI_RECV)
				goto only;
			cfg.download_dir = optarg;
			break;
		case 'P':
			cfg.p2p = true;
			break;
		case 'L':
			cfg.p2p = true;
			cfg.light = true;
			break;
		case 'B':
			if (parse_ulong("--heartbeat", optarg, 3600, &v2) !=
			        0 ||
			    v2 == 0) {
				if (v2 == 0)
					fprintf(stderr,
					    "termgram: --heartbeat: "
					    "at least 1\n");
				return 2;
			}
			cfg.heartbeat_s = (unsigned)v2;
			break;
		case 'Q':
			if (parse_ulong("--p2p-port", optarg, 65535, &v2) != 0)
				return 2;
			cfg.p2p = true;
			cfg.p2p_port = (unsigned)v2;
			break;
		case 'H':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (cfg.user == NULL) {
		fprintf(stderr, "termgram: --user NAME is required\n");
		return 2;
	}
	if (!proto_is_name(cfg.user, strlen(cfg.user))) {
		fprintf(stderr,
		    "termgram: '%s' is not a valid name: 1-32 of "
		    "A-Z a-z 0-9 _ . -\n",
		    cfg.user);
		return 2;
	}
	if ((c.cmd == CLI_SEND &&
	        (argc < 1 || (argc < 2 && !use_stdin) ||
	            (argc > 1 && use_stdin))) ||
	    (c.cmd == CLI_SENDFILE && argc != 2) ||
	    (c.cmd != CLI_SEND && c.cmd != CLI_SENDFILE && argc > 0)) {
		fprintf(
		    stderr, "termgram: %s: wrong arguments\n", cmd_name(c.cmd));
		fputs(usage, stderr);
		return 2;
	}
	if (cfg.data_dir == NULL) {
		if (client_default_data_dir(
		        cfg.user, cfg.host, data, sizeof data) != 0) {
			fprintf(stderr, "termgram: no HOME; give --data\n");
			return 2;
		}
		cfg.data_dir = data;
	}
	pw = getenv("TERMGRAM_PASSWORD");
	cfg.password = pw != NULL ? pw : "";
	if (c.cmd == CLI_SEND && !has_timeout)
		timeout = 30;

	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_CTYPE, "");
	if (c.cmd == CLI_ECHO && MB_CUR_MAX == 1)
		setlocale(LC_CTYPE, "C.UTF-8");
	c.loop = net_loop_new();
	c.waiting = util_map_new();
	c.s =
	    client_session_new(c.loop, &cfg, &cli_events, &c, err, sizeof err);
	if (c.s == NULL) {
		fprintf(stderr, "termgram: %s\n", err);
		status = 1;
		goto out;
	}
	if (c.cmd == CLI_SENDFILE) {
		if (client_session_send_file(
		        c.s, argv[0], argv[1], c.xfer, err, sizeof err) != 0) {
			fprintf(stderr, "termgram: %s: %s\n", argv[1], err);
			status = 1;
			goto out;
		}
		net_timer_init(&c.progress, cli_progress, &c);
		net_timer_start(c.loop, &c.progress, 500);
	}
	if (c.cmd == CLI_SEND) {
		if (use_stdin) {
			if (send_stdin(&c, argv[0]) != 0) {
				status = 1;
				goto out;
			}
		} else {
			for (i = 1; i < argc; i++)
				len += strlen(argv[i]) + 1;
			text = xmalloc(len);
			for (k = 0, i = 1; i < argc; i++) {
				if (i > 1)
					text[k++] = ' ';
				memcpy(text + k, argv[i], strlen(argv[i]));
				k += strlen(argv[i]);
			}
			if (client_session_queue_msg(c.s, argv[0], text, k, id,
			        err, sizeof err) != 0) {
				fprintf(stderr, "termgram: %s\n", err);
				status = 1;
				goto out;
			}
			util_map_set(c.waiting, id, strlen(id), &c);
		}
		if (util_map_count(c.waiting) == 0) {
			status = 0;
			goto out;
		}
	}
	/* What arrived earlier (during a send, say) but was never shown. */
	if (c.cmd == CLI_RECV &&
	    client_store_unread(client_session_store(c.s), cli_unread, &c) < 0)
		fprintf(stderr, "termgram: %s\n",
		    client_store_error(client_session_store(c.s)));
	if (c.done) {
		status = c.status;
		goto out;
	}
	net_timer_init(&c.deadline, cli_timeout, &c);
	if (timeout > 0)
		net_timer_start(c.loop, &c.deadline, (uint64_t)timeout * 1000);
	net_loop_signal(c.loop, SIGINT, cli_signal, &c);
	net_loop_signal(c.loop, SIGTERM, cli_signal, &c);
	client_session_start(c.s);
	net_loop_run(c.loop);
	status = c.status;
	/* Say goodbye and give the last frames a moment to leave. */
	client_session_stop(c.s);
	net_timer_stop(c.loop, &c.deadline);
	net_timer_stop(c.loop, &c.progress);
	for (i = 0; i < 3; i++)
		net_loop_run_once(c.loop, 10);
out:
	free(text);
	client_session_free(c.s);
	util_map_free(c.waiting);
	net_loop_free(c.loop);
	return status;
only:
	fprintf(stderr, "termgram: that option does not go with %s\n",
	    cmd_name(c.cmd));
	return 2;
}
