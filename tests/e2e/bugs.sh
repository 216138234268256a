#!/usr/bin/env bash
# What went wrong for a new user, each step as a story that failed before
# the fix: a key while the terminal is too small, arrowing past a
# conversation, a relay that is down, presence during an outage.
#   usage: tests/e2e/bugs.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob carol dan heidi olive pat

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

# open_convo SESSION NAME: the sidebar's top (Up), then Down to NAME.
open_convo() {
	local i

	keys "$1" Up Up Up Up Up
	for i in 1 2 3 4 5 6 7 8; do
		poll 2 row_shows "$1" 1 "│  $2  " && return 0
		keys "$1" Down
	done
	fail "$1 could not open $2's conversation"
}

# read_mark SESSION TEXT: TEXT's message shows the bold ✓✓ of "read".
read_mark() {
	screen_e "$1" | grep -F -- "$2" | grep -qF $'\e[1m\e[36m✓✓'
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
grep -q "the name is in use by another session (alice is online already" \
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

# row_of SESSION TEXT: the screen row (from 1) where TEXT first shows.
row_of() { screen "$1" | grep -nF -- "$2" | head -1 | cut -d: -f1; }

# While the relay is down pat writes first, then olive: when it is back,
# olive's own message (there at once) is below pat's (arrived later).
client pat
client olive
wait_for olive "● pat"
wait_for pat "● olive"
open_convo olive pat
open_convo pat olive
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for pat "reconnecting in [0-9]+ s…" 20
wait_for olive "reconnecting in [0-9]+ s…" 20
say pat "first, from pat"
wait_for pat "pat: first, from pat +… *$"
say olive "second, from olive"
wait_for olive "olive: second, from olive +… *$"
"$bin/termgramd" --bind 127.0.0.1 --port "$port" --data "$tmp/relay" \
    2>>"$tmp/relay.log" &
relay_pid=$!
relays="$relays $!"
wait_for olive "olive @ 127.0.0.1:$port · connected" 40
wait_for olive "pat: first, from pat" 40
wait_for olive "olive: second, from olive +✓"
[ "$(row_of olive "pat: first")" -lt "$(row_of olive "olive: second")" ] ||
    fail "olive's own later message is above pat's earlier one"
pass "a conversation is in the order messages were sent, not arrived"

# Tab in the file dialog quotes a name with blanks, also after another
# path, and completes inside an open quote.
mkdir -p "$tmp/olive-home/inbox/my dir"
head -c 2048 /dev/urandom >"$tmp/olive-home/inbox/big video 视频.mp4"
head -c 100 /dev/urandom >"$tmp/olive-home/inbox/my dir/notes.txt"
keys olive C-f
wait_for olive "┌─ Send a file to pat ─"
text olive "~/inbox/b"
keys olive Tab
wait_for olive "│ Path: '~/inbox/big video 视频\\.mp4' +│"
wait_for olive "│ big video 视频\\.mp4 — 2\\.0 KiB +│"
text olive " '~/inbox/my"
keys olive Tab
wait_for olive "│ Path: '~/inbox/big video 视频\\.mp4' '~/inbox/my dir/' +│"
text olive "n"
keys olive Tab
wait_for olive "│ Path: '~/inbox/big video 视频\\.mp4' '~/inbox/my dir/notes\\.txt' +│"
wait_for olive "│ 2 files, 2\\.1 KiB in all +│"
keys olive Escape
wait_gone olive "Send a file to pat"
pass "Tab quotes names with blanks and completes after a quote"

# A file with a long name: at 100 columns the offer keeps its keys, at 80
# the moving line its rate and time left, at 120 the end line the name.
long="quarterly numbers for the board meeting, final version (2).bin"
head -c 150M /dev/urandom >"$tmp/olive-home/inbox/$long"
resize pat 100x30
keys olive C-f
wait_for olive "┌─ Send a file to pat ─"
text olive "~/inbox/q"
keys olive Tab
wait_for olive "— 150\.0 MiB +│"
keys olive Enter
wait_for olive "↑ quar.*\(150\.0 MiB\): offered to pat, waiting \(Ctrl-X cancels\) *│?$"
wait_for pat "↓ olive offers quarte.*….* \(150\.0 MiB\): Ctrl-O accept, Ctrl-X reject *│?$"
pass "at 100 columns the offer of a long name keeps its keys"
resize pat 80x24
keys pat C-o
wait_for pat "^ from olive ↓ quar.*[0-9]+% [0-9.]+ [KMG]iB of 150\.0 MiB, [0-9.]+ [KMG]iB/s, [0-9]+ s left$" 30
pass "at 80 columns a moving transfer keeps its rate and time left"
resize pat 120x30
wait_for pat "verified, saved as .*final version \(2\)\.bin *$" 90
pass "at 120 columns a finished transfer keeps the file's name"

# mark_col SESSION TEXT: the column (in characters) of the mark on TEXT's
# row.
mark_col() {
	local line

	line=$(screen "$1" | grep -F -- "$2" | head -1)
	line=${line%%✓✓*}
	echo "${#line}"
}

# A mountain with VS16 (🏔️): the mark stays where the others are.
say heidi "🏔️ summit"
wait_for heidi "heidi: 🏔.* summit +✓✓"
[ "$(mark_col heidi ": ping alice")" = "$(mark_col heidi " summit")" ] ||
    fail "the mark after 🏔️ is not in the column of the others"
pass "a VS16 emoji leaves the marks in their column"

# Two offers from elsewhere: both are marked in the sidebar, and the
# notice names both.
head -c 1000 /dev/urandom >"$tmp/c.bin"
head -c 1000 /dev/urandom >"$tmp/d.bin"
cli carol sendfile --timeout 60 alice "$tmp/c.bin" 2>"$tmp/sender1.out" &
sender1=$!
poll 10 shows alice "carol +↓ *│" || fail "no mark for carol's offer: $(cat "$tmp/sender1.out")"
cli dan sendfile --timeout 60 alice "$tmp/d.bin" 2>"$tmp/sender2.out" &
sender2=$!
wait_for alice "dan +↓ *│"
wait_for alice "2 files offered, by carol, dan"
shows alice "carol +↓ *│" || fail "carol's offer lost its mark"
kill "$sender1" "$sender2" 2>/dev/null
wait "$sender1" "$sender2" 2>/dev/null
pass "two offers: both marked ↓ in the sidebar, the notice names both"

finish
