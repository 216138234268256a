#!/usr/bin/env bash
# When messages count as read: a message is read once it has been wholly
# on screen for a moment; a conversation is read (and what arrives there
# at once) once it has been shown for a moment with its view at the end.
# Opened with more unread messages than fit, a conversation starts at the
# first of them, under the marker: only those shown are read, the others
# keep the marker and the count until the user scrolls down. Opened from
# /find at a hit, what is shown around the hit is read, not the rest.
#   usage: tests/e2e/reading.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

# count SESSION NAME: the unread count in NAME's row of the sidebar, or
# 0; below: until it is between 1 and N-1.
count() {
	screen "$1" | grep -E "^ [●○] $2 " | grep -oE "[0-9]+ +│" |
	    grep -oE "^[0-9]+" || echo 0
}
below() {
	local c

	c=$(count "$1" "$2")
	[ "$c" -gt 0 ] && [ "$c" -lt "$3" ]
}

register alice bob carol dave
seq -f 'unread %03g' 60 | cli bob send --stdin alice || fail "bob could not send"
client alice
wait_row alice 1 "│  bob  offline.* ↓ new below \\(End\\)$"
wait_row alice 3 "─ new ─"
msg_at alice 4 "bob: unread 001"
msg_at alice 28 "bob: unread 025"
poll 10 below alice bob 60 || fail "bob's count is $(count alice bob), not what is still below"
[ "$(count alice bob)" -eq 35 ] || fail "25 shown, but $((60 - $(count alice bob))) read"
wait_row alice 3 "─ new ─"
pass "60 unread, 25 on screen: 25 read, the marker and 35 unread stay"

keys alice PgDn
poll 10 below alice bob 35 || fail "bob's count stayed $(count alice bob) after PgDn"
keys alice End
wait_gone alice "[●○] bob +[0-9]+ │"
pass "scrolling down reads what comes into sight; at the end all is read"

# From /find: the hit's conversation is read around the hit, not below.
{
	seq -f 'before %03g' 4
	echo "the needle is here"
	seq -f 'after %03g' 40
} | cli carol send --stdin alice || fail "carol could not send"
wait_for alice "[●○] carol +45 │"
say alice "/find needle"
wait_row alice 4 "^[^│]*│ +carol [0-9:]{5}  carol: the needle is here"
keys alice Enter
wait_row alice 1 "│  carol  offline"
msg_at alice 2 "carol: the needle is here"
poll 10 below alice carol 45 ||
    fail "carol's count is $(count alice carol) with the hit on screen"
pass "a conversation opened at a /find hit: what was shown is read, the rest is not"
keys alice End
wait_gone alice "[●○] carol +[0-9]+ │"
pass "End: all of it read"

# Reopened after a part was read: the view goes to what is still unread.
seq -f 'later %03g' 60 | cli dave send --stdin alice || fail "dave could not send"
wait_for alice "[●○] dave +60 │"
say alice "/q dave"
wait_row alice 3 "─ new ─"
msg_at alice 4 "dave: later 001"
poll 10 below alice dave 60 || fail "dave's count is $(count alice dave)"
say alice "/q carol"
wait_row alice 1 "│  carol  offline"
say alice "/q dave"
wait_row alice 1 "│  dave  offline"
wait_row alice 2 "─ new ─"
msg_at alice 3 "dave: later 026"
poll 10 below alice dave 35 ||
    fail "dave's count stayed $(count alice dave) after reopening"
[ "$(count alice dave)" -le 10 ] ||
    fail "reopened with 35 unread: only $((35 - $(count alice dave))) read"
pass "reopened with 35 unread: they start under the marker, those shown read"
finish
