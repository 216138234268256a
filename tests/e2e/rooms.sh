#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rooms in the full-screen client: /create puts the room under "Rooms" in
# the sidebar; /invite shows it to the invitee as invited; /join opens it
# and the others see "· bob joined"; a message naming @bob or a highlight
# word is highlighted, counted as a mention ("@2") and goes first in the
# hotlist; F7 shows the members (the owner marked @); the room's read
# position reaches the author as "read by 1"; a muted room notifies only
# of mentions; /topic is in the header; /leave is a dim line that /filter
# hides; a refused command says why on the status line.
#   usage: tests/e2e/rooms.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob carol
# bob's config: "deploy" highlights like "@bob".
mkdir -p "$tmp/bob-home/.config/termgram"
printf 'highlight = deploy, urgent\nnotify = osc777\n' \
    >"$tmp/bob-home/.config/termgram/config"
pair alice bob
# What bob's client writes to its terminal, for the notifications.
tm pipe-pane -O -t bob "cat >>$tmp/bob.out"
sent_osc() { grep -qaF "$1" "$tmp/bob.out"; }

# alice creates an invite-only room: it opens, under its own heading.
say alice "/create #team --invite-only"
wait_row alice 1 "│  #team  1 member, owner"
wait_for alice "^ Rooms +│"
wait_for alice "^ #team +│"
pass "/create opens the room under the sidebar's Rooms heading"

# A refused request says why on the status line.
say bob "/join #team"
wait_for bob "#team is invite-only"
pass "joining an invite-only room uninvited is refused in words"

say alice "/invite bob"
wait_for bob "You are invited to #team: /join #team"
wait_for bob "^ #team +invited +│"
pass "the invitee sees the room as invited"

say bob "/join #team"
wait_row bob 1 "│  #team  2 members"
wait_gone bob "You are invited to #team"
wait_for alice "│ [0-9]{2}:[0-9]{2} · bob joined"
wait_row alice 1 "│  #team  2 members, owner"
pass "/join opens the room; the others see a compact join line"

# bob looks at alice's conversation; carol writes to bob twice, alice
# writes three times in the room, two of them mentions of bob.
open_convo bob alice
cli carol send bob "one" >/dev/null || fail "carol could not send"
cli carol send bob "two" >/dev/null || fail "carol could not send"
cli carol send bob "three" >/dev/null || fail "carol could not send"
keys alice Down Down Down Down Down
wait_row alice 1 "│  #team"
say alice "hello all"
say alice "@bob please look"
say alice "deploy at five"
wait_for bob "^ #team +@2 3 +│"
pass "bob's sidebar counts the room's unread messages and its mentions"
wait_for bob "\[Act: #team\(3,@2\) carol\(3\)\]"
pass "the room with mentions goes first in the hotlist"

# Alt-A goes to the room: the mention is highlighted, the others are not.
keys bob M-a
wait_row bob 1 "│  #team  [0-9]+ members"
wait_for bob "│ [0-9]{2}:[0-9]{2} alice: @bob please look"
screen_e bob | grep -F "@bob please look" | grep -q $'\e\\[30m\e\\[43m\|\e\\[30;43m\|43m' ||
    fail "the mention of bob is not highlighted: $(screen_e bob | grep -F '@bob please')"
screen_e bob | grep -F "hello all" | grep -q "43m" &&
    fail "a message without a mention is highlighted"
pass "a mention is highlighted, a plain message is not"

# bob read it: alice's header says who read her newest message.
wait_for alice "last: delivered to 1 of 1, read by 1"
wait_gone bob "^ #team +@"
pass "reading the room reaches its author as a receipt"
say alice "/receipts"
wait_for alice "Read by: bob; delivered to: nobody; not yet: nobody|Your last message in #team: delivered to 1 of 1, read by 1"
pass "/receipts says who read alice's last message (or how many)"

# bob answers: in alice's pane his name has a colour of its own, never
# the colour of alice's own messages (cyan).
say bob "on it"
wait_for alice "│ [0-9]{2}:[0-9]{2} bob: on it"
screen_e alice | grep -F "on it" | grep -q $'\e\\[3[1-57]mbob' ||
    fail "bob's name has no colour of its own: $(screen_e alice |
        grep -F 'on it' | cat -v)"
screen_e alice | grep -F "hello all" | grep -q $'\e\\[36malice' ||
    fail "alice's own name is not in her own colour"
pass "a member's name has its own colour, not that of our messages"

# F7: the member list, the owner marked.
keys bob F7
wait_for bob "│ Members \(2\)"
wait_for bob "│ ● @alice"
wait_for bob "│ ●  bob"
pass "F7 shows the members beside the room, the owner marked @"
keys bob F7
wait_gone bob "Members \("

# Tab after @ completes a member's name.
text bob "@al"
keys bob Tab
wait_row bob 30 "^\\[#team\\] @alice$"
keys bob C-u
pass "Tab completes @alice in the room"

# Muted, the room rings only for a mention.
say bob "/mute"
wait_for bob "#team muted: only mentions of you ring"
open_convo bob alice
say alice "quiet line"
say alice "urgent: @bob come"
poll 10 sent_osc $'\e]777;notify;termgram: alice;urgent: @bob come\a' ||
    fail "a mention in a muted room did not notify bob"
sent_osc "quiet line" && fail "a muted room notified bob of a plain message"
pass "a muted room notifies only of a mention"

# /rooms lists the rooms; a refused request says why.
say bob "/rooms"
wait_for bob "Rooms: #team \(2, in\)"
pass "/rooms lists the room"
say bob "/kick alice"
wait_for bob "/kick works in a room: open one first"
keys bob M-a
wait_row bob 1 "│  #team  "
say bob "/kick alice"
wait_for bob "only the owner"
pass "a kick outside a room, or by a member, is refused in words"

say alice "/topic ship it friday"
wait_row alice 1 "│  #team  2 members, owner · ship it friday"
wait_for bob "│ [0-9]{2}:[0-9]{2} · alice set the topic: ship it friday"
wait_row bob 1 "│  #team  [0-9]+ members · ship it friday"
pass "/topic shows in the header and as a compact line"

say bob "/leave"
wait_for alice "│ [0-9]{2}:[0-9]{2} · bob left"
pass "a leave is a compact line too"
say alice "/filter"
wait_gone alice "· bob left"
wait_gone alice "· bob joined"
say alice "/filter"
wait_for alice "· bob left"
pass "/filter hides and shows joins and leaves"

# The longest room name (# and 32 characters) stays whole: opened again
# from the sidebar's list, a message reaches it.
long="#r$(printf '%031d' 0)"
say alice "/create $long"
wait_row alice 1 "│  $long  1 member, owner"
open_convo alice bob
say alice "/query $long"
wait_row alice 1 "│  $long  1 member, owner"
say alice "to the long room"
wait_for alice "alice: to the long room +✓"
pass "a room of 32 characters after # is whole in the sidebar and takes messages"

finish
