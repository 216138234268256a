#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keys that must not leak: typing a command while a list (/transfers,
# /find) is open closes the list and starts the command in the input
# line, its first key kept; an Esc typed just before it (read with the
# next key, as Alt) closes the list too; nothing the input line did not
# show is ever sent.
#   usage: tests/e2e/keys.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob carol erin
pair alice bob

say alice "/transfers"
wait_row alice 2 "Transfers \\(0\\)"
text alice "/q car"
wait_gone alice "Transfers \\(0\\)"
wait_row alice 30 "^\\[bob\\] /q car *$"
keys alice Enter
wait_row alice 1 "│  carol  offline"
pass "/q typed over /transfers closes the list and runs as a command"

say alice "/find nothing"
wait_row alice 2 "Found \"nothing\" 0 times"
# Esc and the command at once, as a fast typist sends them.
text alice $'\e/q erin'
wait_gone alice "Found \"nothing\""
wait_row alice 30 "^\\[carol\\] /q erin *$"
keys alice Enter
wait_row alice 1 "│  erin  offline"
pass "Esc then /q at once: the list closes, the command runs"

# An Alt key the input line has no use for types nothing.
text alice $'\e/'
text alice "x"
wait_row alice 30 "^\\[erin\\] x *$"
keys alice C-u
open_convo alice bob
wait_for alice "No messages with bob yet"
hides bob "│ [0-9]{2}:[0-9]{2} " || fail "bob got a message alice never saw"
pass "nothing leaked to a conversation"

# SGR mouse reports (as tmux sends them) to a client with mouse = off:
# nothing typed, nothing done.
mkdir -p "$tmp/erin-home/.config/termgram"
echo "mouse = off" >"$tmp/erin-home/.config/termgram/config"
client erin
wait_row erin 1 "│  alice  online"
text erin $'\e[<0;4;4M\e[<0;4;4m\e[<64;50;10M\e[<65;50;10M'
text erin "z"
wait_row erin 30 "^\\[alice\\] z *$"
wait_row erin 1 "│  alice  online"
keys erin C-u
pass "SGR mouse reports type nothing with mouse = off"
finish
