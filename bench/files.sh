#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# File transfer through the relay against a plain TCP copy, in one run:
#  1. SIZE MiB (default 1024) of random data copied over loopback with socat
#     (file to socket, socket to file);
#  2. the same file with termgram sendfile -> termgramd -> termgram recv
#     --accept-files, end to end (hashing, transfer, verification, rename);
#  3. chat latency through the same relay while a transfer runs
#     (termgram-bench msgs, one message in flight at a time).
# Prints both rates, their ratio and the latency percentiles.
#   usage: bench/files.sh [BUILD_DIR] [SIZE_MIB]
set -eu
. "$(dirname "$0")/../scripts/relay.sh"
bin=${1:-build/release}
mib=${2:-1024}
command -v socat >/dev/null 2>&1 || sh "$(dirname "$0")/../scripts/deps.sh" socat
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-files.XXXXXX")
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000)); }

head -c "${mib}M" /dev/urandom >"$tmp/src.bin"
sync
bytes=$((mib * 1024 * 1024))

# 1. Raw TCP copy.
port=$(free_port)
socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" "CREATE:$tmp/raw.bin" &
rx=$!
sleep 0.3
t0=$(now_ms)
socat -u "FILE:$tmp/src.bin" "TCP:127.0.0.1:$port"
wait $rx
raw_ms=$(($(now_ms) - t0))
cmp -s "$tmp/src.bin" "$tmp/raw.bin" || { echo "raw copy differs"; exit 1; }
rm -f "$tmp/raw.bin"

# 2. Through the relay.
relay_start "$bin" "$tmp/relay" "$tmp/relay.log" --rate 0 \
    --log-level warn || exit 1
relay=$relay_pid
port=$relay_port
pids="$relay"
"$bin/termgram" who --port "$port" --user bob --data "$tmp/bob" >/dev/null
"$bin/termgram" recv --port "$port" --user bob --data "$tmp/bob" \
    --accept-files --dir "$tmp/dl" --count 1 --timeout 600 >/dev/null &
recv=$!
pids="$pids $recv"
until grep -q . "$tmp/bob/client.db" 2>/dev/null; do sleep 0.05; done
sleep 0.3
t0=$(now_ms)
"$bin/termgram" sendfile --port "$port" --user alice --data "$tmp/alice" \
    bob "$tmp/src.bin" 2>"$tmp/send.err"
wait $recv
relay_ms=$(($(now_ms) - t0))
cmp -s "$tmp/src.bin" "$tmp/dl/src.bin" || { echo "relayed copy differs"; exit 1; }
rm -f "$tmp/dl/src.bin"

# 3. Chat latency during a transfer.
"$bin/termgram" recv --port "$port" --user bob --data "$tmp/bob" \
    --accept-files --dir "$tmp/dl" --count 1 --timeout 600 >/dev/null &
recv=$!
pids="$pids $recv"
sleep 0.5
"$bin/termgram" sendfile --port "$port" --user alice --data "$tmp/alice" \
    bob "$tmp/src.bin" 2>/dev/null &
send=$!
pids="$pids $send"
sleep 3   # past the hashing: the data is flowing
lat=$("$bin/termgram-bench" msgs --port "$port" --pairs 1 --msgs 2000 \
    --inflight 1 --pid "$relay" | grep latency)
moving=no
kill -0 "$send" 2>/dev/null && moving=yes
wait "$send" "$recv"

awk -v b="$bytes" -v r="$raw_ms" -v t="$relay_ms" -v mib="$mib" 'BEGIN {
	raw = b / 1048576 / (r / 1000); rel = b / 1048576 / (t / 1000);
	printf "file: %d MiB of random data\n", mib;
	printf "raw TCP copy (socat):        %8.1f MiB/s  (%d ms)\n", raw, r;
	printf "through termgramd, verified: %8.1f MiB/s  (%d ms)\n", rel, t;
	printf "ratio relay/raw:             %8.2f\n", rel / raw }'
echo "chat during a transfer (still moving at the end: $moving): $lat"
