#!/bin/sh
# SPDX-License-Identifier: MIT
# What an admin gets: a build for the prefix /usr installed into a
# DESTDIR (the file list, exactly), the man pages linted, the systemd unit
# verified and its exposure scored, the installed relay started with the
# installed configuration, and the .deb built and its file list checked.
# usage: install.sh SOURCE_DIR
set -u
src=$(cd "$1" && pwd)
tmp=$(mktemp -d)
pid=""
start=$(date +%s)
. "$(dirname "$0")/../lib/check.sh"
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# The files the package installs, in `find | sort` order.
expected="/etc/termgram/termgramd.conf
/usr/bin/termgram
/usr/bin/termgramd
/usr/lib/systemd/system/termgramd.service
/usr/share/doc/termgram/LICENSE
/usr/share/doc/termgram/README.md
/usr/share/doc/termgram/copyright
/usr/share/doc/termgram/p2p.md
/usr/share/doc/termgram/protocol.md
/usr/share/doc/termgram/relay.md
/usr/share/doc/termgram/tls.md
/usr/share/doc/termgram/ui.md
/usr/share/man/man1/termgram.1
/usr/share/man/man8/termgramd.8
/usr/share/termgram/config.default"

# 1. Build for /usr, only the installed programs (no optimisation: fast).
cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
    >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
ninja -C "$tmp/build" termgram termgramd >"$tmp/ninja.log" 2>&1 ||
    { cat "$tmp/ninja.log"; exit 1; }

# 2. cmake --install into a DESTDIR: exactly the expected files.
root=$tmp/root
DESTDIR=$root cmake --install "$tmp/build" >/dev/null || exit 1
got=$(cd "$root" && find . -type f -o -type l | sed 's/^\.//' | sort)
if [ "$got" != "$expected" ]; then
	fail "installed files differ from the expected list:"
	printf '%s\n' "$expected" >"$tmp/want"
	printf '%s\n' "$got" | diff "$tmp/want" - >&2
fi
echo "install: $(printf '%s\n' "$got" | wc -l) files under DESTDIR"

# 3. The man pages: no warning from mandoc, nor from man (groff).
command -v mandoc >/dev/null ||
    fail "mandoc is missing (sh scripts/deps.sh installs it)"
for m in man1/termgram.1 man8/termgramd.8; do
	mandoc -T lint -W warning "$root/usr/share/man/$m" >&2 ||
	    fail "mandoc -T lint: $m"
	w=$(man --warnings -l "$root/usr/share/man/$m" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "man --warnings: $m: $w"
done
echo "install: man pages lint clean"

# 4. The unit: systemd-analyze verify, on a copy whose ExecStart is the
# staged binary (verify checks that it exists); its man page from DESTDIR.
if ! command -v systemd-analyze >/dev/null; then
	fail "systemd-analyze is missing (sh scripts/deps.sh installs systemd)"
else
	mkdir "$tmp/unit"
	sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" \
	    "$root/usr/lib/systemd/system/termgramd.service" \
	    >"$tmp/unit/termgramd.service"
	MANPATH=$root/usr/share/man systemd-analyze verify \
	    "$tmp/unit/termgramd.service" >&2 || fail "systemd-analyze verify"
	score=$(systemd-analyze security --offline=yes \
	    "$tmp/unit/termgramd.service" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "install: unit verified; systemd-analyze security exposure ${score:-?}"
	case $score in
	0.* | 1.*) ;;
	*) fail "the unit's exposure is ${score:-unknown}, over 2.0" ;;
	esac
	grep -q '^ExecReload=/bin/kill -HUP $MAINPID$' \
	    "$root/usr/lib/systemd/system/termgramd.service" ||
	    fail "the unit has no ExecReload sending SIGHUP"
fi

# 5. The installed relay with the installed configuration: the example
# is read (every key at its default) and the relay listens.
conf=$root/etc/termgram/termgramd.conf
"$root/usr/bin/termgramd" --config "$conf" --check-config >"$tmp/check" ||
    fail "termgramd --check-config refuses the installed configuration"
"$root/usr/bin/termgramd" --config "$conf" --bind 127.0.0.1 --port 0 \
    --tls off --data "$tmp/data" 2>"$tmp/relay.log" &
pid=$!
wait_for "$tmp/relay.log" ' info listening on 127.0.0.1:' &&
    grep -q "info configuration: $conf" "$tmp/relay.log" ||
    fail "the relay did not say it read $conf: $(cat "$tmp/relay.log")"
kill "$pid"
wait "$pid"
pid=""

# 6. The Debian package: its name, file list, dependencies, conffile.
(cd "$tmp/build" && cpack -G DEB >"$tmp/cpack.log" 2>&1) ||
    { cat "$tmp/cpack.log"; exit 1; }
arch=$(dpkg --print-architecture)
deb=$(ls "$tmp/build"/termgram_*_"$arch".deb 2>/dev/null)
if [ -z "$deb" ]; then
	fail "no termgram_VERSION_$arch.deb"
else
	got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' |
	    sed 's/^\.//' | sort)
	[ "$got" = "$expected" ] || fail "the .deb's files differ:
$got"
	deps=$(dpkg-deb -f "$deb" Depends)
	for d in libsqlite3-0 libsodium23 libssl3 libncursesw6 libb64-0d; do
		case $deps in *"$d"*) ;; *) fail "Depends lacks $d: $deps" ;; esac
	done
	dpkg-deb -e "$deb" "$tmp/control"
	grep -qx /etc/termgram/termgramd.conf "$tmp/control/conffiles" ||
	    fail "the configuration is not a conffile"
	for s in postinst prerm postrm; do
		sh -n "$tmp/control/$s" || fail "$s is not a shell script"
	done
	# apt resolves its dependencies (a simulation: nothing is installed).
	if command -v apt-get >/dev/null; then
		apt-get install -s "$deb" >"$tmp/apt.log" 2>&1 ||
		    fail "apt-get install -s: $(tail -5 "$tmp/apt.log")"
	fi
	echo "install: $(basename "$deb"), $(printf '%s\n' "$got" | wc -l) files; Depends: $deps"
fi
echo "install: done in $(($(date +%s) - start)) s"
[ $fails -eq 0 ] && echo "install: all checks passed"
exit $((fails > 0))
