#!/usr/bin/env bash
# What went wrong for a new user, each step as a story that failed before
# the fix: a key while the terminal is too small, arrowing past a
# conversation, a relay that is down, presence during an outage.
#   usage: tests/e2e/bugs.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob heidi
client alice
wait_for alice "alice @ 127.0.0.1:$port · connected"

# Too small, a key, larger again: the screen comes back; too small, a key,
# Ctrl-C: the client quits.
resize alice 50x10
wait_for alice "^termgram needs 60x12\\.$"
text alice x
resize alice 100x30
wait_for alice "alice @ 127.0.0.1:$port · connected"
pass "a key while too small, then larger: the screen is drawn again"
resize alice 40x10
text alice y
quit alice
pass "a key while too small, then Ctrl-C: the client quits with 0"
tm kill-session -t alice

finish
