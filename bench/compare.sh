#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# termgramd side by side with ngIRCd, InspIRCd and mosquitto, in one run on
# one machine, under the same workloads from termgram-bench:
#   msgs  1, 10, 100 and 500 pairs, each point REPS times (median shown):
#         msgs/s, latency p50/p99, peak RSS, server CPU seconds per 100k
#         messages, lost messages;
#   load  1000 clients sending 10 messages a second each for LOAD_S s:
#         latency and the server's share of a core;
#   idle  IDLE sessions that only heartbeat: resident memory per session;
#   files 1 and 4 transfers of 512 MiB at once through termgramd (the
#         others carry no files) and a chat beside them;
#   login 100 new sessions a second for 10 s: connect to welcome, p50/p99
#         (TLS handshake included when TLS=1).
# termgramd runs with its durable store on (fresh data folder, --sync full,
# default grace period) and its per-session rate limit off, as the others
# run with their flood limits lifted (configs in bench/conf/).
#
#   usage: bench/compare.sh [BUILD_DIR]
#   environment: REPS (3), PAIRS ("1 10 100 500"), TOTAL messages per run
#   (50000), INFLIGHT windows ("64 8"), LOAD_S (10), IDLE (10000), SERVERS
#   ("termgramd ngircd inspircd mosquitto"; termgramd-poll is termgramd
#   waiting with poll() instead of epoll); TLS=1 puts every server and
#   client on TLS (a self-signed test certificate made in the work folder;
#   termgramd with its own TLS, the default of a relay that has it);
#   TABLES ("msgs load idle login files") picks the tables; RUN_TIMEOUT
#   (120) is the seconds a msgs run may take (a stalled server's run
#   stops there and counts what arrived); KEEP=1
#   keeps the work folder (logs, every run's output) and says where it is
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build/release}
reps=${REPS:-3}
pairs_list=${PAIRS:-"1 10 100 500"}
total=${TOTAL:-50000}
windows=${INFLIGHT:-"64 8"}
load_s=${LOAD_S:-10}
idle=${IDLE:-10000}
run_timeout=${RUN_TIMEOUT:-120}
servers=${SERVERS:-"termgramd ngircd inspircd mosquitto"}
tables=" ${TABLES:-msgs load idle login files} "
# Is table $1 wanted?
table() { case $tables in *" $1 "*) return 0 ;; esac; return 1; }

sh "$root/scripts/deps.sh" ngircd inspircd mosquitto openssl
[ -x "$build/termgramd" ] && [ -x "$build/termgram-bench" ] ||
	BUILD_DIR=$build sh "$root/scripts/build.sh"
build=$(cd "$build" && pwd)
bench=$build/termgram-bench
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((idle + 100)) ]; then
	echo "compare: ulimit -n is $(ulimit -n): idle run cut to $(($(ulimit -n) - 100))" >&2
	idle=$(($(ulimit -n) - 100))
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/termgram-compare.XXXXXX")
tls=${TLS:-}
tls_arg=""
tgd_tls=""
if [ -n "$tls" ]; then
	tls_arg="--tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
	    -subj /CN=bench.termgram.invalid 2>"$work/openssl.log"
elif "$build/termgramd" --help 2>&1 | grep -q -- --tls; then
	# A relay that speaks TLS by default: the plaintext tables want it off.
	tgd_tls="--tls off"
fi
spid=""
stop_server() {
	[ -n "$spid" ] || return 0
	kill "$spid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=""
}
trap 'stop_server; if [ -n "${KEEP:-}" ]; then echo "compare: kept $work" >&2; else rm -rf "$work"; fi' EXIT
# The servers run in the work folder (a crash leaves its core there).
cd "$work"

port=7840
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Write the config of server $1 for $port; with TLS, its TLS listener on
# $port (ngIRCd keeps a plaintext port too: it is given one out of the way).
conf() {
	c=$work/state/$1.conf
	if [ -z "$tls" ]; then
		sed "s|@PORT@|$port|g; s|@DIR@|$work/state|g" \
		    "$here/conf/$1.conf" >"$c"
		return
	fi
	case $1 in
	ngircd)
		sed "s|@PORT@|$((port + 20000))|g; s|@DIR@|$work/state|g" \
		    "$here/conf/ngircd.conf" >"$c"
		printf '[SSL]\n\tCertFile = %s\n\tKeyFile = %s\n\tPorts = %s\n' \
		    "$work/cert.pem" "$work/key.pem" $port >>"$c"
		;;
	inspircd)
		sed "s|@PORT@|$port|g; s|@DIR@|$work/state|g" \
		    "$here/conf/inspircd.conf" |
			sed 's|type="clients">|type="clients" sslprofile="bench">|' >"$c"
		printf '<module name="ssl_gnutls">\n<sslprofile name="bench" provider="gnutls" certfile="%s" keyfile="%s" dhfile="" requestclientcert="no">\n' \
		    "$work/cert.pem" "$work/key.pem" >>"$c"
		;;
	mosquitto)
		sed "s|@PORT@|$port|g; s|@DIR@|$work/state|g" \
		    "$here/conf/mosquitto.conf" >"$c"
		printf 'certfile %s\nkeyfile %s\n' "$work/cert.pem" \
		    "$work/key.pem" >>"$c"
		;;
	esac
}

# Start server $1 on a new port, fresh state; sets spid and port.
start_server() {
	port=$((port + 1))
	while listening $port; do port=$((port + 1)); done
	rm -rf "$work/state" && mkdir -p "$work/state"
	case $1 in
	termgramd | termgramd-poll)
		# termgramd-poll: the same relay waiting with poll()
		# instead of epoll (docs/architecture.md).
		loop=epoll
		[ "$1" = termgramd-poll ] && loop=poll
		# shellcheck disable=SC2086
		TERMGRAM_LOOP=$loop "$build/termgramd" --bind 127.0.0.1 \
		    --port $port --data "$work/state" --rate 0 $tgd_tls \
		    --max-per-address 0 --max-registrations 0 \
		    --log-level warn 2>>"$work/$1.log" &
		;;
	ngircd)
		conf "$1"
		/usr/sbin/ngircd -n -f "$work/state/ngircd.conf" \
		    >>"$work/ngircd.log" 2>&1 &
		;;
	inspircd)
		conf "$1"
		/usr/sbin/inspircd --runasroot --nofork \
		    --config="$work/state/inspircd.conf" \
		    >>"$work/inspircd.log" 2>&1 &
		;;
	mosquitto)
		conf "$1"
		/usr/sbin/mosquitto -c "$work/state/mosquitto.conf" \
		    >>"$work/mosquitto.log" 2>&1 &
		;;
	esac
	spid=$!
	for _ in $(seq 200); do
		listening $port && return 0
		sleep 0.05
	done
	echo "compare: $1 did not start; see $work/$1.log" >&2
	cat "$work/$1.log" >&2
	stop_server
	return 1
}

proto_args() {
	echo "$tls_arg"
	case $1 in
	termgramd | termgramd-poll) echo "--proto termgram" ;;
	# ngIRCd listens with a backlog of 10: more connects at once
	# overflow it and wait for SYN retries.
	ngircd) echo "--proto irc --oper bench:bench --connecting 8" ;;
	inspircd) echo "--proto irc" ;;
	mosquitto) echo "--proto mqtt" ;;
	esac
}

# The value of key $2 in bench output $1 ("key=value" words).
field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }

results=$work/results
: >"$results"
echo "compare: servers: $servers; pairs: $pairs_list; $total messages a run," \
    "windows $windows, $reps runs a point" >&2
table msgs || servers_msgs=""
for s in ${servers_msgs-$servers}; do
	for n in $pairs_list; do
		if ! start_server "$s"; then
			echo "compare: $s, $n pairs: no server, row left empty" >&2
			continue
		fi
		m=$((total / n))
		for k in $windows; do
			for r in $(seq "$reps"); do
				out=$work/run.$s.$n.$k.$r
				# shellcheck disable=SC2046
				if ! timeout 300 "$bench" msgs $(proto_args "$s") \
				    --port $port --pairs "$n" --msgs $m \
				    --inflight "$k" --pid $spid \
				    --timeout "$run_timeout" >"$out" 2>"$out.err"; then
					echo "compare: $s, $n pairs, window $k," \
					    "run $r failed:" >&2
					head -n 5 "$out.err" >&2
				fi
				echo "$s $n $k $(field "$out" msgs_per_s)" \
				    "$(field "$out" p50) $(field "$out" p99)" \
				    "$(field "$out" server_peak_rss_kb)" \
				    "$(field "$out" cpu_us_per_msg)" \
				    "$(field "$out" lost)" >>"$results"
				echo "  $s $n pairs window $k run $r:" \
				    "$(grep -h msgs_per_s "$out")" >&2
			done
		done
		stop_server
	done
done

col() {
	awk -v s="$1" -v n="$2" -v k="$3" -v c="$4" \
	    '$1==s && $2==n && $3==k {print $c}' "$results" | median
}
for k in $windows; do
	table msgs || break
	echo
	echo "## msgs: $total messages of 100 bytes a run, $k in flight per sender, median of $reps"
	echo
	echo "| server | pairs | msgs/s | p50 | p99 | peak RSS | CPU s / 100k msgs | lost |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for n in $pairs_list; do
		for s in $servers; do
			cpu=$(col "$s" "$n" "$k" 8)
			rss=$(col "$s" "$n" "$k" 7)
			printf '| %s | %s | %s | %s µs | %s µs | %s MiB | %s | %s |\n' \
			    "$s" "$n" "$(col "$s" "$n" "$k" 4)" \
			    "$(col "$s" "$n" "$k" 5)" "$(col "$s" "$n" "$k" 6)" \
			    "$(awk -v v="$rss" 'BEGIN {printf "%.1f", v / 1024}')" \
			    "$(awk -v c="$cpu" 'BEGIN {printf "%.2f", c / 10}')" \
			    "$(awk -v s="$s" -v n="$n" -v k="$k" \
			        '$1==s && $2==n && $3==k {t+=$9} END {print t+0}' \
			        "$results")"
		done
	done
done

table load && {
echo
echo "## load: 1000 clients, 10 messages a second each, $load_s s"
echo
echo "| server | msgs/s | p50 | p99 | max | server core | lost |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in $servers; do
	start_server "$s" || continue
	out=$work/load.$s
	# shellcheck disable=SC2046
	timeout 300 "$bench" load $(proto_args "$s") --port $port --pairs 500 \
	    --rate 10 --seconds "$load_s" --pid $spid >"$out" 2>"$out.err" ||
		head -n 5 "$out.err" >&2
	stop_server
	printf '| %s | %s | %s µs | %s µs | %s µs | %s %% | %s |\n' "$s" \
	    "$(field "$out" msgs_per_s)" "$(field "$out" p50)" \
	    "$(field "$out" p99)" "$(field "$out" max)" \
	    "$(field "$out" server_core_pct)" "$(field "$out" lost)"
done
}

table idle && {
echo
echo "## idle: $idle sessions that only heartbeat"
echo
echo "| server | sessions | login storm | RSS | KiB per session | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for s in $servers; do
	start_server "$s" || continue
	out=$work/idle.$s
	# shellcheck disable=SC2046
	timeout 600 "$bench" idle $(proto_args "$s" | sed 's/--oper [^ ]*//') \
	    --port $port --sessions "$idle" --settle 3 --pid $spid \
	    --timeout 500 >"$out" 2>"$out.err" || head -n 5 "$out.err" >&2
	stop_server
	printf '| %s | %s | %s s | %s MiB | %s | %s MiB |\n' "$s" \
	    "$(field "$out" sessions)" "$(field "$out" login_s)" \
	    "$(awk -v k="$(field "$out" server_rss_kb)" 'BEGIN {printf "%.1f", k / 1024}')" \
	    "$(field "$out" kb_per_session)" \
	    "$(awk -v k="$(field "$out" server_peak_rss_kb)" 'BEGIN {printf "%.1f", k / 1024}')"
done
}

table login && {
echo
echo "## login: 100 new sessions a second for 10 s, connect to welcome"
echo
echo "| server | logins | handshake p50 | handshake p99 | login p50 | login p99 | login max |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in $servers; do
	start_server "$s" || continue
	out=$work/login.$s
	# shellcheck disable=SC2046
	timeout 120 "$bench" login $(proto_args "$s" | sed 's/--oper [^ ]*//') \
	    --port $port --rate 100 --seconds 10 --pid $spid --timeout 60 \
	    >"$out" 2>"$out.err" || head -n 5 "$out.err" >&2
	stop_server
	printf '| %s | %s | %s µs | %s µs | %s µs | %s µs | %s µs |\n' "$s" \
	    "$(field "$out" logins)" "$(field "$out" hs_p50)" \
	    "$(field "$out" hs_p99)" "$(field "$out" login_p50)" \
	    "$(field "$out" login_p99)" "$(field "$out" login_max)"
done
}

table files || servers=""
case " $servers " in
*" termgramd "*)
	echo
	echo "## files through termgramd: 512 MiB each, a chat pair beside them"
	echo
	echo "| transfers | MiB/s in all | chat p50 | chat p99 | relay peak RSS | relay CPU s |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
	for f in 1 4; do
		start_server termgramd || continue
		out=$work/files.$f
		# shellcheck disable=SC2086
		timeout 300 "$bench" files $tls_arg --port $port --files $f --file-mib 512 \
		    --pid $spid >"$out" 2>"$out.err" || head -n 5 "$out.err" >&2
		stop_server
		printf '| %s | %s | %s µs | %s µs | %s MiB | %s |\n' "$f" \
		    "$(field "$out" mib_per_s)" "$(field "$out" p50)" \
		    "$(field "$out" p99)" \
		    "$(awk -v k="$(field "$out" server_peak_rss_kb)" 'BEGIN {printf "%.1f", k / 1024}')" \
		    "$(field "$out" server_cpu_s)"
	done
	;;
esac
