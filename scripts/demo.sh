#!/bin/sh
# Install what is missing, build, and show what termgram has so far.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
echo
echo "termgram is built in build/release:"
ls build/release | grep -E '^(termgram|test_|fuzz)' | sed 's/^/  /'
echo "The relay and the client come next; run the tests with: sh scripts/test.sh"
