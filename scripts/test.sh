#!/bin/sh
# The whole test suite, as CI runs it: dependencies, a format check, a
# warnings-as-errors gcc build, then every test (unit, integration, layer
# rule, fuzzer) under AddressSanitizer and UndefinedBehaviorSanitizer with
# clang, and the full-screen client's stories once more on the gcc build.
# FUZZ_SECONDS bounds the fuzzer (default 60).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== format (clang-format, .clang-format)"
files=$(find src tests bench -name '*.[ch]' | sort)
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files

echo "== gcc build, warnings are errors"
CC=gcc BUILD_DIR=build/gcc sh scripts/build.sh -DCMAKE_C_COMPILER=gcc

echo "== clang build with ASan + UBSan and the fuzzer"
cmake -S . -B build/san -G Ninja -DCMAKE_BUILD_TYPE=Sanitize \
    -DCMAKE_C_COMPILER=clang -DTERMGRAM_FUZZ=ON \
    -DTERMGRAM_FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >/dev/null
ninja -C build/san -j "$jobs"

# The full-screen client as gcc built it: the two compilers may order
# what C leaves unordered differently, and a user may run either.
echo "== the full-screen client's stories, gcc build"
ctest --test-dir build/gcc --output-on-failure -j "$jobs" -R '^tui_'

echo "== tests"
ctest --test-dir build/san --output-on-failure -j "$jobs"
