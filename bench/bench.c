/*
 * termgram-bench: a load generator for termgramd over loopback. One
 * process, one poll() loop, non-blocking connections.
 *
 *   termgram-bench msgs [--host H] [--port P] [--pairs N] [--msgs M]
 *                       [--size S] [--inflight K] [--pid PID]
 *
 * N pairs of sessions; each sender sends M messages of S bytes to its
 * partner with at most K in flight; the receiver answers every MSG with
 * RCPT|delivered as a real client does, and the sender counts a message
 * done on ACK|stored or that RCPT. The send time travels in the text, so
 * latency is measured at the receiver. With --pid, the relay's peak RSS
 * and CPU time are read from /proc.
 */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/loop.h"
#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "util/xmalloc.h"

struct peer {
	struct bench *b;
	struct net_conn *conn;
	struct proto_decoder dec;
	char name[PROTO_MAX_NAME + 1];
	struct peer *partner;
	bool sender;
	bool synced;
	/* sender */
	unsigned long next, done, inflight;
	/* receiver */
	unsigned char *seen;
	unsigned long got, dups;
};

struct bench {
	struct net_loop *loop;
	const char *host;
	unsigned port;
	unsigned long pairs, msgs, size, inflight;
	int pid;
	struct peer *peers;
	unsigned long synced, senders_done, errors;
	uint64_t *lat; /* microseconds */
	size_t nlat;
	uint64_t t0, t1;
	bool running;
	char buf[PROTO_MAX_FRAME];
	char *body;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
send_some(struct peer *p)
{
	struct bench *b = p->b;
	char id[32];
	size_t n;
	int k;

	while (p->inflight < b->inflight && p->next < b->msgs) {
		k = snprintf(b->body, b->size + 1, "%llu ",
		    (unsigned long long)now_us());
		memset(b->body + k, 'x',
		    b->size > (size_t)k ? b->size - (size_t)k : 0);
		snprintf(id, sizeof id, "m%lu", p->next);
		if (proto_build_msg(b->buf, sizeof b->buf, &n, p->name,
		        p->partner->name, 1, id, b->body, b->size) != 0) {
			fprintf(stderr, "message does not fit a frame\n");
			exit(2);
		}
		if (net_conn_write(p->conn, b->buf, n) != 0)
			break;
		p->next++;
		p->inflight++;
	}
}

static void
start_sending(struct bench *b)
{
	unsigned long i;

	b->running = true;
	b->t0 = now_us();
	for (i = 0; i < b->pairs; i++)
		send_some(&b->peers[2 * i]);
}

static void
sender_settled(struct peer *p)
{
	struct bench *b = p->b;

	p->done++;
	p->inflight--;
	if (p->done == b->msgs) {
		if (++b->senders_done == b->pairs) {
			b->t1 = now_us();
			net_loop_stop(b->loop);
		}
		return;
	}
	send_some(p);
}

static void
on_frame(struct peer *p, const struct proto_frame *fr)
{
	struct bench *b = p->b;
	char body[PROTO_MAX_BODY + 1];
	size_t n, len;
	unsigned long seq;

	switch (fr->verb) {
	case PROTO_V_SYNCED:
		if (!p->synced) {
			p->synced = true;
			if (++b->synced == 2 * b->pairs)
				start_sending(b);
		}
		break;
	case PROTO_V_MSG:
		if (proto_text_decode(
		        fr->arg[4], body, sizeof body - 1, &len) != 0)
			break;
		body[len] = '\0';
		b->lat[b->nlat++ % (b->pairs * b->msgs)] =
		    now_us() - strtoull(body, NULL, 10);
		seq = strtoul(fr->arg[3].p + 1, NULL, 10);
		if (seq < b->msgs) {
			if (p->seen[seq])
				p->dups++;
			else {
				p->seen[seq] = 1;
				p->got++;
			}
		}
		n = (size_t)snprintf(b->buf, sizeof b->buf,
		    "RCPT|%s|%s|%.*s|delivered\n", p->name, p->partner->name,
		    (int)fr->arg[3].len, fr->arg[3].p);
		net_conn_write(p->conn, b->buf, n);
		break;
	case PROTO_V_ACK:
		sender_settled(p);
		break;
	case PROTO_V_RCPT:
		if (p->sender)
			sender_settled(p);
		break;
	case PROTO_V_ERR:
		if (b->errors++ < 5)
			fprintf(stderr, "relay: %.*s\n", (int)fr->rawlen - 1,
			    fr->raw);
		break;
	default:
		break;
	}
}

static void
peer_read(struct net_conn *c, void *arg)
{
	struct peer *p = arg;
	struct proto_frame fr;
	struct proto_error err;
	const char *in;
	size_t len, used, done = 0;
	enum proto_status st;

	in = net_conn_input(c, &len);
	while (done < len) {
		st = proto_decoder_next(
		    &p->dec, in + done, len - done, &fr, &err, &used);
		if (st == PROTO_NEED_MORE)
			break;
		if (st == PROTO_FRAME)
			on_frame(p, &fr);
		else if (err.fatal) {
			fprintf(stderr, "%s: %s\n", p->name, err.text);
			exit(1);
		}
		done += used;
	}
	net_conn_consume(c, done);
}

static void
peer_lost(struct net_conn *c, void *arg, const char *why)
{
	struct peer *p = arg;

	(void)c;
	fprintf(stderr, "%s: connection lost: %s\n", p->name, why);
	exit(1);
}

static const struct net_conn_cb peer_cb = {
    .on_read = peer_read,
    .on_close = peer_lost,
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Peak RSS (KiB) and CPU seconds of a process, from /proc. */
static void
proc_usage(int pid, long *hwm_kb, double *cpu_s)
{
	char path[64], line[512];
	FILE *f;
	unsigned long ut = 0, st = 0;
	char *p;
	int i;

	*hwm_kb = -1;
	*cpu_s = -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			if (strncmp(line, "VmHWM:", 6) == 0)
				*hwm_kb = atol(line + 6);
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof line, f) != NULL &&
		    (p = strrchr(line, ')')) != NULL) {
			/* Fields 14 and 15: utime and stime, in ticks. */
			for (i = 0; i < 12 && p != NULL; i++)
				p = strchr(p + 1, ' ');
			if (p != NULL && sscanf(p, " %lu %lu", &ut, &st) == 2)
				*cpu_s = (double)(ut + st) /
				    (double)sysconf(_SC_CLK_TCK);
		}
		fclose(f);
	}
}

static void
on_timeout(struct net_timer *t, void *arg)
{
	struct bench *b = arg;

	(void)t;
	fprintf(stderr, "timed out\n");
	b->t1 = now_us();
	net_loop_stop(b->loop);
}

static const char usage[] =
    "usage: termgram-bench msgs [--host H] [--port P] [--pairs N] "
    "[--msgs M]\n"
    "                           [--size S] [--inflight K] [--pid PID]\n"
    "                           [--timeout S]\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"host", required_argument, NULL, 'h'},
	    {"port", required_argument, NULL, 'p'},
	    {"pairs", required_argument, NULL, 'n'},
	    {"msgs", required_argument, NULL, 'm'},
	    {"size", required_argument, NULL, 's'},
	    {"inflight", required_argument, NULL, 'k'},
	    {"pid", required_argument, NULL, 'P'},
	    {"timeout", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	struct bench b;
	struct net_timer deadline;
	struct rlimit rl;
	char err[256];
	unsigned long i, lost = 0, dups = 0, timeout = 300;
	unsigned run;
	long hwm0, hwm1;
	double cpu0, cpu1, secs;
	size_t n, k;
	int ch;

	memset(&b, 0, sizeof b);
	b.host = "127.0.0.1";
	b.port = PROTO_DEFAULT_PORT;
	b.pairs = 1;
	b.msgs = 100000;
	b.size = 100;
	b.inflight = 64;
	if (argc < 2 || strcmp(argv[1], "msgs") != 0) {
		fputs(usage, stderr);
		return 2;
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			b.host = optarg;
			break;
		case 'p':
			b.port = (unsigned)atoi(optarg);
			break;
		case 'n':
			b.pairs = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			b.msgs = strtoul(optarg, NULL, 10);
			break;
		case 's':
			b.size = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			b.inflight = strtoul(optarg, NULL, 10);
			break;
		case 'P':
			b.pid = atoi(optarg);
			break;
		case 't':
			timeout = strtoul(optarg, NULL, 10);
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (b.pairs == 0 || b.msgs == 0 || b.inflight == 0 || b.size < 24 ||
	    b.size > PROTO_MAX_BODY) {
		fprintf(stderr,
		    "pairs, msgs and inflight must be > 0; size "
		    "from 24 to %d\n",
		    PROTO_MAX_BODY);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	b.loop = net_loop_new();
	b.body = xmalloc(b.size + 32);
	b.lat = xcalloc(b.pairs * b.msgs, sizeof *b.lat);
	b.peers = xcalloc(2 * b.pairs, sizeof *b.peers);
	srand((unsigned)getpid() ^ (unsigned)now_us());
	run = (unsigned)rand() % 100000;
	if (b.pid > 0)
		proc_usage(b.pid, &hwm0, &cpu0);
	for (i = 0; i < 2 * b.pairs; i++) {
		struct peer *p = &b.peers[i];
		p->b = &b;
		p->sender = i % 2 == 0;
		p->partner = &b.peers[i ^ 1];
		snprintf(p->name, sizeof p->name, "b%u%c%lu", run,
		    p->sender ? 's' : 'r', i / 2);
		if (!p->sender)
			p->seen = xcalloc(b.msgs, 1);
		proto_decoder_init(&p->dec, PROTO_MAX_FRAME);
		p->conn = net_conn_connect(
		    b.loop, b.host, b.port, &peer_cb, p, err, sizeof err);
		if (p->conn == NULL) {
			fprintf(stderr, "connect: %s\n", err);
			return 1;
		}
		n = (size_t)snprintf(
		    b.buf, sizeof b.buf, "LOGIN|1|%s||0\n", p->name);
		net_conn_write(p->conn, b.buf, n);
	}
	net_timer_init(&deadline, on_timeout, &b);
	net_timer_start(b.loop, &deadline, timeout * 1000);
	net_loop_run(b.loop);
	if (b.pid > 0)
		proc_usage(b.pid, &hwm1, &cpu1);

	for (i = 0; i < b.pairs; i++) {
		struct peer *r = &b.peers[2 * i + 1];
		lost += b.msgs - r->got;
		dups += r->dups;
	}
	secs = (double)(b.t1 - b.t0) / 1e6;
	k = b.nlat < b.pairs * b.msgs ? b.nlat : b.pairs * b.msgs;
	qsort(b.lat, k, sizeof *b.lat, cmp_u64);
	printf("pairs=%lu msgs=%lu size=%lu inflight=%lu\n", b.pairs,
	    b.pairs * b.msgs, b.size, b.inflight);
	printf("msgs_per_s=%.0f\n", (double)(b.pairs * b.msgs) / secs);
	if (k > 0)
		printf("latency_us p50=%llu p99=%llu max=%llu\n",
		    (unsigned long long)b.lat[k / 2],
		    (unsigned long long)b.lat[k * 99 / 100],
		    (unsigned long long)b.lat[k - 1]);
	printf("lost=%lu duplicated=%lu errors=%lu\n", lost, dups, b.errors);
	if (b.pid > 0)
		printf("relay_peak_rss_kb=%ld relay_cpu_s=%.2f "
		       "cpu_us_per_msg=%.2f\n",
		    hwm1, cpu1 - cpu0,
		    (cpu1 - cpu0) * 1e6 / (double)(b.pairs * b.msgs));
	return lost == 0 && dups == 0 ? 0 : 1;
}
