#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The transfer list with long names keeps its meaning at every width:
# who and which way stay, the name is shortened in its middle; where the
# file went shows its folder ("~" for home, shortened from the left) and
# its name apart when the whole path does not fit; a running transfer
# says where it is saving to.
#   usage: tests/e2e/xferlist.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice grace
client alice --size 80x24
wait_for alice "connected"
mkdir -p "$tmp/g"
long="$tmp/g/quarterly budget review 2026 final version.tar.gz"
head -c 1000 /dev/urandom >"$long"

# offer FILE: grace offers FILE; alice accepts it in the list, and it
# ends.
offer() {
	cli grace sendfile --timeout 60 alice "$1" >"$tmp/sender.out" 2>&1 &
	sender=$!
	wait_row alice 5 "offered to you" 30
	keys alice a
	wait "$sender" || fail "grace's sendfile failed: $(cat "$tmp/sender.out")"
	wait_row alice 5 "^[^│]*│ +100% of 1000 B · done$" 30
}
say alice "/transfers"
wait_row alice 4 "No transfers yet"
offer "$long"
offer "$long"
wait_row alice 4 "^[^│]*│ +↓ from grace · quarterly .*…"
wait_row alice 6 "^[^│]*│ +saved in ~/Downloads/termgram as .*\\(1\\)\\.gz$"
wait_for alice "F1 help" 15 # the notices of the two transfers are gone
golden alice xferlist
pass "80 columns: who, direction, the folder and the name's end stay"
resize alice 120x35 2 "Transfers \\(2\\)"
golden alice xferlist
resize alice 200x50 2 "Transfers \\(2\\)"
wait_row alice 6 "saved to ~/Downloads/termgram/quarterly budget review 2026 final version\\.tar \\(1\\)\\.gz$"
golden alice xferlist
pass "120 and 200 columns: the list with long names"

# A running transfer says where it is saving to (grace's side stopped,
# so it stays running).
resize alice 80x24 2 "Transfers \\(2\\)"
big="$tmp/g/holiday video from the mountains 视频.mp4"
truncate -s 1G "$big"
cli grace sendfile --timeout 60 alice "$big" >"$tmp/sender.out" 2>&1 &
sender=$!
wait_row alice 5 "offered to you" 30
keys alice a
wait_row alice 5 "· active" 30
kill -STOP "$sender"
poll 10 row_shows alice 6 "^[^│]*│ +saving in …?[^ ]*Downloads/termgram as .* 视频\\.mp4$" || {
	kill -KILL "$sender"
	fail "no \"saving in\" row: $(screen alice | sed -n 6p)"
}
pass "80 columns: a running transfer shows where it is saving to"
resize alice 120x35 2 "Transfers \\(3\\)"
poll 10 row_shows alice 6 "^[^│]*│ +saving to ~/Downloads/termgram/holiday video from the mountains 视频\\.mp4$" || {
	kill -KILL "$sender"
	fail "no \"saving to\" row: $(screen alice | sed -n 6p)"
}
pass "120 columns: the whole path it is saving to"
kill -KILL "$sender"
wait "$sender" 2>/dev/null
finish
