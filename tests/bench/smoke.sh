#!/usr/bin/env bash
# termgram-bench against a real relay, small: every mode runs to the end,
# nothing is lost or duplicated, the figures are printed, and bad
# arguments are refused with a message. (Figures are not judged here:
# benchmarks are for bench/compare.sh, not for CI.)
#   usage: tests/bench/smoke.sh BUILD_DIR
set -u
. "$(dirname "$0")/../../scripts/relay.sh"
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-bench.XXXXXX")
relay_pid=""
failures=0
trap '[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

relay_start "$bin" "$tmp/data" "$tmp/relay.log" --rate 0 --tls off ||
    { echo "FAIL: relay did not start"; exit 1; }
port=$relay_port

# Run a mode; it must exit 0 and print each expected key=value.
run() {
	local name=$1
	shift
	local out=$tmp/$name.out
	if ! timeout 120 "$bin/termgram-bench" "$@" --port "$port" \
	    --pid "$relay_pid" --timeout 100 >"$out" 2>"$tmp/$name.err"; then
		fail "$name: exit status $? ($(head -n 3 "$tmp/$name.err"))"
		return
	fi
	echo "$name: $(tr '\n' ' ' <"$out")"
}
expect() {
	grep -q -- "$2" "$tmp/$1.out" || fail "$1: no '$2' in: $(cat "$tmp/$1.out")"
}

run msgs msgs --pairs 4 --msgs 3000 --inflight 16
expect msgs "pairs=4 msgs=12000"
expect msgs "lost=0 duplicated=0 errors=0"
expect msgs "latency_us p50="
expect msgs "server_peak_rss_kb=[1-9]"

run load load --pairs 20 --rate 50 --seconds 1
expect load "clients=40 rate=50 seconds=1 msgs=2000"
expect load "lost=0 duplicated=0 errors=0"
expect load "server_core_pct="

run idle idle --sessions 300 --settle 1
expect idle "sessions=300"
expect idle "kb_per_session="

run files files --files 2 --file-mib 8
expect files "transfers=2 size=8388608 done=2"
expect files "mib_per_s="

# Bad input: a clear message and status 2, nothing run.
for args in "msgs --pairs x" "msgs --size 10" "fly" "files --proto irc" \
    "msgs --proto smtp"; do
	# shellcheck disable=SC2086
	"$bin/termgram-bench" $args --port "$port" >"$tmp/bad.out" 2>&1
	st=$?
	[ $st -eq 2 ] || fail "'$args' exited $st, not 2"
	[ -s "$tmp/bad.out" ] || fail "'$args' said nothing"
done

# A relay that is not there: a message and a failure, not a hang.
timeout 20 "$bin/termgram-bench" msgs --port 1 --pairs 1 --msgs 10 \
    >"$tmp/gone.out" 2>&1
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "no relay: exit status $st"
grep -qi "refused\|connect" "$tmp/gone.out" || fail "no relay: $(cat "$tmp/gone.out")"

[ $failures -eq 0 ] && echo "bench smoke: all passed"
exit $((failures > 0))
