#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# /search: the newest hit first, at the top of the pane and highlighted;
# /search again for older hits; what it says when there are no (more)
# hits; End back to the newest; hits in history not loaded yet.
#   usage: tests/e2e/search.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob
# 100x30: the pane is rows 2 to 28, the status line row 29.
client alice
wait_row alice 1 "│  bob  offline"
seq -f 'message %03g' 250 | sed \
    -e 's/^message 003$/& with the needle/' \
    -e 's/^message 040$/& about the Apple pie/' \
    -e 's/^message 120$/& apple again/' \
    -e 's/^message 230$/& APPLE for the last time/' |
    cli bob send --stdin alice || fail "bob could not send"
wait_row alice 28 "bob: message 250$"

status() { wait_row alice 29 "^ $1 +connected *$"; }
# top TEXT: the hit is the pane's first row, highlighted (reverse video)
# from after its time.
lit() { screen_e alice | sed -n 2p | grep -q $'\e\\[7mbob: message '"$1"; }
top() {
	msg_at alice 2 "bob: message $1"
	poll 10 lit "$1" || fail "alice's hit $1 is not highlighted"
	wait_row alice 1 "  scrolled \\(End\\)$"
}

say alice "/search"
status "/search TEXT finds TEXT in this conversation"
pass "/search alone says how to use it"

say alice "/search apple"
status 'Found "apple": /search for older, End to go back'
top "230 APPLE for the last time"
# The hit goes to the top even near the end: the rows below stay empty.
msg_at alice 22 "bob: message 250"
wait_row alice 23 "^ {25}│$"
say alice "/search"
status 'Found "apple": /search for older, End to go back'
top "120 apple again"
say alice "/search apple"
top "040 about the Apple pie"
pass "the newest hit comes first, at the top; /search again finds older ones, in any case"

say alice "/search"
status 'No older "apple" in this conversation'
top "040 about the Apple pie"
say alice "/search zebra"
status 'No "zebra" in this conversation'
msg_at alice 2 "bob: message 040 about the Apple pie"
! lit "040" || fail "the old hit is still highlighted after a new search"
pass "no more hits, or none at all, says so and leaves the view"

keys alice End
wait_row alice 28 "bob: message 250$"
msg_at alice 2 "bob: message 224"
wait_row alice 1 "│  bob  offline, last seen [0-9]{2}:[0-9]{2}$"
pass "End goes back to the newest"

# Started again, alice has the latest 200 messages: the search loads the
# rest.
quit alice
tm kill-session -t alice
client alice
wait_row alice 28 "bob: message 250$"
say alice "/search NEEDLE"
status 'Found "NEEDLE": /search for older, End to go back'
top "003 with the needle"
msg_at alice 3 "bob: message 004"
pass "a hit in history not loaded yet is found"
finish
