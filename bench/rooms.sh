#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rooms: termgramd's room fan-out beside an IRC channel (ngIRCd, InspIRCd)
# and an MQTT topic (mosquitto), in one run on one machine, with
# `termgram-bench rooms`:
#   fanout   1 sender and N members online in one room / channel / topic
#            (N in MEMBERS), the servers of one N run one after the other
#            in one sitting: deliveries/s (messages x members), latency
#            p50/p99 at the members, server CPU per delivery, peak RSS;
#   backlog  BACKLOG_MEMBERS members, BACKLOG_OFFLINE of them offline,
#            BACKLOG_MSGS messages, then the offline ones log in at once:
#            the time until they all have everything (termgramd, and
#            mosquitto with persistent sessions, QoS 1; IRC keeps nothing);
#   disk     termgramd's data folder bytes per room message at the
#            smallest and largest N (entries kept: --keep-days 1);
#   devices  the sender an owned name online from 1 device, then from
#            DEVICES devices (sessions of one name with distinct device
#            ids), DEV_MEMBERS members: relay CPU per message.
# Plaintext throughout (termgramd --tls off, IRC and MQTT plaintext).
# termgramd runs with its durable store (room messages are always written
# and ACKed after the commit; members confirm with RPOS, one per read
# batch) and its rate limit off; the others run with bench/conf/ as in
# bench/compare.sh (flood limits lifted).
#
#   usage: bench/rooms.sh [BUILD_DIR]
#   environment: MEMBERS ("10 100 500"), DELIVERIES per fan-out run
#   (400000: MSGS = DELIVERIES / N, at least 200), MSGS (fixes the
#   messages per fan-out run instead), REPS (3, median shown), INFLIGHT
#   (32: messages not yet at every member), SERVERS ("termgramd ngircd
#   inspircd mosquitto"), TABLES ("fanout backlog disk devices"),
#   BACKLOG_MEMBERS (500), BACKLOG_OFFLINE (200), BACKLOG_MSGS (10000),
#   DISK_MSGS (5000), DEVICES (10), DEV_MEMBERS (100), DEV_MSGS (5000),
#   NICE (10: the servers and the bench run niced), KEEP=1 keeps the work
#   folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build/release}
members_list=${MEMBERS:-"10 100 500"}
deliveries=${DELIVERIES:-400000}
msgs_fixed=${MSGS:-}
reps=${REPS:-3}
inflight=${INFLIGHT:-32}
servers=${SERVERS:-"termgramd ngircd inspircd mosquitto"}
tables=" ${TABLES:-fanout backlog disk devices} "
bl_members=${BACKLOG_MEMBERS:-500}
bl_offline=${BACKLOG_OFFLINE:-200}
bl_msgs=${BACKLOG_MSGS:-10000}
disk_msgs=${DISK_MSGS:-5000}
devices=${DEVICES:-10}
dev_members=${DEV_MEMBERS:-100}
dev_msgs=${DEV_MSGS:-5000}
nice_n=${NICE:-10}
table() { case $tables in *" $1 "*) return 0 ;; esac; return 1; }
has() { case " $servers " in *" $1 "*) return 0 ;; esac; return 1; }

need=""
has ngircd && need="$need ngircd"
has inspircd && need="$need inspircd"
has mosquitto && need="$need mosquitto"
# shellcheck disable=SC2086
[ -z "$need" ] || sh "$root/scripts/deps.sh" $need
[ -x "$build/termgramd" ] && [ -x "$build/termgram-bench" ] ||
	BUILD_DIR=$build sh "$root/scripts/build.sh"
build=$(cd "$build" && pwd)
bench=$build/termgram-bench
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d "${TMPDIR:-/tmp}/termgram-rooms.XXXXXX")
tgd_tls=""
"$build/termgramd" --help 2>&1 | grep -q -- --tls && tgd_tls="--tls off"
spid=""
stop_server() {
	[ -n "$spid" ] || return 0
	kill "$spid" 2>/dev/null || true
	for _ in $(seq 200); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=""
}
trap 'stop_server; if [ -n "${KEEP:-}" ]; then echo "rooms: kept $work" >&2; else rm -rf "$work"; fi' EXIT
cd "$work"

port=7940
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Start server $1 on a new port with a fresh state folder; extra
# arguments go to termgramd. Sets spid and port.
start_server() {
	local s=$1
	shift
	port=$((port + 1))
	while listening $port; do port=$((port + 1)); done
	rm -rf "$work/state" && mkdir -p "$work/state"
	case $s in
	termgramd)
		# shellcheck disable=SC2086
		nice -n "$nice_n" "$build/termgramd" --bind 127.0.0.1 \
		    --port $port --data "$work/state" --rate 0 $tgd_tls \
		    --max-per-address 0 --max-registrations 0 \
		    --max-devices $((devices + 2)) --max-name-sessions \
		    $((devices + 8)) --log-level warn "$@" \
		    2>>"$work/$s.log" &
		;;
	ngircd | inspircd | mosquitto)
		sed "s|@PORT@|$port|g; s|@DIR@|$work/state|g" \
		    "$here/conf/$s.conf" >"$work/state/$s.conf"
		case $s in
		ngircd)
			nice -n "$nice_n" /usr/sbin/ngircd -n \
			    -f "$work/state/ngircd.conf" >>"$work/$s.log" 2>&1 &
			;;
		inspircd)
			nice -n "$nice_n" /usr/sbin/inspircd --runasroot \
			    --nofork --config="$work/state/inspircd.conf" \
			    >>"$work/$s.log" 2>&1 &
			;;
		mosquitto)
			nice -n "$nice_n" /usr/sbin/mosquitto \
			    -c "$work/state/mosquitto.conf" >>"$work/$s.log" 2>&1 &
			;;
		esac
		;;
	esac
	spid=$!
	for _ in $(seq 200); do
		listening $port && return 0
		sleep 0.05
	done
	echo "rooms: $s did not start; see $work/$s.log" >&2
	cat "$work/$s.log" >&2
	stop_server
	return 1
}

# As bench/compare.sh: ngIRCd's clients become operators with user mode F
# (its flood limit lifted) and connect 8 at a time (listen backlog 10).
proto_args() {
	case $1 in
	termgramd) echo "--proto termgram" ;;
	ngircd) echo "--proto irc --oper bench:bench --connecting 8" ;;
	inspircd) echo "--proto irc" ;;
	mosquitto) echo "--proto mqtt" ;;
	esac
}

# The value of key $2 in bench output $1 ("key=value" words).
field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
bytes() { du -sb --apparent-size "$1" | cut -f1; }

# Run the bench: label $1, then its arguments; output in $work/$1.
run() {
	local out=$work/$1
	shift
	# shellcheck disable=SC2068
	if ! timeout 600 nice -n "$nice_n" "$bench" rooms $@ --port $port \
	    --pid $spid --timeout 500 >"$out" 2>"$out.err"; then
		echo "rooms: $(basename "$out") failed:" >&2
		head -n 5 "$out.err" >&2
	fi
	echo "  $(basename "$out"): $(grep -h deliveries_per_s "$out" 2>/dev/null)" \
	    "$(grep -h backlog_s "$out" 2>/dev/null)" >&2
}

results=$work/results
: >"$results"
loads=$work/loads
: >"$loads"
echo "rooms: servers: $servers; members: $members_list; $reps runs a point;" \
    "load average $(load)" >&2

table fanout && for n in $members_list; do
	m=${msgs_fixed:-$((deliveries / n))}
	[ "$m" -ge 200 ] || m=200
	echo "$n start $(load)" >>"$loads"
	for s in $servers; do
		start_server "$s" || continue
		for r in $(seq "$reps"); do
			out=fan.$s.$n.$r
			extra=""
			[ "$s" = termgramd ] && extra="--data $work/state"
			# shellcheck disable=SC2046,SC2086
			run "$out" $(proto_args "$s") --members "$n" --msgs "$m" \
			    --inflight "$inflight" $extra
			echo "$s $n $m $(field "$out" deliveries_per_s)" \
			    "$(field "$out" p50) $(field "$out" p99)" \
			    "$(field "$out" server_peak_rss_kb)" \
			    "$(field "$out" cpu_us_per_delivery)" \
			    "$(field "$out" lost)" "$(field "$out" acks)" >>"$results"
		done
		stop_server
	done
	echo "$n end $(load)" >>"$loads"
done

col() {
	awk -v s="$1" -v n="$2" -v c="$3" '$1==s && $2==n {print $c}' \
	    "$results" | median
}
table fanout && {
	echo
	echo "## Rooms fan-out: 1 sender, N members online, $inflight messages in flight, median of $reps"
	echo
	echo "| members | server | msgs | deliveries/s | p50 | p99 | CPU µs / delivery | peak RSS | lost |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for n in $members_list; do
		for s in $servers; do
			rss=$(col "$s" "$n" 7)
			printf '| %s | %s | %s | %s | %s µs | %s µs | %s | %s MiB | %s |\n' \
			    "$n" "$s" "$(col "$s" "$n" 3)" "$(col "$s" "$n" 4)" \
			    "$(col "$s" "$n" 5)" "$(col "$s" "$n" 6)" \
			    "$(col "$s" "$n" 8)" \
			    "$(awk -v v="$rss" 'BEGIN {if (v == "-" || v == "") print "-"; else printf "%.1f", v / 1024}')" \
			    "$(awk -v s="$s" -v n="$n" '$1==s && $2==n {t+=$9} END {print t+0}' "$results")"
		done
	done
	echo
	echo "Load average (1, 5, 15 min) at the start and end of each sitting:"
	echo
	sed 's/^/    /' "$loads"
}

table backlog && {
	echo
	echo "## Rooms backlog: $bl_members members, $bl_offline offline, $bl_msgs messages, then the $bl_offline log in at once"
	echo
	echo "| server | sending (to $((bl_members - bl_offline)) online) | deliveries/s | all $bl_offline have everything after | server CPU for it | peak RSS | lost |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for s in termgramd mosquitto; do
		has "$s" || continue
		echo "backlog $s start $(load)" >>"$loads"
		start_server "$s" || continue
		out=backlog.$s
		# shellcheck disable=SC2046
		run "$out" $(proto_args "$s") --members "$bl_members" \
		    --offline "$bl_offline" --msgs "$bl_msgs" --inflight "$inflight"
		stop_server
		echo "backlog $s end $(load)" >>"$loads"
		t0=$(awk -v d="$(field "$out" deliveries)" -v r="$(field "$out" deliveries_per_s)" \
		    'BEGIN {if (r > 0) printf "%.2f", d / r; else print "-"}')
		printf '| %s | %s s | %s | %s s | %s s | %s MiB | %s |\n' "$s" "$t0" \
		    "$(field "$out" deliveries_per_s)" "$(field "$out" backlog_s)" \
		    "$(field "$out" backlog_cpu_s)" \
		    "$(awk -v k="$(field "$out" server_peak_rss_kb)" 'BEGIN {printf "%.1f", k / 1024}')" \
		    "$(field "$out" lost)"
	done
	echo
	echo "IRC keeps nothing for a member who is away: no backlog row for ngIRCd or InspIRCd."
	grep '^backlog' "$loads" | sed 's/^/    /'
}

table disk && has termgramd && {
	first=${members_list%% *}
	last=${members_list##* }
	echo
	echo "## Rooms on disk: termgramd's data folder per room message (--keep-days 1: every entry kept)"
	echo
	echo "Each N twice, on a fresh relay each time: with 1 message and with"
	echo "$disk_msgs; the data folder measured after the relay stopped (its WAL"
	echo "checkpointed), and live at the end of the messages (WAL included)."
	echo
	echo "| members | folder, 1 msg | folder, $disk_msgs msgs | per message | live growth per message (WAL included) |"
	echo "| ---: | ---: | ---: | ---: | ---: |"
	for n in $first $last; do
		for m in 1 "$disk_msgs"; do
			start_server termgramd --keep-days 1 || continue
			run "disk.$n.$m" --proto termgram --members "$n" --msgs "$m" \
			    --inflight "$inflight" --data "$work/state"
			stop_server
			bytes "$work/state" >"$work/disk.$n.$m.bytes"
		done
		b1=$(cat "$work/disk.$n.1.bytes")
		bm=$(cat "$work/disk.$n.$disk_msgs.bytes")
		printf '| %s | %s | %s | %s | %s |\n' "$n" "$b1" "$bm" \
		    "$(awk -v a="$b1" -v b="$bm" -v m="$disk_msgs" 'BEGIN {printf "%.1f", (b - a) / (m - 1)}')" \
		    "$(field "disk.$n.$disk_msgs" data_bytes_per_msg)"
	done
}

table devices && has termgramd && {
	echo
	echo "## Rooms: the sender on 1 device and on $devices devices, $dev_members members, $dev_msgs messages, median of $reps"
	echo
	echo "| sender's devices | deliveries/s | p99 | relay CPU µs / message | CPU vs 1 device | CPU µs / message, each run |"
	echo "| ---: | ---: | ---: | ---: | ---: | --- |"
	echo "devices start $(load)" >>"$loads"
	start_server termgramd || exit 1
	# Alternate 1 and N devices, so that drift hits both alike.
	for r in $(seq "$reps"); do
		for d in 1 "$devices"; do
			run "dev.$d.$r" --proto termgram --members "$dev_members" \
			    --devices "$d" --msgs "$dev_msgs" --inflight "$inflight"
		done
	done
	stop_server
	echo "devices end $(load)" >>"$loads"
	base=""
	for d in 1 "$devices"; do
		cpu=$(for r in $(seq "$reps"); do field "dev.$d.$r" cpu_us_per_msg; done | median)
		[ -n "$base" ] || base=$cpu
		printf '| %s | %s | %s µs | %s | %s | %s |\n' "$d" \
		    "$(for r in $(seq "$reps"); do field "dev.$d.$r" deliveries_per_s; done | median)" \
		    "$(for r in $(seq "$reps"); do field "dev.$d.$r" p99; done | median)" \
		    "$cpu" \
		    "$(awk -v a="$base" -v b="$cpu" 'BEGIN {if (a > 0) printf "%+.1f %%", (b / a - 1) * 100; else print "-"}')" \
		    "$(for r in $(seq "$reps"); do field "dev.$d.$r" cpu_us_per_msg; done | tr '\n' ' ')"
	done
	grep '^devices' "$loads" | sed 's/^/    /'
}
