#!/bin/sh
# Install what is missing, build, and start the demo: a relay on localhost
# with a temporary data folder, an echo bot (it answers every message in
# upper case), and the full-screen client logged in as you. Quitting the
# client (/quit or Ctrl-C) stops everything the demo started.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
bin=$(pwd)/build/release
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-demo.XXXXXX")
relay_pid=""
bot_pid=""
cleanup() {
	if [ -n "$bot_pid" ]; then kill "$bot_pid" 2>/dev/null || true; fi
	if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM

. scripts/relay.sh
relay_start "$bin" "$tmp/relay" "$tmp/relay.log" || exit 1
port=$relay_port

"$bin/termgram" echo-bot --port "$port" --user echo --data "$tmp/echo" \
    2>"$tmp/echo.log" &
bot_pid=$!
# Wait until the bot is registered, so it is in the contact list.
for _ in $(seq 100); do
	grep -q "echo logged in" "$tmp/relay.log" && break
	sleep 0.05
done

me=$(id -un 2>/dev/null | tr -cd 'A-Za-z0-9_.-' | cut -c1-32)
[ -n "$me" ] && [ "$me" != echo ] || me=me
# The demo made this relay itself, so its key is known: pin it for the
# client up front (a user of a relay hosted elsewhere compares it with
# the admin's `termgramd --fingerprint` at the first connection).
fp=$("$bin/termgramd" --fingerprint --data "$tmp/relay" 2>/dev/null)
"$bin/termgram" trust --user "$me" --data "$tmp/$me" "127.0.0.1:$port" \
    "$fp" >/dev/null
export LANG="${LANG:-C.UTF-8}"
# Ctrl-C belongs to the client (it quits cleanly); the script then tidies up.
trap '' INT
"$bin/termgram" --port "$port" --user "$me" --data "$tmp/$me"
