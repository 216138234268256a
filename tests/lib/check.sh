# SPDX-License-Identifier: MIT
# What the shell tests outside tests/e2e share: counting failures,
# skipping, waiting for a line in a file. Sourced (POSIX sh); the script
# sets tmp and tests $fails at its end.
fails=0

# fail TEXT...: say it, count it, go on.
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# skip TEXT...: the machine cannot run this test (ctest's SKIP code 77).
skip() {
	echo "SKIP: $*"
	exit 77
}

# wait_for FILE PATTERN [SECONDS]: poll (10 s by default) until FILE has
# a line with PATTERN; a failure, with the file, otherwise.
wait_for() {
	for _ in $(seq $((${3:-10} * 20))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no '$2' in $1"
	[ -f "$1" ] && cat "$1" >&2
	return 1
}
