# SPDX-License-Identifier: MIT
# Sourced by every tests/e2e/*.sh: a real relay, real full-screen clients
# in fixed-size tmux terminals, and stories that read like what a user
# sees. Every wait polls the screen with a deadline, never a fixed sleep.
#
#   . "$(dirname "$0")/lib.sh"
#   start "$1"                  # BUILD_DIR: relay, temp folder, tmux
#   client alice                # a full-screen client, 100x30
#   wait_for alice "connected"
#   pass "what the story showed"
#   finish                      # every client quits cleanly, stderr empty
#
# GENERATE=1 rewrites the golden screens (tests/e2e/golden/) instead of
# comparing with them; look at `git diff` before committing them.
set -u
export LC_ALL=C.UTF-8
e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$e2e_dir/../../scripts/relay.sh"
golden_dir=$e2e_dir/golden
e2e_name=$(basename "$0" .sh)
tmp=""
bin=""
port=""
sock=""
relays=""

cleanup() {
	local pid path

	if [ -n "$sock" ]; then
		path=${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock
		tm kill-server 2>/dev/null
		rm -f "$path"
	fi
	for pid in $relays; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

tm() { tmux -L "$sock" -f /dev/null "$@"; }
screen() { tm capture-pane -p -t "$1"; }
screen_e() { tm capture-pane -e -p -t "$1"; }
sessions() { tm list-sessions -F '#S' 2>/dev/null; }
size_of() { tm display-message -p -t "$1" '#{window_width}x#{window_height}'; }
pass() { echo "ok: $*"; }

# fail MESSAGE: say what went wrong, show every screen, the relays' last
# words and what the clients wrote to stderr, and stop the script.
fail() {
	local s f

	echo "FAIL: $*"
	for s in $(sessions); do
		echo "--- $s's screen ($(size_of "$s")):"
		screen "$s"
	done
	for f in "$tmp"/relay*.log "$tmp"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f"):"
		tail -n 20 "$f"
	done
	exit 1
}

# poll SECONDS COMMAND...: run COMMAND until it succeeds; 1 if it never
# does in time.
poll() {
	local deadline=$((SECONDS + $1))

	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.05
	done
}

shows() { screen "$1" | grep -qE -- "$2"; }
hides() { ! shows "$1" "$2"; }
row_shows() { screen "$1" | sed -n "$2p" | grep -qE -- "$3"; }

# wait_for SESSION REGEX [SECONDS]: until the screen matches.
wait_for() {
	poll "${3:-10}" shows "$1" "$2" ||
	    fail "$1's screen never showed /$2/"
}

# wait_gone SESSION REGEX [SECONDS]: until the screen no longer matches.
wait_gone() {
	poll "${3:-10}" hides "$1" "$2" ||
	    fail "$1's screen kept showing /$2/"
}

# wait_row SESSION ROW REGEX [SECONDS]: until screen row ROW (from 1)
# matches.
wait_row() {
	poll "${4:-10}" row_shows "$1" "$2" "$3" ||
	    fail "$1's row $2 never showed /$3/ (it shows: $(screen "$1" |
	        sed -n "$2p"))"
}

cursor_at() {
	[ "$(tm display-message -p -t "$1" '#{cursor_x},#{cursor_y}')" = "$2" ]
}

# wait_cursor SESSION X,Y: until the cursor is there (from 0,0), for keys
# that show nothing else, such as Home.
wait_cursor() {
	poll "${3:-10}" cursor_at "$1" "$2" ||
	    fail "$1's cursor never went to $2 (it is at $(tm display-message \
	        -p -t "$1" '#{cursor_x},#{cursor_y}'))"
}

# Keys: keys SESSION KEY... (tmux key names), text SESSION TEXT (literal),
# say SESSION TEXT (literal, then Enter), paste_text SESSION TEXT
# (bracketed, as a terminal pastes).
# tmux sends Home and End as ESC[1~ and ESC[4~ whatever TERM says; the
# clients' TERM is xterm-256color, so they are sent as an xterm sends them.
keys() {
	local s=$1 k

	shift
	for k in "$@"; do
		case $k in
		Home) tm send-keys -t "$s" -l $'\eOH' ;;
		End) tm send-keys -t "$s" -l $'\eOF' ;;
		*) tm send-keys -t "$s" "$k" ;;
		esac
	done
}
text() { tm send-keys -t "$1" -l -- "$2"; }
say() {
	text "$1" "$2"
	keys "$1" Enter
}
paste_text() {
	printf '%s' "$2" | tm load-buffer -
	tm paste-buffer -p -t "$1"
}

# relay [NAME [OPTIONS...]]: one more relay on 127.0.0.1 and a free port,
# its data and log in the temp folder, with more termgramd options. Sets
# port (and relay_pid). Every user of a story comes from 127.0.0.1: the
# per-address limits are lifted.
relay() {
	local name=${1:-relay}

	[ $# -gt 0 ] && shift
	relay_start "$bin" "$tmp/$name" "$tmp/$name.log" \
	    --max-per-address 0 --max-registrations 0 "$@" ||
	    fail "the relay $name did not start"
	relays="$relays $relay_pid"
	port=$relay_port
	"$bin/termgramd" --fingerprint --data "$tmp/$name" \
	    >"$tmp/fp-$port" 2>/dev/null || fail "no fingerprint of $name"
}

# trust NAME PORT: at NAME's first connection to the relay on PORT the
# client shows the relay's key and asks; check it is that relay's and say
# yes. A form-first client (--login) has it pinned beforehand instead.
trust() {
	local name=$1 p=$2 fp

	fp=$(cat "$tmp/fp-$p")
	grep -qs "^127.0.0.1:$p " "$tmp/$name/known_relays" && return 0
	wait_for "$name" "A relay not met before"
	shows "$name" "${fp:0:32}" || fail "$name was shown another relay key"
	text "$name" y
	wait_gone "$name" "A relay not met before"
}

# start BUILD_DIR [OPTIONS...]: a temp folder, a relay of its own (with
# these termgramd options) and a private tmux server, so scripts run side
# by side share nothing.
start() {
	bin=$(cd "$1" && pwd)
	shift
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-$e2e_name.XXXXXX")
	: >"$tmp/generated"
	sock="tg-$e2e_name-$$"
	# The server outlives its last session, so a client started right
	# after another quit does not meet a server on its way out.
	tm start-server \; set-option -g exit-empty off ||
	    fail "tmux did not start"
	relay relay "$@"
}

# client NAME [--size WxH] [--port P] [termgram options...]: NAME's
# full-screen client in a terminal of its own (100x30 unless told), with
# a home, a store and a stderr file in the temp folder. --login leaves
# --user out, so the login form comes up. --ask leaves the question about
# the relay's key at the first connection to the story.
client() {
	local name=$1 size=100x30 p=$port user cmd ask=""

	shift
	user="--user $name --data $tmp/$name"
	while [ $# -gt 0 ]; do
		case $1 in
		--size) size=$2; shift 2 ;;
		--port) p=$2; shift 2 ;;
		--login) user="--data $tmp/$name"; shift ;;
		--ask) ask=1; shift ;;
		*) break ;;
		esac
	done
	mkdir -p "$tmp/$name-home"
	cmd="env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_DOWNLOAD_DIR \
	    -u NO_COLOR -u TERMGRAM_PASSWORD -u LANG \
	    TERM=xterm-256color LC_ALL=C.UTF-8 TZ=UTC HOME=$tmp/$name-home \
	    $bin/termgram --port $p $user $* 2>>$tmp/$name.err;
	    echo \"EXITED \$?\"; sleep 600"
	if [ "$user" = "--data $tmp/$name" ]; then
		"$bin/termgram" trust --user "$name" --data "$tmp/$name" \
		    "127.0.0.1:$p" "$(cat "$tmp/fp-$p")" >/dev/null ||
		    fail "could not pin the relay for $name"
	fi
	tm new-session -d -x "${size%x*}" -y "${size#*x}" -s "$name" "$cmd" ||
	    fail "tmux could not start $name's terminal"
	[ -n "$ask" ] || [ "$user" = "--data $tmp/$name" ] || trust "$name" "$p"
}

# cli NAME COMMAND [ARGS...]: a headless termgram command as NAME.
cli() {
	local name=$1 cmd=$2

	shift 2
	"$bin/termgram" "$cmd" --port "$port" --user "$name" \
	    --data "$tmp/$name" "$@"
}

# register NAME...: the names exist on the relay before any client starts,
# so each client opens the same first conversation every time (the first
# other name, online ones first).
register() {
	local u

	for u in "$@"; do
		cli "$u" who >/dev/null || fail "$u could not register"
	done
}

# pair A B: A's and B's clients, each with the other's conversation open.
pair() {
	client "$1"
	client "$2"
	wait_row "$1" 1 "│  $2  online"
	wait_row "$2" 1 "│  $1  online"
}

# msg_row SESSION ROW TEXT: screen row ROW is the first line of a message
# TEXT ("name: body"), after its time. msg_at: until it is.
msg_row() { row_shows "$1" "$2" "^[^│]*│ [0-9]{2}:[0-9]{2} $3$"; }
msg_at() {
	poll 10 msg_row "$@" ||
	    fail "$1's row $2 never showed the message /$3/ (it shows: $(screen \
	        "$1" | sed -n "$2p"))"
}

# resize SESSION WxH [ROW REGEX]: the terminal changes size, as a user
# drags it; wait until the client has laid its screen out again: row ROW
# matches REGEX, or by default "too small" with the new size, or the
# status line's "F1 help" 12 columns from the new edge.
resize() {
	local w=${2%x*} h=${2#*x}

	tm resize-window -t "$1" -x "$w" -y "$h"
	[ "$(size_of "$1")" = "$2" ] || fail "$1's terminal is not $2"
	if [ $# -gt 2 ]; then
		wait_row "$1" "$3" "$4"
	elif [ "$w" -lt 60 ] || [ "$h" -lt 12 ]; then
		wait_for "$1" "^Terminal too small: ${w}x${h}"
	else
		wait_row "$1" $((h - 1)) "^.{$((w - 12))}F1 help$"
	fi
}

# relayout SESSION: one row more and back, so the client lays its screen
# out afresh.
relayout() {
	local size

	size=$(size_of "$1")
	resize "$1" "${size%x*}x$((${size#*x} + 1))"
	resize "$1" "$size"
}

# Golden screens, in the style of tmux's own regress tests: the screen as
# `capture-pane -p` gives it, and the cursor, with what changes from run to
# run made fixed: clock times, dates, the relay's port, the temp folder.
mask() {
	E2E_TMP=$tmp perl -CSD -Mutf8 -pe '
		BEGIN { $t = $ENV{E2E_TMP}; }
		s/\Q$t\E/TMP/g if $t ne "";
		# The port: always five columns wide, XXXXX; when it has
		# fewer or more digits the next gap of spaces makes up.
		s{127\.0\.0\.1:(\d+)(.*?)( {2,}|$)}{
			my ($d, $mid, $gap) = (length($1) - 5, $2, $3);
			$gap = " " x (length($gap) + $d) if $gap ne "";
			"127.0.0.1:XXXXX$mid$gap"
		}ge;
		# A date line: rules either side of the day, centred.
		s{(─*) ([A-Z][a-z]+ \d\d [A-Z][a-z]+ \d{4}) (─*)}{
			my $w = length($1) + length($2) + length($3) + 2;
			my $d = " DAY DD MONTH YYYY ";
			my $l = int(($w - length($d)) / 2);
			"─" x $l . $d . "─" x ($w - $l - length($d))
		}ge;
		s/(?<!\d)\d\d:\d\d(?!\d)/HH:MM/g;
	'
}

# shot SESSION [-e]: the screen, masked, then the cursor; with -e the
# attributes too, as escape sequences with ESC written ^[.
shot() {
	if [ "${2:-}" = -e ]; then
		screen_e "$1" | mask | sed 's/\x1b/^[/g'
	else
		screen "$1" | mask
	fi
	echo "cursor $(tm display-message -p -t "$1" '#{cursor_x},#{cursor_y}')"
}

# still SESSION PREV GOT [-e]: the screen stays PREV for a second.
still() {
	local i

	for i in $(seq 20); do
		same_shot "$@" || {
			cp "$3" "$2"
			return 1
		}
		sleep 0.05
	done
}

same_shot() {
	shot "$1" "${4:-}" >"$3"
	cmp -s "$2" "$3"
}

# golden [-e] SESSION NAME: the screen must become golden/NAME-WxH.txt
# (WxH the terminal's size; with -e, attributes and colours included:
# NAME-WxH.attr.txt); on a timeout the difference is shown. With
# GENERATE=1 the file is written from the screen once it is still.
golden() {
	local e="" ext=txt file got prev

	if [ "$1" = -e ]; then
		e=-e
		ext=attr.txt
		shift
	fi
	file=$golden_dir/$2-$(size_of "$1").$ext
	got=$tmp/golden.got
	if [ -n "${GENERATE:-}" ] && ! grep -qxF "$file" "$tmp/generated"; then
		# Still for a second: the client has drawn all it will.
		prev=$tmp/golden.prev
		shot "$1" $e >"$prev"
		poll 10 still "$1" "$prev" "$got" $e ||
		    fail "$1's screen did not keep still for $file"
		mkdir -p "$golden_dir"
		cp "$got" "$file"
		echo "$file" >>"$tmp/generated"
		echo "generated: ${file#$e2e_dir/}"
		return 0
	fi
	[ -f "$file" ] || fail "no golden screen $file (GENERATE=1 makes it)"
	poll 10 same_shot "$1" "$file" "$got" $e && return 0
	echo "--- ${file#$e2e_dir/} vs $1's screen:"
	diff -u "$file" "$got" | tail -n +3
	fail "$1's screen is not ${file#$e2e_dir/}"
}

# quit SESSION: Ctrl-C, and the client gives the terminal back with 0.
quit() {
	keys "$1" C-c
	wait_for "$1" "^EXITED 0"
}

# finish: every client still running quits with Ctrl-C and exits 0, and
# none wrote to stderr (the sanitizers write there).
finish() {
	local s f pid bad=0

	for s in $(sessions); do
		if shows "$s" "termgram — log in"; then
			keys "$s" Escape
			wait_for "$s" "^EXITED 0"
		fi
		shows "$s" "^EXITED" || quit "$s"
		shows "$s" "^EXITED 0" || fail "$s's client did not exit 0"
	done
	for f in "$tmp"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f" .err) wrote to stderr:"
		cat "$f"
		bad=1
	done
	[ $bad -eq 0 ] || fail "a client wrote to stderr"
	# The relays stop on SIGTERM with 0, and no sanitizer spoke.
	for pid in $relays; do
		kill -TERM "$pid" 2>/dev/null || continue
		wait "$pid" || fail "a relay exited with $? on SIGTERM"
	done
	if grep -lE "Sanitizer|runtime error" "$tmp"/relay*.log; then
		fail "a relay's sanitizers found something"
	fi
	relays=""
	echo "$e2e_name: all passed"
}

# open_convo SESSION NAME: the sidebar's top (Up), then Down to NAME.
open_convo() {
	local i

	keys "$1" Up Up Up Up Up
	for i in 1 2 3 4 5 6 7 8; do
		poll 2 row_shows "$1" 1 "│  $2  " && return 0
		keys "$1" Down
	done
	fail "$1 could not open $2's conversation"
}
