/* SPDX-License-Identifier: MIT */
/*
 * Verified peers and authenticated presence, end to end over TLS: the
 * attacks of issue 13 rerun against the real relay and client. A sniffed
 * ALIVE replayed (from its own address or another) keeps nobody online
 * and moves no address; a forged UDP ERR does not make a resting light
 * client log in again; an impostor answering a P2P dial gets nothing (the
 * message goes by the relay); a ticket used from another device gets no
 * PWELCOME.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"
#include "proto/build.h"
#include "proto/frame.h"

#define EXPORTER "EXPORTER-termgram-alive"

/* The light-presence key of a raw TLS login, as the relay exported it. */
static void
alive_key(struct raw *c, unsigned char *key)
{
	assert_non_null(c->ssl);
	assert_int_equal(SSL_export_keying_material(c->ssl, key, 32, EXPORTER,
	                     strlen(EXPORTER), NULL, 0, 0),
	    1);
}

/* A signed ALIVE|name|counter|time|mac into buf; its length. */
static size_t
alive_of(char *buf, size_t cap, const char *name, uint64_t counter,
    const unsigned char *key)
{
	unsigned char mac[32];
	unsigned maclen = 0;
	size_t n;

	assert_int_equal(proto_alive_signed(
	                     buf, cap, &n, name, counter, (uint64_t)time(NULL)),
	    0);
	HMAC(
	    EVP_sha256(), key, 32, (const unsigned char *)buf, n, mac, &maclen);
	assert_int_equal(proto_build_signed(buf, cap, &n, mac), 0);
	return n;
}

/* A UDP socket bound to ip (any port). */
static int
udp_from(const char *ip)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* Send n bytes to 127.0.0.1:port. */
static void
udp_to(int fd, int port, const char *buf, size_t n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};

	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(
	    sendto(fd, buf, n, 0, (struct sockaddr *)&sa, sizeof sa), (long)n);
}

/* A datagram within ms into buf (NUL-terminated); false if none came. */
static bool
udp_answer(int fd, char *buf, size_t cap, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	buf[0] = '\0';
	if (poll(&pfd, 1, ms) != 1 || (n = recv(fd, buf, cap - 1, 0)) <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* How many lines of the relay's log contain what. */
static int
log_count(const struct relay *r, const char *what)
{
	char line[1024];
	FILE *f = fopen(r->log, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* Wait up to ms for the relay to log what. */
static bool
log_wait(const struct relay *r, const char *what, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (relay_log_has(r, what))
			return true;
		usleep(50000);
	}
	return relay_log_has(r, what);
}

/* Wait up to 10 s for STATS key to be v. */
static void
stats_until(struct raw *c, const char *key, unsigned long long v)
{
	assert_int_equal(h_stats_until(c, key, v, 10000), 0);
}

/* Ask LOOKUP|name on c; the PEER line is left in c->line. */
static void
lookup(struct raw *c, const char *name)
{
	char want[64];

	raw_send(c, "LOOKUP|%s\n", name);
	snprintf(want, sizeof want, "PEER|%s|", name);
	assert_int_equal(raw_expect(c, want, 5000), 0);
}

/* Field k (0: the verb) of the line in c->line, copied into out. */
static void
field(const struct raw *c, int k, char *out, size_t cap)
{
	const char *p = c->line, *e;

	for (; k > 0 && p != NULL; k--)
		if ((p = strchr(p, '|')) != NULL)
			p++;
	assert_non_null(p);
	e = strchr(p, '|');
	snprintf(
	    out, cap, "%.*s", (int)(e != NULL ? e - p : (long)strlen(p)), p);
}

/* alice gone light over TLS, and the ALIVE that did it. */
struct light {
	struct relay r;
	unsigned char key[32];
	char dg[256]; /* her first ALIVE, as sent */
	size_t n;
	int same, other; /* UDP from 127.0.0.1 and from 127.0.0.2 */
};

/*
 * A relay with one-second heartbeats; alice logs in over TLS, sends her
 * first ALIVE from 127.0.0.1 (answered, signed) and closes: light.
 */
static void
light_start(struct light *l)
{
	struct raw a;
	char ans[256];

	assert_int_equal(relay_start(&l->r, "--heartbeat", "1", NULL), 0);
	assert_int_equal(raw_login(&a, l->r.port, "alice", ""), 0);
	alive_key(&a, l->key);
	l->same = udp_from("127.0.0.1");
	l->other = udp_from("127.0.0.2");
	l->n = alive_of(l->dg, sizeof l->dg, "alice", 1, l->key);
	udp_to(l->same, l->r.port, l->dg, l->n);
	assert_true(udp_answer(l->same, ans, sizeof ans, 3000));
	assert_non_null(strstr(ans, "ALIVE|0|1|"));
	raw_close(&a);
}

static void
light_end(struct light *l)
{
	close(l->same);
	close(l->other);
	assert_int_equal(relay_finish(&l->r), 0);
}

/* The address a LOOKUP by c gives for alice, into ip. */
static void
alice_ip(struct raw *c, char *ip, size_t cap)
{
	lookup(c, "alice");
	field(c, 2, ip, cap);
}

/*
 * A replayed ALIVE, from the address it was sent from or another, gets
 * no answer, moves no address, and the user it named leaves after three
 * intervals as if nothing came.
 */
static void
verified__alive_replay__keeps_no_killed_user_online(void **state)
{
	struct light l;
	struct raw b;
	char ans[256], ip[64];
	int i;

	(void)state;
	if (!h_tls)
		skip();
	light_start(&l);
	/* "Killed": from now on only the capture is sent, from both. */
	assert_int_equal(raw_login(&b, l.r.port, "bob", ""), 0);
	for (i = 0; i < 60 && !relay_log_has(&l.r, "alice left"); i++) {
		udp_to(l.other, l.r.port, l.dg, l.n);
		udp_to(l.same, l.r.port, l.dg, l.n);
		assert_false(udp_answer(l.other, ans, sizeof ans, 25));
		assert_false(udp_answer(l.same, ans, sizeof ans, 25));
		if (i == 5) {
			/* The replay from 127.0.0.2 did not move her. */
			alice_ip(&b, ip, sizeof ip);
			assert_string_equal(ip, "127.0.0.1");
		}
		usleep(50000);
	}
	assert_true(
	    log_wait(&l.r, "alice left (no ALIVE for three intervals)", 3000));
	raw_close(&b);
	light_end(&l);
}

/*
 * The control: a fresh ALIVE with the key, even from another address, is
 * taken and moves the address peers are given.
 */
static void
verified__alive__a_fresh_one_moves_the_address(void **state)
{
	struct light l;
	struct raw b;
	char dg[256], ans[256], ip[64];
	size_t n;

	(void)state;
	if (!h_tls)
		skip();
	light_start(&l);
	n = alive_of(dg, sizeof dg, "alice", 2, l.key);
	udp_to(l.other, l.r.port, dg, n);
	assert_true(udp_answer(l.other, ans, sizeof ans, 3000));
	assert_non_null(strstr(ans, "ALIVE|0|2|"));
	assert_int_equal(raw_login(&b, l.r.port, "bob", ""), 0);
	alice_ip(&b, ip, sizeof ip);
	assert_string_equal(ip, "127.0.0.2");
	raw_close(&b);
	light_end(&l);
}

/* The local UDP ports of process pid (from /proc), into ports; how many. */
static int
udp_ports_of(pid_t pid, int *ports, int cap)
{
	char path[64], link[64], line[512];
	unsigned long inodes[64], ino;
	unsigned port;
	int ni = 0, np = 0, i;
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && ni < 64) {
		char fdp[600];
		ssize_t k;

		snprintf(fdp, sizeof fdp, "%s/%s", path, de->d_name);
		if ((k = readlink(fdp, link, sizeof link - 1)) <= 0)
			continue;
		link[k] = '\0';
		if (sscanf(link, "socket:[%lu]", &inodes[ni]) == 1)
			ni++;
	}
	closedir(d);
	if ((f = fopen("/proc/net/udp", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL && np < cap) {
		if (sscanf(line,
		        " %*d: %*x:%x %*x:%*x %*x %*x:%*x %*x:%*x %*x "
		        "%*d %*d %lu",
		        &port, &ino) != 2)
			continue;
		for (i = 0; i < ni; i++)
			if (inodes[i] == ino)
				ports[np++] = (int)port;
	}
	fclose(f);
	return np;
}

/*
 * Forged UDP ERR and ALIVE|n to a resting light client: it neither logs
 * in again nor wakes (over TLS only the relay's signed answer counts).
 */
static void
verified__forged_udp__ignored_by_a_resting_light_client(void **state)
{
	struct relay r;
	struct raw c;
	char port[16], da[400], out[400];
	int ports[8], np, i, k, logins, fd;
	pid_t alice;

	(void)state;
	if (!h_tls)
		skip();
	assert_int_equal(relay_start(&r, "--heartbeat", "1", NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(out, sizeof out, "%s.out", r.dir);
	alice = spawn_client(out, "recv", "--port", port, "--user", "alice",
	    "--data", da, "--light", "--count", "1", "--timeout", "60", NULL);
	assert_true(log_wait(&r, "alice logged in", 10000));
	assert_int_equal(raw_login(&c, r.port, "carol", ""), 0);
	stats_until(&c, "light", 1);
	stats_until(&c, "sessions", 1); /* carol's only: alice rests */
	logins = log_count(&r, "alice logged in");
	np = udp_ports_of(alice, ports, 8);
	assert_true(np > 0);
	fd = udp_from("127.0.0.1");
	for (i = 0; i < 30; i++) {
		for (k = 0; k < np; k++) {
			udp_to(fd, ports[k], "ERR|AUTH_FAILED|-|\n", 19);
			udp_to(fd, ports[k], "ALIVE|3\n", 8);
		}
		usleep(100000);
	}
	assert_int_equal(log_count(&r, "alice logged in"), logins);
	stats_until(&c, "sessions", 1);
	stats_until(&c, "light", 1);
	close(fd);
	raw_close(&c);
	kill(alice, SIGTERM);
	waitpid(alice, NULL, 0);
	unlink(out);
	assert_int_equal(relay_finish(&r), 0);
}

/* ALPN: the impostor speaks termgram/1 like a real client would. */
static int
impostor_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	if (inlen < 11 || memcmp(in, "\x0atermgram/1", 11) != 0)
		return SSL_TLSEXT_ERR_NOACK;
	*out = in + 1;
	*outlen = 10;
	return SSL_TLSEXT_ERR_OK;
}

/* A TLS server context with a key of its own (not bob's). */
static SSL_CTX *
impostor_ctx(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L);
	X509_set_pubkey(x, k);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, k, NULL) != 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_use_certificate(ctx, x);
	SSL_CTX_use_PrivateKey(ctx, k);
	SSL_CTX_set_alpn_select_cb(ctx, impostor_alpn, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	return ctx;
}

/* The impostor's life: take connections on lfd for 10 s, say PWELCOME to
 * any PHELLO, and write down what came (report). */
static void
impostor_run(int lfd, const char *report)
{
	SSL_CTX *ctx = impostor_ctx();
	FILE *f = fopen(report, "w");
	struct timeval tv = {.tv_sec = 3};
	struct pollfd pfd = {.fd = lfd, .events = POLLIN};
	char buf[4096];
	int fd, n;
	SSL *ssl;

	while (
	    poll(&pfd, 1, 10000) == 1 && (fd = accept(lfd, NULL, NULL)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1) {
			fprintf(f, "tls\n");
			fflush(f);
			while ((n = SSL_read(ssl, buf, sizeof buf - 1)) > 0) {
				buf[n] = '\0';
				fputs(buf, f);
				fflush(f);
				if (strncmp(buf, "PHELLO|", 7) == 0)
					SSL_write(
					    ssl, "PWELCOME|bob|alice\n", 19);
			}
		}
		SSL_free(ssl);
		close(fd);
	}
	fclose(f);
	_exit(0);
}

/* Listen on 0.0.0.0:port and run the impostor there, in a child. */
static pid_t
impostor_start(int port, const char *report)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 8), 0);
	if ((pid = fork()) == 0)
		impostor_run(lfd, report);
	close(lfd);
	return pid;
}

/* Whether the file at path contains what. */
static bool
file_has(const char *path, const char *what)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, what) != NULL;
}

/*
 * bob, light, is killed; an impostor takes his P2P port while the relay
 * still shows him online. alice's direct dial meets a key that is not
 * bob's: no PHELLO, no message; it goes by the relay.
 */
static void
verified__impostor_answering_a_dial__gets_nothing(void **state)
{
	struct relay r;
	struct raw c;
	char port[16], pp[16], da[400], db[400], out[400], rep[400];
	char sout[4096], serr[4096];
	unsigned long long stored = 0;
	pid_t bob, imp;
	int st;

	(void)state;
	if (!h_tls)
		skip();
	assert_int_equal(relay_start(&r, "--heartbeat", "5", NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(pp, sizeof pp, "%d", h_free_port());
	snprintf(da, sizeof da, "%s/alice", r.dir);
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(out, sizeof out, "%s.out", r.dir);
	snprintf(rep, sizeof rep, "%s.impostor", r.dir);
	bob = spawn_client(out, "recv", "--port", port, "--user", "bob",
	    "--data", db, "--light", "--p2p-port", pp, "--timeout", "60", NULL);
	assert_true(log_wait(&r, "bob logged in", 10000));
	assert_int_equal(raw_login(&c, r.port, "carol", ""), 0);
	stats_until(&c, "light", 1);
	stats_until(&c, "sessions", 1);
	kill(bob, SIGKILL);
	waitpid(bob, NULL, 0);
	imp = impostor_start(atoi(pp), rep);

	st = run_client(NULL, NULL, sout, sizeof sout, serr, sizeof serr,
	    "send", "--port", port, "--user", "alice", "--data", da, "--p2p",
	    "--timeout", "30", "bob", "the vault code is 31-7-99", NULL);
	if (st != 0)
		fail_msg("send exited %d: %s", st, serr);
	waitpid(imp, NULL, 0);
	/* The impostor got a TLS connection and not one frame. */
	assert_true(file_has(rep, "tls\n"));
	assert_false(file_has(rep, "PHELLO"));
	assert_false(file_has(rep, "MSG"));
	/* The relay holds the message for the real bob. */
	assert_int_equal(raw_stats(&c, "msgs_stored", &stored), 0);
	assert_true(stored >= 1);
	raw_close(&c);
	unlink(out);
	unlink(rep);
	assert_int_equal(relay_finish(&r), 0);
}

/*
 * A ticket alice got, used first from another device (its PHELLO says
 * alice): bob's relay says yes for alice's key, which the thief does not
 * have, and bob closes without PWELCOME. alice's own device, with the
 * next ticket, is welcome.
 */
static void
verified__stolen_ticket__gets_no_welcome(void **state)
{
	struct relay r;
	struct raw a, t, g;
	char port[16], pp[16], db[400], out[400], ticket[80];
	pid_t bob;

	(void)state;
	if (!h_tls)
		skip();
	assert_int_equal(relay_start(&r, NULL), 0);
	snprintf(port, sizeof port, "%d", r.port);
	snprintf(pp, sizeof pp, "%d", h_free_port());
	snprintf(db, sizeof db, "%s/bob", r.dir);
	snprintf(out, sizeof out, "%s.out", r.dir);
	bob = spawn_client(out, "recv", "--port", port, "--user", "bob",
	    "--data", db, "--p2p", "--p2p-port", pp, "--timeout", "60", NULL);
	assert_true(log_wait(&r, "bob logged in", 10000));

	h_tls_identity(0);
	assert_int_equal(raw_login(&a, r.port, "alice", ""), 0);
	lookup(&a, "bob");
	assert_int_equal(strlen(a.line) > 0, 1);
	field(&a, 4, ticket, sizeof ticket);
	/* The thief: another device key, alice's ticket. */
	h_tls_identity(1);
	assert_int_equal(raw_open(&t, atoi(pp)), 0);
	raw_send(&t, "PHELLO|alice|bob|%s\n", ticket);
	assert_int_not_equal(raw_expect(&t, "PWELCOME|", 5000), 0);
	raw_close(&t);
	/* alice herself, with a fresh ticket. */
	lookup(&a, "bob");
	field(&a, 4, ticket, sizeof ticket);
	h_tls_identity(0);
	assert_int_equal(raw_open(&g, atoi(pp)), 0);
	raw_send(&g, "PHELLO|alice|bob|%s\n", ticket);
	assert_int_equal(raw_expect(&g, "PWELCOME|bob|alice", 5000), 0);
	raw_close(&g);
	raw_close(&a);
	kill(bob, SIGTERM);
	waitpid(bob, NULL, 0);
	unlink(out);
	assert_int_equal(relay_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        verified__alive_replay__keeps_no_killed_user_online),
	    cmocka_unit_test(verified__alive__a_fresh_one_moves_the_address),
	    cmocka_unit_test(
	        verified__forged_udp__ignored_by_a_resting_light_client),
	    cmocka_unit_test(verified__impostor_answering_a_dial__gets_nothing),
	    cmocka_unit_test(verified__stolen_ticket__gets_no_welcome),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
