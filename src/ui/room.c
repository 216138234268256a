/* SPDX-License-Identifier: MIT */
/*
 * Rooms without curses: nick colours, mentions, the join/leave filter,
 * the room commands, the member list's rows, the highlight words.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/session.h"
#include "ui/room.h"

/*
 * The colour of a member's name, 0 to UI_ROOM_NICK_COLORS - 1: a hash of
 * the name without case (FNV-1a), so that a name keeps its colour on
 * every screen and across restarts.
 */
unsigned
ui_room_nick_color(const char *name)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h % UI_ROOM_NICK_COLORS;
}

/* Whether e is a room's event (someone joined, left, set the topic). */
bool
ui_room_is_event(const struct client_entry *e)
{
	return strcmp(e->sender, "*") == 0 && e->seq > 0;
}

/* Whether len bytes of s end with suffix. */
static bool
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Whether e is a join or leave event ("bob joined", "bob left"): what
 * /filter hides. A name has no space, so the first space is the last. */
bool
ui_room_is_joinleave(const struct client_entry *e)
{
	const char *sp;

	if (!ui_room_is_event(e) || (sp = memchr(e->body, ' ', e->len)) == NULL)
		return false;
	return (ends_with(e->body, e->len, " joined") &&
	           sp == e->body + e->len - 7) ||
	    (ends_with(e->body, e->len, " left") && sp == e->body + e->len - 5);
}

/*
 * How many of c's unread messages (someone else's, not yet seen) mention
 * me or one of words (NULL-terminated, may be NULL).
 */
unsigned
ui_room_mentions(
    const struct client_convo *c, const char *me, const char *const *words)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; c != NULL && i < c->n; i++) {
		const struct client_entry *e = &c->e[i];

		if (e->outgoing || e->state != CLIENT_MSG_RECEIVED ||
		    strcmp(e->sender, "*") == 0)
			continue;
		n += client_mentions(e->body, e->len, me, words);
	}
	return n;
}

/* The room named by arg's first word into out, or -1 with err. */
static int
room_arg(const char *arg, char *out, size_t len, const char *cmd, char *err,
    size_t elen)
{
	size_t n = strcspn(arg, " ");

	if (n == 0 || !client_is_room(arg, n) || n >= len) {
		snprintf(err, elen, "Usage: %s #room", cmd);
		return -1;
	}
	memcpy(out, arg, n);
	out[n] = '\0';
	return 0;
}

/* The room open (cur) into out, or -1 with err. */
static int
room_cur(const char *cur, char *out, size_t len, const char *cmd, char *err,
    size_t elen)
{
	if (cur == NULL || !client_is_room(cur, strlen(cur))) {
		snprintf(err, elen, "%s works in a room: open one first", cmd);
		return -1;
	}
	snprintf(out, len, "%s", cur);
	return 0;
}

/*
 * The room command cmd ("/join") with its argument arg (leading spaces
 * gone), cur the conversation open (a room or a name, "" for none): 1
 * with the request in out, 0 if cmd is no room command, -1 with why in
 * err (a usage line).
 */
int
ui_room_parse(const char *cmd, const char *arg, const char *cur,
    struct ui_room_cmd *out, char *err, size_t elen)
{
	static const char *const named[] = {
	    "invite", "kick", "ban", "unban", "admin", "unadmin"};
	size_t i, n;

	memset(out, 0, sizeof *out);
	if (cmd[0] != '/')
		return 0;
	cmd++;
	if (strcmp(cmd, "join") == 0 || strcmp(cmd, "create") == 0) {
		if (room_arg(arg, out->room, sizeof out->room, cmd - 1, err,
		        elen) != 0) {
			if (cmd[0] == 'c')
				snprintf(err, elen,
				    "Usage: /create #room [--invite-only]");
			return -1;
		}
		snprintf(out->op, sizeof out->op, "%s", cmd);
		if (cmd[0] == 'c') {
			arg += strlen(out->room);
			while (*arg == ' ')
				arg++;
			if (*arg != '\0' && strcmp(arg, "--invite-only") != 0) {
				snprintf(err, elen,
				    "Usage: /create #room [--invite-only]");
				return -1;
			}
			snprintf(out->arg, sizeof out->arg, "%s",
			    *arg != '\0' ? "invite" : "open");
		}
		return 1;
	}
	if (strcmp(cmd, "leave") == 0 || strcmp(cmd, "part") == 0 ||
	    strcmp(cmd, "members") == 0 || strcmp(cmd, "mute") == 0) {
		snprintf(out->op, sizeof out->op, "%s",
		    cmd[0] == 'p' ? "leave" : cmd);
		if (*arg != '\0')
			return room_arg(arg, out->room, sizeof out->room,
			           cmd - 1, err, elen) == 0
			    ? 1
			    : -1;
		return room_cur(cur, out->room, sizeof out->room, cmd - 1, err,
		           elen) == 0
		    ? 1
		    : -1;
	}
	if (strcmp(cmd, "rooms") == 0 || strcmp(cmd, "filter") == 0) {
		snprintf(out->op, sizeof out->op, "%s",
		    cmd[0] == 'r' ? "list" : "filter");
		return 1;
	}
	if (strcmp(cmd, "topic") == 0 || strcmp(cmd, "receipts") == 0) {
		if (room_cur(cur, out->room, sizeof out->room, cmd - 1, err,
		        elen) != 0)
			return -1;
		snprintf(out->op, sizeof out->op, "%s", cmd);
		snprintf(out->arg, sizeof out->arg, "%s", arg);
		return 1;
	}
	for (i = 0; i < sizeof named / sizeof named[0]; i++) {
		if (strcmp(cmd, named[i]) != 0)
			continue;
		if (room_cur(cur, out->room, sizeof out->room, cmd - 1, err,
		        elen) != 0)
			return -1;
		n = strcspn(arg, " ");
		if (n == 0 || (strcmp(cmd, "kick") != 0 && arg[n] != '\0')) {
			snprintf(err, elen, "Usage: /%s name%s", cmd,
			    strcmp(cmd, "kick") == 0 ? " [reason]" : "");
			return -1;
		}
		snprintf(out->op, sizeof out->op, "%s", cmd);
		snprintf(out->arg, sizeof out->arg, "%s", arg);
		return 1;
	}
	return 0;
}

/*
 * A member's row in the member list: "@alice" for the owner and admins,
 * " bob" for members, and "(away)" after one offline; role as
 * client_room_role_name says it.
 */
void
ui_room_member_row(
    const char *name, const char *role, bool online, char *out, size_t len)
{
	bool op = strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0;

	snprintf(
	    out, len, "%s%s%s", op ? "@" : " ", name, online ? "" : " (away)");
}

/*
 * The highlight words of the config, "deploy, urgent": split at commas
 * and spaces into words (at most max, 32 bytes each). Returns how many.
 */
size_t
ui_room_words(const char *s, char (*words)[33], size_t max)
{
	size_t n = 0, k;

	while (*s != '\0' && n < max) {
		s += strspn(s, ", \t");
		k = strcspn(s, ", \t");
		if (k == 0)
			break;
		if (k < 33) {
			memcpy(words[n], s, k);
			words[n++][k] = '\0';
		}
		s += k;
	}
	return n;
}
