#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The login form: what it looks like, its fields and keys, what it says
# when something is missing, and logging in with a password.
#   usage: tests/e2e/login.sh BUILD_DIR   (GENERATE=1: rewrite the goldens)
. "$(dirname "$0")/lib.sh"
start "$1"

# form_at SESSION WxH: the form, centred: its title 5 rows above the
# middle, 25 columns left of it.
form_at() {
	local w=${2%x*} h=${2#*x} x

	x=$((w / 2 - 25))
	[ $x -ge 0 ] || x=0
	resize "$1" "$2" $((h / 2 - 4)) "^ {$x}termgram — log in$"
}

client lara --login --size 80x24
wait_for lara "termgram — log in"
for size in 80x24 100x30 120x35 200x50; do
	form_at lara "$size"
	golden lara login
done
golden -e lara login
pass "without a name the login form comes up, centred at every size"

form_at lara 80x24
keys lara Enter
wait_for lara "A name, please\\."
golden lara login-no-name
text lara "lara"
keys lara Tab
text lara "s3cret pw"
wait_for lara "Password  \\*{9} *$"
keys lara Tab
for _ in $(seq ${#port}); do
	keys lara BSpace
done
wait_for lara "Relay     127\\.0\\.0\\.1: *$"
keys lara Enter
wait_for lara "Relay: HOST:PORT, please\\."
golden lara login-no-relay
text lara "$port"
keys lara Up Up
wait_for lara "Name      lara *$"
golden lara login-filled
golden -e lara login-filled
pass "the form says what is missing; the password shows as stars"

keys lara Enter
wait_for lara "lara @ 127\\.0\\.0\\.1:$port · connected"
quit lara
pass "Enter logs in with the name, password and relay of the form"

# The name now has a password: a wrong one is refused.
client lara2 --login
wait_for lara2 "termgram — log in"
text lara2 "lara"
keys lara2 Tab
text lara2 "wrong"
keys lara2 Enter
# Back to the form, saying why, the cursor in the password field.
wait_for lara2 "termgram — log in"
wait_for lara2 "Refused: wrong password for this name"
wait_for lara2 "Name      lara *$"
text lara2 "s3cret pw"
wait_for lara2 "Password  \\*{9} *$"
keys lara2 Enter
wait_for lara2 "lara @ 127\\.0\\.0\\.1:$port · connected"
quit lara2
pass "a wrong password: the form again, with the reason; the right one logs in"

client lara3 --login
wait_for lara3 "termgram — log in"
keys lara3 Escape
wait_for lara3 "^EXITED 0"
pass "Esc on the login form quits with 0"

# The first connection to a relay shows its key and asks; n quits and
# pins nothing.
client nina --ask
wait_for nina "A relay not met before"
shows nina "  $(cut -c1-32 "$tmp/fp-$port")" || fail "nina saw another key"
text nina n
wait_for nina "^EXITED 0"
[ ! -e "$tmp/nina/known_relays" ] || fail "n pinned the relay's key"
pass "the relay's key is shown at the first connection; n quits"

# A relay whose key is not the pinned one is refused on the status line,
# and the client does not try again.
"$bin/termgram" trust --user olga --data "$tmp/olga" "127.0.0.1:$port" \
    "$(printf '%064d' 0)" >/dev/null || fail "could not pin a key for olga"
client olga --ask
wait_for olga "refused: the relay at 127\\.0\\.0\\.1:$port presented key"
sleep 1
shows olga "refused: the relay at" || fail "olga tried again"
grep -q "run: termgram trust --user olga --data $tmp/olga 127.0.0.1:$port .*someone may be intercepting" \
    "$tmp/olga/termgram.log" || fail "olga's log does not have the whole refusal"
quit olga
pass "a changed relay key is refused on the status line, for good"
finish
