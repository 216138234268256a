/* SPDX-License-Identifier: MIT */
/*
 * The relay core: sessions, the user table, routing, store-and-forward with
 * a grace period and group commit, presence, heartbeats, limits and STATS
 * (PROTOCOL.md sections 1-3, 6, 7), and the directory of P2P mode with
 * light presence over UDP (section 5). It runs on a net_loop it is given.
 */
#ifndef SERVER_RELAY_H
#define SERVER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_loop;
struct net_id;
#define SERVER_MAX_NAME 64 /* --name, in bytes */

struct server_relay;

struct server_config {
	const char *bind; /* address to listen on */
	unsigned port; /* 0: any free port */
	const char *data_dir;
	unsigned heartbeat_s; /* idle limit is three of these */
	size_t max_frame;
	size_t max_login_line; /* longest line before the login */
	unsigned grace_ms; /* RCPT wait before storing */
	unsigned max_sessions;
	unsigned rate; /* frames per second per session */
	size_t max_output; /* hard cap of a session's queue */
	size_t max_output_total; /* the sum of all sessions' (0: any) */
	bool sync_full; /* fsync at every commit */
	unsigned max_stall_s; /* output full this long: dropped */
	unsigned login_timeout_s; /* not logged in this long: closed */
	unsigned ticket_s; /* a LOOKUP ticket's life */
	size_t queue_max_frames; /* frames queued per recipient; 0: any */
	size_t queue_max_bytes; /* bytes queued per recipient; 0: any */
	size_t queue_max_s_frames; /* frames queued from one sender; 0: any */
	size_t queue_max_s_bytes; /* bytes queued from one sender; 0: any */
	const char *name; /* answered to DISCOVER; NULL: the host name */
	bool tls; /* over TLS: the wire's extensions (BYE's address, the
	           * answer-size rule of DISCOVER) apply */
	const char *cert, *key; /* --cert/--key; NULL: relay.crt/relay.key
	                         * made in data_dir */
	/* Login limits (docs/relay.md, "Login limits"). */
	unsigned hash_threads; /* argon2id at once: x 64 MiB of memory */
	unsigned hash_queue; /* logins waiting for a hashing thread */
	unsigned name_failures; /* wrong passwords free, per name */
	unsigned addr_failures; /* wrong passwords free, per address */
	unsigned max_delay_s; /* the longest wait after failures */
	unsigned max_per_addr; /* connections per address (0: any) */
	unsigned max_regs; /* new names per address per hour (0: any) */
	unsigned max_devices; /* devices (cursors) per name */
	unsigned max_name_sessions; /* sessions per name at once */
	/* Logs and devices (docs/relay.md, "Retention and devices"). */
	unsigned keep_days; /* entries kept after every device has them */
	unsigned device_expire_days; /* unseen devices lose their cursor */
	unsigned max_rooms; /* rooms on the relay */
	unsigned max_user_rooms; /* rooms one name is in */
	unsigned max_room_members; /* members of one room */
	/* Files stored on the relay (docs/relay.md, "Files stored on the
	 * relay"). */
	size_t file_max_size; /* one file; 0: no store */
	size_t file_quota; /* stored for one recipient; 0: any */
	size_t file_store_max; /* stored in all; 0: any */
	unsigned file_keep_days; /* a file not taken goes after this */
};

void server_config_defaults(struct server_config *);
struct server_relay *server_relay_new(
    struct net_loop *, const struct server_config *, char *, size_t);
void server_relay_free(struct server_relay *);
void server_relay_set_config(
    struct server_relay *, const struct server_config *);
int server_relay_port(const struct server_relay *);
const char *server_relay_address(const struct server_relay *);
void server_relay_shutdown(struct server_relay *);
bool server_relay_is_drained(const struct server_relay *);
struct net_id *server_relay_identity(
    const struct server_config *, char *, size_t);

#endif
