/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ui/room.h"

static void
room_nick_color__is_stable_case_blind_and_in_range(void **state)
{
	static const char *const names[] = {
	    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
	unsigned seen = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		unsigned c = ui_room_nick_color(names[i]);

		assert_true(c < UI_ROOM_NICK_COLORS);
		assert_int_equal(c, ui_room_nick_color(names[i]));
		seen |= 1u << c;
	}
	assert_int_equal(
	    ui_room_nick_color("Alice"), ui_room_nick_color("alice"));
	/* The names spread over the palette: not all one colour. */
	assert_true((seen & (seen - 1)) != 0);
}

/* An entry of a room's conversation. */
static struct client_entry
entry(const char *sender, const char *body, enum client_msg_state st,
    bool outgoing, uint64_t seq)
{
	struct client_entry e;

	memset(&e, 0, sizeof e);
	snprintf(e.sender, sizeof e.sender, "%s", sender);
	e.body = (char *)body;
	e.len = strlen(body);
	e.state = st;
	e.outgoing = outgoing;
	e.seq = seq;
	return e;
}

static void
room_mentions__counts_unread_mentions_of_me_or_a_word(void **state)
{
	static const char *const words[] = {"deploy", NULL};
	struct client_entry e[7];
	struct client_convo c = {.e = e, .n = 7};

	(void)state;
	e[0] = entry("alice", "@bob old news", CLIENT_MSG_SEEN, false, 1);
	e[1] = entry("alice", "hello all", CLIENT_MSG_RECEIVED, false, 2);
	e[2] = entry("alice", "@BOB look", CLIENT_MSG_RECEIVED, false, 3);
	e[3] = entry("carol", "deploy at five", CLIENT_MSG_RECEIVED, false, 4);
	e[4] =
	    entry("carol", "@bobby is not bob", CLIENT_MSG_RECEIVED, false, 5);
	e[5] = entry("bob", "@bob me myself", CLIENT_MSG_STORED, true, 6);
	e[6] = entry("*", "bob joined", CLIENT_MSG_RECEIVED, false, 7);
	assert_int_equal(ui_room_mentions(&c, "bob", words), 2);
	assert_int_equal(ui_room_mentions(&c, "bob", NULL), 1);
	assert_int_equal(ui_room_mentions(NULL, "bob", NULL), 0);
}

static void
room_is_joinleave__only_joins_and_leaves(void **state)
{
	struct client_entry join = entry("*", "bob joined", 0, false, 3);
	struct client_entry left = entry("*", "bob left", 0, false, 4);
	struct client_entry topic =
	    entry("*", "bob set the topic: we left", 0, false, 5);
	struct client_entry kick = entry("*", "alice kicked bob", 0, false, 6);
	struct client_entry msg = entry("bob", "bob left", 0, false, 7);
	struct client_entry xfer = entry("*", "bob left", 0, false, 0);

	(void)state;
	assert_true(ui_room_is_joinleave(&join));
	assert_true(ui_room_is_joinleave(&left));
	assert_false(ui_room_is_joinleave(&topic));
	assert_false(ui_room_is_joinleave(&kick));
	assert_true(ui_room_is_event(&kick));
	assert_false(ui_room_is_joinleave(&msg));
	assert_false(ui_room_is_event(&msg));
	assert_false(ui_room_is_joinleave(&xfer)); /* a transfer's note */
}

static void
room_parse__the_commands_as_typed(void **state)
{
	struct ui_room_cmd rc;
	char err[128];

	(void)state;
	assert_int_equal(
	    ui_room_parse("/join", "#ops", "bob", &rc, err, sizeof err), 1);
	assert_string_equal(rc.op, "join");
	assert_string_equal(rc.room, "#ops");
	assert_int_equal(ui_room_parse("/create", "#x --invite-only", "", &rc,
	                     err, sizeof err),
	    1);
	assert_string_equal(rc.op, "create");
	assert_string_equal(rc.arg, "invite");
	assert_int_equal(
	    ui_room_parse("/create", "#x", "", &rc, err, sizeof err), 1);
	assert_string_equal(rc.arg, "open");
	assert_int_equal(
	    ui_room_parse("/create", "#x --secret", "", &rc, err, sizeof err),
	    -1);
	assert_string_equal(err, "Usage: /create #room [--invite-only]");
	/* /leave: the room open, or the one named. */
	assert_int_equal(
	    ui_room_parse("/leave", "", "#team", &rc, err, sizeof err), 1);
	assert_string_equal(rc.room, "#team");
	assert_int_equal(
	    ui_room_parse("/leave", "#ops", "#team", &rc, err, sizeof err), 1);
	assert_string_equal(rc.room, "#ops");
	assert_int_equal(
	    ui_room_parse("/leave", "", "bob", &rc, err, sizeof err), -1);
	assert_string_equal(err, "/leave works in a room: open one first");
	/* /kick keeps the reason; /ban takes one name only. */
	assert_int_equal(ui_room_parse("/kick", "carol too loud", "#team", &rc,
	                     err, sizeof err),
	    1);
	assert_string_equal(rc.op, "kick");
	assert_string_equal(rc.arg, "carol too loud");
	assert_int_equal(
	    ui_room_parse("/ban", "carol x", "#team", &rc, err, sizeof err),
	    -1);
	assert_string_equal(err, "Usage: /ban name");
	assert_int_equal(
	    ui_room_parse("/invite", "", "#team", &rc, err, sizeof err), -1);
	assert_int_equal(
	    ui_room_parse("/topic", "ship it", "#team", &rc, err, sizeof err),
	    1);
	assert_string_equal(rc.arg, "ship it");
	assert_int_equal(
	    ui_room_parse("/rooms", "", "bob", &rc, err, sizeof err), 1);
	assert_string_equal(rc.op, "list");
	assert_int_equal(
	    ui_room_parse("/join", "team", "", &rc, err, sizeof err), -1);
	assert_string_equal(err, "Usage: /join #room");
	assert_int_equal(
	    ui_room_parse("/search", "x", "#team", &rc, err, sizeof err), 0);
}

static void
room_member_row__marks_owner_and_admins(void **state)
{
	char row[64];

	(void)state;
	ui_room_member_row("alice", "owner", true, row, sizeof row);
	assert_string_equal(row, "@alice");
	ui_room_member_row("dave", "admin", false, row, sizeof row);
	assert_string_equal(row, "@dave (away)");
	ui_room_member_row("bob", "member", true, row, sizeof row);
	assert_string_equal(row, " bob");
}

static void
room_words__split_at_commas_and_spaces(void **state)
{
	char w[UI_ROOM_WORDS][33];

	(void)state;
	assert_int_equal(ui_room_words("deploy, urgent", w, UI_ROOM_WORDS), 2);
	assert_string_equal(w[0], "deploy");
	assert_string_equal(w[1], "urgent");
	assert_int_equal(ui_room_words("  ,, ", w, UI_ROOM_WORDS), 0);
	assert_int_equal(ui_room_words("a b c", w, 2), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        room_nick_color__is_stable_case_blind_and_in_range),
	    cmocka_unit_test(
	        room_mentions__counts_unread_mentions_of_me_or_a_word),
	    cmocka_unit_test(room_is_joinleave__only_joins_and_leaves),
	    cmocka_unit_test(room_parse__the_commands_as_typed),
	    cmocka_unit_test(room_member_row__marks_owner_and_admins),
	    cmocka_unit_test(room_words__split_at_commas_and_spaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
