#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Comings and goings: quitting, a message to someone offline, starting
# again with the history, the relay dying and coming back, Ctrl-C.
#   usage: tests/e2e/reconnect.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob
pair alice bob
msg='你好 bob, 会议改到三点 😀 ok'
say alice "$msg"
wait_for bob "alice: $msg"
wait_for alice "alice: $msg +✓✓"
pass "alice and bob talk"

# bob quits; the terminal is given back.
say bob "/quit"
wait_for bob "^EXITED 0"
wait_for alice "│  bob  offline"
pass "/quit restores the terminal and exits 0; alice sees bob offline"

say alice "are you there?"
wait_for alice "alice: are you there\\? +✓ *$"
pass "a message to offline bob is stored (one check)"

tm kill-session -t bob
client bob
wait_for bob "bob @ 127.0.0.1:$port · connected"
wait_for bob "alice: are you there\\?"
wait_for bob "alice: $msg"
wait_for alice "alice: are you there\\? +✓✓ *$"
pass "bob starts again and finds the message and his history"

# The relay goes away and comes back on the same port: nothing is lost.
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for alice "alice @ 127.0.0.1:$port · .*(reconnecting|retry) in [0-9]+ s…"
wait_for bob "bob @ 127.0.0.1:$port · .*(reconnecting|retry) in [0-9]+ s…"
say alice "sent while the relay was down"
wait_for alice "alice: sent while the relay was down +… *$"
wait_for alice "· (reconnecting|retry) in [0-9]+ s… · 1 pending"
"$bin/termgramd" --bind 127.0.0.1 --port "$port" --data "$tmp/relay" \
    2>>"$tmp/relay.log" &
relays="$relays $!"
wait_for alice "alice @ 127.0.0.1:$port · connected" 40
wait_for bob "alice: sent while the relay was down" 40
wait_for alice "alice: sent while the relay was down +✓✓ *$"
pass "after a relay restart both reconnect and the pending message arrives"

quit alice
pass "Ctrl-C quits cleanly"
finish
