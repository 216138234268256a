#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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
broker_pid=""
tls_pid=""
trap 'for p in $relay_pid $tls_pid $broker_pid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

relay_start "$bin" "$tmp/data" "$tmp/relay.log" --rate 0 --tls off \
    --max-per-address 0 --max-registrations 0 ||
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

run login login --rate 100 --seconds 1
expect login "logins=100 of=100 rate=100"
expect login "login_us login_p50="

# rooms: every member gets every message once, each ACKed (stored); the
# offline members get the whole backlog when they log in again; an owned
# sender on 3 devices; the data folder's bytes.
run rooms rooms --members 12 --msgs 400 --inflight 16 --data "$tmp/data"
expect rooms "members=12 online=12 offline=0 devices=0 msgs=400"
expect rooms "deliveries=4800 deliveries_per_s=[1-9]"
expect rooms "lost=0 duplicated=0 errors=0 acks=400"
expect rooms "latency_us p50="
expect rooms "cpu_us_per_delivery="
expect rooms "data_bytes_per_msg="
run rooms_backlog rooms --members 12 --offline 5 --msgs 300 --inflight 16
expect rooms_backlog "members=12 online=7 offline=5"
expect rooms_backlog "lost=0 duplicated=0 errors=0 acks=300"
expect rooms_backlog "backlog_members=5 backlog_msgs=300 backlog_s=[0-9]"
run rooms_devices rooms --members 4 --devices 3 --msgs 300 --inflight 16
expect rooms_devices "devices=3 msgs=300"
expect rooms_devices "lost=0 duplicated=0 errors=0 acks=300"

# --tls against a relay that speaks plaintext: a handshake error, no hang.
timeout 20 "$bin/termgram-bench" msgs --tls --port "$port" --pairs 1 \
    --msgs 10 >"$tmp/plain.out" 2>&1
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "--tls to plaintext: exit status $st"
grep -q "TLS handshake failed" "$tmp/plain.out" ||
    fail "--tls to plaintext: $(cat "$tmp/plain.out")"

# --tls against termgramd with its TLS on (the relay's default): a second
# relay, every mode.
saved_port=$port saved_pid=$relay_pid
relay_start "$bin" "$tmp/data-tls" "$tmp/relay-tls.log" --rate 0 \
    --max-per-address 0 --max-registrations 0 ||
    { echo "FAIL: TLS relay did not start"; exit 1; }
tls_pid=$relay_pid
port=$relay_port
run tls_msgs msgs --tls --pairs 4 --msgs 3000 --inflight 16
expect tls_msgs "tls=on"
expect tls_msgs "handshake_us hs_p50="
expect tls_msgs "pairs=4 msgs=12000"
expect tls_msgs "lost=0 duplicated=0 errors=0"
run tls_load load --tls --pairs 20 --rate 50 --seconds 1
expect tls_load "clients=40 rate=50 seconds=1 msgs=2000"
expect tls_load "lost=0 duplicated=0 errors=0"
run tls_idle idle --tls --sessions 300 --settle 1
expect tls_idle "sessions=300"
expect tls_idle "kb_per_session="
run tls_files files --tls --files 2 --file-mib 8
expect tls_files "transfers=2 size=8388608 done=2"
run tls_login login --tls --rate 100 --seconds 1
expect tls_login "logins=100 of=100 rate=100"
expect tls_login "handshake_us hs_p50="
# Plaintext against the TLS relay: refused, not a hang.
timeout 20 "$bin/termgram-bench" msgs --port "$port" --pairs 1 \
    --msgs 10 --timeout 10 >"$tmp/tls-plain.out" 2>&1
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "plaintext to TLS relay: exit status $st"
port=$saved_port relay_pid=$saved_pid
kill "$tls_pid" 2>/dev/null
wait "$tls_pid" 2>/dev/null
tls_pid=""

# --tls against a TLS peer that is not termgramd: mosquitto with a test
# certificate, when it is installed (bench/compare.sh installs it).
if [ -x /usr/sbin/mosquitto ] && command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
	    -subj /CN=bench 2>/dev/null
	# A port below the ephemeral range, tried until the broker holds one.
	mport=$((20000 + port % 10000))
	for _ in $(seq 20); do
		mport=$((mport + 1))
		printf 'listener %s 127.0.0.1\nallow_anonymous true\n' $mport \
		    >"$tmp/mosquitto.conf"
		printf 'set_tcp_nodelay true\ncertfile %s\nkeyfile %s\n' \
		    "$tmp/cert.pem" "$tmp/key.pem" >>"$tmp/mosquitto.conf"
		[ "$(id -u)" -eq 0 ] && echo "user root" >>"$tmp/mosquitto.conf"
		/usr/sbin/mosquitto -c "$tmp/mosquitto.conf" \
		    >"$tmp/mosquitto.log" 2>&1 &
		broker_pid=$!
		for _ in $(seq 100); do
			kill -0 $broker_pid 2>/dev/null || break
			(exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break 2
			sleep 0.05
		done
		wait $broker_pid 2>/dev/null
		broker_pid=""
	done
	saved_port=$port saved_pid=$relay_pid
	port=$mport relay_pid=$broker_pid
	run mqtt_tls msgs --proto mqtt --tls --pairs 4 --msgs 2000
	expect mqtt_tls "tls=on"
	expect mqtt_tls "handshake_us hs_p50="
	expect mqtt_tls "pairs=4 msgs=8000"
	expect mqtt_tls "lost=0 duplicated=0 errors=0"
	run mqtt_tls_login login --proto mqtt --tls --rate 100 --seconds 1
	expect mqtt_tls_login "logins=100 of=100"
	expect mqtt_tls_login "handshake_us hs_p50="
	# A topic with persistent sessions (plaintext: rooms takes no --tls).
	printf 'listener %s 127.0.0.1\nallow_anonymous true\n' $((mport + 1)) \
	    >"$tmp/mosquitto-plain.conf"
	[ "$(id -u)" -eq 0 ] && echo "user root" >>"$tmp/mosquitto-plain.conf"
	/usr/sbin/mosquitto -c "$tmp/mosquitto-plain.conf" \
	    >"$tmp/mosquitto-plain.log" 2>&1 &
	plain_pid=$!
	broker_pid="$broker_pid $plain_pid"
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$((mport + 1))") 2>/dev/null && break
		sleep 0.05
	done
	port=$((mport + 1)) relay_pid=$plain_pid
	run mqtt_rooms rooms --proto mqtt --members 12 --offline 5 --msgs 300
	expect mqtt_rooms "members=12 online=7 offline=5"
	expect mqtt_rooms "lost=0 duplicated=0 errors=0 acks=300"
	expect mqtt_rooms "backlog_s=[0-9]"
	port=$saved_port relay_pid=$saved_pid
else
	echo "bench smoke: no mosquitto, --tls against a TLS peer skipped"
fi

# Bad input: a clear message and status 2, nothing run.
for args in "msgs --pairs x" "msgs --size 10" "fly" "files --proto irc" \
    "msgs --proto smtp" "rooms --members 0" "rooms --members 3 --offline 3" \
    "rooms --proto irc --devices 2"; do
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
