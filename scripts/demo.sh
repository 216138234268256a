#!/bin/sh
# Install what is missing, build, start a relay on localhost with a
# temporary data folder, and show two users chatting through it with the
# headless client. Everything it starts is stopped on the way out.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
bin=$(pwd)/build/release
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-demo.XXXXXX")
relay_pid=""
cleanup() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$bin/termgramd" --bind 127.0.0.1 --port 0 --data "$tmp/relay" \
    2>"$tmp/relay.log" &
relay_pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/^termgramd: listening on .*:\([0-9]*\)$/\1/p' \
	    "$tmp/relay.log")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { cat "$tmp/relay.log"; exit 1; }

echo "relay listening on 127.0.0.1:$port (data in $tmp/relay)"
echo
echo '$ termgram who --user bob'
"$bin/termgram" who --port "$port" --user bob --data "$tmp/bob"
echo
echo '$ termgram send --user alice bob "你好 bob 👋"'
"$bin/termgram" send --port "$port" --user alice --data "$tmp/alice" \
    bob "你好 bob 👋" && echo "(stored by the relay: bob is offline)"
echo
echo '$ termgram recv --user bob --count 1'
"$bin/termgram" recv --port "$port" --user bob --data "$tmp/bob" \
    --count 1 --timeout 5
echo
echo "Try it yourself while this relay runs (Ctrl-C stops it):"
echo "  $bin/termgram recv --port $port --user bob --data $tmp/bob"
echo "  $bin/termgram send --port $port --user alice --data $tmp/alice bob hello"
wait "$relay_pid"
