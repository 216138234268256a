#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The screen's layout, compared with golden screens at several sizes: the
# main screen with a few contacts and a short conversation, the help box,
# the file dialog, the screen that says the terminal is too small, and an
# unread count beside an offline contact's empty conversation.
#   usage: tests/e2e/layout.sh BUILD_DIR   (GENERATE=1: rewrite the goldens)
. "$(dirname "$0")/lib.sh"
start "$1"

# Everyone exists before the clients start, so each opens the same first
# conversation every time: alice's is bob, bob's is alice. carol stays
# offline.
register alice bob carol
pair alice bob

say alice "hello bob"
wait_for bob "alice: hello bob"
say bob "hi alice — 你好, 三点见"
wait_for alice "bob: hi alice — 你好, 三点见"
say alice "a longer message, so that the pane wraps it when the terminal is narrow: at eighty columns only about fifty are left for the text"
wait_for bob "alice: a longer message"
pass "a short conversation between alice and bob"

head -c 1572864 /dev/zero >"$tmp/alice-home/report.pdf"
for size in 80x24 100x30 120x35 200x50 60x12; do
	resize alice "$size"
	golden alice main
	keys alice F1
	golden alice help
	keys alice x
	wait_gone alice "termgram keys"
	golden alice main
	keys alice C-f
	text alice "~/report.pdf"
	golden alice dialog
	keys alice Escape
	wait_gone alice "Send a file to bob"
	golden alice main
	pass "at $size: the main screen, the help box and the file dialog"
done

# Their attributes and colours once: the selection, bold names, dim
# times, the reversed status line, the dialog's green line.
resize alice 100x30
golden -e alice main
keys alice F1
golden -e alice help
keys alice x
wait_gone alice "termgram keys"
keys alice C-f
text alice "~/report.pdf"
golden -e alice dialog
keys alice C-u
text alice "~/nothere.pdf"
golden -e alice dialog-error
keys alice Escape
wait_gone alice "Send a file to bob"
golden -e alice main
pass "the attributes and colours of the main screen, the help and the dialog"

for size in 59x12 60x11 40x10; do
	resize alice "$size"
	golden alice small
done
resize alice 100x30
golden alice main
pass "too small says so; larger again lays everything out again"

# bob looks at carol, offline; alice writes again: an unread count.
keys bob Down Down
wait_row bob 1 "│  carol  offline, last seen [0-9]{2}:[0-9]{2}$"
say alice "one more thing"
wait_for bob "● alice +1 *│"
for size in 100x30 80x24; do
	resize bob "$size"
	golden bob unread
done
golden -e bob unread
pass "an offline contact's empty conversation; an unread count in the sidebar"
finish
