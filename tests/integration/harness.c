/* SPDX-License-Identifier: MIT */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"
#include "proto/b64.h"

bool h_tls = true;
static SSL_CTX *h_ctx[4]; /* one throwaway device identity each */
static int h_who; /* the identity raw_open presents */
static SSL *h_live[256]; /* open TLS connections, freed at exit */

/* Keep or forget an open TLS connection (so none is leaked at exit). */
static void
h_live_set(SSL *old, SSL *now)
{
	size_t i;

	for (i = 0; i < sizeof h_live / sizeof h_live[0]; i++)
		if (h_live[i] == old) {
			h_live[i] = now;
			return;
		}
}

/* At exit: the connections a test left open, and the contexts. */
__attribute__((destructor)) static void
h_tls_free_all(void)
{
	size_t i;

	for (i = 0; i < sizeof h_live / sizeof h_live[0]; i++)
		SSL_free(h_live[i]);
	for (i = 0; i < sizeof h_ctx / sizeof h_ctx[0]; i++)
		SSL_CTX_free(h_ctx[i]);
}

/* Whether the tests run over TLS: TERMGRAM_TEST_TLS=off says no. */
__attribute__((constructor)) static void
h_tls_mode(void)
{
	const char *e = getenv("TERMGRAM_TEST_TLS");

	h_tls = e == NULL || strcmp(e, "off") != 0;
}

/* A client context with a fresh Ed25519 key and self-signed certificate. */
static SSL_CTX *
h_tls_ctx_new(void)
{
	static const unsigned char alpn[] = "\x0atermgram/1";
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *nm = X509_get_subject_name(x);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid());
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"termgram test", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	if (k == NULL || X509_sign(x, k, NULL) == 0 || ctx == NULL)
		abort();
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_use_certificate(ctx, x);
	SSL_CTX_use_PrivateKey(ctx, k);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	X509_free(x);
	EVP_PKEY_free(k);
	return ctx;
}

/* Which of the test's device identities (0-3) raw_open presents next. */
void
h_tls_identity(int who)
{
	h_who = who;
}

/* TLS over c's connected socket, with the current identity; 0 or -1. */
static int
raw_tls(struct raw *c)
{
	SSL *ssl;

	if (h_ctx[h_who] == NULL)
		h_ctx[h_who] = h_tls_ctx_new();
	ssl = SSL_new(h_ctx[h_who]);
	SSL_set_fd(ssl, c->fd);
	if (SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		return -1;
	}
	c->ssl = ssl;
	h_live_set(NULL, ssl);
	return 0;
}

/* The relay's key fingerprint (SHA-256 of its SubjectPublicKeyInfo). */
bool
raw_peer_fp(struct raw *c, unsigned char *fp)
{
	X509 *x;
	unsigned char *der = NULL;
	int n;

	if (c->ssl == NULL || (x = SSL_get1_peer_certificate(c->ssl)) == NULL)
		return false;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	SHA256(der, (size_t)n, fp);
	OPENSSL_free(der);
	X509_free(x);
	return n > 0;
}

/* Read what is there (or wait for it): recv() or SSL_read(). */
static long
raw_recv(struct raw *c, void *p, size_t n)
{
	int k;

	if (c->ssl == NULL)
		return (long)recv(c->fd, p, n, 0);
	k = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	return k > 0 ? k : -1;
}

/* Whether bytes wait already decrypted (poll() would not see them). */
static bool
raw_pending(struct raw *c)
{
	return c->ssl != NULL && SSL_pending(c->ssl) > 0;
}

/*
 * Write what the socket takes now (it may be non-blocking): the count,
 * or -1 with errno EAGAIN when nothing went.
 */
long
raw_send_some(struct raw *c, const void *p, size_t n)
{
	int k;

	if (c->ssl == NULL)
		return (long)send(c->fd, p, n, MSG_NOSIGNAL);
	k = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (k > 0)
		return k;
	errno =
	    SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_WRITE ? EAGAIN : EPIPE;
	return -1;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A free TCP port on loopback (bound, read and let go). */
int
h_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		port = -1;
	else
		port = ntohs(sa.sin_port);
	if (fd != -1)
		close(fd);
	return port;
}

/* A fresh temporary folder. */
void
h_tmpdir(char *out, size_t len)
{
	snprintf(out, len, "%s/termgram-test.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(out) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

/* Remove a folder and everything in it. */
void
h_rmdir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Relays still running when the test program exits (a failed assertion
 * skips the test's own cleanup) are killed, so none outlives it. */
static pid_t relay_pids[64];

static void
relay_kill_all(void)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (relay_pids[i] > 0)
			kill(relay_pids[i], SIGKILL);
	}
}

static void
relay_remember(pid_t pid, pid_t old)
{
	static bool registered;
	size_t i;

	if (!registered) {
		atexit(relay_kill_all);
		registered = true;
	}
	for (i = 0; i < 64; i++) {
		if (relay_pids[i] == old) {
			relay_pids[i] = pid;
			return;
		}
	}
}

static int
relay_spawn(struct relay *r)
{
	char *argv[24], port_line[64];
	FILE *f;
	char buf[512];
	long long deadline;
	int i, n = 0, fd;

	unlink(r->log);
	argv[n++] = TERMGRAM_BIN_DIR "/termgramd";
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--bind";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--data";
	argv[n++] = r->dir;
	if (!h_tls) {
		argv[n++] = "--tls";
		argv[n++] = "off";
	}
	for (i = 0; i < r->nargs; i++)
		argv[n++] = r->args[i];
	argv[n] = NULL;

	r->pid = fork();
	if (r->pid == 0) {
		fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	relay_remember(r->pid, 0);
	/* Wait for "termgramd: listening on ADDR:PORT" in its log. */
	deadline = now_ms() + 15000;
	while (now_ms() < deadline) {
		if ((f = fopen(r->log, "r")) != NULL) {
			while (fgets(buf, sizeof buf, f) != NULL) {
				char *p = strstr(buf, "listening on ");
				if (p != NULL &&
				    (p = strrchr(p, ':')) != NULL) {
					r->port = atoi(p + 1);
					fclose(f);
					return r->port > 0 ? 0 : -1;
				}
			}
			fclose(f);
		}
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
			r->pid = 0;
			return -1;
		}
		usleep(5000);
	}
	(void)port_line;
	return -1;
}

/* Start a relay on a free port with a new data folder and extra args. */
int
relay_start(struct relay *r, const char *arg, ...)
{
	va_list ap;

	memset(r, 0, sizeof *r);
	h_tmpdir(r->dir, sizeof r->dir);
	snprintf(r->log, sizeof r->log, "%s.log", r->dir);
	va_start(ap, arg);
	for (; arg != NULL && r->nargs < 8; arg = va_arg(ap, const char *))
		snprintf(r->args[r->nargs++], sizeof r->args[0], "%s", arg);
	va_end(ap);
	return relay_spawn(r);
}

/* Start the relay again on the same data folder (a new port). */
int
relay_restart(struct relay *r)
{
	return relay_spawn(r);
}

/* Send a signal and reap the relay; returns its exit status or -signal. */
int
relay_stop(struct relay *r, int sig)
{
	int st;

	if (r->pid <= 0)
		return -1;
	kill(r->pid, sig);
	if (waitpid(r->pid, &st, 0) != r->pid)
		return -1;
	relay_remember(0, r->pid);
	r->pid = 0;
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

/*
 * End a test's relay cleanly (SIGTERM: its exit status, 0 when it shut
 * down well and LeakSanitizer found nothing) and remove its files.
 */
int
relay_finish(struct relay *r)
{
	int st = relay_stop(r, SIGTERM);

	h_rmdir(r->dir);
	unlink(r->log);
	return st;
}

/* The relay's resident memory, in KiB. */
long
relay_rss_kb(const struct relay *r)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)r->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	}
	fclose(f);
	return kb;
}

/* How many lines of the relay's log contain text. */
int
relay_log_count(const struct relay *r, const char *text)
{
	char buf[4096];
	FILE *f;
	int n = 0;

	if ((f = fopen(r->log, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof buf, f) != NULL)
		n += strstr(buf, text) != NULL;
	fclose(f);
	return n;
}

/* Whether the relay's log contains text. */
bool
relay_log_has(const struct relay *r, const char *text)
{
	return relay_log_count(r, text) > 0;
}

/* Connect to the relay on loopback. */
int
raw_open(struct raw *c, int port)
{
	struct sockaddr_in sa;
	int one = 1;

	c->len = 0;
	c->ssl = NULL;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (h_tls && raw_tls(c) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void
raw_close(struct raw *c)
{
	if (c->fd != -1 && c->ssl != NULL) {
		h_live_set(c->ssl, NULL);
		SSL_free(c->ssl);
	}
	c->ssl = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Write all bytes. */
int
raw_write(struct raw *c, const void *p, size_t n)
{
	const char *q = p;
	ssize_t k;

	while (n > 0) {
		k = raw_send_some(c, q, n);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			return -1;
		}
		q += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write formatted text. */
int
raw_send(struct raw *c, const char *fmt, ...)
{
	char buf[1 << 17];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return raw_write(c, buf, (size_t)n);
}

/* Read the next line into c->line within ms; -1 on timeout or EOF. */
int
raw_line(struct raw *c, int ms)
{
	long long deadline = now_ms() + ms;
	struct pollfd pfd;
	char *lf;
	size_t n;
	ssize_t k;

	for (;;) {
		lf = memchr(c->buf, '\n', c->len);
		if (lf != NULL) {
			n = (size_t)(lf - c->buf);
			memcpy(c->line, c->buf, n);
			c->line[n] = '\0';
			memmove(c->buf, lf + 1, c->len - n - 1);
			c->len -= n + 1;
			return 0;
		}
		if (c->len == sizeof c->buf)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (!raw_pending(c) &&
		    poll(&pfd, 1,
		        (int)(deadline - now_ms() > 0 ? deadline - now_ms()
		                                      : 0)) <= 0)
			return -1;
		k = raw_recv(c, c->buf + c->len, sizeof c->buf - c->len);
		if (k <= 0)
			return -1;
		c->len += (size_t)k;
	}
}

/* Read lines until one starts with prefix; -1 if none within ms. */
int
raw_expect(struct raw *c, const char *prefix, int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		if (raw_line(c, (int)(deadline - now_ms())) != 0)
			return -1;
		if (strncmp(c->line, prefix, strlen(prefix)) == 0)
			return 0;
	}
	return -1;
}

/* The next n raw bytes (an FDATA payload) into p, within ms; 0 or -1. */
int
raw_bytes(struct raw *c, void *p, size_t n, int ms)
{
	long long deadline = now_ms() + ms;
	struct pollfd pfd;
	size_t k;
	ssize_t got;

	while (n > 0) {
		if (c->len > 0) {
			k = c->len < n ? c->len : n;
			memcpy(p, c->buf, k);
			memmove(c->buf, c->buf + k, c->len - k);
			c->len -= k;
			p = (char *)p + k;
			n -= k;
			continue;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (!raw_pending(c) &&
		    poll(&pfd, 1,
		        (int)(deadline - now_ms() > 0 ? deadline - now_ms()
		                                      : 0)) <= 0)
			return -1;
		if ((got = raw_recv(c, c->buf, sizeof c->buf)) <= 0)
			return -1;
		c->len = (size_t)got;
	}
	return 0;
}

/* Whether the relay closed the connection (within ms). */
bool
raw_is_closed(struct raw *c, int ms)
{
	long long deadline = now_ms() + ms;
	struct pollfd pfd;
	char tmp[4096];
	ssize_t k;

	while (now_ms() < deadline) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (!raw_pending(c) &&
		    poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			return false;
		k = raw_recv(c, tmp, sizeof tmp);
		if (k <= 0)
			return true;
	}
	return false;
}

/* A file of mib MiB of random bytes. */
void
h_random_file(const char *path, size_t mib)
{
	static char buf[1 << 20];
	FILE *in = fopen("/dev/urandom", "r"), *out = fopen(path, "w");
	size_t i;

	if (in == NULL || out == NULL) {
		fprintf(stderr, "cannot write %s\n", path);
		abort();
	}
	for (i = 0; i < mib; i++) {
		if (fread(buf, 1, sizeof buf, in) != sizeof buf ||
		    fwrite(buf, 1, sizeof buf, out) != sizeof buf)
			abort();
	}
	fclose(in);
	fclose(out);
}

/* Whether two files hold the same bytes. */
bool
h_same_file(const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

/* Base64 of a string, in a static buffer. */
char *
h_b64(const char *s)
{
	static char out[PROTO_B64_ENCODED_LEN(70000) + 1];
	size_t n = proto_b64_encode(s, strlen(s), out);

	out[n] = '\0';
	return out;
}

/*
 * Connect and log in; read up to and including SYNCED. A test that has
 * just closed the same name's connection may find the relay has not seen
 * that close yet (NAME_IN_USE): try again for a moment.
 */
int
raw_login(struct raw *c, int port, const char *name, const char *password)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (raw_open(c, port) != 0)
			return -1;
		raw_send(c, "LOGIN|1|%s|%s|0\n", name, h_b64(password));
		/* A new or owned name waits for its password hash, which a
		 * loaded machine may take seconds to make. */
		if (raw_line(c, 30000) != 0)
			return -1;
		if (strncmp(c->line, "WELCOME|", 8) == 0)
			return raw_expect(c, "SYNCED", 5000);
		raw_close(c);
		if (strncmp(c->line, "ERR|NAME_IN_USE|", 16) != 0)
			return -1;
		usleep(20000);
	}
	return -1;
}

/* Ask STATS and read one key's value. */
int
raw_stats(struct raw *c, const char *key, unsigned long long *v)
{
	char kv[2048], *p;
	size_t n;

	raw_send(c, "STATS\n");
	if (raw_expect(c, "STATS|", 5000) != 0)
		return -1;
	if (proto_b64_decode(
	        c->line + 6, strlen(c->line + 6), kv, sizeof kv - 1, &n) != 0)
		return -1;
	kv[n] = '\0';
	for (p = kv; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, strlen(key)) == 0 &&
		    p[strlen(key)] == '=') {
			*v = strtoull(p + strlen(key) + 1, NULL, 10);
			return 0;
		}
	}
	return -1;
}

/* Poll the relay's STATS on x until key has value want (within ms). */
int
h_stats_until(struct raw *x, const char *key, unsigned long long want, int ms)
{
	unsigned long long v = 0;
	int waited;

	for (waited = 0; waited <= ms; waited += 50) {
		if (raw_stats(x, key, &v) != 0)
			return -1;
		if (v == want)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "%s stayed %llu, not %llu\n", key, v, want);
	return -1;
}

/*
 * Run termgram with arguments (NULL-terminated), feeding input on stdin,
 * capturing stdout and stderr. Returns the exit status.
 */
/* termgram's argv: its path, then the arguments up to NULL. */
static void
client_argv(char *argv[32], const char *arg, va_list ap)
{
	int n = 0;

	argv[n++] = TERMGRAM_BIN_DIR "/termgram";
	for (; arg != NULL && n < 29; arg = va_arg(ap, const char *)) {
		argv[n++] = (char *)arg;
		if (n == 2 && !h_tls) { /* after the command's name */
			argv[n++] = "--tls";
			argv[n++] = "off";
		}
	}
	argv[n] = NULL;
}

/*
 * Start termgram with arguments up to NULL in the background, its stdout
 * to the file at path (stderr discarded). Returns its pid.
 */
pid_t
spawn_client(const char *path, const char *arg, ...)
{
	char *argv[32];
	va_list ap;
	pid_t pid;
	int fd;

	va_start(ap, arg);
	client_argv(argv, arg, ap);
	va_end(ap);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int
run_client(const char *input, const char *unused, char *out, size_t outlen,
    char *err, size_t errlen, const char *arg, ...)
{
	char *argv[32];
	int in[2], o[2], e[2], st;
	size_t no = 0, ne = 0, ni = 0, ilen = input != NULL ? strlen(input) : 0;
	struct pollfd pfd[3];
	va_list ap;
	pid_t pid;
	ssize_t k;

	(void)unused;
	va_start(ap, arg);
	client_argv(argv, arg, ap);
	va_end(ap);
	if (pipe(in) != 0 || pipe(o) != 0 || pipe(e) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(in[1]);
		close(o[0]);
		close(e[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	if (ilen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	for (;;) {
		pfd[0].fd = o[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = e[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = in[1];
		pfd[2].events = POLLOUT;
		if (pfd[0].fd == -1 && pfd[1].fd == -1)
			break;
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			k = read(o[0], out + no, outlen - 1 - no);
			if (k <= 0) {
				close(o[0]);
				o[0] = -1;
			} else
				no += (size_t)k;
		}
		if (pfd[1].revents) {
			k = read(e[0], err + ne, errlen - 1 - ne);
			if (k <= 0) {
				close(e[0]);
				e[0] = -1;
			} else
				ne += (size_t)k;
		}
		if (in[1] != -1 && pfd[2].revents) {
			k = write(in[1], input + ni, ilen - ni);
			if (k > 0)
				ni += (size_t)k;
			if (k < 0 || ni == ilen) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	out[no] = '\0';
	err[ne] = '\0';
	if (in[1] != -1)
		close(in[1]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * One datagram q to the relay's UDP port on loopback and its answer
 * (without the LF; "" if none came within ms). -1 if it could not be sent.
 */
int
udp_ask(int port, const char *q, char *answer, size_t cap, int ms)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct pollfd pfd;
	ssize_t n;
	int fd, rc = 0;

	answer[0] = '\0';
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(fd, q, strlen(q), 0, (struct sockaddr *)&sa, sizeof sa) !=
	    (ssize_t)strlen(q))
		rc = -1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (rc == 0 && poll(&pfd, 1, ms) == 1 &&
	    (n = recv(fd, answer, cap - 1, 0)) > 0) {
		answer[n] = '\0';
		answer[strcspn(answer, "\n")] = '\0';
	}
	close(fd);
	return rc;
}
