#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the relay does for the same chat in relay mode and in P2P mode: one
# sender sends N messages (termgram send --stdin) to one receiver
# (termgram recv), both headless, in relay mode, P2P and P2P light: the
# relay's CPU time (in 10 ms ticks), the bytes and messages it relayed
# (STATS before and after), the most TCP connections it held meanwhile,
# and those it holds once the chat is over and the receiver idles. Then
# the sender sends a file of M MiB (termgram sendfile; the receiver
# accepts it): what the relay carried of it, its CPU, and the rate.
#   usage: bench/p2p.sh [BUILD_DIR] [N] [M]
set -eu
. "$(dirname "$0")/../scripts/relay.sh"
bin=${1:-build/release}
n=${2:-20000}
mib=${3:-256}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-p2p.XXXXXX")
relay_pid=""
trap '[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# STATS key=value lines from the relay on port $1.
stats() {
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'LOGIN|1|statsbot||0\nSTATS\n' >&3
	while IFS= read -r line <&3; do
		case $line in
		STATS\|*) printf '%s' "${line#STATS|}" | tr -d '\r' | base64 -d
			break ;;
		esac
	done
	exec 3<&-
}
stat_of() { sed -n "s/^$2=//p" <<<"$1"; }

seq 1 "$n" | sed 's/^/message number /' >"$tmp/input"
head -c "${mib}M" /dev/urandom >"$tmp/file.bin"
files=""
printf '| mode | relay connections at most | when idle | relay CPU in all | per message | relay bytes per message | messages relayed | messages stored | wall time |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for mode in relay p2p light; do
	flag=""
	[ "$mode" = p2p ] && flag=--p2p
	[ "$mode" = light ] && flag=--light
	rm -rf "$tmp/relay" "$tmp/a" "$tmp/b" "$tmp/dl"
	relay_start "$bin" "$tmp/relay" "$tmp/relay.log" --log-level warn ||
		exit 1
	port=$relay_port
	# shellcheck disable=SC2086
	"$bin/termgram" recv --port "$port" --user bob --data "$tmp/b" $flag \
	    --accept-files --dir "$tmp/dl" --count 0 --timeout 600 \
	    >"$tmp/recv.out" &
	recv_pid=$!
	for _ in $(seq 200); do
		s=$(stats "$port")
		[ $(($(stat_of "$s" sessions) + $(stat_of "$s" light))) -ge 2 ] && break
		sleep 0.05
	done
	before=$(stats "$port")
	t0=$(cpu_ticks "$relay_pid")
	start=$(date +%s.%N)
	# The relay's TCP connections while the chat runs, from /proc (its
	# sockets less the TCP listener and the UDP socket), sampled without
	# disturbing it.
	(while :; do
		find "/proc/$relay_pid/fd" -lname 'socket:*' 2>/dev/null | wc -l
		sleep 0.02
	done) >"$tmp/sessions" &
	sampler=$!
	# shellcheck disable=SC2086
	"$bin/termgram" send --port "$port" --user alice --data "$tmp/a" $flag \
	    --stdin --timeout 120 bob <"$tmp/input"
	for _ in $(seq 2400); do
		[ "$(wc -l <"$tmp/recv.out")" -ge "$n" ] && break
		sleep 0.05
	done
	end=$(date +%s.%N)
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null || true
	conns=$(sort -n "$tmp/sessions" | tail -n 1)
	conns=$((${conns:-2} - 2))
	# The receiver, idle: what does it keep of the relay?
	sleep 3
	idle=$(($(find "/proc/$relay_pid/fd" -lname 'socket:*' | wc -l) - 2))
	t1=$(cpu_ticks "$relay_pid")
	after=$(stats "$port")
	# The file, after the chat.
	fstart=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$bin/termgram" sendfile --port "$port" --user alice --data "$tmp/a" \
	    $flag --timeout 600 bob "$tmp/file.bin" 2>"$tmp/sendfile.err" || {
		echo "p2p.sh: $mode: sendfile failed:" >&2
		cat "$tmp/sendfile.err" >&2
		exit 1
	}
	fend=$(date +%s.%N)
	t2=$(cpu_ticks "$relay_pid")
	fafter=$(stats "$port")
	cmp -s "$tmp/file.bin" "$tmp/dl/file.bin" ||
		{ echo "p2p.sh: $mode: the file differs" >&2; exit 1; }
	kill "$recv_pid" 2>/dev/null
	wait "$recv_pid" 2>/dev/null || true
	got=$(grep -c 'message number' "$tmp/recv.out")
	[ "$got" -eq "$n" ] || { echo "p2p.sh: $mode: $got of $n arrived" >&2; exit 1; }
	hz=$(getconf CLK_TCK)
	awk -v mode="$mode" -v n="$n" -v t="$((t1 - t0))" -v hz="$hz" \
	    -v conns="$conns" -v idle="$idle" \
	    -v b0="$(stat_of "$before" bytes_relayed)" \
	    -v b1="$(stat_of "$after" bytes_relayed)" \
	    -v m0="$(stat_of "$before" msgs_relayed)" \
	    -v m1="$(stat_of "$after" msgs_relayed)" \
	    -v s0="$(stat_of "$before" msgs_stored)" \
	    -v s1="$(stat_of "$after" msgs_stored)" \
	    -v w="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" \
	    'BEGIN {
		printf "| %s | %d | %d | %d ms | %.2f µs | %.0f B | %d | %d | %.2f s |\n",
		    mode, conns, idle, t / hz * 1e3, t / hz * 1e6 / n,
		    (b1 - b0) / n, m1 - m0, s1 - s0, w
	    }'
	files=$files$(awk -v mode="$mode" -v mib="$mib" -v t="$((t2 - t1))" \
	    -v hz="$hz" -v b1="$(stat_of "$after" bytes_relayed)" \
	    -v b2="$(stat_of "$fafter" bytes_relayed)" \
	    -v w="$(awk -v a="$fstart" -v b="$fend" 'BEGIN {print b - a}')" \
	    -v how="$(grep -o '(direct)\|(through the relay)' "$tmp/sendfile.err" |
	        tr -d '()')" \
	    'BEGIN {
		printf "| %s | %d MiB | %s | %.1f MiB | %d ms | %.2f s | %.0f MiB/s |\n",
		    mode, mib, how, (b2 - b1) / 1048576, t / hz * 1e3, w, mib / w
	    }')$'\n'
	kill "$relay_pid"
	wait "$relay_pid" 2>/dev/null || true
	relay_pid=""
done
printf '\n| mode | file | went | relay carried | relay CPU | wall time | rate |\n'
printf '| --- | ---: | --- | ---: | ---: | ---: | ---: |\n'
printf '%s' "$files"
