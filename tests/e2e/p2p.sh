#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# P2P mode: dave's message and file go straight to erin, over a direct
# connection, and show the direct mark ⇄.
#   usage: tests/e2e/p2p.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

client dave --p2p
client erin --p2p
wait_for dave "dave @ 127.0.0.1:$port · connected"
wait_for erin "erin @ 127.0.0.1:$port · connected"
wait_for dave "● erin"
wait_for erin "● dave"
# The sidebar is in name order, without oneself: each is the other's
# first row.
keys erin Up Up
wait_for erin "│  dave  online"
keys dave Up Up
wait_for dave "│  erin  online"
say dave "straight to you"
wait_for dave "dave: straight to you +⇄✓✓"
wait_for erin "dave: straight to you"
pass "in P2P mode a message goes straight to the peer, marked ⇄"

head -c 20M /dev/urandom >"$tmp/p2p.bin"
keys dave C-f
wait_for dave "Send a file to erin"
text dave "$tmp/p2p.bin"
wait_for dave "p2p.bin — 20.0 MiB"
keys dave Enter
wait_for erin "↓⇄ dave offers p2p.bin \\(20.0 MiB\\): Ctrl-O accept"
keys erin C-o
wait_for erin "↓⇄ p2p.bin 20.0 MiB: verified, saved as" 60
wait_for dave "↑⇄ p2p.bin 20.0 MiB: verified, saved by erin" 30
cmp -s "$tmp/p2p.bin" "$tmp/erin-home/Downloads/termgram/p2p.bin" ||
    fail "the file sent directly differs"
pass "in P2P mode a file goes straight to the peer, marked ⇄"
finish
