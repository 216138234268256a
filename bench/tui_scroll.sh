#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How the full-screen client scrolls a long conversation: N messages
# (default 100000) from carol to alice, then alice opens the conversation
# in a 120x36 tmux terminal. Prints the time from a key to the changed
# screen for: opening the conversation, PgUp near the end, PgUp after
# paging far up, and a /search that has to load the whole history.
#   usage: bench/tui_scroll.sh [BUILD_DIR] [N]
set -eu
. "$(dirname "$0")/../scripts/relay.sh"
bin=${1:-build/release}
n=${2:-100000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-scroll.XXXXXX")
sock="tg-scroll-$$"
relay_pid=""
trap 'tmux -L $sock kill-server 2>/dev/null; [ -n "$relay_pid" ] && kill $relay_pid; rm -rf $tmp' EXIT

now_ms() { date +%s%3N; }
screen() { tmux -L "$sock" capture-pane -p -t a; }
# key_time KEY...: ms from sending the keys to a changed screen.
key_time() {
	local before t0
	before=$(screen)
	t0=$(now_ms)
	tmux -L "$sock" send-keys -t a "$@"
	while [ "$(screen)" = "$before" ]; do :; done
	echo $(($(now_ms) - t0))
}

relay_start "$bin" "$tmp/relay" "$tmp/relay.log" --rate 0 || exit 1
port=$relay_port
"$bin/termgram" who --port "$port" --user alice --data "$tmp/alice" >/dev/null
t0=$(now_ms)
seq 1 "$n" | sed 's/^/history line /' |
    "$bin/termgram" send --port "$port" --user carol --data "$tmp/carol" \
    --stdin --timeout 600 alice
echo "sent $n messages with termgram send --stdin in $(($(now_ms) - t0)) ms"
t0=$(now_ms)
"$bin/termgram" recv --port "$port" --user alice --data "$tmp/alice" \
    --count "$n" --timeout 600 >/dev/null
echo "received and stored them with termgram recv in $(($(now_ms) - t0)) ms"

tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 36 -s a \
    "env TERM=xterm-256color LANG=C.UTF-8 $bin/termgram --port $port \
    --user alice --data $tmp/alice"
until screen | grep -q "connected"; do sleep 0.05; done
tmux -L "$sock" send-keys -t a Up Up Up
until screen | grep -q "│  alice"; do sleep 0.02; done
echo "open the conversation (Down): $(key_time Down) ms"
until screen | grep -q "history line $n"; do sleep 0.02; done
total=0
for _ in $(seq 20); do total=$((total + $(key_time PPage))); done
echo "PgUp near the end: $((total / 20)) ms on average over 20"
for _ in $(seq 300); do tmux -L "$sock" send-keys -t a PPage; done
sleep 2
total=0
for _ in $(seq 20); do total=$((total + $(key_time PPage))); done
echo "PgUp after 340 pages up: $((total / 20)) ms on average over 20"
tmux -L "$sock" send-keys -t a -l "/search history line 7 "
echo "/search to the oldest hit (loads all $n): $(key_time Enter) ms"
echo "End back to the newest: $(key_time End) ms"
