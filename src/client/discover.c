/* SPDX-License-Identifier: MIT */
/* Finding relays on the LAN with DISCOVER (client/discover.h). */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/discover.h"
#include "proto/b64.h"
#include "proto/build.h"
#include "proto/frame.h"
#include "proto/utf8.h"

#define DISCOVER_IFS 16 /* broadcast addresses asked at most */

/*
 * Check one datagram as a relay's answer from addr: RELAY|name|port, or
 * over TLS RELAY|name|port|fingerprint; the name 1 to 64 bytes of UTF-8,
 * the port 1 to 65535. 0 and *ad filled, or -1 for anything else.
 */
int
client_discover_parse(
    const char *data, size_t len, const char *addr, struct client_relay_ad *ad)
{
	char buf[PROTO_MAX_DATAGRAM + 2];
	struct proto_frame fr;
	struct proto_error err;
	size_t n;
	uint64_t port;

	if (len == 0 || len > PROTO_MAX_DATAGRAM)
		return -1;
	memcpy(buf, data, len);
	if (buf[len - 1] != '\n')
		buf[len++] = '\n';
	if (proto_frame_parse(buf, len, &fr, &err) != PROTO_FRAME ||
	    fr.verb != PROTO_V_RELAY || (fr.nargs != 2 && fr.nargs != 3))
		return -1;
	memset(ad, 0, sizeof *ad);
	if (proto_b64_decode(fr.arg[0].p, fr.arg[0].len, ad->name,
	        CLIENT_DISCOVER_NAME, &n) != 0 ||
	    n == 0 || n > CLIENT_DISCOVER_NAME ||
	    memchr(ad->name, '\0', n) != NULL ||
	    !proto_utf8_is_valid(ad->name, n))
		return -1;
	ad->name[n] = '\0';
	port = proto_slice_u64(fr.arg[1]);
	if (port == 0 || port > 65535)
		return -1;
	ad->port = (unsigned)port;
	ad->tls = fr.nargs == 3;
	if (ad->tls && proto_slice_hex32(fr.arg[2], ad->fp) != 0)
		return -1;
	if (addr == NULL || strlen(addr) >= sizeof ad->addr)
		return -1;
	snprintf(ad->addr, sizeof ad->addr, "%s", addr);
	return 0;
}

/*
 * Keep an answer unless the relay is already listed: the same key over
 * TLS (a relay heard on two interfaces), or the same address and port.
 * false when it was not kept (a repeat, or the list is full).
 */
bool
client_discover_add(struct client_discover *d, const struct client_relay_ad *ad)
{
	const struct client_relay_ad *o;
	size_t i;

	for (i = 0; i < d->n; i++) {
		o = &d->ad[i];
		if (o->tls != ad->tls)
			continue;
		if (ad->tls
		        ? memcmp(o->fp, ad->fp, sizeof o->fp) == 0
		        : strcmp(o->addr, ad->addr) == 0 && o->port == ad->port)
			return false;
	}
	if (d->n == CLIENT_DISCOVER_MAX)
		return false;
	d->ad[d->n++] = *ad;
	return true;
}

/* Where one DISCOVER goes: a broadcast address, or 255.255.255.255 out
 * of one interface (ifindex not 0) that was given no broadcast address. */
struct discover_target {
	struct in_addr to;
	unsigned ifindex;
};

/*
 * The target for an IPv4 interface: its broadcast address; or, when it
 * was given none (`ip addr add A/24` without `brd`, which leaves the
 * kernel taking A's .255 for a host), the limited broadcast out of it.
 */
static void
discover_target(const struct ifaddrs *i, struct discover_target *t)
{
	const struct sockaddr_in *b =
	    (const struct sockaddr_in *)(const void *)i->ifa_broadaddr;
	const struct sockaddr_in *a =
	    (const struct sockaddr_in *)(const void *)i->ifa_addr;

	/* Without one, getifaddrs gives the address itself (or nothing). */
	memset(t, 0, sizeof *t);
	if (b != NULL && b->sin_addr.s_addr != htonl(INADDR_ANY) &&
	    b->sin_addr.s_addr != a->sin_addr.s_addr) {
		t->to = b->sin_addr;
		return;
	}
	t->to.s_addr = htonl(INADDR_BROADCAST);
	t->ifindex = if_nametoindex(i->ifa_name);
}

/*
 * The target of every IPv4 interface that is up and broadcasts (the
 * loopback does not), each once. Returns how many.
 */
static size_t
discover_targets(struct discover_target *out, size_t max)
{
	struct ifaddrs *ifs, *i;
	struct discover_target t;
	size_t n = 0, k;

	if (getifaddrs(&ifs) != 0)
		return 0;
	for (i = ifs; i != NULL && n < max; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) ||
		    !(i->ifa_flags & IFF_BROADCAST) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		discover_target(i, &t);
		for (k = 0; k < n &&
		     (out[k].to.s_addr != t.to.s_addr ||
		         out[k].ifindex != t.ifindex);
		     k++)
			;
		if (k == n)
			out[n++] = t;
	}
	freeifaddrs(ifs);
	return n;
}

/* Send buf to the target: through the interface it names, if any. */
static bool
discover_sendto(int fd, const struct discover_target *t, unsigned port,
    const char *buf, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr m = {.msg_name = &sa,
	    .msg_namelen = sizeof sa,
	    .msg_iov = &iov,
	    .msg_iovlen = 1};
	struct in_pktinfo pi;
	struct cmsghdr *c;

	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr = t->to;
	if (t->ifindex != 0) {
		memset(&ctl, 0, sizeof ctl);
		memset(&pi, 0, sizeof pi);
		pi.ipi_ifindex = (int)t->ifindex;
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof ctl.buf;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
	}
	return sendmsg(fd, &m, 0) == (ssize_t)len;
}

/*
 * Send both requests to every target: DISCOVER|1 padded to 256 bytes,
 * which a relay over TLS answers, and the bare DISCOVER|1 of version 1,
 * which a relay with --tls off answers. How many targets took them.
 */
static size_t
discover_send(int fd, const struct discover_target *to, size_t n, unsigned port)
{
	struct proto_writer w;
	char pad[PROTO_DISCOVER_SIZE], bare[32];
	size_t plen, blen, i, ok = 0;

	if (proto_build_discover(pad, sizeof pad, &plen, sizeof pad) != 0)
		return 0;
	proto_writer_init(&w, bare, sizeof bare);
	proto_writer_begin(&w, PROTO_V_DISCOVER);
	proto_writer_u64(&w, PROTO_VERSION);
	if (proto_writer_end(&w, &blen) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (discover_sendto(fd, &to[i], port, pad, plen) &&
		    discover_sendto(fd, &to[i], port, bare, blen))
			ok++;
	return ok;
}

/* Milliseconds on the monotonic clock. */
static uint64_t
discover_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Take every answer until the deadline; only from the port asked. */
static void
discover_collect(
    struct client_discover *d, int fd, unsigned port, unsigned wait_ms)
{
	char buf[PROTO_MAX_DATAGRAM + 1], addr[INET_ADDRSTRLEN];
	struct client_relay_ad ad;
	struct sockaddr_in from;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t end = discover_now() + wait_ms, now;
	socklen_t fl;
	ssize_t n;

	while ((now = discover_now()) < end) {
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		fl = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		if (fl != sizeof from || from.sin_family != AF_INET ||
		    ntohs(from.sin_port) != port ||
		    (size_t)n > PROTO_MAX_DATAGRAM ||
		    inet_ntop(AF_INET, &from.sin_addr, addr, sizeof addr) ==
		        NULL ||
		    client_discover_parse(buf, (size_t)n, addr, &ad) != 0) {
			d->dropped++;
			continue;
		}
		client_discover_add(d, &ad);
	}
}

/* By name, then address and port: the same list whatever came first. */
static int
discover_cmp(const void *a, const void *b)
{
	const struct client_relay_ad *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0 ||
	    (c = strcmp(x->addr, y->addr)) != 0)
		return c;
	return (x->port > y->port) - (x->port < y->port);
}

/*
 * Ask the LAN: DISCOVER to UDP port on each interface's broadcast
 * address, then wait_ms for the answers into *d, sorted by name. -1 and err when the
 * request could go nowhere (no interface, no socket).
 */
int
client_discover_run(struct client_discover *d, unsigned port, unsigned wait_ms,
    char *err, size_t errlen)
{
	struct discover_target to[DISCOVER_IFS];
	size_t n;
	int fd, on = 1;

	memset(d, 0, sizeof *d);
	if ((n = discover_targets(to, DISCOVER_IFS)) == 0) {
		snprintf(
		    err, errlen, "no IPv4 interface that broadcasts is up");
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0) {
		snprintf(err, errlen, "UDP socket: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((d->asked = discover_send(fd, to, n, port)) == 0) {
		snprintf(err, errlen, "cannot broadcast on UDP port %u: %s",
		    port, strerror(errno));
		close(fd);
		return -1;
	}
	discover_collect(d, fd, port, wait_ms);
	close(fd);
	qsort(d->ad, d->n, sizeof d->ad[0], discover_cmp);
	return 0;
}
