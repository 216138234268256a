#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# /transfers: every transfer, newest first, two rows each (direction,
# peer, name, progress, state, rate, time left; then where the file is);
# a accepts an offer, c cancels after a y/n, Esc closes. A finished
# transfer is noted in its conversation: "file x (size) saved to PATH".
#   usage: tests/e2e/transfers.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob
# alice's times are in 12-hour form (time_format).
mkdir -p "$tmp/alice-home/.config/termgram"
echo "time_format = %I:%M %p" >"$tmp/alice-home/.config/termgram/config"
# bob's terminal is 80x24: the list loses nothing there.
client alice
client bob --size 80x24
wait_row alice 1 "│  bob  online"
wait_row bob 1 "│  alice  online"
mkdir -p "$tmp/alice-home/out"
head -c 1000 /dev/urandom >"$tmp/alice-home/out/small.bin"
head -c 200M /dev/urandom >"$tmp/alice-home/out/big.bin"
dl=$tmp/bob-home/Downloads/termgram

say bob "/transfers"
wait_row bob 2 "^[^│]*│ +Transfers \\(0\\): a accept, c cancel, o folder, Esc close"
wait_row bob 4 "^[^│]*│ +No transfers yet\\."
keys bob Escape
wait_gone bob "Transfers \\(0\\)"

# A finished transfer, accepted in the list with a (three rows each:
# who and what, progress and state, where the file is).
say alice "/send ~/out/small.bin"
wait_for alice "small\\.bin — 1000 B"
keys alice Enter
wait_for bob "alice offers small\\.bin"
say bob "/transfers"
wait_row bob 4 "^[^│]*│ +↓ from alice · small\\.bin$"
wait_row bob 5 "^[^│]*│ +0% of 1000 B · offered to you \\(a: accept\\)$"
keys bob a
wait_row bob 5 "^[^│]*│ +100% of 1000 B · done$" 30
wait_row bob 6 "^[^│]*│ +saved to ~/Downloads/termgram/small\\.bin$"
# o: the folder the file is in goes into the input line, whole (a
# terminal has no desktop to open it in); the notice says so.
keys bob o
wait_row bob 24 "/bob-home/Downloads/termgram *$"
wait_row bob 23 "^ The folder of small\\.bin is in the input line"
keys bob Escape
wait_gone bob "Transfers \\(1\\)"
keys bob C-u
wait_row bob 24 "^\\[alice\\] *$"
pass "o in the list puts the folder of a received file in the input line"
say bob "/transfers"
wait_row bob 5 "· done$"
keys bob Escape
wait_gone bob "Transfers \\(1\\)"
msg_at bob 3 "\\*: file small\\.bin \\(1000 B\\) saved to"
wait_row bob 4 "^[^│]*│ +$tmp/bob-home/Download"
wait_row alice 3 "│ [01][0-9]:[0-5][0-9] [AP]M \\*: file small\\.bin \\(1000 B\\) sent to bob$"
pass "a accepts an offer in the list; the finished transfer is noted in the conversation"
pass "time_format = %I:%M %p: alice's times are 12-hour, the text after them"

# A running transfer: bob's client is stopped once it runs, so alice's
# stays under way (its window unacknowledged).
say alice "/send ~/out/big.bin"
wait_for alice "big\\.bin — 200\\.0 MiB"
keys alice Enter
wait_for bob "alice offers big\\.bin"
# Inline, where it was offered: "*:" and the transfer as it is now.
# (80 columns: its keys go on a second line, nothing is cut.)
wait_for bob "│ [0-9:]{5} \\*: ↓ alice offers big\\.bin \\(200\\.0 MiB\\): Ctrl-O$"
wait_for bob "│ {7}accept, Ctrl-X reject$"
keys bob C-o
wait_for alice "to bob ↑ big\\.bin █*░+ +[0-9]+% " 30
bob_pid=$(pgrep -P "$(tm display-message -p -t bob '#{pane_pid}')" termgram)
[ -n "$bob_pid" ] || fail "no pid of bob's client"
kill -STOP "$bob_pid"
wait_for alice "│ [01][0-9]:[0-5][0-9] [AP]M \\*: ↑ big\\.bin █*░+ +[0-9]+% "
pass "the transfer's progress shows inline in the conversation where it was offered"
say alice "/transfers"
wait_row alice 2 "^[^│]*│ +Transfers \\(2\\): a accept, c cancel, o folder, Esc close"
wait_row alice 4 "^[^│]*│ +↑ to bob · big\\.bin$"
wait_row alice 5 "^[^│]*│ +[0-9]+% of 200\\.0 MiB · active · ([0-9.]+ [KMG]?i?B/s|stalled)"
wait_row alice 6 "^[^│]*│ +from ~/out/big\\.bin$"
wait_row alice 7 "^[^│]*│ +↑ to bob · small\\.bin$"
wait_row alice 8 "^[^│]*│ +100% of 1000 B · done$"
pass "the list shows the running transfer and the finished one"
# Nothing moves while bob is stopped: after some seconds the rate is not
# "0 B/s" but "stalled", and no time left is guessed.
wait_row alice 5 "^[^│]*│ +[0-9]+% of 200\\.0 MiB · active · stalled$" 30
pass "a transfer where nothing moves says stalled"

keys alice c
wait_row alice 2 "^[^│]*│ +Cancel big\\.bin to bob\\? y/n"
keys alice n
wait_row alice 2 "^[^│]*│ +Transfers \\(2\\)"
wait_row alice 5 "· active ·"
keys alice c y
wait_row alice 5 "^[^│]*│ +[0-9]+% of 200\\.0 MiB · failed$"
wait_row alice 6 "^[^│]*│ +cancelled by the user"
kill -CONT "$bob_pid"
wait_for bob "big\\.bin: cancelled" 30
keys alice Down
keys alice c
wait_row alice 29 "small\\.bin has ended"
pass "c asks first, then cancels; an ended transfer cannot be"
keys alice Escape
wait_gone alice "Transfers \\(2\\)"
wait_for alice "[AP]M \\*: file big\\.bin \\(200\\.0 MiB\\) not sent: cancelled"
pass "an ended transfer's entry says how it ended"

# After a restart the conversation still names both, with where the
# file went or why it did not.
quit alice
tm kill-session -t alice
client alice
wait_row alice 1 "│  bob  online"
wait_for alice "[AP]M \\*: ↑ file small\\.bin \\(1000 B\\) sent to bob$"
wait_for alice "[AP]M \\*: ↑ file big\\.bin \\(200\\.0 MiB\\) not sent: cancelled"
quit bob
tm kill-session -t bob
client bob --size 80x24
wait_row bob 1 "│  alice  online"
wait_for bob "\\*: ↓ file small\\.bin \\(1000 B\\) saved to"
pass "after a restart the finished transfers are still in the conversation"
finish
