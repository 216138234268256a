/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer with a read offset: bytes are appended at the end
 * and consumed from the front; space is reclaimed by sliding the unread
 * bytes down only when that frees enough room.
 *
 * Buffers start as one block of NET_BLOCK bytes from a small free list, and
 * an emptied buffer gives its block back: a busy connection reuses memory
 * without malloc, and an idle one holds none.
 */
#ifndef NET_BUF_H
#define NET_BUF_H

#include <stddef.h>

struct net_buf {
	char *data;
	size_t off; /* first unread byte */
	size_t len; /* end of the bytes written */
	size_t cap;
};

#define NET_BLOCK (16 * 1024)

void *net_block_get(void);
void net_block_put(void *);

void net_buf_init(struct net_buf *);
void net_buf_fini(struct net_buf *);
char *net_buf_space(struct net_buf *, size_t, size_t *);
void net_buf_commit(struct net_buf *, size_t);
void net_buf_append(struct net_buf *, const void *, size_t);
void net_buf_consume(struct net_buf *, size_t);
const char *net_buf_data(const struct net_buf *);
size_t net_buf_len(const struct net_buf *);
void net_buf_shrink(struct net_buf *, size_t);

#endif
