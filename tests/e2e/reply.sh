#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replies that quote: Alt-R puts "> NAME: FIRST LINE" and a line break in
# front of the input line (the peer's last message, or the /search hit);
# /reply TEXT sends at once. Both sides show the quote dim on one line,
# "↪ bob: …", with the reply under it; the text on the wire is plain, so
# a headless client reads it as two lines.
#   usage: tests/e2e/reply.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob
# bob's terminal has a light background: theme = light.
mkdir -p "$tmp/bob-home/.config/termgram"
echo "theme = light" >"$tmp/bob-home/.config/termgram/config"
# alice keeps logs: a reply's text is written there by its length.
mkdir -p "$tmp/alice-home/.config/termgram"
echo "log = on" >"$tmp/alice-home/.config/termgram/config"
pair alice bob
say bob "lunch at noon? the usual place"
msg_at alice 3 "bob: lunch at noon\\? the usual place"
say bob "or at one"
msg_at alice 4 "bob: or at one"
# light: bob's own name blue, a peer's magenta (default: cyan and green).
own_blue() { screen_e bob | grep -q $'\e\\[1m\e\\[34mbob\e'; }
poll 10 own_blue || fail "bob's own name is not blue with theme = light"
shows_attr() { screen_e alice | grep -q $'\e\\[1m\e\\[32mbob\e'; }
poll 10 shows_attr || fail "alice's peer name is not green with the default theme"
pass "theme = light has colours of its own"

keys alice M-r
wait_row alice 30 "^\[bob\] > bob: or at one↵$"
text alice "one is better"
keys alice Enter
msg_at alice 5 "alice: ↪ bob: or at one"
wait_row alice 6 "^[^│]*│ +one is better +✓✓$"
msg_at bob 5 "alice: ↪ bob: or at one"
wait_row bob 6 "^[^│]*│ +one is better$"
# The quote is dim.
quote_dim() { screen_e bob | sed -n 5p | grep -q $'\e\\[2m↪ bob: or at one'; }
poll 10 quote_dim || fail "bob's quote line is not dim"
pass "Alt-R quotes the last message; both see the quote on one line, dim"

say alice "/search lunch"
wait_row alice 29 'Found "lunch"'
say alice "/reply the usual, yes"
keys alice End
msg_at bob 7 "alice: ↪ bob: lunch at noon\\? the usual place"
wait_row bob 8 "^[^│]*│ +the usual, yes$"
last=$(tail -n 1 "$tmp/alice/logs/bob.log")
[[ $last =~ ^[0-9-]{10}\ [0-9:]{8}\ alice:\ .*\\nthe\ usual,\ yes$ ]] ||
    fail "alice's log has the reply wrong: $(printf %q "$last")"
pass "/reply TEXT quotes the /search hit and sends; the log has it exactly"

# A long first line is cut to one line of the pane, with ….
say bob "$(printf 'word%.0s ' $(seq 30))end"
msg_at alice 9 "bob: word word word.*"
keys alice M-r
text alice "ok"
keys alice Enter
msg_at alice 12 "alice: ↪ bob: (word ){9}word…"
wait_row alice 13 "^[^│]*│ +ok +✓✓$"
pass "a long quote is cut to its line, with …"
golden alice reply
finish
