#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Getting around 30 contacts at 80x24: Alt-1…Alt-0 open the sidebar's
# first ten rows, /query and /q a name, Ctrl-G jumps by part of a name;
# the sidebar counts what is out of sight ("▲ 1 unread above"); the
# status line's hotlist names the conversations with unread messages and
# Alt-A visits them, the most unread first, until the hotlist is empty.
#   usage: tests/e2e/nav.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

# alice is not in her own list: the others by name, bob, carol, user01…
register alice bob carol $(seq -f "user%02g" 27) 2>/dev/null
client alice --size 80x24
wait_for alice "connected"
wait_row alice 1 "│  bob  offline"
wait_for alice "▼ 9 more below"
pass "30 contacts at 80x24: the sidebar counts those below"

# The header (row 1) names the open conversation.
# (alice is not in her own list: bob is the first row)
keys alice M-3
wait_row alice 1 "│  user01  offline"
keys alice M-0
wait_row alice 1 "│  user08  offline"
keys alice M-1
wait_row alice 1 "│  bob  offline"
keys alice M-2
wait_row alice 1 "│  carol  offline"
pass "Alt-3, Alt-0, Alt-1 and Alt-2 open the 3rd, 10th, 1st and 2nd rows"

say alice "/query user25"
wait_row alice 1 "│  user25  offline"
wait_for alice "▲ [0-9]+ more above"
say alice "/q USER12"
wait_row alice 1 "│  user12  offline"
say alice "/q nobody"
wait_for alice "No contact nobody"
keys alice C-g
wait_for alice "^Jump to:"
text alice "r26"
wait_for alice "^ ○ user26 "
hides alice "^ ○ user25 " || fail "the jump list shows names without r26"
keys alice Enter
wait_row alice 1 "│  user26  offline"
wait_for alice "^\[user26\]"
pass "/query, /q and Ctrl-G open a conversation by name, out of sight too"

# Messages for alice from bob (1), carol (2) and user01 (1), while she
# reads user26's conversation at the bottom of the list.
cli bob send alice "one from bob" >/dev/null || fail "bob could not send"
cli carol send alice "one from carol" >/dev/null || fail "carol could not send"
cli carol send alice "two from carol" >/dev/null || fail "carol could not send"
cli user01 send alice "one from user01" >/dev/null ||
    fail "user01 could not send"
# The connection state comes first; the hotlist gets the rest of the row.
wait_row alice 23 "· connected +\[Act: carol\(2\) bob\(1\) \+1\] +F1 help$"
wait_row alice 1 "^ *▲ 3 unread above"
pass "the hotlist names carol(2) bob(1) user01(1); the sidebar: 3 unread above"

keys alice M-a
wait_row alice 1 "│  carol  offline"
wait_for alice "carol: two from carol"
wait_row alice 23 "\[Act: bob\(1\) user01\(1\)\] +F1 help$"
keys alice M-a
wait_row alice 1 "│  bob  offline"
wait_row alice 23 "\[Act: user01\(1\)\] +F1 help$"
keys alice M-a
wait_row alice 1 "│  user01  offline"
wait_for alice "user01: one from user01"
wait_gone alice "\[Act:"
keys alice M-a
wait_for alice "Nothing unread elsewhere"
pass "Alt-A visits carol, bob, user01; the hotlist clears as each is read"
finish
