/* SPDX-License-Identifier: MIT */
/*
 * The contact list as the relay tells it (USER lines), with each
 * contact's unread count; counts read from the store before the relay
 * names the contact wait until it does.
 */
#ifndef CLIENT_ROSTER_H
#define CLIENT_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client_roster;

struct client_contact {
	char name[34]; /* a name, or a room in the client's sidebar */
	bool online;
	uint64_t last_seen;
	unsigned unread; /* received, not yet seen */
};

struct client_roster *client_roster_new(void);
void client_roster_free(struct client_roster *);
void client_roster_set_unread(struct client_roster *, const char *, unsigned);
void client_roster_add_unread(struct client_roster *, const char *);
struct client_contact *client_roster_find(struct client_roster *, const char *);
struct client_contact *client_roster_set(
    struct client_roster *, const char *, size_t, bool, uint64_t, bool *);
const struct client_contact *client_roster_list(
    const struct client_roster *, size_t *);
void client_roster_sort(struct client_contact *, size_t);

#endif
