#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Files: the send dialog (paths typed, completed, pasted as a terminal
# pastes a dragged file), offers accepted and declined, the progress bar,
# and the file arriving identical.
#   usage: tests/e2e/files.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register alice bob
pair alice bob

keys alice C-o
wait_row alice 29 "^ No file offer waits here +connected *$"
keys alice C-x
wait_row alice 29 "^ No transfer to stop here +connected *$"
# alice is not in her own list: no conversation (or file) to herself.
keys alice Up
wait_for alice "│  bob  online"
hides alice "● alice " || fail "alice is in her own contact list"
pass "Ctrl-O and Ctrl-X say why there is nothing to do; no self in the list"

mkdir -p "$tmp/alice-home/inbox"
head -c 3072 /dev/urandom >"$tmp/alice-home/inbox/quarterly.bin"
head -c 1000 /dev/urandom >"$tmp/alice-home/inbox/quarterly.txt"
keys alice C-f
wait_for alice "┌─ Send a file to bob ─"
wait_for alice "│ Type a path, or drag files here +│"
text alice "~/nothere.bin"
wait_for alice "│ ~/nothere\\.bin: no such file +│"
keys alice C-u
wait_for alice "│ Path: +│"
text alice "~/inb"
keys alice Tab
wait_for alice "│ Path: ~/inbox/ +│"
# The error names the path, the home folder as ~.
wait_for alice "│ ~/inbox/: a directory, not a file +│"
keys alice Tab
wait_for alice "│ Path: ~/inbox/quarterly\\. +│"
# Two names match and neither is longer: Tab lists them under the field
# (as a shell's second Tab does); the next key takes the list away.
keys alice Tab
wait_for alice "│ quarterly\\.bin  quarterly\\.txt +│"
text alice "b"
wait_gone alice "quarterly\\.bin  quarterly\\.txt"
keys alice Tab
wait_for alice "│ Path: ~/inbox/quarterly\\.bin +│"
wait_for alice "│ quarterly\\.bin — 3\\.0 KiB +│"
text alice " ~/inbox/quarterly.txt"
wait_for alice "│ 2 files, 4\\.0 KiB in all +│"
keys alice Escape
wait_gone alice "Send a file to bob"
pass "the dialog checks what is typed, naming the path; Tab completes names and folders, and lists them"

say alice "/send ~/inbox/quarterly.txt"
wait_for alice "│ Path: ~/inbox/quarterly\\.txt +│"
wait_for alice "│ quarterly\\.txt — 1000 B +│"
keys alice Enter
wait_gone alice "Send a file to bob"
wait_for bob "↓ alice offers quarterly\\.txt \\(1000 B\\): Ctrl-O accept, Ctrl-X reject"
# Ctrl-X asks first, on the input line, as the transfer list does: n
# (or any other key) keeps the offer, y rejects it.
keys bob C-x
wait_row bob 30 "^Reject quarterly\\.txt from alice\\? y/n *$"
keys bob n
wait_row bob 30 "^\\[alice\\] *$"
shows bob "Ctrl-O accept, Ctrl-X reject" || fail "n rejected the offer"
keys bob C-x
wait_row bob 30 "^Reject quarterly\\.txt from alice\\? y/n *$"
keys bob y
wait_for alice "│  ✗ quarterly\\.txt: rejected by bob: declined$"
wait_for bob "│  ✗ quarterly\\.txt: rejected: declined$"
pass "/send PATH opens the dialog with the path; bob declines with Ctrl-X, after a y/n"

# A file: a quoted path with a space and Chinese in it, pasted into the
# dialog as a terminal pastes a dragged file.
mkdir -p "$tmp/my docs"
head -c 200M /dev/urandom >"$tmp/my docs/季度 report.bin"
keys alice C-f
wait_for alice "Send a file to bob"
paste_text alice "$(printf "'%s' " "$tmp/my docs/季度 report.bin")"
wait_for alice "季度 report.bin — 200.0 MiB"
keys alice Enter
wait_for bob "alice offers 季度 report.bin \\(200.0 MiB\\): Ctrl-O accept"
keys bob C-o
wait_for alice "to bob ↑ 季度 report.bin █+░* +[0-9]+% " 30
wait_for bob "↓ 季度 report.bin 200.0 MiB: verified, saved in ~/Downloads/termgram$" 60
wait_for alice "季度 report.bin 200.0 MiB: verified, saved by bob" 30
cmp -s "$tmp/my docs/季度 report.bin" "$tmp/bob-home/Downloads/termgram/季度 report.bin" ||
    fail "the received file differs"
pass "a dragged path goes through the dialog; the bar moves; the file arrives identical"
finish
