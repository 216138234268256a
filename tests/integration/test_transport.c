/* SPDX-License-Identifier: MIT */
/*
 * TLS between client and relay: a session token sniffed and replayed from
 * another device key is refused, a relay whose key changed is refused
 * before anything is sent, --strict needs `termgram trust`, the relay's
 * --fingerprint is what clients pin, and a capture of the loopback during
 * a real session (relay, direct P2P connections, light presence
 * datagrams) shows none of its secrets.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "util/fingerprint.h"

static char out[1 << 16], err[1 << 16];

/* Over plaintext there are no keys to test: the test is skipped. */
static void
need_tls(void)
{
	if (!h_tls)
		skip();
}

/* termgramd --fingerprint on r's data folder, into fp (people's form). */
static void
relay_fingerprint(const struct relay *r, char *fp, size_t len)
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof cmd,
	    TERMGRAM_BIN_DIR "/termgramd --fingerprint --data '%s' 2>/dev/null",
	    r->dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(fp, (int)len, p));
	fp[strcspn(fp, "\n")] = '\0';
	assert_int_equal(pclose(p), 0);
}

/* A headless `who` as alice with her own data folder; its exit status. */
static int
who(const struct relay *r, const char *da, const char *extra)
{
	char port[16];

	snprintf(port, sizeof port, "%d", r->port);
	if (extra != NULL)
		return run_client(NULL, NULL, out, sizeof out, err, sizeof err,
		    "who", "--port", port, "--user", "alice", "--data", da,
		    extra, NULL);
	return run_client(NULL, NULL, out, sizeof out, err, sizeof err, "who",
	    "--port", port, "--user", "alice", "--data", da, NULL);
}

/*
 * mallory saw alice's WELCOME and replays its token with RESUME from a
 * key of her own: refused, and alice stays online. alice's own key may
 * resume.
 */
static void
relay__refuses_resume__from_another_device_key(void **state)
{
	struct relay r;
	struct raw a, m;
	char token[64], *p;

	(void)state;
	need_tls();
	assert_int_equal(relay_start(&r, NULL), 0);
	h_tls_identity(0);
	assert_int_equal(raw_open(&a, r.port), 0);
	raw_send(&a, "LOGIN|1|alice|%s|0\n", h_b64("alice-pass-1"));
	assert_int_equal(raw_expect(&a, "WELCOME|alice|", 5000), 0);
	p = a.line + strlen("WELCOME|alice|");
	snprintf(token, sizeof token, "%.*s", (int)strcspn(p, "|"), p);
	assert_int_equal(raw_expect(&a, "SYNCED", 5000), 0);

	h_tls_identity(1);
	assert_int_equal(raw_open(&m, r.port), 0);
	raw_send(&m, "RESUME|1|alice|%s|0\n", token);
	assert_int_equal(raw_line(&m, 5000), 0);
	assert_true(strncmp(m.line, "ERR|AUTH_FAILED|", 16) == 0);
	assert_true(raw_is_closed(&m, 5000));
	raw_close(&m);
	/* alice was not replaced: she still gets answers. */
	raw_send(&a, "PING|7\n");
	assert_int_equal(raw_line(&a, 5000), 0);
	assert_string_equal(a.line, "PONG|7");

	/* The token with the key it was given to is fine. */
	h_tls_identity(0);
	assert_int_equal(raw_open(&m, r.port), 0);
	raw_send(&m, "RESUME|1|alice|%s|0\n", token);
	assert_int_equal(raw_expect(&m, "WELCOME|alice|", 5000), 0);
	raw_close(&m);
	raw_close(&a);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The relay's key files are replaced and it comes back on the same port:
 * the client refuses with the documented message, sends nothing (no
 * LOGIN reaches the relay) and does not retry.
 */
static void
client__refuses_a_changed_relay_key(void **state)
{
	struct relay r;
	char da[300], path[400], port[16], was[80], now[80], want[1024];

	(void)state;
	need_tls();
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	assert_int_equal(who(&r, da, NULL), 0);
	assert_non_null(strstr(err, "first connection to 127.0.0.1:"));
	relay_fingerprint(&r, was, sizeof was);

	assert_int_equal(relay_stop(&r, SIGTERM), 0);
	snprintf(path, sizeof path, "%s/relay.key", r.dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof path, "%s/relay.crt", r.dir);
	assert_int_equal(unlink(path), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(r.args[r.nargs++], sizeof r.args[0], "--port");
	snprintf(r.args[r.nargs++], sizeof r.args[0], "%s", port);
	assert_int_equal(relay_restart(&r), 0);
	relay_fingerprint(&r, now, sizeof now);
	assert_string_not_equal(was, now);

	assert_int_equal(who(&r, da, NULL), 1);
	snprintf(want, sizeof want,
	    "the relay at 127.0.0.1:%s presented key %s, but %s was pinned in "
	    "%s/known_relays.",
	    port, now, was, da);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof want,
	    "run: termgram trust --user alice --data %s 127.0.0.1:%s %s.", da,
	    port, now);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "someone may be intercepting"));
	assert_null(strstr(err, "retrying"));
	assert_false(relay_log_has(&r, "logged in"));
	assert_false(relay_log_has(&r, "registered"));
	assert_int_equal(relay_finish(&r), 0);
}

/* --strict: an unknown relay is refused until `termgram trust`. */
static void
client__strict__refuses_until_trusted(void **state)
{
	struct relay r;
	char da[300], hp[64], fp[80];

	(void)state;
	need_tls();
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	assert_int_equal(who(&r, da, "--strict"), 1);
	assert_non_null(strstr(err, "is not pinned"));
	assert_false(relay_log_has(&r, "logged in"));

	relay_fingerprint(&r, fp, sizeof fp);
	snprintf(hp, sizeof hp, "127.0.0.1:%d", r.port);
	/* A typo is refused. */
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "trust",
	        "--user", "alice", "--data", da, hp, "AAAAAAA-BBBBBBB", NULL),
	    2);
	assert_non_null(strstr(err, "fingerprint has"));
	assert_int_equal(
	    run_client(NULL, NULL, out, sizeof out, err, sizeof err, "trust",
	        "--user", "alice", "--data", da, hp, fp, NULL),
	    0);
	assert_non_null(strstr(out, "pinned"));
	assert_int_equal(who(&r, da, "--strict"), 0);
	assert_true(relay_log_has(&r, "alice logged in"));
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * termgramd --fingerprint parses, is the key the relay presents, and is
 * what the client pinned.
 */
static void
relay__fingerprint__is_what_the_client_pins(void **state)
{
	struct relay r;
	struct raw c;
	char da[300], path[400], fp[80], line[256], want[200];
	unsigned char bin[UTIL_FP_LEN], seen[UTIL_FP_LEN];
	FILE *f;
	bool found = false;

	(void)state;
	need_tls();
	assert_int_equal(relay_start(&r, NULL), 0);
	relay_fingerprint(&r, fp, sizeof fp);
	assert_int_equal(util_fp_parse(fp, bin, err, sizeof err), 0);
	assert_int_equal(raw_open(&c, r.port), 0);
	assert_true(raw_peer_fp(&c, seen));
	assert_memory_equal(bin, seen, UTIL_FP_LEN);
	raw_close(&c);

	snprintf(da, sizeof da, "%s/alice", r.dir);
	assert_int_equal(who(&r, da, NULL), 0);
	snprintf(path, sizeof path, "%s/known_relays", da);
	assert_non_null(f = fopen(path, "r"));
	snprintf(want, sizeof want, "127.0.0.1:%d %s\n", r.port, fp);
	while (fgets(line, sizeof line, f) != NULL)
		found = found || strcmp(line, want) == 0;
	fclose(f);
	assert_true(found);
	assert_true(relay_log_has(&r, fp));
	assert_int_equal(relay_finish(&r), 0);
}

/* --- the capture ----------------------------------------------------- */

/*
 * A socket filter that keeps the IPv4 TCP segments and UDP datagrams from
 * or to one of the three ports (the relay's, the peers' listen ports):
 * other tests' traffic on the loopback is none of this one's.
 */
static int
capture_filter(int fd, const int port[3])
{
	struct sock_filter code[] = {
	    {BPF_LD | BPF_H | BPF_ABS, 0, 0, 12}, /* ethertype */
	    {BPF_JMP | BPF_JEQ | BPF_K, 0, 15, ETHERTYPE_IP},
	    {BPF_LD | BPF_B | BPF_ABS, 0, 0, 23}, /* IP protocol */
	    {BPF_JMP | BPF_JEQ | BPF_K, 1, 0, IPPROTO_TCP},
	    {BPF_JMP | BPF_JEQ | BPF_K, 0, 12, IPPROTO_UDP},
	    {BPF_LD | BPF_H | BPF_ABS, 0, 0, 20}, /* fragment offset */
	    {BPF_JMP | BPF_JSET | BPF_K, 10, 0, 0x1fff},
	    {BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14}, /* IP header length */
	    {BPF_LD | BPF_H | BPF_IND, 0, 0, 14}, /* source port */
	    {BPF_JMP | BPF_JEQ | BPF_K, 6, 0, (unsigned)port[0]},
	    {BPF_JMP | BPF_JEQ | BPF_K, 5, 0, (unsigned)port[1]},
	    {BPF_JMP | BPF_JEQ | BPF_K, 4, 0, (unsigned)port[2]},
	    {BPF_LD | BPF_H | BPF_IND, 0, 0, 16}, /* destination port */
	    {BPF_JMP | BPF_JEQ | BPF_K, 2, 0, (unsigned)port[0]},
	    {BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (unsigned)port[1]},
	    {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (unsigned)port[2]},
	    {BPF_RET | BPF_K, 0, 0, 65535},
	    {BPF_RET | BPF_K, 0, 0, 0},
	};
	struct sock_fprog prog = {sizeof code / sizeof code[0], code};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/*
 * What crosses the loopback interface to or from the ports, into the file
 * at path, from a child process until it is sent SIGTERM. -1 when packets
 * cannot be captured here (not root).
 */
static pid_t
capture_start(const char *path, const int port[3])
{
	struct sockaddr_ll sll;
	static char buf[1 << 16];
	int fd, size = 64 << 20;
	pid_t pid;
	FILE *f;
	ssize_t n;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd == -1)
		return -1;
	if (capture_filter(fd, port) != 0) {
		close(fd);
		return -1;
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex("lo");
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
	if ((pid = fork()) != 0) {
		close(fd);
		return pid;
	}
	alarm(180); /* should the test fail before it stops this */
	f = fopen(path, "wb");
	while (f != NULL && (n = recv(fd, buf, sizeof buf, 0)) != 0) {
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, f);
			fflush(f);
		} else if (errno != EINTR)
			break;
	}
	_exit(0);
}

/* The whole file at path (its length in *len), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	*len = fread(p, 1, (size_t)n, f);
	fclose(f);
	return p;
}

/* Whether the capture holds the n bytes at s; says which one if so. */
static bool
captured(
    const char *cap, size_t caplen, const char *what, const void *s, size_t n)
{
	const char *p = cap, *end = cap + caplen;

	while (p + n <= end && memcmp(p, s, n) != 0)
		p++;
	if (p + n > end)
		return false;
	print_message("the capture shows %s\n", what);
	return true;
}

/* Secrets of the captured session: what must not be seen. */
struct secrets {
	char pw[64], marker[64], token[64];
	unsigned char file[32];
};

/*
 * A real session over loopback: alice logs in with a password (raw, to
 * know the token of her WELCOME), then the headless client sends bob a
 * message with the marker and a small file while bob receives.
 */
static void
capture_session(const struct relay *r, struct secrets *s)
{
	char port[16], da[300], db[300], dl[300], fpath[300], bobout[300];
	struct raw a;
	FILE *f;
	pid_t bob;
	int st;
	char *p;

	snprintf(port, sizeof port, "%d", r->port);
	snprintf(da, sizeof da, "%s/alice", r->dir);
	snprintf(db, sizeof db, "%s/bob", r->dir);
	snprintf(dl, sizeof dl, "%s/down", r->dir);
	snprintf(fpath, sizeof fpath, "%s/small.bin", r->dir);
	snprintf(bobout, sizeof bobout, "%s/bob.out", r->dir);
	h_random_file(fpath, 1);
	assert_non_null(f = fopen(fpath, "rb"));
	fseek(f, 4096, SEEK_SET);
	assert_int_equal(fread(s->file, 1, sizeof s->file, f), sizeof s->file);
	fclose(f);

	assert_int_equal(raw_open(&a, r->port), 0);
	raw_send(&a, "LOGIN|1|alice|%s|0\n", h_b64(s->pw));
	assert_int_equal(raw_expect(&a, "WELCOME|alice|", 5000), 0);
	p = a.line + strlen("WELCOME|alice|");
	snprintf(s->token, sizeof s->token, "%.*s", (int)strcspn(p, "|"), p);
	raw_close(&a);

	setenv("TERMGRAM_PASSWORD", s->pw, 1);
	bob = spawn_client(bobout, "recv", "--port", port, "--user", "bob",
	    "--data", db, "--accept-files", "--dir", dl, "--count", "2",
	    "--timeout", "30", NULL);
	sleep(1);
	assert_int_equal(run_client(NULL, NULL, out, sizeof out, err,
	                     sizeof err, "send", "--port", port, "--user",
	                     "alice", "--data", da, "bob", s->marker, NULL),
	    0);
	assert_int_equal(run_client(NULL, NULL, out, sizeof out, err,
	                     sizeof err, "sendfile", "--port", port, "--user",
	                     "alice", "--data", da, "bob", fpath, NULL),
	    0);
	assert_int_equal(waitpid(bob, &st, 0), bob);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unsetenv("TERMGRAM_PASSWORD");
}

/* Fresh random password and marker for s. */
static void
secrets_make(struct secrets *s)
{
	unsigned char rnd[8];
	FILE *f;

	memset(s, 0, sizeof *s);
	assert_non_null(f = fopen("/dev/urandom", "rb"));
	assert_int_equal(fread(rnd, 1, sizeof rnd, f), sizeof rnd);
	fclose(f);
	snprintf(s->pw, sizeof s->pw, "pw-%02x%02x%02x%02x-secret", rnd[0],
	    rnd[1], rnd[2], rnd[3]);
	snprintf(s->marker, sizeof s->marker, "vault code %02x%02x%02x%02x",
	    rnd[4], rnd[5], rnd[6], rnd[7]);
}

/*
 * Start the capture of r's port (where ports has 0) and the other ports
 * into cap, and make s; skips the test when packets cannot be captured.
 */
static pid_t
capture_begin(
    struct relay *r, int ports[3], char *cap, size_t caplen, struct secrets *s)
{
	pid_t cpid;
	int k;

	for (k = 0; k < 3; k++)
		if (ports[k] == 0)
			ports[k] = r->port;
	snprintf(cap, caplen, "%s.pcap", r->dir);
	if ((cpid = capture_start(cap, ports)) == -1) {
		relay_finish(r);
		print_message("no AF_PACKET socket (needs root): skipped\n");
		skip();
	}
	secrets_make(s);
	usleep(200000);
	return cpid;
}

/* Stop the capture cpid; what it captured into the file at cap. */
static char *
capture_stop(pid_t cpid, const char *cap, size_t *len)
{
	char *bytes;

	usleep(300000);
	kill(cpid, SIGTERM);
	waitpid(cpid, NULL, 0);
	assert_non_null(bytes = slurp(cap, len));
	unlink(cap);
	print_message("captured %zu bytes on lo\n", *len);
	assert_true(*len > 1000);
	return bytes;
}

/* How many of s's password, marker (each also in base64) and token the
 * capture shows. */
static int
captured_secrets(const char *bytes, size_t len, const struct secrets *s,
    const char *marker_what)
{
	char b64[200];
	int bad = 0;

	bad += captured(bytes, len, "the password", s->pw, strlen(s->pw));
	snprintf(b64, sizeof b64, "%s", h_b64(s->pw));
	bad += captured(bytes, len, "the password in base64", b64, strlen(b64));
	if (s->token[0] != '\0')
		bad += captured(
		    bytes, len, "the token", s->token, strlen(s->token));
	bad += captured(bytes, len, marker_what, s->marker, strlen(s->marker));
	snprintf(b64, sizeof b64, "%s", h_b64(s->marker));
	bad += captured(bytes, len, "the marker in base64", b64, strlen(b64));
	return bad;
}

/*
 * Capture the loopback during a real session: none of the password, the
 * session token, the message marker (nor their base64) or the file's
 * bytes may be seen. Over --tls off (TERMGRAM_TEST_TLS=off) they are.
 */
static void
capture__shows_no_password_token_message_or_file(void **state)
{
	struct relay r;
	struct secrets s;
	char cap[300];
	char *bytes;
	size_t len = 0;
	pid_t cpid;
	int bad = 0, ports[3] = {0, 0, 0};

	(void)state;
	assert_int_equal(relay_start(&r, NULL), 0);
	cpid = capture_begin(&r, ports, cap, sizeof cap, &s);
	capture_session(&r, &s);
	bytes = capture_stop(cpid, cap, &len);
	bad += captured_secrets(bytes, len, &s, "the marker");
	bad +=
	    captured(bytes, len, "32 bytes of the file", s.file, sizeof s.file);
	free(bytes);
	assert_int_equal(bad, 0);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * The light client's datagrams: how many ALIVE from alice the capture
 * holds (in *n), and how many of them carry something other than a
 * counter after the name (over --tls off: her session token).
 */
static int
captured_alive_tokens(const char *cap, size_t caplen, int *n)
{
	static const char tag[] = "ALIVE|alice|";
	const char *p = cap, *end = cap + caplen;
	size_t k;
	int bad = 0;

	for (*n = 0; p + sizeof tag - 1 <= end; p++) {
		if (memcmp(p, tag, sizeof tag - 1) != 0)
			continue;
		(*n)++;
		p += sizeof tag - 1;
		for (k = 0; p + k < end && p[k] >= '0' && p[k] <= '9'; k++)
			;
		if (k == 0 || p + k == end || p[k] != '|') {
			if (bad++ == 0)
				print_message("the capture shows an ALIVE "
				              "with a token: %.*s\n",
				    (int)strcspn(p, "|\n"), p);
		}
	}
	return bad;
}

/* `termgram send --p2p` as carol to `to`: the marker. */
static void
p2p_send(const struct relay *r, const struct secrets *s, const char *to)
{
	char port[16], dc[300];
	int st;

	snprintf(port, sizeof port, "%d", r->port);
	snprintf(dc, sizeof dc, "%s/carol", r->dir);
	st = run_client(NULL, NULL, out, sizeof out, err, sizeof err, "send",
	    "--port", port, "--user", "carol", "--data", dc, "--p2p",
	    "--timeout", "30", to, s->marker, NULL);
	if (st != 0)
		fail_msg("send --p2p to %s exited %d: %s", to, st, err);
	if (err[0] != '\0')
		print_message("send --p2p to %s said: %s", to, err);
}

/* Whether the file at path holds what. */
static bool
file_has(const char *path, const char *what)
{
	size_t len = 0;
	char *p = slurp(path, &len);
	bool yes = p != NULL && (p[len] = '\0', strstr(p, what) != NULL);

	free(p);
	return yes;
}

/*
 * P2P chat and light mode: alice rests as a light client (ALIVE every
 * second), bob is a --p2p receiver; carol sends each a message with the
 * marker directly. port[1], port[2]: their listen ports. Returns how
 * many messages the relay carried meanwhile: 0 when both went direct (a
 * direct attempt falls back to the relay when a step misses its
 * deadline of seconds, as it may on a loaded machine).
 */
static unsigned long long
capture_p2p_session(const struct relay *r, struct secrets *s, const int *pp)
{
	unsigned long long before = 0, after = 0;
	char port[16], ap[16], bp[16], da[300], db[300], ao[300], bo[300];
	struct raw x;
	pid_t alice, bob;
	int st;

	snprintf(port, sizeof port, "%d", r->port);
	snprintf(ap, sizeof ap, "%d", pp[1]);
	snprintf(bp, sizeof bp, "%d", pp[2]);
	snprintf(da, sizeof da, "%s/alice", r->dir);
	snprintf(db, sizeof db, "%s/bob", r->dir);
	snprintf(ao, sizeof ao, "%s/alice.out", r->dir);
	snprintf(bo, sizeof bo, "%s/bob.out", r->dir);
	setenv("TERMGRAM_PASSWORD", s->pw, 1);
	alice = spawn_client(ao, "recv", "--port", port, "--user", "alice",
	    "--data", da, "--light", "--p2p-port", ap, "--count", "1",
	    "--timeout", "60", NULL);
	bob = spawn_client(bo, "recv", "--port", port, "--user", "bob",
	    "--data", db, "--p2p", "--p2p-port", bp, "--count", "1",
	    "--timeout", "60", NULL);
	assert_int_equal(raw_login(&x, r->port, "dave", ""), 0);
	assert_int_equal(h_stats_until(&x, "light", 1, 10000), 0);
	assert_int_equal(h_stats_until(&x, "sessions", 2, 10000),
	    0); /* bob's and dave's: alice rests */
	for (st = 0; st < 30; st++) { /* a few of her ALIVE */
		assert_int_equal(h_stats_until(&x, "light", 1, 10000), 0);
		usleep(100000);
	}
	assert_int_equal(raw_stats(&x, "msgs_relayed", &before), 0);
	raw_close(&x);
	p2p_send(r, s, "bob");
	p2p_send(r, s, "alice");
	assert_int_equal(waitpid(bob, &st, 0), bob);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(waitpid(alice, &st, 0), alice);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(file_has(bo, s->marker));
	assert_true(file_has(ao, s->marker));
	assert_int_equal(raw_login(&x, r->port, "dave", ""), 0);
	assert_int_equal(raw_stats(&x, "msgs_relayed", &after), 0);
	raw_close(&x);
	unsetenv("TERMGRAM_PASSWORD");
	return after - before;
}

/*
 * Capture the relay's TCP and UDP port and both peers' listen ports
 * during P2P chat and light presence: neither the password nor the
 * marker (nor their base64) nor alice's token in her ALIVE datagrams may
 * be seen. Over --tls off they are.
 */
static void
capture__p2p_and_light__show_no_password_token_or_message(void **state)
{
	struct relay r;
	struct secrets s;
	char cap[300];
	char *bytes;
	size_t len = 0;
	pid_t cpid;
	int bad = 0, alive = 0, ports[3], tries;
	unsigned long long relayed;

	(void)state;
	assert_int_equal(relay_start(&r, "--heartbeat", "1", NULL), 0);
	ports[0] = 0;
	ports[1] = h_free_port();
	ports[2] = h_free_port();
	cpid = capture_begin(&r, ports, cap, sizeof cap, &s);
	/* Until both went direct (the relay carried neither), at most 3
	 * times: a capture of messages the relay carried shows nothing of
	 * P2P. */
	for (tries = 1; (relayed = capture_p2p_session(&r, &s, ports)) > 0;
	     tries++) {
		print_message("try %d: the relay carried %llu of the 2\n",
		    tries, relayed);
		assert_true(tries < 3);
	}
	bytes = capture_stop(cpid, cap, &len);
	bad += captured_secrets(bytes, len, &s, "the marker (sent direct)");
	bad += captured(bytes, len, "alice's WELCOME (her token)",
	    "WELCOME|alice|", strlen("WELCOME|alice|"));
	bad += captured_alive_tokens(bytes, len, &alive);
	print_message("%d ALIVE datagrams of alice captured\n", alive);
	free(bytes);
	assert_true(alive > 0);
	assert_int_equal(bad, 0);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(relay__refuses_resume__from_another_device_key),
	    cmocka_unit_test(client__refuses_a_changed_relay_key),
	    cmocka_unit_test(client__strict__refuses_until_trusted),
	    cmocka_unit_test(relay__fingerprint__is_what_the_client_pins),
	    cmocka_unit_test(capture__shows_no_password_token_message_or_file),
	    cmocka_unit_test(
	        capture__p2p_and_light__show_no_password_token_or_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
