#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing a peer sends drives the terminal: bob's message carries ESC[2J
# (clear the screen), an OSC 52 clipboard write, BEL, U+202E (right-to-left
# override) and C1 controls. `termgram recv` prints them as visible escapes
# (--raw as they came); the full-screen client draws them as escapes too,
# at their width.
#   usage: tests/e2e/escapes.sh BUILD_DIR   (GENERATE=1: rewrite the goldens)
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob carol
esc=$'\e' bel=$'\a' rlo=$'\u202e' csi=$'\u009b' nel=$'\u0085'
payload="wipe ${esc}[2J clip ${esc}]52;c;cHduZWQ=${bel} bell${bel} \
invoice${rlo}txt.exe c1 ${csi}31m nel${nel}end"
shown='wipe \x1b[2J clip \x1b]52;c;cHduZWQ=\x07 bell\x07 invoice\u202etxt.exe c1 \u009b31m nel\u0085end'

# raw_in FILE: the control bytes of the payload that FILE holds as they are.
raw_in() {
	local f=$1 what n=0

	for what in "$esc" "$bel" "$rlo" "$csi" "$nel"; do
		grep -qF -- "$what" "$f" && n=$((n + 1))
	done
	echo $n
}

# Headless: carol's recv, escaped and then raw.
cli bob send carol "$payload" 2>/dev/null || fail "bob could not send"
cli carol recv --count 1 --timeout 20 >"$tmp/recv.out" 2>/dev/null ||
    fail "carol's recv did not get the message"
got=$(cut -f 3- "$tmp/recv.out")
[ "$(cut -f 2 "$tmp/recv.out")" = bob ] || fail "recv: not from bob"
raw=$(raw_in "$tmp/recv.out")
echo "recv: $(grep -o '\\[xu][0-9a-f]*' <<<"$got" | wc -l) escapes shown," \
    "$raw of 5 kinds of control bytes raw"
[ "$got" = "$shown" ] || fail "recv printed '$got', not '$shown'"
[ "$raw" -eq 0 ] || fail "recv let $raw kinds of control bytes through"
pass "recv shows ESC[2J, OSC 52, BEL, U+202E and C1 as visible escapes"

cli bob send carol "$payload" 2>/dev/null || fail "bob could not send"
cli carol recv --raw --count 1 --timeout 20 >"$tmp/raw.out" 2>/dev/null ||
    fail "carol's recv --raw did not get the message"
[ "$(cut -f 3- "$tmp/raw.out")" = "$payload" ] ||
    fail "recv --raw did not print the message as it came"
echo "recv --raw: $(raw_in "$tmp/raw.out") of 5 kinds of control bytes raw"
pass "recv --raw prints the bytes as they came"

# The full-screen client: alice reads the same message from bob.
cli bob send alice "$payload" 2>/dev/null || fail "bob could not send"
client alice
wait_for alice "alice @ 127\\.0\\.0\\.1:$port · connected"
wait_for alice "wipe \\\\x1b\\[2J clip \\\\x1b\\]52;c;cHduZWQ=\\\\x07"
wait_for alice "invoice\\\\u202etxt\\.exe c1 \\\\u009b31m"
screen alice >"$tmp/screen.out"
raw=$(raw_in "$tmp/screen.out")
echo "tui: $(grep -o '\\[xu][0-9a-f]*' "$tmp/screen.out" | wc -l) escapes" \
    "shown, $raw of 5 kinds of control bytes on the screen"
[ "$raw" -eq 0 ] || fail "the pane let $raw kinds of control bytes through"
golden alice escapes
pass "the pane draws C1 and bidi controls as escapes, at their width"
finish
