#!/bin/sh
# SPDX-License-Identifier: MIT
# The relay's configuration file and log, end to end: a relay started
# with --config only; the command line winning; a bad line refused with
# its file, line and key; the example assets/termgramd.conf naming every
# option with its true default; JSON log lines; SIGHUP reopening a moved
# log file and applying what can change while running.
# usage: config.sh BUILD_DIR SOURCE_DIR
set -u
bin=$1/termgramd
src=$2
tmp=$(mktemp -d)
pid=""
. "$(dirname "$0")/../lib/check.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# 1. A bad line: exit status 2, and the file, line and key said.
printf '# ok\nport = 0\nrate = lots\n' >"$tmp/bad.conf"
"$bin" --config "$tmp/bad.conf" --data "$tmp/d0" 2>"$tmp/bad.err"
rc=$?
[ $rc -eq 2 ] || fail "a bad line: exit status $rc, not 2"
grep -q "$tmp/bad.conf:3: rate: 'lots' is not a number" "$tmp/bad.err" ||
    fail "a bad line: $(cat "$tmp/bad.err")"
printf 'prot = 7733\n' >"$tmp/bad.conf"
"$bin" --config "$tmp/bad.conf" --check-config >/dev/null 2>"$tmp/bad.err"
grep -q "bad.conf:1: prot: no such option" "$tmp/bad.err" ||
    fail "an unknown key: $(cat "$tmp/bad.err")"
echo "config: a bad line is refused: $(cat "$tmp/bad.err")"

# 2. The command line wins over the file; the file over the defaults.
printf 'rate = 5\nmax-stall = 7\n' >"$tmp/win.conf"
"$bin" --config "$tmp/win.conf" --rate 9 --check-config >"$tmp/win.out"
grep -qx 'rate = 9' "$tmp/win.out" || fail "the command line does not win"
grep -qx 'max-stall = 7' "$tmp/win.out" || fail "the file is not read"

# 3. The example: every option of the table, each with its default.
opts=$("$bin" --config /dev/null --check-config |
    sed -n 's/^#\{0,1\}\([a-z-]*\) =.*/\1/p')
n=0
for o in $opts; do
	n=$((n + 1))
	grep -q "^#\{0,1\}$o =" "$src/assets/termgramd.conf" ||
	    fail "assets/termgramd.conf has no '#$o ='"
	grep -q "^\.It Fl -$o" "$src/assets/termgramd.8" ||
	    fail "assets/termgramd.8 does not describe --$o"
	grep -q -- "--$o" "$src/docs/relay.md" ||
	    fail "docs/relay.md does not describe --$o"
done
# (data is set, to the service's store: the default once the unit sets
# XDG_STATE_HOME=/var/lib.)
sed -n 's/^#\{0,1\}\([a-z-]* = ..*\)/\1/p' "$src/assets/termgramd.conf" \
    >"$tmp/example.conf"
XDG_STATE_HOME=/var/lib "$bin" --config "$tmp/example.conf" \
    --check-config | sed 1d >"$tmp/example.out" ||
    fail "the example, uncommented, is refused"
XDG_STATE_HOME=/var/lib "$bin" --config /dev/null --check-config |
    sed 1d >"$tmp/default.out"
diff "$tmp/default.out" "$tmp/example.out" >&2 ||
    fail "the example's values are not the defaults"
echo "config: $n options, each in the example with its default"

# 4. A relay from the file alone, logging JSON lines into a file.
cat >"$tmp/relay.conf" <<EOC
bind = 127.0.0.1
port = 0
tls = off
data = $tmp/data
log-format = json
log-file = $tmp/relay.log
EOC
"$bin" --config "$tmp/relay.conf" 2>"$tmp/stderr" &
pid=$!
wait_for "$tmp/relay.log" '"listening on 127.0.0.1:' || exit 1
python3 -c '
import json, sys
addr = None
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert set(o) >= {"time", "level", "msg"}, o
    assert o["time"].endswith("Z") and o["level"] in ("error", "warn", "info", "debug"), o
    if o["msg"].startswith("listening on "):
        addr = o.get("addr")
assert addr and addr.startswith("127.0.0.1:"), "no addr field"
' "$tmp/relay.log" || fail "a log line is not JSON, or lacks its fields"
[ -s "$tmp/stderr" ] && fail "stderr is not empty: $(cat "$tmp/stderr")"
echo "config: $(wc -l <"$tmp/relay.log") JSON log lines parse"

# 5. SIGHUP: the moved log is opened again by its name; rate changes at
# once, the port needs a restart and is kept.
mv "$tmp/relay.log" "$tmp/relay.log.1"
sed -i -e 's/^log-format = json/log-format = text/' \
    -e 's/^port = 0/port = 1/' "$tmp/relay.conf"
printf 'rate = 7\n' >>"$tmp/relay.conf"
kill -HUP "$pid"
wait_for "$tmp/relay.log" "reload: rate: '50000' -> '7'"
wait_for "$tmp/relay.log" "reload: port: '0' -> '1' needs a restart"
wait_for "$tmp/relay.log" "info reload: log-format: 'json' -> 'text'"
grep -q 'reload' "$tmp/relay.log.1" && fail "the moved file got lines"
kill -0 "$pid" 2>/dev/null || fail "the relay is gone after SIGHUP"
echo "config: after SIGHUP: $(grep -c reload "$tmp/relay.log") lines in the new log"

# 6. SIGHUP with a bad file: the settings in force stay.
sed -i 's/^rate = 7/rate = x/' "$tmp/relay.conf"
kill -HUP "$pid"
wait_for "$tmp/relay.log" "rate: 'x' is not a number.*settings in force stay"
kill -0 "$pid" 2>/dev/null || fail "the relay is gone after a bad reload"
kill "$pid"
wait "$pid"
pid=""
[ $fails -eq 0 ] && echo "config: all checks passed"
exit $((fails > 0))
