#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The cost of retention: the same termgram-bench msgs run against a relay
# without retention (--keep-days 0, the default: a message its one
# device confirms within the grace period is never written) and with it
# (--keep-days 7: every message is written once, in its turn's batch,
# and stays). Alternating, REPS times each (median shown), in one run on
# one machine: messages a second, the relay's CPU per message, latency
# p50/p99, messages written to the store and the store's size after the
# run. Plaintext (--tls off) on both, so that the table shows the store;
# the rate limit off (--rate 0), as in bench/compare.sh.
#   usage: bench/retention.sh [BUILD_DIR]
#   environment: REPS (3), PAIRS ("1 100"), TOTAL messages a run (50000),
#   INFLIGHT (64), DAYS (7)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$root/scripts/relay.sh"
build=${1:-$root/build/release}
reps=${REPS:-3}
pairs_list=${PAIRS:-"1 100"}
total=${TOTAL:-50000}
inflight=${INFLIGHT:-64}
days=${DAYS:-7}
[ -x "$build/termgramd" ] && [ -x "$build/termgram-bench" ] ||
	BUILD_DIR=$build sh "$root/scripts/build.sh"
build=$(cd "$build" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/termgram-retention.XXXXXX")
relay_pid=""
trap '[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# STATS value of key $2 from the relay on port $1.
stat_of() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'LOGIN|1|statsbot||0\nSTATS\n' >&3
	while IFS= read -r line <&3; do
		case $line in
		STATS\|*) printf '%s' "${line#STATS|}" | tr -d '\r' |
			base64 -d | sed -n "s/^$2=//p"
			break ;;
		esac
	done
	exec 3<&-
}

# Median of the numbers on stdin.
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# One run: pairs $1, --keep-days $2, repetition $3; key=value lines kept.
run() {
	local out=$work/p$1-k$2-r$3 data=$work/data
	rm -rf "$data"
	relay_start "$build" "$data" "$work/relay.log" --tls off --rate 0 \
	    --max-per-address 0 --max-registrations 0 \
	    --keep-days "$2" --log-level warn || exit 1
	"$build/termgram-bench" msgs --port "$relay_port" --pid "$relay_pid" \
	    --pairs "$1" --msgs $((total / $1)) --inflight "$inflight" \
	    >"$out" || echo "retention: a run lost messages" >&2
	echo "stored=$(stat_of "$relay_port" msgs_stored)" >>"$out"
	kill "$relay_pid"
	wait "$relay_pid" || true
	relay_pid=""
	echo "store_kb=$(du -sk "$data" | cut -f1)" >>"$out"
}

# Median of key $4 over the runs of pairs $1, --keep-days $2, in $3 reps.
med() {
	local r

	for r in $(seq "$3"); do
		grep -oE "(^| )$4=[0-9.]+" "$work/p$1-k$2-r$r" | sed 's/.*=//'
	done | median
}

for pairs in $pairs_list; do
	for rep in $(seq "$reps"); do
		run "$pairs" 0 "$rep"
		run "$pairs" "$days" "$rep"
	done
done
printf '| pairs | --keep-days | msgs/s | relay CPU µs/msg | latency p50 µs | p99 µs | messages written | store after |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for pairs in $pairs_list; do
	for keep in 0 "$days"; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s KiB |\n' \
		    "$pairs" "$keep" "$(med "$pairs" "$keep" "$reps" msgs_per_s)" \
		    "$(med "$pairs" "$keep" "$reps" cpu_us_per_msg)" \
		    "$(med "$pairs" "$keep" "$reps" p50)" \
		    "$(med "$pairs" "$keep" "$reps" p99)" \
		    "$(med "$pairs" "$keep" "$reps" stored)" \
		    "$(med "$pairs" "$keep" "$reps" store_kb)"
	done
done
echo "($total messages of the bench's default size a run, $inflight in flight per sender, median of $reps; $(nproc) cores)"
