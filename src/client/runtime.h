/* SPDX-License-Identifier: MIT */
/*
 * The client's event loop as the UI sees it: a narrow facade over
 * net/loop.h, so that ui/ drives the program (keyboard, clock, signals)
 * without including the network layer.
 */
#ifndef CLIENT_RUNTIME_H
#define CLIENT_RUNTIME_H

#include <stdint.h>

struct net_loop;
struct client_rt;

typedef void (*client_rt_cb)(void *);
typedef void (*client_rt_sig_cb)(int, void *);

struct client_rt *client_rt_new(void);
void client_rt_free(struct client_rt *);
struct net_loop *client_rt_loop(struct client_rt *);
int client_rt_watch_input(struct client_rt *, int, client_rt_cb, void *);
int client_rt_every(struct client_rt *, unsigned, client_rt_cb, void *);
int client_rt_signal(struct client_rt *, int, client_rt_sig_cb, void *);
int client_rt_run_once(struct client_rt *, int);
uint64_t client_rt_now_ms(void);

#endif
