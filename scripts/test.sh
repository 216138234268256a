#!/bin/sh
# The whole test suite, as CI runs it: dependencies, a format check, a
# warnings-as-errors gcc build, then every test (unit, integration, layer
# rule, fuzzer) under AddressSanitizer and UndefinedBehaviorSanitizer with
# clang, and once more (all but the fuzzer) on the optimised gcc build.
# FUZZ_SECONDS bounds the frame fuzzer (default 60), FUZZ_SHORT_SECONDS
# each of the others (default 20).
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
    -DTERMGRAM_FUZZ_SECONDS="${FUZZ_SECONDS:-60}" \
    -DTERMGRAM_FUZZ_SHORT_SECONDS="${FUZZ_SHORT_SECONDS:-20}" >/dev/null
ninja -C build/san -j "$jobs"

# Everything once as gcc built it (optimised, no sanitizers): the two
# compilers order what C leaves unordered differently, and users run
# either build.
echo "== tests, gcc build"
ctest --test-dir build/gcc --output-on-failure -j "$jobs"

echo "== tests"
ctest --test-dir build/san --output-on-failure -j "$jobs"
