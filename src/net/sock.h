/* SPDX-License-Identifier: MIT */
/*
 * Socket helpers: non-blocking TCP listen, connect and accept, UDP, and
 * address formatting. IPv4 and IPv6; port 0 means any free port.
 */
#ifndef NET_SOCK_H
#define NET_SOCK_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define NET_ADDRSTRLEN 64 /* "[v6 address]" and a NUL */

int net_tcp_listen(const char *, uint16_t, char *, size_t);
int net_tcp_connect(const char *, uint16_t, char *, size_t);
int net_tcp_connect_result(int, char *, size_t);
int net_tcp_accept(int, char *, size_t);
int net_udp_bind(const char *, uint16_t, char *, size_t);
int net_udp_socket(int);
ssize_t net_udp_sendto(int, const char *, uint16_t, const void *, size_t);
ssize_t net_udp_recvfrom(
    int, void *, size_t, struct sockaddr_storage *, socklen_t *);
ssize_t net_udp_reply(
    int, const struct sockaddr_storage *, socklen_t, const void *, size_t);
int net_sock_port(int);
int net_set_nonblock(int);
int net_set_nodelay(int);
int net_set_sndbuf(int, int);
void net_addr_format(const struct sockaddr_storage *, char *, size_t);
uint16_t net_addr_port(const struct sockaddr_storage *);

#endif
