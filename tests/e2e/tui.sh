#!/usr/bin/env bash
# End to end through tmux: a real relay and two real full-screen clients
# in fixed-size terminals. Reads like the story it tests; every wait polls
# the screen for the expected text with a deadline, never a fixed sleep.
#   usage: tests/e2e/tui.sh BUILD_DIR
set -u
. "$(dirname "$0")/../../scripts/relay.sh"
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-e2e.XXXXXX")
sock="tg-e2e-$$"
relay_pid=""
failures=0

cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
	[ -n "${relay2_pid:-}" ] && kill "$relay2_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

tm() { tmux -L "$sock" "$@"; }
screen() { tm capture-pane -p -t "$1"; }
screen_e() { tm capture-pane -e -p -t "$1"; }

fail() {
	echo "FAIL: $*"
	for s in alice bob dave erin; do
		tm has-session -t "$s" 2>/dev/null || continue
		echo "--- $s's screen:"
		screen "$s"
	done
	echo "--- relay log:"
	tail -n 20 "$tmp/relay.log"
	exit 1
}

# wait_for SESSION REGEX [SECONDS]: poll the screen until it matches.
wait_for() {
	local deadline=$((SECONDS + ${3:-10}))
	while [ $SECONDS -lt $deadline ]; do
		screen "$1" | grep -qE -- "$2" && return 0
		sleep 0.05
	done
	fail "$1's screen never showed /$2/"
}

# wait_gone SESSION REGEX [SECONDS]: poll until it no longer matches.
wait_gone() {
	local deadline=$((SECONDS + ${3:-10}))
	while [ $SECONDS -lt $deadline ]; do
		screen "$1" | grep -qE -- "$2" || return 0
		sleep 0.05
	done
	fail "$1's screen kept showing /$2/"
}

pass() { echo "ok: $*"; }

relay_start "$bin" "$tmp/relay" "$tmp/relay.log" ||
    fail "the relay did not start"
port=$relay_port

# carol exists but stays offline.
"$bin/termgram" who --port "$port" --user carol --data "$tmp/carol" \
    >/dev/null || fail "carol could not register"

start() { # name [port [options]]
	mkdir -p "$tmp/$1-home"
	tm new-session -d -x 100 -y 30 -s "$1" \
	    "env TERM=xterm-256color LANG=C.UTF-8 HOME=$tmp/$1-home \
	    $bin/termgram --port ${2:-$port} ${3:-} \
	    --user $1 --data $tmp/$1 2>>$tmp/$1.err; echo \"EXITED \$?\"; \
	    sleep 600"
}

tm -f /dev/null start-server 2>/dev/null
start alice
start bob
wait_for alice "alice @ 127.0.0.1:$port · connected"
wait_for bob "bob @ 127.0.0.1:$port · connected"
wait_for alice "● bob"
pass "both clients connected; alice sees bob online"

# bob looks at carol's conversation (the last row), so alice's message
# counts as unread.
tm send-keys -t bob Down Down Down
wait_for bob "│  carol  offline"

# alice goes to the top of the sidebar (herself), then down to bob.
tm send-keys -t alice Up Up Up
wait_for alice "│  alice  online"
tm send-keys -t alice Down
wait_for alice "│  bob  online"
pass "arrow keys move the selection and switch the conversation"

msg='你好 bob, 会议改到三点 😀 ok'
tm send-keys -t alice -l "$msg"
wait_for alice "> $msg"
tm send-keys -t alice Enter
wait_for alice "alice: $msg +✓✓"
wait_gone alice "^>.+"
wait_for bob "● alice +1 *│"
pass "bob sees an unread count of 1 for alice"

tm send-keys -t bob Up Up Up
wait_for bob "│  alice  online"
wait_for bob "alice: $msg"
wait_gone bob "● alice +1 *│"
# Read: alice's double check turns bold.
deadline=$((SECONDS + 10))
until screen_e alice | grep -q $'\e\\[1m[^✓]*✓✓'; do
	[ $SECONDS -lt $deadline ] || fail "alice never saw her message as read"
	sleep 0.05
done
pass "bob reads it; alice sees it marked read"

# bob answers; wide text wraps without broken characters.
long='这是一条很长的消息，用来检查按显示宽度换行是否正确，中文字符占两列，不能在边缘被截断。Then some English words to wrap too.'
tm send-keys -t bob -l "$long"
tm send-keys -t bob Enter
wait_for alice "bob: 这是一条很长的消息"
wait_for alice "English words to wrap too"
pass "a long CJK message wraps by display width"

# A paste of several lines is one message with its line breaks.
printf 'first pasted line\nsecond pasted line' | tm load-buffer -
tm paste-buffer -p -t alice
wait_for alice "> first pasted line↵second pasted line"
tm send-keys -t alice Enter
wait_for bob "alice: first pasted line"
wait_for bob "^ +│ +second pasted line"
pass "a bracketed paste of two lines is sent as one message"

tm send-keys -t alice F1
wait_for alice "termgram keys"
tm send-keys -t alice x
wait_gone alice "termgram keys"
pass "F1 shows the keys; any key closes them"

# A file: a quoted path with a space and Chinese in it, pasted into the
# dialog as a terminal pastes a dragged file.
mkdir -p "$tmp/my docs"
head -c 200M /dev/urandom >"$tmp/my docs/季度 report.bin"
tm send-keys -t alice C-f
wait_for alice "Send a file to bob"
printf "'%s' " "$tmp/my docs/季度 report.bin" | tm load-buffer -
tm paste-buffer -p -t alice
wait_for alice "季度 report.bin — 200.0 MiB"
tm send-keys -t alice Enter
wait_for bob "alice offers 季度 report.bin \\(200.0 MiB\\): Ctrl-O accept"
tm send-keys -t bob C-o
wait_for alice "to bob ↑ 季度 report.bin █+░* +[0-9]+% " 30
wait_for bob "季度 report.bin 200.0 MiB: verified, saved as" 60
wait_for alice "季度 report.bin 200.0 MiB: verified, saved by bob" 30
cmp -s "$tmp/my docs/季度 report.bin" "$tmp/bob-home/Downloads/termgram/季度 report.bin" ||
    fail "the received file differs"
pass "a dragged path goes through the dialog; the bar moves; the file arrives identical"

tm resize-window -t alice -x 80 -y 24
wait_for alice "alice @ 127.0.0.1:$port · connected"
wait_for alice "alice: 你好 bob"
[ "$(screen alice | wc -l)" -eq 24 ] || fail "alice's screen is not 24 rows"
tm resize-window -t alice -x 40 -y 10
wait_for alice "Terminal too small: 40x10"
tm resize-window -t alice -x 100 -y 30
wait_for alice "alice: 你好 bob"
pass "resizing lays everything out again; too small says so"

# bob quits; the terminal is given back.
tm send-keys -t bob -l "/quit"
tm send-keys -t bob Enter
wait_for bob "^EXITED 0"
wait_for alice "│  bob  offline"
pass "/quit restores the terminal and exits 0; alice sees bob offline"

tm send-keys -t alice -l "are you there?"
tm send-keys -t alice Enter
wait_for alice "alice: are you there\\? +✓ *$"
pass "a message to offline bob is stored (one check)"

tm kill-session -t bob
start bob
wait_for bob "bob @ 127.0.0.1:$port · connected"
wait_for bob "alice: are you there\\?"
wait_for bob "alice: 你好 bob"
pass "bob starts again and finds the message and his history"

# The relay goes away and comes back on the same port: nothing is lost.
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for alice "reconnecting in"
tm send-keys -t alice -l "sent while the relay was down"
tm send-keys -t alice Enter
wait_for alice "alice: sent while the relay was down +… *$"
"$bin/termgramd" --bind 127.0.0.1 --port "$port" --data "$tmp/relay" \
    2>>"$tmp/relay.log" &
relay_pid=$!
wait_for alice "alice @ 127.0.0.1:$port · connected" 40
wait_for bob "alice: sent while the relay was down" 40
pass "after a relay restart both reconnect and the pending message arrives"

tm send-keys -t alice C-c
wait_for alice "^EXITED 0"
pass "Ctrl-C quits cleanly"

# P2P mode on a relay of their own: dave's message goes straight to erin
# and shows the direct mark.
main_relay=$relay_pid
relay_start "$bin" "$tmp/relay2" "$tmp/relay2.log" ||
    fail "the second relay did not start"
relay2_pid=$relay_pid
relay_pid=$main_relay
port2=$relay_port
start dave "$port2" --p2p
start erin "$port2" --p2p
wait_for dave "dave @ 127.0.0.1:$port2 · connected"
wait_for erin "erin @ 127.0.0.1:$port2 · connected"
wait_for dave "● erin"
wait_for erin "● dave"
# The sidebar is in name order: dave is the first row for both.
tm send-keys -t erin Up Up
wait_for erin "│  dave  online"
tm send-keys -t dave Up Up
wait_for dave "│  dave  online"
tm send-keys -t dave Down
wait_for dave "│  erin  online"
tm send-keys -t dave -l "straight to you"
tm send-keys -t dave Enter
wait_for dave "dave: straight to you +⇄✓✓"
wait_for erin "dave: straight to you"
pass "in P2P mode a message goes straight to the peer, marked ⇄"
head -c 20M /dev/urandom >"$tmp/p2p.bin"
tm send-keys -t dave C-f
wait_for dave "Send a file to erin"
tm send-keys -t dave -l "$tmp/p2p.bin"
wait_for dave "p2p.bin — 20.0 MiB"
tm send-keys -t dave Enter
wait_for erin "↓⇄ dave offers p2p.bin \\(20.0 MiB\\): Ctrl-O accept"
tm send-keys -t erin C-o
wait_for erin "↓⇄ p2p.bin 20.0 MiB: verified, saved as" 60
wait_for dave "↑⇄ p2p.bin 20.0 MiB: verified, saved by erin" 30
cmp -s "$tmp/p2p.bin" "$tmp/erin-home/Downloads/termgram/p2p.bin" ||
    fail "the file sent directly differs"
pass "in P2P mode a file goes straight to the peer, marked ⇄"
kill "$relay2_pid" 2>/dev/null

for s in alice bob dave erin; do
	if [ -s "$tmp/$s.err" ]; then
		echo "--- $s wrote to stderr:"
		cat "$tmp/$s.err"
		failures=1
	fi
done
[ $failures -eq 0 ] || exit 1
echo "tui end-to-end: all passed"
