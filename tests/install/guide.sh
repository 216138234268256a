#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's hosting guide, followed step by step as far as a test
# machine allows, each command checked to be in README.md as written:
#   1. install: the package built as the guide says, its dependencies
#      resolved by apt (simulated), and unpacked into a temporary root;
#   2. the service: the unit verified, then its ExecStart run as the unit
#      would run it (an unprivileged user in place of DynamicUser, its
#      Environment and UMask, the installed configuration), in a network
#      namespace that stands for the box;
#   3. the firewall: a box whose input policy is drop, which hides the
#      relay until the guide's two nft rules are added;
#   4. the fingerprint, read as the guide says, leaving the store the
#      service's user's;
#   5. a client on another namespace (the LAN: a veth pair on
#      10.78.0.0/24, which exists only inside them) discovers the relay
#      with that fingerprint and chats through it without --host;
# then the administration the guide shows: users, and a backup restored
# into the stopped relay by root, after which the service starts again.
# What differs from a real box: no systemd as PID 1 (nothing is enabled),
# paths under the temporary root (--config and --data point there), the
# test subnet in place of 192.168.1.0/24. Needs root, ip netns and nft:
# exit 77 (skipped) with the reason otherwise.
# usage: guide.sh SOURCE_DIR
set -u
src=$(cd "$1" && pwd)
tmp=$(mktemp -d)
tag=tgg$$
pid=""
. "$(dirname "$0")/../lib/check.sh"
start=$(date +%s)

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	ip netns del "${tag}r" 2>/dev/null
	ip netns del "${tag}c" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# in_readme LINE: the guide has this command, as written.
in_readme() {
	grep -qF -- "$1" "$src/README.md" || fail "README.md no longer says: $1"
}

[ "$(id -u)" -eq 0 ] || skip "needs root (a service user, namespaces)"
command -v ip >/dev/null 2>&1 || skip "no ip command (iproute2)"
command -v nft >/dev/null 2>&1 || skip "no nft (sh scripts/deps.sh installs nftables)"
command -v setpriv >/dev/null 2>&1 || skip "no setpriv (util-linux)"
ip netns add "${tag}r" 2>"$tmp/netns.err" ||
    skip "ip netns add does not work here: $(cat "$tmp/netns.err")"
ip netns add "${tag}c" || skip "ip netns add ${tag}c"
ip -n "${tag}r" link add eth0 type veth peer name eth0 netns "${tag}c" ||
    skip "no veth device here"
for h in r c; do
	ip -n "$tag$h" link set lo up
done
ip -n "${tag}r" addr add 10.78.0.1/24 broadcast 10.78.0.255 dev eth0
# The client's address is given no broadcast address (`ip addr add`
# without `brd`, as people type it): discovery works it out.
ip -n "${tag}c" addr add 10.78.0.2/24 dev eth0
ip -n "${tag}r" link set eth0 up
ip -n "${tag}c" link set eth0 up
nft_r() {
	ip netns exec "${tag}r" nft "$@"
}
nft_r add table inet filter 2>"$tmp/nft.err" ||
    skip "nft does not work here: $(cat "$tmp/nft.err")"
chmod 0755 "$tmp"

# 1. Install: the package, as the guide builds it.
in_readme "sh scripts/deps.sh"
in_readme "cmake -S . -B build/pkg -G Ninja -DCMAKE_INSTALL_PREFIX=/usr"
in_readme "ninja -C build/pkg termgram termgramd && (cd build/pkg && cpack -G DEB)"
in_readme "apt install ./build/pkg/termgram_*.deb"
(cd "$src" && cmake -S . -B "$tmp/pkg" -G Ninja -DCMAKE_INSTALL_PREFIX=/usr \
    >"$tmp/cmake.log" 2>&1 &&
    ninja -C "$tmp/pkg" termgram termgramd >"$tmp/ninja.log" 2>&1 &&
    cd "$tmp/pkg" && cpack -G DEB >"$tmp/cpack.log" 2>&1) ||
    { cat "$tmp/cmake.log" "$tmp/ninja.log" "$tmp/cpack.log" 2>/dev/null; exit 1; }
deb=$(ls "$tmp/pkg"/termgram_*.deb)
# What apt would do with it: resolve its dependencies (simulated, so the
# machine is not changed), then unpack it; here into the root.
apt-get install -s "$deb" >"$tmp/apt.log" 2>&1 ||
    fail "apt cannot install $(basename "$deb"): $(tail -5 "$tmp/apt.log")"
root=$tmp/root
dpkg-deb -x "$deb" "$root" || exit 1
relayd=$root/usr/bin/termgramd
client=$root/usr/bin/termgram
conf=$root/etc/termgram/termgramd.conf
unit=$root/usr/lib/systemd/system/termgramd.service
echo "guide: 1. $(basename "$deb") built in $(($(date +%s) - start)) s; apt would install it"

# 2. The service: the unit as systemd would take it, then its ExecStart.
in_readme "systemctl enable --now termgramd"
mkdir "$tmp/unit"
sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" "$unit" \
    >"$tmp/unit/termgramd.service"
MANPATH=$root/usr/share/man systemd-analyze verify \
    "$tmp/unit/termgramd.service" >&2 || fail "systemd-analyze verify"
exec_start=$(sed -n 's|^ExecStart=||p' "$unit")
[ "$exec_start" = /usr/bin/termgramd ] ||
    fail "ExecStart is '$exec_start', not what the test runs"
grep -qx "Environment=XDG_STATE_HOME=/var/lib" "$unit" ||
    fail "the unit's Environment changed"
grep -qx "StateDirectory=termgram" "$unit" || fail "no StateDirectory"
grep -qx "data = /var/lib/termgram" "$conf" ||
    fail "the installed configuration does not name the service's store"
grep -qx "UMask=0077" "$unit" || fail "the unit's UMask changed"
# StateDirectory with DynamicUser, as systemd makes it: the store in
# /var/lib/private/termgram (0700, the service's user's) under
# /var/lib/private (0700, root's), and /var/lib/termgram a link to it.
state=$root/var/lib/termgram
priv=$root/var/lib/private
mkdir -p "$priv/termgram" "$tmp/bind"
ln -s private/termgram "$state"
chmod 0700 "$priv" "$priv/termgram"
chown nobody:nogroup "$priv/termgram"
# service: the unit's command line under its user, in the box's namespace
# (its log in journal, and journal.N for this start).
starts=0
service() {
	starts=$((starts + 1))
	# The service sees /var/lib/private as systemd shows it to it: a
	# tmpfs it may cross, holding its own folder alone.
	ip netns exec "${tag}r" unshare -m --propagation private sh -c '
	    mount --bind "$1/termgram" "$2" &&
	    mount -t tmpfs -o mode=0755 tmpfs "$1" &&
	    mkdir "$1/termgram" && mount --bind "$2" "$1/termgram" &&
	    shift 2 && exec "$@"' sh "$priv" "$tmp/bind" \
	    env -i PATH=/usr/bin:/bin XDG_STATE_HOME="$root/var/lib" \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    sh -c 'umask 0077; exec "$@"' sh \
	    "$relayd" --config "$conf" --data "$state" \
	    2>"$tmp/journal.$starts" &
	pid=$!
	wait_for "$tmp/journal.$starts" "info listening on 0.0.0.0:7733" 20
	cat "$tmp/journal.$starts" >>"$tmp/journal"
}
service
in_readme "journalctl -u termgramd"
grep -q "^20[0-9-]*T[0-9:.]*Z info configuration: $conf" "$tmp/journal" ||
    fail "the log does not say, timestamped, which configuration it read"
echo "guide: 2. the service runs as nobody: $(grep -o 'info listening on 0.0.0.0:7733.*' "$tmp/journal" | head -1)"

# 3. The firewall: a box that drops what it was not told to take.
nft_r add chain inet filter input \
    '{ type filter hook input priority 0; policy drop; }'
nft_r add rule inet filter input ct state established,related accept
nft_r add rule inet filter input iif lo accept
run_c() {
	HOME=$tmp/home ip netns exec "${tag}c" "$@"
}
run_c "$client" discover --user alice --data "$tmp/alice" --wait 1000 \
    >"$tmp/closed.out" 2>"$tmp/closed.err"
grep -q "10.78.0.1:7733" "$tmp/closed.out" &&
    fail "discover sees the relay through a closed firewall"
rules=$(sed -n 's/^ *nft add rule inet filter input ip saddr 192\.168\.1\.0\/24 \(.*\)$/\1/p' \
    "$src/README.md")
[ "$(printf '%s\n' "$rules" | grep -c .)" -eq 2 ] ||
    fail "README.md does not have the two nft rules: $rules"
printf '%s\n' "$rules" | while read -r rule; do
	# shellcheck disable=SC2086
	nft_r add rule inet filter input ip saddr 10.78.0.0/24 $rule ||
	    echo "FAIL: nft rejects: $rule" >&2
done
echo "guide: 3. closed firewall: discover found nothing; opened with: $(printf '%s\n' "$rules" | tr '\n' ';')"

# 4. The fingerprint, read on the box as the guide says.
in_readme "termgramd --fingerprint"
fp=$("$relayd" --config "$conf" --data "$state" --fingerprint 2>"$tmp/fp.err")
[ -n "$fp" ] || fail "termgramd --fingerprint: $(cat "$tmp/fp.err")"
owner=$(stat -c %U "$state/relay.key" "$state/relay.db" | sort -u)
[ "$owner" = nobody ] || fail "the store's files are not the service's: $owner"
echo "guide: 4. fingerprint $fp"

# 5. A client on the LAN: discovers it, pins it, chats through it.
in_readme "termgram discover --user alice"
run_c "$client" discover --user alice --data "$tmp/alice" --wait 1500 \
    >"$tmp/disc.out" 2>"$tmp/disc.err" ||
    fail "discover: $(cat "$tmp/disc.err")"
grep -qx "$(hostname)	10.78.0.1:7733	$fp	new" "$tmp/disc.out" ||
    fail "discover: $(cat "$tmp/disc.out")"
echo "guide: 5. termgram discover --user alice"
sed 's/^/           /' "$tmp/disc.out"
run_c "$client" who --user bob --data "$tmp/bob" --wait 1500 \
    >/dev/null 2>"$tmp/who.err" || fail "who: $(cat "$tmp/who.err")"
run_c "$client" send --user alice --data "$tmp/alice" --wait 1500 bob \
    "hello from the guide" 2>"$tmp/send.err" ||
    fail "send: $(cat "$tmp/send.err")"
grep -q "$fp" "$tmp/send.err" ||
    fail "send did not show the key it pinned: $(cat "$tmp/send.err")"
run_c "$client" recv --user bob --data "$tmp/bob" --wait 1500 --count 1 \
    --timeout 20 >"$tmp/recv.out" 2>"$tmp/recv.err" ||
    fail "recv: $(cat "$tmp/recv.err")"
grep -q "	alice	hello from the guide$" "$tmp/recv.out" ||
    fail "recv: $(cat "$tmp/recv.out")"
echo "guide:    alice -> bob through it: $(cut -f2- "$tmp/recv.out")"

# Administration: users; a backup; restored by root into the stopped
# relay, which starts again as its user and still knows alice.
in_readme "termgramd admin users"
admin() {
	"$relayd" --config "$conf" --data "$state" admin "$@"
}
admin users >"$tmp/users.out" 2>"$tmp/users.err" ||
    fail "admin users: $(cat "$tmp/users.err")"
grep -q "^alice " "$tmp/users.out" && grep -q "^bob " "$tmp/users.out" ||
    fail "admin users: $(cat "$tmp/users.out")"
admin backup "$state/backup.db" >/dev/null 2>"$tmp/backup.err" ||
    fail "admin backup: $(cat "$tmp/backup.err")"
kill "$pid"
wait "$pid"
pid=""
admin restore "$state/backup.db" >/dev/null 2>"$tmp/restore.err" ||
    fail "admin restore: $(cat "$tmp/restore.err")"
grep -q "admin (uid 0): restored $state/relay.db from $state/backup.db" \
    "$tmp/restore.err" || fail "the restore's log line: $(cat "$tmp/restore.err")"
owner=$(stat -c %U "$state"/relay.db* | sort -u)
[ "$owner" = nobody ] || fail "after the restore, the store is $owner's"
service
run_c "$client" send --user alice --data "$tmp/alice" --wait 1500 bob \
    "after the restore" 2>"$tmp/send2.err" ||
    fail "send after the restore: $(cat "$tmp/send2.err") $(cat "$tmp/journal.2")"
echo "guide:    admin users, backup, restore by root: the service starts again as nobody"
[ $fails -eq 0 ] || exit 1
echo "guide: followed in $(($(date +%s) - start)) s"
