#!/usr/bin/env bash
# What a new user still found cut or hasty: transfer lines at 80x24 keep
# their keys (first, when room is short) and leave the sidebar's "▼ more
# below" in sight; a transfer where nothing moves says "stalled"; Ctrl-X
# asks y/n as /transfers does; two offers from one contact name them once;
# /xfer completes with Tab. Golden screens at 80x24, 100x30 and 200x50.
#   usage: tests/e2e/pinned.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob $(seq -f "c%02g" 1 25)
client alice
client bob --size 80x24
wait_row bob 1 "│  alice  online"
wait_row bob 22 "^ ▼ [0-9]+ more below +│"
mkdir -p "$tmp/alice-home/out"
head -c 1000 /dev/urandom >"$tmp/alice-home/out/a.bin"
head -c 1000 /dev/urandom >"$tmp/alice-home/out/b.bin"
long=holiday-photos-2026-final.tar
head -c 200M /dev/urandom >"$tmp/alice-home/out/$long"

# Two offers from alice while bob looks at another conversation: the
# notice names her once.
say bob "/query c01"
wait_row bob 1 "│  c01  offline"
say alice "/send ~/out/a.bin ~/out/b.bin"
wait_for alice "2 files, 2\\.0 KiB in all"
keys alice Enter
wait_for bob "2 files offered, by alice \\("
hides bob "alice, alice" || fail "the notice names alice twice"
pass "two offers from one contact: the notice names her once"

# Tab completes every command of the help, /xfer too.
text bob "/xf"
keys bob Tab
wait_row bob 24 "^\\[c01\\] /xfer *$"
keys bob C-u
wait_row bob 24 "^\\[c01\\] *$"
pass "/xf and Tab: /xfer"

say bob "/query alice"
wait_row bob 1 "│  alice  online"
say bob "/reject"
say bob "/reject"
wait_gone bob "Ctrl-O accept"

# An offer with a long name at 80x24: the keys first, the name shortened
# in its middle, the size; the sidebar keeps its "▼ more below".
say alice "/send ~/out/$long"
wait_for alice "$long — 200\\.0 MiB"
keys alice Enter
wait_row bob 22 "^ ▼ [0-9]+ more below +│  Ctrl-O accept, Ctrl-X reject: ↓ holid.*….*\\.tar \\(200\\.0 MiB\\)$"
pass "80x24: the pinned offer keeps its keys, first, and its size"
wait_row bob 23 "^ bob @ 127\\.0\\.0\\.1:$port · connected" 20
golden bob pinned
resize bob 100x30
wait_row bob 28 "│  Ctrl-O accept, Ctrl-X reject: ↓ alice offers holiday.*….*\\.tar \\(200\\.0 MiB\\)$"
golden bob pinned
resize bob 200x50
wait_row bob 48 "│  ↓ alice offers $long \\(200\\.0 MiB\\): Ctrl-O accept, Ctrl-X reject$"
golden bob pinned
resize bob 80x24
pass "100x30: keys first, the name shortened; 200x50: the whole line"

# Under way, then stalled: alice's client stops, so nothing more comes.
# The line above the status takes the sidebar's last row away from the
# contacts, not from its "▼ more below".
keys bob C-o
wait_row bob 22 "^ from alice ↓ holid.*[0-9]+%" 30
wait_row bob 21 "^ ▼ [0-9]+ more below +│"
alice_pid=$(pgrep -P "$(tm display-message -p -t alice '#{pane_pid}')" termgram)
[ -n "$alice_pid" ] || fail "no pid of alice's client"
kill -STOP "$alice_pid"
wait_row bob 22 "^ from alice ↓ holid.*[0-9]+% [0-9.]+ [KMG]?i?B of 200\\.0 MiB, stalled$" 30
wait_row bob 21 "^ ▼ [0-9]+ more below +│  ↓ holid.*[0-9]+%.*, stalled$"
pass "80x24: a stalled transfer says so; the sidebar keeps its ▼ above the transfer line"

# Ctrl-X asks first, as the transfer list does.
keys bob C-x
wait_row bob 24 "^Cancel $long from alice\\? y/n$"
keys bob Escape
wait_row bob 24 "^\\[alice\\] *$"
shows bob "^ from alice ↓" || fail "Escape cancelled the transfer"
keys bob C-x
wait_row bob 24 "^Cancel $long from alice\\? y/n$"
keys bob y
wait_for bob "cancelled by the user"
kill -CONT "$alice_pid"
pass "Ctrl-X: y/n first, y cancels"
finish
