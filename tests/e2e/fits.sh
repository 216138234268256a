#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What went wrong for a new user, continued: the order of a conversation,
# Tab in the file dialog, transfer lines at 80, 100 and 120 columns, an
# emoji with VS16, two offers at once. Each failed before its fix.
#   usage: tests/e2e/fits.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register carol dan olive pat

# row_of SESSION TEXT: the screen row (from 1) where TEXT first shows.
row_of() { screen "$1" | grep -nF -- "$2" | head -1 | cut -d: -f1; }

# While the relay is down pat writes first, then olive: when it is back,
# olive's own message (there at once) is below pat's (arrived later).
client pat
client olive
wait_for olive "● pat"
wait_for pat "● olive"
open_convo olive pat
open_convo pat olive
kill -9 "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for pat "reconnecting in [0-9]+ s…" 20
wait_for olive "reconnecting in [0-9]+ s…" 20
say pat "first, from pat"
wait_for pat "pat: first, from pat +… *$"
say olive "second, from olive"
wait_for olive "olive: second, from olive +… *$"
"$bin/termgramd" --bind 127.0.0.1 --port "$port" --data "$tmp/relay" \
    2>>"$tmp/relay.log" &
relay_pid=$!
relays="$relays $!"
wait_for olive "olive @ 127.0.0.1:$port · connected" 40
wait_for olive "pat: first, from pat" 40
wait_for olive "olive: second, from olive +✓"
[ "$(row_of olive "pat: first")" -lt "$(row_of olive "olive: second")" ] ||
    fail "olive's own later message is above pat's earlier one"
pass "a conversation is in the order messages were sent, not arrived"

# Tab in the file dialog quotes a name with blanks, also after another
# path, and completes inside an open quote.
mkdir -p "$tmp/olive-home/inbox/my dir"
head -c 2048 /dev/urandom >"$tmp/olive-home/inbox/big video 视频.mp4"
head -c 100 /dev/urandom >"$tmp/olive-home/inbox/my dir/notes.txt"
keys olive C-f
wait_for olive "┌─ Send a file to pat ─"
text olive "~/inbox/b"
keys olive Tab
wait_for olive "│ Path: '~/inbox/big video 视频\\.mp4' +│"
wait_for olive "│ big video 视频\\.mp4 — 2\\.0 KiB +│"
text olive " '~/inbox/my"
keys olive Tab
wait_for olive "│ Path: '~/inbox/big video 视频\\.mp4' '~/inbox/my dir/' +│"
text olive "n"
keys olive Tab
wait_for olive "│ Path: '~/inbox/big video 视频\\.mp4' '~/inbox/my dir/notes\\.txt' +│"
wait_for olive "│ 2 files, 2\\.1 KiB in all +│"
keys olive Escape
wait_gone olive "Send a file to pat"
pass "Tab quotes names with blanks and completes after a quote"

# A file with a long name: at 100 columns the offer keeps its keys, at 80
# the moving line its rate and time left, at 120 the end line the name.
long="quarterly numbers for the board meeting, final version (2).bin"
head -c 300M /dev/urandom >"$tmp/olive-home/inbox/$long"
resize pat 100x30
keys olive C-f
wait_for olive "┌─ Send a file to pat ─"
text olive "~/inbox/q"
keys olive Tab
wait_for olive "— 300\.0 MiB +│"
keys olive Enter
# (a name too long for the line: the keys go first)
wait_for olive "│  Ctrl-X cancel: ↑ quar.*….* \(300\.0 MiB\) offered to pat, waiting *$"
wait_for pat "│  Ctrl-O accept, Ctrl-X reject: ↓ olive offers quarte.*….* \(300\.0 MiB\) *$"
pass "at 100 columns the offer of a long name keeps its keys, first"
resize pat 80x24
keys pat C-o
wait_for pat "^ from olive ↓ quar.*[0-9]+% [0-9.]+ [KMG]iB of 300\.0 MiB, [0-9.]+ [KMG]iB/s, [0-9]+ s left$" 30
pass "at 80 columns a moving transfer keeps its rate and time left"
resize pat 120x30
wait_for pat "final version \(2\)\.bin 300\.0 MiB: verified, saved in …?[^ ]*termgram *$" 90
pass "at 120 columns a finished transfer keeps the file's name"

# mark_col SESSION TEXT: the column (in characters) of the mark on TEXT's
# row.
mark_col() {
	local line

	line=$(screen "$1" | grep -F -- "$2" | head -1)
	line=${line%%✓✓*}
	echo "${#line}"
}

# A mountain with VS16 (🏔️): the mark stays where the others are.
say pat "🏔️ summit"
wait_for pat "pat: 🏔.* summit +✓✓"
[ "$(mark_col pat ": first, from pat")" = "$(mark_col pat " summit")" ] ||
    fail "the mark after 🏔️ is not in the column of the others"
pass "a VS16 emoji leaves the marks in their column"

# Two offers from elsewhere: both are marked in the sidebar, and the
# notice names both.
head -c 1000 /dev/urandom >"$tmp/c.bin"
head -c 1000 /dev/urandom >"$tmp/d.bin"
cli carol sendfile --timeout 60 olive "$tmp/c.bin" 2>"$tmp/sender1.out" &
sender1=$!
poll 10 shows olive "carol +↓ *│" || fail "no mark for carol's offer: $(cat "$tmp/sender1.out")"
cli dan sendfile --timeout 60 olive "$tmp/d.bin" 2>"$tmp/sender2.out" &
sender2=$!
wait_for olive "dan +↓ *│"
wait_for olive "2 files offered, by carol, dan"
shows olive "carol +↓ *│" || fail "carol's offer lost its mark"
kill "$sender1" "$sender2" 2>/dev/null
wait "$sender1" "$sender2" 2>/dev/null
pass "two offers: both marked ↓ in the sidebar, the notice names both"

finish
