/* SPDX-License-Identifier: MIT */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "net/buf.h"
#include "util/xmalloc.h"

#define NET_SPARE_BLOCKS 256 /* at most 4 MiB kept for reuse */

/* A freed block, linked through its first bytes. */
struct net_spare_block {
	SLIST_ENTRY(net_spare_block) link;
};

/* The freed blocks; one loop per process. */
static SLIST_HEAD(, net_spare_block) net_spare = SLIST_HEAD_INITIALIZER(
    net_spare);
static size_t net_nspare;

/* A block of NET_BLOCK bytes. */
void *
net_block_get(void)
{
	struct net_spare_block *sb = SLIST_FIRST(&net_spare);

	if (sb == NULL)
		return xmalloc(NET_BLOCK);
	SLIST_REMOVE_HEAD(&net_spare, link);
	net_nspare--;
	return sb;
}

/* Give a block back; past the spare limit it goes back to malloc. */
void
net_block_put(void *p)
{
	if (p == NULL)
		return;
	if (net_nspare == NET_SPARE_BLOCKS) {
		free(p);
		return;
	}
	SLIST_INSERT_HEAD(&net_spare, (struct net_spare_block *)p, link);
	net_nspare++;
}

/* Start an empty buffer; nothing is allocated until bytes come. */
void
net_buf_init(struct net_buf *b)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

/* Free the buffer's memory. */
void
net_buf_fini(struct net_buf *b)
{
	if (b->cap == NET_BLOCK)
		net_block_put(b->data);
	else
		free(b->data);
	net_buf_init(b);
}

/*
 * Make room for at least want more bytes and return where they go; *avail
 * says how many fit there (at least want).
 */
char *
net_buf_space(struct net_buf *b, size_t want, size_t *avail)
{
	size_t used = b->len - b->off;

	if (b->cap - b->len < want) {
		if (b->off > 0) {
			memmove(b->data, b->data + b->off, used);
			b->off = 0;
			b->len = used;
		}
		if (b->cap == 0 && want <= NET_BLOCK) {
			b->data = net_block_get();
			b->cap = NET_BLOCK;
		} else
			XGROW(b->data, b->cap, b->len + want, NET_BLOCK);
	}
	if (avail != NULL)
		*avail = b->cap - b->len;
	return b->data + b->len;
}

/* Count n bytes written into the space returned by net_buf_space(). */
void
net_buf_commit(struct net_buf *b, size_t n)
{
	b->len += n;
}

/* Append n bytes. */
void
net_buf_append(struct net_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(net_buf_space(b, n, NULL), p, n);
	b->len += n;
}

/* Drop n bytes from the front. */
void
net_buf_consume(struct net_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

/* The unread bytes (NULL when the buffer holds no block). */
const char *
net_buf_data(const struct net_buf *b)
{
	return b->data != NULL ? b->data + b->off : NULL;
}

/* How many bytes are unread. */
size_t
net_buf_len(const struct net_buf *b)
{
	return b->len - b->off;
}

/* Give memory back when the buffer is empty and holds more than keep. */
void
net_buf_shrink(struct net_buf *b, size_t keep)
{
	if (b->len == b->off && b->cap > keep)
		net_buf_fini(b);
}
