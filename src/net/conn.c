/* SPDX-License-Identifier: MIT */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/buf.h"
#include "net/conn.h"
#include "net/conn_int.h"
#include "net/loop.h"
#include "net/sock.h"
#include "util/xmalloc.h"

static void net_conn_io(struct net_watch *, short, void *);
static void net_conn_flush_cb(struct net_watch *, void *);

/*
 * A chunk for at least n bytes. Most queues hold a line or two until the
 * end of the turn, so the first chunk is small (a presence line to ten
 * thousand sessions must not take ten thousand blocks); the next ones are
 * pooled blocks, or exactly n for a bigger write.
 */
static struct net_chunk *
net_chunk_new(bool first, size_t n)
{
	struct net_chunk *ch;
	size_t cap;

	if (first && n <= NET_SMALL_CHUNK) {
		cap = NET_SMALL_CHUNK;
		ch = xmalloc(sizeof *ch + cap);
	} else if (n <= NET_CHUNK) {
		cap = NET_CHUNK;
		ch = net_block_get();
	} else {
		cap = n;
		ch = xmalloc(sizeof *ch + cap);
	}
	ch->off = ch->len = 0;
	ch->cap = cap;
	return ch;
}

static void
net_chunk_free(struct net_chunk *ch)
{
	if (ch->cap == NET_CHUNK)
		net_block_put(ch);
	else
		free(ch);
}

static void
net_conn_free(void *p)
{
	struct net_conn *c = p;
	struct net_chunk *ch;

	net_timer_stop(c->loop, &c->linger);
	if (c->stage != NULL)
		net_block_put(c->stage);
	while ((ch = TAILQ_FIRST(&c->chunks)) != NULL) {
		TAILQ_REMOVE(&c->chunks, ch, link);
		net_chunk_free(ch);
	}
	net_buf_fini(&c->in);
	free(c);
}

/* Release the descriptor now and the memory at the end of the turn. */
static void
net_conn_release(struct net_conn *c)
{
	if (c->watch != NULL) {
		net_watch_remove(c->watch);
		c->watch = NULL;
		if (c->ssl != NULL)
			net_conn_tls_fini(c);
		close(c->fd);
		c->fd = -1;
		net_loop_defer_free(c->loop, net_conn_free, c);
	}
}

/* The peer is gone: tell the owner once, then release. */
void
net_conn_lost(struct net_conn *c, const char *why)
{
	if (c->lost || c->closing) {
		net_conn_release(c);
		return;
	}
	c->lost = true;
	if (c->cb->on_close != NULL)
		c->cb->on_close(c, c->arg, why);
	net_conn_release(c);
}

static void
net_conn_linger_done(struct net_timer *t, void *arg)
{
	(void)t;
	net_conn_release(arg);
}

/* Wrap a connected non-blocking socket; the connection owns fd. */
struct net_conn *
net_conn_new(
    struct net_loop *loop, int fd, const struct net_conn_cb *cb, void *arg)
{
	struct net_conn *c;

	c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->fd = fd;
	c->cb = cb;
	c->arg = arg;
	c->read_cap = 256 * 1024;
	c->low = NET_CONN_LOW;
	c->high = NET_CONN_HIGH;
	c->hard = NET_CONN_HARD;
	TAILQ_INIT(&c->chunks);
	net_buf_init(&c->in);
	net_timer_init(&c->linger, net_conn_linger_done, c);
	c->watch = net_loop_add_fd(loop, fd, POLLIN, net_conn_io, c);
	net_watch_set_flush(c->watch, net_conn_flush_cb);
	return c;
}

/*
 * Start connecting to host:port. on_connect or on_close tells how it went;
 * writes made meanwhile are queued and go out once connected.
 */
struct net_conn *
net_conn_connect(struct net_loop *loop, const char *host, unsigned port,
    const struct net_conn_cb *cb, void *arg, char *err, size_t errlen)
{
	struct net_conn *c;
	int fd;

	if (port > 65535) {
		snprintf(err, errlen, "port %u out of range", port);
		return NULL;
	}
	fd = net_tcp_connect(host, (uint16_t)port, err, errlen);
	if (fd == -1)
		return NULL;
	c = net_conn_new(loop, fd, cb, arg);
	c->connecting = true;
	net_watch_set_events(c->watch, POLLOUT);
	return c;
}

/*
 * Close from the owner's side; no on_close follows. With flush, queued
 * output is written first (for at most a few seconds), so a last ERR or BYE
 * reaches the peer.
 */
void
net_conn_close(struct net_conn *c, bool flush)
{
	if (c == NULL || c->closing || c->watch == NULL)
		return;
	c->closing = true;
	if (flush && c->out > 0 && !c->lost && !c->connecting &&
	    (c->ssl == NULL || c->tls_open)) {
		c->flush_then_close = true;
		c->paused = true;
		net_conn_update_events(c);
		net_watch_want_flush(c->watch);
		net_timer_start(c->loop, &c->linger, NET_LINGER_MS);
		return;
	}
	net_conn_release(c);
}

/* Set the output queue's low and high water marks and its hard cap. */
void
net_conn_set_limits(struct net_conn *c, size_t low, size_t high, size_t hard)
{
	c->low = low;
	c->high = high;
	c->hard = hard;
}

/* Read at most n bytes per loop turn, so one busy peer cannot starve others. */
void
net_conn_set_read_cap(struct net_conn *c, size_t n)
{
	c->read_cap = n;
}

/* Change the argument passed to the callbacks. */
void
net_conn_set_arg(struct net_conn *c, void *arg)
{
	c->arg = arg;
}

/*
 * What to wait for: POLLOUT only while bytes wait for the socket (or TLS
 * needs it), POLLIN unless paused (TLS may need it for a write too).
 */
void
net_conn_update_events(struct net_conn *c)
{
	short ev = 0;

	if (c->watch == NULL)
		return;
	if (c->connecting)
		ev = POLLOUT;
	else if (c->ssl != NULL && !c->tls_open)
		ev = POLLIN | (c->hs_want_write ? POLLOUT : 0);
	else if (c->ssl != NULL) {
		if (!c->paused || c->wr_wants_read)
			ev |= POLLIN;
		if ((c->out > 0 && !c->wr_wants_read) || c->rd_wants_write)
			ev |= POLLOUT;
	} else {
		if (!c->paused)
			ev |= POLLIN;
		if (c->out > 0)
			ev |= POLLOUT;
	}
	net_watch_set_events(c->watch, ev);
}

static void
net_conn_queue(struct net_conn *c, const char *p, size_t n)
{
	struct net_chunk *ch = TAILQ_LAST(&c->chunks, net_chunks);
	size_t k;

	while (n > 0) {
		if (ch == NULL || ch->len == ch->cap) {
			ch = net_chunk_new(ch == NULL, n);
			TAILQ_INSERT_TAIL(&c->chunks, ch, link);
		}
		k = ch->cap - ch->len;
		if (k > n)
			k = n;
		memcpy(ch->data + ch->len, p, k);
		ch->len += k;
		c->out += k;
		p += k;
		n -= k;
	}
}

/*
 * Queue n bytes for the peer; they go out at the end of the turn. -1 and
 * nothing queued when the connection is closing or the queue would pass
 * its hard cap: the owner decides what a peer that does not read deserves.
 */
int
net_conn_write(struct net_conn *c, const void *p, size_t n)
{
	return net_conn_write2(c, p, n, NULL, 0);
}

/* Queue two pieces as one write (a header and its payload), all or none. */
int
net_conn_write2(
    struct net_conn *c, const void *p, size_t n, const void *q, size_t m)
{
	if (c->closing || c->lost || c->watch == NULL)
		return -1;
	if (c->out + n + m > c->hard)
		return -1;
	net_conn_queue(c, p, n);
	if (m > 0)
		net_conn_queue(c, q, m);
	if (c->out > c->high)
		c->over_high = true;
	if (!c->connecting)
		net_watch_want_flush(c->watch);
	return 0;
}

/* Drop n written bytes from the front of the queue. */
static void
net_conn_advance(struct net_conn *c, size_t n)
{
	struct net_chunk *ch;
	size_t k;

	while (n > 0) {
		ch = TAILQ_FIRST(&c->chunks);
		k = ch->len - ch->off;
		if (k > n)
			k = n;
		ch->off += k;
		n -= k;
		if (ch->off == ch->len) {
			TAILQ_REMOVE(&c->chunks, ch, link);
			net_chunk_free(ch);
		}
	}
}

/*
 * Move up to max queued bytes into buf (a TLS record's plaintext); they
 * still count as queued until written. The number of bytes moved.
 */
size_t
net_conn_take(struct net_conn *c, char *buf, size_t max)
{
	struct net_chunk *ch;
	size_t n = 0, k;

	while (n < max && (ch = TAILQ_FIRST(&c->chunks)) != NULL) {
		k = ch->len - ch->off;
		if (k > max - n)
			k = max - n;
		memcpy(buf + n, ch->data + ch->off, k);
		n += k;
		net_conn_advance(c, k);
	}
	return n;
}

/* Write what the kernel takes now, with as few gathered writes as it takes;
 * -1 if the connection was lost. */
static int
net_conn_plain_flush(struct net_conn *c)
{
	struct iovec iov[NET_IOV];
	struct msghdr msg;
	struct net_chunk *ch;
	ssize_t n;
	int cnt;

	while (c->out > 0 && c->watch != NULL) {
		cnt = 0;
		for (ch = TAILQ_FIRST(&c->chunks); ch != NULL && cnt < NET_IOV;
		     ch = TAILQ_NEXT(ch, link)) {
			iov[cnt].iov_base = ch->data + ch->off;
			iov[cnt].iov_len = ch->len - ch->off;
			cnt++;
		}
		/* sendmsg() is writev() with MSG_NOSIGNAL: a peer that hung
		 * up is an error to report, not a SIGPIPE to die of. */
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)cnt;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			net_conn_lost(c, strerror(errno));
			return -1;
		}
		c->out -= (size_t)n;
		net_conn_advance(c, (size_t)n);
	}
	return 0;
}

/* After a write: close a flushed closing connection, re-arm, drain. */
void
net_conn_after_flush(struct net_conn *c)
{
	if (c->watch == NULL)
		return;
	if (c->flush_then_close && c->out == 0) {
		net_conn_release(c);
		return;
	}
	net_conn_update_events(c);
	if (c->over_high && c->out <= c->low) {
		c->over_high = false;
		if (c->cb->on_drain != NULL && !c->closing)
			c->cb->on_drain(c, c->arg);
	}
}

/* Write what can be written now, plaintext or TLS. */
void
net_conn_flush(struct net_conn *c)
{
	int rc;

	rc = c->ssl != NULL ? net_conn_tls_flush(c) : net_conn_plain_flush(c);
	if (rc == 0)
		net_conn_after_flush(c);
}

static void
net_conn_flush_cb(struct net_watch *w, void *arg)
{
	(void)w;
	net_conn_flush(arg);
}

/* Write queued output at once instead of at the end of the turn. */
void
net_conn_flush_now(struct net_conn *c)
{
	net_conn_flush(c);
}

static void
net_conn_read(struct net_conn *c)
{
	size_t total = 0, avail;
	ssize_t n;
	char *p;
	bool eof = false;
	const char *why = "connection lost";

	while (total < c->read_cap) {
		p = net_buf_space(&c->in, NET_READ, &avail);
		n = read(c->fd, p, avail);
		if (n > 0) {
			net_buf_commit(&c->in, (size_t)n);
			total += (size_t)n;
			if ((size_t)n < avail)
				break;
			continue;
		}
		if (n == 0) {
			eof = true;
			why = "connection closed by peer";
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			eof = true;
			why = strerror(errno);
		}
		break;
	}
	net_conn_deliver(c, total, eof ? why : NULL);
}

/* Tell the owner of new input, then of the end (lost) if any. */
void
net_conn_deliver(struct net_conn *c, size_t total, const char *lost)
{
	if (total > 0 && c->cb->on_read != NULL && !c->closing)
		c->cb->on_read(c, c->arg);
	if (lost != NULL && c->watch != NULL)
		net_conn_lost(c, lost);
}

static void
net_conn_io(struct net_watch *w, short revents, void *arg)
{
	struct net_conn *c = arg;
	char err[128];

	(void)w;
	if (c->connecting) {
		if (net_tcp_connect_result(c->fd, err, sizeof err) != 0) {
			net_conn_lost(c, err);
			return;
		}
		c->connecting = false;
		net_conn_update_events(c);
		if (c->out > 0)
			net_watch_want_flush(c->watch);
		if (c->cb->on_connect != NULL)
			c->cb->on_connect(c, c->arg);
		if (c->ssl != NULL && c->watch != NULL && !c->closing)
			net_conn_tls_io(c, POLLOUT);
		return;
	}
	if (c->ssl != NULL) {
		net_conn_tls_io(c, revents);
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->paused &&
	    !c->closing)
		net_conn_read(c);
	else if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLOUT)) {
		net_conn_lost(c, "connection lost");
		return;
	}
	if (c->watch != NULL && (revents & POLLOUT))
		net_conn_flush(c);
}

/* The unread input; the owner parses it in place. */
const char *
net_conn_input(struct net_conn *c, size_t *len)
{
	*len = net_buf_len(&c->in);
	return net_buf_data(&c->in);
}

/* Mark n bytes of input as done with. */
void
net_conn_consume(struct net_conn *c, size_t n)
{
	net_buf_consume(&c->in, n);
	net_buf_shrink(&c->in, 0);
}

/*
 * Stop (or resume) reading from the peer: backpressure, or a complete frame
 * that cannot be handled yet. Input already buffered stays for the owner.
 */
void
net_conn_pause(struct net_conn *c, bool pause)
{
	if (c->closing || c->paused == pause)
		return;
	c->paused = pause;
	net_conn_update_events(c);
	/* Input OpenSSL has decrypted already shows on no descriptor. */
	if (!pause && c->ssl != NULL && c->tls_open)
		net_watch_want_again(c->watch);
}

/* Whether reading is paused. */
bool
net_conn_is_paused(const struct net_conn *c)
{
	return c->paused;
}

/* Whether the output queue is above its high water mark. */
bool
net_conn_is_full(const struct net_conn *c)
{
	return c->out > c->high;
}

/* Whether the owner has closed the connection. */
bool
net_conn_is_closing(const struct net_conn *c)
{
	return c->closing || c->lost;
}

/* Bytes waiting to be written. */
size_t
net_conn_out_len(const struct net_conn *c)
{
	return c->out;
}

/* The socket. */
int
net_conn_fd(const struct net_conn *c)
{
	return c->fd;
}
