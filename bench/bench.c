/* SPDX-License-Identifier: MIT */
/*
 * termgram-bench: a load generator for termgramd — and, with --proto, for
 * an IRC server or an MQTT broker under the same workload. One process,
 * one poll() loop, non-blocking connections.
 *
 *   msgs   N pairs; each sender sends M messages of S bytes to its
 *          partner with at most K in flight. The receiver answers as a
 *          real client does (termgram: RCPT|delivered; MQTT: PUBACK); a
 *          message is settled by ACK|stored or RCPT (termgram), PUBACK
 *          (MQTT) or its arrival (IRC, which acknowledges nothing).
 *   load   N pairs; every client sends R messages a second to its partner
 *          for T seconds: latency and the server's share of a core at a
 *          fixed, realistic load.
 *   idle   N sessions that only heartbeat: the server's memory per session.
 *   files  N transfers of a given size at once through the relay, and the
 *          latency of a chat beside them (termgram only).
 *   login  R new sessions a second for T seconds: the time from connect
 *          to the server's welcome (WELCOME, 001, CONNACK), TLS
 *          handshake included.
 *   rooms  one sender and N members of one room (termgram), channel
 *          (IRC) or topic (MQTT QoS 1): M messages, at most K of them
 *          not yet at every member; deliveries/s, latency, server CPU
 *          per delivery. termgram members confirm with one RPOS per read
 *          batch. --offline F: F members leave before the messages and
 *          log in again, all at once, after them (MQTT: persistent
 *          sessions); the time until they all hold everything.
 *          --devices D: the sender is an owned name online from D
 *          devices (termgram). --data DIR: the relay's data folder's
 *          bytes before and after the messages.
 *
 * With --tls every connection is TLS (bench/tls.c); the time from
 * connect to the end of each handshake is reported too.
 *
 * The send time travels in the text, so latency is measured at the
 * receiver. With --pid, the server's peak RSS and CPU time come from /proc.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "net/conn.h"
#include "util/xmalloc.h"

#define FILE_WINDOW (1024 * 1024)
#define FILE_CHUNK (64 * 1024)
#define FILE_ACK_EVERY (256 * 1024)

enum mode {
	MODE_MSGS,
	MODE_LOAD,
	MODE_IDLE,
	MODE_FILES,
	MODE_LOGIN,
	MODE_ROOMS
};

static const char *const modes[] = {
    "msgs", "load", "idle", "files", "login", "rooms"};
#define NMODES 6

/* rooms: log in, join, (the offline members leave), send, come back. */
enum { R_LOGIN, R_JOIN, R_AWAY, R_SEND, R_BACK };
static int rphase;
static struct net_timer away;
static uint64_t back_t0, back_t1;
static const char *data_dir;
static long long data_start = -1, data_end = -1;

static enum mode mode;
static struct net_timer tick, deadline, settle;
static unsigned long next_connect, device_pending;
static uint64_t begin_us, login_us, send_end_us;
static bool sent_measured;
static uint64_t sent_at_us; /* when u_sent was read */
static char payload[FILE_CHUNK];

struct usage {
	long rss_kb, hwm_kb;
	double cpu_s;
};

/* The server before the logins, when sending starts, when it ends. */
static struct usage u_begin, u_start, u_sent;
/* rooms: when the offline members log in again, when they have it all. */
static struct usage u_back0, u_back1;

uint64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Current and peak RSS (KiB) and CPU seconds of a process, from /proc. */
static void
proc_usage(int pid, struct usage *u)
{
	char path[64], line[512];
	FILE *f;
	unsigned long ut = 0, st = 0;
	char *p;
	int i;

	u->rss_kb = u->hwm_kb = -1;
	u->cpu_s = -1;
	if (pid <= 0)
		return;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			if (strncmp(line, "VmHWM:", 6) == 0)
				u->hwm_kb = atol(line + 6);
			else if (strncmp(line, "VmRSS:", 6) == 0)
				u->rss_kb = atol(line + 6);
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
				u->cpu_s = (double)(ut + st) /
				    (double)sysconf(_SC_CLK_TCK);
		}
		fclose(f);
	}
}

/* Messages one sender sends in this mode. */
static unsigned long
quota(const struct bench *b)
{
	return mode == MODE_LOAD ? b->rate * b->seconds : b->msgs;
}

static void rooms_check(struct bench *);

static void
check_finished(struct bench *b)
{
	unsigned long senders;

	if (mode == MODE_LOGIN) {
		if (b->logged_in == b->npeers) {
			b->t1 = bench_now_us();
			net_loop_stop(b->loop);
		}
		return;
	}
	if (mode == MODE_FILES) {
		if (b->xfers_done == b->files) {
			b->t1 = bench_now_us();
			net_loop_stop(b->loop);
		}
		return;
	}
	if (mode == MODE_ROOMS) {
		rooms_check(b);
		return;
	}
	senders = mode == MODE_LOAD ? b->npeers : b->pairs;
	if (b->senders_done == senders && b->recv_done == senders) {
		b->t1 = bench_now_us();
		/* load: everything came back before the last tick. */
		if (mode == MODE_LOAD && !sent_measured) {
			proc_usage(b->pid, &u_sent);
			sent_measured = true;
			sent_at_us = b->t1;
		}
		net_loop_stop(b->loop);
	}
}

void
bench_fail(struct peer *p, const char *what, size_t len)
{
	struct bench *b = p->b;

	if (b->errors++ < 5)
		fprintf(stderr, "%s: %.*s\n", p->name, (int)len, what);
}

static int
send_one(struct peer *p)
{
	struct bench *b = p->b;
	int k;

	k = snprintf(b->body, BENCH_HEAD + 1, "%llu %lu ",
	    (unsigned long long)bench_now_us(), p->next);
	if (k < BENCH_HEAD)
		memset(b->body + k, 'x', BENCH_HEAD - (size_t)k);
	if (b->wire->send(p, p->next, b->body, b->size) != 0)
		return -1;
	p->next++;
	p->inflight++;
	return 0;
}

/* msgs mode: keep the sender's window full. */
static void
send_some(struct peer *p)
{
	struct bench *b = p->b;

	if (!b->sending)
		return;
	while (p->inflight < b->inflight && p->next < quota(b)) {
		if (send_one(p) != 0)
			break;
	}
}

void
bench_settled(struct peer *p, unsigned long seq)
{
	struct bench *b = p->b;

	/* termgram may settle a message twice: ACK|stored after the grace
	 * period, then its RCPT. */
	if (p->inflight == 0)
		return;
	if (seq != BENCH_NO_SEQ) {
		if (seq >= quota(b) || p->settled[seq])
			return;
		p->settled[seq] = 1;
	}
	p->done++;
	p->inflight--;
	if (p->done == quota(b)) {
		b->senders_done++;
		check_finished(b);
		return;
	}
	if (mode != MODE_LOAD)
		send_some(p);
}

/* rooms: a copy at a member; settled once every member online has it. */
static void
room_received(struct peer *p, uint64_t sent, unsigned long seq)
{
	struct bench *b = p->b;

	if (!p->member || seq >= b->msgs)
		return; /* the sender's own copy, or its other devices' */
	if (rphase != R_BACK) /* a backlog's age is not a latency */
		b->lat[b->nlat++ % b->caplat] = bench_now_us() - sent;
	if (p->seen[seq]) {
		p->dups++;
		return;
	}
	p->seen[seq] = 1;
	if (++b->fan[seq] == b->online)
		bench_settled(&b->peers[0], seq);
	if (++p->got == b->msgs) {
		b->recv_done++;
		check_finished(b);
	}
}

void
bench_received(struct peer *p, const char *body, size_t len)
{
	struct bench *b = p->b;
	char num[48];
	unsigned long long sent;
	unsigned long seq;
	size_t n = len < sizeof num - 1 ? len : sizeof num - 1;

	memcpy(num, body, n);
	num[n] = '\0';
	if (sscanf(num, "%llu %lu", &sent, &seq) != 2)
		return;
	if (mode == MODE_ROOMS) {
		room_received(p, sent, seq);
		return;
	}
	b->lat[b->nlat++ % b->caplat] = bench_now_us() - sent;
	if (seq >= quota(b) || p->seen == NULL)
		return;
	if (p->seen[seq]) {
		p->dups++;
		return;
	}
	p->seen[seq] = 1;
	if (++p->got == quota(b)) {
		b->recv_done++;
		check_finished(b);
	}
	if (!b->wire->acks)
		bench_settled(p->partner, seq);
}

/* --- files ------------------------------------------------------------- */

static void
file_pump(struct peer *p)
{
	struct bench *b = p->b;
	size_t n, len;

	while (p->x.accepted && p->x.sent < p->x.size &&
	    p->x.sent - p->x.acked < FILE_WINDOW) {
		len = p->x.size - p->x.sent < FILE_CHUNK
		    ? (size_t)(p->x.size - p->x.sent)
		    : FILE_CHUNK;
		n = (size_t)snprintf(b->buf, sizeof b->buf,
		    "FDATA|%s|%s|x%s|%llu|%zu\n", p->name, p->partner->name,
		    p->name, (unsigned long long)p->x.sent, len);
		if (bench_write2(p, b->buf, n, payload, len) != 0)
			return;
		p->x.sent += len;
	}
	if (p->x.accepted && p->x.sent == p->x.size && !p->x.done) {
		p->x.done = true;
		n = (size_t)snprintf(b->buf, sizeof b->buf, "FDONE|%s|%s|x%s\n",
		    p->name, p->partner->name, p->name);
		bench_write(p, b->buf, n);
	}
}

static void
file_offer(struct peer *p)
{
	struct bench *b = p->b;
	size_t n;

	p->x.size = b->file_size;
	n = (size_t)snprintf(b->buf, sizeof b->buf,
	    "FOFFER|%s|%s|x%s|%llu|%064d|Zg==\n", p->name, p->partner->name,
	    p->name, (unsigned long long)p->x.size, 0);
	bench_write(p, b->buf, n);
}

void
bench_file_frame(struct peer *p, const struct proto_frame *fr)
{
	struct bench *b = p->b;
	size_t n;

	switch (fr->verb) {
	case PROTO_V_FOFFER:
		p->x.size = proto_slice_u64(fr->arg[3]);
		n = (size_t)snprintf(b->buf, sizeof b->buf,
		    "FACCEPT|%s|%.*s|%.*s|0\n", p->name, (int)fr->arg[0].len,
		    fr->arg[0].p, (int)fr->arg[2].len, fr->arg[2].p);
		bench_write(p, b->buf, n);
		break;
	case PROTO_V_FACCEPT:
		p->x.accepted = true;
		file_pump(p);
		break;
	case PROTO_V_FACK:
		p->x.acked = proto_slice_u64(fr->arg[3]);
		file_pump(p);
		break;
	case PROTO_V_FDATA:
		p->x.got += fr->payload_len;
		if (p->x.got - p->x.acked_at >= FILE_ACK_EVERY ||
		    p->x.got == p->x.size) {
			p->x.acked_at = p->x.got;
			n = (size_t)snprintf(b->buf, sizeof b->buf,
			    "FACK|%s|%.*s|%.*s|%llu\n", p->name,
			    (int)fr->arg[0].len, fr->arg[0].p,
			    (int)fr->arg[2].len, fr->arg[2].p,
			    (unsigned long long)p->x.got);
			bench_write(p, b->buf, n);
		}
		break;
	case PROTO_V_FDONE:
		if (p->sends || p->x.done)
			break;
		if (p->x.got != p->x.size) {
			bench_fail(p, "FDONE before all data", 21);
			break;
		}
		p->x.done = true;
		/* FDONE back: verified and saved, as a real receiver says. */
		n = (size_t)snprintf(b->buf, sizeof b->buf,
		    "FDONE|%s|%.*s|%.*s\n", p->name, (int)fr->arg[0].len,
		    fr->arg[0].p, (int)fr->arg[2].len, fr->arg[2].p);
		bench_write(p, b->buf, n);
		b->xfers_done++;
		check_finished(b);
		break;
	default:
		bench_fail(p, fr->raw, fr->hdrlen - 1);
		break;
	}
}

/* --- rooms ------------------------------------------------------------- */

/* Bytes of the regular files under a folder (the relay's data folder). */
static long long
dir_bytes(int at, const char *path)
{
	struct dirent *e;
	struct stat st;
	long long n = 0;
	DIR *d;
	int fd;

	if ((fd = openat(at, path, O_RDONLY | O_DIRECTORY)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += dir_bytes(dirfd(d), e->d_name);
		else if (S_ISREG(st.st_mode))
			n += (long long)st.st_size;
	}
	closedir(d);
	return n;
}

static long long
data_bytes(void)
{
	return data_dir != NULL ? dir_bytes(AT_FDCWD, data_dir) : -1;
}

static void send_some(struct peer *);

static void
rooms_send(struct bench *b)
{
	rphase = R_SEND;
	data_start = data_bytes();
	proc_usage(b->pid, &u_start);
	b->t0 = bench_now_us();
	send_some(&b->peers[0]);
}

static void
on_away(struct net_timer *t, void *arg)
{
	(void)t;
	rooms_send(arg);
}

/* Everyone is in the room: the offline members leave, then the sending. */
static void
rooms_joined(struct bench *b)
{
	unsigned long i;

	if (b->offline == 0) {
		rooms_send(b);
		return;
	}
	rphase = R_AWAY;
	for (i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];
		if (!p->offline)
			continue;
		if (b->wire->leave != NULL)
			b->wire->leave(p);
		net_conn_close(p->conn, true);
		p->conn = NULL;
	}
	/* Time for the server to see them go before the first message. */
	net_timer_start(b->loop, &away, 500);
}

void
bench_joined(struct peer *p)
{
	struct bench *b = p->b;
	unsigned long i;

	if (p->joined)
		return;
	p->joined = true;
	b->joined++;
	if (p == &b->peers[0]) {
		for (i = 1; i < b->npeers; i++) {
			struct peer *q = &b->peers[i];
			if (!q->member) {
				/* Another device of the sender: in the room
				 * since the sender created it. */
				q->joined = true;
				b->joined++;
				continue;
			}
			b->wire->join(q, false);
		}
	}
	if (b->joined == b->npeers)
		rooms_joined(b);
}

static void connect_peer(struct bench *, struct peer *);

/* The offline members log in again, all at once. */
static void
rooms_come_back(struct bench *b)
{
	unsigned long i;

	rphase = R_BACK;
	proc_usage(b->pid, &u_back0);
	back_t0 = bench_now_us();
	for (i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];
		if (!p->offline)
			continue;
		p->state = 0;
		p->registered = p->ready = p->logged_in = false;
		connect_peer(b, p);
	}
}

/* rooms: the server acknowledged a message (ACK|stored, PUBACK). */
void
bench_acked(struct peer *p)
{
	p->b->acks++;
	check_finished(p->b);
}

static void
rooms_check(struct bench *b)
{
	/* The sending ends when every member online has every message
	 * and, where the server acknowledges, every acknowledgement is in. */
	if (rphase == R_SEND && b->senders_done == 1 &&
	    b->recv_done == b->online &&
	    (!b->wire->acks || b->acks >= b->msgs)) {
		b->t1 = bench_now_us();
		proc_usage(b->pid, &u_sent);
		data_end = data_bytes();
		if (b->offline > 0)
			rooms_come_back(b);
		else
			net_loop_stop(b->loop);
	} else if (rphase == R_BACK && b->recv_done == b->members) {
		back_t1 = bench_now_us();
		proc_usage(b->pid, &u_back1);
		net_loop_stop(b->loop);
	}
}

/* --- sessions ---------------------------------------------------------- */

static void
peer_read(struct net_conn *c, void *arg)
{
	struct peer *p = arg;
	const char *in;
	size_t len;

	in = net_conn_input(c, &len);
	net_conn_consume(c, p->b->wire->input(p, in, len));
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

/* login mode: is the next session due yet? */
static bool
login_due(const struct bench *b)
{
	return bench_now_us() >=
	    begin_us + (uint64_t)next_connect * 1000000 / b->rate;
}

static void
connect_more(struct bench *b)
{
	struct peer *p;

	while (next_connect < b->npeers &&
	    (mode == MODE_LOGIN ? login_due(b)
	                        : b->connecting < b->max_connecting)) {
		p = &b->peers[next_connect];
		/* An owned name's logins: a password check each, and the
		 * relay checks at most two from one address at once. */
		if (p->device != NULL && device_pending > 0)
			break;
		next_connect++;
		connect_peer(b, p);
	}
}

static void
connect_peer(struct bench *b, struct peer *p)
{
	char err[256];

	if (p->device != NULL)
		device_pending++;
	proto_decoder_init(&p->dec, PROTO_MAX_FRAME);
	p->connect_us = bench_now_us();
	if (b->tls)
		p->tls = bench_tls_connect(p, err, sizeof err);
	else
		p->conn = net_conn_connect(
		    b->loop, b->host, b->port, &peer_cb, p, err, sizeof err);
	if (p->conn == NULL && p->tls == NULL) {
		fprintf(stderr, "connect: %s\n", err);
		exit(1);
	}
	b->connecting++;
	b->wire->login(p);
}

static void
start(struct bench *b)
{
	unsigned long i, period;

	b->t0 = bench_now_us();
	b->sending = true;
	login_us = b->t0 - begin_us;
	proc_usage(b->pid, &u_start);
	switch (mode) {
	case MODE_MSGS:
		for (i = 0; i < b->pairs; i++)
			send_some(&b->peers[2 * i]);
		break;
	case MODE_LOAD:
		/* Spread the clients' sends evenly over one period. */
		period = 1000000 / b->rate;
		for (i = 0; i < b->npeers; i++)
			b->peers[i].due_us = b->t0 + period * i / b->npeers;
		send_end_us = b->t0 + b->seconds * 1000000;
		net_timer_start(b->loop, &tick, 1);
		break;
	case MODE_IDLE:
		net_timer_start(b->loop, &settle, b->settle_s * 1000);
		break;
	case MODE_FILES:
		for (i = 0; i < b->files; i++)
			file_offer(&b->peers[2 * i]);
		if (b->npeers > 2 * b->files)
			send_some(&b->peers[2 * b->files]);
		break;
	case MODE_LOGIN:
		break;
	case MODE_ROOMS:
		/* The sender makes the room; the others join it then. */
		b->sending = true;
		rphase = R_JOIN;
		b->wire->join(&b->peers[0], true);
		break;
	}
}

/* The server welcomed the session (login mode: its login time). */
void
bench_logged_in(struct peer *p)
{
	struct bench *b = p->b;

	if (mode != MODE_LOGIN || p->logged_in)
		return;
	p->logged_in = true;
	p->drain = true;
	b->lat[b->nlat++ % b->caplat] = bench_now_us() - p->connect_us;
	b->logged_in++;
	check_finished(b);
}

/* The server took the login: the next connection may start. */
void
bench_registered(struct peer *p)
{
	struct bench *b = p->b;

	if (p->registered)
		return;
	p->registered = true;
	if (p->device != NULL)
		device_pending--;
	b->connecting--;
	connect_more(b);
}

void
bench_ready(struct peer *p)
{
	struct bench *b = p->b;

	if (p->ready)
		return;
	bench_registered(p);
	p->ready = true;
	if (mode == MODE_IDLE)
		p->drain = true;
	if (mode == MODE_ROOMS && rphase != R_LOGIN)
		return; /* back from offline */
	if (++b->ready == b->npeers)
		start(b);
}

/* load: send what is due; idle: heartbeat a slice of the sessions. */
static void
on_tick(struct net_timer *t, void *arg)
{
	struct bench *b = arg;
	unsigned long i, period;
	uint64_t now = bench_now_us();
	static unsigned long slice;

	if (mode == MODE_LOGIN) {
		connect_more(b);
		if (next_connect < b->npeers)
			net_timer_start(b->loop, t, 1);
		return;
	}
	if (mode == MODE_IDLE) {
		for (i = slice; i < b->npeers; i += b->ping_s)
			if (b->peers[i].ready)
				b->wire->ping(&b->peers[i]);
		slice = (slice + 1) % b->ping_s;
		net_timer_start(b->loop, t, 1000);
		return;
	}
	period = 1000000 / b->rate;
	for (i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];
		while (p->due_us <= now && p->next < quota(b)) {
			if (send_one(p) != 0)
				break;
			p->due_us += period;
		}
	}
	if (now < send_end_us) {
		net_timer_start(b->loop, t, 1);
		return;
	}
	/* The last sends are out: the server's CPU over the window. */
	proc_usage(b->pid, &u_sent);
	sent_measured = true;
	sent_at_us = now;
	for (i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];
		while (p->next < quota(b) && send_one(p) == 0)
			;
	}
}

static void
on_settled(struct net_timer *t, void *arg)
{
	struct bench *b = arg;

	(void)t;
	b->t1 = bench_now_us();
	net_loop_stop(b->loop);
}

static void
on_timeout(struct net_timer *t, void *arg)
{
	struct bench *b = arg;

	(void)t;
	fprintf(stderr, "timed out\n");
	b->t1 = bench_now_us();
	b->errors++;
	net_loop_stop(b->loop);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return a < c ? -1 : a > c;
}

/* Print "what <pre>p50=… <pre>p99=… <pre>max=…" of n samples (sorted). */
static void
print_quantiles(const char *what, const char *pre, uint64_t *v, size_t n)
{
	if (n == 0)
		return;
	qsort(v, n, sizeof *v, cmp_u64);
	printf("%s %sp50=%llu %sp99=%llu %smax=%llu\n", what, pre,
	    (unsigned long long)v[n / 2], pre,
	    (unsigned long long)v[n * 99 / 100], pre,
	    (unsigned long long)v[n - 1]);
}

static void
print_latency(struct bench *b)
{
	print_quantiles("latency_us", "", b->lat,
	    b->nlat < b->caplat ? b->nlat : b->caplat);
}

static int
report_rooms(struct bench *b, const struct usage *u1)
{
	unsigned long i, lost = 0, dups = 0, expect;
	double secs = (double)(b->t1 - b->t0) / 1e6;
	double cpu = u_sent.cpu_s - u_start.cpu_s;
	double deliveries = (double)b->msgs * (double)b->online;

	if (b->t1 == 0)
		secs = (double)(bench_now_us() - b->t0) / 1e6;
	if (u_sent.cpu_s < 0 || b->t1 == 0)
		cpu = u1->cpu_s - u_start.cpu_s;
	for (i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];
		if (!p->member || (p->offline && rphase != R_BACK))
			continue;
		lost += b->msgs - p->got;
		dups += p->dups;
	}
	printf("members=%lu online=%lu offline=%lu devices=%lu msgs=%lu "
	       "size=%lu inflight=%lu\n",
	    b->members, b->online, b->offline, b->devices, b->msgs, b->size,
	    b->inflight);
	printf("deliveries=%.0f deliveries_per_s=%.0f msgs_per_s=%.0f\n",
	    deliveries, deliveries / secs, (double)b->msgs / secs);
	print_latency(b);
	expect = b->wire->acks ? b->msgs : 0;
	printf("lost=%lu duplicated=%lu errors=%lu acks=%lu\n", lost, dups,
	    b->errors, b->acks);
	if (b->pid > 0)
		printf("server_peak_rss_kb=%ld server_cpu_s=%.3f "
		       "cpu_us_per_msg=%.2f cpu_us_per_delivery=%.3f\n",
		    u1->hwm_kb, cpu, cpu * 1e6 / (double)b->msgs,
		    cpu * 1e6 / deliveries);
	if (data_dir != NULL)
		printf("data_bytes_start=%lld data_bytes_end=%lld "
		       "data_bytes_per_msg=%.1f\n",
		    data_start, data_end,
		    (double)(data_end - data_start) / (double)b->msgs);
	if (b->offline > 0) {
		printf("backlog_members=%lu backlog_msgs=%lu backlog_s=%.3f\n",
		    b->offline, b->msgs,
		    back_t1 > 0 ? (double)(back_t1 - back_t0) / 1e6 : -1.0);
		if (b->pid > 0 && back_t1 > 0)
			printf("backlog_cpu_s=%.3f\n",
			    u_back1.cpu_s - u_back0.cpu_s);
	}
	return lost == 0 && dups == 0 && b->errors == 0 && b->acks >= expect &&
	        (b->offline == 0 || back_t1 > 0)
	    ? 0
	    : 1;
}

static int
report(struct bench *b, const struct usage *u1)
{
	unsigned long i, lost = 0, dups = 0, total = 0;
	double secs = (double)(b->t1 - b->t0) / 1e6;
	double cpu = u1->cpu_s - u_start.cpu_s;

	printf("proto=%s mode=%s tls=%s\n", b->wire->name, modes[mode],
	    b->tls ? "on" : "off");
	if (mode == MODE_ROOMS)
		return report_rooms(b, u1);
	if (b->tls)
		print_quantiles("handshake_us", "hs_", b->hs, b->nhs);
	if (mode == MODE_LOGIN) {
		printf("logins=%lu of=%lu rate=%lu\n", b->logged_in, b->npeers,
		    b->rate);
		print_quantiles("login_us", "login_", b->lat, b->nlat);
		return b->errors == 0 && b->logged_in == b->npeers ? 0 : 1;
	}
	if (mode == MODE_IDLE) {
		printf("sessions=%lu login_s=%.2f\n", b->ready,
		    (double)login_us / 1e6);
		if (b->pid > 0)
			printf("server_rss_kb=%ld server_peak_rss_kb=%ld "
			       "kb_per_session=%.2f server_login_cpu_s=%.2f\n",
			    u1->rss_kb, u1->hwm_kb,
			    (double)(u1->rss_kb - u_begin.rss_kb) /
			        (double)b->npeers,
			    u_start.cpu_s - u_begin.cpu_s);
		return b->errors == 0 ? 0 : 1;
	}
	if (mode == MODE_FILES) {
		printf("transfers=%lu size=%llu done=%lu\n", b->files,
		    (unsigned long long)b->file_size, b->xfers_done);
		printf("mib_per_s=%.1f\n",
		    (double)b->file_size * (double)b->xfers_done / 1048576.0 /
		        secs);
		print_latency(b);
		if (b->pid > 0)
			printf("server_peak_rss_kb=%ld server_cpu_s=%.2f\n",
			    u1->hwm_kb, cpu);
		return b->errors == 0 && b->xfers_done == b->files ? 0 : 1;
	}
	for (i = 0; i < b->npeers; i++) {
		struct peer *p = &b->peers[i];
		if (p->seen == NULL)
			continue;
		lost += quota(b) - p->got;
		dups += p->dups;
		total += quota(b);
	}
	if (mode == MODE_LOAD)
		printf("clients=%lu rate=%lu seconds=%lu msgs=%lu size=%lu\n",
		    b->npeers, b->rate, b->seconds, total, b->size);
	else
		printf("pairs=%lu msgs=%lu size=%lu inflight=%lu\n", b->pairs,
		    total, b->size, b->inflight);
	/* After a timeout, only what arrived counts. */
	printf("msgs_per_s=%.0f\n", (double)(total - lost) / secs);
	print_latency(b);
	printf("lost=%lu duplicated=%lu errors=%lu\n", lost, dups, b->errors);
	if (b->pid > 0) {
		printf("server_peak_rss_kb=%ld server_cpu_s=%.2f "
		       "cpu_us_per_msg=%.2f\n",
		    u1->hwm_kb, cpu, cpu * 1e6 / (double)total);
		if (mode == MODE_LOAD && sent_measured && u_sent.cpu_s >= 0)
			printf("server_core_pct=%.1f\n",
			    (u_sent.cpu_s - u_start.cpu_s) * 100 /
			        ((double)(sent_at_us - b->t0) / 1e6));
	}
	return lost == 0 && dups == 0 && b->errors == 0 ? 0 : 1;
}

static const char usage_text[] =
    "usage: termgram-bench msgs  [options] [--pairs N] [--msgs M] "
    "[--size S] [--inflight K]\n"
    "       termgram-bench load  [options] [--pairs N] [--rate R] "
    "[--seconds T] [--size S]\n"
    "       termgram-bench idle  [options] [--sessions N] [--ping S] "
    "[--settle S]\n"
    "       termgram-bench files [options] [--files N] [--file-mib MIB] "
    "[--no-chat]\n"
    "       termgram-bench login [options] [--rate R] [--seconds T]\n"
    "       termgram-bench rooms [options] [--members N] [--msgs M] "
    "[--size S] [--inflight K]\n"
    "                            [--offline F] [--devices D] "
    "[--data DIR]\n"
    "options: [--proto termgram|irc|mqtt] [--tls] [--host H] [--port P] "
    "[--pid PID]\n"
    "         [--oper NAME:PASSWORD] [--connecting N] [--timeout S]\n";

static unsigned long
number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
		fprintf(
		    stderr, "termgram-bench: %s: not a number: %s\n", what, s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"proto", required_argument, NULL, 'w'},
	    {"host", required_argument, NULL, 'h'},
	    {"port", required_argument, NULL, 'p'},
	    {"pairs", required_argument, NULL, 'n'},
	    {"sessions", required_argument, NULL, 'N'},
	    {"msgs", required_argument, NULL, 'm'},
	    {"size", required_argument, NULL, 's'},
	    {"inflight", required_argument, NULL, 'k'},
	    {"rate", required_argument, NULL, 'r'},
	    {"seconds", required_argument, NULL, 'T'},
	    {"ping", required_argument, NULL, 'i'},
	    {"settle", required_argument, NULL, 'S'},
	    {"files", required_argument, NULL, 'f'},
	    {"file-mib", required_argument, NULL, 'F'},
	    {"no-chat", no_argument, NULL, 'c'},
	    {"oper", required_argument, NULL, 'o'},
	    {"connecting", required_argument, NULL, 'C'},
	    {"pid", required_argument, NULL, 'P'},
	    {"timeout", required_argument, NULL, 't'},
	    {"members", required_argument, NULL, 'M'},
	    {"offline", required_argument, NULL, 'O'},
	    {"devices", required_argument, NULL, 'D'},
	    {"data", required_argument, NULL, 'd'},
	    {"tls", no_argument, NULL, 'L'}, {"help", no_argument, NULL, 'H'},
	    {NULL, 0, NULL, 0}};
	struct bench b;
	struct rlimit rl;
	struct usage u1;
	unsigned long i, sessions = 1000, timeout = 300;
	bool chat = true;
	int ch, rc;

	memset(&b, 0, sizeof b);
	b.wire = &bench_wire_termgram;
	b.host = "127.0.0.1";
	b.port = PROTO_DEFAULT_PORT;
	b.pairs = 1;
	b.msgs = 100000;
	b.size = 100;
	b.inflight = 64;
	b.rate = 10;
	b.seconds = 10;
	b.ping_s = 15;
	b.settle_s = 3;
	b.files = 1;
	b.file_size = 256;
	b.max_connecting = 256;
	b.members = 10;
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; i < NMODES && strcmp(argv[1], modes[i]) != 0; i++)
		;
	if (i == NMODES) {
		fprintf(stderr, "termgram-bench: unknown mode %s\n", argv[1]);
		fputs(usage_text, stderr);
		return 2;
	}
	mode = (enum mode)i;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			if (strcmp(optarg, "termgram") == 0)
				b.wire = &bench_wire_termgram;
			else if (strcmp(optarg, "irc") == 0)
				b.wire = &bench_wire_irc;
			else if (strcmp(optarg, "mqtt") == 0)
				b.wire = &bench_wire_mqtt;
			else {
				fprintf(stderr,
				    "termgram-bench: --proto is termgram, "
				    "irc or mqtt\n");
				return 2;
			}
			break;
		case 'h':
			b.host = optarg;
			break;
		case 'p':
			b.port = (unsigned)number(optarg, "--port");
			break;
		case 'n':
			b.pairs = number(optarg, "--pairs");
			break;
		case 'N':
			sessions = number(optarg, "--sessions");
			break;
		case 'm':
			b.msgs = number(optarg, "--msgs");
			break;
		case 's':
			b.size = number(optarg, "--size");
			break;
		case 'k':
			b.inflight = number(optarg, "--inflight");
			break;
		case 'r':
			b.rate = number(optarg, "--rate");
			break;
		case 'T':
			b.seconds = number(optarg, "--seconds");
			break;
		case 'i':
			b.ping_s = number(optarg, "--ping");
			break;
		case 'S':
			b.settle_s = number(optarg, "--settle");
			break;
		case 'f':
			b.files = number(optarg, "--files");
			break;
		case 'F':
			b.file_size = number(optarg, "--file-mib");
			break;
		case 'c':
			chat = false;
			break;
		case 'o':
			b.oper = optarg;
			break;
		case 'C':
			b.max_connecting = number(optarg, "--connecting");
			break;
		case 'P':
			b.pid = (int)number(optarg, "--pid");
			break;
		case 't':
			timeout = number(optarg, "--timeout");
			break;
		case 'L':
			b.tls = true;
			break;
		case 'M':
			b.members = number(optarg, "--members");
			break;
		case 'O':
			b.offline = number(optarg, "--offline");
			break;
		case 'D':
			b.devices = number(optarg, "--devices");
			break;
		case 'd':
			data_dir = optarg;
			break;
		case 'H':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (b.pairs == 0 || b.msgs == 0 || b.inflight == 0 || b.rate == 0 ||
	    b.rate > 1000000 || b.seconds == 0 || b.ping_s == 0 ||
	    sessions == 0 || b.files == 0 || b.file_size == 0 ||
	    b.max_connecting == 0) {
		fprintf(stderr,
		    "termgram-bench: counts, rates and times "
		    "must be > 0\n");
		return 2;
	}
	if (b.size < 32 || b.size > 400) {
		/* 400: an IRC line is at most 512 bytes. */
		fprintf(stderr, "termgram-bench: --size is 32 to 400\n");
		return 2;
	}
	if (mode == MODE_FILES && b.wire != &bench_wire_termgram) {
		fprintf(stderr, "termgram-bench: files is termgram only\n");
		return 2;
	}
	if (mode == MODE_ROOMS &&
	    (b.members == 0 || b.offline >= b.members || b.tls ||
	        (b.devices > 0 && b.wire != &bench_wire_termgram) ||
	        b.devices > 64)) {
		fprintf(stderr,
		    "termgram-bench: rooms: --members > 0, --offline below "
		    "it, no --tls, --devices (at most 64) termgram only\n");
		return 2;
	}
	b.file_size *= 1024 * 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);

	switch (mode) {
	case MODE_MSGS:
	case MODE_LOAD:
		b.npeers = 2 * b.pairs;
		break;
	case MODE_IDLE:
		b.npeers = sessions;
		break;
	case MODE_FILES:
		b.npeers = 2 * b.files + (chat ? 2 : 0);
		b.inflight = 1;
		break;
	case MODE_LOGIN:
		b.npeers = b.rate * b.seconds;
		b.oper = NULL;
		break;
	case MODE_ROOMS:
		b.npeers = 1 + b.members + (b.devices > 1 ? b.devices - 1 : 0);
		b.online = b.members - b.offline;
		b.persist = b.offline > 0;
		break;
	}
	if (b.npeers + 16 > rl.rlim_cur) {
		fprintf(stderr,
		    "termgram-bench: %lu connections need more than the "
		    "%llu open files allowed (ulimit -n)\n",
		    b.npeers, (unsigned long long)rl.rlim_cur);
		return 2;
	}
	b.loop = net_loop_new();
	b.body = xmalloc(b.size + 32);
	memset(b.body, 'x', b.size);
	b.caplat = mode == MODE_LOAD
	    ? b.npeers * quota(&b)
	    : (mode == MODE_FILES ? b.msgs : b.pairs * b.msgs);
	if (mode == MODE_LOGIN)
		b.caplat = b.npeers;
	if (mode == MODE_ROOMS)
		b.caplat = b.msgs * b.online;
	if (b.tls) {
		bench_tls_init(b.wire == &bench_wire_termgram);
		b.hs = xcalloc(b.npeers, sizeof *b.hs);
	}
	if (b.caplat == 0 || b.caplat > 50000000)
		b.caplat = 50000000;
	b.lat = xcalloc(b.caplat, sizeof *b.lat);
	b.peers = xcalloc(b.npeers, sizeof *b.peers);
	memset(payload, 'f', sizeof payload);
	srand((unsigned)getpid() ^ (unsigned)bench_now_us());
	b.run = (unsigned)rand() % 100000;
	if (mode == MODE_ROOMS) {
		static char room[16];
		static char devs[64][8];
		snprintf(room, sizeof room, "#b%u", b.run);
		b.room = room;
		b.fan = xcalloc(b.msgs, sizeof *b.fan);
		for (i = 0; i < b.npeers; i++) {
			struct peer *p = &b.peers[i];
			p->b = &b;
			p->partner = &b.peers[0];
			if (i == 0 || i > b.members) {
				/* The sender, and its other devices. */
				snprintf(
				    p->name, sizeof p->name, "b%us0", b.run);
				if (b.devices > 0) {
					unsigned long d =
					    i == 0 ? 0 : i - b.members;
					snprintf(
					    devs[d], sizeof devs[d], "d%lu", d);
					p->device = devs[d];
				}
				p->sends = i == 0;
				if (i == 0)
					p->settled = xcalloc(b.msgs, 1);
				continue;
			}
			snprintf(
			    p->name, sizeof p->name, "b%um%lu", b.run, i - 1);
			p->member = true;
			p->offline = i > b.online;
			p->seen = xcalloc(b.msgs, 1);
		}
	}
	for (i = 0; mode != MODE_ROOMS && i < b.npeers; i++) {
		struct peer *p = &b.peers[i];
		p->b = &b;
		p->partner = &b.peers[i ^ 1];
		if (mode == MODE_IDLE || mode == MODE_LOGIN) {
			snprintf(p->name, sizeof p->name, "b%ui%lu", b.run, i);
			continue;
		}
		p->sends = mode == MODE_LOAD || i % 2 == 0;
		snprintf(p->name, sizeof p->name, "b%u%c%lu", b.run,
		    i % 2 == 0 ? 's' : 'r', i / 2);
		if (p->sends)
			p->settled = xcalloc(quota(&b), 1);
		if (mode != MODE_FILES || i >= 2 * b.files)
			p->seen = mode == MODE_LOAD || i % 2 == 1
			    ? xcalloc(quota(&b), 1)
			    : NULL;
	}
	proc_usage(b.pid, &u_begin);
	net_timer_init(&tick, on_tick, &b);
	net_timer_init(&settle, on_settled, &b);
	net_timer_init(&deadline, on_timeout, &b);
	net_timer_init(&away, on_away, &b);
	net_timer_start(b.loop, &deadline, timeout * 1000);
	begin_us = bench_now_us();
	if (mode == MODE_LOGIN) {
		b.t0 = begin_us;
		net_timer_start(b.loop, &tick, 1);
	}
	/* Sessions heartbeat from their login on: a long storm must not
	 * leave the first ones silent past the server's timeout. */
	if (mode == MODE_IDLE)
		net_timer_start(b.loop, &tick, 1000);
	connect_more(&b);
	net_loop_run(b.loop);
	proc_usage(b.pid, &u1);
	if (mode == MODE_IDLE && b.ready < b.npeers) {
		fprintf(stderr, "only %lu of %lu sessions logged in\n", b.ready,
		    b.npeers);
		b.errors++;
	}
	rc = report(&b, &u1);
	fflush(stdout);

	for (i = 0; i < b.npeers; i++) {
		if (b.peers[i].conn != NULL)
			net_conn_close(b.peers[i].conn, false);
		bench_tls_close(b.peers[i].tls);
		free(b.peers[i].seen);
		free(b.peers[i].settled);
	}
	net_timer_stop(b.loop, &tick);
	net_timer_stop(b.loop, &settle);
	net_timer_stop(b.loop, &deadline);
	net_timer_stop(b.loop, &away);
	net_loop_free(b.loop);
	free(b.fan);
	if (b.tls)
		bench_tls_done();
	free(b.peers);
	free(b.hs);
	free(b.lat);
	free(b.body);
	return rc;
}
