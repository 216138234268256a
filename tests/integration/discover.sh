#!/bin/sh
# SPDX-License-Identifier: MIT
# Two relays on one LAN: three network namespaces (a client, relays A
# and B) joined by a bridge in a fourth, on 10.77.0.0/24, which exists
# only inside them; the test makes and removes them. The client's
# `termgram discover` sees both relays with their names and
# fingerprints; with B stopped, commands given no --host find A alone
# and a message goes through it, over TLS. Needs root and `ip netns`:
# exit 77 (skipped) with the reason otherwise.
# usage: discover.sh BUILD_DIR
# TERMGRAMD, TERMGRAM and TERMGRAMD_CONF run other programs (installed
# ones) and the relays with a configuration file (default none).
set -u
bin=$1
relay_bin=${TERMGRAMD:-$bin/termgramd}
conf=${TERMGRAMD_CONF:-/dev/null}
client_bin=${TERMGRAM:-$bin/termgram}
tmp=$(mktemp -d)
tag=tgd$$
br=${tag}br
pids=""
. "$(dirname "$0")/../lib/check.sh"
tmux_on=""

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for n in c a b br; do
		ip netns del "$tag$n" 2>/dev/null
	done
	[ -n "$tmux_on" ] && tmux -L "$tag" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || skip "needs root to make network namespaces"
command -v ip >/dev/null 2>&1 || skip "no ip command (iproute2)"
ip netns add "$br" 2>"$tmp/netns.err" ||
    skip "ip netns add does not work here: $(cat "$tmp/netns.err")"

# The LAN: a bridge in its own namespace, a veth from it into each host.
ip -n "$br" link add br0 type bridge || skip "no bridge device here"
ip -n "$br" link set br0 up
n=1
for h in c a b; do
	ip netns add "$tag$h" || fail "ip netns add $tag$h"
	ip -n "$br" link add "v$h" type veth peer name eth0 netns "$tag$h" ||
	    skip "no veth device here"
	ip -n "$br" link set "v$h" master br0 up
	ip -n "$tag$h" link set lo up
	ip -n "$tag$h" addr add "10.77.0.$n/24" broadcast 10.77.0.255 dev eth0
	ip -n "$tag$h" link set eth0 up
	n=$((n + 1))
done

# run_in HOST CMD...: run CMD in a host's namespace, HOME in the temp folder.
run_in() {
	h=$1
	shift
	HOME="$tmp/home" ip netns exec "$tag$h" "$@"
}

# Each relay: its key, then the relay on 7733 under its name.
for h in a b; do
	run_in $h "$relay_bin" --fingerprint --data "$tmp/$h" \
	    >"$tmp/$h.fp" 2>"$tmp/$h.err" ||
	    fail "termgramd --fingerprint: $(cat "$tmp/$h.err")"
	# Not through run_in: $! must be the relay itself, to stop it.
	HOME="$tmp/home" ip netns exec "$tag$h" "$relay_bin" \
	    --data "$tmp/$h" --name "relay-$h" --config "$conf" \
	    2>"$tmp/$h.log" &
	pids="$pids $!"
	eval "pid_$h=$!"
done
fpa=$(tr -d '\n' <"$tmp/a.fp")
fpb=$(tr -d '\n' <"$tmp/b.fp")
wait_for "$tmp/a.log" listening 20
wait_for "$tmp/b.log" listening 20

# 1. discover lists both, each once, with name, address and fingerprint.
start=$(date +%s%N)
run_in c "$client_bin" discover --wait 1500 >"$tmp/disc.out" 2>"$tmp/disc.err" ||
    fail "discover: exit $? $(cat "$tmp/disc.err")"
ms=$((($(date +%s%N) - start) / 1000000))
grep -qx "relay-a	10.77.0.2:7733	$fpa	-" "$tmp/disc.out" ||
    fail "discover: relay-a missing"
grep -qx "relay-b	10.77.0.3:7733	$fpb	-" "$tmp/disc.out" ||
    fail "discover: relay-b missing"
[ "$(wc -l <"$tmp/disc.out")" -eq 2 ] || fail "discover: not 2 lines"
echo "discover: $(wc -l <"$tmp/disc.out") relays listed in $ms ms:"
cat "$tmp/disc.out"

# 2. Two relays: a command without --host lists them and stops.
run_in c "$client_bin" who --user bob --data "$tmp/bob" --wait 1500 \
    >/dev/null 2>"$tmp/two.err" && fail "who with two relays: exit 0"
grep -q "2 relays answered; choose one with --host" "$tmp/two.err" ||
    fail "two relays: $(cat "$tmp/two.err")"
grep -q "relay-a	10.77.0.2:7733" "$tmp/two.err" ||
    fail "two relays: relay-a not listed"

# 3. The full-screen client given no relay lists both under the relay
# field; Down picks B's address.
if command -v tmux >/dev/null 2>&1; then
	tmux_on=1
	tmux -L "$tag" -f /dev/null new-session -d -s tui -x 100 -y 30 \
	    "HOME=$tmp/home TERM=xterm-256color LC_ALL=C.UTF-8 ip netns exec \
	    $tag""c $client_bin --user carol --data $tmp/carol 2>$tmp/tui.err"
	tui_shows() {
		for _ in $(seq 400); do
			tmux -L "$tag" capture-pane -p -t tui >"$tmp/tui.screen"
			grep -qE -- "$1" "$tmp/tui.screen" && return 0
			sleep 0.05
		done
		fail "the login form never showed '$1':"
		cat "$tmp/tui.screen" >&2
		return 1
	}
	tui_shows "Relays on this LAN" &&
	    tui_shows " > relay-a +10\.77\.0\.2:7733 +$(echo "$fpa" | cut -c1-15)" &&
	    tui_shows "   relay-b +10\.77\.0\.3:7733 +$(echo "$fpb" | cut -c1-15)" &&
	    tui_shows "Relay +10\.77\.0\.2:7733"
	tmux -L "$tag" send-keys -t tui Down
	tui_shows " > relay-b" && tui_shows "Relay +10\.77\.0\.3:7733" &&
	    echo "discover: the login form lists both relays; Down picks relay-b"
	tmux -L "$tag" send-keys -t tui Escape
else
	echo "discover: no tmux, the login form's list not checked"
fi

# 4. B stops; bob and alice find A alone and a message goes through it.
kill "$pid_b"
wait "$pid_b" 2>/dev/null
run_in c "$client_bin" who --user bob --data "$tmp/bob" --wait 1500 \
    >/dev/null 2>"$tmp/who.err" || fail "who: $(cat "$tmp/who.err")"
grep -q "using the relay that answered, relay-a at 10.77.0.2:7733, key $fpa$" \
    "$tmp/who.err" || fail "who did not say which relay: $(cat "$tmp/who.err")"
run_in c "$client_bin" send --user alice --data "$tmp/alice" --wait 1500 \
    bob "found you" 2>"$tmp/send.err" || fail "send: $(cat "$tmp/send.err")"
run_in c "$client_bin" recv --user bob --data "$tmp/bob" --wait 1500 \
    --count 1 --timeout 20 >"$tmp/recv.out" 2>"$tmp/recv.err" ||
    fail "recv: $(cat "$tmp/recv.err")"
grep -q "	alice	found you$" "$tmp/recv.out" ||
    fail "recv: $(cat "$tmp/recv.out")"
run_in c "$client_bin" discover --user bob --data "$tmp/bob" --wait 1500 \
    >"$tmp/pinned.out" 2>&1
grep -qx "relay-a	10.77.0.2:7733	$fpa	pinned" "$tmp/pinned.out" ||
    fail "discover after the login: $(cat "$tmp/pinned.out")"
[ $fails -eq 0 ] || exit 1
echo "discover: two relays seen, the one left found without --host"
