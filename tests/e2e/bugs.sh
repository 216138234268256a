#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What went wrong for a new user, each step as a story that failed before
# the fix: a key while the terminal is too small, arrowing past a
# conversation, a relay that is down, presence during an outage, a script
# as you beside your client, a name in use, termgram -h, a bad config file.
#   usage: tests/e2e/bugs.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob carol dan heidi

# termgram -h is the usage, as termgramd -h is.
"$bin/termgram" -h | grep -q "^usage: termgram" || fail "termgram -h refused"
pass "termgram -h prints the usage"

# A config file with two bad lines: both are reported.
mkdir -p "$tmp/dan-home/.config/termgram"
printf 'colour = on\nbell = maybe\nbogus\n' \
    >"$tmp/dan-home/.config/termgram/config"
client dan --size 200x30
wait_for dan "config line 1: unknown key 'colour'; line 2: .*; line 3: expected key = value"
tm kill-session -t dan
pass "every bad line of the config file is reported"
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
client alice
wait_for alice "alice @ 127.0.0.1:$port · connected"
resize alice 50x10
text alice z
pid=$(ps -o pid= --ppid "$(tm display-message -p -t alice '#{pane_pid}')" |
    head -1)
[ -n "$pid" ] || fail "no client process under alice's terminal"
kill -TERM $pid
wait_for alice "^EXITED 0"
pass "a key while too small, then SIGTERM: the client quits with 0"
tm kill-session -t alice

# read_mark SESSION TEXT: TEXT's message shows the bold ✓✓ of "read".
read_mark() {
	screen_e "$1" | grep -F -- "$2" | grep -qF $'\e[1m\e[32m✓✓'
}

# alice arrows past heidi's conversation: it stays unread, heidi sees no
# "read"; once alice stays there for a moment it is read.
client heidi
client bob
client alice
wait_for alice "● heidi"
wait_for heidi "● alice"
wait_for alice "● bob"
open_convo heidi alice
open_convo alice bob
say heidi "ping alice"
wait_for alice "● heidi +1 *│"
wait_for heidi "heidi: ping alice +✓✓"
keys alice Down Down
wait_row alice 1 "│  carol  offline"
if poll 3 read_mark heidi ": ping alice"; then
	fail "alice only passed heidi's conversation, and heidi saw it read"
fi
shows alice "● heidi +1 *│" || fail "passing heidi lost her unread count"
pass "arrowing past heidi: no read receipt, the unread count stays"
keys alice Up
wait_row alice 1 "│  heidi  online"
poll 10 read_mark heidi ": ping alice" ||
    fail "heidi never saw her message read"
wait_gone alice "● heidi +1 *│"
pass "alice stays on heidi's conversation: read after a moment"

# The relay goes away: the status line says why, and nobody is shown
# online while nobody's presence is known.
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for alice "alice @ 127.0.0.1:$port · .*Connection refused · reconnecting in [0-9]+ s…" 30
resize alice 80x24 23 "Connection refused · retry in [0-9]+ s…"
resize alice 100x30 29 "Connection refused · reconnecting in [0-9]+ s…"
wait_for alice "│  heidi  presence unknown: not connected"
hides alice "●" || fail "alice shows someone online while disconnected"
pass "relay down: the status line says Connection refused, nobody online"
"$bin/termgramd" --bind 127.0.0.1 --port "$port" --data "$tmp/relay" \
    2>>"$tmp/relay.log" &
relay_pid=$!
relays="$relays $!"
wait_for alice "alice @ 127.0.0.1:$port · connected" 40
wait_for alice "● heidi"
wait_row alice 1 "│  heidi  online"
pass "relay back: presence is shown again"

# A script as alice while her full-screen client runs: it does not take
# the name over, it says why, at once.
t0=$SECONDS
if cli alice send bob "from a script" 2>"$tmp/script.out"; then
	fail "the script's send succeeded while alice's client was logged in"
fi
grep -q "alice is logged in with the full-screen client" "$tmp/script.out" ||
    fail "the script did not say why: $(cat "$tmp/script.out")"
[ $((SECONDS - t0)) -lt 10 ] || fail "the script waited $((SECONDS - t0)) s"
"$bin/termgram" send --port "$port" --user alice --data "$tmp/alice-script" \
    bob "from elsewhere" 2>"$tmp/script.out" &&
    fail "a send as alice from another folder succeeded"
grep -q "alice is signed in elsewhere, and a headless command does not take over" \
    "$tmp/script.out" ||
    fail "the other folder's send did not say why: $(cat "$tmp/script.out")"
[ $((SECONDS - t0)) -lt 20 ] || fail "the scripts waited $((SECONDS - t0)) s"
sleep 1
wait_for alice "alice @ 127.0.0.1:$port · connected"
pass "a script as alice refuses at once, saying why; alice stays connected"

# A headless command with no relay there names it and stops at once.
t0=$SECONDS
"$bin/termgram" who --port 1 --user zed --data "$tmp/zed" 2>"$tmp/who.out" &&
    fail "who succeeded without a relay"
grep -q "cannot connect to 127.0.0.1:1: .*Connection refused" "$tmp/who.out" ||
    fail "who did not name the relay: $(cat "$tmp/who.out")"
[ $((SECONDS - t0)) -lt 10 ] || fail "who waited $((SECONDS - t0)) s"
pass "who without a relay: $(cat "$tmp/who.out")"

# A second full-screen alice elsewhere: the name in use, said in words.
client alice2 --size 120x30 --user alice
wait_for alice2 "alice @ 127.0.0.1:$port · the name is in use by another session · reconnecting in [0-9]+ s…"
tm kill-session -t alice2
pass "a second client as alice says the name is in use, and backs off"

finish
