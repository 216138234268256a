#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two people talk: the sidebar and its keys, unread counts and read marks,
# wide text, pastes, long messages, typing, commands.
#   usage: tests/e2e/chat.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

# carol exists but stays offline.
register carol
client alice
client bob
wait_for alice "alice @ 127.0.0.1:$port · connected"
wait_for bob "bob @ 127.0.0.1:$port · connected"
wait_for alice "● bob"
pass "both clients connected; alice sees bob online"

# bob looks at carol's conversation (the last row), so alice's message
# counts as unread.
keys bob Down Down Down
wait_for bob "│  carol  offline"

# alice goes to the top of the sidebar (bob: she is not in her own
# list), down to carol and back.
keys alice Up Up Up
wait_for alice "│  bob  online"
keys alice Down
wait_for alice "│  carol  offline"
keys alice C-p
wait_for alice "│  bob  online"
keys alice C-n
wait_for alice "│  carol  offline"
keys alice C-p
wait_for alice "│  bob  online"
pass "arrow keys and Ctrl-P/Ctrl-N move the selection and switch the conversation"

keys bob Up Up
wait_for bob "│  alice  online"
text alice "hello"
wait_for bob "│  alice  online  typing…"
keys alice C-u
wait_gone alice "^\[bob\] hello"
pass "bob sees alice typing"

# bob looks away again.
keys bob Down Down
wait_for bob "│  carol  offline"
msg='你好 bob, 会议改到三点 😀 ok'
text alice "$msg"
wait_for alice "^\[bob\] $msg"
keys alice Enter
wait_for alice "alice: $msg +✓✓"
wait_gone alice "^\[bob\] .+"
wait_for bob "● alice +1 *│"
pass "bob sees an unread count of 1 for alice"

keys bob Up Up Up
wait_for bob "│  alice  online"
wait_for bob "alice: $msg"
wait_gone bob "● alice +1 *│"
# Read: alice's double check turns bold.
read_mark() { screen_e alice | grep -q $'\e\\[1m[^✓]*✓✓'; }
poll 10 read_mark || fail "alice never saw her message as read"
pass "bob reads it; alice sees it marked read"

# bob answers; wide text wraps without broken characters.
long='这是一条很长的消息，用来检查按显示宽度换行是否正确，中文字符占两列，不能在边缘被截断。Then some English words to wrap too.'
say bob "$long"
wait_for alice "bob: 这是一条很长的消息"
wait_for alice "English words to wrap too"
pass "a long CJK message wraps by display width"

# A paste of several lines is one message with its line breaks.
paste_text alice $'first pasted line\nsecond pasted line'
wait_for alice "^\[bob\] first pasted line↵second pasted line"
keys alice Enter
wait_for bob "alice: first pasted line"
wait_for bob "^ +│ +second pasted line"
pass "a bracketed paste of two lines is sent as one message"

# More than 20 lines asks first; n keeps the text, y sends it.
rows=$(seq -f 'row %g of the long paste' 25)
paste_text alice "$rows"
wait_for alice "^\[bob\] .*↵row 25 of the long paste$"
ask="^Send this long message \\(${#rows} bytes\\) to bob\\? y/n$"
keys alice Enter
wait_for alice "$ask"
keys alice n
wait_for alice "^\[bob\] .*↵row 25 of the long paste$"
keys alice Enter
wait_for alice "$ask"
keys alice y
wait_for bob "^ +│ +row 25 of the long paste"
wait_for bob "alice: row 1 of the long paste"
wait_for alice "^\[bob\] *$"
pass "a paste of 25 lines asks y/n first; n keeps it, y sends it"

say alice "/frobnicate now"
wait_for alice "^ Unknown command /frobnicate: /help lists them"
say alice "/help"
wait_for alice "termgram keys"
keys alice Escape
wait_gone alice "termgram keys"
say alice "/clear"
wait_for alice "No messages with bob yet\\. Type below and press Enter\\."
pass "an unknown command says so; /help opens the keys; /clear empties the pane"
finish
