#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Several devices per account in the full-screen client: the status line
# counts the user's devices; /devices lists them, this one marked; d asks
# y/n and drops the one chosen (the list and the count follow); dropping
# this very device signs it out for good.
#   usage: tests/e2e/devices.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

# alice owns her name; her laptop (another data folder, so another
# device key) logged in once before the full-screen client starts.
TERMGRAM_PASSWORD=pw cli alice who >/dev/null || fail "alice could not register"
TERMGRAM_PASSWORD=pw "$bin/termgram" who --port "$port" --user alice \
    --data "$tmp/laptop" >/dev/null || fail "alice's laptop could not log in"
register bob

mkdir -p "$tmp/alice-home"
tm new-session -d -x 100 -y 30 -s alice \
    "env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_DOWNLOAD_DIR \
    -u NO_COLOR -u LANG TERMGRAM_PASSWORD=pw \
    TERM=xterm-256color LC_ALL=C.UTF-8 TZ=UTC HOME=$tmp/alice-home \
    $bin/termgram --port $port --user alice --data $tmp/alice \
    2>>$tmp/alice.err; echo \"EXITED \$?\"; sleep 600" ||
    fail "tmux could not start alice's terminal"
wait_row alice 29 "^ alice @ 127\\.0\\.0\\.1:$port · connected · 2 devices" 30
pass "the status line counts alice's devices"

say alice "/devices"
wait_row alice 2 "Devices of alice \\(2\\): d drop, Esc close" 20
# Oldest first: this data folder's device, then the laptop.
wait_row alice 4 "│  [0-9a-f]{16}…  this device  online$"
wait_row alice 5 "│  [0-9a-f]{16}…  offline, last seen [0-9]{2}:[0-9]{2}$"
pass "/devices lists both, this one marked"

# The laptop is the second row: choose it, d, n keeps it, d and y drop it.
keys alice Down
keys alice d
wait_row alice 2 "│  Drop [0-9a-f]{16}…\\? It is signed out\\. y/n$"
keys alice n
wait_row alice 2 "Devices of alice \\(2\\)"
keys alice d
wait_row alice 2 "Drop [0-9a-f]{16}…\\?"
keys alice y
wait_row alice 2 "Devices of alice \\(1\\)" 20
hides alice "[0-9a-f]{16}…  offline" || fail "the laptop is still listed"
wait_row alice 29 "^ alice @ 127\\.0\\.0\\.1:$port · connected *F1 help" 20
pass "d, y: the laptop dropped; the list and the status line follow"
grep -q "dropped" "$tmp/relay.log" || fail "the relay did not log the drop"

# This device itself: signed out, and it does not log back in.
keys alice d
wait_row alice 2 "Drop [0-9a-f]{16}… \\(this device\\)\\?"
keys alice y
wait_for alice "this device was removed from alice's devices" 20
pass "dropping this device signs it out for good"
finish
