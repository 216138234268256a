#!/bin/sh
# SPDX-License-Identifier: MIT
# Run a libFuzzer binary for a bounded time on a copy of the seed corpus.
# Any crash, leak or sanitizer report fails the test; the reproducer is
# left in the build folder as fuzz-crash-*.
set -u
bin=$1
seeds=$2
seconds=${3:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/termgram-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$seeds"/* "$work/corpus/"
TMPDIR="$work" "$bin" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$(pwd)/fuzz-crash-" \
    "$work/corpus" >"$work/log" 2>&1
rc=$?
grep -E 'DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$work/log"
echo "corpus: $(ls "$work/corpus" | wc -l) inputs"
if [ $rc -ne 0 ]; then
	tail -n 60 "$work/log"
	echo "fuzzer failed with status $rc"
fi
exit $rc
