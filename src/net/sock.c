/* SPDX-License-Identifier: MIT */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/sock.h"

/* Put fd in non-blocking, close-on-exec mode. */
int
net_set_nonblock(int fd)
{
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl == -1 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* Switch Nagle off: small frames go out at once. */
int
net_set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Set the kernel's send buffer size (tests use it to force short writes). */
int
net_set_sndbuf(int fd, int size)
{
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static int
net_resolve(const char *host, uint16_t port, int socktype, int passive,
    struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	char serv[8];
	const char *h = host;
	char tmp[NET_ADDRSTRLEN];
	size_t n;
	int rc;

	/* Accept "[::1]" as written in URLs and PEER frames. */
	if (h != NULL && h[0] == '[') {
		n = strlen(h);
		if (n < 3 || n - 2 >= sizeof tmp || h[n - 1] != ']') {
			snprintf(err, errlen, "bad address '%s'", host);
			return -1;
		}
		memcpy(tmp, h + 1, n - 2);
		tmp[n - 2] = '\0';
		h = tmp;
	}
	if (h != NULL && *h == '\0')
		h = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	snprintf(serv, sizeof serv, "%u", (unsigned)port);
	rc = getaddrinfo(h, serv, &hints, res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", host != NULL ? host : "*",
		    gai_strerror(rc));
		return -1;
	}
	return 0;
}

static int
net_bind_any(
    const char *host, uint16_t port, int socktype, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, one = 1, saved = 0;

	if (net_resolve(host, port, socktype, 1, &res, err, errlen) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (net_set_nonblock(fd) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (socktype != SOCK_STREAM || listen(fd, 512) == 0))
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "%s port %u: %s",
		    host != NULL && *host != '\0' ? host : "*", (unsigned)port,
		    strerror(saved));
	return fd;
}

/* Listen on host:port (NULL or "" for all IPv4 addresses); returns the fd. */
int
net_tcp_listen(const char *host, uint16_t port, char *err, size_t errlen)
{
	if (host == NULL || *host == '\0')
		host = "0.0.0.0";
	return net_bind_any(host, port, SOCK_STREAM, err, errlen);
}

/* Bind a UDP socket on host:port; returns the fd. */
int
net_udp_bind(const char *host, uint16_t port, char *err, size_t errlen)
{
	if (host == NULL || *host == '\0')
		host = "0.0.0.0";
	return net_bind_any(host, port, SOCK_DGRAM, err, errlen);
}

/* An unbound non-blocking UDP socket of the given family. */
int
net_udp_socket(int family)
{
	int fd;

	fd = socket(family, SOCK_DGRAM, 0);
	if (fd != -1 && net_set_nonblock(fd) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Start a non-blocking connect to host:port. The fd is returned at once;
 * it becomes writable when the attempt ends, and net_tcp_connect_result()
 * then tells how it went.
 */
int
net_tcp_connect(const char *host, uint16_t port, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, saved = 0;

	if (net_resolve(host, port, SOCK_STREAM, 0, &res, err, errlen) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (net_set_nonblock(fd) == 0) {
			net_set_nodelay(fd);
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
			    errno == EINPROGRESS)
				break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "%s port %u: %s", host, (unsigned)port,
		    strerror(saved));
	return fd;
}

/* Whether a connect started by net_tcp_connect() succeeded: 0 or -1. */
int
net_tcp_connect_result(int fd, char *err, size_t errlen)
{
	int e = 0;
	socklen_t len = sizeof e;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		snprintf(err, errlen, "%s", strerror(e));
		return -1;
	}
	return 0;
}

/*
 * Accept one connection, non-blocking with TCP_NODELAY, and write the
 * peer's address into ip. -1 with errno EAGAIN when none is waiting.
 */
int
net_tcp_accept(int lfd, char *ip, size_t iplen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd;

	fd = accept(lfd, (struct sockaddr *)&ss, &len);
	if (fd == -1)
		return -1;
	if (net_set_nonblock(fd) != 0) {
		close(fd);
		return -1;
	}
	net_set_nodelay(fd);
	if (ip != NULL)
		net_addr_format(&ss, ip, iplen);
	return fd;
}

/* Send one datagram to host:port. */
ssize_t
net_udp_sendto(
    int fd, const char *host, uint16_t port, const void *p, size_t len)
{
	struct addrinfo *res, *ai;
	char err[128];
	ssize_t n = -1;

	if (net_resolve(host, port, SOCK_DGRAM, 0, &res, err, sizeof err) != 0)
		return -1;
	for (ai = res; ai != NULL && n == -1; ai = ai->ai_next)
		n = sendto(fd, p, len, 0, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return n;
}

/* Receive one datagram and where it came from. */
ssize_t
net_udp_recvfrom(
    int fd, void *p, size_t len, struct sockaddr_storage *ss, socklen_t *sslen)
{
	*sslen = sizeof *ss;
	return recvfrom(fd, p, len, 0, (struct sockaddr *)ss, sslen);
}

/* The local port a socket is bound to, or -1. */
int
net_sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	return net_addr_port(&ss);
}

/* The port of an address. */
uint16_t
net_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/*
 * Write an address as the protocol shows it: dotted IPv4, or IPv6 in
 * brackets. An IPv4-mapped IPv6 address is written as plain IPv4.
 */
void
net_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6;
	char tmp[INET6_ADDRSTRLEN];
	struct in_addr a4;

	if (ss->ss_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(&a4, &s6->sin6_addr.s6_addr[12], 4);
			inet_ntop(AF_INET, &a4, tmp, sizeof tmp);
			snprintf(buf, len, "%s", tmp);
			return;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, tmp, sizeof tmp);
		snprintf(buf, len, "[%s]", tmp);
		return;
	}
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    tmp, sizeof tmp);
		snprintf(buf, len, "%s", tmp);
		return;
	}
	snprintf(buf, len, "?");
}

/* Answer a datagram to the address it came from (see net_udp_recvfrom). */
ssize_t
net_udp_reply(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
    const void *p, size_t len)
{
	return sendto(fd, p, len, 0, (const struct sockaddr *)ss, sslen);
}
