#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Notifications and the read marker: while the terminal is not focused
# (focus reporting, ESC[O and ESC[I), every message counts in the
# terminal's title, "termgram (N)"; focused again, the title is plain and
# nothing counts in the open conversation. The line "new" sits above the
# first message that came while away, or the first unread of another
# conversation, until the conversation is left.
#   usage: tests/e2e/notify.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

title_is() { [ "$(tm display-message -p -t "$1" '#{pane_title}')" = "$2" ]; }
wait_title() {
	poll 10 title_is "$1" "$2" ||
	    fail "$1's title is '$(tm display-message -p -t "$1" \
	        '#{pane_title}')', not '$2'"
}
focus_out() { tm send-keys -t "$1" -l $'\e[O'; }
focus_in() { tm send-keys -t "$1" -l $'\e[I'; }

register alice bob carol dave
# alice keeps plain-text logs.
mkdir -p "$tmp/alice-home/.config/termgram"
printf 'log = on\nnotify = osc777\n' >"$tmp/alice-home/.config/termgram/config"
client alice
# What alice's client writes to its terminal, for the notifications.
tm pipe-pane -O -t alice "cat >>$tmp/alice.out"
wait_row alice 1 "│  bob  offline"
wait_title alice "termgram"
cli bob send alice "seen at once" || fail "bob could not send"
msg_at alice 3 "bob: seen at once"
wait_title alice "termgram"
pass "focused on bob's conversation, bob's message is not counted"

focus_out alice
cli bob send alice "while you were away" || fail "bob could not send"
wait_title alice "termgram (1)"
cli carol send alice "me too" || fail "carol could not send"
wait_title alice "termgram (2)"
msg_at alice 5 "bob: while you were away"
wait_row alice 4 "──── new ────"
pass "unfocused, the title counts every message; new ones sit under the marker"

# Desktop notifications (notify = osc777): the peer's text escaped, so a
# control byte in it cannot end the sequence or start another.
sent_osc() { grep -qaF "$1" "$tmp/alice.out"; }
poll 10 sent_osc $'\e]777;notify;termgram: carol;me too\a' ||
    fail "no notification for carol's message"
cli dave send alice $'bell\a and \e]2;pwned\a' || fail "dave could not send"
poll 10 sent_osc $'\e]777;notify;termgram: dave;bell\\x07 and \\x1b]2;pwned\\x07\a' ||
    fail "the notification of dave's control bytes is not escaped: $(tail -c 300 "$tmp/alice.out" | od -c | tail -5)"
! grep -qaF $'\e]2;pwned' "$tmp/alice.out" || fail "dave set alice's title"
wait_title alice "termgram (3)"
pass "notify = osc777 sends desktop notifications, the peer's text escaped"

# The focus sequences are keys of their own: nothing reaches the input.
focus_in alice
wait_title alice "termgram"
wait_row alice 30 "^\[bob\] ?$"
cli bob send alice "back again" || fail "bob could not send"
msg_at alice 6 "bob: back again"
wait_title alice "termgram"
wait_gone alice "bob\\([0-9]+\\)"
pass "focused again, the title is plain and stays so"

# carol's unread message: the marker above it in her conversation, gone
# once alice has left it.
keys alice Down
wait_row alice 1 "│  carol  offline"
wait_row alice 3 "──── new ────"
msg_at alice 4 "carol: me too"
golden alice notify-marker
keys alice Up
wait_row alice 1 "│  bob  offline"
wait_gone alice "──── new ────"
keys alice Down
wait_row alice 1 "│  carol  offline"
msg_at alice 3 "carol: me too"
hides alice "──── new ────" || fail "the marker came back"
pass "another conversation's unread start under the marker until it is left"

# The logs: one line per message, in a 0700 folder of 0600 files.
logs=$tmp/alice/logs
[ "$(stat -c %a "$logs")" = 700 ] || fail "logs/ is not 0700"
[ "$(stat -c %a "$logs/bob.log")" = 600 ] || fail "bob.log is not 0600"
grep -qE "^[0-9-]{10} [0-9:]{8} bob: while you were away$" "$logs/bob.log" ||
    fail "bob.log lacks the message: $(cat "$logs/bob.log")"
[ "$(wc -l <"$logs/bob.log")" -eq 3 ] || fail "bob.log is not 3 lines"
grep -q "carol: me too" "$logs/carol.log" || fail "carol.log lacks it"
pass "log = on keeps a plain-text log of each conversation"
finish
