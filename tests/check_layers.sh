#!/bin/sh
# SPDX-License-Identifier: MIT
# Layers point down only (docs/architecture.md): fail on any include that
# reaches sideways or up. Frames are built by proto/ only: fail on a frame
# literal elsewhere in src/. Every unit test runs: fail on a
# tests/**/test_*.c that CMake does not register.
src=${1:-src}
root=$(dirname "$src")
status=0
check() { # folder, forbidden include pattern, why
	[ -d "$src/$1" ] || return 0
	hits=$(grep -rEn "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$src/$1")
	if [ -n "$hits" ]; then
		echo "src/$1 includes what its layer must not ($3):"
		printf '%s\n' "$hits"
		status=1
	fi
}
check util '(curses|ncurses|sys/socket|poll\.h|sqlite3|sodium|b64/|(proto|net|server|client|ui)/)' 'util is the base: libc only'
check proto '(curses|ncurses|sys/socket|poll\.h|sqlite3|sodium|stdio_ext|unistd\.h|time\.h|(net|server|client|ui|util)/)' 'proto is pure: no I/O, no upper layers'
check db '(curses|ncurses|sys/socket|netinet/|arpa/inet|poll\.h|sodium|b64/|(proto|net|server|client|ui)/)' 'db is SQLite over util: no sockets, no chat, no UI'
check net '(curses|ncurses|sqlite3|sodium|b64/|(proto|server|client|ui)/)' 'net knows nothing of chat, storage or the UI'
check server '(curses|ncurses|(client|ui)/)' 'the relay never links the client or curses'
check client '(curses|ncurses|(server|ui)/)' 'the client core never includes curses'
check cmd '(curses|ncurses|openssl/|sys/socket|netinet/|arpa/inet|poll\.h|sqlite3|sodium|(server|ui)/|net/(conn|sock|buf|tls|identity)\.h)' 'the headless commands use client/, and of net/ only the loop'
check ui '(openssl/|sys/socket|netinet/|arpa/inet|poll\.h|sqlite3|(server|net|proto|db|cmd)/)' 'the UI never touches a socket, the store or the other front end'

# A C string that starts with a verb of the schema table followed by '|',
# a line end or its closing quote ("BYE|%s\n", "SYNCED\n", "PONG") is a
# frame built by hand: proto/build.h has a builder for it.
verbs=$(sed -n 's/.*\[PROTO_V_[A-Z]*\] = {"\([A-Z]*\)".*/\1/p' \
	"$src/proto/schema.c" | paste -s -d '|' -)
if [ -z "$verbs" ]; then
	echo "no verbs found in $src/proto/schema.c"
	status=1
else
	hits=$(find "$src" -name '*.[ch]' ! -path "$src/proto/*" -exec \
		grep -En "\"($verbs)(\||\\\\[nr]|\")" /dev/null {} +)
	if [ -n "$hits" ]; then
		echo "frames built by hand outside proto/ (use proto/build.h):"
		printf '%s\n' "$hits"
		status=1
	fi
fi

# Every test program in tests/ must be registered, or it never runs.
for t in $(cd "$root" && find tests -name 'test_*.c' | sort); do
	if ! grep -qF "$t" "$root/cmake/Tests.cmake" "$root/CMakeLists.txt" \
	    2>/dev/null; then
		echo "$t is not registered in cmake/Tests.cmake"
		status=1
	fi
done
exit $status
