#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scrolling a conversation longer than the pane: PgUp/PgDn a pane less a
# line at a time, the mouse wheel three lines, End back to the newest,
# new messages that do not move a scrolled view, and older history loaded
# as the view reaches the top.
#   usage: tests/e2e/scroll.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob
# 100x30: the pane is rows 2 to 28 (27 rows), one message a row, and a
# date line above the first message.
client alice
wait_row alice 1 "│  bob  offline"
seq -f 'message %03g' 250 | cli bob send --stdin alice ||
    fail "bob could not send"

pane_shows() {
	msg_row "$1" 2 "bob: message $2" && msg_row "$1" 28 "bob: message $3"
}
# pane SESSION FIRST LAST: the pane shows messages FIRST to LAST.
pane() {
	poll 10 pane_shows "$@" ||
	    fail "$1's pane never went from message $2 to $3"
}
scrolled() { wait_row alice 1 "  scrolled \\(End\\)$"; }
following() { wait_row alice 1 "│  bob  offline, last seen [0-9]{2}:[0-9]{2}$"; }

pane alice 224 250
following
pass "the pane shows the newest messages, the last at the bottom"

keys alice PPage
pane alice 198 224
scrolled
keys alice PPage
pane alice 172 198
keys alice NPage
pane alice 198 224
scrolled
pass "PgUp and PgDn move by the pane's height less one line"

# The wheel as an xterm reports it in SGR mouse mode: button 64 up, 65
# down, at column 50, row 10 of the pane.
text alice $'\e[<64;50;10M'
pane alice 195 221
text alice $'\e[<65;50;10M'
text alice $'\e[<65;50;10M'
pane alice 201 227
pass "the mouse wheel moves three lines"

echo "message 251, while alice reads older ones" | cli bob send --stdin alice ||
    fail "bob could not send"
wait_row alice 1 "  ↓ new below \\(End\\)$"
pane alice 201 227
hides alice "message 251"
pass "a new message while scrolled up does not move the view; the header says so"

# 26 lines down would leave only 25 below the top: it sticks to the end.
keys alice NPage
wait_row alice 28 "bob: message 251, while alice reads older ones$"
msg_at alice 2 "bob: message 225"
following
pass "PgDn to the bottom follows the newest again"

# The input line is row 30: "[bob] " and then the text, the cursor after it.
is_scrolled() { row_shows alice 1 "  scrolled \\(End\\)$"; }
keys alice PPage
scrolled
text alice "draft"
wait_cursor alice 11,29
keys alice Home
wait_cursor alice 6,29
keys alice End
wait_cursor alice 11,29
is_scrolled || fail "End from the middle of the line left the scrolled view"
keys alice End
following
wait_row alice 28 "bob: message 251, while alice reads older ones$"
wait_for alice "^\[bob\] draft$"
keys alice PPage
scrolled
keys alice Home
wait_cursor alice 6,29
keys alice C-e
wait_cursor alice 11,29
is_scrolled || fail "Ctrl-E left the scrolled view"
keys alice C-u
wait_cursor alice 6,29
keys alice End
following
pass "End jumps to the newest only from the end of the input line"

keys alice PPage PPage
scrolled
say alice "a reply from the past"
following
wait_row alice 28 "alice: a reply from the past +✓ *$"
pass "sending while scrolled up goes back to the newest"

# Started again, alice's store gives the latest 200 messages; older ones
# load as PgUp reaches the top. (First the view stays at the end for a
# moment, so that all is read: with more unread messages than fit, the
# conversation would open at the first of them.)
wait_gone alice "[●○] bob +[0-9]+ │"
quit alice
tm kill-session -t alice
client alice
wait_row alice 1 "│  bob  offline"
wait_row alice 28 "alice: a reply from the past +✓ *$"
for _ in $(seq 11); do
	keys alice PPage
done
poll 10 row_shows alice 2 "│ ─+ [A-Z][a-z]+ [0-9]{2} [A-Z][a-z]+ [0-9]{4} ─+$" ||
    fail "alice's pane never reached the first day's date line"
msg_at alice 3 "bob: message 001"
msg_at alice 28 "bob: message 026"
keys alice PPage
keys alice NPage
pane alice 026 052
keys alice End
wait_row alice 28 "alice: a reply from the past +✓ *$"
following
pass "paging up loads older history until the first message"
finish
