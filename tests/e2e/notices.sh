#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Notices at 80 columns: the connection state stays at the right of the
# status line while a notice is up; the relay's refusals are said in
# words, without their code; a file the relay keeps for someone offline
# says so.
#   usage: tests/e2e/notices.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1" --file-max-size 500

register alice bob carol
client alice --size 80x24
wait_for alice "alice @ 127.0.0.1:$port · connected"

say alice "/bogus"
wait_row alice 23 "^ Unknown command /bogus: /help lists them +connected *$"
pass "a notice keeps the connection state in view"

mkdir -p "$tmp/alice-home/out"
head -c 1000 /dev/urandom >"$tmp/alice-home/out/report.bin"
open_convo alice carol
say alice "/send ~/out/report.bin"
wait_for alice "report\\.bin — 1000 B"
keys alice Enter
wait_row alice 23 "carol is offline"
hides alice "QUOTA" || fail "the notice shows the relay's code"
pass "a file over the relay's limit for an offline contact is refused in words"

head -c 300 /dev/urandom >"$tmp/alice-home/out/small.bin"
say alice "/send ~/out/small.bin"
wait_for alice "small\\.bin — 300 B"
keys alice Enter
wait_for alice "stored on the relay"
pass "a file to an offline contact is stored on the relay, and says so"
finish
