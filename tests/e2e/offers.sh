#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A file offered by a contact scrolled out of the sidebar's sight: the
# count of what is above (or below) says so, "▲ 9 more above, 1 offer"
# (at 80 columns, shorter: "▲ 10, 1 offer").
#   usage: tests/e2e/offers.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob $(seq -f "user%02g" 28) 2>/dev/null
client alice --size 80x24
wait_for alice "connected"
say alice "/q user28"
wait_row alice 1 "│  user28  offline"
wait_row alice 1 "^ *▲ [0-9]+ more above +│"
head -c 1000 /dev/urandom >"$tmp/b.bin"
cli bob sendfile --timeout 60 alice "$tmp/b.bin" >"$tmp/sender.out" 2>&1 &
sender=$!
poll 30 row_shows alice 1 "^ *▲ [0-9]+( more)?( above)?, 1 offer +│" ||
    fail "the offer above is not counted: $(screen alice | head -1) \
($(cat "$tmp/sender.out"))"
pass "an offer out of sight: $(screen alice | head -1 | sed "s/ *│.*//")"
say alice "/q bob"
wait_row alice 1 "│  bob  online"
wait_row alice 22 "^ *▼ [0-9]+ more below +│"
pass "the offer in sight: the count below does not name it"
kill "$sender" 2>/dev/null
wait "$sender" 2>/dev/null
finish
