# Sourced by the project's scripts, tests and benchmarks (sh or bash).
# relay_start BIN_DIR DATA_DIR LOG [termgramd options...]: a termgramd on
# 127.0.0.1 and any free port. Sets relay_pid and relay_port; returns 1
# (after printing its log) if it is not listening within 10 s.
relay_start() {
	_rs_bin=$1
	_rs_data=$2
	_rs_log=$3
	shift 3
	"$_rs_bin/termgramd" --bind 127.0.0.1 --port 0 --data "$_rs_data" \
	    "$@" 2>"$_rs_log" &
	relay_pid=$!
	relay_port=""
	for _ in $(seq 200); do
		relay_port=$(sed -n \
		    's/^.* listening on .*:\([0-9]*\)$/\1/p' "$_rs_log")
		[ -n "$relay_port" ] && return 0
		sleep 0.05
	done
	cat "$_rs_log" >&2
	return 1
}
