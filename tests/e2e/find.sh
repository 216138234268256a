#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# /find TEXT: every conversation searched, the hits listed newest first in
# place of the pane (contact, time, "sender: text"); Up/Down pick one,
# Enter opens its conversation at that message, highlighted; Esc closes.
#   usage: tests/e2e/find.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob carol dave
cli bob send alice "the Apple pie was great" || fail "bob could not send"
seq -f 'filler %03g' 40 | cli bob send --stdin alice || fail "bob could not send"
cli carol send alice "apple tart tomorrow?" || fail "carol could not send"
cli dave send alice "nothing to see" || fail "dave could not send"
client alice
wait_row alice 1 "│  bob  offline"
# (more unread than fit: the view opens at the first; End reads them all)
msg_at alice 4 "bob: the Apple pie was great"
keys alice End
msg_at alice 28 "bob: filler 040"
wait_gone alice "bob +[0-9]+ │"

say alice "/find"
wait_row alice 29 "^ /find TEXT lists TEXT in every conversation "
say alice "/find APPLE"
wait_row alice 2 "^[^│]*│ +Found \"APPLE\" 2 times: Enter opens, Esc closes"
wait_row alice 4 "^[^│]*│ +carol [0-9:]{5}  carol: apple tart tomorrow\\?"
wait_row alice 5 "^[^│]*│ +bob [0-9:]{5}  bob: the Apple pie was great"
golden alice find
pass "/find lists the hits of every conversation, newest first"

keys alice Down Enter
wait_row alice 1 "│  bob  offline"
# (under the marker: where bob's unread messages started)
wait_row alice 3 "─ new ─"
msg_at alice 4 "bob: the Apple pie was great"
lit() { screen_e alice | sed -n 4p | grep -q $'\e\\[7mbob: the Apple'; }
poll 10 lit || fail "the hit is not highlighted"
wait_row alice 29 'Found "APPLE": /search for older here, End to go back'
pass "Enter opens the conversation at the hit, highlighted"

say alice "/search -a zebra"
wait_row alice 2 "^[^│]*│ +Found \"zebra\" 0 times"
wait_row alice 4 "^[^│]*│ +No message has it\\."
keys alice Escape
msg_at alice 4 "bob: the Apple pie was great"
pass "/search -a is /find; nothing found says so; Esc closes"
finish
