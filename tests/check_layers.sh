#!/bin/sh
# Layers point down only (docs/architecture.md): fail on any include that
# reaches sideways or up.
src=${1:-src}
status=0
check() { # folder, forbidden include pattern, why
	[ -d "$src/$1" ] || return 0
	hits=$(grep -rEn "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$src/$1")
	if [ -n "$hits" ]; then
		echo "src/$1 includes what its layer must not ($3):"
		echo "$hits"
		status=1
	fi
}
check util '(curses|ncurses|sys/socket|poll\.h|sqlite3|sodium|b64/|(proto|net|server|client|ui)/)' 'util is the base: libc only'
check proto '(curses|ncurses|sys/socket|poll\.h|sqlite3|sodium|stdio_ext|unistd\.h|time\.h|(net|server|client|ui|util)/)' 'proto is pure: no I/O, no upper layers'
check db '(curses|ncurses|sys/socket|netinet/|arpa/inet|poll\.h|sodium|b64/|(proto|net|server|client|ui)/)' 'db is SQLite over util: no sockets, no chat, no UI'
check net '(curses|ncurses|sqlite3|sodium|b64/|(proto|server|client|ui)/)' 'net knows nothing of chat, storage or the UI'
check server '(curses|ncurses|(client|ui)/)' 'the relay never links the client or curses'
check client '(curses|ncurses|(server|ui)/)' 'the client core never includes curses'
check cmd '(curses|ncurses|sys/socket|netinet/|arpa/inet|poll\.h|sqlite3|sodium|(server|ui)/|net/(conn|sock|buf)\.h)' 'the headless commands use client/, and of net/ only the loop'
check ui '(sys/socket|netinet/|arpa/inet|poll\.h|sqlite3|(server|net|proto)/)' 'the UI never touches a socket'
exit $status
