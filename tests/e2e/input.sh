#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The input line: a "[bob]" prompt and one draft per conversation kept
# across switches (Enter sends to the conversation shown); what was sent
# comes back on Ctrl-Up/Ctrl-Down and Alt-P/Alt-N while Up/Down still walk
# the sidebar; Tab completes names and commands; Alt-Enter and Ctrl-J
# break the line. And closing the help or the file dialog leaves nothing
# in the column between the sidebar and the conversation; Ctrl-L draws the
# screen again.
#   usage: tests/e2e/input.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

# alice's sidebar: alice, bob (online), then carol.
register alice bob carol 2>/dev/null
pair alice bob
wait_for alice "^\[bob\]"

# Drafts: each conversation keeps its own.
text alice "for bob only"
wait_for alice "^\[bob\] for bob only$"
keys alice Down
wait_row alice 1 "│  carol  offline"
wait_for alice "^\[carol\] *$"
text alice "for carol only"
wait_for alice "^\[carol\] for carol only$"
keys alice Up
wait_row alice 1 "│  bob  online"
wait_for alice "^\[bob\] for bob only$"
keys alice Enter
wait_for bob "alice: for bob only"
keys alice Down
wait_for alice "^\[carol\] for carol only$"
keys alice Enter
msg_at alice 3 "alice: for carol only.*"
keys alice Up
wait_row alice 1 "│  bob  online"
wait_for alice "^\[bob\] *$"
hides bob "for carol only" || fail "bob was sent carol's draft"
pass "switching keeps each conversation's draft; Enter sends to the one shown"

# History: Ctrl-Up/Alt-P older, Ctrl-Down/Alt-N newer, Up the sidebar.
text alice "half typed"
keys alice C-Up
wait_for alice "^\[bob\] for carol only$"
keys alice C-Up
wait_for alice "^\[bob\] for bob only$"
keys alice C-Down
wait_for alice "^\[bob\] for carol only$"
keys alice C-Down
wait_for alice "^\[bob\] half typed$"
keys alice C-u M-p
wait_for alice "^\[bob\] for carol only$"
keys alice M-p M-n
wait_for alice "^\[bob\] for carol only$"
keys alice Down
wait_row alice 1 "│  carol  offline"
keys alice Up
wait_row alice 1 "│  bob  online"
wait_for alice "^\[bob\] for carol only$"
keys alice C-u
wait_for alice "^\[bob\] *$"
pass "Ctrl-Up/Down and Alt-P/N recall what was sent; Up/Down walk the sidebar"

# Tab: a name, the commands that start so, a command.
text alice "see you ca"
keys alice Tab
wait_for alice "^\[bob\] see you carol$"
wait_cursor alice 20,29
keys alice C-u
text alice "/qu"
keys alice Tab
wait_for alice "^ /query /quit"
text alice "e"
# The list of choices goes as soon as the input changes.
wait_gone alice "^ /query /quit" 3
keys alice Tab
wait_for alice "^\[bob\] /query$"
wait_cursor alice 13,29
text alice "car"
keys alice Tab Enter
wait_row alice 1 "│  carol  offline"
keys alice Up
wait_row alice 1 "│  bob  online"
pass "Tab completes a contact's name and a /command"

# A message of three lines: Alt-Enter and Ctrl-J break the line.
text alice "line one"
keys alice M-Enter
text alice "line two"
keys alice C-j
text alice "line three"
wait_for alice "^\[bob\] line one↵line two↵line three$"
keys alice Enter
wait_for bob "alice: line one$"
wait_for bob "^ +│ +line two$"
wait_for bob "^ +│ +line three$"
pass "Alt-Enter and Ctrl-J break the line; Enter sends the three lines"

# The column between the sidebar (26 wide at 100 columns) and the pane.
gap_blank() {
	screen alice | head -n 28 |
	    perl -CSD -lne 'exit 1 if length($_) > 26 && substr($_, 26, 1) ne " "'
}
gap_blank || fail "the gap column is not blank to begin with"
keys alice F1
wait_for alice "termgram keys"
keys alice Escape
wait_gone alice "termgram keys"
poll 5 gap_blank || fail "the help left pieces in the gap column"
keys alice C-f
wait_for alice "Send a file to bob"
keys alice Escape
wait_gone alice "Send a file to bob"
poll 5 gap_blank || fail "the file dialog left pieces in the gap column"
keys alice Down Up
wait_row alice 1 "│  bob  online"
gap_blank || fail "the gap column is not blank after a switch"
keys alice C-l
wait_row alice 1 "│  bob  online"
wait_for alice "^\[bob\] *$"
gap_blank || fail "the gap column is not blank after Ctrl-L"
pass "Esc from the help and the dialog leaves the gap column blank; Ctrl-L"
finish
