/* SPDX-License-Identifier: MIT */
/*
 * What every headless command does around its own work: a loop and a
 * session with the relay, a deadline, SIGINT/SIGTERM, the connection's
 * troubles on standard error, and a goodbye that gives the last frames a
 * moment to leave. Also the commands' handlers, one file each.
 */
#ifndef CMD_RUN_H
#define CMD_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "client/session.h"
#include "net/loop.h"

struct cmd_args;
struct cmd_run;

/* Says why the deadline ended the command; returns the exit status. */
typedef int (*cmd_run_timeout_cb)(struct cmd_run *);

struct cmd_run {
	struct net_loop *loop;
	struct client_session *s;
	struct client_events ev; /* the command's, and the notices */
	void *self; /* the command's own state */
	cmd_run_timeout_cb on_timeout; /* NULL: exit 1, silently */
	struct net_timer deadline;
	bool ran; /* the loop ran: say goodbye before freeing */
	bool reached; /* the relay answered once: later troubles retry */
	bool online; /* logged in once */
	bool refused; /* the login was refused: undo what was queued */
	bool replace, has_password; /* --replace; a password to log in with */
	char relay[300]; /* HOST:PORT, to say what cannot be reached */
	bool done;
	int status;
};

int cmd_run_open(struct cmd_run *, const struct cmd_args *,
    const struct client_events *, void *);
int cmd_run_wait(struct cmd_run *, unsigned long);
void cmd_run_close(struct cmd_run *);
void cmd_run_finish(struct cmd_run *, int);
void cmd_run_on_state(void *, enum client_conn_state, const char *, uint64_t);
void cmd_run_on_error(void *, const char *, const char *, const char *);
void cmd_run_warn(const char *, ...) __attribute__((format(printf, 1, 2)));

int cmd_send_main(const struct cmd_args *);
int cmd_recv_main(const struct cmd_args *);
int cmd_who_main(const struct cmd_args *);
int cmd_sendfile_main(const struct cmd_args *);
int cmd_echo_main(const struct cmd_args *);
int cmd_trust_main(const struct cmd_args *);
int cmd_devices_main(const struct cmd_args *);
int cmd_room_main(const struct cmd_args *);
int cmd_room_check(int, char **);
int cmd_discover_main(const struct cmd_args *);
int cmd_discover_pick(struct cmd_args *);

#endif
